/*
 * What each directive does to a policy. Argument counts are checked by the
 * caller (httpd's command table, or k8s-cors-lint's reader) from
 * cors_directive_table; values are checked here.
 */
#include <string.h>
#include <strings.h>

#include <apr_strings.h>

#include "cors_ascii.h"
#include "cors_directives.h"
#include "cors_profile.h"
#include "cors_names.h"

/* On or Off into *flag; unchanged on error. */
static const char *read_flag(const char *value, int *flag)
{
    if (strcasecmp(value, "on") == 0)
        *flag = 1;
    else if (strcasecmp(value, "off") == 0)
        *flag = 0;
    else
        return "use On or Off";
    return NULL;
}

/* ---- the policy's own directives ---------------------------------------------- */

static const char *set_mode(const cors_directive_scope *scope, int argc, const char *const *argv)
{
    cors_policy *policy = scope->policy;
    int mode = strcasecmp(argv[0], "on") == 0
                   ? CORS_MODE_ENFORCE
                   : cors_name_find(cors_mode_names, CORS_NAMES_COUNT(cors_mode_names), argv[0]);
    (void)argc;
    if (mode < 0)
        return apr_psprintf(scope->pool, "\"%s\": use On (or enforce), report-only, or Off",
                            argv[0]);
    policy->mode = (cors_mode)mode;
    policy->mode_source = apr_pstrdup(scope->pool, scope->source);
    return NULL;
}

static const char *allow_origins(const cors_directive_scope *scope, int argc,
                                 const char *const *argv)
{
    const char *error;
    for (int i = 0; i < argc; i++)
        if ((error = cors_policy_add_origin(scope->pool, scope->policy, argv[i], scope->source)) !=
            NULL)
            return error;
    return NULL;
}

static const char *allow_origin_regex(const cors_directive_scope *scope, int argc,
                                      const char *const *argv)
{
    (void)argc;
    return cors_policy_add_pattern(scope->pool, scope->policy, argv[0], scope->source);
}

static const char *allow_kube_origins(const cors_directive_scope *scope, int argc,
                                      const char *const *argv)
{
    /* No argument: an empty list, as kube-apiserver's flag can be. */
    return cors_policy_add_kube_origins(scope->pool, scope->policy, argc ? argv[0] : "",
                                        scope->source);
}

static const char *add_self_origins(const cors_directive_scope *scope, int argc,
                                    const char *const *argv)
{
    const char *error;
    for (int i = 0; i < argc; i++)
        if ((error = cors_policy_add_self_origin(scope->pool, scope->policy, argv[i])) != NULL)
            return error;
    return NULL;
}

static const char *set_denied_origin(const cors_directive_scope *scope, int argc,
                                     const char *const *argv)
{
    int action = cors_name_find(cors_denied_action_names,
                                CORS_NAMES_COUNT(cors_denied_action_names), argv[0]);
    (void)argc;
    if (action < 0)
        return apr_psprintf(scope->pool, "\"%s\": use pass, reject-unsafe or reject", argv[0]);
    scope->policy->denied_origin = action;
    return NULL;
}

static const char *set_denied_method_status(const cors_directive_scope *scope, int argc,
                                            const char *const *argv)
{
    (void)argc;
    if (strcmp(argv[0], "405") == 0)
        scope->policy->method_status = 405;
    else if (strcmp(argv[0], "403") == 0)
        scope->policy->method_status = 403;
    else
        return apr_psprintf(scope->pool, "\"%s\": use 405 or 403", argv[0]);
    return NULL;
}

static const char *set_trust_same_site(const cors_directive_scope *scope, int argc,
                                       const char *const *argv)
{
    (void)argc;
    return read_flag(argv[0], &scope->policy->trust_same_site);
}

static const char *set_strict(const cors_directive_scope *scope, int argc, const char *const *argv)
{
    (void)argc;
    return read_flag(argv[0], &scope->policy->strict);
}

/* ---- a rule's settings (the policy's defaults outside a section) -------------- */

static const char *token_list(const cors_directive_scope *scope, int argc, const char *const *argv,
                              int header_names, const cors_token_list **list)
{
    const char *text = "", *error;
    cors_token_list *parsed;
    for (int i = 0; i < argc; i++)
        text = apr_pstrcat(scope->pool, text, " ", argv[i], NULL);
    error = cors_token_list_parse(scope->pool, text, header_names, &parsed);
    if (error == NULL)
        *list = parsed;
    return error;
}

