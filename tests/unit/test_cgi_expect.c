/*
 * The browser expectations explain gives: preflight or not, the module's
 * decisions, and the browser's checks of the headers they send.
 */
#include <check.h>
#include <string.h>

#include <apr_strings.h>

#include "console.h"
#include "test_cgi_suites.h"
#include "unit_fixture.h"

static console_policy policy;

static const char policy_text[] = "K8sCors On\n"
                                  "K8sCorsAllowMethods GET POST PUT DELETE\n"
                                  "K8sCorsAllowHeaders Authorization Content-Type\n"
                                  "#@ test.conf:4\n"
                                  "K8sCorsAllowOrigin https://dashboard.example.com\n"
                                  "K8sCorsSelfOrigin https://api.example.com:6443\n"
                                  "#@ test.conf:5\n"
                                  "<K8sCorsOrigin https://monitoring.example.com>\n"
                                  "    K8sCorsAllowCredentials Off\n"
                                  "</K8sCorsOrigin>\n";

static void setup(void)
{
    unit_setup();
    ck_assert_ptr_null(console_policy_load(pool, policy_text, "/", &policy));
}

static const char *explain(const char *origin, const char *method, const char *headers,
                           console_credentials credentials)
{
    console_browser_request b = {0};
    const char *error = NULL, *json;
    b.origin = origin;
    b.method = method;
    b.headers = headers;
    b.content_type = headers && strstr(headers, "Content-Type") ? "application/json" : NULL;
    b.credentials = credentials;
    json = console_explain_json(pool, policy.policy, &b, &error);
    ck_assert_msg(json != NULL, "%s", error);
    return json;
}

#define EXPECT(json, text) ck_assert_msg(strstr(json, text) != NULL, "%s not in %s", text, json)

START_TEST(unsafe_header_lists)
{
    const char *error;
    ck_assert_str_eq(console_unsafe_headers(pool, "X-Custom, Authorization,x-custom", NULL, &error),
                     "authorization,x-custom");
    ck_assert_ptr_null(console_unsafe_headers(pool, "Accept, Content-Language", NULL, &error));
    ck_assert_ptr_null(
        console_unsafe_headers(pool, "Content-Type", "text/plain; charset=utf-8", &error));
    ck_assert_str_eq(console_unsafe_headers(pool, "Content-Type", "application/json", &error),
                     "content-type");
    ck_assert_str_eq(console_unsafe_headers(pool, "Content-Type", NULL, &error), "content-type");
    ck_assert_ptr_null(console_unsafe_headers(pool, "Bad\"Name", NULL, &error));
    ck_assert_ptr_nonnull(error);
}
END_TEST

START_TEST(simple_and_preflighted)
{
    const char *j = explain("https://dashboard.example.com", "GET", NULL, CONSOLE_CREDENTIALS_OMIT);
    EXPECT(j, "\"preflight_needed\":false");
    EXPECT(j, "\"verdict\":\"allowed\"");
    j = explain("https://dashboard.example.com", "PUT", "Authorization",
                CONSOLE_CREDENTIALS_INCLUDE);
    EXPECT(j, "\"preflight_needed\":true");
    EXPECT(j, "\"request_headers\":\"authorization\"");
    EXPECT(j, "\"verdict\":\"allowed\"");
    EXPECT(j, "\"status\":null");
}
END_TEST

START_TEST(refusals)
{
    const char *j =
        explain("https://dashboard.example.com", "PATCH", NULL, CONSOLE_CREDENTIALS_OMIT);
    EXPECT(j, "\"verdict\":\"blocked\"");
    EXPECT(j, "\"reason\":\"method-not-allowed\"");
    j = explain("https://dashboard.example.com", "GET", "X-Custom", CONSOLE_CREDENTIALS_OMIT);
    EXPECT(j, "\"verdict\":\"blocked\"");
    EXPECT(j, "\"reason\":\"header-not-allowed\"");
    EXPECT(j, "\"detail\":\"x-custom\"");
    j = explain("https://evil.example", "GET", NULL, CONSOLE_CREDENTIALS_OMIT);
    EXPECT(j, "\"verdict\":\"blocked\"");
    EXPECT(j, "\"reason\":\"origin-not-allowed\"");
    j = explain("https://dashboard.example.com:8443", "GET", NULL, CONSOLE_CREDENTIALS_OMIT);
    EXPECT(j, "\"reason\":\"origin-not-allowed\"");
}
END_TEST

START_TEST(credentials)
{
    const char *j =
        explain("https://monitoring.example.com", "GET", NULL, CONSOLE_CREDENTIALS_INCLUDE);
    EXPECT(j, "\"verdict\":\"blocked\"");
    EXPECT(j, "\"reason\":\"credentials-not-allowed\"");
    EXPECT(j, "Access-Control-Allow-Credentials");
    j = explain("https://monitoring.example.com", "GET", NULL, CONSOLE_CREDENTIALS_OMIT);
    EXPECT(j, "\"verdict\":\"allowed\"");
    j = explain("https://monitoring.example.com", "DELETE", "Authorization",
                CONSOLE_CREDENTIALS_INCLUDE);
    EXPECT(j, "\"verdict\":\"blocked\"");
    EXPECT(j, "preflight: credentials are included");
}
END_TEST

