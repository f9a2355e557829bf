/*
 * Request hooks: decide once, let allowed preflights past authentication,
 * answer them, and log each denial once.
 */
#include <string.h>
#include <strings.h>

#include <http_protocol.h>
#include <http_request.h>

#include "mod_k8s_cors_private.h"

/* Log fields copied from the request are capped, so a hostile Origin cannot
 * flood the log, and their double quotes are written as \x22, so it cannot
 * close a quoted field and forge the fields after it. A WebSocket bearer
 * token in them is redacted first (cors_secret.h). httpd's error log
 * escapes backslashes and control bytes itself (ap_escape_errorlog_item),
 * but not quotes. */
#define LOG_FIELD_MAX 128

static const char *log_field(apr_pool_t *pool, const char *value, size_t len)
{
    size_t shown;
    char *out, *p;

    if (value == NULL)
        return "-";
    value = cors_redact(pool, value, len, &len);
    shown = len > LOG_FIELD_MAX ? LOG_FIELD_MAX : len;
    out = p = apr_palloc(pool, shown * 4 + sizeof("..."));
    for (size_t i = 0; i < shown; i++) {
        if (value[i] == '"') {
            memcpy(p, "\\x22", 4);
            p += 4;
        } else {
            *p++ = value[i];
        }
    }
    if (shown < len) {
        memcpy(p, "...", 3);
        p += 3;
    }
    *p = '\0';
    return out;
}

static void log_denial(request_rec *r, const cors_decision *d, const char *origin, int applied)
{
    /* The cross-site step's verdict and the Sec-Fetch-Site it read: both
     * from fixed vocabularies, never the header's own text. */
    const char *cross_site =
        cors_cross_site_refused(d->cross_site)
            ? apr_pstrcat(r->pool, " cross_site=", cors_cross_site_name(d->cross_site),
                          " fetch_site=", cors_fetch_site_name(d->fetch_site), NULL)
            : "";
    const char *rule = d->rule
                           ? apr_psprintf(r->pool, " rule=\"%s\" (%s)",
                                          log_field(r->pool, d->rule->name, strlen(d->rule->name)),
                                          d->rule->source)
                           : "";
    const char *detail = d->detail
                             ? apr_pstrcat(r->pool, " refused=\"",
                                           log_field(r->pool, d->detail, d->detail_len), "\"", NULL)
                             : "";
    ap_log_rerror(
        APLOG_MARK, d->reason == CORS_REASON_REGEX_LIMIT ? APLOG_WARNING : APLOG_INFO, 0, r,
        K8S_CORS_LOGNO(0100) "%s CORS %s: origin=\"%s\" method=%s path=\"%s\" "
                             "reason=%s%s%s%s%s",
        applied ? (d->refuse_status ? "refused" : "denied") : "report-only, would deny",
        cors_kind_name(d->kind), origin ? log_field(r->pool, origin, strlen(origin)) : "-",
        log_field(r->pool, r->method, strlen(r->method)),
        log_field(r->pool, r->uri, strlen(r->uri)), cors_reason_name(d->reason), detail, rule,
        cross_site,
        /* in words too, for operators who grep the log for them */
        d->reason == CORS_REASON_ORIGIN_NOT_ALLOWED ? ": origin not allowed" : "");
}

k8s_cors_request_state *k8s_cors_find_state(request_rec *r)
{
    /* An internal redirect (a local ErrorDocument) answers for the original
     * request: it keeps the original's decision. */
    for (; r != NULL; r = r->prev) {
        k8s_cors_request_state *state = ap_get_module_config(r->request_config, &k8s_cors_module);
        if (state != NULL)
            return state;
    }
    return NULL;
}

/* A response in scope to a request that is not CORS (no Origin): Vary and
 * the removal of the API server's CORS headers apply to it too. Shared and
 * never written, so the no-Origin path allocates nothing. */
static k8s_cors_request_state no_origin_state = {
    .decision = {.kind = CORS_KIND_NONE, .reason = CORS_REASON_NO_ORIGIN, .vary = CORS_VARY_ACTUAL},
    .enforce = 0,
};

/* The request headers the decision reads besides Origin. */
#define ACRM_NAME       "Access-Control-Request-Method"
#define ACRH_NAME       "Access-Control-Request-Headers"
#define ACRPN_NAME      "Access-Control-Request-Private-Network"
#define FETCH_SITE_NAME "Sec-Fetch-Site"
#define UPGRADE_NAME    "Upgrade"
enum { ACRM, ACRH, ACRPN, FETCH_SITE, UPGRADE, DECISION_HEADERS };
static const char *const decision_headers[DECISION_HEADERS] = {
    [ACRM] = ACRM_NAME,       [ACRH] = ACRH_NAME,
    [ACRPN] = ACRPN_NAME,     [FETCH_SITE] = FETCH_SITE_NAME,
    [UPGRADE] = UPGRADE_NAME,
};
/* No two of them have the same length (-Woverride-init would say so): a
 * header's length names the only one it can be (index + 1; 0: none), so
 * each request header costs one lookup and at most one comparison. */
