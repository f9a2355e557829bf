/*
 * cors_policy: building a policy from configuration, matching origins
 * against it, inheritance between levels, and combinations refused.
 */
#include <string.h>

#include <apr_pools.h>
#include <check.h>

#include "check_suites.h"
#include "cors_policy.h"
#include "unit_fixture.h"

#define N_ELEMS(a) ((int)(sizeof(a) / sizeof((a)[0])))

static void add_origin(cors_policy *p, const char *text)
{
    const char *err = cors_policy_add_origin(pool, p, text, "test.conf:1");

    ck_assert_msg(err == NULL, "add_origin '%s': %s", text, err);
}

static void add_pattern(cors_policy *p, const char *pattern)
{
    const char *err = cors_policy_add_pattern(pool, p, pattern, "test.conf:2");

    ck_assert_msg(err == NULL, "add_pattern '%s': %s", pattern, err);
}

static const cors_token_list *make_list(const char *text, int case_insensitive)
{
    cors_token_list *l = NULL;

    ck_assert_ptr_null(cors_token_list_parse(pool, text, case_insensitive, &l));
    return l;
}

/* Parses a request origin and matches it; returns the rule or NULL. */
static const cors_rule *match(const cors_policy *p, const char *origin)
{
    cors_origin o;
    const cors_rule *rule = NULL;
    cors_match_result r;

    ck_assert_msg(cors_origin_parse(origin, strlen(origin), &o) == CORS_ORIGIN_OK,
                  "test origin '%s' does not parse", origin);
    r = cors_policy_match_raw(p, o.text, o.len, &o, &rule);
    if (r == CORS_MATCH_RULE) {
        ck_assert_ptr_nonnull(rule);
        return rule;
    }
    ck_assert_msg(r == CORS_MATCH_NONE, "'%s': match result %d", origin, (int)r);
    return NULL;
}

/* ---- adding origins ---------------------------------------------------------- */

START_TEST(test_add_origin_ok)
{
    cors_policy *p = cors_policy_make(pool);
    const cors_rule *r;

    ck_assert_int_eq(p->has_origins, 0);
    add_origin(p, "https://dashboard.example.com");
    ck_assert_int_eq(p->has_origins, 1);
    ck_assert_int_eq(p->rule_count, 1);
    ck_assert_ptr_null(p->any);
    ck_assert_ptr_null(p->null_origin);

    r = match(p, "https://dashboard.example.com");
    ck_assert_ptr_nonnull(r);
    ck_assert_int_eq(r->kind, CORS_RULE_EXACT);
    ck_assert_str_eq(r->text, "https://dashboard.example.com");
    ck_assert_str_eq(r->source, "test.conf:1");
    ck_assert_int_eq(r->index, 1);
}
END_TEST

/* Configuration values that are not one serialized origin are refused. */
static const char *const bad_origins[] = {
    "https://dashboard.example.com/",
    "dashboard.example.com",
    "",
    "https://a.example.com, https://b.example.com",
    "https://user@a.example.com",
    "https://a.example.com:0",
    "https://*.example.com",
    "NULL",
    "**",
};

START_TEST(test_add_origin_bad)
{
    cors_policy *p = cors_policy_make(pool);
    const char *err = cors_policy_add_origin(pool, p, bad_origins[_i], "test.conf:1");

    ck_assert_msg(err != NULL && err[0] != '\0', "'%s' accepted", bad_origins[_i]);
}
END_TEST

/* `*` and `null` are rules of their own kinds, not exact origins. */
START_TEST(test_add_origin_any_and_null)
{
    cors_policy *p = cors_policy_make(pool);

    add_origin(p, "*");
    ck_assert_ptr_nonnull(p->any);
    ck_assert_int_eq(p->any->kind, CORS_RULE_ANY);
    ck_assert_str_eq(p->any->text, "*");
    ck_assert_ptr_null(p->null_origin);
    ck_assert_int_eq(p->has_origins, 1);

    add_origin(p, "null");
    ck_assert_ptr_nonnull(p->null_origin);
    ck_assert_int_eq(p->null_origin->kind, CORS_RULE_NULL);
    ck_assert_str_eq(p->null_origin->text, "null");
    ck_assert_int_eq(p->rule_count, 2);
}
END_TEST

