/*
 * The decision function: classify the request, match the origin, check what
 * a preflight asks for, and fill in the headers to send. It reads the policy
 * and the request and writes only *out: no allocation, no side effect.
 */
#include <string.h>

#include "cors_decision.h"

static void deny(cors_decision *out, cors_reason reason)
{
    out->allowed = 0;
    out->reason = reason;
}

/* Preflight: the requested method and every requested header must be
 * allowed. Returns 1 when they are. */
static int check_preflight(const cors_policy *policy, const cors_request *request,
                           cors_decision *out)
{
    const char *bad;
    size_t bad_len;
    size_t method_len = strlen(request->request_method);
    const char *headers = request->request_headers;

    if (!cors_is_method_token(request->request_method, method_len) ||
        !cors_token_list_has(cors_policy_methods(policy), request->request_method, method_len)) {
        out->detail = request->request_method;
        out->detail_len = method_len;
        deny(out, CORS_REASON_METHOD_NOT_ALLOWED);
        return 0;
    }
    if (headers == NULL)
        return 1;
    switch (cors_request_headers_check(cors_policy_headers(policy), headers, strlen(headers), &bad,
                                       &bad_len)) {
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

void cors_decide(const cors_policy *policy, const cors_request *request, cors_decision *out)
{
    cors_origin origin;
    const cors_rule *rule;
    int credentials;

    memset(out, 0, sizeof(*out));
    if (request->origin == NULL || request->origin[0] == '\0') {
        out->kind = CORS_KIND_NONE;
        out->reason = CORS_REASON_NO_ORIGIN;
        return;
    }
    out->kind = (request->request_method != NULL && request->request_method[0] != '\0' &&
                 strcmp(request->method, "OPTIONS") == 0)
                    ? CORS_KIND_PREFLIGHT
                    : CORS_KIND_ACTUAL;
    out->vary = out->kind == CORS_KIND_PREFLIGHT ? CORS_VARY_PREFLIGHT : CORS_VARY_ACTUAL;

    out->origin_status = cors_origin_parse(request->origin, strlen(request->origin), &origin);
    if (out->origin_status == CORS_ORIGIN_NULL) {
        /* Only an explicit "null" entry admits the opaque origin: `*` and
         * patterns never do. */
        if (policy->null_origin == NULL) {
            deny(out, CORS_REASON_ORIGIN_NULL);
            return;
        }
        rule = policy->null_origin;
    } else if (out->origin_status != CORS_ORIGIN_OK) {
        deny(out, CORS_REASON_ORIGIN_MALFORMED);
        return;
    } else {
        switch (cors_policy_match(policy, &origin, &rule)) {
        case CORS_MATCH_RULE:
            break;
        case CORS_MATCH_LIMIT:
            out->rule = rule;
            deny(out, CORS_REASON_REGEX_LIMIT);
            return;
        case CORS_MATCH_NONE:
            deny(out, CORS_REASON_ORIGIN_NOT_ALLOWED);
            return;
        }
    }
    out->rule = rule;

    credentials = cors_policy_credentials(policy);
    if (credentials && (rule->kind == CORS_RULE_ANY || rule->kind == CORS_RULE_NULL)) {
        /* Refused at configuration time; kept safe here whatever the merge
         * of nested sections produced. */
        deny(out, CORS_REASON_WILDCARD_CREDENTIALS);
        return;
    }
    if (out->kind == CORS_KIND_PREFLIGHT && !check_preflight(policy, request, out))
        return;

    out->allowed = 1;
    out->reason = CORS_REASON_ALLOWED;
    out->allow_origin = rule->kind == CORS_RULE_ANY ? "*" : request->origin;
    out->allow_credentials = credentials ? "true" : NULL;
    if (out->kind == CORS_KIND_PREFLIGHT) {
        out->allow_methods = cors_policy_methods(policy)->joined;
        out->allow_headers = cors_policy_headers(policy)->joined;
        out->max_age = cors_policy_max_age_text(policy);
    } else {
        out->expose_headers = cors_policy_expose(policy)->joined;
    }
}

const char *cors_reason_name(cors_reason reason)
{
    switch (reason) {
    case CORS_REASON_NO_ORIGIN:
        return "no-origin";
    case CORS_REASON_ALLOWED:
        return "allowed";
    case CORS_REASON_ORIGIN_MALFORMED:
        return "origin-malformed";
    case CORS_REASON_ORIGIN_NULL:
        return "origin-null";
    case CORS_REASON_ORIGIN_NOT_ALLOWED:
        return "origin-not-allowed";
    case CORS_REASON_REGEX_LIMIT:
        return "regex-limit";
    case CORS_REASON_METHOD_NOT_ALLOWED:
        return "method-not-allowed";
    case CORS_REASON_HEADER_NOT_ALLOWED:
        return "header-not-allowed";
    case CORS_REASON_HEADERS_MALFORMED:
        return "headers-malformed";
    case CORS_REASON_WILDCARD_CREDENTIALS:
        return "wildcard-with-credentials";
    }
    return "unknown";
}

const char *cors_kind_name(cors_kind kind)
{
    switch (kind) {
    case CORS_KIND_NONE:
        return "none";
    case CORS_KIND_ACTUAL:
        return "actual";
    case CORS_KIND_PREFLIGHT:
        return "preflight";
    }
    return "unknown";
}