#define LENGTH_OF(name) (sizeof(name) - 1)
static const unsigned char header_by_length[LENGTH_OF(ACRPN_NAME) + 1] = {
    [LENGTH_OF(ACRM_NAME)] = ACRM + 1,       [LENGTH_OF(ACRH_NAME)] = ACRH + 1,
    [LENGTH_OF(ACRPN_NAME)] = ACRPN + 1,     [LENGTH_OF(FETCH_SITE_NAME)] = FETCH_SITE + 1,
    [LENGTH_OF(UPGRADE_NAME)] = UPGRADE + 1,
};
#undef LENGTH_OF

/* Finds them in one pass over the request's headers instead of a lookup
 * each. httpd (and mod_http2) merge a repeated request header into one
 * entry, so the first entry of a name is its whole value, as apr_table_get
 * would return it. */
static void read_request_headers(request_rec *r, cors_request *request)
{
    const apr_array_header_t *elts = apr_table_elts(r->headers_in);
    const apr_table_entry_t *e = (const apr_table_entry_t *)elts->elts;
    const char *value[DECISION_HEADERS] = {NULL};

    for (int i = 0; i < elts->nelts; i++) {
        size_t len = e[i].key ? strlen(e[i].key) : 0;
        int k = len < sizeof(header_by_length) ? header_by_length[len] - 1 : -1;
        if (k >= 0 && value[k] == NULL && strcasecmp(e[i].key, decision_headers[k]) == 0)
            value[k] = e[i].val;
    }
    request->preflight_method = value[ACRM];
    request->request_headers = value[ACRH];
    request->request_private_network = value[ACRPN];
    request->fetch_site = value[FETCH_SITE];
    request->upgrade = value[UPGRADE] != NULL;
}

/* The request as the core reads it, from the headers and the connection. */
static void read_request(request_rec *r, const char *origin, cors_request *request)
{
    request->method = r->method;
    request->origin = origin;
    read_request_headers(r, request);
    request->host = r->hostname;
    request->host_is_self = k8s_cors_host_is_self(r);
    request->self_scheme = ap_http_scheme(r);
    request->self_port = k8s_cors_self_port(r, request->self_scheme);
    request->any_host = 0;
}

/* Refuses the request when its decision says so and it is applied.
 * Returns the status, or DECLINED. */
static int refuse(const k8s_cors_request_state *state)
{
    if (!state->enforce || !state->decision.refuse_status)
        return DECLINED;
    if (state->decision.kind == CORS_KIND_PREFLIGHT)
        k8s_cors_count_preflight_answered(0);
    else
        k8s_cors_count_refused(state->decision.refuse_status);
    return state->decision.refuse_status; /* never reaches authentication or the API */
}

/* For a request that goes on towards the API server. mod_proxy_http
 * forwards the API server's 1xx responses (103 Early Hints) with the API
 * server's headers on the connection's filters, where no request filter
 * sees them: in scope they are not forwarded. Except for a request with
 * Expect: 100-continue, whose client waits for the API server's 100
 * (Proxy100Continue): browsers never send one, so no CORS header of an
 * interim response can reach a browser that way. A preflight answered here
 * or a refused request reaches no API server and needs no such note.
 * Returns DECLINED. */
static int forward(request_rec *r)
{
    if (!r->expecting_100)
        apr_table_setn(r->subprocess_env, "proxy-interim-response", "Suppress");
    return DECLINED;
}

