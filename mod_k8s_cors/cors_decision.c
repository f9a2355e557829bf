/*
 * The decision function: classify the request, match the origin, check what
 * a preflight asks for, and fill in the headers to send. It reads the policy
 * and the request and writes only *out: no allocation, no side effect.
 */
#include <string.h>
#include <strings.h>

#include "cors_decision.h"
#include "cors_names.h"

static void deny(cors_decision *out, cors_reason reason)
{
    out->allowed = 0;
    out->reason = reason;
}

/* Preflight: the requested method and every requested header must be
 * allowed for the origin's rule. Returns 1 when they are. */
static int check_preflight(const cors_policy *policy, const cors_rule *rule,
                           const cors_request *request, cors_decision *out)
{
    const char *bad;
    size_t bad_len;
    size_t method_len = strlen(request->preflight_method);
    const char *headers = request->request_headers;
    const cors_token_list *methods = cors_effective_methods(policy, rule);

    /* Compared byte for byte: browsers upper-case only DELETE, GET, HEAD,
     * OPTIONS, POST and PUT, so `patch` is not `PATCH`. `*` allows every
     * method (answered by name when credentials are on, see grant). */
    if (!cors_is_method_token(request->preflight_method, method_len) ||
        !(methods->wildcard ||
          cors_token_list_has(methods, request->preflight_method, method_len))) {
        out->detail = request->preflight_method;
        out->detail_len = method_len;
        deny(out, CORS_REASON_METHOD_NOT_ALLOWED);
        return 0;
    }
    if (headers == NULL)
        return 1;
    switch (cors_request_headers_check(cors_effective_headers(policy, rule), headers,
                                       strlen(headers), &bad, &bad_len)) {
    case CORS_LIST_OK:
        return 1;
    case CORS_LIST_NOT_ALLOWED:
        out->detail = bad;
        out->detail_len = bad_len;
        deny(out, CORS_REASON_HEADER_NOT_ALLOWED);
        return 0;
    case CORS_LIST_TOO_LONG:
    case CORS_LIST_TOO_MANY:
    case CORS_LIST_BAD_TOKEN:
        break;
    }
    out->detail = bad;
    out->detail_len = bad_len;
    deny(out, CORS_REASON_HEADERS_MALFORMED);
    return 0;
}

/* The headers that let the browser read the response. */
static void grant(const cors_policy *policy, const cors_rule *rule, const cors_request *request,
                  cors_decision *out)
{
    int credentials = cors_effective_credentials(policy, rule);
    out->allow_origin = rule->kind == CORS_RULE_ANY ? "*" : request->origin;
    out->allow_credentials = credentials ? "true" : NULL;
    if (out->kind == CORS_KIND_PREFLIGHT) {
        const cors_token_list *methods = cors_effective_methods(policy, rule);
        const cors_token_list *headers = cors_effective_headers(policy, rule);
        /* Browsers read `*` as a wildcard only for requests without
         * credentials, and as the literal name `*` for credentialed ones
         * (Fetch, CORS-preflight fetch). A preflight does not say which it
         * precedes, so with credentials on `*` is answered with the names
         * asked for, already checked (Authorization only when listed). */
        out->allow_methods =
            methods->wildcard && credentials ? request->preflight_method : methods->joined;
        /* A prefix entry (Impersonate-Extra-*) cannot be sent either: the
         * names asked for are, checked against it. */
        if (request->request_headers != NULL && request->request_headers[0] != '\0' &&
            ((headers->wildcard && credentials) || headers->prefix_count > 0))
            out->allow_headers = request->request_headers;
        else if (!headers->wildcard || !credentials)
            out->allow_headers = cors_token_list_header_value(headers);
        out->max_age = cors_effective_max_age_text(policy, rule);
        if (request->request_private_network != NULL &&
            strcmp(request->request_private_network, "true") == 0 &&
            cors_effective_private_network(policy, rule))
            out->allow_private_network = "true";
    } else {
        out->expose_headers = cors_effective_expose(policy, rule)->joined;
    }
}

static int host_is(const cors_origin *origin, const char *host)
{
    size_t len = strlen(host);
    const char *own = origin->text + origin->host_off;
    /* Both sides are lower-case (httpd lower-cases the request's host). An
     * IPv6 literal may come without its brackets. */
    if (len + 2 == origin->host_len && own[0] == '[') {
        own++;
        len = origin->host_len - 2;
    } else if (len != origin->host_len) {
        return 0;
    }
    return strncasecmp(own, host, len) == 0;
}

