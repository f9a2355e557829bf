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

/* Header-name prefixes in K8sCorsAllowHeaders (`Impersonate-Extra-*`): the
 * part before `*` is 2 to CORS_PREFIX_MAX_LEN characters and ends with '-',
 * so a prefix names a family of headers, never a word's beginning (`Auth*`
 * would cover Authorization). At most CORS_PREFIXES_MAX per list. */
#define CORS_PREFIX_MAX_LEN 64
#define CORS_PREFIXES_MAX   16

typedef struct {
    const char *const *names; /* as configured */
    int count;
    apr_hash_t *lookup; /* key: name, lower-cased when case-insensitive; NULL: scan names */
    const char *joined; /* "A, B, C": the header value to send */
    int case_insensitive;
    int wildcard; /* the list is "*" */
    /* Prefix entries (header lists only): lower-cased, without the `*`. */
    const char *const *prefixes;
    int prefix_count;
    /* joined without the prefix entries (a header value cannot carry a
     * prefix); NULL when the list has none: use joined. */
    const char *exact_joined;
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

/* A request-header list (K8sCorsAllowHeaders): case-insensitive, and names
 * ending in `*` are prefixes (see CORS_PREFIX_MAX_LEN). The other lists
 * refuse such names. */
const char *cors_header_list_parse(apr_pool_t *pool, const char *text, cors_token_list **out);
const char *cors_header_list_make(apr_pool_t *pool, const char *const *names, int n,
                                  cors_token_list **out);

/* Checks one prefix entry as written ("Impersonate-Extra-*"). Returns NULL
 * or an error message. */
const char *cors_prefix_check(apr_pool_t *pool, const char *name);

/* 1 if name[0..len) (any case) is covered by one of the list's prefixes.
 * Authorization never is. */
int cors_token_list_prefix_match(const cors_token_list *list, const char *name, size_t len);

/* The list as a header value: the exact names, without prefix entries;
 * NULL when there are none. */
const char *cors_token_list_header_value(const cors_token_list *list);

/* 1 if name[0..len) is in the list, by name or (header lists) by prefix. */
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
