/*
 * The policy and reload part of the metrics exposition: the reloader's
 * status file is read strictly (only known names, only plain numbers), and
 * the policy hash tells fields apart.
 */
#include <check.h>
#include <string.h>

#include "check_suites.h"
#include "cors_metrics.h"

static apr_pool_t *pool;
static const cors_metrics_policy policy = {"0123456789abcdef", 3, 1764579600};

static void setup(void)
{
    apr_pool_create(&pool, NULL);
}

static void teardown(void)
{
    apr_pool_destroy(pool);
}

START_TEST(test_policy_without_status)
{
    const char *out = cors_metrics_render_policy(pool, &policy, NULL);
    ck_assert_ptr_nonnull(strstr(out, "k8s_cors_policy_info{hash=\"0123456789abcdef\"} 1\n"));
    ck_assert_ptr_nonnull(strstr(out, "# TYPE k8s_cors_policy_info gauge\n"));
    ck_assert_ptr_nonnull(strstr(out, "\nk8s_cors_config_generation 3\n"));
    ck_assert_ptr_nonnull(strstr(out, "\nk8s_cors_config_loaded_timestamp_seconds 1764579600\n"));
    ck_assert_ptr_null(strstr(out, "reload"));
}
END_TEST

START_TEST(test_status_file)
{
    const char *out = cors_metrics_render_policy(pool, &policy,
                                                 "last_attempt_timestamp_seconds 1764580000\n"
                                                 "last_attempt_success 1\n"
                                                 "applied_total 12\n"
                                                 "invalid_total 0");
    ck_assert_ptr_nonnull(
        strstr(out, "\nk8s_cors_policy_reload_last_attempt_timestamp_seconds 1764580000\n"));
    ck_assert_ptr_nonnull(strstr(out, "\nk8s_cors_policy_reload_last_attempt_success 1\n"));
    ck_assert_ptr_nonnull(strstr(out, "# TYPE k8s_cors_policy_reloads_total counter\n"));
    ck_assert_ptr_nonnull(strstr(out, "\nk8s_cors_policy_reloads_total{result=\"applied\"} 12\n"));
    ck_assert_ptr_nonnull(strstr(out, "\nk8s_cors_policy_reloads_total{result=\"invalid\"} 0\n"));
}
END_TEST

START_TEST(test_status_file_blank_lines_and_unknown_names)
{
    const char *out = cors_metrics_render_policy(pool, &policy,
                                                 "\n\nsomething_else 5\n"
                                                 "last_attempt_success 0\n\n"
                                                 "last_attempt_success_total 1\n");
    ck_assert_ptr_nonnull(strstr(out, "\nk8s_cors_policy_reload_last_attempt_success 0\n"));
    ck_assert_ptr_null(strstr(out, "something_else"));
    ck_assert_ptr_null(strstr(out, "timestamp_seconds 1764580000"));
    ck_assert_ptr_null(strstr(out, "reloads_total")); /* needs both counts */
}
END_TEST

START_TEST(test_status_file_hostile_values)
{
    static const char *const hostile[] = {
        "last_attempt_timestamp_seconds 1\"} 1\nk8s_cors_fake 1\n",
        "last_attempt_timestamp_seconds -5\n",
        "last_attempt_timestamp_seconds 1e9\n",
        "last_attempt_timestamp_seconds 1234567890123456789\n", /* 19 digits */
        "last_attempt_timestamp_seconds \n",
        "last_attempt_timestamp_seconds  12\n",
        "last_attempt_timestamp_seconds 12 \n",
        "last_attempt_timestamp_seconds\t12\n",
        "last_attempt_timestamp_seconds 12\r\n",
        "last_attempt_success 2\n",
        "last_attempt_success 01\n",
        "applied_total 1x\ninvalid_total 1\n",
    };
    for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
        const char *out = cors_metrics_render_policy(pool, &policy, hostile[i]);
        ck_assert_msg(strstr(out, "k8s_cors_policy_reload") == NULL, "exported from %s",
                      hostile[i]);
        ck_assert_ptr_null(strstr(out, "k8s_cors_fake"));
    }
}
END_TEST

START_TEST(test_hash_fields)
{
    uint64_t ab_c =
        cors_metrics_policy_hash(cors_metrics_policy_hash(CORS_METRICS_HASH_SEED, "ab"), "c");
    uint64_t a_bc =
        cors_metrics_policy_hash(cors_metrics_policy_hash(CORS_METRICS_HASH_SEED, "a"), "bc");
    uint64_t again =
        cors_metrics_policy_hash(cors_metrics_policy_hash(CORS_METRICS_HASH_SEED, "ab"), "c");
    ck_assert(ab_c != a_bc);
    ck_assert(ab_c == again);
    ck_assert(cors_metrics_policy_hash(CORS_METRICS_HASH_SEED, "") != CORS_METRICS_HASH_SEED);
}
END_TEST

Suite *metrics_suite(void)
{
    Suite *s = suite_create("metrics");
    TCase *tc = tcase_create("policy_and_reload");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_policy_without_status);
    tcase_add_test(tc, test_status_file);
    tcase_add_test(tc, test_status_file_blank_lines_and_unknown_names);
    tcase_add_test(tc, test_status_file_hostile_values);
    tcase_add_test(tc, test_hash_fields);
    suite_add_tcase(s, tc);
    return s;
}
