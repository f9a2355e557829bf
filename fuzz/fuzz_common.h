/*
 * Shared pieces of the libFuzzer targets: APR start-up, the fixed policy the
 * decision target uses, and small oracles written independently of the core.
 *
 * A failed invariant calls FUZZ_CHECK, which prints the input's problem and
 * aborts, so libFuzzer reports it as a crash and saves the input.
 */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>

#include "cors_core.h"

#define FUZZ_CHECK(condition, ...)                                                                 \
    do {                                                                                           \
        if (!(condition)) {                                                                        \
            fprintf(stderr, "invariant failed at %s:%d: %s: ", __FILE__, __LINE__, #condition);    \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static apr_pool_t *fuzz_root_pool;

static void fuzz_init_apr(void)
{
    if (fuzz_root_pool != NULL)
        return;
    if (apr_initialize() != APR_SUCCESS || apr_pool_create(&fuzz_root_pool, NULL) != APR_SUCCESS) {
        fprintf(stderr, "fuzz: APR start-up failed\n");
        abort();
    }
    /* Registered after LeakSanitizer's own exit check, so it runs first:
     * pools (and their PCRE2 cleanups) are gone when leaks are counted. */
    atexit(apr_terminate);
}

/* A NUL-terminated heap copy of data[0..size): ASan sees any read past it. */
static char *fuzz_strndup(const unsigned char *data, size_t size)
{
    char *copy = malloc(size + 1);
    if (copy == NULL)
        abort();
    memcpy(copy, data, size);
    copy[size] = '\0';
    return copy;
}

/* ---- the fixed policy of the decision target (the product's example) ---- */

#define FUZZ_EXACT_1 "https://app.example.com"
#define FUZZ_EXACT_2 "http://[::1]:8080"

static int fuzz_is_lower_alnum_dash(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

/* Independent oracle: would the policy {exact 1, exact 2, pattern
 * https://[a-z0-9-]+\.dev\.example\.com} allow this normalized origin? */
static int fuzz_oracle_allows(const char *normalized)
{
    static const char prefix[] = "https://", suffix[] = ".dev.example.com";
    size_t len = strlen(normalized), p = sizeof(prefix) - 1, s = sizeof(suffix) - 1;
    if (strcmp(normalized, FUZZ_EXACT_1) == 0 || strcmp(normalized, FUZZ_EXACT_2) == 0)
        return 1;
    if (len <= p + s || memcmp(normalized, prefix, p) != 0 ||
        memcmp(normalized + len - s, suffix, s) != 0)
        return 0;
    for (size_t i = p; i < len - s; i++)
        if (!fuzz_is_lower_alnum_dash(normalized[i]))
            return 0;
    return 1;
}

static cors_policy *fuzz_fixed_policy(void)
{
    static cors_policy *policy;
    const char *error;
    if (policy != NULL)
        return policy;
    fuzz_init_apr();
    policy = cors_policy_make(fuzz_root_pool);
    policy->mode = CORS_MODE_ENFORCE;
    error = cors_policy_add_origin(fuzz_root_pool, policy, FUZZ_EXACT_1, "fuzz:1");
    if (error == NULL)
        error = cors_policy_add_origin(fuzz_root_pool, policy, FUZZ_EXACT_2, "fuzz:1");
    if (error == NULL)
        error = cors_policy_add_pattern(fuzz_root_pool, policy,
                                        "https://[a-z0-9-]+\\.dev\\.example\\.com", "fuzz:2");
    if (error == NULL)
        error = cors_policy_check(fuzz_root_pool, policy);
    if (error != NULL) {
        fprintf(stderr, "fuzz: the fixed policy is refused: %s\n", error);
        abort();
    }
    return policy;
}

#endif
