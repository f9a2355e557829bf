/*
 * The policy in force for the API location, as the module exported it
 * (K8S_CORS_POLICY), rebuilt with the module's own code, and the gate every
 * request passes: an Origin the policy does not allow gets 403.
 */
#include <apr_strings.h>

#include "console.h"

const char *console_policy_load(apr_pool_t *pool, const char *text, const char *path,
                                console_policy *out)
{
    const char *error;

    if (text == NULL)
        return "no policy exported to the console: put \"K8sCorsExportPolicy /\" (the API "
               "location's path) in the console CGI's <Location>";
    out->policy = cors_policy_make(pool);
    out->path = path ? path : "/";
    error = cors_policy_apply_text(pool, out->policy, text);
    if (error != NULL)
        return apr_pstrcat(pool, "the exported policy does not parse: ", error, NULL);
    return NULL;
}

int console_origin_gate(apr_pool_t *pool, const console_policy *policy, const char *method,
                        const char *origin, console_answer *answer)
{
    cors_request request = {0};
    cors_decision decision;

    if (origin == NULL || origin[0] == '\0')
        return 0; /* not from a browser's cross-origin fetch */
    request.method = method;
    request.origin = origin;
    request.any_host = 1; /* the policy's K8sCorsSelfOrigin lines name them all */
    cors_decide(policy->policy, &request, &decision);
    if (decision.kind == CORS_KIND_NONE)
        return 0; /* the gateway's own origin */
    switch (decision.reason) {
    case CORS_REASON_ALLOWED:
    case CORS_REASON_METHOD_NOT_ALLOWED: /* the origin is allowed; the module decides methods */
    case CORS_REASON_HEADER_NOT_ALLOWED:
    case CORS_REASON_HEADERS_MALFORMED:
        if (cors_policy_mode(policy->policy) != CORS_MODE_OFF)
            return 0;
        *answer = console_error(pool, 403, "cors-off",
                                "CORS is off for the API location: no cross-origin caller may "
                                "use the console");
        return 403;
    default:
        break;
    }
    *answer =
        console_error(pool, 403, cors_reason_name(decision.reason),
                      apr_pstrcat(pool, "the API location's policy does not allow this origin (",
                                  cors_reason_name(decision.reason), ")", NULL));
    return 403;
}