/* Configured origins are normalized like request origins. */
START_TEST(test_add_origin_normalized)
{
    cors_policy *p = cors_policy_make(pool);
    const cors_rule *r;

    add_origin(p, "https://A.example.com:443");
    r = match(p, "https://a.example.com");
    ck_assert_ptr_nonnull(r);
    ck_assert_int_eq(r->kind, CORS_RULE_EXACT);
    ck_assert_str_eq(r->text, "https://A.example.com:443"); /* as written */
    ck_assert_ptr_eq(match(p, "HTTPS://a.EXAMPLE.com:443"), r);
    ck_assert_ptr_null(match(p, "https://a.example.com:8443"));
    ck_assert_ptr_null(match(p, "http://a.example.com"));
}
END_TEST

/* ---- match order: exact, then patterns in order, then `*` ------------------- */

START_TEST(test_exact_beats_pattern)
{
    cors_policy *p = cors_policy_make(pool);
    const cors_rule *r;

    add_pattern(p, "https://.*"); /* configured first, still loses to exact */
    add_origin(p, "https://a.example.com");

    r = match(p, "https://a.example.com");
    ck_assert_ptr_nonnull(r);
    ck_assert_int_eq(r->kind, CORS_RULE_EXACT);

    r = match(p, "https://b.example.com");
    ck_assert_ptr_nonnull(r);
    ck_assert_int_eq(r->kind, CORS_RULE_REGEX);
    ck_assert_str_eq(r->text, "https://.*");
}
END_TEST

typedef struct {
    const char *origin;
    int index; /* 0: no match */
} order_case;

static const order_case order_cases[] = {
    {"https://x.example.com", 1},
    {"https://a.example.com", 2},
    {"https://b.other.org", 3},
    {"http://a.example.com", 0},
};

START_TEST(test_pattern_order)
{
    static const char *const patterns[] = {
        "https://x\\.example\\.com",
        "https://[a-z]+\\.example\\.com",
        "https://.*",
    };
    const order_case *c = &order_cases[_i];
    cors_policy *p = cors_policy_make(pool);
    const cors_rule *r;
    int i;

    for (i = 0; i < N_ELEMS(patterns); i++) {
        add_pattern(p, patterns[i]);
    }
    ck_assert_int_eq(p->has_origins, 1);
    ck_assert_int_eq(p->rule_count, 3);

    r = match(p, c->origin);
    if (c->index == 0) {
        ck_assert_msg(r == NULL, "'%s' matched rule %d", c->origin, r ? r->index : 0);
        return;
    }
    ck_assert_msg(r != NULL, "'%s' matched nothing", c->origin);
    ck_assert_int_eq(r->kind, CORS_RULE_REGEX);
    ck_assert_int_eq(r->index, c->index);
    ck_assert_str_eq(r->text, patterns[c->index - 1]);
    ck_assert_ptr_nonnull(r->regex);
}
END_TEST

START_TEST(test_any_is_last)
{
    cors_policy *p = cors_policy_make(pool);
    const cors_rule *r;

    add_origin(p, "*"); /* configured first, still tried last */
    add_origin(p, "https://a.example.com");
    add_pattern(p, "https://[a-z]+\\.example\\.org");

    r = match(p, "https://a.example.com");
    ck_assert_ptr_nonnull(r);
    ck_assert_int_eq(r->kind, CORS_RULE_EXACT);
    r = match(p, "https://z.example.org");
    ck_assert_ptr_nonnull(r);
    ck_assert_int_eq(r->kind, CORS_RULE_REGEX);
    r = match(p, "https://anything.example.net:8443");
    ck_assert_ptr_nonnull(r);
    ck_assert_int_eq(r->kind, CORS_RULE_ANY);
}
END_TEST

START_TEST(test_add_pattern_invalid)
{
    cors_policy *p = cors_policy_make(pool);
    const char *err = cors_policy_add_pattern(pool, p, "https://(a", "test.conf:7");

    ck_assert_ptr_nonnull(err);
    ck_assert_msg(err[0] != '\0', "empty error");
}
END_TEST