/* The Origin is the gateway's own when the request was sent to that origin
 * (the host it names is the request's) and the configuration says the
 * origin is the gateway's: one of the virtual host's names with the
 * connection's scheme and port, or a K8sCorsSelfOrigin entry. */
static int is_same_origin(const cors_policy *policy, const cors_request *request,
                          const cors_origin *origin)
{
    if (!request->any_host && (request->host == NULL || !host_is(origin, request->host)))
        return 0;
    if (cors_policy_is_self_origin(policy, origin))
        return 1;
    if (request->any_host || !request->host_is_self || request->self_scheme == NULL)
        return 0;
    return origin->scheme_len == strlen(request->self_scheme) &&
           memcmp(origin->text, request->self_scheme, origin->scheme_len) == 0 &&
           origin->port == request->self_port;
}

/* The cross-site step, under reject-unsafe and reject (reject refuses more,
 * never less). Returns 1 when it refuses the request. */
static int cross_site_step(const cors_policy *policy, const cors_request *request,
                           cors_decision *out, cors_origin_standing standing)
{
    if (cors_policy_denied_origin(policy) == CORS_DENIED_PASS)
        return 0;
    out->cross_site = cors_cross_site_check(request->method, request->upgrade, out->fetch_site,
                                            standing, cors_policy_trust_same_site(policy));
    return cors_cross_site_refused(out->cross_site);
}

/* A denied origin: refused at the gateway when the location rejects
 * denied origins (all their requests, or the unsafe ones), and always for
 * upgrades, which browsers never check. */
static void deny_origin(const cors_policy *policy, const cors_request *request, cors_decision *out,
                        cors_reason reason)
{
    int refused_cross_site = cross_site_step(policy, request, out, CORS_STANDING_FOREIGN);
    deny(out, reason);
    if (out->kind == CORS_KIND_ACTUAL && (request->upgrade || refused_cross_site ||
                                          cors_policy_denied_origin(policy) == CORS_DENIED_REJECT))
        out->refuse_status = 403;
    /* A denied preflight is always answered 403 by the gateway. */
    if (out->kind == CORS_KIND_PREFLIGHT)
        out->refuse_status = 403;
}

int cors_no_origin_needs_decision(const cors_policy *policy, const char *method, int upgrade,
                                  const char *fetch_site)
{
    return fetch_site != NULL && (upgrade || !cors_method_is_safe(method)) &&
           cors_policy_denied_origin(policy) != CORS_DENIED_PASS;
}

