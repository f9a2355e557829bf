/*
 * cors_decide: the whole decision for one request, as the httpd module
 * will apply it. The policy mirrors a typical deployment: two dashboards
 * by exact origin, per-app hosts by pattern, kube-apiserver's defaults.
 */
#include <string.h>

#include <apr_pools.h>
#include <apr_strings.h>
#include <check.h>

#include "check_suites.h"
#include "cors_decision.h"
#include "unit_fixture.h"

#define N_ELEMS(a) ((int)(sizeof(a) / sizeof((a)[0])))

#define DEFAULT_METHODS "POST, GET, OPTIONS, PUT, DELETE, PATCH"
#define DEFAULT_HEADERS                                                                            \
    "Content-Type, Content-Length, Accept-Encoding, X-CSRF-Token, Authorization, "                 \
    "X-Requested-With, If-Modified-Since"
#define APPS_PATTERN "https://[a-z0-9-]+\\.apps\\.example\\.com"

static cors_policy *policy;

/* The policy every test here uses, merged with an empty parent so that
 * defaults are what a real server would apply. */
static void setup(void)
{
    cors_policy *p;

    unit_setup();
    p = cors_policy_make(pool);
    ck_assert_ptr_null(cors_policy_add_origin(pool, p, "https://dashboard.example.com", "t:1"));
    ck_assert_ptr_null(cors_policy_add_origin(pool, p, "https://monitoring.example.com", "t:2"));
    ck_assert_ptr_null(cors_policy_add_pattern(pool, p, APPS_PATTERN, "t:3"));
    policy = cors_policy_merge(pool, cors_policy_make(pool), p);
    ck_assert_ptr_null(cors_policy_check(pool, policy));
}

static void teardown(void)
{
    unit_teardown();
    policy = NULL;
}

static cors_decision decide(const cors_policy *p, const char *method, const char *origin,
                            const char *preflight_method, const char *request_headers)
{
    cors_request req = {0};
    cors_decision d;

    req.method = method;
    req.origin = origin;
    req.preflight_method = preflight_method;
    req.request_headers = request_headers;
    memset(&d, 0x5a, sizeof(d)); /* no field may be left as it was */
    cors_decide(p, &req, &d);
    return d;
}

/* ---- not a CORS request --------------------------------------------------------- */

START_TEST(test_no_origin)
{
    static const char *const origins[] = {NULL, ""};
    int i;

    for (i = 0; i < 2; i++) {
        cors_decision d = decide(policy, "GET", origins[i], NULL, NULL);
        ck_assert_int_eq(d.kind, CORS_KIND_NONE);
        ck_assert_int_eq(d.reason, CORS_REASON_NO_ORIGIN);
        ck_assert_ptr_null(d.allow_origin);
        ck_assert_ptr_null(d.allow_credentials);
        /* The same URL answers differently with an Origin (Fetch, CORS and
         * HTTP caches). */
        ck_assert_pstr_eq(d.vary, CORS_VARY_ACTUAL);
    }
}
END_TEST

/* ---- actual requests: allowed ------------------------------------------------------ */

typedef struct {
    const char *origin;
    cors_rule_kind kind;
    const char *rule_text;
} allowed_case;

static const allowed_case allowed_cases[] = {
    {"https://dashboard.example.com", CORS_RULE_EXACT, "https://dashboard.example.com"},
    {"https://monitoring.example.com", CORS_RULE_EXACT, "https://monitoring.example.com"},
    /* matched after normalization, echoed verbatim */
    {"https://DASHBOARD.example.com", CORS_RULE_EXACT, "https://dashboard.example.com"},
    {"https://dashboard.example.com:443", CORS_RULE_EXACT, "https://dashboard.example.com"},
    {"https://x.apps.example.com", CORS_RULE_REGEX, APPS_PATTERN},
    {"https://my-app-2.apps.example.com", CORS_RULE_REGEX, APPS_PATTERN},
};

START_TEST(test_actual_allowed)
{
    const allowed_case *c = &allowed_cases[_i];
    char *origin = apr_pstrdup(pool, c->origin);
    cors_decision d = decide(policy, "GET", origin, NULL, NULL);

    ck_assert_int_eq(d.kind, CORS_KIND_ACTUAL);
    ck_assert_msg(d.allowed == 1, "'%s' refused: %s", c->origin, cors_reason_name(d.reason));
    ck_assert_int_eq(d.reason, CORS_REASON_ALLOWED);
    ck_assert_ptr_nonnull(d.rule);
    ck_assert_int_eq(d.rule->kind, c->kind);
    ck_assert_str_eq(d.rule->text, c->rule_text);
    ck_assert_str_eq(d.allow_origin, c->origin); /* the raw request value */
    ck_assert_pstr_eq(d.allow_credentials, "true");
    ck_assert_pstr_eq(d.expose_headers, "Date");
    ck_assert_pstr_eq(d.vary, CORS_VARY_ACTUAL);
    /* preflight-only headers */
    ck_assert_ptr_null(d.allow_methods);
    ck_assert_ptr_null(d.allow_headers);
    ck_assert_ptr_null(d.max_age);
}
END_TEST

