/*
 * Matching an origin against a policy's rules: the exact origins (a hash
 * of normalized origins), the pattern index (cors_matcher.c) against trying
 * every pattern in order, and the literal reader that files patterns.
 */
#include <stdio.h>
#include <string.h>

#include "check_suites.h"
#include "cors_matcher.h"
#include "cors_policy.h"
#include "unit_fixture.h"

static const cors_rule *match(const cors_policy *p, const char *text)
{
    cors_origin origin;
    const cors_rule *rule = NULL;
    ck_assert_int_eq(cors_origin_parse(text, strlen(text), &origin), CORS_ORIGIN_OK);
    return cors_policy_match_raw(p, origin.text, origin.len, &origin, &rule) == CORS_MATCH_RULE
               ? rule
               : NULL;
}

/* Many exact origins: each found as its own rule, neighbours absent, and
 * naming one again with the same settings keeps the first rule. */
START_TEST(test_many_exact_origins)
{
    enum { N = 20000 };
    cors_policy *p = cors_policy_make(pool);
    char text[64];

    for (int i = 0; i < N; i++) {
        snprintf(text, sizeof(text), "https://host-%d.example.com", i);
        ck_assert_ptr_null(cors_policy_add_origin(pool, p, text, "t:1"));
    }
    for (int i = 0; i < N; i++) {
        const cors_rule *rule;
        snprintf(text, sizeof(text), "https://host-%d.example.com", i);
        rule = match(p, text);
        ck_assert_msg(rule != NULL && strcmp(rule->text, text) == 0, "%s: %s", text,
                      rule ? rule->text : "no rule");
        /* The normalized origin is the key: case and the default port
         * name the same origin. */
        snprintf(text, sizeof(text), "https://HOST-%d.example.com:443", i);
        ck_assert_ptr_eq(match(p, text), rule);
    }
    for (int i = 0; i < 1000; i++) {
        snprintf(text, sizeof(text), "https://host-%d.example.com", N + i);
        ck_assert_ptr_null(match(p, text));
        snprintf(text, sizeof(text), "https://host-%d.example.co", i);
        ck_assert_ptr_null(match(p, text));
        snprintf(text, sizeof(text), "http://host-%d.example.com", i);
        ck_assert_ptr_null(match(p, text));
    }
    ck_assert_ptr_null(cors_policy_add_origin(pool, p, "https://host-42.example.com", "t:2"));
    ck_assert_str_eq(match(p, "https://host-42.example.com")->source, "t:1");
}
END_TEST

/* The reader returns the literal tail and head every match has, and gives
 * up where it could not be sure. */
START_TEST(test_literals)
{
    static const struct {
        const char *pattern;
        int understood;
        const char *tail, *head;
    } cases[] = {
        {"https://team[0-9]+-7\\.apps\\.example\\.com", 1, "-7.apps.example.com", "https://team"},
        {"https://[a-z]+\\.EXAMPLE\\.com", 1, ".example.com", "https://"},
        {"https://a\\.example\\.com(:[0-9]+)?", 1, "", "https://a.example.com"},
        {"https://.*", 1, "", "https://"},
        {"https://a\\.example\\.com|https://b\\.example\\.com", 0, "", ""},
        {"(?x)https://a\\.example\\.com", 0, "", ""},
        {"https://\\Qa.example.com\\E", 0, "", ""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cors_pattern_literals lit;
        int understood = cors_pattern_literals_read(cases[i].pattern, &lit);
        ck_assert_msg(understood == cases[i].understood, "%s: understood %d", cases[i].pattern,
                      understood);
        if (!understood)
            continue;
        ck_assert_msg(lit.tail_len == strlen(cases[i].tail) &&
                          memcmp(lit.tail, cases[i].tail, lit.tail_len) == 0,
                      "%s: tail \"%.*s\", want \"%s\"", cases[i].pattern, (int)lit.tail_len,
                      lit.tail, cases[i].tail);
        ck_assert_msg(lit.head_len == strlen(cases[i].head) &&
                          memcmp(lit.head, cases[i].head, lit.head_len) == 0,
                      "%s: head \"%.*s\", want \"%s\"", cases[i].pattern, (int)lit.head_len,
                      lit.head, cases[i].head);
    }
}
END_TEST

/* Through the index, the first pattern in configuration order that
 * matches wins, as when every pattern is tried: whether it has a tail, a
 * head, neither, or is a kube entry searched unanchored. */
START_TEST(test_index_agrees_with_trying_every_pattern)
{
    static const char *const patterns[] = {
        "https://[a-z]+\\.apps\\.example\\.com", "https://team[0-9]+\\.example\\.com",
        "https://(dev|stage)\\.example\\.com",   "https://.*\\.example\\.org",
        "https://a\\.example\\.com(:[0-9]+)?",
    };
    static const char *const origins[] = {
        "https://x.apps.example.com", "https://team7.example.com",
        "https://dev.example.com",    "https://a.b.example.org",
        "https://a.example.com:8443", "https://a.example.com",
        "https://evil.com",           "https://team.example.com",
        "https://apps.example.com",   "https://x.apps.example.com.evil.com",
        "http://x.apps.example.com",  "https://kube.example.net",
    };
    cors_policy *p = cors_policy_make(pool);
    for (size_t i = 0; i < sizeof(patterns) / sizeof(patterns[0]); i++)
        ck_assert_ptr_null(cors_policy_add_pattern(pool, p, patterns[i], "t:1"));
    ck_assert_ptr_null(cors_policy_add_kube_origins(pool, p, "kube\\.example\\.net$", "t:2"));
    ck_assert_int_eq(cors_matcher_count(p->matcher), p->patterns->nelts);

    for (size_t i = 0; i < sizeof(origins) / sizeof(origins[0]); i++) {
        cors_origin origin;
        const cors_rule *indexed = NULL, *linear = NULL;
        cors_match_result a, b;
        ck_assert_int_eq(cors_origin_parse(origins[i], strlen(origins[i]), &origin),
                         CORS_ORIGIN_OK);
        a = cors_matcher_match(p->matcher, p->patterns, origins[i], strlen(origins[i]), &origin,
                               &indexed);
        b = cors_matcher_match_linear(p->patterns, origins[i], strlen(origins[i]), &origin,
                                      &linear);
        ck_assert_msg(a == b && indexed == linear, "%s: index %d (%s), linear %d (%s)", origins[i],
                      a, indexed ? indexed->text : "-", b, linear ? linear->text : "-");
    }
    /* and it does decide: the first two match, the suffix attack does not */
    ck_assert_str_eq(match(p, "https://x.apps.example.com")->text, patterns[0]);
    ck_assert_str_eq(match(p, "https://team7.example.com")->text, patterns[1]);
    ck_assert_ptr_null(match(p, "https://x.apps.example.com.evil.com"));
}
END_TEST

Suite *matcher_suite(void)
{
    Suite *s = suite_create("matcher");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, unit_setup, unit_teardown);
    tcase_add_test(tc, test_many_exact_origins);
    tcase_add_test(tc, test_literals);
    tcase_add_test(tc, test_index_agrees_with_trying_every_pattern);
    suite_add_tcase(s, tc);
    return s;
}
