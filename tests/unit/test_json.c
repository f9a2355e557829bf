/*
 * JSON output (cors_json.c): strings valid and safe to show whatever they
 * hold, and the policy and decision documents the console and
 * k8s-cors-lint print.
 */
#include <string.h>

#include "check_suites.h"
#include "cors_decision.h"
#include "cors_json.h"
#include "unit_fixture.h"

START_TEST(test_strings)
{
    static const struct {
        const char *in;
        size_t len;
        const char *out;
    } cases[] = {
        {"plain", 5, "\"plain\""},
        {"a\"b\\c", 5, "\"a\\\"b\\\\c\""},
        {"<script>&", 9, "\"\\u003cscript\\u003e\\u0026\""},
        {"\n\t\x7f", 3, "\"\\u000a\\u0009\\u007f\""},
        {"nul\0byte", 8, "\"nul\\u0000byte\""},
        {"caf\xc3\xa9", 5, "\"caf\xc3\xa9\""},                   /* valid UTF-8 kept */
        {"\xe2\x80\xa8|\xe2\x80\xa9", 7, "\"\\u2028|\\u2029\""}, /* line separators escaped */
        {"\xc3(", 2, "\"\\ufffd(\""},                            /* a broken sequence */
        {"\xc0\xaf", 2, "\"\\ufffd\\ufffd\""},                   /* overlong */
        {"\xed\xa0\x80", 3, "\"\\ufffd\\ufffd\\ufffd\""},        /* a surrogate */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *out = cors_json_string_n(pool, cases[i].in, cases[i].len);
        ck_assert_msg(strcmp(out, cases[i].out) == 0, "case %zu: %s, want %s", i, out,
                      cases[i].out);
    }
    ck_assert_str_eq(cors_json_string(pool, NULL), "null");
    ck_assert_str_eq(cors_json_string_n(pool, NULL, 3), "null");
}
END_TEST

START_TEST(test_policy_document)
{
    cors_policy *p = cors_policy_make(pool);
    const char *json;
    p->mode = CORS_MODE_REPORT_ONLY;
    p->denied_origin = CORS_DENIED_REJECT;
    ck_assert_ptr_null(cors_policy_add_origin(pool, p, "https://a.example.com", "t.conf:2"));
    ck_assert_ptr_null(cors_policy_add_pattern(pool, p, "https://<x>\\.example\\.org", "t.conf:3"));
    json = cors_json_policy(pool, p);
    ck_assert_msg(strncmp(json,
                          "{\"mode\":\"report-only\",\"denied_origin\":\"reject\","
                          "\"denied_method_status\":405,\"trust_same_site\":false,"
                          "\"strict\":false,\"rules\":[{\"kind\":"
                          "\"origin\",\"text\":\"https://a.example.com\",\"name\":"
                          "\"https://a.example.com\",\"source\":\"t.conf:2\",\"settings\":{",
                          213) == 0,
                  "%s", json);
    ck_assert_ptr_nonnull(strstr(json, "{\"kind\":\"regex\",\"text\":\"https://\\u003cx\\u003e"));
    ck_assert_ptr_nonnull(strstr(json, "],\"defaults\":{"));
}
END_TEST

START_TEST(test_decision_document)
{
    cors_policy *p = cors_policy_make(pool);
    cors_request request = {0};
    cors_decision d;
    const char *json;
    p->mode = CORS_MODE_ENFORCE;
    ck_assert_ptr_null(cors_policy_add_origin(pool, p, "https://a.example.com", "t.conf:2"));
    request.method = "OPTIONS";
    request.origin = "https://a.example.com";
    request.preflight_method = "PUT";
    request.host = "api.example.com";
    cors_decide(p, &request, &d);
    json = cors_json_decision(pool, &d);
    ck_assert_msg(strncmp(json, "{\"kind\":\"preflight\",\"allowed\":true,", 35) == 0, "%s", json);
    ck_assert_ptr_nonnull(strstr(json, "\"source\":\"t.conf:2\""));
    ck_assert_ptr_nonnull(
        strstr(json, "\"Access-Control-Allow-Origin\":\"https://a.example.com\""));

    request.origin = "https://evil.example.com\"<";
    cors_decide(p, &request, &d);
    json = cors_json_decision(pool, &d);
    ck_assert_msg(strncmp(json, "{\"kind\":\"preflight\",\"allowed\":false,", 36) == 0, "%s", json);
    ck_assert_ptr_null(strchr(json, '<'));
}
END_TEST

Suite *json_suite(void)
{
    Suite *s = suite_create("json");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, unit_setup, unit_teardown);
    tcase_add_test(tc, test_strings);
    tcase_add_test(tc, test_policy_document);
    tcase_add_test(tc, test_decision_document);
    suite_add_tcase(s, tc);
    return s;
}