/* ---- actual requests: refused -------------------------------------------------------- */

typedef struct {
    const char *origin;
    cors_reason reason;
    cors_origin_status origin_status; /* checked for ORIGIN_MALFORMED */
} denied_case;

static const denied_case denied_cases[] = {
    /* look-alikes of an exact origin */
    {"https://dashboard.example.com.evil.com", CORS_REASON_ORIGIN_NOT_ALLOWED, 0},
    {"https://dashboardXexample.com", CORS_REASON_ORIGIN_NOT_ALLOWED, 0},
    {"https://evildashboard.example.com", CORS_REASON_ORIGIN_NOT_ALLOWED, 0},
    /* same host, other scheme or port */
    {"http://dashboard.example.com", CORS_REASON_ORIGIN_NOT_ALLOWED, 0},
    {"https://dashboard.example.com:8443", CORS_REASON_ORIGIN_NOT_ALLOWED, 0},
    /* the opaque origin, not named in the policy */
    {"null", CORS_REASON_ORIGIN_NULL, 0},
    /* not one serialized origin */
    {"https://dashboard.example.com, https://evil.com", CORS_REASON_ORIGIN_MALFORMED,
     CORS_ORIGIN_LIST},
    {"https://dashboard.example.com/", CORS_REASON_ORIGIN_MALFORMED, CORS_ORIGIN_PATH},
    {"https://evil.com@dashboard.example.com", CORS_REASON_ORIGIN_MALFORMED, CORS_ORIGIN_USERINFO},
    /* the pattern covers one label only, and the whole origin */
    {"https://a.b.apps.example.com", CORS_REASON_ORIGIN_NOT_ALLOWED, 0},
    {"https://x.apps.example.com.evil.com", CORS_REASON_ORIGIN_NOT_ALLOWED, 0},
    {"http://x.apps.example.com", CORS_REASON_ORIGIN_NOT_ALLOWED, 0},
};

START_TEST(test_actual_denied)
{
    const denied_case *c = &denied_cases[_i];
    cors_decision d = decide(policy, "GET", c->origin, NULL, NULL);

    ck_assert_int_eq(d.kind, CORS_KIND_ACTUAL);
    ck_assert_msg(d.allowed == 0, "'%s' allowed", c->origin);
    ck_assert_msg(d.reason == c->reason, "'%s': reason %s, want %s", c->origin,
                  cors_reason_name(d.reason), cors_reason_name(c->reason));
    if (c->reason == CORS_REASON_ORIGIN_MALFORMED) {
        ck_assert_int_eq(d.origin_status, c->origin_status);
    }
    ck_assert_ptr_null(d.rule);
    ck_assert_ptr_null(d.allow_origin);
    ck_assert_pstr_eq(d.vary, CORS_VARY_ACTUAL);
}
END_TEST

/* ---- preflights ------------------------------------------------------------------------ */

START_TEST(test_preflight_allowed)
{
    cors_decision d =
        decide(policy, "OPTIONS", "https://dashboard.example.com", "GET", "authorization");

    ck_assert_int_eq(d.kind, CORS_KIND_PREFLIGHT);
    ck_assert_msg(d.allowed == 1, "refused: %s", cors_reason_name(d.reason));
    ck_assert_int_eq(d.reason, CORS_REASON_ALLOWED);
    ck_assert_pstr_eq(d.allow_origin, "https://dashboard.example.com");
    ck_assert_pstr_eq(d.allow_methods, DEFAULT_METHODS);
    ck_assert_pstr_eq(d.allow_headers, DEFAULT_HEADERS);
    ck_assert_pstr_eq(d.max_age, "600");
    ck_assert_pstr_eq(d.allow_credentials, "true");
    ck_assert_ptr_null(d.expose_headers); /* actual requests only */
    ck_assert_pstr_eq(d.vary, CORS_VARY_PREFLIGHT);
}
END_TEST

/* Requested headers absent or empty: nothing to check. */
START_TEST(test_preflight_no_headers)
{
    static const char *const headers[] = {NULL, "", "Content-Type, X-CSRF-Token"};
    int i;

    for (i = 0; i < 3; i++) {
        cors_decision d =
            decide(policy, "OPTIONS", "https://x.apps.example.com", "PATCH", headers[i]);
        ck_assert_int_eq(d.kind, CORS_KIND_PREFLIGHT);
        ck_assert_msg(d.allowed == 1, "headers '%s' refused: %s",
                      headers[i] ? headers[i] : "(none)", cors_reason_name(d.reason));
        ck_assert_int_eq(d.rule->kind, CORS_RULE_REGEX);
    }
}
END_TEST

typedef struct {
    const char *preflight_method;
    const char *request_headers;
    cors_reason reason;
    const char *detail; /* NULL: not checked */
} preflight_denied_case;

