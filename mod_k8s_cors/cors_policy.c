/*
 * Building, merging and matching policies. Everything that can fail fails
 * here, at configuration time, with a message that names the value.
 *
 * Matching runs the patterns through an index (cors_matcher.c) that only
 * runs those which can match the origin.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>

#include "cors_matcher.h"
#include "cors_policy.h"
#include "cors_names.h"

static const char *const default_method_names[] = {"POST", "GET",    "OPTIONS",
                                                   "PUT",  "DELETE", "PATCH"};
static const char *const default_header_names[] = {
    "Content-Type",  "Content-Length",   "Accept-Encoding",  "X-CSRF-Token",
    "Authorization", "X-Requested-With", "If-Modified-Since"};
static const char *const default_expose_names[] = {"Date"};

const cors_token_list cors_default_methods = {
    default_method_names, 6, NULL, "POST, GET, OPTIONS, PUT, DELETE, PATCH", 0, 0, NULL, 0, NULL};
const cors_token_list cors_default_headers = {
    default_header_names,
    7,
    NULL,
    "Content-Type, Content-Length, Accept-Encoding, X-CSRF-Token, Authorization, "
    "X-Requested-With, If-Modified-Since",
    1,
    0,
    NULL,
    0,
    NULL};
const cors_token_list cors_default_expose_headers = {
    default_expose_names, 1, NULL, "Date", 1, 0, NULL, 0, NULL};

static void settings_init(cors_settings *settings)
{
    memset(settings, 0, sizeof(*settings));
    settings->credentials = CORS_UNSET;
    settings->max_age = CORS_UNSET;
    settings->private_network = CORS_UNSET;
}

cors_settings *cors_settings_make(apr_pool_t *pool)
{
    cors_settings *settings = apr_palloc(pool, sizeof(*settings));
    settings_init(settings);
    return settings;
}

cors_policy *cors_policy_make(apr_pool_t *pool)
{
    cors_policy *policy = apr_pcalloc(pool, sizeof(*policy));
    policy->mode = CORS_UNSET;
    policy->denied_origin = CORS_UNSET;
    policy->method_status = CORS_UNSET;
    policy->strict = CORS_UNSET;
    policy->trust_same_site = CORS_UNSET;
    settings_init(&policy->settings);
    return policy;
}

static void ensure_origin_rules(apr_pool_t *pool, cors_policy *policy)
{
    if (!policy->has_origins) {
        policy->has_origins = 1;
        policy->exact = apr_hash_make(pool);
        policy->patterns = apr_array_make(pool, 4, sizeof(const cors_rule *));
        policy->matcher = cors_matcher_make(pool);
        policy->rules = apr_array_make(pool, 8, sizeof(const cors_rule *));
    }
}

static cors_rule *new_rule(apr_pool_t *pool, cors_policy *policy, cors_rule_kind kind,
                           const char *text, const char *source, const cors_settings *settings,
                           const char *name)
{
    cors_rule *rule = apr_pcalloc(pool, sizeof(*rule));
    rule->kind = kind;
    rule->text = apr_pstrdup(pool, text);
    rule->source = source ? apr_pstrdup(pool, source) : "";
    rule->name = name ? apr_pstrdup(pool, name) : rule->text;
    rule->index = ++policy->rule_count;
    rule->settings = settings;
    APR_ARRAY_PUSH(policy->rules, const cors_rule *) = rule;
    return rule;
}

static int same_list(const cors_token_list *a, const cors_token_list *b)
{
    return a == b || (a && b && strcmp(a->joined, b->joined) == 0 &&
                      a->case_insensitive == b->case_insensitive);
}

/* Two rules for one origin are harmless only when they say the same. */
static int same_settings(const cors_settings *a, const cors_settings *b)
{
    cors_settings none;
    if (a == b)
        return 1;
    settings_init(&none);
    a = a ? a : &none;
    b = b ? b : &none;
    return same_list(a->methods, b->methods) && same_list(a->headers, b->headers) &&
           same_list(a->expose, b->expose) && a->credentials == b->credentials &&
           a->max_age == b->max_age && a->private_network == b->private_network;
}

static const char *already_listed(apr_pool_t *pool, const char *text, const cors_rule *first)
{
    return apr_psprintf(pool,
                        "origin \"%s\" is already allowed by \"%s\" at %s, with other settings; "
                        "an origin may have one rule only",
                        text, first->text, first->source);
}

