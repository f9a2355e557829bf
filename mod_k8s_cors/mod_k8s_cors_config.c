/*
 * Directives, per-directory configuration and its merge, and the start-up
 * check. Every value is parsed and compiled here, once; a bad one stops
 * httpd (and `apachectl -t`) with the file, the line and the reason.
 */
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include <apr_hash.h>
#include <apr_lib.h>
#include <http_core.h>
#include <http_protocol.h>

#include "cors_directives.h"
#include "mod_k8s_cors_private.h"

static const char *source_of(cmd_parms *cmd)
{
    if (cmd->directive == NULL)
        return "(command line)";
    return apr_psprintf(cmd->pool, "%s:%d", cmd->directive->filename, cmd->directive->line_num);
}

static const char *directive_error(cmd_parms *cmd, const char *message)
{
    return apr_pstrcat(cmd->pool, cmd->cmd->name, ": ", message, NULL);
}

void *k8s_cors_create_dir_conf(apr_pool_t *pool, char *context)
{
    k8s_cors_dir_conf *conf = apr_pcalloc(pool, sizeof(*conf));
    (void)context;
    conf->policy = cors_policy_make(pool);
    return conf;
}

void *k8s_cors_merge_dir_conf(apr_pool_t *pool, void *base_conf, void *add_conf)
{
    const k8s_cors_dir_conf *base = base_conf, *add = add_conf;
    k8s_cors_dir_conf *merged;
    /* httpd merges per request; when one side says nothing, the other is
     * the answer as it is: no allocation on the common path. */
    if (!add->configured)
        return base_conf;
    if (!base->configured)
        return add_conf;
    merged = apr_palloc(pool, sizeof(*merged));
    merged->configured = 1;
    merged->policy = cors_policy_merge(pool, base->policy, add->policy);
    merged->export_path = add->export_path ? add->export_path : base->export_path;
    return merged;
}

/* Every section whose configuration the module's directives set, with the
 * server it belongs to: <Location>, <Directory>, <Files>, <If>, <Proxy>,
 * their Match forms and the server level alike, whatever httpd does with
 * them later. The start-up check and the metrics read this list, so no
 * scope escapes them. The directives are not allowed in .htaccess, so the
 * list is only written while httpd reads its configuration (one thread). */
typedef struct {
    server_rec *server;
    k8s_cors_dir_conf *conf;
} configured_section;

static apr_array_header_t *configured_sections;

/* The <K8sCorsOrigin> section being read, whose rule the settings inside
 * it apply to. httpd reads its configuration in one thread, so one suffices. */
static cors_origin_section current_section;

int k8s_cors_pre_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp)
{
    (void)plog;
    (void)ptemp;
    configured_sections = apr_array_make(pconf, 16, sizeof(configured_section));
    memset(&current_section, 0, sizeof(current_section));
    return OK;
}

static void mark_configured(cmd_parms *cmd, k8s_cors_dir_conf *conf)
{
    configured_section *entry;
    if (conf->configured)
        return;
    conf->configured = 1;
    if (configured_sections == NULL)
        configured_sections = apr_array_make(cmd->pool, 16, sizeof(configured_section));
    entry = apr_array_push(configured_sections);
    entry->server = cmd->server;
    entry->conf = conf;
}

/* Every directive but the sections: what it means is in the core
 * (cors_directive_apply), shared with k8s-cors-lint. */
static const char *apply_directive(cmd_parms *cmd, void *dir_conf, int argc, char *const argv[])
{
    k8s_cors_dir_conf *conf = dir_conf;
    const char *error =
        cors_directive_apply(cmd->pool, conf->policy, &current_section, cmd->cmd->name, argc,
                             (const char *const *)argv, source_of(cmd));
    mark_configured(cmd, conf);
    return error;
}

static const char *origin_section(cmd_parms *cmd, void *dir_conf, const char *arg)
{
    k8s_cors_dir_conf *conf = dir_conf;
    ap_directive_t *section = cmd->directive;
    const command_rec *self = cmd->cmd; /* ap_walk_config changes cmd->cmd */
    const char *end = ap_strrchr_c(arg, '>');
    const char *error;

    if (end == NULL)
        return apr_pstrcat(cmd->pool, self->name, "> directive missing closing '>'", NULL);
    error = cors_origin_section_open(cmd->pool, &current_section, self->name,
                                     apr_pstrmemdup(cmd->temp_pool, arg, (size_t)(end - arg)),
                                     source_of(cmd));
    if (error != NULL) {
        current_section.opener = NULL;
        return error;
    }
    /* The children are checked before any of them is applied: httpd would
     * apply a foreign one to the enclosing location. */
    for (ap_directive_t *child = section->first_child; child; child = child->next) {
        if ((error = cors_origin_section_refuse(cmd->pool, &current_section, child->directive)) !=
            NULL) {
            cmd->err_directive = child;
            current_section.opener = NULL;
            return error;
        }
    }

    error = ap_walk_config(section->first_child, cmd, cmd->context);
    cmd->directive = section;
    cmd->cmd = self;
    if (error != NULL) {
        current_section.opener = NULL;
        return error;
    }
    mark_configured(cmd, conf);
    return cors_origin_section_close(cmd->pool, conf->policy, &current_section, NULL);
}