static const preflight_denied_case preflight_denied_cases[] = {
    /* methods are case-sensitive and must be configured */
    {"TRACE", NULL, CORS_REASON_METHOD_NOT_ALLOWED, "TRACE"},
    {"patch", NULL, CORS_REASON_METHOD_NOT_ALLOWED, "patch"},
    {"GET, DELETE", NULL, CORS_REASON_METHOD_NOT_ALLOWED, NULL},
    /* every requested header must be allowed */
    {"GET", "x-custom-header", CORS_REASON_HEADER_NOT_ALLOWED, "x-custom-header"},
    {"GET", "content-type,x-custom-header", CORS_REASON_HEADER_NOT_ALLOWED, "x-custom-header"},
    /* not a header list */
    {"GET", "content type", CORS_REASON_HEADERS_MALFORMED, NULL},
};

START_TEST(test_preflight_denied)
{
    const preflight_denied_case *c = &preflight_denied_cases[_i];
    const char *rm = apr_pstrdup(pool, c->preflight_method);
    const char *rh = c->request_headers ? apr_pstrdup(pool, c->request_headers) : NULL;
    cors_decision d = decide(policy, "OPTIONS", "https://dashboard.example.com", rm, rh);

    ck_assert_int_eq(d.kind, CORS_KIND_PREFLIGHT);
    ck_assert_int_eq(d.allowed, 0);
    ck_assert_msg(d.reason == c->reason, "%s / %s: reason %s, want %s", c->preflight_method,
                  c->request_headers ? c->request_headers : "(none)", cors_reason_name(d.reason),
                  cors_reason_name(c->reason));
    if (c->detail != NULL) {
        /* detail points into the request, at the refused name */
        const char *in = c->reason == CORS_REASON_METHOD_NOT_ALLOWED ? rm : rh;
        ck_assert_ptr_nonnull(d.detail);
        ck_assert_uint_eq(d.detail_len, strlen(c->detail));
        ck_assert_msg(d.detail >= in && d.detail + d.detail_len <= in + strlen(in),
                      "detail not inside the request value");
        ck_assert_msg(memcmp(d.detail, c->detail, d.detail_len) == 0, "detail '%.*s', want '%s'",
                      (int)d.detail_len, d.detail, c->detail);
    }
    ck_assert_ptr_null(d.allow_methods);
    ck_assert_ptr_null(d.allow_headers);
}
END_TEST

/* 8 KiB of commas is refused as malformed, cheaply. */
START_TEST(test_preflight_huge_headers)
{
    char *commas = apr_palloc(pool, 8192 + 1);
    cors_decision d;

    memset(commas, ',', 8192);
    commas[8192] = '\0';
    d = decide(policy, "OPTIONS", "https://dashboard.example.com", "GET", commas);
    ck_assert_int_eq(d.kind, CORS_KIND_PREFLIGHT);
    ck_assert_int_eq(d.allowed, 0);
    ck_assert_int_eq(d.reason, CORS_REASON_HEADERS_MALFORMED);
    /* no detail, or one inside the request value: never stale memory */
    ck_assert_msg(d.detail == NULL ||
                      (d.detail >= commas && d.detail + d.detail_len <= commas + 8192),
                  "detail points outside the request");
    ck_assert_ptr_null(d.allow_origin);
}
END_TEST

START_TEST(test_preflight_denied_origin)
{
    cors_decision d = decide(policy, "OPTIONS", "https://evil.com", "GET", NULL);

    ck_assert_int_eq(d.kind, CORS_KIND_PREFLIGHT);
    ck_assert_int_eq(d.allowed, 0);
    ck_assert_int_eq(d.reason, CORS_REASON_ORIGIN_NOT_ALLOWED);
    ck_assert_ptr_null(d.allow_origin);
    ck_assert_ptr_null(d.allow_methods);
    ck_assert_ptr_nonnull(d.vary);
}
END_TEST

/* OPTIONS without Access-Control-Request-Method is an ordinary request. */
START_TEST(test_options_without_preflight_method)
{
    cors_decision d = decide(policy, "OPTIONS", "https://dashboard.example.com", NULL, NULL);

    ck_assert_int_eq(d.kind, CORS_KIND_ACTUAL);
    ck_assert_int_eq(d.allowed, 1);
    ck_assert_ptr_null(d.allow_methods);
    ck_assert_pstr_eq(d.vary, CORS_VARY_ACTUAL);
}
END_TEST

/* Access-Control-Request-Method on a non-OPTIONS request is not a preflight. */
START_TEST(test_get_with_preflight_method)
{
    cors_decision d = decide(policy, "GET", "https://dashboard.example.com", "DELETE", NULL);

    ck_assert_int_eq(d.kind, CORS_KIND_ACTUAL);
    ck_assert_int_eq(d.allowed, 1);
    ck_assert_ptr_null(d.allow_methods);
}
END_TEST

