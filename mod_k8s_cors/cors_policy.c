/*
 * Building, merging and matching policies. Everything that can fail fails
 * here, at configuration time, with a message that names the value.
 *
 * Matching runs the patterns through an index (cors_matcher.h, implemented
 * below) that only runs those which can match the origin.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>

#include "cors_matcher.h"
#include "cors_policy.h"

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
        policy->exact = cors_strset_make(pool);
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
            existing = cors_strset_get(policy->exact, origin.text, origin.len);
            if (existing != NULL)
                return same_settings(existing->settings, settings)
                           ? NULL
                           : already_listed(pool, text, existing);
            cors_strset_add(policy->exact, origin.text, origin.len,
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

const char *cors_policy_set_max_age(apr_pool_t *pool, cors_policy *policy, const char *text)
{
    return cors_settings_set_max_age(pool, &policy->settings, text, NULL);
}

static void settings_merge(cors_settings *merged, const cors_settings *base,
                           const cors_settings *add)
{
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
        merged->max_age_source = add->max_age_source;
    } else {
        merged->max_age = base->max_age;
        merged->max_age_text = base->max_age_text;
        merged->max_age_source = base->max_age_source;
    }
    merged->private_network =
        add->private_network != CORS_UNSET ? add->private_network : base->private_network;
    merged->profile = add->profile ? add->profile : base->profile;
}

#define MERGE_INT(field) merged->field = add->field != CORS_UNSET ? add->field : base->field

cors_policy *cors_policy_merge(apr_pool_t *pool, const cors_policy *base, const cors_policy *add)
{
    cors_policy *merged = apr_palloc(pool, sizeof(*merged));
    /* The origin rules come whole from one level; everything else is
     * inherited field by field. */
    *merged = add->has_origins ? *add : *base;
    MERGE_INT(denied_origin);
    MERGE_INT(method_status);
    MERGE_INT(strict);
    MERGE_INT(trust_same_site);
    if (add->mode != CORS_UNSET) {
        merged->mode = add->mode;
        merged->mode_source = add->mode_source;
    } else {
        merged->mode = base->mode;
        merged->mode_source = base->mode_source;
    }
    settings_merge(&merged->settings, &base->settings, &add->settings);
    if (add->self_origins != NULL) {
        merged->self_origins = add->self_origins;
        merged->self_texts = add->self_texts;
    } else {
        merged->self_origins = base->self_origins;
        merged->self_texts = base->self_texts;
    }
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
        policy->self_origins = cors_strset_make(pool);
        policy->self_texts = apr_array_make(pool, 2, sizeof(const char *));
    }
    copy = apr_pstrmemdup(pool, origin.text, origin.len);
    if (cors_strset_add(policy->self_origins, origin.text, origin.len, copy) == NULL)
        APR_ARRAY_PUSH(policy->self_texts, const char *) = copy;
    return NULL;
}

