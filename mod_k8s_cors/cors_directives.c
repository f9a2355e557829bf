/*
 * What each directive does to a policy. Argument counts are checked by the
 * caller (httpd's command table, or k8s-cors-lint's reader) from
 * cors_directive_table; values are checked here.
 */
#include <string.h>
#include <strings.h>

#include <apr_strings.h>

#include "cors_directives.h"

const cors_directive_info cors_directive_table[] = {
#define CORS_DIRECTIVE(name, args, in_section, help) {name, args, in_section, help},
#include "cors_directive_list.h"
#undef CORS_DIRECTIVE
    {NULL, CORS_ARGS_ONE, 0, NULL},
};

const cors_directive_info *cors_directive_find(const char *name)
{
    for (const cors_directive_info *d = cors_directive_table; d->name; d++)
        if (strcasecmp(d->name, name) == 0)
            return d;
    return NULL;
}

static const char *join_args(apr_pool_t *pool, int argc, const char *const *argv)
{
    const char *text = "";
    for (int i = 0; i < argc; i++)
        text = apr_pstrcat(pool, text, " ", argv[i], NULL);
    return text;
}

static int parse_flag(const char *value, int *flag)
{
    if (strcasecmp(value, "on") == 0)
        *flag = 1;
    else if (strcasecmp(value, "off") == 0)
        *flag = 0;
    else
        return 0;
    return 1;
}

static const char *apply_setting(apr_pool_t *pool, cors_settings *settings, const char *name,
                                 int argc, const char *const *argv, const char *source)
{
    const char *error;
    cors_token_list *list;
    int flag;

    if (strcasecmp(name, "K8sCorsAllowMethods") == 0 ||
        strcasecmp(name, "K8sCorsAllowHeaders") == 0 ||
        strcasecmp(name, "K8sCorsExposeHeaders") == 0) {
        int methods = strcasecmp(name, "K8sCorsAllowMethods") == 0;
        error = cors_token_list_parse(pool, join_args(pool, argc, argv), !methods, &list);
        if (error != NULL)
            return error;
        if (methods)
            settings->methods = list;
        else if (strcasecmp(name, "K8sCorsAllowHeaders") == 0)
            settings->headers = list;
        else
            settings->expose = list;
        return NULL;
    }
    if (strcasecmp(name, "K8sCorsMaxAge") == 0)
        return cors_settings_set_max_age(pool, settings, argv[0], source);
    if (!parse_flag(argv[0], &flag))
        return "use On or Off";
    if (strcasecmp(name, "K8sCorsAllowCredentials") == 0) {
        settings->credentials = flag;
        settings->credentials_source = apr_pstrdup(pool, source);
    } else {
        settings->private_network = flag;
    }
    return NULL;
}