/* A pattern hitting its match limit refuses the origin and says why. */
START_TEST(test_regex_limit)
{
    cors_policy *p = cors_policy_make(pool);
    cors_decision d;

    ck_assert_ptr_null(
        cors_policy_add_pattern(pool, p, "https://([a-z0-9]+)+\\.example\\.com", "t:9"));
    d = decide(p, "GET", "https://aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa_x.example.com", NULL, NULL);
    ck_assert_int_eq(d.allowed, 0);
    ck_assert_int_eq(d.reason, CORS_REASON_REGEX_LIMIT);
    ck_assert_ptr_null(d.allow_origin);
}
END_TEST

/* ---- `*` ------------------------------------------------------------------------------ */

static cors_policy *wildcard_policy(int credentials)
{
    cors_policy *p = cors_policy_make(pool);

    ck_assert_ptr_null(cors_policy_add_origin(pool, p, "*", "t:5"));
    p->settings.credentials = credentials;
    return cors_policy_merge(pool, cors_policy_make(pool), p);
}

START_TEST(test_wildcard)
{
    static const char *const origins[] = {
        "https://anything.example.org",
        "http://localhost:3000",
        "chrome-extension://abcdefgh",
    };
    cors_policy *p = wildcard_policy(0);
    cors_decision d;
    int i;

    for (i = 0; i < N_ELEMS(origins); i++) {
        d = decide(p, "GET", origins[i], NULL, NULL);
        ck_assert_msg(d.allowed == 1, "'%s' refused: %s", origins[i], cors_reason_name(d.reason));
        ck_assert_int_eq(d.rule->kind, CORS_RULE_ANY);
        ck_assert_pstr_eq(d.allow_origin, "*");
        ck_assert_ptr_null(d.allow_credentials);
    }

    d = decide(p, "OPTIONS", "https://anything.example.org", "PUT", "content-type");
    ck_assert_int_eq(d.kind, CORS_KIND_PREFLIGHT);
    ck_assert_int_eq(d.allowed, 1);
    ck_assert_pstr_eq(d.allow_origin, "*");
    ck_assert_ptr_null(d.allow_credentials);

    /* `*` does not cover the opaque origin, nor malformed values */
    d = decide(p, "GET", "null", NULL, NULL);
    ck_assert_int_eq(d.allowed, 0);
    ck_assert_int_eq(d.reason, CORS_REASON_ORIGIN_NULL);
    ck_assert_ptr_null(d.allow_origin);
    d = decide(p, "GET", "https://a.example.com, https://b.example.com", NULL, NULL);
    ck_assert_int_eq(d.allowed, 0);
    ck_assert_int_eq(d.reason, CORS_REASON_ORIGIN_MALFORMED);
    ck_assert_ptr_null(d.allow_origin);
}
END_TEST

/* cors_policy_check refuses this policy, but deciding must still be safe. */
START_TEST(test_wildcard_credentials)
{
    cors_policy *p = wildcard_policy(1);
    cors_decision d = decide(p, "GET", "https://anything.example.org", NULL, NULL);

    ck_assert_int_eq(d.allowed, 0);
    ck_assert_int_eq(d.reason, CORS_REASON_WILDCARD_CREDENTIALS);
    ck_assert_ptr_null(d.allow_origin);
    ck_assert_ptr_null(d.allow_credentials);
}
END_TEST

/* A policy naming `null` allows it, without credentials. */
START_TEST(test_null_named)
{
    cors_policy *p = cors_policy_make(pool);
    cors_decision d;

    ck_assert_ptr_null(cors_policy_add_origin(pool, p, "null", "t:6"));
    p->settings.credentials = 0;
    p = cors_policy_merge(pool, cors_policy_make(pool), p);
    d = decide(p, "GET", "null", NULL, NULL);
    ck_assert_int_eq(d.allowed, 1);
    ck_assert_int_eq(d.rule->kind, CORS_RULE_NULL);
    ck_assert_pstr_eq(d.allow_origin, "null");

    /* and with credentials on it is refused like `*` */
    p->settings.credentials = 1;
    d = decide(p, "GET", "null", NULL, NULL);
    ck_assert_int_eq(d.allowed, 0);
    ck_assert_int_eq(d.reason, CORS_REASON_WILDCARD_CREDENTIALS);
    ck_assert_ptr_null(d.allow_origin);
}
END_TEST

/* ---- names ------------------------------------------------------------------------------ */

START_TEST(test_names)
{
    const char *names[CORS_REASON_WILDCARD_CREDENTIALS + 1];
    int i, j;

    for (i = 0; i <= CORS_REASON_WILDCARD_CREDENTIALS; i++) {
        names[i] = cors_reason_name((cors_reason)i);
        ck_assert_msg(names[i] != NULL && names[i][0] != '\0', "reason %d has no name", i);
        for (j = 0; j < i; j++) {
            ck_assert_msg(strcmp(names[i], names[j]) != 0, "reasons %d and %d are both '%s'", j, i,
                          names[i]);
        }
    }
    ck_assert_str_eq(cors_reason_name(CORS_REASON_ALLOWED), "allowed");
    ck_assert_str_eq(cors_reason_name(CORS_REASON_ORIGIN_NOT_ALLOWED), "origin-not-allowed");

    for (i = 0; i <= CORS_KIND_PREFLIGHT; i++) {
        names[i] = cors_kind_name((cors_kind)i);
        ck_assert_msg(names[i] != NULL && names[i][0] != '\0', "kind %d has no name", i);
        for (j = 0; j < i; j++) {
            ck_assert_msg(strcmp(names[i], names[j]) != 0, "kinds %d and %d are both '%s'", j, i,
                          names[i]);
        }
    }
}
END_TEST

