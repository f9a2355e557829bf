/*
 * cors_lint: each pattern's findings, table-driven. Every attacker origin a
 * finding reports is matched again here, with PCRE2 called directly (not
 * through the core), under the target's semantics: a lint that reports an
 * origin the pattern does not accept fails the test.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <check.h>
#include <pcre2.h>
#include <string.h>

#include "check_suites.h"
#include "cors_core.h"
#include "unit_fixture.h"

#define K         CORS_SEMANTICS_KUBE
#define W         CORS_SEMANTICS_WHOLE
#define MAX_CODES 5

typedef struct {
    const char *pattern;
    cors_semantics semantics;
    /* Codes that must be reported (at warning or error severity, except the
     * notes any-port and not-analysed); NULL-terminated. An empty list means
     * the pattern is clean: no warning and no error at all. */
    const char *codes[MAX_CODES];
    const char *attacker; /* one attacker origin that must be named, or NULL */
} lint_case;

static const lint_case cases[] = {
    /* The seed article's "Security Best Practices", as kube-apiserver reads them. */
    {".*", K, {"match-all", "matches-null", "kube-validation"}, "https://evil.example"},
    {"http://dashboard.example.com",
     K,
     {"plain-http", "unanchored-end", "unescaped-dot"},
     "http://dashboard.example.com.evil.example"},
    {"https://*", K, {"match-all"}, "https://evil.example"},
    {"https://.*\\.example\\.com",
     K,
     {"unanchored-end", "wildcard-host"},
     "https://a.example.com.evil.example"},
    {"https://dashboard.example.com",
     K,
     {"unanchored-end", "unescaped-dot"},
     "https://dashboardxexample.com"},
    {"https://dashboard.prod.example.com", K, {"unanchored-end", "unescaped-dot"}, NULL},
    /* kube-apiserver's own filter and validation tables (V03-V39). */
    {"example.com",
     K,
     {"kube-validation", "unanchored-end", "unanchored-start", "unescaped-dot"},
     "https://example.com.evil.example"},
    {"//example.com(:|$)", K, {"unescaped-dot", "plain-http"}, "https://examplexcom"},
    {"^http://foo.com$", K, {"unescaped-dot", "plain-http"}, "http://fooxcom"},
    {"^http://foo.com", K, {"unanchored-end", "plain-http"}, "http://foo.com.evil.example"},
    {"://foo.com$", K, {"unescaped-dot", "plain-http"}, "https://fooxcom"},
    {"//foo.com$", K, {"unescaped-dot", "plain-http"}, NULL},
    {"^http://foo.com(:|$)", K, {"unescaped-dot", "plain-http"}, NULL},
    {"(^foo.com$)", K, {"never-matches"}, NULL},
    {"^foo.com", K, {"kube-validation", "never-matches"}, NULL},
    {"//foo.com", K, {"kube-validation", "unanchored-end"}, "https://foo.com.evil.example"},
    {"foo.com$", K, {"kube-validation", "unanchored-start"}, "https://evil-foo.com"},
    {"foo.com(:|$)", K, {"kube-validation", "unanchored-start"}, "https://evilfoo.com"},
    /* The bypasses (V39-V46, V56). */
    {"https://example\\.com", K, {"unanchored-end"}, "https://example.com.evil.example"},
    {"^https://dashboard\\.example\\.com",
     K,
     {"unanchored-end"},
     "https://dashboard.example.com.evil.example"},
    {"^https://dashboard.example.com$", K, {"unescaped-dot"}, "https://dashboardxexample.com"},
    {"//api.example.com(:|$)", K, {"unescaped-dot"}, "https://apixexample.com"},
    {"//example\\.com(:|$)", K, {"plain-http"}, "http://example.com"},
    {"^https?://(www|foo\\.)?(mywebsite.com)$", K, {"unescaped-dot", "plain-http"}, NULL},
    {"example\\.com$", K, {"unanchored-start", "kube-validation"}, "https://evil-example.com"},
    /* Go RE2 and PCRE2 disagree. */
    {"^https://(?=a)a\\.com$", K, {"re2-incompatible"}, NULL},
    {"^https://a\\.com\\Z", K, {"re2-incompatible"}, NULL},
    {"^https://(a)\\1\\.com$", K, {"re2-incompatible"}, NULL},
    {"^https://(?x)a\\.com$", K, {"re2-incompatible"}, NULL},
    {"^https://a\\v\\.com$", K, {"re2-differs"}, NULL},
    {"https://(", K, {"invalid-regex"}, NULL},
    /* Safe kube patterns: nothing to report but notes. */
    {"^https://dashboard\\.example\\.com$", K, {NULL}, NULL},
    {"^https://dashboard\\.example\\.com(:|$)", K, {NULL}, NULL},
    {"^https://[a-z0-9-]+\\.example\\.com$", K, {NULL}, NULL},
    /* The module's own whole-origin patterns: anchoring is implicit. */
    {"https://dashboard\\.example\\.com", W, {NULL}, NULL},
    {"https://[a-z0-9-]+\\.apps\\.example\\.com", W, {NULL}, NULL},
    {"https://dashboard.example.com", W, {"unescaped-dot"}, "https://dashboardxexample.com"},
    {"https://.*\\.example\\.com", W, {"wildcard-host"}, "https://evil.attacker.example.com"},
    {"https://.*example\\.com", W, {"wildcard-host", "sibling-domain"}, "https://evil-example.com"},
    {"https?://x\\.example\\.com", W, {"plain-http"}, "http://x.example.com"},
    {".*", W, {"match-all"}, "https://evil.example"},
    {"HTTPS://A\\.example\\.com", W, {"never-matches"}, NULL},
    /* Searched unanchored, an explicit port is only a prefix. */
    {"http://localhost:3000", K, {"plain-http", "port-prefix"}, "http://localhost:30001"},
    {"^https://localhost:6443", K, {"port-prefix"}, "https://localhost:64431"},
    /* No longer port exists: nothing to prove. */
    {"^https://localhost:65535", K, {NULL}, NULL},
    {"^https://localhost:3000$", K, {NULL}, NULL},
};

