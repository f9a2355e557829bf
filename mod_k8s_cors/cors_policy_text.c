/*
 * A policy as directives and back: the console CGI receives the policy of
 * the API location from the module in this form, and rebuilds it with the
 * same code httpd used, so its explanations are the module's decisions.
 */
#include <string.h>
#include <strings.h>

#include <apr_strings.h>

#include "cors_directives.h"
#include "cors_profile.h"

const char *cors_config_word(apr_pool_t *pool, const char **line)
{
    const char *p = *line, *start;
    char *word, *w;

    while (*p == ' ' || *p == '\t')
        p++;
    if (*p == '\0') {
        *line = p;
        return NULL;
    }
    if (*p == '"' || *p == '\'') {
        char quote = *p++;
        word = w = apr_palloc(pool, strlen(p) + 1);
        while (*p && *p != quote) {
            if (*p == '\\' && p[1] == quote)
                p++;
            *w++ = *p++;
        }
        *w = '\0';
        if (*p == quote)
            p++;
        *line = p;
        return word;
    }
    start = p;
    while (*p && *p != ' ' && *p != '\t')
        p++;
    *line = p;
    return apr_pstrmemdup(pool, start, (size_t)(p - start));
}

/* text quoted so that cors_config_word (and httpd) read it back unchanged. */
static const char *quoted(apr_pool_t *pool, const char *text)
{
    char *out = apr_palloc(pool, strlen(text) * 2 + 3), *o = out;
    *o++ = '"';
    for (const char *t = text; *t; t++) {
        if (*t == '"')
            *o++ = '\\';
        *o++ = *t;
    }
    *o++ = '"';
    *o = '\0';
    return out;
}

static const char *list_line(apr_pool_t *pool, const char *name, const cors_token_list *list)
{
    const char *line = name;
    for (int i = 0; i < list->count; i++)
        line = apr_pstrcat(pool, line, " ", list->names[i], NULL);
    return apr_pstrcat(pool, line, "\n", NULL);
}

static const char *settings_lines(apr_pool_t *pool, const cors_settings *s, const char *indent)
{
    const char *out = "";
    /* The profile's name, for the reader; the lists it set follow, so the
     * text means the same whatever the profile holds when it is read. */
    if (s->profile)
        out = apr_pstrcat(pool, indent, "K8sCorsClientProfile ", s->profile->name, "\n", NULL);
    if (s->methods)
        out = apr_pstrcat(pool, out, indent, list_line(pool, "K8sCorsAllowMethods", s->methods),
                          NULL);
    if (s->headers)
        out = apr_pstrcat(pool, out, indent, list_line(pool, "K8sCorsAllowHeaders", s->headers),
                          NULL);
    if (s->expose)
        out = apr_pstrcat(pool, out, indent, list_line(pool, "K8sCorsExposeHeaders", s->expose),
                          NULL);
    if (s->credentials != CORS_UNSET)
        out = apr_pstrcat(pool, out, indent, "K8sCorsAllowCredentials ",
                          s->credentials ? "On\n" : "Off\n", NULL);
    if (s->max_age != CORS_UNSET)
        out = apr_pstrcat(pool, out, indent, "K8sCorsMaxAge ", s->max_age_text, "\n", NULL);
    if (s->private_network != CORS_UNSET)
        out = apr_pstrcat(pool, out, indent, "K8sCorsAllowPrivateNetwork ",
                          s->private_network ? "On\n" : "Off\n", NULL);
    return out;
}

static const char *rule_lines(apr_pool_t *pool, const cors_rule *rule)
{
    const char *origin = rule->text, *source = apr_pstrcat(pool, "#@ ", rule->source, "\n", NULL);
    int regex = rule->kind == CORS_RULE_REGEX;

    if (rule->kind == CORS_RULE_KUBE)
        return apr_pstrcat(pool, source, "K8sCorsKubeAllowedOrigins ", quoted(pool, origin), "\n",
                           NULL);
    if (rule->settings == NULL)
        return apr_pstrcat(pool, source, regex ? "K8sCorsAllowOriginRegex " : "K8sCorsAllowOrigin ",
                           quoted(pool, origin), "\n", NULL);
    return apr_pstrcat(pool, source, regex ? "<K8sCorsOriginRegex " : "<K8sCorsOrigin ",
                       quoted(pool, origin), ">\n", settings_lines(pool, rule->settings, "    "),
                       strcmp(rule->name, rule->text) != 0
                           ? apr_pstrcat(pool, "    K8sCorsRuleName ", rule->name, "\n", NULL)
                           : "",
                       regex ? "</K8sCorsOriginRegex>\n" : "</K8sCorsOrigin>\n", NULL);
}