/* ---- who is "self" ---------------------------------------------------------------- */

static cors_decision decide_at(const cors_policy *p, const char *origin, const char *host,
                               int host_is_self, const char *scheme, unsigned port)
{
    cors_request req = {0};
    cors_decision d;
    req.method = "POST";
    req.origin = origin;
    req.host = host;
    req.host_is_self = host_is_self;
    req.self_scheme = scheme;
    req.self_port = port;
    cors_decide(p, &req, &d);
    return d;
}

START_TEST(test_same_origin_from_configuration)
{
    cors_policy *p = cors_policy_make(pool);
    cors_decision d;
    ck_assert_ptr_null(cors_policy_add_origin(pool, p, "https://dashboard.example.com", "t:1"));

    /* The virtual host's name, the connection's scheme and port. */
    d = decide_at(p, "https://api.example.com:6443", "api.example.com", 1, "https", 6443);
    ck_assert_int_eq(d.reason, CORS_REASON_SAME_ORIGIN);
    ck_assert_pstr_eq(d.vary, CORS_VARY_ACTUAL);
    d = decide_at(p, "https://API.example.com", "api.example.com", 1, "https", 443);
    ck_assert_int_eq(d.reason, CORS_REASON_SAME_ORIGIN);
    /* DNS rebinding: the Host the page chose names none of the server's
     * names, so its origin is not the gateway's. */
    d = decide_at(p, "http://evil.example:8080", "evil.example", 0, "http", 8080);
    ck_assert_int_eq(d.reason, CORS_REASON_ORIGIN_NOT_ALLOWED);
    /* Other scheme, other port, other name than the request's host. */
    d = decide_at(p, "http://api.example.com:6443", "api.example.com", 1, "https", 6443);
    ck_assert_int_eq(d.reason, CORS_REASON_ORIGIN_NOT_ALLOWED);
    d = decide_at(p, "https://api.example.com:8443", "api.example.com", 1, "https", 6443);
    ck_assert_int_eq(d.reason, CORS_REASON_ORIGIN_NOT_ALLOWED);
    d = decide_at(p, "https://gw.example.com:6443", "api.example.com", 1, "https", 6443);
    ck_assert_int_eq(d.reason, CORS_REASON_ORIGIN_NOT_ALLOWED);
    /* No host: never same-origin. */
    d = decide_at(p, "https://api.example.com:6443", NULL, 1, "https", 6443);
    ck_assert_int_eq(d.reason, CORS_REASON_ORIGIN_NOT_ALLOWED);

    /* K8sCorsSelfOrigin: behind a TLS terminator, still only for its host. */
    ck_assert_ptr_null(cors_policy_add_self_origin(pool, p, "https://API.example.com:443"));
    ck_assert_ptr_nonnull(cors_policy_add_self_origin(pool, p, "*"));
    ck_assert_ptr_nonnull(cors_policy_add_self_origin(pool, p, "https://a.example.com/"));
    d = decide_at(p, "https://api.example.com", "api.example.com", 0, "http", 8080);
    ck_assert_int_eq(d.reason, CORS_REASON_SAME_ORIGIN);
    d = decide_at(p, "https://api.example.com", "evil.example", 0, "http", 8080);
    ck_assert_int_eq(d.reason, CORS_REASON_ORIGIN_NOT_ALLOWED);
}
END_TEST

START_TEST(test_prefix_headers_answered_by_name)
{
    cors_policy *p = cors_policy_make(pool);
    cors_decision d;
    ck_assert_ptr_null(cors_policy_add_origin(pool, p, "https://dashboard.example.com", "t:1"));
    ck_assert_ptr_null(cors_header_list_parse(pool, "Impersonate-User Impersonate-Extra-*",
                                              (cors_token_list **)&p->settings.headers));
    p = cors_policy_merge(pool, cors_policy_make(pool), p);
    d = decide(p, "OPTIONS", "https://dashboard.example.com", "GET",
               "impersonate-extra-scopes,impersonate-user");
    ck_assert(d.allowed);
    /* With credentials (the default) and without, the browser reads names. */
    ck_assert_pstr_eq(d.allow_headers, "impersonate-extra-scopes,impersonate-user");
    ck_assert_pstr_eq(d.allow_credentials, "true");
    d = decide(p, "OPTIONS", "https://dashboard.example.com", "GET", NULL);
    ck_assert_pstr_eq(d.allow_headers, "Impersonate-User");
    d = decide(p, "OPTIONS", "https://dashboard.example.com", "GET", "impersonate-group");
    ck_assert(!d.allowed);
    ck_assert_int_eq(d.reason, CORS_REASON_HEADER_NOT_ALLOWED);
    d = decide(p, "OPTIONS", "https://dashboard.example.com", "GET",
               "impersonate-extra-a,authorization");
    ck_assert(!d.allowed);
}
END_TEST

