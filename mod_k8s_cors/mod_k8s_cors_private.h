/*
 * What the httpd glue files share. The policy itself lives in the core
 * (cors_*.h); this is only configuration plumbing and per-request state.
 */
#ifndef MOD_K8S_CORS_PRIVATE_H
#define MOD_K8S_CORS_PRIVATE_H

#include <apr_strings.h>
#include <httpd.h>
#include <http_config.h>
#include <http_log.h>

#include "cors_core.h"

/* Every glue file logs as this module, so `LogLevel k8s_cors:debug` works. */
APLOG_USE_MODULE(k8s_cors);
extern module AP_MODULE_DECLARE_DATA k8s_cors_module;

/* Our log lines carry a "KCnnnn" tag so tests and operators can grep them. */
#define K8S_CORS_LOGNO(n) "KC" #n ": "

/* A header name with its length, for the tables the request path scans. */
typedef struct {
    const char *name;
    size_t len;
} k8s_cors_header_name;
#define K8S_CORS_HEADER_NAME(text)                                                                 \
    {                                                                                              \
        text, sizeof(text) - 1                                                                     \
    }

#define K8S_CORS_FILTER            "K8S_CORS"
#define K8S_CORS_PREFLIGHT_HANDLER "k8s-cors-preflight"

/* Per-directory configuration (server config, <VirtualHost>, <Location>). */
typedef struct {
    cors_policy *policy;     /* mode, origin rules and settings: all in the core */
    const char *export_path; /* K8sCorsExportPolicy: give CGIs the policy of this path */
    int configured;          /* a K8sCors directive appeared in this section */
} k8s_cors_dir_conf;

/* Per-server facts for the same-origin test, from the configuration once
 * it is read (post_config): never from what a client sends. */
typedef struct {
    apr_hash_t *names;              /* ServerName and ServerAlias names, lower-case */
    apr_array_header_t *name_list;  /* the same, const char *, in configuration order */
    apr_array_header_t *wild_names; /* ServerAlias names with * or ?, const char * */
} k8s_cors_server_conf;

/* Per-request state: the decision, made once before authentication. */
typedef struct {
    cors_decision decision;
    int enforce; /* 0 in report-only mode: decided and logged, never enforced */
} k8s_cors_request_state;

/* mod_k8s_cors_config.c */
extern const command_rec k8s_cors_directives[];
void *k8s_cors_create_dir_conf(apr_pool_t *pool, char *context);
void *k8s_cors_merge_dir_conf(apr_pool_t *pool, void *base, void *add);
int k8s_cors_check_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp, server_rec *s);
void *k8s_cors_create_server_conf(apr_pool_t *pool, server_rec *s);
int k8s_cors_self_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                              server_rec *s);
int k8s_cors_pre_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp);
/* 1 if the request's host (httpd's r->hostname) is one of its virtual
 * host's names. */
int k8s_cors_host_is_self(const request_rec *r);
/* The port of the gateway's own origins: ServerName's when it has a
 * scheme (`ServerName https://api.example.com`), else the connection's. */
unsigned k8s_cors_self_port(const request_rec *r, const char *scheme);
/* The virtual host's own origins as K8sCorsSelfOrigin lines, for the
 * console: its names with this connection's scheme and port. */
const char *k8s_cors_self_directives(request_rec *r);
void k8s_cors_each_section(server_rec *s, apr_pool_t *pool,
                           void (*visit)(void *baton, server_rec *s, const cors_policy *own,
                                         const cors_policy *effective),
                           void *baton);

/* mod_k8s_cors_metrics.c: counters in shared memory, and their handler.
 * Every count_ function is lock-free and allocation-free, and a no-op when
 * the segment could not be set up (httpd -t). */
#define K8S_CORS_METRICS_HANDLER "k8s-cors-metrics"
int k8s_cors_metrics_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                                 server_rec *s);
int k8s_cors_metrics_handler(request_rec *r);
void k8s_cors_count_decision(const cors_decision *decision, cors_mode mode);
void k8s_cors_count_without_origin(cors_mode mode);
void k8s_cors_count_preflight_answered(int allowed);
void k8s_cors_count_refused(int status);
void k8s_cors_count_upstream_headers_removed(void);
/* K8sCorsReloadStatusFile: the policy reloader's status, exported as metrics */
const char *k8s_cors_set_reload_status_file(cmd_parms *cmd, void *dir_conf, const char *path);

/* mod_k8s_cors_request.c */
int k8s_cors_header_parser(request_rec *r);
int k8s_cors_access_checker_ex(request_rec *r);
int k8s_cors_preflight_handler(request_rec *r);
int k8s_cors_export_policy(request_rec *r);
k8s_cors_request_state *k8s_cors_find_state(request_rec *r);

/* mod_k8s_cors_filter.c */
void k8s_cors_register_filter(void);
void k8s_cors_insert_filter(request_rec *r);
apr_status_t k8s_cors_output_filter(ap_filter_t *f, apr_bucket_brigade *bb);

#endif