const char *cors_policy_add_origin_with(apr_pool_t *pool, cors_policy *policy, const char *text,
                                        const char *source, const cors_settings *settings,
                                        const char *name)
{
    cors_origin origin;
    cors_origin_status status;
    const cors_rule *existing;
    const cors_rule **slot;

    ensure_origin_rules(pool, policy);
    if (strcmp(text, "*") == 0) {
        slot = &policy->any;
    } else {
        status = cors_origin_parse(text, strlen(text), &origin);
        if (status == CORS_ORIGIN_NULL) {
            slot = &policy->null_origin;
        } else if (status != CORS_ORIGIN_OK) {
            return apr_psprintf(pool,
                                "\"%s\" is not an origin (%s); write scheme://host[:port], "
                                "e.g. https://dashboard.example.com",
                                text, cors_origin_status_text(status));
        } else {
            existing = apr_hash_get(policy->exact, origin.text, (apr_ssize_t)origin.len);
            if (existing != NULL)
                return same_settings(existing->settings, settings)
                           ? NULL
                           : already_listed(pool, text, existing);
            apr_hash_set(policy->exact, apr_pstrmemdup(pool, origin.text, origin.len),
                         (apr_ssize_t)origin.len,
                         new_rule(pool, policy, CORS_RULE_EXACT, text, source, settings, name));
            return NULL;
        }
    }
    if (*slot != NULL)
        return same_settings((*slot)->settings, settings) ? NULL
                                                          : already_listed(pool, text, *slot);
    *slot = new_rule(pool, policy, slot == &policy->any ? CORS_RULE_ANY : CORS_RULE_NULL, text,
                     source, settings, name);
    return NULL;
}

const char *cors_policy_add_origin(apr_pool_t *pool, cors_policy *policy, const char *text,
                                   const char *source)
{
    return cors_policy_add_origin_with(pool, policy, text, source, NULL, NULL);
}

static const char *add_compiled(apr_pool_t *pool, cors_policy *policy, cors_rule_kind kind,
                                const char *pattern, const char *source,
                                const cors_settings *settings, const char *name)
{
    cors_regex *regex;
    cors_rule *rule;
    const char *error = kind == CORS_RULE_KUBE ? cors_regex_compile_search(pool, pattern, &regex)
                                               : cors_regex_compile(pool, pattern, &regex);
    if (error != NULL)
        return error;
    ensure_origin_rules(pool, policy);
    rule = new_rule(pool, policy, kind, pattern, source, settings, name);
    rule->regex = regex;
    APR_ARRAY_PUSH(policy->patterns, const cors_rule *) = rule;
    cors_matcher_add(policy->matcher, rule, policy->patterns->nelts - 1);
    return NULL;
}

const char *cors_policy_add_pattern_with(apr_pool_t *pool, cors_policy *policy, const char *pattern,
                                         const char *source, const cors_settings *settings,
                                         const char *name)
{
    return add_compiled(pool, policy, CORS_RULE_REGEX, pattern, source, settings, name);
}

const char *cors_policy_add_pattern(apr_pool_t *pool, cors_policy *policy, const char *pattern,
                                    const char *source)
{
    return cors_policy_add_pattern_with(pool, policy, pattern, source, NULL, NULL);
}

const char *cors_policy_add_kube_origins(apr_pool_t *pool, cors_policy *policy,
                                         const char *flag_value, const char *source)
{
    const char *p = flag_value;
    /* kube-apiserver splits the flag on commas (pflag StringSlice) and
     * refuses empty entries; so do we. An empty value is an empty list:
     * no CORS at all, like kube. */
    if (flag_value[0] == '\0') {
        ensure_origin_rules(pool, policy);
        return NULL;
    }
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        const char *error;
        if (len == 0)
            return "empty value in --cors-allowed-origins (kube-apiserver refuses it too)";
        error = add_compiled(pool, policy, CORS_RULE_KUBE, apr_pstrmemdup(pool, p, len), source,
                             NULL, NULL);
        if (error != NULL)
            return error;
        if (comma == NULL)
            return NULL;
        p = comma + 1;
    }
}

const char *cors_settings_set_max_age(apr_pool_t *pool, cors_settings *settings, const char *text,
                                      const char *source)
{
    char *end;
    long value;

    errno = 0;
    value = strtol(text, &end, 10);
    if (text[0] < '0' || text[0] > '9' || *end != '\0' || errno == ERANGE || value < 0 ||
        value > 2147483647L)
        return apr_psprintf(pool, "\"%s\" is not a number of seconds (0 to 2147483647)", text);
    settings->max_age = value;
    settings->max_age_text = apr_ltoa(pool, value);
    settings->max_age_source = source ? apr_pstrdup(pool, source) : NULL;
    return NULL;
}

