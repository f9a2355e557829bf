/*
 * The CGI's request parsing: %-decoding, query strings and forms with
 * their bounds, CONTENT_LENGTH, bodies, and the listing of header names.
 */
#include <check.h>
#include <string.h>
#include <unistd.h>

#include <apr_strings.h>

#include "console.h"
#include "test_cgi_suites.h"
#include "unit_fixture.h"

static const char *decode(const char *text, int plus)
{
    char *out;
    size_t len;
    const char *error = console_percent_decode(pool, text, strlen(text), plus, &out, &len);
    return error ? NULL : out;
}

START_TEST(decode_valid)
{
    ck_assert_str_eq(decode("abc", 0), "abc");
    ck_assert_str_eq(decode("a%20b%2Fc%2f", 0), "a b/c/");
    ck_assert_str_eq(decode("a+b", 1), "a b");
    ck_assert_str_eq(decode("a+b", 0), "a+b");
    ck_assert_str_eq(decode("%3Cscript%3E", 0), "<script>");
    ck_assert_str_eq(decode("", 0), "");
    ck_assert_str_eq(decode("%e2%80%a8", 0), "\xe2\x80\xa8");
}
END_TEST

START_TEST(decode_refuses_bad_escapes)
{
    static const char *const bad[] = {"%",   "a%",   "%2",  "a%2",   "%zz", "%g0",
                                      "%0g", "%%41", "%00", "a%00b", "% 1", "%+1"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(decode(bad[i], 1) == NULL, "%s was accepted", bad[i]);
}
END_TEST

START_TEST(decode_refuses_raw_nul)
{
    char *out;
    size_t len;
    ck_assert_ptr_nonnull(console_percent_decode(pool, "a\0b", 3, 0, &out, &len));
}
END_TEST

static int parse(const char *text, apr_table_t **params, const char **error)
{
    *params = apr_table_make(pool, 4);
    *error = NULL;
    return console_form_parse(pool, text, strlen(text), CONSOLE_QUERY_MAX, *params, error);
}

START_TEST(form_parses_pairs)
{
    apr_table_t *p;
    const char *error;
    ck_assert_int_eq(
        parse("origin=https%3A%2F%2Fa.example.com&method=PATCH&headers=a,b&x_y=", &p, &error), 0);
    ck_assert_str_eq(apr_table_get(p, "origin"), "https://a.example.com");
    ck_assert_str_eq(apr_table_get(p, "method"), "PATCH");
    ck_assert_str_eq(apr_table_get(p, "headers"), "a,b");
    ck_assert_str_eq(apr_table_get(p, "x_y"), "");
    ck_assert_int_eq(parse("flag&&a=1&", &p, &error), 0);
    ck_assert_str_eq(apr_table_get(p, "flag"), "");
    ck_assert_str_eq(apr_table_get(p, "a"), "1");
    ck_assert_int_eq(parse("", &p, &error), 0);
    ck_assert_int_eq(apr_table_elts(p)->nelts, 0);
    ck_assert_int_eq(parse("a=x%3Dy%26z", &p, &error), 0);
    ck_assert_str_eq(apr_table_get(p, "a"), "x=y&z");
}
END_TEST

START_TEST(form_refuses_hostile_input)
{
    static const char *const bad[] = {
        "a=%zz", "a=%00", "a=%", "a=b%2",   "%61=1", /* names are never %-encoded words */
        "A=1",   "a-b=1", "=1",  "a=1&a=2", "a%00=1", "\xc3\xa9=1", "a b=1",
    };
    apr_table_t *p;
    const char *error;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int status = parse(bad[i], &p, &error);
        if (strcmp(bad[i], "%61=1") == 0) {
            /* %61 decodes to "a": a valid name, accepted */
            ck_assert_int_eq(status, 0);
            continue;
        }
        ck_assert_msg(status == 400, "%s: %d", bad[i], status);
        ck_assert_ptr_nonnull(error);
    }
}
END_TEST

START_TEST(form_bounds)
{
    apr_table_t *p = apr_table_make(pool, 4);
    const char *error = NULL;
    size_t big = 1024 * 1024;
    char *text = apr_palloc(pool, big + 1);
    char *many = "";

    memset(text, 'a', big);
    text[0] = 'q';
    text[1] = '=';
    text[big] = '\0';
    ck_assert_int_eq(console_form_parse(pool, text, big, CONSOLE_QUERY_MAX, p, &error), 414);
    ck_assert_int_eq(
        console_form_parse(pool, text, CONSOLE_QUERY_MAX, CONSOLE_QUERY_MAX, p, &error), 0);
    for (int i = 0; i < CONSOLE_PARAMS_MAX + 1; i++)
        many = apr_psprintf(pool, "%s%sp%c%c=1", many, i ? "&" : "", 'a' + i / 26, 'a' + i % 26);
    p = apr_table_make(pool, 4);
    ck_assert_int_eq(console_form_parse(pool, many, strlen(many), CONSOLE_QUERY_MAX, p, &error),
                     400);
    p = apr_table_make(pool, 4);
    ck_assert_int_eq(console_form_parse(pool, "a=1\0b=2", 7, CONSOLE_QUERY_MAX, p, &error), 400);
    p = apr_table_make(pool, 4);
    ck_assert_int_eq(parse("abcdefghijabcdefghijabcdefghijabc=1", &p, &error), 400);
}
END_TEST

