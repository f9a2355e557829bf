/*
 * A CORS policy: which origins are allowed (exact origins, whole-origin
 * regular expressions, `*`, `null`) and what an allowed origin may do
 * (methods, request headers, exposed headers, credentials, max-age).
 *
 * Policies are built at configuration time and never change afterwards;
 * request-time code only reads them. A field left unset inherits from the
 * enclosing level when policies are merged, and from kube-apiserver's
 * defaults at the end.
 */
#ifndef CORS_POLICY_H
#define CORS_POLICY_H

#include <apr_pools.h>
#include <apr_tables.h>

#include "cors_origin.h"
#include "cors_regex.h"
#include <apr_hash.h>
#include "cors_tokens.h"

#define CORS_UNSET (-1)

/* Defaults, equal to kube-apiserver's (staging/.../server/filters/cors.go). */
extern const cors_token_list cors_default_methods; /* POST, GET, OPTIONS, PUT, DELETE, PATCH */
extern const cors_token_list cors_default_headers; /* Content-Type, ..., If-Modified-Since */
extern const cors_token_list cors_default_expose_headers; /* Date */
#define CORS_DEFAULT_CREDENTIALS  1
#define CORS_DEFAULT_MAX_AGE_TEXT "600"  /* seconds; kube sends none, browsers then use 5 s */
#define CORS_MAX_AGE_FIREFOX      86400L /* longest any browser honours */
#define CORS_MAX_AGE_CHROMIUM     7200L  /* Chromium caps max-age here */

/* New values go last, with their name in rule_kind_names in cors_json.c. */
typedef enum {
    CORS_RULE_EXACT, /* one serialized origin */
    CORS_RULE_REGEX, /* a whole-origin regular expression */
    CORS_RULE_KUBE,  /* a kube-apiserver --cors-allowed-origins entry: unanchored
                        search over the raw Origin value, exactly as kube does */
    CORS_RULE_ANY,   /* "*" */
    CORS_RULE_NULL,  /* the opaque origin "null", named explicitly */
} cors_rule_kind;

/* What an allowed origin may do. Unset fields (NULL, CORS_UNSET) inherit:
 * an origin rule's from its location, a location's from the enclosing one,
 * and at the end from kube-apiserver's defaults. */
typedef struct cors_settings {
    const cors_token_list *methods;
    const cors_token_list *headers;
    const cors_token_list *expose;
    int credentials; /* CORS_UNSET, 0 or 1 */
    const char *credentials_source;
    long max_age; /* CORS_UNSET or seconds */
    const char *max_age_text;
    const char *max_age_source;
    int private_network; /* CORS_UNSET, 0 or 1: Access-Control-Allow-Private-Network */
    /* K8sCorsClientProfile: the profile that filled the lists this scope
     * does not set itself, or NULL (cors_profile.h) */
    const struct cors_client_profile_s *profile;
} cors_settings;

/* One allowed-origin entry as the operator wrote it. */
typedef struct cors_rule {
    cors_rule_kind kind;
    const char *text;              /* as written in the configuration */
    const char *source;            /* "file:line", for messages */
    const char *name;              /* for logs and metrics: K8sCorsRuleName, else the text */
    int index;                     /* position among the level's rules, from 1 */
    cors_regex *regex;             /* CORS_RULE_REGEX and CORS_RULE_KUBE */
    const cors_settings *settings; /* the rule's own (<K8sCorsOrigin>), or NULL */
} cors_rule;

/* New values go last, with their name in cors_mode_names. */
typedef enum {
    CORS_MODE_OFF = 0,
    CORS_MODE_ENFORCE,     /* decide and apply */
    CORS_MODE_REPORT_ONLY, /* decide, log and count, answer as if off */
} cors_mode;

/* New values go last, with their name in cors_denied_action_names. */
typedef enum {
    CORS_DENIED_PASS = 0,      /* kube-apiserver's way: forwarded, without CORS headers */
    CORS_DENIED_REJECT,        /* 403 at the gateway, before the API server */
    CORS_DENIED_REJECT_UNSAFE, /* 403 for requests that can change state (cross-site
                                  request forgery, cors_cross_site.h); reads pass */
} cors_denied_action;

#define CORS_DEFAULT_METHOD_STATUS 405

typedef struct cors_policy {
    int mode; /* CORS_UNSET or cors_mode */
    const char *mode_source;
    int denied_origin;   /* CORS_UNSET or cors_denied_action */
    int method_status;   /* CORS_UNSET, 403 or 405: refusal of an allowed origin's
                            actual request whose method it may not use */
    int strict;          /* CORS_UNSET, 0 or 1: every configuration warning is an error */
    int trust_same_site; /* CORS_UNSET, 0 or 1: Sec-Fetch-Site same-site passes the
                            cross-site step (K8sCorsTrustSameSite) */

    /* Origin rules are one unit: a level that names any origin replaces the
     * inherited rules, so a <Location> never silently widens its parent. */
    int has_origins;
    apr_hash_t *exact;            /* normalized origin -> const cors_rule * */
    apr_array_header_t *patterns; /* const cors_rule *, in configuration order */
    struct cors_matcher *matcher; /* index over patterns (cors_matcher.h) */
    const cors_rule *any;
    const cors_rule *null_origin;
    apr_array_header_t *rules; /* every rule above, const cors_rule *, in configuration order */
    int rule_count;

    cors_settings settings; /* the location's; rules inherit from it */

    /* K8sCorsSelfOrigin: origins that are the gateway's own besides the
     * virtual host's names (a TLS terminator or a load balancer in front).
     * Like the origin rules, a level that names any replaces the inherited
     * ones. */
    apr_hash_t *self_origins;       /* normalized origin -> its text as configured */
    apr_array_header_t *self_texts; /* const char *, normalized, in configuration order */
} cors_policy;