const char *cors_directive_apply(apr_pool_t *pool, cors_policy *policy,
                                 cors_origin_section *section, const char *name, int argc,
                                 const char *const *argv, const char *source)
{
    const cors_directive_info *info = cors_directive_find(name);
    const char *error;
    int flag;

    if (info == NULL || info->args == CORS_ARGS_SECTION)
        return "not a K8sCors directive";
    if (argc == 0 && strcasecmp(name, "K8sCorsKubeAllowedOrigins") == 0)
        return cors_policy_add_kube_origins(pool, policy, "", source); /* "": an empty list */
    if (argc < 1 || ((info->args == CORS_ARGS_ONE || info->args == CORS_ARGS_FLAG) && argc != 1))
        return info->args == CORS_ARGS_LIST ? "needs at least one value" : "takes one value";
    if (section != NULL && !info->in_origin_section)
        return "not allowed inside <K8sCorsOrigin> or <K8sCorsOriginRegex>: only "
               "K8sCorsAllowMethods, K8sCorsAllowHeaders, K8sCorsExposeHeaders, "
               "K8sCorsAllowCredentials, K8sCorsMaxAge, K8sCorsAllowPrivateNetwork and "
               "K8sCorsRuleName";

    if (strcasecmp(name, "K8sCorsRuleName") == 0) {
        if (section == NULL)
            return "only valid inside <K8sCorsOrigin> or <K8sCorsOriginRegex>";
        for (const char *p = argv[0]; *p; p++)
            if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                  (*p >= '0' && *p <= '9') || *p == '_' || *p == '-' || *p == '.'))
                return "a rule name is letters, digits, '_', '-' and '.'";
        section->name = apr_pstrdup(pool, argv[0]);
        return NULL;
    }
    if (info->in_origin_section)
        return apply_setting(pool, section ? section->settings : &policy->settings, name, argc,
                             argv, source);

    if (strcasecmp(name, "K8sCors") == 0) {
        if (strcasecmp(argv[0], "on") == 0 || strcasecmp(argv[0], "enforce") == 0)
            policy->mode = CORS_MODE_ENFORCE;
        else if (strcasecmp(argv[0], "report-only") == 0)
            policy->mode = CORS_MODE_REPORT_ONLY;
        else if (strcasecmp(argv[0], "off") == 0)
            policy->mode = CORS_MODE_OFF;
        else
            return apr_psprintf(pool, "\"%s\": use On (or enforce), report-only, or Off", argv[0]);
        policy->mode_source = apr_pstrdup(pool, source);
        return NULL;
    }
    if (strcasecmp(name, "K8sCorsAllowOrigin") == 0) {
        for (int i = 0; i < argc; i++)
            if ((error = cors_policy_add_origin(pool, policy, argv[i], source)) != NULL)
                return error;
        return NULL;
    }
    if (strcasecmp(name, "K8sCorsSelfOrigin") == 0) {
        for (int i = 0; i < argc; i++)
            if ((error = cors_policy_add_self_origin(pool, policy, argv[i])) != NULL)
                return error;
        return NULL;
    }
    if (strcasecmp(name, "K8sCorsAllowOriginRegex") == 0)
        return cors_policy_add_pattern(pool, policy, argv[0], source);
    if (strcasecmp(name, "K8sCorsKubeAllowedOrigins") == 0)
        return cors_policy_add_kube_origins(pool, policy, argv[0], source);
    if (strcasecmp(name, "K8sCorsDeniedOrigin") == 0) {
        if (strcasecmp(argv[0], "pass") == 0)
            policy->denied_origin = CORS_DENIED_PASS;
        else if (strcasecmp(argv[0], "reject") == 0)
            policy->denied_origin = CORS_DENIED_REJECT;
        else if (strcasecmp(argv[0], "reject-unsafe") == 0)
            policy->denied_origin = CORS_DENIED_REJECT_UNSAFE;
        else
            return apr_psprintf(pool, "\"%s\": use pass, reject-unsafe or reject", argv[0]);
        return NULL;
    }
    if (strcasecmp(name, "K8sCorsDeniedMethodStatus") == 0) {
        if (strcmp(argv[0], "405") == 0)
            policy->method_status = 405;
        else if (strcmp(argv[0], "403") == 0)
            policy->method_status = 403;
        else
            return apr_psprintf(pool, "\"%s\": use 405 or 403", argv[0]);
        return NULL;
    }
    /* K8sCorsStrict */
    if (!parse_flag(argv[0], &flag))
        return "use On or Off";
    policy->strict = flag;
    return NULL;
}

const char *cors_origin_section_open(apr_pool_t *pool, const char *name, int argc,
                                     cors_origin_section *section)
{
    int is_regex = strcasecmp(name, "<K8sCorsOriginRegex") == 0;
    if (argc == 0 || (is_regex && argc != 1))
        return is_regex ? "takes exactly one pattern" : "needs at least one origin";
    section->settings = cors_settings_make(pool);
    section->name = NULL;
    return NULL;
}

const char *cors_origin_section_close(apr_pool_t *pool, cors_policy *policy, const char *name,
                                      int argc, const char *const *argv,
                                      const cors_origin_section *section, const char *source)
{
    int is_regex = strcasecmp(name, "<K8sCorsOriginRegex") == 0;
    for (int i = 0; i < argc; i++) {
        const char *error = is_regex
                                ? cors_policy_add_pattern_with(pool, policy, argv[i], source,
                                                               section->settings, section->name)
                                : cors_policy_add_origin_with(pool, policy, argv[i], source,
                                                              section->settings, section->name);
        if (error != NULL)
            return error;
    }
    return NULL;
}