/* The pattern matches origin, by PCRE2 directly: kube searches the raw
 * value; the module matches the whole normalized origin. */
static int pattern_accepts(const char *pattern, cors_semantics semantics, const char *origin)
{
    int error, rc;
    PCRE2_SIZE offset;
    uint32_t options = PCRE2_DOLLAR_ENDONLY;
    pcre2_code *code;
    pcre2_match_data *data;
    cors_origin parsed;
    const char *subject = origin;
    size_t len = strlen(origin);

    if (semantics == W) {
        options |= PCRE2_ANCHORED | PCRE2_ENDANCHORED;
        ck_assert_int_eq(cors_origin_parse(origin, len, &parsed), CORS_ORIGIN_OK);
        subject = parsed.text;
        len = parsed.len;
    }
    code =
        pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, options, &error, &offset, NULL);
    ck_assert_ptr_nonnull(code);
    data = pcre2_match_data_create_from_pattern(code, NULL);
    rc = pcre2_match(code, (PCRE2_SPTR)subject, len, 0, 0, data, NULL);
    pcre2_match_data_free(data);
    pcre2_code_free(code);
    return rc >= 0;
}

static int has_code(const apr_array_header_t *findings, const char *code)
{
    for (int i = 0; i < findings->nelts; i++)
        if (strcmp(APR_ARRAY_IDX(findings, i, cors_finding).code, code) == 0)
            return 1;
    return 0;
}

START_TEST(test_lint_table)
{
    const lint_case *c = &cases[_i];
    apr_array_header_t *findings = apr_array_make(pool, 4, sizeof(cors_finding));
    int expected = 0, warnings = 0, named = c->attacker == NULL;

    cors_lint_pattern(pool, c->pattern, c->semantics, "t:1", findings);
    for (int k = 0; k < MAX_CODES && c->codes[k]; k++, expected++)
        ck_assert_msg(has_code(findings, c->codes[k]), "%s: no %s finding", c->pattern,
                      c->codes[k]);
    for (int i = 0; i < findings->nelts; i++) {
        const cors_finding *f = &APR_ARRAY_IDX(findings, i, cors_finding);
        ck_assert_str_eq(f->subject, c->pattern);
        ck_assert_str_eq(f->source, "t:1");
        ck_assert_ptr_nonnull(f->message);
        if (f->severity >= CORS_SEVERITY_WARNING)
            warnings++;
        if (f->attacker != NULL && strcmp(f->attacker, "null") != 0)
            ck_assert_msg(pattern_accepts(c->pattern, c->semantics, f->attacker),
                          "%s: reported %s, which it does not accept", c->pattern, f->attacker);
        if (f->attacker != NULL && c->attacker != NULL && strcmp(f->attacker, c->attacker) == 0)
            named = 1;
        if (f->suggestion != NULL && strncmp(f->suggestion, "^", 1) == 0 && f->attacker &&
            strcmp(f->attacker, "null") != 0)
            ck_assert_msg(!pattern_accepts(f->suggestion, c->semantics, f->attacker),
                          "%s: suggestion %s still accepts %s", c->pattern, f->suggestion,
                          f->attacker);
    }
    ck_assert_msg(named, "%s: attacker %s not named", c->pattern, c->attacker);
    if (expected == 0)
        ck_assert_msg(warnings == 0, "%s: clean pattern got %d warnings", c->pattern, warnings);
}
END_TEST