/* A pattern that hits its match limit is reported, and is no match. */
START_TEST(test_match_limit)
{
    cors_policy *p = cors_policy_make(pool);
    const char *origin = "https://aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa_x.example.com";
    const cors_rule *rule = NULL;
    cors_origin o;

    add_pattern(p, "https://([a-z0-9]+)+\\.example\\.com");
    ck_assert_int_eq(cors_origin_parse(origin, strlen(origin), &o), CORS_ORIGIN_OK);
    ck_assert_int_eq(cors_policy_match_raw(p, o.text, o.len, &o, &rule), CORS_MATCH_LIMIT);
}
END_TEST

/* ---- max-age ----------------------------------------------------------------- */

typedef struct {
    const char *text;
    long value; /* CORS_UNSET: must be refused */
} max_age_case;

static const max_age_case max_age_cases[] = {
    {"600", 600},        {"0", 0},
    {"86400", 86400},    {"-1", CORS_UNSET},
    {"abc", CORS_UNSET}, {"", CORS_UNSET},
    {"60x", CORS_UNSET}, {"99999999999999999999", CORS_UNSET},
};

START_TEST(test_max_age)
{
    const max_age_case *c = &max_age_cases[_i];
    cors_policy *p = cors_policy_make(pool);
    const char *err = cors_settings_set_max_age(pool, &p->settings, c->text, NULL);

    if (c->value == CORS_UNSET) {
        ck_assert_msg(err != NULL && err[0] != '\0', "'%s' accepted", c->text);
        return;
    }
    ck_assert_msg(err == NULL, "'%s': %s", c->text, err);
    ck_assert_int_eq(p->settings.max_age, c->value);
    ck_assert_str_eq(cors_effective_max_age_text(p, NULL), c->text);
}
END_TEST

/* ---- merging levels ------------------------------------------------------------ */

/* A level naming origins replaces the inherited origins entirely. */
START_TEST(test_merge_origins_replace)
{
    cors_policy *base = cors_policy_make(pool);
    cors_policy *add = cors_policy_make(pool);
    cors_policy *m;

    add_origin(base, "https://a.example.com");
    add_origin(base, "*");
    add_pattern(base, "https://[a-z]+\\.base\\.example");
    add_origin(add, "https://b.example.com");

    m = cors_policy_merge(pool, base, add);
    ck_assert_int_eq(m->has_origins, 1);
    ck_assert_ptr_null(match(m, "https://a.example.com"));
    ck_assert_ptr_null(match(m, "https://x.base.example"));
    ck_assert_ptr_null(m->any);
    ck_assert_ptr_nonnull(match(m, "https://b.example.com"));

    /* the inputs are unchanged */
    ck_assert_ptr_nonnull(match(base, "https://a.example.com"));
    ck_assert_int_eq(match(base, "https://b.example.com")->kind, CORS_RULE_ANY);
    ck_assert_ptr_null(match(add, "https://a.example.com"));
}
END_TEST

/* `*` in the inner level replaces exact origins of the outer one too. */
START_TEST(test_merge_any_replaces)
{
    cors_policy *base = cors_policy_make(pool);
    cors_policy *add = cors_policy_make(pool);
    cors_policy *m;
    const cors_rule *r;

    add_origin(base, "https://a.example.com");
    add_origin(add, "*");
    m = cors_policy_merge(pool, base, add);
    r = match(m, "https://a.example.com");
    ck_assert_ptr_nonnull(r);
    ck_assert_int_eq(r->kind, CORS_RULE_ANY);
}
END_TEST

