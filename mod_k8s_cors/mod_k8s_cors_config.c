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
    k8s_cors_dir_conf *merged = apr_palloc(pool, sizeof(*merged));
    merged->policy = cors_policy_merge(pool, base->policy, add->policy);
    return merged;
}

/* ---- <K8sCorsOrigin> and <K8sCorsOriginRegex> --------------------------------
 * While such a section is read, the settings directives inside it apply to
 * its rule instead of to the location. httpd reads its configuration in one
 * thread, so one pointer suffices. */
typedef struct {
    cors_settings *settings;
    const char *name;
} origin_section;

static origin_section *current_section;

static cors_settings *target_settings(k8s_cors_dir_conf *conf)
{
    return current_section ? current_section->settings : &conf->policy->settings;
}

static const char *const section_directives[] = {
    "K8sCorsAllowMethods",  "K8sCorsAllowHeaders",
    "K8sCorsExposeHeaders", "K8sCorsAllowCredentials",
    "K8sCorsMaxAge",        "K8sCorsAllowPrivateNetwork",
    "K8sCorsRuleName",      NULL,
};

static int allowed_in_section(const char *directive)
{
    for (int i = 0; section_directives[i]; i++)
        if (strcasecmp(directive, section_directives[i]) == 0)
            return 1;
    return 0;
}

static const char *origin_section_cmd(cmd_parms *cmd, void *dir_conf, const char *arg)
{
    k8s_cors_dir_conf *conf = dir_conf;
    ap_directive_t *section = cmd->directive;
    const char *end = ap_strrchr_c(arg, '>');
    int is_regex = cmd->info != NULL;
    const char *source = source_of(cmd), *error, *word;
    apr_array_header_t *values = apr_array_make(cmd->temp_pool, 2, sizeof(const char *));
    origin_section state;
    char *args;

    if (end == NULL)
        return apr_pstrcat(cmd->pool, cmd->cmd->name, "> directive missing closing '>'", NULL);
    if (current_section != NULL)
        return apr_pstrcat(cmd->pool, cmd->cmd->name, "> cannot be nested", NULL);
    args = apr_pstrmemdup(cmd->temp_pool, arg, (size_t)(end - arg));
    while (*(word = ap_getword_conf(cmd->temp_pool, (const char **)&args)) != '\0')
        APR_ARRAY_PUSH(values, const char *) = word;
    if (values->nelts == 0 || (is_regex && values->nelts != 1))
        return apr_pstrcat(cmd->pool, cmd->cmd->name,
                           is_regex ? "> takes exactly one pattern" : "> needs at least one origin",
                           NULL);
    for (ap_directive_t *child = section->first_child; child; child = child->next)
        if (!allowed_in_section(child->directive)) {
            cmd->err_directive = child;
            return apr_pstrcat(cmd->pool, child->directive, " is not allowed inside ",
                               cmd->cmd->name,
                               ">: only K8sCorsAllowMethods, K8sCorsAllowHeaders, "
                               "K8sCorsExposeHeaders, K8sCorsAllowCredentials, K8sCorsMaxAge, "
                               "K8sCorsAllowPrivateNetwork and K8sCorsRuleName",
                               NULL);
        }

    state.settings = cors_settings_make(cmd->pool);
    state.name = NULL;
    current_section = &state;
    error = ap_walk_config(section->first_child, cmd, cmd->context);
    current_section = NULL;
    cmd->directive = section;
    if (error != NULL)
        return error;

    for (int i = 0; i < values->nelts; i++) {
        const char *value = APR_ARRAY_IDX(values, i, const char *);
        error = is_regex ? cors_policy_add_pattern_with(cmd->pool, conf->policy, value, source,
                                                        state.settings, state.name)
                         : cors_policy_add_origin_with(cmd->pool, conf->policy, value, source,
                                                       state.settings, state.name);
        if (error != NULL)
            return apr_pstrcat(cmd->pool, cmd->cmd->name, ">: ", error, NULL);
    }
    return NULL;
}

/* ---- location-level directives ------------------------------------------------ */

