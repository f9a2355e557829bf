/*
 * The CORS decision for one request, as data: computed once, then applied by
 * whoever needs it (the httpd module writes headers from it, logs and
 * explanations read it). Deciding never allocates.
 */
#ifndef CORS_DECISION_H
#define CORS_DECISION_H

#include <stddef.h>

#include "cors_cross_site.h"
#include "cors_origin.h"
#include "cors_policy.h"

/* New values go last, with their name in kind_names in cors_decision.c. */
typedef enum {
    CORS_KIND_NONE = 0,  /* no Origin (or an empty one): not a CORS request */
    CORS_KIND_ACTUAL,    /* a request carrying Origin */
    CORS_KIND_PREFLIGHT, /* OPTIONS with Origin and Access-Control-Request-Method */
} cors_kind;

/* New values go last, with their name in reason_names in cors_decision.c. */
typedef enum {
    CORS_REASON_NO_ORIGIN = 0,
    CORS_REASON_ALLOWED,
    CORS_REASON_ORIGIN_MALFORMED,     /* not one serialized origin */
    CORS_REASON_ORIGIN_NULL,          /* "null", not named in the policy */
    CORS_REASON_ORIGIN_NOT_ALLOWED,   /* well-formed, matches no rule */
    CORS_REASON_REGEX_LIMIT,          /* a pattern hit its match limit */
    CORS_REASON_METHOD_NOT_ALLOWED,   /* preflight: requested method not allowed */
    CORS_REASON_HEADER_NOT_ALLOWED,   /* preflight: a requested header not allowed */
    CORS_REASON_HEADERS_MALFORMED,    /* preflight: header list too long or not tokens */
    CORS_REASON_WILDCARD_CREDENTIALS, /* `*` or `null` matched while credentials are on */
    CORS_REASON_SAME_ORIGIN,          /* Origin is the gateway's own: not cross-origin */
    CORS_REASON_CROSS_SITE_UNTRUSTED, /* allowed only by `*` or `null`, which the cross-site
                                         step does not trust: an unsafe request refused */
} cors_reason;

#define CORS_VARY_ACTUAL        "Origin"
#define CORS_VARY_PREFLIGHT     "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"
#define CORS_VARY_PREFLIGHT_PNA CORS_VARY_PREFLIGHT ", Access-Control-Request-Private-Network"

/* What arrived, as the request carries it. Strings are NUL-terminated and
 * must outlive the decision; origin may be NULL. */
typedef struct {
    const char *method;
    const char *origin;
    const char *preflight_method;        /* Access-Control-Request-Method, or NULL */
    const char *request_headers;         /* Access-Control-Request-Headers, or NULL */
    const char *request_private_network; /* Access-Control-Request-Private-Network, or NULL */
    /* Where the request was sent, for the same-origin test. Only facts the
     * server's configuration vouches for: a Host header that names none of
     * the virtual host's names is never the gateway's own origin (DNS
     * rebinding makes any name resolve to the gateway). */
    const char *host;        /* the request's host name, lower-case, without port, or NULL */
    int host_is_self;        /* 1: host is the virtual host's ServerName or a ServerAlias */
    const char *self_scheme; /* the connection's scheme ("http", "https"), or NULL */
    unsigned self_port;      /* the port the connection arrived on */
    int any_host;            /* 1: a request as the console imagines it, to any of the
                                gateway's own origins (K8sCorsSelfOrigin only) */
    int upgrade;             /* 1: a protocol upgrade (WebSocket: exec, attach,
                                port-forward), which browsers never check */
    const char *fetch_site;  /* Sec-Fetch-Site, or NULL */
} cors_request;

typedef struct {
    cors_kind kind;
    int allowed;
    cors_reason reason;
    cors_origin_status origin_status; /* why the origin was malformed */
    const cors_rule *rule;            /* the rule that allowed the origin, or NULL */
    const char *detail;               /* the refused method or header name, inside the request */
    size_t detail_len;

    /* The cross-site step (K8sCorsDeniedOrigin reject-unsafe or reject):
     * its verdict, and the Sec-Fetch-Site it read. A refusing verdict sets
     * refuse_status 403, also for a request without Origin. */
    cors_cross_site cross_site;
    cors_fetch_site fetch_site;

    /* Non-zero: the gateway answers with this status itself (403 for a
     * rejected origin or upgrade, 403/405 for a refused method) and the
     * request never reaches the API server. */
    int refuse_status;
    const char *allow; /* the Allow header of a 405 */

    /* Headers to send; NULL means "do not send". */
    const char *allow_origin; /* the request's Origin, verbatim, or "*" */
    const char *allow_credentials;
    const char *allow_methods;         /* preflight only */
    const char *allow_headers;         /* preflight only */
    const char *max_age;               /* preflight only */
    const char *allow_private_network; /* preflight only, when asked and enabled */
    const char *expose_headers;        /* actual requests only */
    const char *vary; /* merged into Vary: "Origin" on every response in scope, more on a
                         preflight */
} cors_decision;

/* Whether a request without Origin needs cors_decide at all: only when the
 * cross-site step may refuse it (an unsafe request carrying Sec-Fetch-Site
 * under reject-unsafe or reject). Otherwise its decision is the constant
 * no-Origin one, and the caller may share it. */
int cors_no_origin_needs_decision(const cors_policy *policy, const char *method, int upgrade,
                                  const char *fetch_site);

/* The decision under the policy's mode and settings. Enforcement (refusals)
 * is part of the decision; whether it is applied (enforce) or only reported
 * (report-only) is for the caller to say from cors_policy_mode(). */

void cors_decide(const cors_policy *policy, const cors_request *request, cors_decision *out);

/* Stable machine name ("allowed", "origin-not-allowed", ...). */
const char *cors_reason_name(cors_reason reason);
const char *cors_kind_name(cors_kind kind);

#endif