/* ---- cross-site protection (K8sCorsDeniedOrigin reject-unsafe) ------------------------ */

static cors_decision decide_site(const cors_policy *p, const char *method, const char *origin,
                                 const char *fetch_site, int upgrade)
{
    cors_request req = {0};
    cors_decision d;
    req.method = method;
    req.origin = origin;
    req.fetch_site = fetch_site;
    req.upgrade = upgrade;
    req.host = "api.example.com";
    req.host_is_self = 1;
    req.self_scheme = "https";
    req.self_port = 443;
    memset(&d, 0x5a, sizeof(d));
    cors_decide(p, &req, &d);
    return d;
}

static cors_policy *with_denied(cors_denied_action action)
{
    cors_policy *p = cors_policy_make(pool);
    p->denied_origin = (int)action;
    return cors_policy_merge(pool, policy, p);
}

START_TEST(test_reject_unsafe)
{
    cors_policy *p = with_denied(CORS_DENIED_REJECT_UNSAFE);
    cors_decision d;

    /* A cross-site form POST from a denied origin: refused, and why. */
    d = decide_site(p, "POST", "https://evil.example", "cross-site", 0);
    ck_assert_int_eq(d.refuse_status, 403);
    ck_assert_int_eq(d.reason, CORS_REASON_ORIGIN_NOT_ALLOWED);
    ck_assert_int_eq(d.cross_site, CORS_CROSS_SITE_REFUSED_SITE);
    ck_assert_int_eq(d.fetch_site, CORS_FETCH_SITE_CROSS_SITE);
    ck_assert_ptr_null(d.allow_origin);
    /* Reads from the same origin pass, without CORS headers. */
    d = decide_site(p, "GET", "https://evil.example", "cross-site", 0);
    ck_assert_int_eq(d.refuse_status, 0);
    ck_assert_int_eq(d.cross_site, CORS_CROSS_SITE_SAFE_METHOD);
    ck_assert_ptr_null(d.allow_origin);
    /* A WebSocket from a cross-site page. */
    d = decide_site(p, "GET", "https://evil.example", "cross-site", 1);
    ck_assert_int_eq(d.refuse_status, 403);
    /* An allowed origin's POST is a CORS request, forwarded. */
    d = decide_site(p, "POST", "https://dashboard.example.com", "cross-site", 0);
    ck_assert_int_eq(d.refuse_status, 0);
    ck_assert(d.allowed);
    ck_assert_int_eq(d.cross_site, CORS_CROSS_SITE_ALLOWED_ORIGIN);
    /* The gateway's own page. */
    d = decide_site(p, "POST", "https://api.example.com", "same-origin", 0);
    ck_assert_int_eq(d.refuse_status, 0);
    ck_assert_int_eq(d.reason, CORS_REASON_SAME_ORIGIN);
    ck_assert_int_eq(d.cross_site, CORS_CROSS_SITE_OWN_ORIGIN);
    /* No Origin: kubectl passes; Sec-Fetch-Site naming another site does not. */
    d = decide_site(p, "POST", NULL, NULL, 0);
    ck_assert_int_eq(d.refuse_status, 0);
    ck_assert_int_eq(d.cross_site, CORS_CROSS_SITE_NOT_BROWSER);
    ck_assert(!cors_no_origin_needs_decision(p, "POST", 0, NULL));
    d = decide_site(p, "POST", NULL, "none", 0);
    ck_assert_int_eq(d.refuse_status, 0);
    d = decide_site(p, "POST", NULL, "same-origin", 0);
    ck_assert_int_eq(d.refuse_status, 0);
    d = decide_site(p, "DELETE", NULL, "cross-site", 0);
    ck_assert_int_eq(d.refuse_status, 403);
    ck_assert_int_eq(d.kind, CORS_KIND_NONE);
    ck_assert_int_eq(d.reason, CORS_REASON_NO_ORIGIN);
    ck_assert_pstr_eq(d.vary, CORS_VARY_ACTUAL);
    ck_assert(cors_no_origin_needs_decision(p, "DELETE", 0, "cross-site"));
    ck_assert(!cors_no_origin_needs_decision(p, "GET", 0, "cross-site"));
    ck_assert(cors_no_origin_needs_decision(p, "GET", 1, "cross-site"));
    /* Browsers without Fetch Metadata: the Origin against the configuration. */
    d = decide_site(p, "POST", "https://evil.example", NULL, 0);
    ck_assert_int_eq(d.refuse_status, 403);
    ck_assert_int_eq(d.cross_site, CORS_CROSS_SITE_REFUSED_ORIGIN);
    /* same-site is cross-origin unless trusted. */
    d = decide_site(p, "PUT", "https://other.example.com", "same-site", 0);
    ck_assert_int_eq(d.refuse_status, 403);
    p->trust_same_site = 1;
    d = decide_site(p, "PUT", "https://other.example.com", "same-site", 0);
    ck_assert_int_eq(d.refuse_status, 0);
    ck_assert_int_eq(d.cross_site, CORS_CROSS_SITE_FETCH_SITE);
    ck_assert_ptr_null(d.allow_origin); /* trusted against forgery, not given CORS access */
    /* A preflight from a denied origin is answered 403 as always. */
    d = decide(p, "OPTIONS", "https://evil.example", "PUT", NULL);
    ck_assert_int_eq(d.refuse_status, 403);
    ck_assert_int_eq(d.kind, CORS_KIND_PREFLIGHT);
}
END_TEST