/* Unset fields inherit; set fields override; origins inherit when unnamed. */
START_TEST(test_merge_self_origins)
{
    cors_policy *base = cors_policy_make(pool), *add = cors_policy_make(pool), *m;
    cors_origin o;
    ck_assert_ptr_null(cors_policy_add_self_origin(pool, base, "https://api.example.com"));
    m = cors_policy_merge(pool, base, add);
    ck_assert_int_eq(cors_origin_parse("https://api.example.com:443", 27, &o), CORS_ORIGIN_OK);
    ck_assert(cors_policy_is_self_origin(m, &o)); /* inherited */
    ck_assert_ptr_null(cors_policy_add_self_origin(pool, add, "https://gw.example.com"));
    m = cors_policy_merge(pool, base, add);
    ck_assert(!cors_policy_is_self_origin(m, &o)); /* replaced, like origin rules */
    ck_assert_int_eq(m->self_texts->nelts, 1);
    ck_assert_ptr_nonnull(cors_policy_add_self_origin(pool, add, "null"));
}
END_TEST

START_TEST(test_merge_inherit)
{
    cors_policy *base = cors_policy_make(pool);
    cors_policy *add = cors_policy_make(pool);
    cors_policy *m;

    add_origin(base, "https://a.example.com");
    base->settings.methods = make_list("GET", 0);
    base->settings.headers = make_list("X-A", 1);
    base->settings.expose = make_list("X-E", 1);
    base->settings.credentials = 0;
    ck_assert_ptr_null(cors_settings_set_max_age(pool, &base->settings, "100", NULL));

    /* add sets nothing: everything from base */
    m = cors_policy_merge(pool, base, add);
    ck_assert_ptr_nonnull(match(m, "https://a.example.com"));
    ck_assert_str_eq(cors_effective_methods(m, NULL)->joined, "GET");
    ck_assert_str_eq(cors_effective_headers(m, NULL)->joined, "X-A");
    ck_assert_str_eq(cors_effective_expose(m, NULL)->joined, "X-E");
    ck_assert_int_eq(cors_effective_credentials(m, NULL), 0);
    ck_assert_str_eq(cors_effective_max_age_text(m, NULL), "100");

    /* add sets everything but origins: add's values, base's origins */
    add->settings.methods = make_list("PUT", 0);
    add->settings.headers = make_list("X-B", 1);
    add->settings.expose = make_list("X-F", 1);
    add->settings.credentials = 1;
    ck_assert_ptr_null(cors_settings_set_max_age(pool, &add->settings, "5", NULL));
    m = cors_policy_merge(pool, base, add);
    ck_assert_ptr_nonnull(match(m, "https://a.example.com"));
    ck_assert_str_eq(cors_effective_methods(m, NULL)->joined, "PUT");
    ck_assert_str_eq(cors_effective_headers(m, NULL)->joined, "X-B");
    ck_assert_str_eq(cors_effective_expose(m, NULL)->joined, "X-F");
    ck_assert_int_eq(cors_effective_credentials(m, NULL), 1);
    ck_assert_str_eq(cors_effective_max_age_text(m, NULL), "5");

    /* credentials 0 in the inner level overrides 1 outside (0 is not unset) */
    base->settings.credentials = 1;
    add->settings.credentials = 0;
    m = cors_policy_merge(pool, base, add);
    ck_assert_int_eq(cors_effective_credentials(m, NULL), 0);
}
END_TEST

#define DEFAULT_METHODS "POST, GET, OPTIONS, PUT, DELETE, PATCH"
#define DEFAULT_HEADERS                                                                            \
    "Content-Type, Content-Length, Accept-Encoding, X-CSRF-Token, Authorization, "                 \
    "X-Requested-With, If-Modified-Since"