START_TEST(same_origin_and_modes)
{
    console_policy off;
    console_browser_request b = {0};
    const char *error = NULL, *j;
    j = explain("https://api.example.com:6443", "PATCH", "X-Custom", CONSOLE_CREDENTIALS_INCLUDE);
    EXPECT(j, "\"verdict\":\"allowed\"");
    EXPECT(j, "\"reason\":\"same-origin\"");

    ck_assert_ptr_null(console_policy_load(
        pool, "K8sCors report-only\nK8sCorsAllowOrigin https://dashboard.example.com\n", "/",
        &off));
    b.origin = "https://dashboard.example.com";
    b.method = "GET";
    j = console_explain_json(pool, off.policy, &b, &error);
    EXPECT(j, "\"verdict\":\"blocked\"");
    EXPECT(j, "report-only");
    b.method = "GET /";
    ck_assert_ptr_null(console_explain_json(pool, off.policy, &b, &error));
}
END_TEST

START_TEST(method_refused_with_cors_headers)
{
    console_policy p;
    console_browser_request b = {0};
    const char *error = NULL, *j;
    ck_assert_ptr_null(console_policy_load(pool,
                                           "K8sCors On\nK8sCorsAllowMethods GET\n"
                                           "K8sCorsAllowOrigin https://a.example.com\n",
                                           "/", &p));
    b.origin = "https://a.example.com";
    b.method = "POST"; /* no preflight: the gateway answers 405 with CORS headers */
    j = console_explain_json(pool, p.policy, &b, &error);
    EXPECT(j, "\"verdict\":\"allowed\"");
    EXPECT(j, "\"status\":405");
}
END_TEST

START_TEST(star_as_fetch_means_it)
{
    static const char *const texts[] = {
        "K8sCors On\nK8sCorsAllowMethods *\nK8sCorsAllowHeaders *\n"
        "K8sCorsAllowOrigin https://a.example.com\n",
        "K8sCors On\nK8sCorsAllowMethods *\nK8sCorsAllowHeaders *\nK8sCorsAllowCredentials Off\n"
        "K8sCorsAllowOrigin https://a.example.com\n",
    };
    for (int with_credentials = 1; with_credentials >= 0; with_credentials--) {
        console_policy p;
        console_browser_request b = {0};
        const char *error = NULL, *j;
        ck_assert_ptr_null(console_policy_load(pool, texts[1 - with_credentials], "/", &p));
        b.origin = "https://a.example.com";
        b.method = "PATCH";
        b.headers = "X-Custom";
        b.credentials = CONSOLE_CREDENTIALS_INCLUDE;
        j = console_explain_json(pool, p.policy, &b, &error);
        /* With credentials on, the gateway answers by name: the browser
         * allows a credentialed request; with them off it refuses it. */
        EXPECT(j, with_credentials ? "\"verdict\":\"allowed\"" : "\"verdict\":\"blocked\"");
        b.credentials = CONSOLE_CREDENTIALS_OMIT;
        EXPECT(console_explain_json(pool, p.policy, &b, &error), "\"verdict\":\"allowed\"");
        b.headers = "Authorization"; /* never covered by `*` */
        EXPECT(console_explain_json(pool, p.policy, &b, &error), "\"verdict\":\"blocked\"");
    }
}
END_TEST

START_TEST(origin_gate)
{
    console_answer a;
    ck_assert_int_eq(console_origin_gate(pool, &policy, "GET", NULL, &a), 0);
    ck_assert_int_eq(console_origin_gate(pool, &policy, "GET", "https://dashboard.example.com", &a),
                     0);
    ck_assert_int_eq(
        console_origin_gate(pool, &policy, "PATCH", "https://dashboard.example.com", &a), 0);
    ck_assert_int_eq(console_origin_gate(pool, &policy, "POST", "https://api.example.com:6443", &a),
                     0);
    /* A Host the attacker chose makes no origin the gateway's own. */
    ck_assert_int_eq(console_origin_gate(pool, &policy, "POST", "http://evil.example:8080", &a),
                     403);
    ck_assert_int_eq(console_origin_gate(pool, &policy, "GET", "https://evil.example", &a), 403);
    ck_assert_ptr_nonnull(strstr(a.json, "origin-not-allowed"));
    ck_assert_int_eq(console_origin_gate(pool, &policy, "GET", "null", &a), 403);
    ck_assert_int_eq(
        console_origin_gate(pool, &policy, "GET", "https://dashboard.example.com/x", &a), 403);
}
END_TEST

Suite *cgi_expect_suite(void)
{
    Suite *s = suite_create("cgi_expect");
    TCase *tc = tcase_create("expect");
    tcase_add_checked_fixture(tc, setup, unit_teardown);
    tcase_add_test(tc, unsafe_header_lists);
    tcase_add_test(tc, simple_and_preflighted);
    tcase_add_test(tc, refusals);
    tcase_add_test(tc, credentials);
    tcase_add_test(tc, same_origin_and_modes);
    tcase_add_test(tc, method_refused_with_cors_headers);
    tcase_add_test(tc, origin_gate);
    tcase_add_test(tc, star_as_fetch_means_it);
    suite_add_tcase(s, tc);
    return s;
}
