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

/* The filter's registration (register_hooks): inserting by handle spares
 * httpd a lookup of the filter's name on every request. */
static ap_filter_rec_t *cors_filter;

void k8s_cors_register_filter(void)
{
    /* CONTENT_SET: after content filters, before HTTP_HEADER serializes the
     * headers, as mod_headers does. */
    cors_filter = ap_register_output_filter(K8S_CORS_FILTER, k8s_cors_output_filter, NULL,
                                            AP_FTYPE_CONTENT_SET);
}

void k8s_cors_insert_filter(request_rec *r)
{
    k8s_cors_request_state *state;
    if (r->main != NULL)
        return; /* subrequests never reach the client's headers */
    /* Every response in scope, CORS or not, enforced or report-only: Vary
     * and the removal of upstream CORS headers apply to all of them. */
    state = k8s_cors_find_state(r);
    if (state != NULL)
        ap_add_output_filter_handle(cors_filter, state, r, r->connection);
}

/* The tokens each decision's Vary value is made of (cors_decision.h), in
 * its order. */
static const k8s_cors_header_name vary_tokens[] = {
    K8S_CORS_HEADER_NAME("Origin"),
    K8S_CORS_HEADER_NAME("Access-Control-Request-Method"),
    K8S_CORS_HEADER_NAME("Access-Control-Request-Headers"),
    K8S_CORS_HEADER_NAME("Access-Control-Request-Private-Network"),
};
#define VARY_TOKENS_MAX (sizeof(vary_tokens) / sizeof(vary_tokens[0]))

/* Which of the first count tokens no Vary value of the response names yet:
 * one bit each, cleared as a value names it. */
typedef struct {
    unsigned missing;
    size_t count;
} vary_scan;

static int vary_scan_value(void *baton, const char *key, const char *value)
{
    vary_scan *scan = baton;
    (void)key;
    while (*value) {
        const char *end;
        size_t len;
        while (*value == ' ' || *value == '\t' || *value == ',')
            value++;
        end = value;
        while (*end && *end != ',' && *end != ' ' && *end != '\t')
            end++;
        len = (size_t)(end - value);
        if (len == 1 && *value == '*')
            scan->missing = 0; /* "Vary: *" already covers every token */
        for (size_t i = 0; i < scan->count; i++)
            if ((scan->missing & (1u << i)) && vary_tokens[i].len == len &&
                strncasecmp(value, vary_tokens[i].name, len) == 0)
                scan->missing &= ~(1u << i);
        if (scan->missing == 0)
            return 0; /* nothing left to look for: stop iterating */
        value = end;
    }
    return 1;
}

/* Adds to Vary the decision's tokens it does not name yet, in one write:
 * when it names none of them (the usual case), the decision's value as it
 * is, a constant, with no copy. */
static void merge_vary(request_rec *r, const char *vary)
{
    vary_scan scan;
    char joined[128];
    size_t used = 0;

    if (vary == NULL)
        return;
    scan.count = strcmp(vary, CORS_VARY_PREFLIGHT_PNA) == 0 ? 4
                 : strcmp(vary, CORS_VARY_PREFLIGHT) == 0   ? 3
                                                            : 1;
    scan.missing = (1u << scan.count) - 1;
    apr_table_do(vary_scan_value, &scan, r->headers_out, "Vary", NULL);
    if (scan.missing != 0)
        apr_table_do(vary_scan_value, &scan, r->err_headers_out, "Vary", NULL);
    if (scan.missing == (1u << scan.count) - 1) {
        apr_table_mergen(r->headers_out, "Vary", vary);
        return;
    }
    if (scan.missing == 0)
        return;
    /* Some named already (the API server's own Vary: Origin): the others,
     * joined as the decision's value joins them. */
    for (size_t i = 0; i < scan.count; i++) {
        if (!(scan.missing & (1u << i)))
            continue;
        if (used > 0) {
            memcpy(joined + used, ", ", 2);
            used += 2;
        }
        memcpy(joined + used, vary_tokens[i].name, vary_tokens[i].len);
        used += vary_tokens[i].len;
    }
    joined[used] = '\0';
    apr_table_merge(r->headers_out, "Vary", joined);
}

/* Removes every Access-Control-* header from table: whatever the API server
 * (kube-apiserver with its own --cors-allowed-origins) or another module
 * set, in any case and however often, the client gets only ours, or the
 * browser would see two Access-Control-Allow-Origin values and refuse.
 * One pass: apr_table_unset removes every entry of the name found, in any
 * case, and moves the later entries down; no earlier entry has that name,
 * so the scan goes on from where it stopped. Returns 1 when it removed any. */
static int remove_cors_headers(apr_table_t *table)
{
    const apr_array_header_t *elts = apr_table_elts(table);
    int removed = 0;
    for (int i = 0; i < elts->nelts;) {
        const char *key = ((const apr_table_entry_t *)elts->elts)[i].key;
        if (key != NULL && (key[0] == 'A' || key[0] == 'a') &&
            strncasecmp(key, "Access-Control-", 15) == 0) {
            apr_table_unset(table, key);
            removed = 1;
        } else {
            i++;
        }
    }
    return removed;
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
     * request's own headers: no copies. Both tables hold no Access-Control-*
     * entry any more (removed above), so addn appends without the search
     * setn would make for one to replace. */
    apr_table_addn(r->headers_out, "Access-Control-Allow-Origin", d->allow_origin);
    if (d->allow_credentials)
        apr_table_addn(r->headers_out, "Access-Control-Allow-Credentials", d->allow_credentials);
    if (d->allow_methods)
        apr_table_addn(r->headers_out, "Access-Control-Allow-Methods", d->allow_methods);
    if (d->allow_headers)
        apr_table_addn(r->headers_out, "Access-Control-Allow-Headers", d->allow_headers);
    if (d->max_age)
        apr_table_addn(r->headers_out, "Access-Control-Max-Age", d->max_age);
    if (d->allow_private_network)
        apr_table_addn(r->headers_out, "Access-Control-Allow-Private-Network",
                       d->allow_private_network);
    if (d->expose_headers)
        apr_table_addn(r->headers_out, "Access-Control-Expose-Headers", d->expose_headers);
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
