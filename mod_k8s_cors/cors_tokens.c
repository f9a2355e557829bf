/*
 * Configured method and header-name lists, and the linear, bounded check of
 * Access-Control-Request-Headers (a preflight full of commas must cost no
 * more than a normal one: rs/cors#170).
 */
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include <apr_strings.h>

#include "cors_ascii.h"
#include "cors_tokens.h"

/* RFC 9110's tchar, one bit a byte: ALPHA, DIGIT and !#$%&'*+-.^_`|~.
 * Every byte of every requested header name goes through it. */
static const uint32_t tchar_bits[8] = {
    0x00000000, /* 0x00-0x1f: controls */
    0x03ff6cfa, /* 0x20-0x3f: ! # $ % & ' * + - . 0-9 */
    0xc7fffffe, /* 0x40-0x5f: A-Z ^ _ */
    0x57ffffff, /* 0x60-0x7f: ` a-z | ~ */
    0,          /* 0x80-0xff: never in a token */
    0,          0, 0,
};

int cors_is_tchar(unsigned char c)
{
    return (tchar_bits[c >> 5] >> (c & 31)) & 1;
}

static int is_ows(char c)
{
    return c == ' ' || c == '\t';
}

static void lower_copy(char *dst, const char *src, size_t len)
{
    for (size_t i = 0; i < len; i++)
        dst[i] = cors_ascii_lower(src[i]);
}

/* Fetch never lets "*" stand for Authorization: it must be listed by name. */
static int is_authorization(const char *name, size_t len)
{
    return len == 13 && strncasecmp(name, "authorization", 13) == 0;
}

static int is_prefix_entry(const char *name, size_t len)
{
    return len > 1 && name[len - 1] == '*';
}

const char *cors_prefix_check(apr_pool_t *pool, const char *name)
{
    size_t len = strlen(name);
    if (!is_prefix_entry(name, len))
        return apr_psprintf(pool, "\"%s\" is not a prefix (NAME-*)", name);
    len--; /* the `*` */
    if (len < 2 || len > CORS_PREFIX_MAX_LEN)
        return apr_psprintf(pool,
                            "\"%s\": a header-name prefix is 2 to %d characters before the `*`",
                            name, CORS_PREFIX_MAX_LEN);
    if (name[len - 1] != '-')
        return apr_psprintf(pool,
                            "\"%s\": a header-name prefix ends with '-' before the `*` (e.g. "
                            "Impersonate-Extra-*), so it names a family of headers",
                            name);
    for (size_t k = 0; k < len; k++)
        if (!cors_is_tchar((unsigned char)name[k]) || name[k] == '*')
            return apr_psprintf(pool, "\"%s\" is not a valid header-name prefix", name);
    return NULL;
}

static const char *list_make(apr_pool_t *pool, const char *const *names, int n,
                             int case_insensitive, int prefixes_allowed, cors_token_list **out)
{
    cors_token_list *list;
    const char **copy, **prefixes = NULL;
    size_t joined_len = 0, exact_len = 0;
    char *joined, *p;

    *out = NULL;
    if (n <= 0)
        return "the list is empty";
    list = apr_pcalloc(pool, sizeof(*list));
    copy = apr_palloc(pool, sizeof(*copy) * (size_t)n);
    list->lookup = apr_hash_make(pool);
    list->case_insensitive = case_insensitive;
    for (int i = 0; i < n; i++) {
        size_t len = strlen(names[i]);
        char key[CORS_TOKEN_MAX_LEN];
        if (len == 0 || len > CORS_TOKEN_MAX_LEN)
            return apr_psprintf(pool, "\"%s\" is not a valid name (1 to %d characters)", names[i],
                                CORS_TOKEN_MAX_LEN);
        for (size_t k = 0; k < len; k++)
            if (!cors_is_tchar((unsigned char)names[i][k]))
                return apr_psprintf(pool, "\"%s\" is not a valid HTTP token", names[i]);
        if (len == 1 && names[i][0] == '*')
            list->wildcard = 1;
        if (is_prefix_entry(names[i], len)) {
            const char *error;
            char *prefix;
            if (!prefixes_allowed)
                return apr_psprintf(pool,
                                    "\"%s\": a name prefix is only allowed in "
                                    "K8sCorsAllowHeaders",
                                    names[i]);
            if ((error = cors_prefix_check(pool, names[i])) != NULL)
                return error;
            if (prefixes == NULL)
                prefixes = apr_palloc(pool, sizeof(*prefixes) * CORS_PREFIXES_MAX);
            if (list->prefix_count == CORS_PREFIXES_MAX)
                return apr_psprintf(pool, "more than %d header-name prefixes", CORS_PREFIXES_MAX);
            prefix = apr_pstrmemdup(pool, names[i], len - 1);
            lower_copy(prefix, prefix, len - 1);
            prefixes[list->prefix_count++] = prefix;
        }
        if (case_insensitive)
            lower_copy(key, names[i], len);
        else
            memcpy(key, names[i], len);
        copy[list->count] = apr_pstrdup(pool, names[i]);
        /* A repeated name is listed once. */
        if (apr_hash_get(list->lookup, key, (apr_ssize_t)len) == NULL) {
            apr_hash_set(list->lookup, apr_pstrmemdup(pool, key, len), (apr_ssize_t)len,
                         copy[list->count]);
            joined_len += len + 2;
            if (!is_prefix_entry(names[i], len))
                exact_len += len + 2;
            list->count++;
        }
    }
    list->prefixes = prefixes;
    joined = p = apr_palloc(pool, joined_len + 1);
    for (int i = 0; i < list->count; i++) {
        size_t len = strlen(copy[i]);
        if (i > 0) {
            memcpy(p, ", ", 2);
            p += 2;
        }
        memcpy(p, copy[i], len);
        p += len;
    }
    *p = '\0';
    list->names = copy;
    list->joined = joined;
    if (list->prefix_count > 0) {
        char *exact = p = apr_palloc(pool, exact_len + 1);
        for (int i = 0; i < list->count; i++) {
            size_t len = strlen(copy[i]);
            if (is_prefix_entry(copy[i], len))
                continue;
            if (p > exact) {
                memcpy(p, ", ", 2);
                p += 2;
            }
            memcpy(p, copy[i], len);
            p += len;
        }
        *p = '\0';
        list->exact_joined = exact;
    }
    *out = list;
    return NULL;
}