static const char *set_methods(const cors_directive_scope *scope, int argc, const char *const *argv)
{
    return token_list(scope, argc, argv, 0, &scope->settings->methods);
}

static const char *set_headers(const cors_directive_scope *scope, int argc, const char *const *argv)
{
    /* The one list that takes name prefixes (Impersonate-Extra-*). */
    const char *text = "", *error;
    cors_token_list *parsed;
    for (int i = 0; i < argc; i++)
        text = apr_pstrcat(scope->pool, text, " ", argv[i], NULL);
    error = cors_header_list_parse(scope->pool, text, &parsed);
    if (error == NULL)
        scope->settings->headers = parsed;
    return error;
}

static const char *set_expose(const cors_directive_scope *scope, int argc, const char *const *argv)
{
    return token_list(scope, argc, argv, 1, &scope->settings->expose);
}

static const char *set_credentials(const cors_directive_scope *scope, int argc,
                                   const char *const *argv)
{
    const char *error = read_flag(argv[0], &scope->settings->credentials);
    (void)argc;
    if (error == NULL)
        scope->settings->credentials_source = apr_pstrdup(scope->pool, scope->source);
    return error;
}

static const char *set_max_age(const cors_directive_scope *scope, int argc, const char *const *argv)
{
    (void)argc;
    return cors_settings_set_max_age(scope->pool, scope->settings, argv[0], scope->source);
}

static const char *set_private_network(const cors_directive_scope *scope, int argc,
                                       const char *const *argv)
{
    (void)argc;
    return read_flag(argv[0], &scope->settings->private_network);
}

static const char *set_client_profile(const cors_directive_scope *scope, int argc,
                                      const char *const *argv)
{
    const cors_client_profile *profile = cors_client_profile_find(argv[0]);
    (void)argc;
    if (profile == NULL)
        return apr_psprintf(scope->pool, "\"%s\": use %s", argv[0], cors_client_profile_names());
    return cors_client_profile_apply(scope->pool, scope->settings, profile);
}

static const char *set_rule_name(const cors_directive_scope *scope, int argc,
                                 const char *const *argv)
{
    (void)argc;
    if (scope->section == NULL)
        return "only valid inside <K8sCorsOrigin> or <K8sCorsOriginRegex>";
    for (const char *p = argv[0]; *p; p++)
        if (!cors_ascii_is_alnum((unsigned char)*p) && *p != '_' && *p != '-' && *p != '.')
            return "a rule name is letters, digits, '_', '-' and '.'";
    scope->section->name = apr_pstrdup(scope->pool, argv[0]);
    return NULL;
}

/* ---- the table ----------------------------------------------------------------- */

const cors_directive_info cors_directive_table[] = {
#define CORS_DIRECTIVE(name, args, in_section, handler, help)                                      \
    {name, args, in_section, handler, help},
#include "cors_directive_list.h"
#undef CORS_DIRECTIVE
    {NULL, CORS_ARGS_ONE, 0, NULL, NULL},
};

const cors_directive_info *cors_directive_find(const char *name)
{
    for (const cors_directive_info *d = cors_directive_table; d->name; d++)
        if (strcasecmp(d->name, name) == 0)
            return d;
    return NULL;
}

/* What may stand inside an origin section, from the table: "only
 * K8sCorsAllowMethods, ... and K8sCorsRuleName". */
static const char *origin_section_rule(apr_pool_t *pool)
{
    const char *rule = "only", *last = NULL;
    for (const cors_directive_info *d = cors_directive_table; d->name; d++) {
        if (!d->in_origin_section)
            continue;
        if (last != NULL)
            rule = apr_pstrcat(pool, rule, rule[4] ? ", " : " ", last, NULL);
        last = d->name;
    }
    return apr_pstrcat(pool, rule, " and ", last, NULL);
}

int cors_origin_section_is(const char *name)
{
    const cors_directive_info *info = cors_directive_find(name);
    return info != NULL && info->args == CORS_ARGS_SECTION;
}

