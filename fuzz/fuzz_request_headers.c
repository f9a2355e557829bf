/*
 * libFuzzer target: cors_request_headers_check, the bounded parser of
 * Access-Control-Request-Headers, on arbitrary bytes (not NUL-terminated),
 * against a case-insensitive list and against "*". Its answer is compared
 * with a naive re-implementation: an accepted value names only allowed
 * tokens, a refused element points inside the value and is what the status
 * says.
 */
#include <stdint.h>
#include <strings.h>

#include "fuzz_common.h"

static const cors_token_list *named_list, *wildcard_list;

static void init_lists(void)
{
    cors_token_list *list;
    if (named_list != NULL)
        return;
    fuzz_init_apr();
    if (cors_token_list_parse(fuzz_root_pool,
                              "Content-Type Authorization X-CSRF-Token Accept-Encoding "
                              "If-Modified-Since X-Requested-With",
                              1, &list) != NULL)
        abort();
    named_list = list;
    if (cors_token_list_parse(fuzz_root_pool, "*", 1, &list) != NULL)
        abort();
    wildcard_list = list;
}

static int is_ows(char c)
{
    return c == ' ' || c == '\t';
}

static int all_tchar(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!cors_is_tchar((unsigned char)s[i]))
            return 0;
    return len > 0;
}

static int in_named_list(const char *s, size_t len)
{
    static const char *const names[] = {"content-type",    "authorization",     "x-csrf-token",
                                        "accept-encoding", "if-modified-since", "x-requested-with"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strlen(names[i]) == len && strncasecmp(names[i], s, len) == 0)
            return 1;
    return 0;
}

/* Calls fn on each trimmed, non-empty element; stops and returns 0 when fn does. */
static int each_element(const char *value, size_t size, int (*fn)(const char *, size_t, int),
                        int wildcard)
{
    size_t start = 0;
    while (start <= size) {
        size_t end = start, a, b;
        while (end < size && value[end] != ',')
            end++;
        a = start;
        b = end;
        while (a < b && is_ows(value[a]))
            a++;
        while (b > a && is_ows(value[b - 1]))
            b--;
        if (b > a && !fn(value + a, b - a, wildcard))
            return 0;
        start = end + 1;
    }
    return 1;
}

static int element_acceptable(const char *s, size_t len, int wildcard)
{
    if (!all_tchar(s, len))
        return 0;
    if (wildcard)
        return !(len == 13 && strncasecmp(s, "authorization", 13) == 0);
    return in_named_list(s, len);
}

static void check_one(const cors_token_list *list, int wildcard, const char *value, size_t size)
{
    const char *bad = NULL;
    size_t bad_len = 0;
    cors_list_status status = cors_request_headers_check(list, value, size, &bad, &bad_len);

    FUZZ_CHECK(status >= CORS_LIST_OK && status <= CORS_LIST_NOT_ALLOWED, "status %d", status);
    if (size > CORS_ACRH_MAX_LEN)
        FUZZ_CHECK(status == CORS_LIST_TOO_LONG, "%zu bytes gave %d", size, status);
    if (status == CORS_LIST_OK) {
        FUZZ_CHECK(each_element(value, size, element_acceptable, wildcard),
                   "accepted a value naming a refused or malformed element (wildcard %d)",
                   wildcard);
        return;
    }
    if (status == CORS_LIST_TOO_LONG)
        return;
    FUZZ_CHECK(bad != NULL && bad >= value && bad + bad_len <= value + size,
               "bad element outside the value (status %d)", status);
    FUZZ_CHECK(bad_len <= CORS_ACRH_MAX_LEN, "bad_len %zu", bad_len);
    if (status == CORS_LIST_NOT_ALLOWED) {
        FUZZ_CHECK(all_tchar(bad, bad_len), "NOT_ALLOWED for a non-token element");
        FUZZ_CHECK(!element_acceptable(bad, bad_len, wildcard),
                   "NOT_ALLOWED for an allowed element");
    } else if (status == CORS_LIST_BAD_TOKEN) {
        FUZZ_CHECK(!all_tchar(bad, bad_len) || bad_len > CORS_TOKEN_MAX_LEN,
                   "BAD_TOKEN for a token element");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *value = malloc(size ? size : 1);
    if (value == NULL)
        abort();
    memcpy(value, data, size);
    init_lists();
    check_one(named_list, 0, value, size);
    check_one(wildcard_list, 1, value, size);
    free(value);
    return 0;
}
