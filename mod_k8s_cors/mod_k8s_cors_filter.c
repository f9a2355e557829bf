/*
 * The output filter that applies a decision to a response: whatever produced
 * it (the API server through mod_proxy, httpd's own error pages, our 204),
 * the client gets exactly one set of CORS headers, ours.
 *
 * It acts on the first brigade, then removes itself: a watch stream or a
 * large list flows through untouched and unbuffered.
 */
#include <string.h>
#include <strings.h>

#include <apr_strings.h>
#include <http_request.h>
#include <util_filter.h>

#include "mod_k8s_cors_private.h"

/* Response headers only a CORS implementation sends. Any the API server
 * sent (kube-apiserver with its own --cors-allowed-origins) are dropped, or
 * the browser would see two Access-Control-Allow-Origin values and refuse. */
static const char *const cors_response_headers[] = {
    "Access-Control-Allow-Origin",          "Access-Control-Allow-Credentials",
    "Access-Control-Allow-Methods",         "Access-Control-Allow-Headers",
    "Access-Control-Expose-Headers",        "Access-Control-Max-Age",
    "Access-Control-Allow-Private-Network",
};

void k8s_cors_insert_filter(request_rec *r)
{
    k8s_cors_request_state *state;
    if (r->main != NULL)
        return; /* subrequests never reach the client's headers */
    state = k8s_cors_find_state(r);
    if (state != NULL && state->apply)
        ap_add_output_filter(K8S_CORS_FILTER, state, r, r->connection);
}

static int vary_has_token(void *token, const char *key, const char *value)
{
    size_t len = strlen(token);
    (void)key;
    while (*value) {
        const char *end;
        while (*value == ' ' || *value == '\t' || *value == ',')
            value++;
        end = value;
        while (*end && *end != ',' && *end != ' ' && *end != '\t')
            end++;
        if ((size_t)(end - value) == len && strncasecmp(value, token, len) == 0)
            return 0; /* found: stop iterating */
        value = end;
    }
    return 1;
}

/* Adds each token of list (comma-separated) to Vary unless present. */
static void merge_vary(request_rec *r, const char *list)
{
    while (*list) {
        const char *end = strchr(list, ',');
        char *token =
            end ? apr_pstrmemdup(r->pool, list, (size_t)(end - list)) : apr_pstrdup(r->pool, list);
        if (apr_table_do(vary_has_token, token, r->headers_out, "Vary", NULL) &&
            apr_table_do(vary_has_token, token, r->err_headers_out, "Vary", NULL))
            apr_table_mergen(r->headers_out, "Vary", token);
        if (end == NULL)
            break;
        list = end + 1;
        while (*list == ' ')
            list++;
    }
}

static void apply_decision(request_rec *r, const cors_decision *d)
{
    int removed = 0;
    for (size_t i = 0; i < sizeof(cors_response_headers) / sizeof(cors_response_headers[0]); i++) {
        removed |= apr_table_get(r->headers_out, cors_response_headers[i]) != NULL;
        apr_table_unset(r->headers_out, cors_response_headers[i]);
        apr_table_unset(r->err_headers_out, cors_response_headers[i]);
    }
    if (removed)
        k8s_cors_count_upstream_headers_removed();
    merge_vary(r, d->vary);
    if (d->allow != NULL && r->status == HTTP_METHOD_NOT_ALLOWED) {
        apr_table_unset(r->err_headers_out, "Allow");
        apr_table_setn(r->headers_out, "Allow", d->allow);
    }
    /* A refused method of an allowed origin keeps its CORS headers, so the
     * page can read the 405; a denied origin gets none. */
    if (d->allow_origin == NULL)
        return;
    /* The values point into the policy (configuration pool) or into the
     * request's own headers: setn, no copies. */
    apr_table_setn(r->headers_out, "Access-Control-Allow-Origin", d->allow_origin);
    if (d->allow_credentials)
        apr_table_setn(r->headers_out, "Access-Control-Allow-Credentials", d->allow_credentials);
    if (d->allow_methods)
        apr_table_setn(r->headers_out, "Access-Control-Allow-Methods", d->allow_methods);
    if (d->allow_headers)
        apr_table_setn(r->headers_out, "Access-Control-Allow-Headers", d->allow_headers);
    if (d->max_age)
        apr_table_setn(r->headers_out, "Access-Control-Max-Age", d->max_age);
    if (d->allow_private_network)
        apr_table_setn(r->headers_out, "Access-Control-Allow-Private-Network",
                       d->allow_private_network);
    if (d->expose_headers)
        apr_table_setn(r->headers_out, "Access-Control-Expose-Headers", d->expose_headers);
}

apr_status_t k8s_cors_output_filter(ap_filter_t *f, apr_bucket_brigade *bb)
{
    const k8s_cors_request_state *state = f->ctx;
    /* By the time the first brigade arrives, httpd has settled which table
     * holds which header (mod_proxy replaced headers_out with the API
     * server's; an error page swapped in err_headers_out), and HTTP_HEADER,
     * which runs after us, has not serialized anything yet. */
    apply_decision(f->r, &state->decision);
    ap_remove_output_filter(f);
    return ap_pass_brigade(f->next, bb);
}
