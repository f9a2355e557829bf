/*
 * Directives, per-directory configuration and its merge, and the start-up
 * check of combinations that are only wrong together. Every value is parsed
 * and compiled here, once; a bad one stops httpd (and `apachectl -t`) with
 * the file, the line and the reason.
 */
#include <stdint.h>

#include <http_core.h>

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
    conf->enabled = CORS_UNSET;
    conf->policy = cors_policy_make(pool);
    return conf;
}

void *k8s_cors_merge_dir_conf(apr_pool_t *pool, void *base_conf, void *add_conf)
{
    const k8s_cors_dir_conf *base = base_conf, *add = add_conf;
    k8s_cors_dir_conf *merged = apr_palloc(pool, sizeof(*merged));
    if (add->enabled != CORS_UNSET) {
        merged->enabled = add->enabled;
        merged->enabled_source = add->enabled_source;
    } else {
        merged->enabled = base->enabled;
        merged->enabled_source = base->enabled_source;
    }
    merged->policy = cors_policy_merge(pool, base->policy, add->policy);
    return merged;
}

static const char *set_enabled(cmd_parms *cmd, void *dir_conf, int flag)
{
    k8s_cors_dir_conf *conf = dir_conf;
    conf->enabled = flag;
    conf->enabled_source = source_of(cmd);
    return NULL;
}

static const char *add_origin(cmd_parms *cmd, void *dir_conf, const char *origin)
{
    k8s_cors_dir_conf *conf = dir_conf;
    const char *error = cors_policy_add_origin(cmd->pool, conf->policy, origin, source_of(cmd));
    return error ? directive_error(cmd, error) : NULL;
}

static const char *add_pattern(cmd_parms *cmd, void *dir_conf, const char *pattern)
{
    k8s_cors_dir_conf *conf = dir_conf;
    const char *error = cors_policy_add_pattern(cmd->pool, conf->policy, pattern, source_of(cmd));
    return error ? directive_error(cmd, error) : NULL;
}

/* K8sCorsAllowMethods, K8sCorsAllowHeaders, K8sCorsExposeHeaders: names
 * separated by spaces or commas; a repeated directive replaces the list.
 * cmd->info says which list: the offset of its field in cors_policy. */
static const char *set_token_list(cmd_parms *cmd, void *dir_conf, int argc, char *const argv[])
{
    k8s_cors_dir_conf *conf = dir_conf;
    size_t field = (size_t)(uintptr_t)cmd->info;
    int case_insensitive = field != APR_OFFSETOF(cors_policy, methods);
    cors_token_list *parsed;
    const char *error;
    const char *text = "";

    for (int i = 0; i < argc; i++)
        text = apr_pstrcat(cmd->temp_pool, text, " ", argv[i], NULL);
    error = cors_token_list_parse(cmd->pool, text, case_insensitive, &parsed);
    if (error != NULL)
        return directive_error(cmd, error);
    *(const cors_token_list **)((char *)conf->policy + field) = parsed;
    return NULL;
}

static const char *set_credentials(cmd_parms *cmd, void *dir_conf, int flag)
{
    k8s_cors_dir_conf *conf = dir_conf;
    conf->policy->credentials = flag;
    conf->policy->credentials_source = source_of(cmd);
    return NULL;
}

static const char *set_max_age(cmd_parms *cmd, void *dir_conf, const char *seconds)
{
    k8s_cors_dir_conf *conf = dir_conf;
    const char *error = cors_policy_set_max_age(cmd->pool, conf->policy, seconds);
    return error ? directive_error(cmd, error) : NULL;
}

#define SCOPE            (RSRC_CONF | ACCESS_CONF)
#define LIST_FIELD(name) ((void *)(uintptr_t)APR_OFFSETOF(cors_policy, name))

const command_rec k8s_cors_directives[] = {
    AP_INIT_FLAG("K8sCors", set_enabled, NULL, SCOPE,
                 "On|Off: apply the CORS policy to requests in this scope"),
    AP_INIT_ITERATE("K8sCorsAllowOrigin", add_origin, NULL, SCOPE,
                    "allowed origins (scheme://host[:port]), or * (only without "
                    "credentials), or null"),
    AP_INIT_TAKE1("K8sCorsAllowOriginRegex", add_pattern, NULL, SCOPE,
                  "a PCRE2 regular expression that must match the whole origin"),
    AP_INIT_TAKE_ARGV("K8sCorsAllowMethods", set_token_list, LIST_FIELD(methods), SCOPE,
                      "methods allowed in preflights (case-sensitive)"),
    AP_INIT_TAKE_ARGV("K8sCorsAllowHeaders", set_token_list, LIST_FIELD(headers), SCOPE,
                      "request headers allowed in preflights"),
    AP_INIT_TAKE_ARGV("K8sCorsExposeHeaders", set_token_list, LIST_FIELD(expose), SCOPE,
                      "response headers exposed to scripts"),
    AP_INIT_FLAG("K8sCorsAllowCredentials", set_credentials, NULL, SCOPE,
                 "On|Off: allow credentialed requests (cookies, Authorization)"),
    AP_INIT_TAKE1("K8sCorsMaxAge", set_max_age, NULL, SCOPE,
                  "seconds a browser may cache a preflight answer"),
    {NULL},
};

/* ---- start-up check ---------------------------------------------------------
 * Some mistakes span directives (`*` in one line, credentials in another, or
 * inherited from the server config), so they can only be seen once the whole
 * configuration is read. check_config runs for `apachectl -t` as well. */

static int check_section(apr_pool_t *ptemp, server_rec *s, ap_conf_vector_t *defaults,
                         ap_conf_vector_t *section)
{
    k8s_cors_dir_conf *conf = ap_get_module_config(defaults, &k8s_cors_module);
    const char *error;

    if (section != NULL) {
        k8s_cors_dir_conf *own = ap_get_module_config(section, &k8s_cors_module);
        if (own == NULL)
            return OK;
        conf = k8s_cors_merge_dir_conf(ptemp, conf, own);
    }
    if (conf == NULL || conf->enabled != 1)
        return OK;
    error = cors_policy_check(ptemp, conf->policy);
    if (error != NULL) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, K8S_CORS_LOGNO(0001) "%s", error);
        return !OK;
    }
    if (!conf->policy->has_origins)
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                     K8S_CORS_LOGNO(0002) "%s: K8sCors On without any K8sCorsAllowOrigin or "
                                          "K8sCorsAllowOriginRegex: every cross-origin request "
                                          "is denied",
                     conf->enabled_source);
    return OK;
}

static int check_sections(apr_pool_t *ptemp, server_rec *s, apr_array_header_t *sections)
{
    int rv = OK;
    for (int i = 0; sections != NULL && i < sections->nelts; i++)
        if (check_section(ptemp, s, s->lookup_defaults,
                          APR_ARRAY_IDX(sections, i, ap_conf_vector_t *)) != OK)
            rv = !OK;
    return rv;
}

int k8s_cors_check_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp, server_rec *s)
{
    int rv = OK;
    (void)pconf;
    (void)plog;
    for (; s != NULL; s = s->next) {
        core_server_config *core = ap_get_core_module_config(s->module_config);
        if (check_section(ptemp, s, s->lookup_defaults, NULL) != OK)
            rv = !OK;
        if (check_sections(ptemp, s, core->sec_url) != OK ||
            check_sections(ptemp, s, core->sec_dir) != OK)
            rv = !OK;
    }
    return rv;
}