/* The suggested fix accepts what the pattern was meant for and none of
 * the attacker origins reported for it. */
START_TEST(test_suggestions_fix)
{
    static const struct {
        const char *pattern, *intended;
    } fixes[] = {
        {"https://dashboard.example.com", "https://dashboard.example.com"},
        {"//api.example.com(:|$)", "https://api.example.com"},
        {"https://.*\\.example\\.com", "https://team1.example.com"},
        {"example\\.com$", "https://example.com"},
    };
    for (size_t k = 0; k < sizeof(fixes) / sizeof(fixes[0]); k++) {
        apr_array_header_t *findings = apr_array_make(pool, 4, sizeof(cors_finding));
        const char *suggestion = NULL;
        cors_lint_pattern(pool, fixes[k].pattern, K, NULL, findings);
        for (int i = 0; i < findings->nelts; i++)
            if (APR_ARRAY_IDX(findings, i, cors_finding).suggestion)
                suggestion = APR_ARRAY_IDX(findings, i, cors_finding).suggestion;
        ck_assert_msg(suggestion != NULL, "%s: no suggestion", fixes[k].pattern);
        ck_assert_msg(pattern_accepts(suggestion, K, fixes[k].intended), "%s rejects %s",
                      suggestion, fixes[k].intended);
        for (int i = 0; i < findings->nelts; i++) {
            const cors_finding *f = &APR_ARRAY_IDX(findings, i, cors_finding);
            if (f->attacker && strcmp(f->code, "any-port") != 0)
                ck_assert_msg(!pattern_accepts(suggestion, K, f->attacker), "%s still accepts %s",
                              suggestion, f->attacker);
        }
    }
}
END_TEST

/* What each table pattern that gets a suggestion is meant for. */
static const struct {
    const char *pattern, *intended;
} intended_origins[] = {
    {"http://dashboard.example.com", "http://dashboard.example.com"},
    {"https://.*\\.example\\.com", "https://team1.example.com"},
    {"https://dashboard.example.com", "https://dashboard.example.com"},
    {"https://dashboard.prod.example.com", "https://dashboard.prod.example.com"},
    {"example.com", "https://example.com"},
    {"//example.com(:|$)", "https://example.com"},
    {"^http://foo.com$", "http://foo.com"},
    {"^http://foo.com", "http://foo.com"},
    {"://foo.com$", "https://foo.com"},
    {"//foo.com$", "https://foo.com"},
    {"^http://foo.com(:|$)", "http://foo.com"},
    {"(^foo.com$)", "https://foo.com"},
    {"^foo.com", "https://foo.com"},
    {"//foo.com", "https://foo.com"},
    {"foo.com$", "https://foo.com"},
    {"foo.com(:|$)", "https://foo.com"},
    {"https://example\\.com", "https://example.com"},
    {"^https://dashboard\\.example\\.com", "https://dashboard.example.com"},
    {"^https://dashboard.example.com$", "https://dashboard.example.com"},
    {"//api.example.com(:|$)", "https://api.example.com"},
    {"//example\\.com(:|$)", "https://example.com"},
    {"^https?://(www|foo\\.)?(mywebsite.com)$", "https://mywebsite.com"},
    {"example\\.com$", "https://example.com"},
    {"https://dashboard.example.com", "https://dashboard.example.com"},
    {"https://.*example\\.com", "https://example.com"},
    {"https?://x\\.example\\.com", "https://x.example.com"},
    {"HTTPS://A\\.example\\.com", "https://a.example.com"},
    {"http://localhost:3000", "http://localhost:3000"},
    {"^https://localhost:6443", "https://localhost:6443"},
};

/* The findings a suggested pattern may still have: those no rewrite can
 * fix without changing the intended origin. */
static const char *const unfixable[] = {"plain-http"};

/* Every suggestion the table produces (per entry), linted again: nothing
 * left but unfixable findings, and the intended origin still accepted. */
