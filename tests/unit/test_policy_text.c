/*
 * A policy written as directives and read back (what the console CGI gets
 * from the module) decides every request the same way.
 */
#include <check.h>
#include <string.h>

#include "check_suites.h"
#include "cors_core.h"
#include "unit_fixture.h"

static const char policy_text[] =
    "K8sCors report-only\n"
    "K8sCorsDeniedOrigin reject\n"
    "K8sCorsDeniedMethodStatus 403\n"
    "K8sCorsAllowHeaders Authorization Content-Type\n"
    "K8sCorsMaxAge 120\n"
    "#@ site.conf:7\n"
    "K8sCorsAllowOrigin https://dashboard.example.com \"https://grafana.example.com\"\n"
    "<K8sCorsOrigin https://readonly.example.com>\n"
    "    K8sCorsAllowMethods GET HEAD\n"
    "    K8sCorsRuleName readonly\n"
    "</K8sCorsOrigin>\n"
    "K8sCorsAllowOriginRegex \"https://[a-z0-9-]+\\.apps\\.example\\.com\"\n"
    "<K8sCorsOriginRegex \"https://[a-z]+\\.lab\\.example\\.com\">\n"
    "    K8sCorsAllowCredentials Off\n"
    "    K8sCorsAllowPrivateNetwork On\n"
    "</K8sCorsOriginRegex>\n"
    "K8sCorsSelfOrigin https://api.example.com https://gw.example.com:8443\n"
    "K8sCorsKubeAllowedOrigins \"//legacy\\.example\\.com(:|$),say\\\"quote\"\n";

static const struct {
    const char *method, *origin, *acrm, *acrh;
} requests[] = {
    {"GET", "https://dashboard.example.com", NULL, NULL},
    {"DELETE", "https://readonly.example.com", NULL, NULL},
    {"OPTIONS", "https://readonly.example.com", "PUT", NULL},
    {"OPTIONS", "https://grafana.example.com", "GET", "authorization,x-other"},
    {"GET", "https://x.apps.example.com", NULL, NULL},
    {"OPTIONS", "https://abc.lab.example.com", "GET", NULL},
    {"GET", "https://legacy.example.com:8443", NULL, NULL},
    {"GET", "https://say\"quote", NULL, NULL},
    {"POST", "https://evil.example", NULL, NULL},
};

START_TEST(test_round_trip)
{
    cors_policy *original = cors_policy_make(pool), *copy = cors_policy_make(pool);
    const char *text, *again;

    ck_assert_ptr_null(cors_policy_apply_text(pool, original, policy_text));
    text = cors_policy_to_directives(pool, original);
    ck_assert_msg(cors_policy_apply_text(pool, copy, text) == NULL, "%s",
                  cors_policy_apply_text(pool, cors_policy_make(pool), text));
    again = cors_policy_to_directives(pool, copy);
    ck_assert_str_eq(again, text);
    ck_assert_ptr_nonnull(strstr(text, "#@ site.conf:7\nK8sCorsAllowOrigin"));
    ck_assert_int_eq(copy->rule_count, original->rule_count);

    for (size_t i = 0; i < sizeof(requests) / sizeof(requests[0]); i++) {
        cors_request req = {0};
        cors_decision a, b;
        req.method = requests[i].method;
        req.origin = requests[i].origin;
        req.preflight_method = requests[i].acrm;
        req.request_headers = requests[i].acrh;
        cors_decide(original, &req, &a);
        cors_decide(copy, &req, &b);
        ck_assert_str_eq(cors_json_decision(pool, &b), cors_json_decision(pool, &a));
    }
}
END_TEST

START_TEST(test_apply_text_errors)
{
    cors_policy *p = cors_policy_make(pool);
    const char *error = cors_policy_apply_text(pool, p, "K8sCors On\nK8sCorsMaxAge soon\n");
    ck_assert_ptr_nonnull(error);
    ck_assert_ptr_nonnull(strstr(error, "2: K8sCorsMaxAge"));
    ck_assert_ptr_nonnull(
        cors_policy_apply_text(pool, cors_policy_make(pool), "<K8sCorsOrigin https://a.b>\n"));
    ck_assert_ptr_nonnull(
        cors_policy_apply_text(pool, cors_policy_make(pool), "ProxyPass / http://x/\n"));
    /* A closer names its opener. */
    error = cors_policy_apply_text(pool, cors_policy_make(pool),
                                   "<K8sCorsOrigin https://a.example>\n"
                                   "K8sCorsAllowMethods GET\n</K8sCorsOriginRegex>\n");
    ck_assert_ptr_nonnull(error);
    ck_assert_ptr_nonnull(strstr(error, "3: <K8sCorsOrigin> closed by </K8sCorsOriginRegex>"));
    ck_assert_ptr_nonnull(cors_policy_apply_text(pool, cors_policy_make(pool),
                                                 "<K8sCorsOriginRegex \"https://a\\.example\">\n"
                                                 "</K8sCorsOrigin>\n"));
    ck_assert_ptr_null(cors_policy_apply_text(pool, cors_policy_make(pool),
                                              "<K8sCorsOrigin https://a.example>\n"
                                              "</k8scorsorigin >\n"));
    ck_assert_ptr_nonnull(cors_policy_apply_text(pool, cors_policy_make(pool),
                                                 "K8sCorsSelfOrigin https://a.example/x\n"));
}
END_TEST

START_TEST(test_config_word)
{
    const char *line = "  K8sCorsAllowOriginRegex \"a\\\"b\\.c\" 'd e' f\\.g";
    ck_assert_str_eq(cors_config_word(pool, &line), "K8sCorsAllowOriginRegex");
    ck_assert_str_eq(cors_config_word(pool, &line), "a\"b\\.c");
    ck_assert_str_eq(cors_config_word(pool, &line), "d e");
    ck_assert_str_eq(cors_config_word(pool, &line), "f\\.g");
    ck_assert_ptr_null(cors_config_word(pool, &line));
}
END_TEST

Suite *policy_text_suite(void)
{
    Suite *s = suite_create("policy_text");
    TCase *tc = tcase_create("policy_text");
    tcase_add_checked_fixture(tc, unit_setup, unit_teardown);
    tcase_add_test(tc, test_round_trip);
    tcase_add_test(tc, test_apply_text_errors);
    tcase_add_test(tc, test_config_word);
    suite_add_tcase(s, tc);
    return s;
}
