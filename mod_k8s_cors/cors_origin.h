/*
 * Origin parsing: turns an Origin header value into a serialized origin
 * (scheme "://" host [":" port]) or says exactly why it is not one.
 *
 * Browsers only ever send canonical serializations (Fetch, "origin-or-null"),
 * so anything else (paths, userinfo, lists, whitespace, control bytes) comes
 * from a non-browser client or an attacker and is never matched.
 */
#ifndef CORS_ORIGIN_H
#define CORS_ORIGIN_H

#include <stddef.h>

/* Longest Origin value we look at: scheme, "://", a 253-byte DNS name and
 * ":65535" fit with room to spare. Anything longer is refused before any
 * matching runs, which also bounds the cost of every regex match. */
#define CORS_ORIGIN_MAX_LEN 300

/* New values go last, with their name in status_texts in cors_origin.c. */
typedef enum {
    CORS_ORIGIN_OK = 0,
    CORS_ORIGIN_NULL,       /* the literal "null" (an opaque origin) */
    CORS_ORIGIN_EMPTY,      /* empty value */
    CORS_ORIGIN_TOO_LONG,   /* over CORS_ORIGIN_MAX_LEN */
    CORS_ORIGIN_BAD_BYTE,   /* control byte, non-ASCII, quote, backslash ... */
    CORS_ORIGIN_LIST,       /* comma or whitespace: several origins, or a merged header */
    CORS_ORIGIN_BAD_SCHEME, /* missing or malformed scheme, or no "://" */
    CORS_ORIGIN_USERINFO,   /* "user@host" */
    CORS_ORIGIN_BAD_HOST,   /* empty label, bad character, malformed IPv6 literal */
    CORS_ORIGIN_BAD_PORT,   /* empty, leading zero, out of range */
    CORS_ORIGIN_PATH,       /* path, trailing slash, query or fragment */
} cors_origin_status;

typedef struct {
    /* Normalized serialization: scheme and host lower-cased, IPv6 literal in
     * RFC 5952 form, default port (80 for http/ws, 443 for https/wss) omitted. */
    char text[CORS_ORIGIN_MAX_LEN + 1];
    size_t len;
    size_t scheme_len; /* text[0 .. scheme_len) is the scheme */
    size_t host_off;   /* host (with brackets for IPv6) */
    size_t host_len;
    unsigned port; /* explicit or default port; 0 when the scheme has none */
} cors_origin;

/* Parses value[0..len). On CORS_ORIGIN_OK, *out holds the normalized origin.
 * On CORS_ORIGIN_NULL, out->text is "null". Never reads past len. */
cors_origin_status cors_origin_parse(const char *value, size_t len, cors_origin *out);

/* Short, stable description of a status, for logs and explanations. */
const char *cors_origin_status_text(cors_origin_status status);

/* Default port for a lower-case scheme, or 0 when it has none. */
unsigned cors_scheme_default_port(const char *scheme, size_t len);

#endif
