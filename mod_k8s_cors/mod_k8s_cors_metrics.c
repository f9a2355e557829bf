/*
 * Metrics: one anonymous shared-memory segment of 64-bit counters, created
 * by the parent before it forks its children (so every MPM shares it), and
 * incremented with relaxed atomics: no lock, no allocation on the request
 * path. The segment belongs to the parent's process pool, so counters
 * survive graceful restarts; a full stop and start resets them.
 *
 * Beside the counters: which policy this configuration generation serves
 * (a hash of its K8sCors directives, fixed when httpd read them), and the
 * policy reloader's status file (K8sCorsReloadStatusFile), read at scrape.
 */
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include <apr_file_io.h>
#include <apr_hash.h>
#include <apr_shm.h>
#include <http_core.h>
#include <http_main.h>
#include <http_protocol.h>
#include <http_request.h>

#include "mod_k8s_cors_private.h"

#define SHM_KEY "k8s_cors_metrics_shm"

static cors_metrics *metrics;  /* NULL until post_config set it up */
static apr_hash_t *rule_slots; /* const cors_rule * -> slot + 1, this generation */
static int *exported_slots;    /* the distinct slots of this generation's rules */
static int exported_count;
static cors_metrics_policy policy_loaded; /* this generation's policy */
static const char *reload_status_path;    /* K8sCorsReloadStatusFile, or NULL */

#define RELOAD_STATUS_MAX 1024 /* the reloader writes a few short lines */

static int is_policy_directive(const char *name)
{
    if (*name == '<')
        name++;
    return strncasecmp(name, "K8sCors", 7) == 0 && strcasecmp(name, "K8sCorsReloadStatusFile") != 0;
}

/* A directive with the sections it is in: the same line moved to another
 * <Location> is another policy. */
static uint64_t hash_in_context(uint64_t hash, const ap_directive_t *d)
{
    if (d->parent != NULL)
        hash = hash_in_context(hash, d->parent);
    hash = cors_metrics_policy_hash(hash, d->directive);
    return cors_metrics_policy_hash(hash, d->args ? d->args : "");
}

/* Every K8sCors directive of the tree, in configuration order. Comments,
 * blank lines, indentation and file names do not count. */
static uint64_t hash_policy(uint64_t hash, const ap_directive_t *d)
{
    for (; d != NULL; d = d->next) {
        if (is_policy_directive(d->directive))
            hash = hash_in_context(hash, d);
        if (d->first_child != NULL)
            hash = hash_policy(hash, d->first_child);
    }
    return hash;
}

static apr_status_t forget_reload_status(void *unused)
{
    (void)unused;
    reload_status_path = NULL;
    return APR_SUCCESS;
}

const char *k8s_cors_set_reload_status_file(cmd_parms *cmd, void *dir_conf, const char *path)
{
    const char *error = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    (void)dir_conf;
    if (error != NULL)
        return error;
    reload_status_path = ap_server_root_relative(cmd->pool, path);
    if (reload_status_path == NULL)
        return apr_pstrcat(cmd->pool, cmd->cmd->name, ": invalid file path ", path, NULL);
    /* the next configuration generation may not name one */
    apr_pool_cleanup_register(cmd->pool, NULL, forget_reload_status, apr_pool_cleanup_null);
    return NULL;
}

/* The status file's text, or NULL when there is none to read. */
static const char *read_reload_status(request_rec *r)
{
    apr_file_t *file;
    char *text;
    apr_size_t length = RELOAD_STATUS_MAX - 1;
    apr_status_t rv;

    if (reload_status_path == NULL)
        return NULL;
    rv = apr_file_open(&file, reload_status_path, APR_FOPEN_READ, APR_FPROT_OS_DEFAULT, r->pool);
    if (rv != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, rv, r,
                      K8S_CORS_LOGNO(0202) "cannot open the reload status file %s",
                      reload_status_path);
        return NULL;
    }
    text = apr_palloc(r->pool, RELOAD_STATUS_MAX);
    rv = apr_file_read_full(file, text, length, &length);
    apr_file_close(file);
    if (rv != APR_SUCCESS && rv != APR_EOF)
        return NULL;
    text[length] = '\0';
    if (length == RELOAD_STATUS_MAX - 1) { /* longer than expected: no cut line */
        char *last = strrchr(text, '\n');
        *(last ? last + 1 : text) = '\0';
    }
    return text;
}

static cors_metrics *attach_segment(server_rec *s)
{
    apr_pool_t *process_pool = s->process->pool;
    apr_shm_t *shm = NULL;
    cors_metrics *segment;

    apr_pool_userdata_get((void **)&shm, SHM_KEY, process_pool);
    if (shm != NULL) {
        segment = apr_shm_baseaddr_get(shm);
        if (segment->magic == CORS_METRICS_MAGIC)
            return segment;   /* a graceful restart: keep counting */
        apr_shm_destroy(shm); /* another layout: a new module was loaded */
    }
    if (apr_shm_create(&shm, sizeof(cors_metrics), NULL, process_pool) != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, s,
                     K8S_CORS_LOGNO(0200) "cannot create the metrics segment: counting off");
        return NULL;
    }
    apr_pool_userdata_set(shm, SHM_KEY, apr_pool_cleanup_null, process_pool);
    segment = apr_shm_baseaddr_get(shm);
    memset(segment, 0, sizeof(*segment));
    segment->magic = CORS_METRICS_MAGIC;
    return segment;
}

