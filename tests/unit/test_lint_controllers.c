/*
 * The controllers' CORS settings: ingress-nginx annotations and Gateway API
 * allowOrigins. Every attacker origin a finding names is matched again here
 * under the controller's rules, written independently of the lint: for
 * ingress-nginx, the regex its template writes, built the way its Go code
 * builds it and run by PCRE2 directly; for the Gateway API, fnmatch(3) on
 * the host with the default ports the specification states.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <check.h>
#include <fnmatch.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <apr_strings.h>

#include "check_suites.h"
#include "cors_core.h"
#include "unit_fixture.h"

/* regexp.QuoteMeta, then the first `\*` made one label. */
static void go_quote(char *out, const char *entry)
{
    int replaced = 0;
    for (const char *e = entry; *e; e++) {
        if (*e == '*' && !replaced) {
            strcpy(out, "[A-Za-z0-9\\-]+");
            out += strlen(out);
            replaced = 1;
            continue;
        }
        if (strchr("\\.+*?()|[]{}^$", *e) != NULL)
            *out++ = '\\';
        *out++ = *e;
    }
    *out = '\0';
}

/* ingress-nginx with a cors-allow-origin value already split and trimmed
 * (no `*` entry): `$http_origin ~* ((E1)|(E2))$`, the separator after every
 * non-empty entry but the last listed. */
static int nginx_regex_accepts(const char *const *entries, int n, const char *origin)
{
    char regex[2048] = "((", quoted[512];
    int error, rc;
    PCRE2_SIZE offset;
    pcre2_code *code;
    pcre2_match_data *data;

    for (int i = 0; i < n; i++) {
        if (entries[i][0] == '\0')
            continue;
        go_quote(quoted, entries[i]);
        strcat(regex, "(");
        strcat(regex, quoted);
        strcat(regex, ")");
        if (i != n - 1)
            strcat(regex, "|");
    }
    strcat(regex, "))$");
    code = pcre2_compile((PCRE2_SPTR)regex, PCRE2_ZERO_TERMINATED, PCRE2_CASELESS, &error, &offset,
                         NULL);
    ck_assert_ptr_nonnull(code);
    data = pcre2_match_data_create_from_pattern(code, NULL);
    rc = pcre2_match(code, (PCRE2_SPTR)origin, strlen(origin), 0, 0, data, NULL);
    pcre2_match_data_free(data);
    pcre2_code_free(code);
    return rc >= 0;
}

static const cors_finding *find(const apr_array_header_t *findings, const char *code)
{
    for (int i = 0; i < findings->nelts; i++)
        if (strcmp(APR_ARRAY_IDX(findings, i, cors_finding).code, code) == 0)
            return &APR_ARRAY_IDX(findings, i, cors_finding);
    return NULL;
}

static int warnings(const apr_array_header_t *findings)
{
    int n = 0;
    for (int i = 0; i < findings->nelts; i++)
        n += APR_ARRAY_IDX(findings, i, cors_finding).severity >= CORS_SEVERITY_WARNING;
    return n;
}

typedef struct {
    const char *value; /* cors-allow-origin, NULL: absent */
    const char *code;  /* expected finding, NULL: no warning */
    const char *attacker;
    /* The entries the template gets, for the independent regex; NULL when
     * the controller falls back to `*`. */
    const char *entries[4];
    int nentries;
    const char *fixed; /* the expected verified replacement, or NULL */
} nginx_case;

static const nginx_case nginx_cases[] = {
    {NULL, "match-all", "https://evil.example", {NULL}, 0, NULL},
    {"*", "match-all", "https://evil.example", {NULL}, 0, NULL},
    {" ", "invalid-annotation", "https://evil.example", {NULL}, 0, NULL},
    {"https://dashboard.example.com, *",
     "match-all",
     "https://evil.example",
     {NULL},
     0,
     "https://dashboard.example.com"},
    /* The validator refuses a path (here a trailing slash): `*`. */
    {"https://dashboard.example.com/",
     "invalid-annotation",
     "https://evil.example",
     {NULL},
     0,
     "https://dashboard.example.com"},
    /* A trailing comma: an empty last alternative. */
    {"https://dashboard.example.com,",
     "match-all",
     "https://evil.example",
     {"https://dashboard.example.com", ""},
     2,
     "https://dashboard.example.com"},
    {"https://dashboard.example.com, null",
     "null-origin",
     "null",
     {"https://dashboard.example.com", "null"},
     2,
     "https://dashboard.example.com"},
    {"https://dashboard.example.com,http://legacy.example.com",
     "plain-http",
     "http://legacy.example.com",
     {"https://dashboard.example.com", "http://legacy.example.com"},
     2,
     NULL},
    /* Without a scheme the validator passes it and the parser skips it. */
    {"dashboard.example.com, https://grafana.example.com",
     "ignored-entry",
     NULL,
     {"https://grafana.example.com"},
     1,
     "https://dashboard.example.com,https://grafana.example.com"},
    /* The test is textual: a browser never sends ":443". */
    {"https://dashboard.example.com:443",
     "never-matches",
     NULL,
     {"https://dashboard.example.com:443"},
     1,
     "https://dashboard.example.com"},
    {"https://dashboard.example.com, https://*.apps.example.com",
     NULL,
     NULL,
     {"https://dashboard.example.com", "https://*.apps.example.com"},
     2,
     NULL},
};