const char *cors_policy_to_directives(apr_pool_t *pool, const cors_policy *policy)
{
    const char *out =
        apr_pstrcat(pool, "K8sCors ", cors_mode_name(cors_policy_mode(policy)), "\n", NULL);
    if (policy->denied_origin != CORS_UNSET)
        out = apr_pstrcat(pool, out, "K8sCorsDeniedOrigin ",
                          cors_denied_action_name((cors_denied_action)policy->denied_origin), "\n",
                          NULL);
    if (policy->method_status != CORS_UNSET)
        out = apr_psprintf(pool, "%sK8sCorsDeniedMethodStatus %d\n", out, policy->method_status);
    if (policy->trust_same_site != CORS_UNSET)
        out = apr_pstrcat(pool, out, "K8sCorsTrustSameSite ",
                          policy->trust_same_site ? "On\n" : "Off\n", NULL);
    if (policy->strict != CORS_UNSET)
        out = apr_pstrcat(pool, out, "K8sCorsStrict ", policy->strict ? "On\n" : "Off\n", NULL);
    out = apr_pstrcat(pool, out, settings_lines(pool, &policy->settings, ""), NULL);
    for (int i = 0; policy->self_texts != NULL && i < policy->self_texts->nelts; i++)
        out = apr_pstrcat(pool, out, "K8sCorsSelfOrigin ",
                          quoted(pool, APR_ARRAY_IDX(policy->self_texts, i, const char *)), "\n",
                          NULL);
    for (int i = 0; policy->has_origins && i < policy->rules->nelts; i++)
        out = apr_pstrcat(
            pool, out, rule_lines(pool, APR_ARRAY_IDX(policy->rules, i, const cors_rule *)), NULL);
    return out;
}

const char *cors_policy_apply_text(apr_pool_t *pool, cors_policy *policy, const char *text)
{
    const char *source = "(policy)";
    cors_origin_section section = {0};
    char *copy = apr_pstrdup(pool, text), *line, *next;
    int number = 0;

    for (line = copy; line != NULL; line = next) {
        const char *rest, *name, *word, *error = NULL;
        apr_array_header_t *args = apr_array_make(pool, 4, sizeof(const char *));
        next = strchr(line, '\n');
        if (next != NULL)
            *next++ = '\0';
        number++;
        while (*line == ' ' || *line == '\t')
            line++;
        if (strncmp(line, "#@ ", 3) == 0) {
            source = apr_pstrdup(pool, line + 3);
            continue;
        }
        if (*line == '\0' || *line == '#')
            continue;
        if (strncmp(line, "</", 2) == 0) {
            size_t name_len = 2 + strcspn(line + 2, " \t>");
            const char *after = line + name_len + strspn(line + name_len, " \t");
            if (*after != '>')
                return apr_psprintf(pool, "%d: malformed section", number);
            error = cors_origin_section_close(pool, policy, &section,
                                              apr_pstrmemdup(pool, line, name_len));
        } else if (line[0] == '<') {
            char *close = strrchr(line, '>');
            size_t name_len = strcspn(line, " \t>");
            if (close == NULL)
                return apr_psprintf(pool, "%d: malformed section", number);
            *close = '\0';
            error = cors_origin_section_open(pool, &section, apr_pstrmemdup(pool, line, name_len),
                                             line + name_len, source);
        } else {
            rest = line;
            name = cors_config_word(pool, &rest);
            while ((word = cors_config_word(pool, &rest)) != NULL)
                APR_ARRAY_PUSH(args, const char *) = word;
            error = cors_directive_apply(pool, policy, &section, name, args->nelts,
                                         (const char *const *)args->elts, source);
        }
        if (error != NULL)
            return apr_psprintf(pool, "%d: %s", number, error);
    }
    return cors_origin_section_unclosed(pool, &section);
}