typedef struct {
    apr_pool_t *pconf;
    apr_hash_t *by_slot; /* distinct slots */
} slot_run;

static void assign_slots(void *baton, server_rec *s, const cors_policy *own,
                         const cors_policy *effective)
{
    slot_run *run = baton;
    (void)effective;
    for (int i = 0; own->has_origins && i < own->rules->nelts; i++) {
        const cors_rule *rule = APR_ARRAY_IDX(own->rules, i, const cors_rule *);
        int slot = cors_metrics_rule_slot(metrics, rule->name);
        if (slot < 0) {
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                         K8S_CORS_LOGNO(0201) "%s: more than %d rule names: rule \"%s\" is not "
                                              "counted in k8s_cors_rule_hits_total",
                         rule->source, CORS_METRIC_RULES_MAX, rule->name);
            continue;
        }
        apr_hash_set(rule_slots, apr_pmemdup(run->pconf, &rule, sizeof(rule)), sizeof(rule),
                     (void *)(intptr_t)(slot + 1));
        apr_hash_set(run->by_slot, apr_pmemdup(run->pconf, &slot, sizeof(slot)), sizeof(slot),
                     &run->by_slot);
    }
}

int k8s_cors_metrics_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                                 server_rec *s)
{
    slot_run run = {pconf, apr_hash_make(ptemp)};
    (void)plog;
    /* httpd runs the configuration twice at start-up; the first pass only
     * checks it. */
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG)
        return OK;
    apr_snprintf(policy_loaded.hash, sizeof(policy_loaded.hash), "%016" APR_UINT64_T_HEX_FMT,
                 (apr_uint64_t)hash_policy(CORS_METRICS_HASH_SEED, ap_conftree));
    policy_loaded.generation = ap_state_query(AP_SQ_CONFIG_GEN);
    policy_loaded.loaded_at_seconds = (apr_int64_t)apr_time_sec(apr_time_now());
    metrics = attach_segment(s);
    rule_slots = apr_hash_make(pconf);
    exported_count = 0;
    if (metrics == NULL)
        return OK;
    k8s_cors_each_section(s, ptemp, assign_slots, &run);
    exported_slots = apr_palloc(pconf, sizeof(int) * (apr_hash_count(run.by_slot) + 1));
    for (apr_hash_index_t *hi = apr_hash_first(ptemp, run.by_slot); hi; hi = apr_hash_next(hi))
        exported_slots[exported_count++] = *(const int *)apr_hash_this_key(hi);
    return OK;
}

void k8s_cors_count_decision(const cors_decision *decision, cors_mode mode)
{
    int m = mode == CORS_MODE_REPORT_ONLY;
    int signal;
    if (metrics == NULL)
        return;
    cors_metrics_add(&metrics->requests[m][cors_metric_decision_of(decision)][decision->kind]);
    if ((signal = cors_metric_cross_site_signal(decision)) >= 0)
        cors_metrics_add(&metrics->cross_site_refused[m][signal]);
    if (decision->reason == CORS_REASON_REGEX_LIMIT)
        cors_metrics_add(&metrics->regex_limit);
    if (decision->allowed && decision->rule != NULL) {
        intptr_t slot = (intptr_t)apr_hash_get(rule_slots, &decision->rule, sizeof(decision->rule));
        if (slot > 0)
            cors_metrics_add(&metrics->rules[slot - 1].hits);
    }
}

void k8s_cors_count_without_origin(cors_mode mode)
{
    if (metrics != NULL)
        cors_metrics_add(&metrics->requests[mode == CORS_MODE_REPORT_ONLY][CORS_METRIC_NO_ORIGIN]
                                           [CORS_KIND_NONE]);
}

void k8s_cors_count_preflight_answered(int allowed)
{
    if (metrics != NULL)
        cors_metrics_add(&metrics->preflights_answered[allowed ? 0 : 1]);
}

void k8s_cors_count_refused(int status)
{
    if (metrics != NULL)
        cors_metrics_add(&metrics->refused[status == HTTP_METHOD_NOT_ALLOWED ? 1 : 0]);
}

void k8s_cors_count_upstream_headers_removed(void)
{
    if (metrics != NULL)
        cors_metrics_add(&metrics->upstream_headers_removed);
}

int k8s_cors_metrics_handler(request_rec *r)
{
    if (r->handler == NULL || strcmp(r->handler, K8S_CORS_METRICS_HANDLER) != 0)
        return DECLINED;
    r->allowed = (AP_METHOD_BIT << M_GET);
    if (r->method_number != M_GET)
        return HTTP_METHOD_NOT_ALLOWED;
    if (metrics == NULL)
        return HTTP_SERVICE_UNAVAILABLE;
    ap_set_content_type(r, "text/plain; version=0.0.4; charset=utf-8");
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    if (!r->header_only) {
        ap_rputs(cors_metrics_render(r->pool, metrics, exported_slots, exported_count), r);
        ap_rputs(cors_metrics_render_policy(r->pool, &policy_loaded, read_reload_status(r)), r);
    }
    return OK;
}