START_TEST(test_ingress_nginx)
{
    const nginx_case *c = &nginx_cases[_i];
    apr_array_header_t *findings = apr_array_make(pool, 4, sizeof(cors_finding));
    const char *fixed = cors_lint_ingress_nginx(pool, c->value, NULL, "ing.yaml:9", findings);
    const cors_finding *f = c->code ? find(findings, c->code) : NULL;
    const char *subject = c->value ? c->value : "(absent)";

    if (c->code == NULL) {
        ck_assert_msg(warnings(findings) == 0, "%s: %d warnings", subject, warnings(findings));
    } else {
        ck_assert_msg(f != NULL, "%s: no %s", subject, c->code);
        ck_assert_str_eq(f->source, "ing.yaml:9");
        if (c->attacker) {
            ck_assert_msg(f->attacker && strcmp(f->attacker, c->attacker) == 0, "%s: attacker %s",
                          subject, f->attacker ? f->attacker : "(none)");
            /* Under the controller's rules: `*`, or the regex it writes. */
            ck_assert_msg(c->nentries == 0 ||
                              nginx_regex_accepts(c->entries, c->nentries, f->attacker),
                          "%s: ingress-nginx would not accept %s", subject, f->attacker);
        }
    }
    for (int i = 0; i < findings->nelts; i++) {
        const cors_finding *g = &APR_ARRAY_IDX(findings, i, cors_finding);
        if (g->attacker && c->nentries > 0)
            ck_assert_msg(nginx_regex_accepts(c->entries, c->nentries, g->attacker),
                          "%s: %s names %s, which ingress-nginx refuses", subject, g->code,
                          g->attacker);
    }
    if (c->fixed == NULL) {
        ck_assert_msg(fixed == NULL, "%s: unexpected fix %s", subject, fixed);
    } else {
        apr_array_header_t *again = apr_array_make(pool, 4, sizeof(cors_finding));
        ck_assert_msg(fixed && strcmp(fixed, c->fixed) == 0, "%s: fix %s", subject,
                      fixed ? fixed : "(none)");
        ck_assert_ptr_null(cors_lint_ingress_nginx(pool, fixed, NULL, NULL, again));
        ck_assert_msg(warnings(again) == 0, "%s: the fix %s has warnings", subject, fixed);
    }
}
END_TEST

/* The credentials default is true: with an empty alternative the echoed
 * origin is credentialed; "false" says so. */
START_TEST(test_ingress_nginx_credentials)
{
    apr_array_header_t *findings = apr_array_make(pool, 4, sizeof(cors_finding));
    cors_lint_ingress_nginx(pool, "https://a.example.com,", NULL, NULL, findings);
    ck_assert_ptr_nonnull(strstr(find(findings, "match-all")->message, "with credentials"));
    findings = apr_array_make(pool, 4, sizeof(cors_finding));
    cors_lint_ingress_nginx(pool, "https://a.example.com,", "false", NULL, findings);
    ck_assert_ptr_null(strstr(find(findings, "match-all")->message, "with credentials"));
    {
        /* What never-matches claims for ":443", under the template's regex. */
        const char *with_port[] = {"https://a.example.com:443"};
        ck_assert(!nginx_regex_accepts(with_port, 1, "https://a.example.com"));
    }
    ck_assert(!cors_ingress_nginx_accepts(pool, "https://a.example.com", "https://b.example.com"));
    ck_assert(cors_ingress_nginx_accepts(pool, "https://A.example.com", "https://a.example.com"));
    ck_assert(
        !cors_ingress_nginx_accepts(pool, "https://a.example.com", "https://a.example.com:8443"));
}
END_TEST

/* The Gateway API's rules, written from the specification: scheme and
 * port equal (the scheme's default when absent), `*` in the host any run of
 * characters, dots included. */
static int spec_accepts(const char *entry, const char *origin)
{
    char escheme[16], ehost[256], oscheme[16], ohost[256];
    int eport = 0, oport = 0;
    if (strcmp(entry, "*") == 0)
        return 1;
    if (sscanf(entry, "%15[^:]://%255[^:]:%d", escheme, ehost, &eport) < 2 ||
        sscanf(origin, "%15[^:]://%255[^:]:%d", oscheme, ohost, &oport) < 2)
        return 0;
    if (eport == 0)
        eport = strcasecmp(escheme, "https") == 0 ? 443 : 80;
    if (oport == 0)
        oport = strcasecmp(oscheme, "https") == 0 ? 443 : 80;
    return strcasecmp(escheme, oscheme) == 0 && eport == oport &&
           fnmatch(ehost, ohost, FNM_CASEFOLD) == 0;
}