/* Nothing set anywhere: kube-apiserver's defaults. */
START_TEST(test_defaults)
{
    cors_policy *base = cors_policy_make(pool);
    cors_policy *add = cors_policy_make(pool);
    cors_policy *m = cors_policy_merge(pool, base, add);
    const cors_policy *both[2];
    int i;

    both[0] = base;
    both[1] = m;
    for (i = 0; i < 2; i++) {
        ck_assert_str_eq(cors_effective_methods(both[i], NULL)->joined, DEFAULT_METHODS);
        ck_assert_str_eq(cors_effective_headers(both[i], NULL)->joined, DEFAULT_HEADERS);
        ck_assert_str_eq(cors_effective_expose(both[i], NULL)->joined, "Date");
        ck_assert_int_eq(cors_effective_credentials(both[i], NULL), 1);
        ck_assert_str_eq(cors_effective_max_age_text(both[i], NULL), "600");
    }
    ck_assert_int_eq(m->has_origins, 0);
    ck_assert_str_eq(cors_default_methods.joined, DEFAULT_METHODS);
    ck_assert_str_eq(cors_default_headers.joined, DEFAULT_HEADERS);
    ck_assert_str_eq(cors_default_expose_headers.joined, "Date");
    ck_assert_int_eq(cors_default_methods.case_insensitive, 0);
    ck_assert_int_eq(cors_default_headers.case_insensitive, 1);
    /* the default lists work as lists */
    ck_assert_int_eq(cors_token_list_has(&cors_default_methods, "PATCH", 5), 1);
    ck_assert_int_eq(cors_token_list_has(&cors_default_methods, "patch", 5), 0);
    ck_assert_int_eq(cors_token_list_has(&cors_default_headers, "x-csrf-token", 12), 1);
}
END_TEST

/* ---- combinations refused by cors_policy_check ------------------------------- */

START_TEST(test_check)
{
    cors_policy *p;
    const char *err;

    /* exact origins with credentials: fine */
    p = cors_policy_make(pool);
    add_origin(p, "https://a.example.com");
    ck_assert_ptr_null(cors_policy_check(pool, p));

    /* `*` with credentials on by default: refused, naming where */
    p = cors_policy_make(pool);
    ck_assert_ptr_null(cors_policy_add_origin(pool, p, "*", "test.conf:12"));
    err = cors_policy_check(pool, p);
    ck_assert_ptr_nonnull(err);
    ck_assert_msg(strstr(err, "test.conf:12") != NULL, "error does not name the source: %s", err);

    /* `*` with credentials explicitly on: refused */
    p->settings.credentials = 1;
    ck_assert_ptr_nonnull(cors_policy_check(pool, p));

    /* `*` without credentials: fine */
    p->settings.credentials = 0;
    ck_assert_ptr_null(cors_policy_check(pool, p));

    /* `null` with credentials: refused */
    p = cors_policy_make(pool);
    ck_assert_ptr_null(cors_policy_add_origin(pool, p, "null", "test.conf:13"));
    err = cors_policy_check(pool, p);
    ck_assert_ptr_nonnull(err);
    ck_assert_msg(strstr(err, "test.conf:13") != NULL, "error does not name the source: %s", err);
}
END_TEST

Suite *policy_suite(void)
{
    Suite *s = suite_create("policy");
    TCase *tc;

    tc = tcase_create("origins");
    tcase_add_checked_fixture(tc, unit_setup, unit_teardown);
    tcase_add_test(tc, test_add_origin_ok);
    tcase_add_loop_test(tc, test_add_origin_bad, 0, N_ELEMS(bad_origins));
    tcase_add_test(tc, test_add_origin_any_and_null);
    tcase_add_test(tc, test_add_origin_normalized);
    tcase_add_test(tc, test_add_pattern_invalid);
    suite_add_tcase(s, tc);

    tc = tcase_create("match");
    tcase_add_checked_fixture(tc, unit_setup, unit_teardown);
    tcase_add_test(tc, test_exact_beats_pattern);
    tcase_add_loop_test(tc, test_pattern_order, 0, N_ELEMS(order_cases));
    tcase_add_test(tc, test_any_is_last);
    tcase_add_test(tc, test_match_limit);
    suite_add_tcase(s, tc);

    tc = tcase_create("settings");
    tcase_add_checked_fixture(tc, unit_setup, unit_teardown);
    tcase_add_loop_test(tc, test_max_age, 0, N_ELEMS(max_age_cases));
    tcase_add_test(tc, test_merge_origins_replace);
    tcase_add_test(tc, test_merge_any_replaces);
    tcase_add_test(tc, test_merge_inherit);
    tcase_add_test(tc, test_merge_self_origins);
    tcase_add_test(tc, test_defaults);
    tcase_add_test(tc, test_check);
    suite_add_tcase(s, tc);

    return s;
}