START_TEST(test_suggestions_relint_clean)
{
    const lint_case *c = &cases[_i];
    apr_array_header_t *findings = apr_array_make(pool, 4, sizeof(cors_finding));
    const char *intended = NULL;

    for (size_t k = 0; k < sizeof(intended_origins) / sizeof(intended_origins[0]); k++)
        if (strcmp(intended_origins[k].pattern, c->pattern) == 0)
            intended = intended_origins[k].intended;
    cors_lint_pattern(pool, c->pattern, c->semantics, "t:1", findings);
    for (int i = 0; i < findings->nelts; i++) {
        const cors_finding *f = &APR_ARRAY_IDX(findings, i, cors_finding);
        apr_array_header_t *again = apr_array_make(pool, 4, sizeof(cors_finding));
        if (f->suggestion == NULL)
            continue;
        ck_assert_msg(intended != NULL, "%s: suggestion %s for an unlisted pattern", c->pattern,
                      f->suggestion);
        ck_assert_msg(pattern_accepts(f->suggestion, c->semantics, intended),
                      "%s: suggestion %s rejects %s", c->pattern, f->suggestion, intended);
        cors_lint_pattern(pool, f->suggestion, c->semantics, "t:2", again);
        for (int k = 0; k < again->nelts; k++) {
            const cors_finding *g = &APR_ARRAY_IDX(again, k, cors_finding);
            int allowed = g->severity < CORS_SEVERITY_WARNING;
            for (size_t u = 0; u < sizeof(unfixable) / sizeof(unfixable[0]); u++)
                allowed |= strcmp(g->code, unfixable[u]) == 0;
            ck_assert_msg(allowed, "%s: suggestion %s still has %s (%s)", c->pattern, f->suggestion,
                          g->code, g->attacker ? g->attacker : "");
            ck_assert_msg(!g->suggestion, "%s: suggestion %s gets a suggestion %s", c->pattern,
                          f->suggestion, g->suggestion);
        }
    }
}
END_TEST

START_TEST(test_lint_origins)
{
    apr_array_header_t *findings = apr_array_make(pool, 4, sizeof(cors_finding));
    cors_lint_origin(pool, "http://dashboard.example.com", "t:1", findings);
    cors_lint_origin(pool, "*", "t:2", findings);
    cors_lint_origin(pool, "null", "t:3", findings);
    cors_lint_origin(pool, "https://dashboard.example.com", "t:4", findings);
    ck_assert_int_eq(findings->nelts, 3);
    ck_assert_str_eq(APR_ARRAY_IDX(findings, 0, cors_finding).code, "plain-http");
    ck_assert_str_eq(APR_ARRAY_IDX(findings, 1, cors_finding).code, "match-all");
    ck_assert_str_eq(APR_ARRAY_IDX(findings, 2, cors_finding).code, "null-origin");
}
END_TEST

/* K8sCorsStrict turns warnings into errors, except the max-age note that is
 * harmless; the policy lint covers rules and their own settings. */
START_TEST(test_policy_lint_and_strict)
{
    cors_policy *p = cors_policy_make(pool);
    cors_settings *own = cors_settings_make(pool);
    apr_array_header_t *findings;
    int max_age = 0, plain = 0;

    ck_assert_ptr_null(cors_settings_set_max_age(pool, own, "86400", "t:9"));
    ck_assert_ptr_null(
        cors_policy_add_origin_with(pool, p, "http://a.example.com", "t:1", own, "a"));
    ck_assert_ptr_null(cors_policy_add_kube_origins(pool, p, "//b\\.example\\.com(:|$)", "t:2"));
    findings = cors_lint_policy(pool, p);
    for (int i = 0; i < findings->nelts; i++) {
        const cors_finding *f = &APR_ARRAY_IDX(findings, i, cors_finding);
        if (strcmp(f->code, "max-age-capped") == 0) {
            max_age++;
            ck_assert_int_eq(cors_finding_effective_severity(f, 1), CORS_SEVERITY_WARNING);
            ck_assert_str_eq(f->source, "t:9");
        }
        if (strcmp(f->code, "plain-http") == 0) {
            plain++;
            ck_assert_int_eq(cors_finding_effective_severity(f, 0), CORS_SEVERITY_WARNING);
            ck_assert_int_eq(cors_finding_effective_severity(f, 1), CORS_SEVERITY_ERROR);
        }
    }
    ck_assert_int_eq(max_age, 1);
    ck_assert_int_eq(plain, 2); /* the http origin, and http:// accepted by the kube pattern */
    ck_assert_ptr_nonnull(
        strstr(cors_finding_format(pool, &APR_ARRAY_IDX(findings, 0, cors_finding), 1), "t:"));
}
END_TEST

