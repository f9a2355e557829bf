/*
 * The metrics exposition: the request counters and the rules' hits as
 * Prometheus text; the policy and reload part, where the reloader's status
 * file is read strictly (only known names, only plain numbers) and the
 * policy hash tells fields apart.
 */
#include <string.h>

#include "check_suites.h"
#include "cors_metrics.h"
#include "unit_fixture.h"

static const cors_metrics_policy policy = {"0123456789abcdef", 3, 1764579600};

/* Counters rendered under their labels; a rule's name escaped as a label
 * value; only the rules configured now; only kinds a decision can have. */
START_TEST(test_render_counters)
{
    cors_metrics *m = apr_pcalloc(pool, sizeof(*m));
    int slots[2];
    const char *out;

    slots[0] = cors_metrics_rule_slot(m, "dash\\board \"ro\"\nx");
    ck_assert_int_eq(cors_metrics_rule_slot(m, "gone"), 1);
    slots[1] = cors_metrics_rule_slot(m, "apps");
    ck_assert_int_eq(cors_metrics_rule_slot(m, "apps"), slots[1]);
    m->requests[0][CORS_METRIC_ALLOWED][CORS_KIND_PREFLIGHT] = 7;
    m->requests[1][CORS_METRIC_DENIED_ORIGIN][CORS_KIND_ACTUAL] = 2;
    m->requests[0][CORS_METRIC_NO_ORIGIN][CORS_KIND_NONE] = 11;
    m->preflights_answered[1] = 3;
    m->refused[1] = 4;
    m->upstream_headers_removed = 5;
    m->regex_limit = 6;
    m->rules[slots[0]].hits = 8;
    m->rules[1].hits = 99;
    out = cors_metrics_render(pool, m, slots, 2);

    ck_assert_ptr_nonnull(strstr(out, "# TYPE k8s_cors_requests_total counter\n"));
    ck_assert_ptr_nonnull(strstr(
        out,
        "\nk8s_cors_requests_total{decision=\"allowed\",kind=\"preflight\",mode=\"enforce\"} 7\n"));
    ck_assert_ptr_nonnull(strstr(out, "\nk8s_cors_requests_total{decision=\"denied_origin\","
                                      "kind=\"actual\",mode=\"report-only\"} 2\n"));
    ck_assert_ptr_nonnull(strstr(out, "\nk8s_cors_requests_total{decision=\"no_origin\","
                                      "kind=\"none\",mode=\"enforce\"} 11\n"));
    ck_assert_ptr_null(strstr(out, "decision=\"no_origin\",kind=\"preflight\""));
    ck_assert_ptr_null(strstr(out, "decision=\"allowed\",kind=\"none\""));
    ck_assert_ptr_nonnull(
        strstr(out, "\nk8s_cors_preflights_answered_total{result=\"denied\"} 3\n"));
    ck_assert_ptr_nonnull(strstr(out, "\nk8s_cors_requests_refused_total{status=\"405\"} 4\n"));
    ck_assert_ptr_nonnull(strstr(out, "\nk8s_cors_upstream_headers_removed_total 5\n"));
    ck_assert_ptr_nonnull(strstr(out, "\nk8s_cors_regex_limit_total 6\n"));
    ck_assert_ptr_nonnull(
        strstr(out, "\nk8s_cors_rule_hits_total{rule=\"dash\\\\board \\\"ro\\\"\\nx\"} 8\n"));
    ck_assert_ptr_nonnull(strstr(out, "\nk8s_cors_rule_hits_total{rule=\"apps\"} 0\n"));
    ck_assert_ptr_null(strstr(out, "gone"));
}
END_TEST

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
    tcase_add_checked_fixture(tc, unit_setup, unit_teardown);
    tcase_add_test(tc, test_policy_without_status);
    tcase_add_test(tc, test_status_file);
    tcase_add_test(tc, test_status_file_blank_lines_and_unknown_names);
    tcase_add_test(tc, test_status_file_hostile_values);
    tcase_add_test(tc, test_hash_fields);
    suite_add_tcase(s, tc);
    tc = tcase_create("render");
    tcase_add_checked_fixture(tc, unit_setup, unit_teardown);
    tcase_add_test(tc, test_render_counters);
    suite_add_tcase(s, tc);
    return s;
}
