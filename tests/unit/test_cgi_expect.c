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
    b.values.content_type = headers && strstr(headers, "Content-Type") ? "application/json" : NULL;
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
    /* Safelisted by value only: an unsafe byte or over 128 bytes is not. */
    ck_assert_str_eq(
        console_unsafe_headers(pool, "Content-Type", "text/plain; charset=\"utf-8\"", &error),
        "content-type");
    ck_assert_str_eq(
        console_unsafe_headers(pool, "Content-Type", "multipart/form-data; boundary=a@b", &error),
        "content-type");
    {
        console_header_values values = {0};
        values.accept = "application/json; q=\"1\"";
        values.accept_language = "en_US";
        values.content_language = "de-CH, en;q=0.5";
        ck_assert_str_eq(console_unsafe_header_list(
                             pool, "Accept, Accept-Language, Content-Language", &values, &error),
                         "accept,accept-language");
        values.accept =
            apr_pstrcat(pool, "application/json;", apr_psprintf(pool, "%0120d", 0), NULL);
        ck_assert_str_eq(console_unsafe_header_list(pool, "Accept", &values, &error), "accept");
    }
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

static const char *explain_reading(const char *origin, const char *method, const char *read,
                                   console_credentials mode)
{
    console_browser_request b = {0};
    const char *error = NULL, *json;
    b.origin = origin;
    b.method = method;
    b.read = read;
    b.credentials = mode;
    json = console_explain_json(pool, policy.policy, &b, &error);
    ck_assert_msg(json != NULL, "%s", error);
    return json;
}

START_TEST(readable_headers_and_the_api_server)
{
    /* The default exposed header is Date; Content-Type is safelisted. */
    const char *j =
        explain_reading("https://dashboard.example.com", "GET",
                        "Date,Server,content-type,Set-Cookie", CONSOLE_CREDENTIALS_INCLUDE);
    EXPECT(j, "\"readable\":[\"Date\",\"content-type\"]");
    EXPECT(j, "\"reaches_api_server\":true");
    /* Blocked by the browser: nothing is readable, but the request was sent. */
    j = explain_reading("https://monitoring.example.com", "GET", "Date",
                        CONSOLE_CREDENTIALS_INCLUDE);
    EXPECT(j, "\"verdict\":\"blocked\"");
    EXPECT(j, "\"readable\":[]");
    EXPECT(j, "\"reaches_api_server\":true");
    /* A refused preflight: the request is never sent. */
    j = explain_reading("https://dashboard.example.com", "PATCH", "Date", CONSOLE_CREDENTIALS_OMIT);
    EXPECT(j, "\"reaches_api_server\":false");
    /* fetch() sends "head" as HEAD, but "patch" as it is: refused. */
    j = explain_reading("https://dashboard.example.com", "head", NULL, CONSOLE_CREDENTIALS_OMIT);
    EXPECT(j, "\"method\":\"HEAD\"");
    EXPECT(j, "\"preflight_needed\":false");
    EXPECT(j, "\"verdict\":\"allowed\"");
    j = explain_reading("https://dashboard.example.com", "delete", NULL, CONSOLE_CREDENTIALS_OMIT);
    EXPECT(j, "\"method\":\"DELETE\"");
    EXPECT(j, "\"verdict\":\"allowed\"");
    j = explain_reading("https://dashboard.example.com", "patch", NULL, CONSOLE_CREDENTIALS_OMIT);
    EXPECT(j, "\"method\":\"patch\"");
    EXPECT(j, "\"verdict\":\"blocked\"");
    /* Report-only: a preflighted request is never sent, a simple one is. */
    {
        console_policy quiet;
        console_browser_request b = {0};
        const char *error = NULL;
        ck_assert_ptr_null(console_policy_load(
            pool, "K8sCors report-only\nK8sCorsAllowOrigin https://dashboard.example.com\n", "/",
            &quiet));
        b.origin = "https://dashboard.example.com";
        b.method = "PUT";
        j = console_explain_json(pool, quiet.policy, &b, &error);
        EXPECT(j, "\"verdict\":\"blocked\"");
        EXPECT(j, "\"reaches_api_server\":false");
        b.method = "GET";
        EXPECT(console_explain_json(pool, quiet.policy, &b, &error), "\"reaches_api_server\":true");
    }
    /* 40 names: explained; 70: explained as the gateway refuses them. */
    {
        const char *forty = "X-A0", *seventy;
        console_policy any;
        console_browser_request b = {0};
        const char *error = NULL;
        for (int i = 1; i < 40; i++)
            forty = apr_psprintf(pool, "%s,X-A%d", forty, i);
        seventy = forty;
        for (int i = 40; i < 70; i++)
            seventy = apr_psprintf(pool, "%s,X-A%d", seventy, i);
        ck_assert_ptr_null(console_policy_load(pool,
                                               "K8sCors On\nK8sCorsAllowCredentials Off\n"
                                               "K8sCorsAllowHeaders *\n"
                                               "K8sCorsAllowOrigin https://dashboard.example.com\n",
                                               "/", &any));
        b.origin = "https://dashboard.example.com";
        b.method = "GET";
        b.headers = forty;
        j = console_explain_json(pool, any.policy, &b, &error);
        ck_assert_msg(j != NULL, "%s", error);
        EXPECT(j, "\"verdict\":\"allowed\"");
        b.headers = seventy;
        j = console_explain_json(pool, any.policy, &b, &error);
        ck_assert_msg(j != NULL, "%s", error);
        EXPECT(j, "\"verdict\":\"blocked\"");
        EXPECT(j, "\"reason\":\"headers-malformed\"");
    }
    /* No headers asked about: no answer about them. */
    j = explain_reading("https://dashboard.example.com", "HEAD", NULL, CONSOLE_CREDENTIALS_OMIT);
    EXPECT(j, "\"readable\":null");
}
END_TEST

