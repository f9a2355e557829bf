/*
 * cors_regex: whole-origin patterns, anchored at both ends whatever the
 * operator wrote, and bounded so a bad pattern cannot hang a worker.
 */
#include <string.h>

#include <apr_pools.h>
#include <apr_strings.h>
#include <check.h>

#include "check_suites.h"
#include "cors_regex.h"
#include "unit_fixture.h"

static const char *result_name(cors_regex_result r)
{
    switch (r) {
    case CORS_REGEX_MATCH:
        return "MATCH";
    case CORS_REGEX_NOMATCH:
        return "NOMATCH";
    case CORS_REGEX_LIMIT:
        return "LIMIT";
    case CORS_REGEX_ERROR:
        return "ERROR";
    }
    return "?";
}

static cors_regex *compile_ok(const char *pattern)
{
    cors_regex *re = NULL;
    const char *err = cors_regex_compile(pool, pattern, &re);

    ck_assert_msg(err == NULL, "compile '%s': %s", pattern, err);
    ck_assert_ptr_nonnull(re);
    return re;
}

/* ---- whole-subject matching ----------------------------------------------- */

typedef struct {
    const char *pattern;
    const char *subject;
    cors_regex_result want;
} regex_case;

static const regex_case match_cases[] = {
    /* an unanchored pattern must not match a substring, at either end */
    {"example\\.com", "https://example.com.evil.com", CORS_REGEX_NOMATCH},
    {"example\\.com", "https://example.com", CORS_REGEX_NOMATCH},
    {"example\\.com", "example.com", CORS_REGEX_MATCH},
    {"https://example\\.com", "https://example.com", CORS_REGEX_MATCH},
    {"https://example\\.com", "https://example.com.evil.com", CORS_REGEX_NOMATCH},
    {"https://example\\.com", "xhttps://example.com", CORS_REGEX_NOMATCH},
    /* a top-level alternation is anchored on both alternatives */
    {"^https://a\\.example\\.com$|evil", "https://evil.com", CORS_REGEX_NOMATCH},
    {"^https://a\\.example\\.com$|evil", "evil", CORS_REGEX_MATCH},
    {"^https://a\\.example\\.com$|evil", "https://a.example.com", CORS_REGEX_MATCH},
    {"a|b", "ab", CORS_REGEX_NOMATCH},
    /* a label wildcard does not span dots */
    {"https://[a-z0-9-]+\\.apps\\.example\\.com", "https://x.apps.example.com", CORS_REGEX_MATCH},
    {"https://[a-z0-9-]+\\.apps\\.example\\.com", "https://a.b.apps.example.com",
     CORS_REGEX_NOMATCH},
    {"https://[a-z0-9-]+\\.apps\\.example\\.com", "https://x.apps.example.com.evil.com",
     CORS_REGEX_NOMATCH},
    /* `$` does not match before a trailing newline */
    {"https://a\\.com$", "https://a.com\n", CORS_REGEX_NOMATCH},
    {"https://a\\.com", "https://a.com\n", CORS_REGEX_NOMATCH},
    {"https://a\\.com$", "https://a.com", CORS_REGEX_MATCH},
};

START_TEST(test_regex_match)
{
    const regex_case *c = &match_cases[_i];
    cors_regex *re = compile_ok(c->pattern);
    cors_regex_result r = cors_regex_match(re, c->subject, strlen(c->subject));

    ck_assert_msg(r == c->want, "/%s/ on '%s': got %s, want %s", c->pattern, c->subject,
                  result_name(r), result_name(c->want));
}
END_TEST

/* Only subject[0..len) is the subject. */
START_TEST(test_regex_respects_len)
{
    cors_regex *re = compile_ok("https://a\\.example\\.com");

    ck_assert_int_eq(cors_regex_match(re, "https://a.example.com.evil.com", 21), CORS_REGEX_MATCH);
    ck_assert_int_eq(cors_regex_match(re, "https://a.example.comx", 22), CORS_REGEX_NOMATCH);
}
END_TEST

/* ---- errors ---------------------------------------------------------------- */

/* A syntax error names the offset in the operator's pattern (PCRE2 reports
 * the missing ')' at the end, offset 10). */
START_TEST(test_regex_invalid)
{
    cors_regex *re = NULL;
    const char *err = cors_regex_compile(pool, "https://(a", &re);

    ck_assert_ptr_nonnull(err);
    ck_assert_msg(err[0] != '\0', "empty error message");
    ck_assert_msg(strstr(err, "10") != NULL, "error does not mention offset 10: %s", err);
}
END_TEST