int k8s_cors_header_parser(request_rec *r)
{
    const k8s_cors_dir_conf *conf;
    k8s_cors_request_state *state;
    cors_request request;
    const char *origin;
    cors_mode mode;

    if (r->prev != NULL) {
        state = k8s_cors_find_state(r->prev);
        if (state != NULL)
            ap_set_module_config(r->request_config, &k8s_cors_module, state);
        return DECLINED;
    }
    conf = ap_get_module_config(r->per_dir_config, &k8s_cors_module);
    mode = conf ? cors_policy_mode(conf->policy) : CORS_MODE_OFF;
    if (mode == CORS_MODE_OFF)
        return DECLINED;
    origin = apr_table_get(r->headers_in, "Origin");
    /* The cheap tests first: kubectl's requests under pass read no header. */
    if ((origin == NULL || origin[0] == '\0') &&
        cors_policy_denied_origin(conf->policy) != CORS_DENIED_PASS &&
        cors_no_origin_needs_decision(conf->policy, r->method,
                                      apr_table_get(r->headers_in, "Upgrade") != NULL,
                                      apr_table_get(r->headers_in, "Sec-Fetch-Site"))) {
        /* No Origin, but the browser says another site sent it: the
         * cross-site step decides. Rare, so it may allocate. */
        state = apr_palloc(r->pool, sizeof(*state));
        state->enforce = mode == CORS_MODE_ENFORCE;
        read_request(r, NULL, &request);
        cors_decide(conf->policy, &request, &state->decision);
        k8s_cors_count_decision(&state->decision, mode);
        ap_set_module_config(r->request_config, &k8s_cors_module, state);
        if (state->decision.refuse_status && APLOGrinfo(r))
            log_denial(r, &state->decision, NULL, state->enforce);
        return state->enforce && state->decision.refuse_status ? refuse(state) : forward(r);
    }
    if (origin == NULL || origin[0] == '\0') {
        k8s_cors_count_without_origin(mode);
        /* Not a CORS request: only Vary and the upstream's CORS headers to
         * see to, from a shared state. */
        ap_set_module_config(r->request_config, &k8s_cors_module, &no_origin_state);
        return forward(r);
    }

    state = apr_palloc(r->pool, sizeof(*state));
    state->enforce = mode == CORS_MODE_ENFORCE;
    read_request(r, origin, &request);
    cors_decide(conf->policy, &request, &state->decision);
    k8s_cors_count_decision(&state->decision, mode);
    /* For LogFormat: %{K8S_CORS_DECISION}e and %{K8S_CORS_RULE}e. */
    apr_table_setn(r->subprocess_env, "K8S_CORS_DECISION",
                   cors_reason_name(state->decision.reason));
    if (state->decision.rule != NULL)
        apr_table_setn(r->subprocess_env, "K8S_CORS_RULE", state->decision.rule->name);
    ap_set_module_config(r->request_config, &k8s_cors_module, state);
    if (state->decision.kind == CORS_KIND_NONE)
        return forward(r); /* same-origin: not CORS */

    if (!state->decision.allowed) {
        /* Build the log line only when it will be written. */
        if (APLOGrinfo(r) || state->decision.reason == CORS_REASON_REGEX_LIMIT)
            log_denial(r, &state->decision, origin, state->enforce);
    } else if (APLOGrdebug(r)) {
        ap_log_rerror(
            APLOG_MARK, APLOG_DEBUG, 0, r,
            K8S_CORS_LOGNO(0101) "allowed CORS %s: origin=\"%s\" rule=\"%s\" (%s)",
            cors_kind_name(state->decision.kind), log_field(r->pool, origin, strlen(origin)),
            log_field(r->pool, state->decision.rule->name, strlen(state->decision.rule->name)),
            state->decision.rule->source);
    }

    if (!state->enforce)
        return forward(r);
    if (state->decision.refuse_status)
        return refuse(state);
    if (state->decision.kind == CORS_KIND_PREFLIGHT) {
        r->handler = K8S_CORS_PREFLIGHT_HANDLER;
        return DECLINED;
    }
    return forward(r);
}

static int is_allowed_preflight(request_rec *r)
{
    k8s_cors_request_state *state = ap_get_module_config(r->request_config, &k8s_cors_module);
    return state != NULL && state->enforce && state->decision.kind == CORS_KIND_PREFLIGHT &&
           state->decision.allowed;
}

int k8s_cors_access_checker_ex(request_rec *r)
{
    /* Browsers send preflights without credentials (Fetch), so a preflight
     * that needed httpd authentication would always fail. Answering it
     * discloses nothing: it carries no data and reaches no backend.
     * This hook runs after mod_authz_core's userless authorization
     * (register_hooks): a refusal that needs no user (Require all denied,
     * Require ip, Require env) has already answered 403, and one that
     * grants has answered OK. Only "a user is required" reaches here, and
     * that is what an allowed preflight skips. */
    return is_allowed_preflight(r) ? OK : DECLINED;
}

int k8s_cors_preflight_handler(request_rec *r)
{
    if (!is_allowed_preflight(r))
        return DECLINED;
    ap_discard_request_body(r);
    k8s_cors_count_preflight_answered(1);
    /* The output filter writes the CORS headers from the decision, as it
     * does for every other response. */
    r->status = HTTP_NO_CONTENT;
    return OK;
}

int k8s_cors_export_policy(request_rec *r)
{
    const k8s_cors_dir_conf *conf = ap_get_module_config(r->per_dir_config, &k8s_cors_module);
    const k8s_cors_dir_conf *there;
    request_rec *lookup;

    if (conf == NULL || conf->export_path == NULL || r->main != NULL)
        return DECLINED;
    /* The configuration in force for the exported path, as httpd merges it
     * for a request there: one source of truth for the console. */
    lookup = ap_sub_req_lookup_uri(conf->export_path, r, NULL);
    there = ap_get_module_config(lookup->per_dir_config, &k8s_cors_module);
    if (there != NULL) {
        /* With the gateway's own origins as this server knows them, so the
         * console never takes them from the Host header. */
        apr_table_setn(r->subprocess_env, "K8S_CORS_POLICY",
                       apr_pstrcat(r->pool, cors_policy_to_directives(r->pool, there->policy),
                                   k8s_cors_self_directives(r), NULL));
        apr_table_setn(r->subprocess_env, "K8S_CORS_POLICY_PATH", conf->export_path);
    }
    ap_destroy_sub_req(lookup);
    return DECLINED;
}