START_TEST(cross_site_verdict_from_the_decision)
{
    console_policy p;
    console_browser_request b = {0};
    const char *error = NULL, *j;
    ck_assert_ptr_null(console_policy_load(pool,
                                           "K8sCors On\nK8sCorsDeniedOrigin reject-unsafe\n"
                                           "K8sCorsClientProfile kubernetes\n"
                                           "K8sCorsAllowOrigin https://a.example.com\n",
                                           "/", &p));
    /* A form POST from a denied page: the decision's cross-site verdict and
     * the gateway's 403, as the module computes them. */
    b.origin = "https://evil.example";
    b.method = "POST";
    j = console_explain_json(pool, p.policy, &b, &error);
    EXPECT(j, "\"verdict\":\"blocked\"");
    EXPECT(j, "\"cross_site\":\"refused-cross-site\"");
    EXPECT(j, "\"fetch_site\":\"cross-site\"");
    EXPECT(j, "\"refuse_status\":403");
    /* A read from the same page passes the step. */
    b.method = "GET";
    EXPECT(console_explain_json(pool, p.policy, &b, &error), "\"cross_site\":\"safe-method\"");
    /* The allowed origin impersonating, by the profile's prefix. */
    b.origin = "https://a.example.com";
    b.method = "PATCH";
    b.headers = "Impersonate-User, Impersonate-Extra-Scopes";
    b.credentials = CONSOLE_CREDENTIALS_INCLUDE;
    j = console_explain_json(pool, p.policy, &b, &error);
    EXPECT(j, "\"verdict\":\"allowed\"");
    EXPECT(j, "\"cross_site\":\"allowed-origin\"");
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
    tcase_add_test(tc, readable_headers_and_the_api_server);
    tcase_add_test(tc, cross_site_verdict_from_the_decision);
    suite_add_tcase(s, tc);
    return s;
}