/* `*` (or a named `null`) lets any page read; it trusts no page to send. */
START_TEST(test_reject_unsafe_does_not_trust_star)
{
    cors_policy *p = cors_policy_make(pool);
    cors_decision d;
    ck_assert_ptr_null(cors_policy_add_origin(pool, p, "*", "t:1"));
    ck_assert_ptr_null(cors_policy_add_origin(pool, p, "https://dashboard.example.com", "t:2"));
    p->settings.credentials = 0;
    p->denied_origin = CORS_DENIED_REJECT_UNSAFE;
    p = cors_policy_merge(pool, cors_policy_make(pool), p);
    d = decide_site(p, "POST", "https://evil.example", "cross-site", 0);
    ck_assert_int_eq(d.refuse_status, 403);
    ck_assert(!d.allowed);
    ck_assert_int_eq(d.reason, CORS_REASON_CROSS_SITE_UNTRUSTED);
    ck_assert_str_eq(cors_reason_name(d.reason), "cross-site-untrusted");
    ck_assert_int_eq(d.cross_site, CORS_CROSS_SITE_REFUSED_SITE);
    ck_assert_ptr_null(d.allow_origin);
    /* reads and preflights are answered as `*` says */
    d = decide_site(p, "GET", "https://evil.example", "cross-site", 0);
    ck_assert(d.allowed);
    ck_assert_pstr_eq(d.allow_origin, "*");
    d = decide(p, "OPTIONS", "https://evil.example", "POST", NULL);
    ck_assert(d.allowed);
    /* a named origin is trusted */
    d = decide_site(p, "POST", "https://dashboard.example.com", "cross-site", 0);
    ck_assert(d.allowed);
    ck_assert_int_eq(d.refuse_status, 0);
    /* under pass, `*` is as before */
    p->denied_origin = CORS_DENIED_PASS;
    d = decide_site(p, "POST", "https://evil.example", "cross-site", 0);
    ck_assert(d.allowed);
    ck_assert_int_eq(d.refuse_status, 0);
}
END_TEST

START_TEST(test_pass_and_reject_around_reject_unsafe)
{
    cors_policy *pass = with_denied(CORS_DENIED_PASS);
    cors_policy *reject = with_denied(CORS_DENIED_REJECT);
    cors_decision d;

    /* pass: kube-apiserver's behaviour, the cross-site step is not taken. */
    d = decide_site(pass, "POST", "https://evil.example", "cross-site", 0);
    ck_assert_int_eq(d.refuse_status, 0);
    ck_assert_int_eq(d.cross_site, CORS_CROSS_SITE_UNCHECKED);
    d = decide_site(pass, "POST", NULL, "cross-site", 0);
    ck_assert_int_eq(d.refuse_status, 0);
    ck_assert(!cors_no_origin_needs_decision(pass, "POST", 0, "cross-site"));
    /* Upgrades from denied origins are refused in every mode. */
    d = decide_site(pass, "GET", "https://evil.example", "cross-site", 1);
    ck_assert_int_eq(d.refuse_status, 403);
    /* reject refuses reads too, and everything reject-unsafe refuses. */
    d = decide_site(reject, "GET", "https://evil.example", "cross-site", 0);
    ck_assert_int_eq(d.refuse_status, 403);
    d = decide_site(reject, "POST", NULL, "cross-site", 0);
    ck_assert_int_eq(d.refuse_status, 403);
    d = decide_site(reject, "POST", "https://dashboard.example.com", "cross-site", 0);
    ck_assert_int_eq(d.refuse_status, 0);
}
END_TEST

/* ---- `*` as Fetch means it ---------------------------------------------------------- */

static cors_policy *star_policy(int credentials)
{
    cors_policy *p = cors_policy_make(pool);
    ck_assert_ptr_null(cors_policy_add_origin(pool, p, "https://dashboard.example.com", "t:1"));
    ck_assert_ptr_null(
        cors_token_list_parse(pool, "*", 0, (cors_token_list **)&p->settings.methods));
    ck_assert_ptr_null(
        cors_token_list_parse(pool, "*", 1, (cors_token_list **)&p->settings.headers));
    p->settings.credentials = credentials;
    return cors_policy_merge(pool, cors_policy_make(pool), p);
}