static const char *set_mode(cmd_parms *cmd, void *dir_conf, const char *value)
{
    k8s_cors_dir_conf *conf = dir_conf;
    if (strcasecmp(value, "on") == 0 || strcasecmp(value, "enforce") == 0)
        conf->policy->mode = CORS_MODE_ENFORCE;
    else if (strcasecmp(value, "report-only") == 0)
        conf->policy->mode = CORS_MODE_REPORT_ONLY;
    else if (strcasecmp(value, "off") == 0)
        conf->policy->mode = CORS_MODE_OFF;
    else
        return directive_error(
            cmd,
            apr_psprintf(cmd->pool, "\"%s\": use On (or enforce), report-only, or Off", value));
    conf->policy->mode_source = source_of(cmd);
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

static const char *add_kube_origins(cmd_parms *cmd, void *dir_conf, const char *flag_value)
{
    k8s_cors_dir_conf *conf = dir_conf;
    const char *error =
        cors_policy_add_kube_origins(cmd->pool, conf->policy, flag_value, source_of(cmd));
    return error ? directive_error(cmd, error) : NULL;
}

static const char *set_denied_origin(cmd_parms *cmd, void *dir_conf, const char *value)
{
    k8s_cors_dir_conf *conf = dir_conf;
    if (strcasecmp(value, "pass") == 0)
        conf->policy->denied_origin = CORS_DENIED_PASS;
    else if (strcasecmp(value, "reject") == 0)
        conf->policy->denied_origin = CORS_DENIED_REJECT;
    else
        return directive_error(cmd, apr_psprintf(cmd->pool, "\"%s\": use pass or reject", value));
    return NULL;
}

static const char *set_method_status(cmd_parms *cmd, void *dir_conf, const char *value)
{
    k8s_cors_dir_conf *conf = dir_conf;
    if (strcmp(value, "405") == 0 || strcmp(value, "403") == 0)
        conf->policy->method_status = (int)apr_atoi64(value);
    else
        return directive_error(cmd, apr_psprintf(cmd->pool, "\"%s\": use 405 or 403", value));
    return NULL;
}

static const char *set_strict(cmd_parms *cmd, void *dir_conf, int flag)
{
    k8s_cors_dir_conf *conf = dir_conf;
    (void)cmd;
    conf->policy->strict = flag;
    return NULL;
}

/* ---- settings: for the location, or for the rule of the enclosing section ---- */

/* K8sCorsAllowMethods, K8sCorsAllowHeaders, K8sCorsExposeHeaders: names
 * separated by spaces or commas; a repeated directive replaces the list.
 * cmd->info says which list: the offset of its field in cors_settings. */
static const char *set_token_list(cmd_parms *cmd, void *dir_conf, int argc, char *const argv[])
{
    size_t field = (size_t)(uintptr_t)cmd->info;
    int case_insensitive = field != APR_OFFSETOF(cors_settings, methods);
    cors_token_list *parsed;
    const char *error;
    const char *text = "";

    for (int i = 0; i < argc; i++)
        text = apr_pstrcat(cmd->temp_pool, text, " ", argv[i], NULL);
    error = cors_token_list_parse(cmd->pool, text, case_insensitive, &parsed);
    if (error != NULL)
        return directive_error(cmd, error);
    *(const cors_token_list **)((char *)target_settings(dir_conf) + field) = parsed;
    return NULL;
}

static const char *set_credentials(cmd_parms *cmd, void *dir_conf, int flag)
{
    cors_settings *settings = target_settings(dir_conf);
    settings->credentials = flag;
    settings->credentials_source = source_of(cmd);
    return NULL;
}

static const char *set_max_age(cmd_parms *cmd, void *dir_conf, const char *seconds)
{
    const char *error =
        cors_settings_set_max_age(cmd->pool, target_settings(dir_conf), seconds, source_of(cmd));
    return error ? directive_error(cmd, error) : NULL;
}

static const char *set_private_network(cmd_parms *cmd, void *dir_conf, int flag)
{
    (void)cmd;
    target_settings(dir_conf)->private_network = flag;
    return NULL;
}

static const char *set_rule_name(cmd_parms *cmd, void *dir_conf, const char *name)
{
    (void)dir_conf;
    if (current_section == NULL)
        return directive_error(cmd, "only valid inside <K8sCorsOrigin> or <K8sCorsOriginRegex>");
    for (const char *p = name; *p; p++)
        if (!apr_isalnum(*p) && *p != '_' && *p != '-' && *p != '.')
            return directive_error(cmd, "a rule name is letters, digits, '_', '-' and '.'");
    current_section->name = apr_pstrdup(cmd->pool, name);
    return NULL;
}

#define SCOPE            (RSRC_CONF | ACCESS_CONF)
#define LIST_FIELD(name) ((void *)(uintptr_t)APR_OFFSETOF(cors_settings, name))

const command_rec k8s_cors_directives[] = {
    AP_INIT_TAKE1("K8sCors", set_mode, NULL, SCOPE,
                  "On (or enforce), report-only, or Off: apply the CORS policy in this scope"),
    AP_INIT_ITERATE("K8sCorsAllowOrigin", add_origin, NULL, SCOPE,
                    "allowed origins (scheme://host[:port]), or * (only without "
                    "credentials), or null"),
    AP_INIT_TAKE1("K8sCorsAllowOriginRegex", add_pattern, NULL, SCOPE,
                  "a PCRE2 regular expression that must match the whole origin"),
    AP_INIT_RAW_ARGS("<K8sCorsOrigin", origin_section_cmd, NULL, SCOPE,
                     "origins with their own settings, until </K8sCorsOrigin>"),
    AP_INIT_RAW_ARGS("<K8sCorsOriginRegex", origin_section_cmd, (void *)1, SCOPE,
                     "a whole-origin pattern with its own settings, until </K8sCorsOriginRegex>"),
    AP_INIT_TAKE1("K8sCorsKubeAllowedOrigins", add_kube_origins, NULL, SCOPE,
                  "the value of kube-apiserver's --cors-allowed-origins, with kube's semantics"),
    AP_INIT_TAKE1("K8sCorsDeniedOrigin", set_denied_origin, NULL, SCOPE,
                  "pass (forward without CORS headers) or reject (403) requests from denied "
                  "origins"),
    AP_INIT_TAKE1("K8sCorsDeniedMethodStatus", set_method_status, NULL, SCOPE,
                  "405 or 403: the answer to an allowed origin using a method it may not"),
    AP_INIT_FLAG("K8sCorsStrict", set_strict, NULL, SCOPE,
                 "On: every configuration warning stops httpd"),
    AP_INIT_TAKE_ARGV("K8sCorsAllowMethods", set_token_list, LIST_FIELD(methods), SCOPE,
                      "methods allowed (case-sensitive)"),
    AP_INIT_TAKE_ARGV("K8sCorsAllowHeaders", set_token_list, LIST_FIELD(headers), SCOPE,
                      "request headers allowed in preflights"),
    AP_INIT_TAKE_ARGV("K8sCorsExposeHeaders", set_token_list, LIST_FIELD(expose), SCOPE,
                      "response headers exposed to scripts"),
    AP_INIT_FLAG("K8sCorsAllowCredentials", set_credentials, NULL, SCOPE,
                 "On|Off: allow credentialed requests (cookies, Authorization)"),
    AP_INIT_TAKE1("K8sCorsMaxAge", set_max_age, NULL, SCOPE,
                  "seconds a browser may cache a preflight answer"),
    AP_INIT_FLAG("K8sCorsAllowPrivateNetwork", set_private_network, NULL, SCOPE,
                 "On|Off: answer Private Network Access preflights"),
    AP_INIT_TAKE1("K8sCorsRuleName", set_rule_name, NULL, SCOPE,
                  "the rule's name in logs and metrics (inside <K8sCorsOrigin>)"),
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
    apr_array_header_t *findings;
    const char *error;
    int strict = cors_policy_strict(effective);

    findings = cors_lint_policy(run->ptemp, own);
    for (int i = 0; i < findings->nelts; i++) {
        const cors_finding *f = &APR_ARRAY_IDX(findings, i, cors_finding);
        cors_severity severity = cors_finding_effective_severity(f, strict);
        report(run, s,
               severity == CORS_SEVERITY_ERROR     ? APLOG_CRIT
               : severity == CORS_SEVERITY_WARNING ? APLOG_WARNING
                                                   : APLOG_INFO,
               cors_finding_format(run->ptemp, f, strict));
        if (severity == CORS_SEVERITY_ERROR)
            run->failed = 1;
    }
    if (cors_policy_mode(effective) == CORS_MODE_OFF)
        return;
    error = cors_policy_check(run->ptemp, effective);
    if (error != NULL) {
        report(run, s, APLOG_CRIT, error);
        run->failed = 1;
    }
    if (!effective->has_origins)
        report(run, s, APLOG_WARNING,
               apr_pstrcat(run->ptemp, effective->mode_source,
                           ": K8sCors is on without any allowed origin: every cross-origin "
                           "request is denied",
                           NULL));
}

static void check_sections(check_run *run, server_rec *s, apr_array_header_t *sections)
{
    const k8s_cors_dir_conf *defaults = ap_get_module_config(s->lookup_defaults, &k8s_cors_module);
    for (int i = 0; sections != NULL && i < sections->nelts; i++) {
        ap_conf_vector_t *section = APR_ARRAY_IDX(sections, i, ap_conf_vector_t *);
        const k8s_cors_dir_conf *own = ap_get_module_config(section, &k8s_cors_module);
        if (own != NULL)
            check_section(run, s, own->policy,
                          cors_policy_merge(run->ptemp, defaults->policy, own->policy));
    }
}

int k8s_cors_check_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp, server_rec *s)
{
    check_run run = {ptemp, apr_hash_make(ptemp), 0};
    (void)pconf;
    (void)plog;
    for (; s != NULL; s = s->next) {
        core_server_config *core = ap_get_core_module_config(s->module_config);
        const k8s_cors_dir_conf *defaults =
            ap_get_module_config(s->lookup_defaults, &k8s_cors_module);
        check_section(&run, s, defaults->policy, defaults->policy);
        check_sections(&run, s, core->sec_url);
        check_sections(&run, s, core->sec_dir);
    }
    return run.failed ? !OK : OK;
}
