/*
 * Whole-origin PCRE2 patterns.
 *
 * Anchoring is done with compile options, never by wrapping the text in
 * "^(?:...)$": a pattern such as "a)|(b" would escape a textual wrapper.
 * PCRE2_ENDANCHORED given at compile time keeps JIT usable (given at match
 * time it would not). The subject is a validated ASCII origin, so no UTF mode.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <pthread.h>

#include <apr_strings.h>

#include "cors_regex.h"

struct cors_regex {
    pcre2_code *code;
    pcre2_match_context *limits;
};

/* One match-data block per thread, reused for every match: matching then
 * never allocates. Only "did it match" is needed, so one ovector pair. */
static pthread_key_t match_data_key;
static pthread_once_t match_data_once = PTHREAD_ONCE_INIT;

static void free_match_data(void *data)
{
    pcre2_match_data_free(data);
}

static void create_match_data_key(void)
{
    (void)pthread_key_create(&match_data_key, free_match_data);
}

static pcre2_match_data *thread_match_data(void)
{
    pcre2_match_data *data;
    pthread_once(&match_data_once, create_match_data_key);
    data = pthread_getspecific(match_data_key);
    if (data == NULL) {
        data = pcre2_match_data_create(1, NULL);
        if (data != NULL && pthread_setspecific(match_data_key, data) != 0) {
            pcre2_match_data_free(data);
            data = NULL;
        }
    }
    return data;
}

static apr_status_t regex_cleanup(void *arg)
{
    cors_regex *re = arg;
    pcre2_match_context_free(re->limits);
    pcre2_code_free(re->code);
    return APR_SUCCESS;
}

#define COMMON_OPTIONS                                                                             \
    (PCRE2_DOLLAR_ENDONLY | PCRE2_NEVER_UTF | PCRE2_NEVER_UCP | PCRE2_NEVER_BACKSLASH_C)

static const char *compile(apr_pool_t *pool, const char *pattern, uint32_t options,
                           cors_regex **out)
{
    int error;
    PCRE2_SIZE offset;
    PCRE2_UCHAR message[256];
    cors_regex *re;
    pcre2_code *code;

    *out = NULL;
    if (pattern[0] == '\0')
        return "empty regular expression";
    code =
        pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, options, &error, &offset, NULL);
    if (code == NULL) {
        pcre2_get_error_message(error, message, sizeof(message));
        return apr_psprintf(pool, "invalid regular expression \"%s\": %s at offset %lu", pattern,
                            (const char *)message, (unsigned long)offset);
    }
    re = apr_pcalloc(pool, sizeof(*re));
    re->code = code;
    re->limits = pcre2_match_context_create(NULL);
    if (re->limits == NULL) {
        pcre2_code_free(code);
        return "out of memory creating a PCRE2 match context";
    }
    pcre2_set_match_limit(re->limits, CORS_REGEX_MATCH_LIMIT);
    pcre2_set_depth_limit(re->limits, CORS_REGEX_DEPTH_LIMIT);
    pcre2_set_heap_limit(re->limits, CORS_REGEX_HEAP_LIMIT_KIB);
    /* JIT is an optimisation: without it (no JIT support on this CPU, or
     * memory refused) the interpreter gives the same answers. */
    (void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
    apr_pool_cleanup_register(pool, re, regex_cleanup, apr_pool_cleanup_null);
    *out = re;
    return NULL;
}

const char *cors_regex_compile(apr_pool_t *pool, const char *pattern, cors_regex **out)
{
    return compile(pool, pattern, PCRE2_ANCHORED | PCRE2_ENDANCHORED | COMMON_OPTIONS, out);
}

const char *cors_regex_compile_search(apr_pool_t *pool, const char *pattern, cors_regex **out)
{
    return compile(pool, pattern, COMMON_OPTIONS, out);
}

cors_regex_result cors_regex_match(const cors_regex *re, const char *subject, size_t len)
{
    pcre2_match_data *data = thread_match_data();
    int rc;

    if (data == NULL)
        return CORS_REGEX_ERROR;
    rc = pcre2_match(re->code, (PCRE2_SPTR)subject, len, 0, 0, data, re->limits);
    if (rc >= 0)
        return CORS_REGEX_MATCH;
    switch (rc) {
    case PCRE2_ERROR_NOMATCH:
        return CORS_REGEX_NOMATCH;
    case PCRE2_ERROR_MATCHLIMIT:
    case PCRE2_ERROR_DEPTHLIMIT:
    case PCRE2_ERROR_HEAPLIMIT:
    case PCRE2_ERROR_JIT_STACKLIMIT:
        return CORS_REGEX_LIMIT;
    default:
        return CORS_REGEX_ERROR;
    }
}
