/*
 * Building, merging and matching policies. Everything that can fail fails
 * here, at configuration time, with a message that names the value.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>

#include "cors_policy.h"

static const char *const default_method_names[] = {"POST", "GET",    "OPTIONS",
                                                   "PUT",  "DELETE", "PATCH"};
static const char *const default_header_names[] = {
    "Content-Type",  "Content-Length",   "Accept-Encoding",  "X-CSRF-Token",
    "Authorization", "X-Requested-With", "If-Modified-Since"};
static const char *const default_expose_names[] = {"Date"};

const cors_token_list cors_default_methods = {
    default_method_names, 6, NULL, "POST, GET, OPTIONS, PUT, DELETE, PATCH", 0, 0};
const cors_token_list cors_default_headers = {
    default_header_names,
    7,
    NULL,
    "Content-Type, Content-Length, Accept-Encoding, X-CSRF-Token, Authorization, "
    "X-Requested-With, If-Modified-Since",
    1,
    0};
const cors_token_list cors_default_expose_headers = {default_expose_names, 1, NULL, "Date", 1, 0};

cors_policy *cors_policy_make(apr_pool_t *pool)
{
    cors_policy *policy = apr_pcalloc(pool, sizeof(*policy));
    policy->credentials = CORS_UNSET;
    policy->max_age = CORS_UNSET;
    return policy;
}

static void ensure_origin_rules(apr_pool_t *pool, cors_policy *policy)
{
    if (!policy->has_origins) {
        policy->has_origins = 1;
        policy->exact = cors_strset_make(pool);
        policy->patterns = apr_array_make(pool, 4, sizeof(const cors_rule *));
    }
}

static cors_rule *new_rule(apr_pool_t *pool, cors_policy *policy, cors_rule_kind kind,
                           const char *text, const char *source)
{
    cors_rule *rule = apr_pcalloc(pool, sizeof(*rule));
    rule->kind = kind;
    rule->text = apr_pstrdup(pool, text);
    rule->source = source ? apr_pstrdup(pool, source) : "";
    rule->index = ++policy->rule_count;
    return rule;
}

const char *cors_policy_add_origin(apr_pool_t *pool, cors_policy *policy, const char *text,
                                   const char *source)
{
    cors_origin origin;
    cors_origin_status status;

    ensure_origin_rules(pool, policy);
    if (strcmp(text, "*") == 0) {
        if (policy->any == NULL)
            policy->any = new_rule(pool, policy, CORS_RULE_ANY, text, source);
        return NULL;
    }
    status = cors_origin_parse(text, strlen(text), &origin);
    if (status == CORS_ORIGIN_NULL) {
        if (policy->null_origin == NULL)
            policy->null_origin = new_rule(pool, policy, CORS_RULE_NULL, text, source);
        return NULL;
    }
    if (status != CORS_ORIGIN_OK)
        return apr_psprintf(pool,
                            "\"%s\" is not an origin (%s); write scheme://host[:port], "
                            "e.g. https://dashboard.example.com",
                            text, cors_origin_status_text(status));
    if (cors_strset_get(policy->exact, origin.text, origin.len) == NULL)
        cors_strset_add(policy->exact, origin.text, origin.len,
                        new_rule(pool, policy, CORS_RULE_EXACT, text, source));
    return NULL;
}

const char *cors_policy_add_pattern(apr_pool_t *pool, cors_policy *policy, const char *pattern,
                                    const char *source)
{
    cors_regex *regex;
    cors_rule *rule;
    const char *error = cors_regex_compile(pool, pattern, &regex);
    if (error != NULL)
        return error;
    ensure_origin_rules(pool, policy);
    rule = new_rule(pool, policy, CORS_RULE_REGEX, pattern, source);
    rule->regex = regex;
    APR_ARRAY_PUSH(policy->patterns, const cors_rule *) = rule;
    return NULL;
}

const char *cors_policy_set_max_age(apr_pool_t *pool, cors_policy *policy, const char *text)
{
    char *end;
    long value;

    errno = 0;
    value = strtol(text, &end, 10);
    if (text[0] < '0' || text[0] > '9' || *end != '\0' || errno == ERANGE || value < 0 ||
        value > 2147483647L)
        return apr_psprintf(pool, "\"%s\" is not a number of seconds (0 to 2147483647)", text);
    policy->max_age = value;
    policy->max_age_text = apr_ltoa(pool, value);
    return NULL;
}

cors_policy *cors_policy_merge(apr_pool_t *pool, const cors_policy *base, const cors_policy *add)
{
    cors_policy *merged = apr_palloc(pool, sizeof(*merged));
    *merged = add->has_origins ? *add : *base;
    /* Everything but the origin rules is inherited field by field. */
    merged->methods = add->methods ? add->methods : base->methods;
    merged->headers = add->headers ? add->headers : base->headers;
    merged->expose = add->expose ? add->expose : base->expose;
    if (add->credentials != CORS_UNSET) {
        merged->credentials = add->credentials;
        merged->credentials_source = add->credentials_source;
    } else {
        merged->credentials = base->credentials;
        merged->credentials_source = base->credentials_source;
    }
    if (add->max_age != CORS_UNSET) {
        merged->max_age = add->max_age;
        merged->max_age_text = add->max_age_text;
    } else {
        merged->max_age = base->max_age;
        merged->max_age_text = base->max_age_text;
    }
    return merged;
}

