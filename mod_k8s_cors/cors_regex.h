/*
 * Origin patterns as PCRE2 regular expressions that must match the whole
 * normalized origin, whatever anchors the operator wrote (or forgot): they
 * are compiled PCRE2_ANCHORED | PCRE2_ENDANCHORED, so `example\.com` cannot
 * match `https://example.com.evil.com` and a top-level `a|b` is anchored on
 * both alternatives. JIT-compiled when available; every match runs under a
 * match limit and a depth limit, and hitting one is reported, never treated
 * as a match.
 */
#ifndef CORS_REGEX_H
#define CORS_REGEX_H

#include <stddef.h>
#include <apr_pools.h>

/* Limits for one match. Origins are at most CORS_ORIGIN_MAX_LEN bytes, so a
 * sane pattern needs a few hundred steps; these only stop catastrophic
 * backtracking in a bad pattern. */
#define CORS_REGEX_MATCH_LIMIT    100000
#define CORS_REGEX_DEPTH_LIMIT    10000
#define CORS_REGEX_HEAP_LIMIT_KIB 1024

typedef struct cors_regex cors_regex;

typedef enum {
    CORS_REGEX_MATCH = 0,
    CORS_REGEX_NOMATCH,
    CORS_REGEX_LIMIT, /* match, depth or heap limit hit */
    CORS_REGEX_ERROR, /* any other PCRE2 error (out of memory, ...) */
} cors_regex_result;

/* Compiles pattern into *out (freed with pool). Returns NULL on success or a
 * message naming the error and its offset in the pattern. */
const char *cors_regex_compile(apr_pool_t *pool, const char *pattern, cors_regex **out);

/* Compiles pattern for an unanchored search, with Go regexp's `$` (end of
 * text only): what kube-apiserver does with --cors-allowed-origins. */
const char *cors_regex_compile_search(apr_pool_t *pool, const char *pattern, cors_regex **out);

cors_regex_result cors_regex_match(const cors_regex *re, const char *subject, size_t len);

#endif