void cors_decide(const cors_policy *policy, const cors_request *request, cors_decision *out)
{
    cors_origin origin;
    const cors_rule *rule;
    size_t origin_len;
    int asks_pna;

    memset(out, 0, sizeof(*out));
    out->fetch_site = cors_fetch_site_parse(request->fetch_site);
    if (request->origin == NULL || request->origin[0] == '\0') {
        out->kind = CORS_KIND_NONE;
        out->reason = CORS_REASON_NO_ORIGIN;
        out->vary = CORS_VARY_ACTUAL; /* the same URL answers differently with one */
        /* Neither signal: a non-browser client (kubectl). Sec-Fetch-Site
         * saying another site sent it: refused like a foreign Origin. */
        if (cross_site_step(policy, request, out, CORS_STANDING_ABSENT))
            out->refuse_status = 403;
        return;
    }
    origin_len = strlen(request->origin);
    out->origin_status = cors_origin_parse(request->origin, origin_len, &origin);
    if (out->origin_status == CORS_ORIGIN_OK && is_same_origin(policy, request, &origin)) {
        /* Browsers send Origin on same-origin POST, PUT, DELETE too: not a
         * CORS request, never refused for being one. */
        out->kind = CORS_KIND_NONE;
        out->reason = CORS_REASON_SAME_ORIGIN;
        out->vary = CORS_VARY_ACTUAL;
        cross_site_step(policy, request, out, CORS_STANDING_OWN); /* passes: for explain */
        return;
    }
    out->kind = (request->preflight_method != NULL && request->preflight_method[0] != '\0' &&
                 strcmp(request->method, "OPTIONS") == 0)
                    ? CORS_KIND_PREFLIGHT
                    : CORS_KIND_ACTUAL;
    asks_pna = out->kind == CORS_KIND_PREFLIGHT && request->request_private_network != NULL;
    out->vary = out->kind != CORS_KIND_PREFLIGHT ? CORS_VARY_ACTUAL
                : asks_pna                       ? CORS_VARY_PREFLIGHT_PNA
                                                 : CORS_VARY_PREFLIGHT;

    if (out->origin_status == CORS_ORIGIN_NULL) {
        /* Only an explicit "null" entry admits the opaque origin: `*`,
         * patterns and kube entries never do. */
        if (policy->null_origin == NULL) {
            deny_origin(policy, request, out, CORS_REASON_ORIGIN_NULL);
            return;
        }
        rule = policy->null_origin;
    } else {
        switch (cors_policy_match_raw(policy, request->origin, origin_len,
                                      out->origin_status == CORS_ORIGIN_OK ? &origin : NULL,
                                      &rule)) {
        case CORS_MATCH_RULE:
            break;
        case CORS_MATCH_LIMIT:
            out->rule = rule;
            deny_origin(policy, request, out, CORS_REASON_REGEX_LIMIT);
            return;
        case CORS_MATCH_NONE:
            deny_origin(policy, request, out,
                        out->origin_status == CORS_ORIGIN_OK ? CORS_REASON_ORIGIN_NOT_ALLOWED
                                                             : CORS_REASON_ORIGIN_MALFORMED);
            return;
        }
    }
    out->rule = rule;

    if (cors_effective_credentials(policy, rule) &&
        (rule->kind == CORS_RULE_ANY || rule->kind == CORS_RULE_NULL)) {
        /* Refused at configuration time; kept safe here whatever the merge
         * of nested sections produced. */
        deny_origin(policy, request, out, CORS_REASON_WILDCARD_CREDENTIALS);
        return;
    }
    /* `*` and `null` let any page read what needs no credentials; they
     * trust no page to send what changes state (a form POST still carries
     * the user's client certificate), so for the cross-site step such an
     * origin is foreign. */
    if (rule->kind == CORS_RULE_ANY || rule->kind == CORS_RULE_NULL) {
        if (out->kind == CORS_KIND_ACTUAL &&
            cross_site_step(policy, request, out, CORS_STANDING_FOREIGN)) {
            deny(out, CORS_REASON_CROSS_SITE_UNTRUSTED);
            out->refuse_status = 403;
            return;
        }
    } else {
        cross_site_step(policy, request, out, CORS_STANDING_ALLOWED); /* passes: for explain */
    }
    if (out->kind == CORS_KIND_PREFLIGHT) {
        if (!check_preflight(policy, rule, request, out)) {
            out->refuse_status = 403;
            return;
        }
    } else if (!cors_method_allowed(cors_effective_methods(policy, rule), request->method,
                                    strlen(request->method))) {
        /* An allowed origin using a method its rule does not allow: refused
         * before the API server. The CORS headers stay, so the page can read
         * why (a read-only dashboard's DELETE gets a readable 405). */
        out->detail = request->method;
        out->detail_len = strlen(request->method);
        deny(out, CORS_REASON_METHOD_NOT_ALLOWED);
        out->refuse_status = cors_policy_method_status(policy);
        if (out->refuse_status == 405)
            out->allow = cors_effective_methods(policy, rule)->joined;
        grant(policy, rule, request, out);
        return;
    }
    out->allowed = 1;
    out->reason = CORS_REASON_ALLOWED;
    grant(policy, rule, request, out);
}

static const char *const reason_names[] = {"no-origin",          "allowed",
                                           "origin-malformed",   "origin-null",
                                           "origin-not-allowed", "regex-limit",
                                           "method-not-allowed", "header-not-allowed",
                                           "headers-malformed",  "wildcard-with-credentials",
                                           "same-origin",        "cross-site-untrusted"};
_Static_assert(CORS_NAMES_COUNT(reason_names) == CORS_REASON_CROSS_SITE_UNTRUSTED + 1,
               "a name for every value");

const char *cors_reason_name(cors_reason reason)
{
    return cors_name_of(reason_names, CORS_NAMES_COUNT(reason_names), (int)reason);
}

static const char *const kind_names[] = {"none", "actual", "preflight"};
_Static_assert(CORS_NAMES_COUNT(kind_names) == CORS_KIND_PREFLIGHT + 1, "a name for every value");

const char *cors_kind_name(cors_kind kind)
{
    return cors_name_of(kind_names, CORS_NAMES_COUNT(kind_names), (int)kind);
}
