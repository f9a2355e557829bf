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
#include "cors_strset.h"
#include "cors_tokens.h"

#define CORS_UNSET (-1)

/* Defaults, equal to kube-apiserver's (staging/.../server/filters/cors.go). */
extern const cors_token_list cors_default_methods; /* POST, GET, OPTIONS, PUT, DELETE, PATCH */
extern const cors_token_list cors_default_headers; /* Content-Type, ..., If-Modified-Since */
extern const cors_token_list cors_default_expose_headers; /* Date */
#define CORS_DEFAULT_CREDENTIALS  1
#define CORS_DEFAULT_MAX_AGE_TEXT "600"  /* seconds; kube sends none, browsers then use 5 s */
#define CORS_MAX_AGE_LIMIT        86400L /* longest any browser honours (Firefox) */

typedef enum {
    CORS_RULE_EXACT, /* one serialized origin */
    CORS_RULE_REGEX, /* a whole-origin regular expression */
    CORS_RULE_ANY,   /* "*" */
    CORS_RULE_NULL,  /* the opaque origin "null", named explicitly */
} cors_rule_kind;

/* One allowed-origin entry as the operator wrote it. */
typedef struct cors_rule {
    cors_rule_kind kind;
    const char *text;   /* as written in the configuration */
    const char *source; /* "file:line", for messages */
    int index;          /* position among the level's rules, from 1 */
    cors_regex *regex;  /* CORS_RULE_REGEX only */
} cors_rule;

typedef struct cors_policy {
    /* Origin rules are one unit: a level that names any origin replaces the
     * inherited rules, so a <Location> never silently widens its parent. */
    int has_origins;
    cors_strset *exact;           /* normalized origin -> const cors_rule * */
    apr_array_header_t *patterns; /* const cors_rule *, in configuration order */
    const cors_rule *any;
    const cors_rule *null_origin;
    int rule_count;

    const cors_token_list *methods; /* NULL: inherit */
    const cors_token_list *headers;
    const cors_token_list *expose;
    int credentials; /* CORS_UNSET, 0 or 1 */
    const char *credentials_source;
    long max_age; /* CORS_UNSET or seconds */
    const char *max_age_text;
} cors_policy;

cors_policy *cors_policy_make(apr_pool_t *pool);

/* Adds one allowed origin: a serialized origin, "*" or "null". Returns NULL
 * or an error message. Scheme and host are stored normalized, so
 * `https://A.example.com:443` and `https://a.example.com` are one entry. */
const char *cors_policy_add_origin(apr_pool_t *pool, cors_policy *policy, const char *text,
                                   const char *source);

/* Adds one whole-origin regular expression. Returns NULL or an error. */
const char *cors_policy_add_pattern(apr_pool_t *pool, cors_policy *policy, const char *pattern,
                                    const char *source);

/* Sets max-age from text (decimal seconds). Returns NULL or an error. */
const char *cors_policy_set_max_age(apr_pool_t *pool, cors_policy *policy, const char *text);

/* A new policy: add's fields where set, base's otherwise. */
cors_policy *cors_policy_merge(apr_pool_t *pool, const cors_policy *base, const cors_policy *add);

/* Checks combinations that are only wrong together (`*` or `null` with
 * credentials; unset credentials count as the default, on). Returns NULL
 * or an error naming the rule's source. */
const char *cors_policy_check(apr_pool_t *pool, const cors_policy *policy);

/* Effective values, defaults applied. */
const cors_token_list *cors_policy_methods(const cors_policy *policy);
const cors_token_list *cors_policy_headers(const cors_policy *policy);
const cors_token_list *cors_policy_expose(const cors_policy *policy);
int cors_policy_credentials(const cors_policy *policy);
const char *cors_policy_max_age_text(const cors_policy *policy);

typedef enum {
    CORS_MATCH_NONE = 0,
    CORS_MATCH_RULE,
    CORS_MATCH_LIMIT, /* a pattern hit its PCRE2 limit: counts as no match */
} cors_match_result;

/* Finds the rule allowing a parsed origin: an exact origin first, then the
 * patterns in configuration order, then `*`. */
cors_match_result cors_policy_match(const cors_policy *policy, const cors_origin *origin,
                                    const cors_rule **rule);

#endif