cors_policy *cors_policy_make(apr_pool_t *pool);
cors_settings *cors_settings_make(apr_pool_t *pool);

/* Adds one allowed origin: a serialized origin, "*" or "null", with its own
 * settings or NULL. Returns NULL or an error message. Scheme and host are
 * stored normalized, so `https://A.example.com:443` and
 * `https://a.example.com` are one entry; naming an origin twice is an error
 * when the two entries would disagree (different settings). */
const char *cors_policy_add_origin_with(apr_pool_t *pool, cors_policy *policy, const char *text,
                                        const char *source, const cors_settings *settings,
                                        const char *name);
const char *cors_policy_add_origin(apr_pool_t *pool, cors_policy *policy, const char *text,
                                   const char *source);

/* Adds one K8sCorsSelfOrigin origin (a serialized origin: not `*`, `null`
 * or a pattern). Returns NULL or an error message. */
const char *cors_policy_add_self_origin(apr_pool_t *pool, cors_policy *policy, const char *text);

/* 1 if origin (normalized) is one of the policy's K8sCorsSelfOrigin origins. */
int cors_policy_is_self_origin(const cors_policy *policy, const cors_origin *origin);

/* Adds one whole-origin regular expression. Returns NULL or an error. */
const char *cors_policy_add_pattern_with(apr_pool_t *pool, cors_policy *policy, const char *pattern,
                                         const char *source, const cors_settings *settings,
                                         const char *name);
const char *cors_policy_add_pattern(apr_pool_t *pool, cors_policy *policy, const char *pattern,
                                    const char *source);

/* Adds the entries of a kube-apiserver --cors-allowed-origins value (comma
 * separated regular expressions, matched like kube: an unanchored search of
 * the raw Origin value). An empty entry or one that does not compile is an
 * error, as it is for kube-apiserver. */
const char *cors_policy_add_kube_origins(apr_pool_t *pool, cors_policy *policy,
                                         const char *flag_value, const char *source);

/* Sets max-age from text (decimal seconds). Returns NULL or an error. */
const char *cors_settings_set_max_age(apr_pool_t *pool, cors_settings *settings, const char *text,
                                      const char *source);

/* A new policy: add's fields where set, base's otherwise. */
cors_policy *cors_policy_merge(apr_pool_t *pool, const cors_policy *base, const cors_policy *add);

/* Checks combinations that are only wrong together (`*` or `null` with
 * credentials; unset credentials count as the default, on). Returns NULL
 * or an error naming the rule's source. */
const char *cors_policy_check(apr_pool_t *pool, const cors_policy *policy);

/* Effective values for an origin rule (or the location when rule is NULL):
 * the rule's setting, else the location's, else the default. */
const cors_token_list *cors_effective_methods(const cors_policy *policy, const cors_rule *rule);
const cors_token_list *cors_effective_headers(const cors_policy *policy, const cors_rule *rule);
const cors_token_list *cors_effective_expose(const cors_policy *policy, const cors_rule *rule);
int cors_effective_credentials(const cors_policy *policy, const cors_rule *rule);
const char *cors_effective_max_age_text(const cors_policy *policy, const cors_rule *rule);
int cors_effective_private_network(const cors_policy *policy, const cors_rule *rule);

/* The policy's own settings, defaults filled in. */
cors_mode cors_policy_mode(const cors_policy *policy);
/* "off", "enforce" or "report-only": as K8sCors, the metrics and the JSON
 * say it. */
extern const char *const cors_mode_names[CORS_MODE_REPORT_ONLY + 1];
const char *cors_mode_name(cors_mode mode);
cors_denied_action cors_policy_denied_origin(const cors_policy *policy);
/* "pass", "reject", "reject-unsafe": as K8sCorsDeniedOrigin spells it. */
extern const char *const cors_denied_action_names[CORS_DENIED_REJECT_UNSAFE + 1];
const char *cors_denied_action_name(cors_denied_action action);
int cors_policy_trust_same_site(const cors_policy *policy);
int cors_policy_method_status(const cors_policy *policy);
int cors_policy_strict(const cors_policy *policy);

/* 1 if method may be used by an actual request under these methods: listed,
 * or HEAD when GET is listed (HEAD is GET without the body). */
int cors_method_allowed(const cors_token_list *methods, const char *method, size_t len);

typedef enum {
    CORS_MATCH_NONE = 0,
    CORS_MATCH_RULE,
    CORS_MATCH_LIMIT, /* a pattern hit its PCRE2 limit: counts as no match */
} cors_match_result;

/* Finds the rule allowing an origin: an exact origin first, then the
 * patterns (whole-origin and kube) in configuration order, then `*`.
 * parsed is the parsed origin when it is one (CORS_ORIGIN_OK), else NULL;
 * raw is the Origin value as received, which only kube entries look at. */
cors_match_result cors_policy_match_raw(const cors_policy *policy, const char *raw, size_t raw_len,
                                        const cors_origin *parsed, const cors_rule **rule);

#endif