const char *cors_token_list_make(apr_pool_t *pool, const char *const *names, int n,
                                 int case_insensitive, cors_token_list **out)
{
    return list_make(pool, names, n, case_insensitive, 0, out);
}

const char *cors_header_list_make(apr_pool_t *pool, const char *const *names, int n,
                                  cors_token_list **out)
{
    return list_make(pool, names, n, 1, 1, out);
}

const char *cors_token_list_header_value(const cors_token_list *list)
{
    const char *value = list->exact_joined ? list->exact_joined : list->joined;
    return value[0] ? value : NULL;
}

int cors_token_list_prefix_match(const cors_token_list *list, const char *name, size_t len)
{
    if (is_authorization(name, len))
        return 0;
    for (int i = 0; i < list->prefix_count; i++) {
        size_t plen = strlen(list->prefixes[i]);
        /* the `*` stands for at least one character */
        if (len > plen && strncasecmp(name, list->prefixes[i], plen) == 0)
            return 1;
    }
    return 0;
}

static const char *list_parse(apr_pool_t *pool, const char *text, int case_insensitive,
                              int prefixes_allowed, cors_token_list **out)
{
    apr_array_header_t *names = apr_array_make(pool, 8, sizeof(const char *));
    const char *p = text;

    while (*p) {
        const char *start;
        while (*p == ',' || is_ows(*p))
            p++;
        start = p;
        while (*p && *p != ',' && !is_ows(*p))
            p++;
        if (p > start)
            APR_ARRAY_PUSH(names, const char *) = apr_pstrmemdup(pool, start, (size_t)(p - start));
    }
    return list_make(pool, (const char *const *)names->elts, names->nelts, case_insensitive,
                     prefixes_allowed, out);
}

const char *cors_token_list_parse(apr_pool_t *pool, const char *text, int case_insensitive,
                                  cors_token_list **out)
{
    return list_parse(pool, text, case_insensitive, 0, out);
}

const char *cors_header_list_parse(apr_pool_t *pool, const char *text, cors_token_list **out)
{
    return list_parse(pool, text, 1, 1, out);
}

int cors_token_list_has(const cors_token_list *list, const char *name, size_t len)
{
    char key[CORS_TOKEN_MAX_LEN];
    if (len == 0 || len > CORS_TOKEN_MAX_LEN)
        return 0;
    if (list->case_insensitive) {
        lower_copy(key, name, len);
        name = key;
    }
    if (list->prefix_count > 0 && cors_token_list_prefix_match(list, name, len))
        return 1;
    if (list->lookup != NULL)
        return apr_hash_get(list->lookup, name, (apr_ssize_t)len) != NULL;
    /* Static lists (the defaults) have no hash set: a handful of names. */
    for (int i = 0; i < list->count; i++) {
        const char *candidate = list->names[i];
        char first = list->case_insensitive ? cors_ascii_lower(candidate[0]) : candidate[0];
        if (first != name[0] || strlen(candidate) != len)
            continue;
        if (list->case_insensitive ? strncasecmp(candidate, name, len) == 0
                                   : memcmp(candidate, name, len) == 0)
            return 1;
    }
    return 0;
}

cors_list_status cors_request_headers_check(const cors_token_list *allowed, const char *value,
                                            size_t len, const char **bad, size_t *bad_len)
{
    size_t i = 0;
    int elements = 0;

    *bad = NULL;
    *bad_len = 0;
    if (len > CORS_ACRH_MAX_LEN)
        return CORS_LIST_TOO_LONG;
    while (i < len) {
        size_t start, end;
        while (i < len && is_ows(value[i]))
            i++;
        start = i;
        while (i < len && value[i] != ',')
            i++;
        end = i;
        while (end > start && is_ows(value[end - 1]))
            end--;
        if (i < len)
            i++; /* the comma */
        if (++elements > CORS_ACRH_MAX_NAMES) {
            *bad = value + start;
            *bad_len = end - start;
            return CORS_LIST_TOO_MANY;
        }
        if (end == start)
            continue; /* empty list element: allowed by the list syntax */
        *bad = value + start;
        *bad_len = end - start;
        for (size_t k = start; k < end; k++)
            if (!cors_is_tchar((unsigned char)value[k]))
                return CORS_LIST_BAD_TOKEN;
        if (end - start > CORS_TOKEN_MAX_LEN)
            return CORS_LIST_BAD_TOKEN;
        if (!cors_token_list_has(allowed, value + start, end - start) &&
            !(allowed->wildcard && !is_authorization(value + start, end - start)))
            return CORS_LIST_NOT_ALLOWED;
    }
    *bad = NULL;
    *bad_len = 0;
    return CORS_LIST_OK;
}

int cors_is_method_token(const char *value, size_t len)
{
    if (len == 0 || len > CORS_TOKEN_MAX_LEN)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (!cors_is_tchar((unsigned char)value[i]))
            return 0;
    return 1;
}
