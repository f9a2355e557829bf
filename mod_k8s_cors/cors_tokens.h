/*
 * Method and header-name lists: the configured sets, and the bounded parser
 * for Access-Control-Request-Headers.
 *
 * Methods are case-sensitive (Fetch only upper-cases DELETE, GET, HEAD,
 * OPTIONS, POST and PUT; `patch` is not `PATCH`). Header names are compared
 * case-insensitively.
 */
#ifndef CORS_TOKENS_H
#define CORS_TOKENS_H

#include <stddef.h>
#include <apr_pools.h>
#include <apr_tables.h>

#include <apr_hash.h>

/* Bounds for Access-Control-Request-Headers. Browsers send the CORS-unsafe
 * names only, lower-cased, sorted and comma-joined; a real request carries a
 * handful. Anything past these bounds is refused without further work. */
#define CORS_ACRH_MAX_LEN   2048
#define CORS_ACRH_MAX_NAMES 64
#define CORS_TOKEN_MAX_LEN  128

typedef struct {
    const char *const *names; /* as configured */
    int count;
    apr_hash_t *lookup; /* key: name, lower-cased when case-insensitive; NULL: scan names */
    const char *joined; /* "A, B, C": the header value to send */
    int case_insensitive;
    int wildcard; /* the list is "*" */
} cors_token_list;

/* 1 if c may appear in an HTTP token (RFC 9110 tchar). */
int cors_is_tchar(unsigned char c);

/* Builds a list from a whitespace- or comma-separated string. Returns NULL on
 * success or an error message (empty list, a name that is not a token). */
const char *cors_token_list_parse(apr_pool_t *pool, const char *text, int case_insensitive,
                                  cors_token_list **out);

/* Builds a list from names[0..n). Same errors as cors_token_list_parse. */
const char *cors_token_list_make(apr_pool_t *pool, const char *const *names, int n,
                                 int case_insensitive, cors_token_list **out);

/* 1 if name[0..len) is in the list. */
int cors_token_list_has(const cors_token_list *list, const char *name, size_t len);

typedef enum {
    CORS_LIST_OK = 0,
    CORS_LIST_TOO_LONG,  /* over CORS_ACRH_MAX_LEN bytes */
    CORS_LIST_TOO_MANY,  /* over CORS_ACRH_MAX_NAMES elements, empty ones included */
    CORS_LIST_BAD_TOKEN, /* an element that is not a token */
    CORS_LIST_NOT_ALLOWED,
} cors_list_status;

/* Checks every name of an Access-Control-Request-Headers value against
 * allowed. Elements are separated by commas with optional whitespace; empty
 * elements are skipped but counted (a trailing one is not). A "*" list
 * allows any name except Authorization, which Fetch requires by name.
 * On a failure other than TOO_LONG,
 * *bad and *bad_len point at the offending element inside value. */
cors_list_status cors_request_headers_check(const cors_token_list *allowed, const char *value,
                                            size_t len, const char **bad, size_t *bad_len);

/* 1 if value[0..len) is a single method token. */
int cors_is_method_token(const char *value, size_t len);

#endif