START_TEST(test_regex_escape)
{
    ck_assert_str_eq(cors_regex_escape(pool, "https://a.b.com"), "https://a\\.b\\.com");
    ck_assert_str_eq(cors_regex_escape(pool, "a+b(c)|d*$^"), "a\\+b\\(c\\)\\|d\\*\\$\\^");
}
END_TEST

static int count_code(apr_array_header_t *findings, const char *code)
{
    int n = 0;
    for (int i = 0; i < findings->nelts; i++)
        n += strcmp(APR_ARRAY_IDX(findings, i, cors_finding).code, code) == 0;
    return n;
}

START_TEST(test_wildcards_with_credentials)
{
    cors_policy *p = cors_policy_make(pool);
    cors_token_list *star;
    ck_assert_ptr_null(cors_policy_add_origin(pool, p, "https://a.example.com", "t:1"));
    ck_assert_ptr_null(cors_token_list_parse(pool, "*", 1, &star));
    p->settings.headers = star;
    p->settings.expose = star;
    /* Credentials on (the default): answered by name, and an expose `*`
     * that exposes nothing. */
    ck_assert_int_eq(count_code(cors_lint_policy(pool, p), "wildcard-answered-by-name"), 1);
    ck_assert_int_eq(count_code(cors_lint_policy(pool, p), "wildcard-expose-credentials"), 1);
    p->settings.credentials = 0;
    ck_assert_int_eq(count_code(cors_lint_policy(pool, p), "wildcard-answered-by-name"), 0);
    ck_assert_int_eq(count_code(cors_lint_policy(pool, p), "wildcard-expose-credentials"), 0);
}
END_TEST

START_TEST(test_impersonation_with_credentials)
{
    cors_policy *p = cors_policy_make(pool);
    cors_settings *own = cors_settings_make(pool);
    cors_token_list *list;
    apr_array_header_t *findings;
    const cors_finding *f = NULL;

    ck_assert_ptr_null(cors_policy_add_origin(pool, p, "https://console.example.com", "t:1"));
    own->credentials = 0;
    ck_assert_ptr_null(
        cors_policy_add_origin_with(pool, p, "https://viewer.example.com", "t:2", own, NULL));
    ck_assert_ptr_null(
        cors_client_profile_apply(pool, &p->settings, cors_client_profile_find("kubernetes")));
    /* The profile grants impersonation: warned for the origin with
     * credentials, not for the one without. */
    findings = cors_lint_policy(pool, p);
    ck_assert_int_eq(count_code(findings, "impersonation-with-credentials"), 1);
    for (int i = 0; i < findings->nelts; i++)
        if (strcmp(APR_ARRAY_IDX(findings, i, cors_finding).code,
                   "impersonation-with-credentials") == 0)
            f = &APR_ARRAY_IDX(findings, i, cors_finding);
    ck_assert_str_eq(f->subject, "https://console.example.com");
    ck_assert_ptr_nonnull(strstr(f->message, "Impersonate-User"));
    ck_assert_ptr_nonnull(strstr(f->message, "Impersonate-Extra-<key>"));
    ck_assert_int_eq(cors_finding_effective_severity(f, 1), CORS_SEVERITY_WARNING);
    /* A prefix alone is enough. */
    ck_assert_ptr_null(cors_header_list_parse(pool, "Content-Type Impersonate-Extra-*", &list));
    p->settings.headers = list;
    ck_assert_int_eq(count_code(cors_lint_policy(pool, p), "impersonation-with-credentials"), 1);
    /* Without impersonation headers: nothing to say. */
    ck_assert_ptr_null(cors_header_list_parse(pool, "Content-Type Authorization", &list));
    p->settings.headers = list;
    ck_assert_int_eq(count_code(cors_lint_policy(pool, p), "impersonation-with-credentials"), 0);
}
END_TEST

Suite *lint_suite(void)
{
    Suite *s = suite_create("lint");
    TCase *tc = tcase_create("patterns");
    tcase_add_checked_fixture(tc, unit_setup, unit_teardown);
    tcase_add_loop_test(tc, test_lint_table, 0, (int)(sizeof(cases) / sizeof(cases[0])));
    tcase_add_test(tc, test_suggestions_fix);
    tcase_add_loop_test(tc, test_suggestions_relint_clean, 0,
                        (int)(sizeof(cases) / sizeof(cases[0])));
    tcase_add_test(tc, test_lint_origins);
    tcase_add_test(tc, test_policy_lint_and_strict);
    tcase_add_test(tc, test_regex_escape);
    tcase_add_test(tc, test_wildcards_with_credentials);
    tcase_add_test(tc, test_impersonation_with_credentials);
    suite_add_tcase(s, tc);
    return s;
}