typedef struct {
    const char *origins[3];
    int credentials;
    const char *code; /* expected, NULL: no warning or error */
    const char *attacker;
} gateway_case;

static const gateway_case gateway_cases[] = {
    {{"*"}, 1, "match-all", "https://evil.example"},
    {{"https://*"}, 0, "match-all", "https://evil.example"},
    {{"https://*.example.com"}, 0, "wildcard-host", "https://evil.attacker.example.com"},
    {{"https://*example.com"}, 0, "sibling-domain", "https://evil-example.com"},
    {{"http://legacy.example.com"}, 0, "plain-http", "http://legacy.example.com"},
    {{"https://dashboard.example.com/"}, 0, "invalid-origin", NULL},
    {{"dashboard.example.com"}, 0, "invalid-origin", NULL},
    {{"*", "https://dashboard.example.com"}, 0, "invalid-origin", NULL},
    {{"https://dashboard.example.com", "https://grafana.example.com:8443"}, 1, NULL, NULL},
    {{"https://dashboard.example.com:443"}, 1, NULL, NULL},
};

START_TEST(test_gateway_api)
{
    const gateway_case *c = &gateway_cases[_i];
    apr_array_header_t *origins = apr_array_make(pool, 3, sizeof(const char *));
    apr_array_header_t *sources = apr_array_make(pool, 3, sizeof(const char *));
    apr_array_header_t *findings = apr_array_make(pool, 4, sizeof(cors_finding));
    const cors_finding *f;

    for (int k = 0; k < 3 && c->origins[k]; k++) {
        APR_ARRAY_PUSH(origins, const char *) = c->origins[k];
        APR_ARRAY_PUSH(sources, const char *) = apr_psprintf(pool, "route.yaml:%d", 20 + k);
    }
    cors_lint_gateway_origins(pool, origins, sources, c->credentials, findings);
    if (c->code == NULL) {
        ck_assert_msg(warnings(findings) == 0, "%s: %d warnings", c->origins[0],
                      warnings(findings));
        return;
    }
    f = find(findings, c->code);
    ck_assert_msg(f != NULL, "%s: no %s", c->origins[0], c->code);
    ck_assert_ptr_nonnull(strstr(f->source, "route.yaml:2"));
    if (c->attacker)
        ck_assert_msg(f->attacker && strcmp(f->attacker, c->attacker) == 0, "%s: attacker %s",
                      c->origins[0], f->attacker ? f->attacker : "(none)");
    for (int i = 0; i < findings->nelts; i++) {
        const cors_finding *g = &APR_ARRAY_IDX(findings, i, cors_finding);
        if (g->attacker)
            ck_assert_msg(spec_accepts(g->subject, g->attacker),
                          "%s names %s, which the Gateway API rules refuse", g->subject,
                          g->attacker);
    }
}
END_TEST

START_TEST(test_gateway_matching)
{
    ck_assert(cors_gateway_origin_accepts("https://*.example.com", "https://a.b.example.com"));
    ck_assert(!cors_gateway_origin_accepts("https://*.example.com", "https://example.com"));
    ck_assert(!cors_gateway_origin_accepts("https://*.example.com", "https://evilexample.com"));
    ck_assert(cors_gateway_origin_accepts("https://a.example.com:443", "https://a.example.com"));
    ck_assert(!cors_gateway_origin_accepts("https://a.example.com", "https://a.example.com:8443"));
    ck_assert(!cors_gateway_origin_accepts("https://a.example.com", "http://a.example.com"));
    ck_assert(cors_gateway_origin_accepts("http://localhost:3000", "http://localhost:3000"));
    ck_assert(!cors_gateway_origin_accepts("http://localhost:3000", "http://localhost:30001"));
}
END_TEST

Suite *lint_controllers_suite(void)
{
    Suite *s = suite_create("lint_controllers");
    TCase *tc = tcase_create("controllers");
    tcase_add_checked_fixture(tc, unit_setup, unit_teardown);
    tcase_add_loop_test(tc, test_ingress_nginx, 0,
                        (int)(sizeof(nginx_cases) / sizeof(nginx_cases[0])));
    tcase_add_test(tc, test_ingress_nginx_credentials);
    tcase_add_loop_test(tc, test_gateway_api, 0,
                        (int)(sizeof(gateway_cases) / sizeof(gateway_cases[0])));
    tcase_add_test(tc, test_gateway_matching);
    suite_add_tcase(s, tc);
    return s;
}
