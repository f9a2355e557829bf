/*
 * Every string the CGI writes into JSON is escaped (cors_json_string): no
 * raw '<', '>', '&', quote, backslash, control byte, U+2028/2029 or invalid
 * UTF-8 reaches the output, and every answer carries the JSON headers.
 */
#include <check.h>
#include <string.h>
#include <unistd.h>

#include <apr_strings.h>

#include "console.h"
#include "test_cgi_suites.h"
#include "unit_fixture.h"

/* No byte that could end the string, start markup or break a parser. */
static void assert_inert(const char *json)
{
    for (const unsigned char *p = (const unsigned char *)json; *p; p++) {
        ck_assert_msg(*p >= 0x20 && *p != 0x7f, "control byte 0x%02x in %s", *p, json);
        ck_assert_msg(*p != '<' && *p != '>' && *p != '&', "markup byte in %s", json);
    }
    ck_assert_ptr_null(strstr(json, "\xe2\x80\xa8"));
    ck_assert_ptr_null(strstr(json, "\xe2\x80\xa9"));
}

START_TEST(escapes_hostile_strings)
{
    ck_assert_str_eq(cors_json_string(pool, "<script>alert(\"x\")</script>"),
                     "\"\\u003cscript\\u003ealert(\\\"x\\\")\\u003c/script\\u003e\"");
    ck_assert_str_eq(cors_json_string(pool, "a\\b"), "\"a\\\\b\"");
    ck_assert_str_eq(cors_json_string(pool, "\r\n\t\x01\x7f"),
                     "\"\\u000d\\u000a\\u0009\\u0001\\u007f\"");
    ck_assert_str_eq(cors_json_string(pool, "&amp;"), "\"\\u0026amp;\"");
    ck_assert_str_eq(cors_json_string(pool, "x\xe2\x80\xa8y\xe2\x80\xa9"), "\"x\\u2028y\\u2029\"");
    ck_assert_str_eq(cors_json_string(pool, "\xff\xc0\xaf"), "\"\\ufffd\\ufffd\\ufffd\"");
    ck_assert_str_eq(cors_json_string(pool, "\xed\xa0\x80"), "\"\\ufffd\\ufffd\\ufffd\"");
    ck_assert_str_eq(cors_json_string(pool, "caf\xc3\xa9"), "\"caf\xc3\xa9\"");
    ck_assert_str_eq(cors_json_string(pool, NULL), "null");
    ck_assert_str_eq(cors_json_string_n(pool, "a\0b", 3), "\"a\\u0000b\"");
}
END_TEST

START_TEST(error_documents)
{
    console_answer a = console_error(pool, 400, "bad-query", "<img src=x onerror=alert(1)>\"\n");
    const char *text = console_response_text(pool, &a);
    ck_assert_int_eq(a.status, 400);
    assert_inert(a.json);
    ck_assert_ptr_nonnull(strstr(text, "Status: 400 Bad Request\r\n"));
    ck_assert_ptr_nonnull(strstr(text, "Content-Type: application/json; charset=utf-8\r\n"));
    ck_assert_ptr_nonnull(strstr(text, "X-Content-Type-Options: nosniff\r\n"));
    ck_assert_ptr_nonnull(strstr(text, "Cache-Control: no-store\r\n\r\n{"));
}
END_TEST

static console_policy load(const char *text)
{
    console_policy policy;
    ck_assert_ptr_null(console_policy_load(pool, text, "/", &policy));
    return policy;
}

START_TEST(echo_never_shows_values)
{
    console_policy policy = load("K8sCors On\nK8sCorsAllowOrigin https://a.example.com\n");
    char *env[] = {"HTTP_AUTHORIZATION=Bearer SECRET-TOKEN", "HTTP_COOKIE=sid=SECRET-COOKIE",
                   "HTTP_X_EVIL=<script>\x01", "REQUEST_METHOD=<b>", NULL};
    int fds[2];
    console_request r = {0};
    console_answer a;
    size_t consumed = 0;

    ck_assert_int_eq(pipe(fds), 0);
    ck_assert_int_eq(write(fds[1], "SECRET-BODY", 11), 11);
    close(fds[1]);
    r.pool = pool;
    r.method = "<b>\"PATCH";
    r.origin = "https://a.example.com\"<x>";
    r.envp = env;
    r.policy = &policy;
    r.params = apr_table_make(pool, 1);
    r.body_fd = fds[0];
    r.content_length = 11;
    r.body_consumed = &consumed;
    a = console_echo_endpoint(&r);
    ck_assert_uint_eq(consumed, 11);
    close(fds[0]);
    ck_assert_int_eq(a.status, 200);
    assert_inert(a.json);
    ck_assert_ptr_null(strstr(a.json, "SECRET"));
    ck_assert_ptr_nonnull(strstr(a.json, "\"authorization_present\":true"));
    ck_assert_ptr_nonnull(strstr(a.json, "\"cookie_present\":true"));
    ck_assert_ptr_nonnull(strstr(a.json, "\"body_bytes\":11"));
    ck_assert_ptr_nonnull(strstr(a.json, "\"headers\":[\"authorization\",\"cookie\",\"x-evil\"]"));
}
END_TEST

START_TEST(explain_escapes_what_it_echoes)
{
    console_policy policy = load("K8sCors On\nK8sCorsAllowOrigin https://a.example.com\n");
    console_browser_request b = {0};
    const char *error = NULL, *json;

    b.origin = "https://a.example.com</script><script>alert(1)</script>\xe2\x80\xa8";
    b.method = "GET";
    json = console_explain_json(pool, policy.policy, &b, &error);
    ck_assert_ptr_nonnull(json);
    assert_inert(json);
    ck_assert_ptr_nonnull(strstr(json, "\"verdict\":\"blocked\""));
    ck_assert_ptr_nonnull(strstr(json, "\"reason\":\"origin-malformed\""));
}
END_TEST

START_TEST(policy_document_escapes_rules)
{
    console_policy policy = load("K8sCors On\n#@ <evil>.conf:1\n"
                                 "K8sCorsAllowOriginRegex \"https://a<b>\\.example\\.com\"\n");
    char *env[] = {NULL};
    console_request r = {0};
    console_answer a;

    r.pool = pool;
    r.method = "GET";
    r.envp = env;
    r.policy = &policy;
    r.params = apr_table_make(pool, 1);
    a = console_policy_endpoint(&r);
    ck_assert_int_eq(a.status, 200);
    assert_inert(a.json);
    ck_assert_ptr_nonnull(strstr(a.json, "\\u003cevil\\u003e.conf:1"));
}
END_TEST

Suite *cgi_json_suite(void)
{
    Suite *s = suite_create("cgi_json");
    TCase *tc = tcase_create("escaping");
    tcase_add_checked_fixture(tc, unit_setup, unit_teardown);
    tcase_add_test(tc, escapes_hostile_strings);
    tcase_add_test(tc, error_documents);
    tcase_add_test(tc, echo_never_shows_values);
    tcase_add_test(tc, explain_escapes_what_it_echoes);
    tcase_add_test(tc, policy_document_escapes_rules);
    suite_add_tcase(s, tc);
    return s;
}
