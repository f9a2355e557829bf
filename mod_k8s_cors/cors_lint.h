/*
 * Configuration lint: what is wrong with an origin pattern, proven with a
 * concrete attacker origin that the pattern accepts (checked by matching it
 * with the same semantics as the target: kube-apiserver's unanchored search
 * of the raw Origin, or the module's whole-origin match), and a suggested
 * fix, itself linted again before it is offered. Used at httpd start-up (warnings, or errors under
 * K8sCorsStrict) and by k8s-cors-lint.
 */
#ifndef CORS_LINT_H
#define CORS_LINT_H

#include <apr_pools.h>
#include <apr_tables.h>

#include "cors_policy.h"

/* New values go last, with their name in severity_names in cors_lint_policy.c. */
typedef enum {
    CORS_SEVERITY_INFO = 0, /* worth knowing, never fatal */
    CORS_SEVERITY_WARNING,  /* a weakness; fatal under K8sCorsStrict */
    CORS_SEVERITY_ERROR,    /* fatal */
} cors_severity;

typedef enum {
    CORS_SEMANTICS_WHOLE, /* the module: whole normalized origin, PCRE2 */
    CORS_SEMANTICS_KUBE,  /* kube-apiserver: unanchored search of the raw value, Go RE2 */
} cors_semantics;

typedef struct {
    cors_severity severity;
    const char *code;       /* stable identifier: "unanchored-end", "unescaped-dot", ... */
    const char *subject;    /* the pattern or origin concerned */
    const char *source;     /* "file:line", or NULL */
    const char *message;    /* one sentence for people */
    const char *attacker;   /* an origin the pattern accepts and should not, or NULL */
    const char *suggestion; /* a pattern (or origin) that fixes it, or NULL */
    int strict_exempt;      /* a warning K8sCorsStrict leaves a warning */
} cors_finding;

/* Findings for one pattern under the given semantics, appended to out
 * (an array of cors_finding). A pattern that does not compile gives one
 * error finding. */
void cors_lint_pattern(apr_pool_t *pool, const char *pattern, cors_semantics semantics,
                       const char *source, apr_array_header_t *out);

/* The same for a pattern already compiled with the target's semantics (a
 * policy's rules bring their own). */
void cors_lint_compiled(apr_pool_t *pool, const char *pattern, cors_semantics semantics,
                        cors_regex *regex, const char *source, apr_array_header_t *out);

/* Findings for one exact allowed origin (as configured): plain http, `*`,
 * `null`. */
void cors_lint_origin(apr_pool_t *pool, const char *origin, const char *source,
                      apr_array_header_t *out);

/* Findings for everything a policy level defines itself: its origin rules
 * and the settings of the level and of each rule (max-age over what
 * browsers honour, ...). Returns a new array of cors_finding. */
apr_array_header_t *cors_lint_policy(apr_pool_t *pool, const cors_policy *policy);

/* ingress-nginx's CORS annotations on an Ingress with enable-cors "true",
 * linted under the controller's own rules (cors_lint_controllers.c):
 * allow_origin is cors-allow-origin (NULL when absent), allow_credentials
 * cors-allow-credentials (NULL when absent: the controller's default is
 * true). Returns a verified replacement value for cors-allow-origin, or
 * NULL. */
const char *cors_lint_ingress_nginx(apr_pool_t *pool, const char *allow_origin,
                                    const char *allow_credentials, const char *source,
                                    apr_array_header_t *out);

/* Whether ingress-nginx, with this cors-allow-origin value (NULL: absent),
 * gives origin CORS headers. */
int cors_ingress_nginx_accepts(apr_pool_t *pool, const char *allow_origin, const char *origin);

/* The allowOrigins of one Gateway API HTTPRoute CORS filter (const char *
 * entries, and the source of each), linted under the Gateway API's rules;
 * credentials is allowCredentials. */
void cors_lint_gateway_origins(apr_pool_t *pool, const apr_array_header_t *origins,
                               const apr_array_header_t *sources, int credentials,
                               apr_array_header_t *out);

/* Whether one allowOrigins entry admits origin under the Gateway API's
 * rules (default ports, `*` matching any labels to its left). */
int cors_gateway_origin_accepts(const char *entry, const char *origin);

/* A finding no suggested pattern can close without changing the intended
 * origin (plain http stays plain http): the only kind a verified suggestion
 * may still carry. */
int cors_lint_unfixable(const char *code);

/* Appends a finding to out (an array of cors_finding), its other fields
 * NULL, and returns it. */
cors_finding *cors_finding_add(apr_array_header_t *out, cors_severity severity, const char *code,
                               const char *subject, const char *source, const char *message);

/* The severity a finding has under a strictness: warnings become errors. */
cors_severity cors_finding_effective_severity(const cors_finding *finding, int strict);

const char *cors_severity_name(cors_severity severity);

/* One line: "source: severity: message (accepts ATTACKER; use SUGGESTION)". */
const char *cors_finding_format(apr_pool_t *pool, const cors_finding *finding, int strict);

/* One line of the start-up check. */
typedef struct {
    cors_severity severity; /* under the strictness in force */
    const char *line;       /* as httpd logs it */
    cors_finding finding;   /* the lint finding it reports (severity made effective); its
                               code is NULL for a line of the cross-directive check */
} cors_check_line;

/* The start-up check of one configuration section, as httpd runs it on
 * every section and k8s-cors-lint on every section it reads: the lint of
 * what the section itself configures (own), under the strictness of the
 * policy in force there (effective) or force_strict, then the checks that
 * span directives on effective (`*` with credentials inherited, K8sCors on
 * without origins). Returns an array of cors_check_line. */
apr_array_header_t *cors_check_section(apr_pool_t *pool, const cors_policy *own,
                                       const cors_policy *effective, int force_strict);

/* A regular expression matching exactly text (metacharacters escaped). */
const char *cors_regex_escape(apr_pool_t *pool, const char *text);

#endif
