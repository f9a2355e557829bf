/*
 * Bounded parsing of what a CGI request brings: %-decoding, query strings
 * and form bodies, CONTENT_LENGTH and the body, and the names (never the
 * values) of the request headers.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <apr_strings.h>

#include "console.h"

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

const char *console_percent_decode(apr_pool_t *pool, const char *text, size_t len, int plus_space,
                                   char **out, size_t *out_len)
{
    char *decoded = apr_palloc(pool, len + 1), *d = decoded;

    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (c == '%') {
            int high, low;
            if (len - i < 3)
                return "'%' not followed by two hex digits";
            high = hex_value(text[i + 1]);
            low = hex_value(text[i + 2]);
            if (high < 0 || low < 0)
                return "'%' not followed by two hex digits";
            c = (char)(high * 16 + low);
            if (c == '\0')
                return "a %-escape decodes to NUL";
            i += 2;
        } else if (c == '+' && plus_space) {
            c = ' ';
        } else if (c == '\0') {
            return "a NUL byte";
        }
        *d++ = c;
    }
    *d = '\0';
    *out = decoded;
    *out_len = (size_t)(d - decoded);
    return NULL;
}

static int valid_param_name(const char *name, size_t len)
{
    if (len == 0 || len > CONSOLE_PARAM_NAME_MAX)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (!((name[i] >= 'a' && name[i] <= 'z') || name[i] == '_'))
            return 0;
    return 1;
}

int console_form_parse(apr_pool_t *pool, const char *text, size_t len, size_t max,
                       apr_table_t *params, const char **error)
{
    size_t start = 0;
    int count = 0;

    if (len > max) {
        *error = apr_psprintf(pool, "over %lu bytes", (unsigned long)max);
        return 414;
    }
    if (memchr(text, '\0', len) != NULL) {
        *error = "a NUL byte";
        return 400;
    }
    while (start < len) {
        const char *pair = text + start, *eq;
        size_t pair_len = strcspn(pair, "&");
        char *name, *value;
        size_t name_len, value_len;

        if (pair_len > len - start)
            pair_len = len - start;
        start += pair_len + 1;
        if (pair_len == 0)
            continue; /* "a=1&&b=2", a trailing '&' */
        if (++count > CONSOLE_PARAMS_MAX) {
            *error = apr_psprintf(pool, "more than %d parameters", CONSOLE_PARAMS_MAX);
            return 400;
        }
        eq = memchr(pair, '=', pair_len);
        *error = console_percent_decode(pool, pair, eq ? (size_t)(eq - pair) : pair_len, 1, &name,
                                        &name_len);
        if (*error != NULL)
            return 400;
        if (!valid_param_name(name, name_len)) {
            *error = "a parameter name that is not [a-z_]{1,32}";
            return 400;
        }
        if (eq != NULL) {
            *error = console_percent_decode(pool, eq + 1, pair_len - (size_t)(eq + 1 - pair), 1,
                                            &value, &value_len);
            if (*error != NULL) {
                *error = apr_pstrcat(pool, "parameter ", name, ": ", *error, NULL);
                return 400;
            }
        } else {
            value = "";
        }
        if (apr_table_get(params, name) != NULL) {
            *error = apr_pstrcat(pool, "parameter ", name, " given twice", NULL);
            return 400;
        }
        apr_table_setn(params, name, value);
    }
    return 0;
}

int console_content_length(const char *value, size_t limit, size_t *length, const char **error)
{
    size_t n = 0;

    *length = 0;
    if (value == NULL || value[0] == '\0')
        return 0;
    if (strlen(value) > 19) {
        *error = "CONTENT_LENGTH too large";
        return 413;
    }
    for (const char *p = value; *p; p++) {
        if (*p < '0' || *p > '9') {
            *error = "CONTENT_LENGTH is not a decimal number";
            return 400;
        }
        n = n * 10 + (size_t)(*p - '0');
    }
    if (n > limit) {
        *error = "the request body is too large";
        return 413;
    }
    *length = n;
    return 0;
}

int console_read_body(apr_pool_t *pool, int fd, size_t length, char **body, const char **error)
{
    char *buffer = apr_palloc(pool, length + 1);
    size_t got = 0;

    while (got < length) {
        ssize_t n = read(fd, buffer + got, length - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            *error = "the request body ended before CONTENT_LENGTH bytes";
            return 400;
        }
        got += (size_t)n;
    }
    buffer[length] = '\0';
    *body = buffer;
    return 0;
}

void console_discard_body(int fd, size_t length, size_t *count)
{
    char buffer[8192];
    size_t got = 0;

    while (got < length) {
        size_t want = length - got < sizeof(buffer) ? length - got : sizeof(buffer);
        ssize_t n = read(fd, buffer, want);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    *count = got;
}

/* The header name an environment entry stands for, or NULL. */
static char *header_name_of(apr_pool_t *pool, const char *entry)
{
    const char *eq = strchr(entry, '=');
    const char *name;
    size_t len;
    char *out;

    if (eq == NULL)
        return NULL;
    if (strncmp(entry, "HTTP_", 5) == 0) {
        name = entry + 5;
        len = (size_t)(eq - name);
    } else if (strncmp(entry, "CONTENT_TYPE=", 13) == 0 ||
               strncmp(entry, "CONTENT_LENGTH=", 15) == 0) {
        if (eq[1] == '\0')
            return NULL; /* httpd sets no such variable without the header */
        name = entry;
        len = (size_t)(eq - entry);
    } else {
        return NULL;
    }
    if (len == 0 || len > CONSOLE_HEADER_NAME_MAX)
        return NULL;
    out = apr_pstrmemdup(pool, name, len);
    for (char *p = out; *p; p++) {
        if (*p == '_')
            *p = '-';
        else if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
        else if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
            return NULL;
    }
    return out;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

apr_array_header_t *console_header_names(apr_pool_t *pool, char *const *envp, int *truncated)
{
    apr_array_header_t *names = apr_array_make(pool, 16, sizeof(const char *));
    apr_array_header_t *unique = apr_array_make(pool, 16, sizeof(const char *));
    int scanned = 0;

    *truncated = 0;
    for (; envp != NULL && *envp != NULL; envp++) {
        char *name;
        /* Bound the work on a hostile environment as well as the output. */
        if (++scanned > 4 * CONSOLE_HEADER_NAMES_MAX + 64) {
            *truncated = 1;
            break;
        }
        name = header_name_of(pool, *envp);
        if (name == NULL)
            continue;
        if (names->nelts >= CONSOLE_HEADER_NAMES_MAX) {
            *truncated = 1;
            break;
        }
        APR_ARRAY_PUSH(names, const char *) = name;
    }
    qsort(names->elts, (size_t)names->nelts, sizeof(const char *), compare_names);
    for (int i = 0; i < names->nelts; i++) {
        const char *name = APR_ARRAY_IDX(names, i, const char *);
        if (unique->nelts == 0 ||
            strcmp(APR_ARRAY_IDX(unique, unique->nelts - 1, const char *), name) != 0)
            APR_ARRAY_PUSH(unique, const char *) = name;
    }
    return unique;
}