#define SCOPE                                                 (RSRC_CONF | ACCESS_CONF)
#define CORS_DIRECTIVE(name, args, in_section, handler, help) CORS_COMMAND_##args(name, help),
#define CORS_COMMAND_CORS_ARGS_ONE(name, help)                                                     \
    AP_INIT_TAKE_ARGV(name, apply_directive, NULL, SCOPE, help)
#define CORS_COMMAND_CORS_ARGS_OPTIONAL CORS_COMMAND_CORS_ARGS_ONE
#define CORS_COMMAND_CORS_ARGS_LIST     CORS_COMMAND_CORS_ARGS_ONE
#define CORS_COMMAND_CORS_ARGS_FLAG     CORS_COMMAND_CORS_ARGS_ONE
#define CORS_COMMAND_CORS_ARGS_SECTION(name, help)                                                 \
    AP_INIT_RAW_ARGS(name, origin_section, NULL, SCOPE, help)

static const char *set_export_path(cmd_parms *cmd, void *dir_conf, const char *path)
{
    k8s_cors_dir_conf *conf = dir_conf;
    if (path[0] != '/')
        return directive_error(cmd, "a URL path, such as /api or /");
    conf->export_path = path;
    mark_configured(cmd, conf);
    return NULL;
}

const command_rec k8s_cors_directives[] = {
#include "cors_directive_list.h"
    /* httpd only: what CGIs in this scope see (the console). */
    AP_INIT_TAKE1("K8sCorsExportPolicy", set_export_path, NULL, SCOPE,
                  "a URL path: CGIs here get the policy in force there as K8S_CORS_POLICY"),
    /* httpd only: the policy reloader's status file, for the metrics handler. */
    AP_INIT_TAKE1("K8sCorsReloadStatusFile", k8s_cors_set_reload_status_file, NULL, RSRC_CONF,
                  "a file the policy reloader writes: its last attempt, exported as metrics"),
    {NULL},
};

/* ---- start-up check ---------------------------------------------------------
 * Some mistakes span directives (`*` in one line, credentials in another, or
 * inherited from the server config), and K8sCorsStrict may come after the
 * patterns it governs, so the check runs once the whole configuration is
 * read. check_config runs for `apachectl -t` as well. */

typedef struct {
    apr_pool_t *ptemp;
    apr_hash_t *reported; /* one line per finding, whatever the merges */
    int failed;
} check_run;

static void report(check_run *run, server_rec *s, int level, const char *line)
{
    if (apr_hash_get(run->reported, line, APR_HASH_KEY_STRING) != NULL)
        return;
    apr_hash_set(run->reported, line, APR_HASH_KEY_STRING, line);
    ap_log_error(APLOG_MARK, level, 0, s, K8S_CORS_LOGNO(0001) "%s", line);
}

static void check_section(check_run *run, server_rec *s, const cors_policy *own,
                          const cors_policy *effective)
{
    apr_array_header_t *lines = cors_check_section(run->ptemp, own, effective, 0);
    for (int i = 0; i < lines->nelts; i++) {
        const cors_check_line *line = &APR_ARRAY_IDX(lines, i, cors_check_line);
        report(run, s,
               line->severity == CORS_SEVERITY_ERROR     ? APLOG_CRIT
               : line->severity == CORS_SEVERITY_WARNING ? APLOG_WARNING
                                                         : APLOG_INFO,
               line->line);
        if (line->severity == CORS_SEVERITY_ERROR)
            run->failed = 1;
    }
}

/* Calls visit for every configuration section that has K8sCors settings,
 * of any kind (configured_sections), with the section's own policy and its
 * policy merged over its server's (what a request there gets, nesting of
 * sections aside). */
void k8s_cors_each_section(server_rec *s, apr_pool_t *pool,
                           void (*visit)(void *baton, server_rec *s, const cors_policy *own,
                                         const cors_policy *effective),
                           void *baton)
{
    (void)s;
    for (int i = 0; configured_sections != NULL && i < configured_sections->nelts; i++) {
        const configured_section *entry =
            &APR_ARRAY_IDX(configured_sections, i, configured_section);
        const k8s_cors_dir_conf *defaults =
            ap_get_module_config(entry->server->lookup_defaults, &k8s_cors_module);
        const cors_policy *own = entry->conf->policy;
        visit(baton, entry->server, own,
              defaults == NULL || defaults == entry->conf
                  ? own
                  : cors_policy_merge(pool, defaults->policy, own));
    }
}