static int is_regex_section(const cors_origin_section *section)
{
    return strcasecmp(section->opener, "<K8sCorsOriginRegex") == 0;
}

const char *cors_origin_section_open(apr_pool_t *pool, cors_origin_section *section,
                                     const char *opener, const char *args, const char *source)
{
    const char *word;
    if (section->opener != NULL)
        return cors_origin_section_refuse(pool, section, opener);
    if (!cors_origin_section_is(opener))
        return apr_pstrcat(pool, opener, "> is not a K8sCors section", NULL);
    section->opener = apr_pstrdup(pool, opener);
    section->values = apr_array_make(pool, 2, sizeof(const char *));
    section->source = source;
    section->settings = cors_settings_make(pool);
    section->name = NULL;
    while ((word = cors_config_word(pool, &args)) != NULL)
        APR_ARRAY_PUSH(section->values, const char *) = word;
    if (section->values->nelts == 0 || (is_regex_section(section) && section->values->nelts != 1)) {
        int is_regex = is_regex_section(section);
        apr_array_clear(section->values);
        return apr_pstrcat(
            pool, opener,
            ">: ", is_regex ? "takes exactly one pattern" : "needs at least one origin", NULL);
    }
    return NULL;
}

const char *cors_origin_section_close(apr_pool_t *pool, cors_policy *policy,
                                      cors_origin_section *section, const char *closer)
{
    const char *opener = section->opener;
    if (opener == NULL)
        return "closing a section that was not opened";
    /* The closer names its opener: </K8sCorsOriginRegex> does not close
     * <K8sCorsOrigin>. */
    if (closer != NULL && strcasecmp(closer + 2, opener + 1) != 0)
        return apr_pstrcat(pool, opener, "> closed by ", closer, ">", NULL);
    section->opener = NULL;
    for (int i = 0; i < section->values->nelts; i++) {
        const char *value = APR_ARRAY_IDX(section->values, i, const char *);
        const char *error = strcasecmp(opener, "<K8sCorsOriginRegex") == 0
                                ? cors_policy_add_pattern_with(pool, policy, value, section->source,
                                                               section->settings, section->name)
                                : cors_policy_add_origin_with(pool, policy, value, section->source,
                                                              section->settings, section->name);
        if (error != NULL)
            return apr_pstrcat(pool, opener, ">: ", error, NULL);
    }
    return NULL;
}

const char *cors_origin_section_refuse(apr_pool_t *pool, const cors_origin_section *section,
                                       const char *directive)
{
    const cors_directive_info *info = cors_directive_find(directive);
    /* Any other directive (ProxyPass, Require...) would silently apply to
     * the whole location. */
    if (section == NULL || section->opener == NULL || (info != NULL && info->in_origin_section))
        return NULL;
    return apr_pstrcat(pool, directive, " is not allowed inside ", section->opener,
                       ">: ", origin_section_rule(pool), NULL);
}

const char *cors_origin_section_unclosed(apr_pool_t *pool, const cors_origin_section *section)
{
    return section->opener ? apr_pstrcat(pool, section->opener, "> was not closed", NULL) : NULL;
}

const char *cors_directive_apply(apr_pool_t *pool, cors_policy *policy,
                                 cors_origin_section *section, const char *name, int argc,
                                 const char *const *argv, const char *source)
{
    const cors_directive_info *info = cors_directive_find(name);
    const char *error;
    cors_directive_scope scope = {pool, policy, NULL, &policy->settings, source};

    if (section != NULL && section->opener != NULL) {
        if ((error = cors_origin_section_refuse(pool, section, name)) != NULL)
            return error;
        scope.section = section;
        scope.settings = section->settings;
    }
    if (info == NULL || info->apply == NULL)
        return apr_pstrcat(pool, name, ": not a K8sCors directive", NULL);
    switch (info->args) {
    case CORS_ARGS_LIST:
        error = argc < 1 ? "needs at least one value" : NULL;
        break;
    case CORS_ARGS_OPTIONAL:
        error = argc > 1 ? "takes one value" : NULL;
        break;
    default:
        error = argc != 1 ? "takes one value" : NULL;
    }
    if (error == NULL)
        error = info->apply(&scope, argc, argv);
    return error ? apr_pstrcat(pool, name, ": ", error, NULL) : NULL;
}