static void settings_merge(cors_settings *merged, const cors_settings *base,
                           const cors_settings *add)
{
    merged->methods = add->methods ? add->methods : base->methods;
    merged->headers = add->headers ? add->headers : base->headers;
    merged->expose = add->expose ? add->expose : base->expose;
    /* A value comes with its text and source, from the level that sets it. */
    const cors_settings *credentials = add->credentials != CORS_UNSET ? add : base;
    const cors_settings *max_age = add->max_age != CORS_UNSET ? add : base;
    merged->credentials = credentials->credentials;
    merged->credentials_source = credentials->credentials_source;
    merged->max_age = max_age->max_age;
    merged->max_age_text = max_age->max_age_text;
    merged->max_age_source = max_age->max_age_source;
    merged->private_network =
        add->private_network != CORS_UNSET ? add->private_network : base->private_network;
    merged->profile = add->profile ? add->profile : base->profile;
}

#define MERGE_INT(field) merged->field = add->field != CORS_UNSET ? add->field : base->field

cors_policy *cors_policy_merge(apr_pool_t *pool, const cors_policy *base, const cors_policy *add)
{
    cors_policy *merged = apr_palloc(pool, sizeof(*merged));
    const cors_policy *mode, *self;
    /* The origin rules come whole from one level; everything else is
     * inherited field by field. */
    *merged = add->has_origins ? *add : *base;
    MERGE_INT(denied_origin);
    MERGE_INT(method_status);
    MERGE_INT(strict);
    MERGE_INT(trust_same_site);
    mode = add->mode != CORS_UNSET ? add : base;
    merged->mode = mode->mode;
    merged->mode_source = mode->mode_source;
    settings_merge(&merged->settings, &base->settings, &add->settings);
    self = add->self_origins != NULL ? add : base;
    merged->self_origins = self->self_origins;
    merged->self_texts = self->self_texts;
    return merged;
}

const char *cors_policy_add_self_origin(apr_pool_t *pool, cors_policy *policy, const char *text)
{
    cors_origin origin;
    cors_origin_status status = cors_origin_parse(text, strlen(text), &origin);
    const char *copy;

    if (status != CORS_ORIGIN_OK)
        return apr_psprintf(pool, "\"%s\" is not an origin (%s): write scheme://host[:port]", text,
                            cors_origin_status_text(status));
    if (policy->self_origins == NULL) {
        policy->self_origins = apr_hash_make(pool);
        policy->self_texts = apr_array_make(pool, 2, sizeof(const char *));
    }
    copy = apr_pstrmemdup(pool, origin.text, origin.len);
    if (apr_hash_get(policy->self_origins, copy, (apr_ssize_t)origin.len) == NULL) {
        apr_hash_set(policy->self_origins, copy, (apr_ssize_t)origin.len, copy);
        APR_ARRAY_PUSH(policy->self_texts, const char *) = copy;
    }
    return NULL;
}

int cors_policy_is_self_origin(const cors_policy *policy, const cors_origin *origin)
{
    return policy->self_origins != NULL &&
           apr_hash_get(policy->self_origins, origin->text, (apr_ssize_t)origin->len) != NULL;
}

static const char *wildcard_credentials_error(apr_pool_t *pool, const cors_policy *policy,
                                              const cors_rule *rule)
{
    if (rule == NULL || !cors_effective_credentials(policy, rule))
        return NULL;
    if (rule->kind == CORS_RULE_ANY)
        return apr_psprintf(pool,
                            "%s: allowed origin \"*\" together with credentials: browsers refuse "
                            "this combination; list the origins, or set "
                            "K8sCorsAllowCredentials Off",
                            rule->source);
    return apr_psprintf(pool,
                        "%s: allowed origin \"null\" together with credentials: any page can "
                        "get an opaque origin (sandboxed iframe, data: URL), so this lets every "
                        "site make credentialed requests; set K8sCorsAllowCredentials Off",
                        rule->source);
}

const char *cors_policy_check(apr_pool_t *pool, const cors_policy *policy)
{
    const char *error = wildcard_credentials_error(pool, policy, policy->any);
    return error ? error : wildcard_credentials_error(pool, policy, policy->null_origin);
}

/* The rule's own setting if it has one, else the location's. */
#define EFFECTIVE(policy, rule, field, unset)                                                      \
    ((rule) && (rule)->settings && (rule)->settings->field != (unset) ? (rule)->settings->field    \
                                                                      : (policy)->settings.field)

