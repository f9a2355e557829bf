/*
 * mod_k8s_cors: a CORS policy in front of mod_proxy to a Kubernetes API
 * server. This file only wires the pieces into httpd:
 *
 *   pre_config        forget the sections of the last configuration read
 *   check_config      the start-up check of every configured section (also
 *                     for `apachectl -t`): a finding that is an error stops
 *                     httpd with the file, the line and the reason
 *   post_config       the gateway's own names (ServerName, ServerAlias) for
 *                     same-origin requests; the metrics segment
 *   header_parser     decide once per request (before authentication, so a
 *                     preflight never needs credentials); refuse denied
 *                     preflights with 403, and actual requests from denied
 *                     origins or with denied methods where the policy says so
 *   access_checker_ex let allowed preflights past httpd authentication (not
 *                     past a refusal that needs no user: after mod_authz_core)
 *   handler           answer allowed preflights with 204, before mod_proxy;
 *                     handler k8s-cors-metrics serves the metrics
 *   output filter     on every response, the upstream's and httpd's error
 *                     pages alike: drop upstream CORS headers, write ours
 *   fixups            K8sCorsExportPolicy: the policy for the console CGI
 */
#include <http_core.h>
#include <http_protocol.h>
#include <http_request.h>

#include "mod_k8s_cors_private.h"

static void register_hooks(apr_pool_t *pool)
{
    /* mod_proxy's handler runs APR_HOOK_FIRST and ignores r->handler for
     * ProxyPass'd URLs: ours must be ordered explicitly before it. */
    static const char *const before_proxy[] = {"mod_proxy.c", NULL};
    (void)pool;

    ap_hook_check_config(k8s_cors_check_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(k8s_cors_metrics_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_header_parser(k8s_cors_header_parser, NULL, NULL, APR_HOOK_MIDDLE);
    /* After mod_authz_core's userless check (APR_HOOK_LAST there), so
     * Require all denied, Require ip and Require env still refuse an allowed
     * preflight: check_access_ex stops at the first hook that does not
     * decline. */
    static const char *const after_authz[] = {"mod_authz_core.c", NULL};
    ap_hook_pre_config(k8s_cors_pre_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_check_access_ex(k8s_cors_access_checker_ex, after_authz, NULL, APR_HOOK_LAST,
                            AP_AUTH_INTERNAL_PER_CONF);
    ap_hook_post_config(k8s_cors_self_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_fixups(k8s_cors_export_policy, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(k8s_cors_preflight_handler, NULL, before_proxy, APR_HOOK_FIRST);
    ap_hook_handler(k8s_cors_metrics_handler, NULL, before_proxy, APR_HOOK_FIRST);
    ap_hook_insert_filter(k8s_cors_insert_filter, NULL, NULL, APR_HOOK_LAST);
    ap_hook_insert_error_filter(k8s_cors_insert_filter, NULL, NULL, APR_HOOK_LAST);
    /* CONTENT_SET: after content filters, before HTTP_HEADER serializes the
     * headers, as mod_headers does. */
    ap_register_output_filter(K8S_CORS_FILTER, k8s_cors_output_filter, NULL, AP_FTYPE_CONTENT_SET);
}

/* Not AP_DECLARE_MODULE: mod_k8s_cors_private.h already does APLOG_USE_MODULE. */
/* clang-format off */
module AP_MODULE_DECLARE_DATA k8s_cors_module = {
    STANDARD20_MODULE_STUFF,
    k8s_cors_create_dir_conf,    /* per-directory config: a policy per section */
    k8s_cors_merge_dir_conf,     /* merge per-directory: the nearer section wins, per field */
    k8s_cors_create_server_conf, /* per-server config: the gateway's own names */
    NULL,                        /* merge per-server: each server has its own names */
    k8s_cors_directives,         /* the K8sCors* directives */
    register_hooks,              /* the hooks listed at the top */
    AP_MODULE_FLAG_NONE          /* flags */
};
/* clang-format on */