/* ---- the gateway's own names ----------------------------------------------- */

void *k8s_cors_create_server_conf(apr_pool_t *pool, server_rec *s)
{
    (void)s;
    return apr_pcalloc(pool, sizeof(k8s_cors_server_conf));
}

static void add_name(apr_pool_t *pool, k8s_cors_server_conf *conf, const char *name)
{
    char *lower;
    if (name == NULL || name[0] == '\0')
        return;
    lower = apr_pstrdup(pool, name);
    ap_str_tolower(lower);
    if (apr_hash_get(conf->names, lower, APR_HASH_KEY_STRING) == NULL) {
        apr_hash_set(conf->names, lower, APR_HASH_KEY_STRING, lower);
        APR_ARRAY_PUSH(conf->name_list, const char *) = lower;
    }
}

int k8s_cors_self_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp, server_rec *s)
{
    (void)plog;
    (void)ptemp;
    for (; s != NULL; s = s->next) {
        k8s_cors_server_conf *conf = ap_get_module_config(s->module_config, &k8s_cors_module);
        conf->names = apr_hash_make(pconf);
        conf->name_list = apr_array_make(pconf, 4, sizeof(const char *));
        conf->wild_names = s->wild_names;
        add_name(pconf, conf, s->server_hostname);
        for (int i = 0; s->names != NULL && i < s->names->nelts; i++)
            add_name(pconf, conf, APR_ARRAY_IDX(s->names, i, const char *));
    }
    return OK;
}

int k8s_cors_host_is_self(const request_rec *r)
{
    const k8s_cors_server_conf *conf =
        ap_get_module_config(r->server->module_config, &k8s_cors_module);
    if (r->hostname == NULL || conf == NULL || conf->names == NULL)
        return 0;
    /* r->hostname is lower-case (httpd's fix_hostname). The ServerName
     * itself first: a comparison, where a hash lookup costs five times as
     * much on every request with Origin. */
    if (conf->name_list->nelts > 0 &&
        strcmp(r->hostname, APR_ARRAY_IDX(conf->name_list, 0, const char *)) == 0)
        return 1;
    if (apr_hash_get(conf->names, r->hostname, APR_HASH_KEY_STRING) != NULL)
        return 1;
    for (int i = 0; conf->wild_names != NULL && i < conf->wild_names->nelts; i++)
        if (ap_strcasecmp_match(r->hostname, APR_ARRAY_IDX(conf->wild_names, i, const char *)) == 0)
            return 1;
    return 0;
}

unsigned k8s_cors_self_port(const request_rec *r, const char *scheme)
{
    /* `ServerName https://api.example.com[:port]` names the public side of
     * a TLS terminator: its port (or the scheme's default), not the one
     * httpd listens on. */
    if (r->server->server_scheme != NULL)
        return r->server->port ? r->server->port : cors_scheme_default_port(scheme, strlen(scheme));
    return r->connection->local_addr->port;
}

const char *k8s_cors_self_directives(request_rec *r)
{
    const k8s_cors_server_conf *conf =
        ap_get_module_config(r->server->module_config, &k8s_cors_module);
    const char *scheme = ap_http_scheme(r), *out = "";
    unsigned port = k8s_cors_self_port(r, scheme);
    int default_port = port == cors_scheme_default_port(scheme, strlen(scheme));

    for (int i = 0; conf != NULL && conf->name_list != NULL && i < conf->name_list->nelts; i++) {
        const char *name = APR_ARRAY_IDX(conf->name_list, i, const char *), *line;
        cors_origin origin;
        line = default_port ? apr_pstrcat(r->pool, scheme, "://", name, NULL)
                            : apr_psprintf(r->pool, "%s://%s:%u", scheme, name, port);
        /* A name that makes no origin (a bare IPv6 address) names none. */
        if (cors_origin_parse(line, strlen(line), &origin) != CORS_ORIGIN_OK)
            continue;
        out = apr_pstrcat(r->pool, out, "K8sCorsSelfOrigin ", origin.text, "\n", NULL);
    }
    return out;
}

static void check_visit(void *baton, server_rec *s, const cors_policy *own,
                        const cors_policy *effective)
{
    check_section(baton, s, own, effective);
}

int k8s_cors_check_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp, server_rec *s)
{
    check_run run = {ptemp, apr_hash_make(ptemp), 0};
    (void)pconf;
    (void)plog;
    k8s_cors_each_section(s, ptemp, check_visit, &run);
    return run.failed ? !OK : OK;
}