const char *cors_policy_check(apr_pool_t *pool, const cors_policy *policy)
{
    if (!cors_policy_credentials(policy))
        return NULL;
    if (policy->any != NULL)
        return apr_psprintf(pool,
                            "%s: allowed origin \"*\" together with credentials: browsers refuse "
                            "this combination; list the origins, or set "
                            "K8sCorsAllowCredentials Off",
                            policy->any->source);
    if (policy->null_origin != NULL)
        return apr_psprintf(
            pool,
            "%s: allowed origin \"null\" together with credentials: any page can "
            "get an opaque origin (sandboxed iframe, data: URL), so this lets every "
            "site make credentialed requests; set K8sCorsAllowCredentials Off",
            policy->null_origin->source);
    return NULL;
}

const cors_token_list *cors_policy_methods(const cors_policy *policy)
{
    return policy->methods ? policy->methods : &cors_default_methods;
}

const cors_token_list *cors_policy_headers(const cors_policy *policy)
{
    return policy->headers ? policy->headers : &cors_default_headers;
}

const cors_token_list *cors_policy_expose(const cors_policy *policy)
{
    return policy->expose ? policy->expose : &cors_default_expose_headers;
}

int cors_policy_credentials(const cors_policy *policy)
{
    return policy->credentials != CORS_UNSET ? policy->credentials : CORS_DEFAULT_CREDENTIALS;
}

const char *cors_policy_max_age_text(const cors_policy *policy)
{
    return policy->max_age != CORS_UNSET ? policy->max_age_text : CORS_DEFAULT_MAX_AGE_TEXT;
}

cors_match_result cors_policy_match(const cors_policy *policy, const cors_origin *origin,
                                    const cors_rule **rule)
{
    cors_match_result result = CORS_MATCH_NONE;

    *rule = NULL;
    if (!policy->has_origins)
        return CORS_MATCH_NONE;
    *rule = cors_strset_get(policy->exact, origin->text, origin->len);
    if (*rule != NULL)
        return CORS_MATCH_RULE;
    for (int i = 0; i < policy->patterns->nelts; i++) {
        const cors_rule *candidate = APR_ARRAY_IDX(policy->patterns, i, const cors_rule *);
        switch (cors_regex_match(candidate->regex, origin->text, origin->len)) {
        case CORS_REGEX_MATCH:
            *rule = candidate;
            return CORS_MATCH_RULE;
        case CORS_REGEX_NOMATCH:
            break;
        case CORS_REGEX_LIMIT:
        case CORS_REGEX_ERROR:
            /* Never a match; remembered so the denial says why. A later
             * pattern may still allow the origin on its own merits. */
            result = CORS_MATCH_LIMIT;
            *rule = candidate;
            break;
        }
    }
    if (policy->any != NULL) {
        *rule = policy->any;
        return CORS_MATCH_RULE;
    }
    return result;
}
