/*
 * Redaction: a linear scan for the prefix; the token is what follows it up
 * to the first byte outside base64url's alphabet (and '=' padding), which
 * ends a subprotocol in a comma-separated list.
 */
#include <string.h>
#include <strings.h>

#include "cors_secret.h"

#define PREFIX_LEN (sizeof(CORS_BEARER_PROTOCOL_PREFIX) - 1)

static int is_token_byte(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '=' || c == '+' || c == '/';
}

static const char *find_prefix(const char *text, size_t len)
{
    for (size_t i = 0; i + PREFIX_LEN <= len; i++)
        if ((text[i] == 'b' || text[i] == 'B') &&
            strncasecmp(text + i, CORS_BEARER_PROTOCOL_PREFIX, PREFIX_LEN) == 0)
            return text + i;
    return NULL;
}

const char *cors_redact(apr_pool_t *pool, const char *text, size_t len, size_t *out_len)
{
    const char *hit = find_prefix(text, len), *p = text, *end = text + len;
    char *out, *o;

    if (hit == NULL) {
        if (out_len != NULL)
            *out_len = len;
        return text;
    }
    /* Each hit shrinks to at most the prefix and the marker. */
    out = o = apr_palloc(pool, len + sizeof(CORS_REDACTED) * (len / PREFIX_LEN + 1) + 1);
    while (hit != NULL) {
        const char *token = hit + PREFIX_LEN;
        memcpy(o, p, (size_t)(token - p));
        o += token - p;
        while (token < end && is_token_byte(*token))
            token++;
        memcpy(o, CORS_REDACTED, sizeof(CORS_REDACTED) - 1);
        o += sizeof(CORS_REDACTED) - 1;
        p = token;
        hit = find_prefix(p, (size_t)(end - p));
    }
    memcpy(o, p, (size_t)(end - p));
    o += end - p;
    *o = '\0';
    if (out_len != NULL)
        *out_len = (size_t)(o - out);
    return out;
}
