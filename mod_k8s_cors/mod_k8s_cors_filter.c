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

void k8s_cors_insert_filter(request_rec *r)
{
    k8s_cors_request_state *state;
    if (r->main != NULL)
        return; /* subrequests never reach the client's headers */
    /* Every response in scope, CORS or not, enforced or report-only: Vary
     * and the removal of upstream CORS headers apply to all of them. */
    state = k8s_cors_find_state(r);
    if (state != NULL)
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
        if (end - value == 1 && *value == '*')
            return 0; /* "Vary: *" already covers every token */
        value = end;
    }
    return 1;
}

/* The tokens each decision's Vary value is made of (cors_decision.h), as
 * constants: merging allocates only what the table API needs. */
static const char *const vary_actual[] = {"Origin", NULL};
static const char *const vary_preflight[] = {"Origin", "Access-Control-Request-Method",
                                             "Access-Control-Request-Headers", NULL};
static const char *const vary_preflight_pna[] = {"Origin", "Access-Control-Request-Method",
                                                 "Access-Control-Request-Headers",
                                                 "Access-Control-Request-Private-Network", NULL};

static void merge_vary(request_rec *r, const char *vary)
{
    const char *const *tokens = vary == NULL                                 ? NULL
                                : strcmp(vary, CORS_VARY_PREFLIGHT_PNA) == 0 ? vary_preflight_pna
                                : strcmp(vary, CORS_VARY_PREFLIGHT) == 0     ? vary_preflight
                                                                             : vary_actual;
    for (; tokens != NULL && *tokens != NULL; tokens++)
        if (apr_table_do(vary_has_token, (void *)*tokens, r->headers_out, "Vary", NULL) &&
            apr_table_do(vary_has_token, (void *)*tokens, r->err_headers_out, "Vary", NULL))
            apr_table_mergen(r->headers_out, "Vary", *tokens);
}

/* Removes every Access-Control-* header from table: whatever the API server
 * (kube-apiserver with its own --cors-allowed-origins) or another module
 * set, in any case and however often, the client gets only ours, or the
 * browser would see two Access-Control-Allow-Origin values and refuse.
 * Returns 1 when it removed any. */
static int remove_cors_headers(apr_table_t *table)
{
    int removed = 0;
    for (;;) {
        const apr_array_header_t *elts = apr_table_elts(table);
        const apr_table_entry_t *entries = (const apr_table_entry_t *)elts->elts;
        const char *found = NULL;
        for (int i = 0; i < elts->nelts && found == NULL; i++)
            if (entries[i].key != NULL && strncasecmp(entries[i].key, "Access-Control-", 15) == 0)
                found = entries[i].key;
        if (found == NULL)
            return removed;
        /* Unsets every entry of that name, in any case. */
        apr_table_unset(table, found);
        removed = 1;
    }
}

static void apply_decision(request_rec *r, const k8s_cors_request_state *state)
{
    const cors_decision *d = &state->decision;
    int removed = remove_cors_headers(r->headers_out);
    removed |= remove_cors_headers(r->err_headers_out);
    if (removed)
        k8s_cors_count_upstream_headers_removed();
    merge_vary(r, d->vary);
    if (!state->enforce)
        return; /* report-only, or not a CORS request: no CORS headers of ours */
    if (d->allow != NULL && r->status == HTTP_METHOD_NOT_ALLOWED) {
        apr_table_unset(r->err_headers_out, "Allow");
        apr_table_setn(r->headers_out, "Allow", d->allow);
    }
    /* A refused method of an allowed origin keeps its CORS headers, so the
     * page can read the 405; a denied origin gets none, and neither does an
     * allowed preflight that httpd's access control refused (Require all
     * denied): only our 204 answers a preflight. */
    if (d->allow_origin == NULL || (d->kind == CORS_KIND_PREFLIGHT && r->status != HTTP_NO_CONTENT))
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
    apply_decision(f->r, state);
    ap_remove_output_filter(f);
    return ap_pass_brigade(f->next, bb);
}