START_TEST(test_star_methods_allow_methods)
{
    cors_decision d = decide(star_policy(1), "GET", "https://dashboard.example.com", NULL, NULL);
    ck_assert_int_eq(d.reason, CORS_REASON_ALLOWED);
    d = decide(star_policy(0), "PURGE", "https://dashboard.example.com", NULL, NULL);
    ck_assert_int_eq(d.reason, CORS_REASON_ALLOWED);
    ck_assert_int_eq(d.refuse_status, 0);
}
END_TEST

START_TEST(test_star_with_credentials_answers_names)
{
    cors_decision d = decide(star_policy(1), "OPTIONS", "https://dashboard.example.com", "PATCH",
                             "x-custom,content-type");
    ck_assert_int_eq(d.reason, CORS_REASON_ALLOWED);
    ck_assert_pstr_eq(d.allow_credentials, "true");
    /* Never a literal `*`, which a credentialed request reads as a name. */
    ck_assert_pstr_eq(d.allow_methods, "PATCH");
    ck_assert_pstr_eq(d.allow_headers, "x-custom,content-type");
    d = decide(star_policy(1), "OPTIONS", "https://dashboard.example.com", "PUT", NULL);
    ck_assert_pstr_eq(d.allow_methods, "PUT");
    ck_assert_ptr_null(d.allow_headers);
    /* Authorization is never covered by `*`. */
    d = decide(star_policy(1), "OPTIONS", "https://dashboard.example.com", "GET", "authorization");
    ck_assert_int_eq(d.reason, CORS_REASON_HEADER_NOT_ALLOWED);
    d = decide(star_policy(0), "OPTIONS", "https://dashboard.example.com", "GET", "authorization");
    ck_assert_int_eq(d.reason, CORS_REASON_HEADER_NOT_ALLOWED);
}
END_TEST

START_TEST(test_star_without_credentials_is_a_wildcard)
{
    cors_decision d =
        decide(star_policy(0), "OPTIONS", "https://dashboard.example.com", "PATCH", "x-custom");
    ck_assert_int_eq(d.reason, CORS_REASON_ALLOWED);
    ck_assert_ptr_null(d.allow_credentials);
    ck_assert_pstr_eq(d.allow_methods, "*");
    ck_assert_pstr_eq(d.allow_headers, "*");
}
END_TEST

START_TEST(test_method_names_byte_exact)
{
    /* Browsers upper-case only DELETE GET HEAD OPTIONS POST PUT: a page's
     * `patch` arrives as `patch` and is not PATCH. */
    cors_decision d = decide(policy, "OPTIONS", "https://dashboard.example.com", "patch", NULL);
    ck_assert_int_eq(d.reason, CORS_REASON_METHOD_NOT_ALLOWED);
    d = decide(policy, "OPTIONS", "https://dashboard.example.com", "PATCH", NULL);
    ck_assert_int_eq(d.reason, CORS_REASON_ALLOWED);
    d = decide(policy, "patch", "https://dashboard.example.com", NULL, NULL);
    ck_assert_int_eq(d.reason, CORS_REASON_METHOD_NOT_ALLOWED);
}
END_TEST

Suite *decision_suite(void)
{
    Suite *s = suite_create("decision");
    TCase *tc;

    tc = tcase_create("actual");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_no_origin);
    tcase_add_loop_test(tc, test_actual_allowed, 0, N_ELEMS(allowed_cases));
    tcase_add_loop_test(tc, test_actual_denied, 0, N_ELEMS(denied_cases));
    tcase_add_test(tc, test_options_without_preflight_method);
    tcase_add_test(tc, test_get_with_preflight_method);
    tcase_add_test(tc, test_regex_limit);
    suite_add_tcase(s, tc);

    tc = tcase_create("preflight");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_preflight_allowed);
    tcase_add_test(tc, test_preflight_no_headers);
    tcase_add_loop_test(tc, test_preflight_denied, 0, N_ELEMS(preflight_denied_cases));
    tcase_add_test(tc, test_preflight_huge_headers);
    tcase_add_test(tc, test_preflight_denied_origin);
    suite_add_tcase(s, tc);

    tc = tcase_create("wildcard");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_wildcard);
    tcase_add_test(tc, test_wildcard_credentials);
    tcase_add_test(tc, test_null_named);
    tcase_add_test(tc, test_star_methods_allow_methods);
    tcase_add_test(tc, test_star_with_credentials_answers_names);
    tcase_add_test(tc, test_star_without_credentials_is_a_wildcard);
    tcase_add_test(tc, test_method_names_byte_exact);
    tcase_add_test(tc, test_prefix_headers_answered_by_name);
    tcase_add_test(tc, test_same_origin_from_configuration);
    suite_add_tcase(s, tc);

    tc = tcase_create("names");
    tcase_add_test(tc, test_names);
    suite_add_tcase(s, tc);

    tc = tcase_create("cross_site");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_reject_unsafe);
    tcase_add_test(tc, test_pass_and_reject_around_reject_unsafe);
    tcase_add_test(tc, test_reject_unsafe_does_not_trust_star);
    suite_add_tcase(s, tc);

    return s;
}