START_TEST(content_length)
{
    size_t n;
    const char *error;
    ck_assert_int_eq(console_content_length(NULL, 100, &n, &error), 0);
    ck_assert_uint_eq(n, 0);
    ck_assert_int_eq(console_content_length("", 100, &n, &error), 0);
    ck_assert_int_eq(console_content_length("100", 100, &n, &error), 0);
    ck_assert_uint_eq(n, 100);
    ck_assert_int_eq(console_content_length("101", 100, &n, &error), 413);
    ck_assert_int_eq(console_content_length("-1", 100, &n, &error), 400);
    ck_assert_int_eq(console_content_length("1e3", 100, &n, &error), 400);
    ck_assert_int_eq(console_content_length(" 1", 100, &n, &error), 400);
    ck_assert_int_eq(console_content_length("99999999999999999999999", 100, &n, &error), 413);
}
END_TEST

START_TEST(body_reading)
{
    int fds[2];
    char *body;
    const char *error;
    size_t count;

    ck_assert_int_eq(pipe(fds), 0);
    ck_assert_int_eq(write(fds[1], "a=1&b=2xyz", 10), 10);
    close(fds[1]);
    ck_assert_int_eq(console_read_body(pool, fds[0], 7, &body, &error), 0);
    ck_assert_str_eq(body, "a=1&b=2");
    ck_assert_int_eq(console_read_body(pool, fds[0], 7, &body, &error), 400); /* 3 left */
    close(fds[0]);

    ck_assert_int_eq(pipe(fds), 0);
    ck_assert_int_eq(write(fds[1], "0123456789", 10), 10);
    close(fds[1]);
    console_discard_body(fds[0], 4, &count);
    ck_assert_uint_eq(count, 4);
    console_discard_body(fds[0], 100, &count);
    ck_assert_uint_eq(count, 6);
    close(fds[0]);
}
END_TEST

START_TEST(header_names_listing)
{
    char *env[] = {"HTTP_HOST=api.example.com",
                   "HTTP_ORIGIN=https://a.example.com",
                   "HTTP_X_CUSTOM=<script>alert(1)</script>",
                   "HTTP_COOKIE=session=SECRET",
                   "HTTP_AUTHORIZATION=Bearer SECRET",
                   "CONTENT_TYPE=application/json",
                   "CONTENT_LENGTH=",
                   "PATH=/usr/bin",
                   "HTTPS=on",
                   "HTTP_=x",
                   "HTTP_BAD\"NAME=1",
                   "HTTP_ORIGIN=duplicate",
                   NULL};
    int truncated;
    apr_array_header_t *names = console_header_names(pool, env, &truncated);
    const char *joined = "";
    for (int i = 0; i < names->nelts; i++)
        joined =
            apr_pstrcat(pool, joined, i ? " " : "", APR_ARRAY_IDX(names, i, const char *), NULL);
    ck_assert_str_eq(joined, "authorization content-type cookie host origin x-custom");
    ck_assert_int_eq(truncated, 0);
    ck_assert_ptr_null(strstr(joined, "SECRET"));
}
END_TEST

START_TEST(header_names_bounded)
{
    char **env = apr_pcalloc(pool, sizeof(char *) * 1001);
    int truncated;
    apr_array_header_t *names;
    char *long_name = apr_palloc(pool, 300);

    for (int i = 0; i < 999; i++)
        env[i] = apr_psprintf(pool, "HTTP_X_H%d=v", i);
    memset(long_name, 'A', 299);
    memcpy(long_name, "HTTP_", 5);
    long_name[298] = '=';
    long_name[299] = '\0';
    env[999] = long_name;
    names = console_header_names(pool, env, &truncated);
    ck_assert_int_eq(names->nelts, CONSOLE_HEADER_NAMES_MAX);
    ck_assert_int_eq(truncated, 1);

    env[0] = long_name;
    env[1] = NULL;
    names = console_header_names(pool, env, &truncated);
    ck_assert_int_eq(names->nelts, 0); /* over CONSOLE_HEADER_NAME_MAX: skipped */
}
END_TEST

Suite *cgi_request_suite(void)
{
    Suite *s = suite_create("cgi_request");
    TCase *tc = tcase_create("parsing");
    tcase_add_checked_fixture(tc, unit_setup, unit_teardown);
    tcase_add_test(tc, decode_valid);
    tcase_add_test(tc, decode_refuses_bad_escapes);
    tcase_add_test(tc, decode_refuses_raw_nul);
    tcase_add_test(tc, form_parses_pairs);
    tcase_add_test(tc, form_refuses_hostile_input);
    tcase_add_test(tc, form_bounds);
    tcase_add_test(tc, content_length);
    tcase_add_test(tc, body_reading);
    tcase_add_test(tc, header_names_listing);
    tcase_add_test(tc, header_names_bounded);
    suite_add_tcase(s, tc);
    return s;
}