START_TEST(test_regex_invalid_others)
{
    static const char *const bad[] = {"[a-", "(?<n", "a{2,1}", "*a", "\\"};
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cors_regex *re = NULL;
        const char *err = cors_regex_compile(pool, bad[i], &re);
        ck_assert_msg(err != NULL && err[0] != '\0', "'%s' compiled", bad[i]);
    }
}
END_TEST

/* ---- limits ------------------------------------------------------------------ */

/* Nested quantifiers against a near-miss: exponential backtracking. The
 * match limit must stop it and say so (LIMIT), never report a match. */
static const char *catastrophic_subject(int n)
{
    char *as = apr_palloc(pool, (apr_size_t)n + 1);

    memset(as, 'a', (size_t)n);
    as[n] = '\0';
    return apr_pstrcat(pool, "https://", as, "!.example.com", NULL);
}

START_TEST(test_regex_catastrophic)
{
    cors_regex *re = compile_ok("^https://([a-z0-9]+)+\\.example\\.com$");
    const char *subject = catastrophic_subject(30);
    cors_regex_result r;

    ck_assert_uint_eq(strlen(subject), 8 + 30 + 13);
    r = cors_regex_match(re, subject, strlen(subject));
    ck_assert_msg(r != CORS_REGEX_MATCH, "catastrophic pattern reported a match");
    ck_assert_msg(r == CORS_REGEX_LIMIT, "want LIMIT, got %s", result_name(r));
}
END_TEST

/* The limit is CORS_REGEX_MATCH_LIMIT, not PCRE2's default of 10 million:
 * with 19 letters this pattern needs roughly a million steps (PCRE2 10.42,
 * interpreter and JIT alike), so it only hits the configured limit. */
START_TEST(test_regex_configured_limit)
{
    cors_regex *re = compile_ok("^https://([a-z0-9]+)+\\.example\\.com$");
    const char *subject = catastrophic_subject(19);
    cors_regex_result r = cors_regex_match(re, subject, strlen(subject));

    ck_assert_msg(r == CORS_REGEX_LIMIT, "want LIMIT, got %s", result_name(r));
}
END_TEST

/* A pattern cannot raise the limits set by the caller with (*LIMIT_...). A
 * compile error is also acceptable; a match or an unbounded run is not. */
START_TEST(test_regex_inline_limit)
{
    static const char *const patterns[] = {
        "(*LIMIT_MATCH=4294967295)^https://([a-z0-9]+)+\\.example\\.com$",
        "(*LIMIT_DEPTH=4294967295)(*LIMIT_MATCH=4294967295)^https://([a-z0-9]+)+\\.example\\.com$",
        "(*LIMIT_HEAP=4294967295)(*LIMIT_MATCH=4294967295)^https://([a-z0-9]+)+\\.example\\.com$",
    };
    const char *subjects[2];
    size_t i;

    subjects[0] = catastrophic_subject(19);
    subjects[1] = catastrophic_subject(30);
    for (i = 0; i < 2 * sizeof(patterns) / sizeof(patterns[0]); i++) {
        const char *subject = subjects[i % 2];
        cors_regex *re = NULL;
        const char *err = cors_regex_compile(pool, patterns[i / 2], &re);
        cors_regex_result r;

        if (err != NULL) {
            continue;
        }
        r = cors_regex_match(re, subject, strlen(subject));
        ck_assert_msg(r != CORS_REGEX_MATCH, "%s on %s: reported a match", patterns[i / 2],
                      subject);
        ck_assert_msg(r == CORS_REGEX_LIMIT, "%s on %s: want LIMIT, got %s", patterns[i / 2],
                      subject, result_name(r));
    }
}
END_TEST

#define N_ELEMS(a) ((int)(sizeof(a) / sizeof((a)[0])))

Suite *regex_suite(void)
{
    Suite *s = suite_create("regex");
    TCase *tc;

    tc = tcase_create("match");
    tcase_add_checked_fixture(tc, unit_setup, unit_teardown);
    tcase_add_loop_test(tc, test_regex_match, 0, N_ELEMS(match_cases));
    tcase_add_test(tc, test_regex_respects_len);
    suite_add_tcase(s, tc);

    tc = tcase_create("errors");
    tcase_add_checked_fixture(tc, unit_setup, unit_teardown);
    tcase_add_test(tc, test_regex_invalid);
    tcase_add_test(tc, test_regex_invalid_others);
    suite_add_tcase(s, tc);

    tc = tcase_create("limits");
    tcase_add_checked_fixture(tc, unit_setup, unit_teardown);
    tcase_add_test(tc, test_regex_catastrophic);
    tcase_add_test(tc, test_regex_configured_limit);
    tcase_add_test(tc, test_regex_inline_limit);
    suite_add_tcase(s, tc);

    return s;
}