const cors_token_list *cors_effective_methods(const cors_policy *policy, const cors_rule *rule)
{
    const cors_token_list *list = EFFECTIVE(policy, rule, methods, NULL);
    return list ? list : &cors_default_methods;
}

const cors_token_list *cors_effective_headers(const cors_policy *policy, const cors_rule *rule)
{
    const cors_token_list *list = EFFECTIVE(policy, rule, headers, NULL);
    return list ? list : &cors_default_headers;
}

const cors_token_list *cors_effective_expose(const cors_policy *policy, const cors_rule *rule)
{
    const cors_token_list *list = EFFECTIVE(policy, rule, expose, NULL);
    return list ? list : &cors_default_expose_headers;
}

int cors_effective_credentials(const cors_policy *policy, const cors_rule *rule)
{
    int value = EFFECTIVE(policy, rule, credentials, CORS_UNSET);
    return value != CORS_UNSET ? value : CORS_DEFAULT_CREDENTIALS;
}

const char *cors_effective_max_age_text(const cors_policy *policy, const cors_rule *rule)
{
    const char *text = EFFECTIVE(policy, rule, max_age_text, NULL);
    return text ? text : CORS_DEFAULT_MAX_AGE_TEXT;
}

int cors_effective_private_network(const cors_policy *policy, const cors_rule *rule)
{
    return EFFECTIVE(policy, rule, private_network, CORS_UNSET) == 1;
}

cors_mode cors_policy_mode(const cors_policy *policy)
{
    return policy->mode != CORS_UNSET ? (cors_mode)policy->mode : CORS_MODE_OFF;
}

const char *const cors_mode_names[] = {"off", "enforce", "report-only"};
_Static_assert(CORS_NAMES_COUNT(cors_mode_names) == CORS_MODE_REPORT_ONLY + 1,
               "a name for every mode");

const char *cors_mode_name(cors_mode mode)
{
    return cors_name_of(cors_mode_names, CORS_NAMES_COUNT(cors_mode_names), (int)mode);
}

cors_denied_action cors_policy_denied_origin(const cors_policy *policy)
{
    return policy->denied_origin != CORS_UNSET ? (cors_denied_action)policy->denied_origin
                                               : CORS_DENIED_PASS;
}

const char *const cors_denied_action_names[] = {"pass", "reject", "reject-unsafe"};
_Static_assert(CORS_NAMES_COUNT(cors_denied_action_names) == CORS_DENIED_REJECT_UNSAFE + 1,
               "a name for every action");

const char *cors_denied_action_name(cors_denied_action action)
{
    return cors_name_of(cors_denied_action_names, CORS_NAMES_COUNT(cors_denied_action_names),
                        (int)action);
}

int cors_policy_trust_same_site(const cors_policy *policy)
{
    return policy->trust_same_site == 1;
}

int cors_policy_method_status(const cors_policy *policy)
{
    return policy->method_status != CORS_UNSET ? policy->method_status : CORS_DEFAULT_METHOD_STATUS;
}

int cors_policy_strict(const cors_policy *policy)
{
    return policy->strict == 1;
}

int cors_method_allowed(const cors_token_list *methods, const char *method, size_t len)
{
    if (methods->wildcard || cors_token_list_has(methods, method, len))
        return 1;
    return len == 4 && memcmp(method, "HEAD", 4) == 0 && cors_token_list_has(methods, "GET", 3);
}

cors_match_result cors_policy_match_raw(const cors_policy *policy, const char *raw, size_t raw_len,
                                        const cors_origin *parsed, const cors_rule **rule)
{
    cors_match_result result = CORS_MATCH_NONE;

    *rule = NULL;
    if (!policy->has_origins)
        return CORS_MATCH_NONE;
    if (parsed != NULL) {
        *rule = apr_hash_get(policy->exact, parsed->text, (apr_ssize_t)parsed->len);
        if (*rule != NULL)
            return CORS_MATCH_RULE;
    }
    if (policy->patterns->nelts > 0) {
        /* The index runs only the patterns that can match, in order; a
         * policy whose index does not cover its patterns runs them all. */
        result =
            policy->matcher != NULL &&
                    cors_matcher_count(policy->matcher) == policy->patterns->nelts
                ? cors_matcher_match(policy->matcher, policy->patterns, raw, raw_len, parsed, rule)
                : cors_matcher_match_linear(policy->patterns, raw, raw_len, parsed, rule);
        if (result == CORS_MATCH_RULE)
            return result;
    }
    if (policy->any != NULL && parsed != NULL) {
        *rule = policy->any;
        return CORS_MATCH_RULE;
    }
    return result;
}