int cors_policy_is_self_origin(const cors_policy *policy, const cors_origin *origin)
{
    return policy->self_origins != NULL &&
           cors_strset_get(policy->self_origins, origin->text, origin->len) != NULL;
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

const cors_token_list *cors_policy_methods(const cors_policy *policy)
{
    return cors_effective_methods(policy, NULL);
}

const cors_token_list *cors_policy_headers(const cors_policy *policy)
{
    return cors_effective_headers(policy, NULL);
}

const cors_token_list *cors_policy_expose(const cors_policy *policy)
{
    return cors_effective_expose(policy, NULL);
}

int cors_policy_credentials(const cors_policy *policy)
{
    return cors_effective_credentials(policy, NULL);
}

const char *cors_policy_max_age_text(const cors_policy *policy)
{
    return cors_effective_max_age_text(policy, NULL);
}

cors_mode cors_policy_mode(const cors_policy *policy)
{
    return policy->mode != CORS_UNSET ? (cors_mode)policy->mode : CORS_MODE_OFF;
}

cors_denied_action cors_policy_denied_origin(const cors_policy *policy)
{
    return policy->denied_origin != CORS_UNSET ? (cors_denied_action)policy->denied_origin
                                               : CORS_DENIED_PASS;
}

const char *cors_denied_action_name(cors_denied_action action)
{
    switch (action) {
    case CORS_DENIED_PASS:
        return "pass";
    case CORS_DENIED_REJECT:
        return "reject";
    case CORS_DENIED_REJECT_UNSAFE:
        return "reject-unsafe";
    }
    return "pass";
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

/* ==== the pattern index (cors_matcher.h) =====================================
 * Built at configuration time as patterns are added, read-only afterwards;
 * matching never allocates and touches only the stack. */

/* ---- reading a pattern's literal head and tail ------------------------------
 * A whole-origin pattern is compiled PCRE2_ANCHORED | PCRE2_ENDANCHORED, so
 * a match covers the whole subject: when the pattern ends with unquantified
 * literal characters outside any group, every subject it matches ends with
 * them, and likewise for the start. Only constructs whose extent is known
 * exactly are stepped over; anything else makes the reader give up. */

static char fold(unsigned char c)
{
    return (char)((c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c);
}

static int is_alnum(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

typedef enum {
    TOK_LITERAL, /* one character matched as itself (modulo (?i)) */
    TOK_OTHER,   /* anything else: class, escape, group boundary, assertion, dot */
    TOK_QUANT,   /* a quantifier: the atom before it is optional or repeated */
    TOK_DOLLAR,  /* `$`: zero-width at the end of the subject (PCRE2_DOLLAR_ENDONLY) */
    TOK_GIVE_UP, /* outside what the reader understands */
} token;

/* From p[*i] == open, past the matching close; the text between may hold
 * no structure (an escape's argument, a quantifier's bounds). */
static int skip_delimited(const char *p, size_t *i, char close)
{
    size_t j = *i + 1;
    for (; p[j] != '\0' && p[j] != close; j++)
        if (p[j] == '(' || p[j] == ')' || p[j] == '[' || p[j] == ']' || p[j] == '|' || p[j] == '\\')
            return 0;
    if (p[j] == '\0')
        return 0;
    *i = j + 1;
    return 1;
}

/* PCRE2's check_posix_syntax: from p[i] == '[' followed by ':', '.' or '=',
 * the position of the terminator (":]" ...) or 0 when this is no POSIX
 * class (the '[' is then an ordinary class member). */
static size_t posix_end(const char *p, size_t i)
{
    char terminator = p[i + 1];
    for (size_t j = i + 2; p[j] != '\0'; j++) {
        if (p[j] == '\\' && (p[j + 1] == ']' || p[j + 1] == '\\'))
            j++;
        else if ((p[j] == '[' && p[j + 1] == terminator) || p[j] == ']')
            return 0;
        else if (p[j] == terminator && p[j + 1] == ']')
            return j;
    }
    return 0;
}

/* From p[*i] == '[', past the class's closing ']'. */
static int skip_class(const char *p, size_t *i)
{
    size_t j = *i + 1;
    if (p[j] == '^')
        j++;
    if (p[j] == ']') /* a leading ']' is a member */
        j++;
    for (;;) {
        if (p[j] == '\0')
            return 0;
        if (p[j] == '\\') {
            if (p[j + 1] == '\0' || p[j + 1] == 'Q')
                return 0;
            if (p[j + 1] == 'c' && p[j + 2] == '\0')
                return 0;
            j += p[j + 1] == 'c' ? 3 : 2; /* \c takes one more character */
            continue;
        }
        if (p[j] == '[' && (p[j + 1] == ':' || p[j + 1] == '.' || p[j + 1] == '=')) {
            size_t end = posix_end(p, j);
            j = end ? end + 2 : j + 1;
            continue;
        }
        if (p[j] == ']') {
            *i = j + 1;
            return 1;
        }
        j++;
    }
}

/* A backslash sequence at p[*i]. */
static token read_escape(const char *p, size_t *i, unsigned char *literal)
{
    unsigned char c = (unsigned char)p[*i + 1];
    if (c == '\0' || c == 'Q')
        return TOK_GIVE_UP;
    if (!is_alnum(c)) { /* an escaped punctuation character is itself */
        *literal = c;
        *i += 2;
        return TOK_LITERAL;
    }
    if (c == 'c') { /* \cX: one more character, whatever it is */
        if (p[*i + 2] == '\0')
            return TOK_GIVE_UP;
        *i += 3;
        return TOK_OTHER;
    }
    *i += 2;
    /* Arguments: \x{..} \o{..} \p{..} \g{..} \k<..> \g'..' \x41 \12 \g-1 ...
     * Swallowing letters and digits that were in fact literals only
     * shortens what the reader returns. */
    if (p[*i] == '{')
        return skip_delimited(p, i, '}') ? TOK_OTHER : TOK_GIVE_UP;
    if ((c == 'k' || c == 'g') && (p[*i] == '<' || p[*i] == '\''))
        return skip_delimited(p, i, p[*i] == '<' ? '>' : '\'') ? TOK_OTHER : TOK_GIVE_UP;
    if (c == 'g' && (p[*i] == '+' || p[*i] == '-'))
        (*i)++;
    while (is_alnum((unsigned char)p[*i]) || p[*i] == '_')
        (*i)++;
    return TOK_OTHER;
}

/* An opening parenthesis at p[*i]. */
static token read_group(const char *p, size_t *i)
{
    if (p[*i + 1] == '*') /* verbs, (*ACCEPT) first: they decide where a match ends */
        return TOK_GIVE_UP;
    if (p[*i + 1] == '?') {
        size_t j = *i + 2;
        int extended = 0;
        if (p[j] == '#' || p[j] == 'C') /* comments and callouts hold free text */
            return TOK_GIVE_UP;
        for (; p[j] != '\0' && strchr("imnsxUJar^-", p[j]) != NULL; j++)
            extended |= p[j] == 'x';
        if (extended && (p[j] == ')' || p[j] == ':')) /* whitespace and # comments */
            return TOK_GIVE_UP;
    }
    (*i)++;
    return TOK_OTHER;
}

static token next_token(const char *p, size_t *i, int *depth, unsigned char *literal)
{
    unsigned char c = (unsigned char)p[*i];
    switch (c) {
    case '\\':
        return read_escape(p, i, literal);
    case '[':
        return skip_class(p, i) ? TOK_OTHER : TOK_GIVE_UP;
    case '(':
        (*depth)++;
        return read_group(p, i);
    case ')':
        (*i)++;
        return --(*depth) < 0 ? TOK_GIVE_UP : TOK_OTHER;
    case '|':
        (*i)++;
        return *depth == 0 ? TOK_GIVE_UP : TOK_OTHER;
    case '*':
    case '+':
    case '?':
        (*i)++;
        return TOK_QUANT;
    case '{': {
        /* {n}, {n,}, {n,m} (and, in later PCRE2, {,m} and spaces) are
         * quantifiers; any other '{' is a literal, counted as OTHER. */
        size_t j = *i + 1;
        while ((p[j] >= '0' && p[j] <= '9') || p[j] == ',' || p[j] == ' ')
            j++;
        if (p[j] == '}') {
            *i = j + 1;
            return TOK_QUANT;
        }
        (*i)++;
        return TOK_OTHER;
    }
    case '$':
        (*i)++;
        return TOK_DOLLAR;
    case '.':
    case '^':
        (*i)++;
        return TOK_OTHER;
    default:
        *literal = c;
        (*i)++;
        return TOK_LITERAL;
    }
}

/* Start-of-pattern items: limits, optimisations, newline conventions. They
 * never change which subjects match (the subject holds no newline). */
static int skip_start_items(const char *p, size_t *i)
{
    static const char *const items[] = {
        "LIMIT_DEPTH=",
        "LIMIT_HEAP=",
        "LIMIT_MATCH=",
        "LIMIT_RECURSION=",
        "NOTEMPTY",
        "NOTEMPTY_ATSTART",
        "NO_AUTO_POSSESS",
        "NO_DOTSTAR_ANCHOR",
        "NO_JIT",
        "NO_START_OPT",
        "CR",
        "LF",
        "CRLF",
        "ANYCRLF",
        "ANY",
        "NUL",
        "BSR_ANYCRLF",
        "BSR_UNICODE",
    };
    while (p[*i] == '(' && p[*i + 1] == '*') {
        size_t j = *i + 2, name_len;
        int known = 0;
        while ((p[j] >= 'A' && p[j] <= 'Z') || p[j] == '_')
            j++;
        if (p[j] == '=') {
            j++;
            if (p[j] < '0' || p[j] > '9')
                return 0;
            while (p[j] >= '0' && p[j] <= '9')
                j++;
        }
        if (p[j] != ')')
            return 0;
        name_len = j - (*i + 2);
        for (size_t k = 0; k < sizeof(items) / sizeof(items[0]); k++) {
            size_t item_len = strlen(items[k]);
            if (items[k][item_len - 1] == '='
                    ? name_len > item_len && memcmp(p + *i + 2, items[k], item_len) == 0
                    : name_len == item_len && memcmp(p + *i + 2, items[k], item_len) == 0)
                known = 1;
        }
        if (!known)
            return 0;
        *i = j + 1;
    }
    return 1;
}

int cors_pattern_literals_read(const char *pattern, cors_pattern_literals *out)
{
    size_t i = 0;
    int depth = 0, head_open = 1, dollar = 0;

    out->tail_len = 0;
    out->head_len = 0;
    if (!skip_start_items(pattern, &i))
        goto give_up;
    while (pattern[i] != '\0') {
        unsigned char literal = 0;
        size_t start = i;
        token t = next_token(pattern, &i, &depth, &literal);
        if (t == TOK_GIVE_UP)
            goto give_up;
        if (t == TOK_LITERAL && depth > 0)
            t = TOK_OTHER;
        if (t == TOK_DOLLAR && depth > 0)
            t = TOK_OTHER;

        /* The head: literals from the start, up to the first anything else. */
        if (head_open) {
            if (t == TOK_LITERAL) {
                if (out->head_len < CORS_LITERAL_MAX)
                    out->head[out->head_len++] = fold(literal);
                else
                    head_open = 0;
            } else if (t == TOK_OTHER && out->head_len == 0 && pattern[start] == '^' &&
                       i == start + 1) {
                /* a leading ^ is redundant with PCRE2_ANCHORED */
            } else {
                if (t == TOK_QUANT && out->head_len > 0)
                    out->head_len--; /* the quantified literal is not required */
                head_open = 0;
            }
        }

        /* The tail: literals since the last anything else; `$` may follow. */
        if (t == TOK_LITERAL) {
            if (dollar)
                out->tail_len = 0;
            dollar = 0;
            if (out->tail_len == CORS_LITERAL_MAX) { /* keep the last characters */
                memmove(out->tail, out->tail + 1, CORS_LITERAL_MAX - 1);
                out->tail_len--;
            }
            out->tail[out->tail_len++] = fold(literal);
        } else if (t == TOK_DOLLAR) {
            dollar = 1;
        } else {
            out->tail_len = 0;
            dollar = 0;
        }
    }
    if (depth != 0)
        goto give_up;
    return 1;

give_up:
    out->tail_len = 0;
    out->head_len = 0;
    return 0;
}

/* ---- the index ---------------------------------------------------------------- */

typedef struct {
    uint64_t hash;
    const char *tail; /* NULL: empty slot */
    size_t len;
    apr_array_header_t *positions; /* int, ascending */
} bucket;

typedef struct {
    const char *head; /* a whole-origin pattern's literal head, folded, or NULL */
    size_t head_len;
} pattern_info;

struct cors_matcher {
    apr_pool_t *pool;
    int count;
    bucket *buckets;
    size_t capacity; /* a power of two */
    size_t used;
    unsigned char tail_lengths[CORS_LITERAL_MAX + 1]; /* 1: some tail is this long */
    size_t max_tail;
    apr_array_header_t *always; /* int: positions run on every request, ascending */
    apr_array_header_t *info;   /* pattern_info, by position */
};

#define FNV_OFFSET 14695981039346656037ULL
#define FNV_PRIME  1099511628211ULL

/* The hash of a tail, read from its last character backwards, so the hash
 * of every tail of a subject comes out of one backward pass. */
static uint64_t tail_hash(const char *tail, size_t len)
{
    uint64_t h = FNV_OFFSET;
    for (size_t i = len; i-- > 0;) {
        h ^= (unsigned char)tail[i];
        h *= FNV_PRIME;
    }
    return h;
}

static int folded_equal(const char *folded, const char *text, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (folded[i] != fold((unsigned char)text[i]))
            return 0;
    return 1;
}

static bucket *find_bucket(bucket *buckets, size_t capacity, uint64_t hash, const char *text,
                           size_t len)
{
    size_t mask = capacity - 1;
    for (size_t i = (size_t)hash & mask;; i = (i + 1) & mask) {
        bucket *b = &buckets[i];
        if (b->tail == NULL ||
            (b->hash == hash && b->len == len && folded_equal(b->tail, text, len)))
            return b;
    }
}

static void grow(cors_matcher *m)
{
    size_t capacity = m->capacity * 2;
    bucket *buckets = apr_pcalloc(m->pool, capacity * sizeof(bucket));
    for (size_t i = 0; i < m->capacity; i++)
        if (m->buckets[i].tail != NULL)
            *find_bucket(buckets, capacity, m->buckets[i].hash, m->buckets[i].tail,
                         m->buckets[i].len) = m->buckets[i];
    m->buckets = buckets;
    m->capacity = capacity;
}

cors_matcher *cors_matcher_make(apr_pool_t *pool)
{
    cors_matcher *m = apr_pcalloc(pool, sizeof(*m));
    m->pool = pool;
    m->capacity = 16;
    m->buckets = apr_pcalloc(pool, m->capacity * sizeof(bucket));
    m->always = apr_array_make(pool, 4, sizeof(int));
    m->info = apr_array_make(pool, 4, sizeof(pattern_info));
    return m;
}

static void file_by_tail(cors_matcher *m, const char *tail, size_t len, int position)
{
    uint64_t hash = tail_hash(tail, len);
    bucket *b = find_bucket(m->buckets, m->capacity, hash, tail, len);
    if (b->tail == NULL) {
        if ((m->used + 1) * 2 > m->capacity) {
            grow(m);
            b = find_bucket(m->buckets, m->capacity, hash, tail, len);
        }
        b->hash = hash;
        b->tail = apr_pstrmemdup(m->pool, tail, len);
        b->len = len;
        b->positions = apr_array_make(m->pool, 1, sizeof(int));
        m->used++;
        m->tail_lengths[len] = 1;
        if (len > m->max_tail)
            m->max_tail = len;
    }
    APR_ARRAY_PUSH(b->positions, int) = position;
}

void cors_matcher_add(cors_matcher *m, const cors_rule *rule, int position)
{
    pattern_info *info = apr_array_push(m->info);
    cors_pattern_literals literals;

    info->head = NULL;
    info->head_len = 0;
    m->count++;
    if (position != m->count - 1) {
        /* Not fed in order: make the index unusable rather than wrong. */
        m->count = -1;
        return;
    }
    /* Kube entries search the raw value, unanchored: always run. */
    if (rule->kind != CORS_RULE_REGEX || !cors_pattern_literals_read(rule->text, &literals)) {
        APR_ARRAY_PUSH(m->always, int) = position;
        return;
    }
    if (literals.head_len > 0) {
        info->head = apr_pstrmemdup(m->pool, literals.head, literals.head_len);
        info->head_len = literals.head_len;
    }
    if (literals.tail_len > 0)
        file_by_tail(m, literals.tail, literals.tail_len, position);
    else
        APR_ARRAY_PUSH(m->always, int) = position;
}

int cors_matcher_count(const cors_matcher *m)
{
    return m->count;
}

/* ---- matching ------------------------------------------------------------------ */

/* Origin values kube-apiserver would still feed to its regexes although
 * they are no origin (no scheme, a path...). Lists, control bytes and
 * over-long values never reach a pattern: httpd merges repeated Origin
 * headers into "a, b", which an unanchored search would happily match. */
static int kube_may_look_at(const char *raw, size_t raw_len, const cors_origin *parsed)
{
    cors_origin scratch;
    if (parsed != NULL)
        return 1;
    switch (cors_origin_parse(raw, raw_len, &scratch)) {
    case CORS_ORIGIN_BAD_SCHEME:
    case CORS_ORIGIN_BAD_HOST:
    case CORS_ORIGIN_BAD_PORT:
    case CORS_ORIGIN_PATH:
    case CORS_ORIGIN_USERINFO:
        return 1;
    default:
        return 0;
    }
}

typedef struct {
    const char *raw;
    size_t raw_len;
    const cors_origin *parsed;
    int kube_ok; /* -1: not computed yet */
    cors_match_result result;
    const cors_rule **rule;
} match_state;

/* Runs one pattern as cors_policy_match_raw always has. Returns 1 when it
 * matched (*s->rule is then the pattern). */
static int try_pattern(match_state *s, const cors_rule *candidate)
{
    cors_regex_result matched;
    if (candidate->kind == CORS_RULE_KUBE) {
        if (s->kube_ok < 0)
            s->kube_ok = kube_may_look_at(s->raw, s->raw_len, s->parsed);
        if (!s->kube_ok)
            return 0;
        matched = cors_regex_match(candidate->regex, s->raw, s->raw_len);
    } else {
        if (s->parsed == NULL)
            return 0;
        matched = cors_regex_match(candidate->regex, s->parsed->text, s->parsed->len);
    }
    switch (matched) {
    case CORS_REGEX_MATCH:
        *s->rule = candidate;
        s->result = CORS_MATCH_RULE;
        return 1;
    case CORS_REGEX_NOMATCH:
        break;
    case CORS_REGEX_LIMIT:
    case CORS_REGEX_ERROR:
        /* Never a match; remembered so the denial says why. A later
         * pattern may still allow the origin on its own merits. */
        s->result = CORS_MATCH_LIMIT;
        *s->rule = candidate;
        break;
    }
    return 0;
}

cors_match_result cors_matcher_match_linear(const apr_array_header_t *patterns, const char *raw,
                                            size_t raw_len, const cors_origin *parsed,
                                            const cors_rule **rule)
{
    match_state s = {raw, raw_len, parsed, -1, CORS_MATCH_NONE, rule};
    *rule = NULL;
    for (int i = 0; i < patterns->nelts; i++)
        if (try_pattern(&s, APR_ARRAY_IDX(patterns, i, const cors_rule *)))
            break;
    return s.result;
}

/* Candidate lists merged by position; more than this many tails of one
 * origin filed at once (one per distinct tail length) is implausible, and
 * then the patterns are simply all run. */
#define MAX_LISTS 32

typedef struct {
    const int *next;
    const int *end;
} cursor;

cors_match_result cors_matcher_match(const cors_matcher *m, const apr_array_header_t *patterns,
                                     const char *raw, size_t raw_len, const cors_origin *parsed,
                                     const cors_rule **rule)
{
    match_state s = {raw, raw_len, parsed, -1, CORS_MATCH_NONE, rule};
    cursor lists[MAX_LISTS];
    int n_lists = 0;
    const pattern_info *info = (const pattern_info *)m->info->elts;

    *rule = NULL;
    if (m->always->nelts > 0) {
        lists[n_lists].next = (const int *)m->always->elts;
        lists[n_lists].end = lists[n_lists].next + m->always->nelts;
        n_lists++;
    }
    if (parsed != NULL && m->used > 0) {
        /* Every tail of the origin whose length is in use: one backward
         * pass (folded, although a normalized origin is lower-case). */
        const char *text = parsed->text;
        size_t len = parsed->len, longest = len < m->max_tail ? len : m->max_tail;
        uint64_t h = FNV_OFFSET;
        for (size_t n = 1; n <= longest; n++) {
            const bucket *b;
            unsigned c = (unsigned char)text[len - n];
            c += (unsigned)(c - 'A' < 26u) << 5;
            h ^= c;
            h *= FNV_PRIME;
            if (!m->tail_lengths[n])
                continue;
            b = find_bucket(m->buckets, m->capacity, h, text + len - n, n);
            if (b->tail == NULL)
                continue;
            if (n_lists == MAX_LISTS)
                return cors_matcher_match_linear(patterns, raw, raw_len, parsed, rule);
            lists[n_lists].next = (const int *)b->positions->elts;
            lists[n_lists].end = lists[n_lists].next + b->positions->nelts;
            n_lists++;
        }
    }

    /* The candidates in configuration order: a position is in one list. */
    for (;;) {
        int best = -1, position = 0;
        const cors_rule *candidate;
        for (int k = 0; k < n_lists; k++)
            if (lists[k].next < lists[k].end && (best < 0 || *lists[k].next < position)) {
                best = k;
                position = *lists[k].next;
            }
        if (best < 0)
            break;
        lists[best].next++;
        candidate = APR_ARRAY_IDX(patterns, position, const cors_rule *);
        if (candidate->kind == CORS_RULE_REGEX && parsed != NULL &&
            (info[position].head_len > parsed->len ||
             !folded_equal(info[position].head, parsed->text, info[position].head_len)))
            continue; /* cannot match: its literal head is not the origin's */
        if (try_pattern(&s, candidate))
            break;
    }
    return s.result;
}

/* ==== matching ============================================================== */

cors_match_result cors_policy_match_raw(const cors_policy *policy, const char *raw, size_t raw_len,
                                        const cors_origin *parsed, const cors_rule **rule)
{
    cors_match_result result = CORS_MATCH_NONE;

    *rule = NULL;
    if (!policy->has_origins)
        return CORS_MATCH_NONE;
    if (parsed != NULL) {
        *rule = cors_strset_get(policy->exact, parsed->text, parsed->len);
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

cors_match_result cors_policy_match(const cors_policy *policy, const cors_origin *origin,
                                    const cors_rule **rule)
{
    return cors_policy_match_raw(policy, origin->text, origin->len, origin, rule);
}
