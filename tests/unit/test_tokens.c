/*
 * Method and header-name lists, and the bounded parser for
 * Access-Control-Request-Headers.
 */
#include <stddef.h>
#include <string.h>

#include <apr_pools.h>
#include <apr_strings.h>
#include <check.h>

#include "check_suites.h"
#include "cors_ascii.h"
#include "cors_tokens.h"
#include "unit_fixture.h"

#define S(lit)     lit, sizeof(lit) - 1
#define N_ELEMS(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* ---- tchar: RFC 9110, every byte ------------------------------------------ */

START_TEST(test_is_tchar)
{
    static const char extra[] = "!#$%&'*+-.^_`|~";
    int c;

    for (c = 0; c < 256; c++) {
        int want = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                   (c != 0 && strchr(extra, c) != NULL);
        ck_assert_msg(!!cors_is_tchar((unsigned char)c) == want, "byte 0x%02x: got %d, want %d", c,
                      cors_is_tchar((unsigned char)c), want);
    }
}
END_TEST

/* The ASCII classes against their definitions, for every byte: no locale,
 * nothing over 0x7f. */
START_TEST(test_ascii_classes)
{
    for (int c = 0; c < 256; c++) {
        int upper = c >= 'A' && c <= 'Z', lower = c >= 'a' && c <= 'z';
        int digit = c >= '0' && c <= '9';
        ck_assert_msg(cors_ascii_is_alpha((unsigned char)c) == (upper || lower), "alpha 0x%02x", c);
        ck_assert_msg(cors_ascii_is_digit((unsigned char)c) == digit, "digit 0x%02x", c);
        ck_assert_msg(cors_ascii_is_alnum((unsigned char)c) == (upper || lower || digit),
                      "alnum 0x%02x", c);
        ck_assert_msg((unsigned char)cors_ascii_lower((char)c) == (upper ? c + 32 : c),
                      "lower 0x%02x", c);
    }
}
END_TEST

/* ---- building lists -------------------------------------------------------- */

typedef struct {
    const char *text;
    int count; /* -1: parse must fail */
    const char *joined;
    const char *names[4];
} list_case;

static const list_case list_cases[] = {
    /* comma and whitespace both separate */
    {"GET, POST PUT", 3, "GET, POST, PUT", {"GET", "POST", "PUT"}},
    {"GE T", 2, "GE, T", {"GE", "T"}},
    {"  GET,,\tPOST ,", 2, "GET, POST", {"GET", "POST"}},
    {"X-CSRF-Token", 1, "X-CSRF-Token", {"X-CSRF-Token"}},
    /* no names at all */
    {"", -1, NULL, {NULL}},
    {" , ,\t", -1, NULL, {NULL}},
    /* not tokens */
    {"GET, PO(ST", -1, NULL, {NULL}},
    {"GET \"POST\"", -1, NULL, {NULL}},
    {"Content-Type; x", -1, NULL, {NULL}},
};

START_TEST(test_token_list_parse)
{
    const list_case *c = &list_cases[_i];
    cors_token_list *list = NULL;
    const char *err = cors_token_list_parse(pool, c->text, 0, &list);
    int i;

    if (c->count < 0) {
        ck_assert_msg(err != NULL && err[0] != '\0', "'%s' accepted", c->text);
        return;
    }
    ck_assert_msg(err == NULL, "'%s': %s", c->text, err);
    ck_assert_ptr_nonnull(list);
    ck_assert_int_eq(list->count, c->count);
    ck_assert_str_eq(list->joined, c->joined);
    ck_assert_int_eq(list->case_insensitive, 0);
    ck_assert_int_eq(list->wildcard, 0);
    for (i = 0; i < c->count; i++) {
        ck_assert_str_eq(list->names[i], c->names[i]);
    }
}
END_TEST

START_TEST(test_token_list_make)
{
    static const char *const names[] = {"GET", "POST"};
    static const char *const bad[] = {"GET", "PO ST"};
    cors_token_list *list = NULL;

    ck_assert_ptr_null(cors_token_list_make(pool, names, 2, 0, &list));
    ck_assert_int_eq(list->count, 2);
    ck_assert_str_eq(list->joined, "GET, POST");
    ck_assert_ptr_nonnull(cors_token_list_make(pool, bad, 2, 0, &list));
    ck_assert_ptr_nonnull(cors_token_list_make(pool, names, 0, 0, &list));
}
END_TEST

/* Methods are case-sensitive; names match over exactly len bytes. */
START_TEST(test_token_list_has_methods)
{
    cors_token_list *m = NULL;

    ck_assert_ptr_null(cors_token_list_parse(pool, "GET, POST, PATCH", 0, &m));
    ck_assert_int_eq(cors_token_list_has(m, S("PATCH")), 1);
    ck_assert_int_eq(cors_token_list_has(m, S("GET")), 1);
    ck_assert_int_eq(cors_token_list_has(m, S("patch")), 0);
    ck_assert_int_eq(cors_token_list_has(m, S("Get")), 0);
    ck_assert_int_eq(cors_token_list_has(m, S("PAT")), 0);
    ck_assert_int_eq(cors_token_list_has(m, S("PATCHX")), 0);
    ck_assert_int_eq(cors_token_list_has(m, S("")), 0);
    ck_assert_int_eq(cors_token_list_has(m, "POSTX", 4), 1);
}
END_TEST

/* Header names are case-insensitive. */
START_TEST(test_token_list_has_headers)
{
    cors_token_list *h = NULL;

    ck_assert_ptr_null(cors_token_list_parse(pool, "Content-Type, Authorization", 1, &h));
    ck_assert_int_eq(h->case_insensitive, 1);
    ck_assert_str_eq(h->joined, "Content-Type, Authorization");
    ck_assert_int_eq(cors_token_list_has(h, S("Content-Type")), 1);
    ck_assert_int_eq(cors_token_list_has(h, S("content-type")), 1);
    ck_assert_int_eq(cors_token_list_has(h, S("CONTENT-TYPE")), 1);
    ck_assert_int_eq(cors_token_list_has(h, S("authorization")), 1);
    ck_assert_int_eq(cors_token_list_has(h, S("content")), 0);
    ck_assert_int_eq(cors_token_list_has(h, S("content-type2")), 0);
    ck_assert_int_eq(cors_token_list_has(h, S("x-custom")), 0);
}
END_TEST

/* "*" is a list of its own kind. */
START_TEST(test_token_list_wildcard)
{
    cors_token_list *h = NULL;
    const char *bad = NULL;
    size_t bad_len = 0;

    ck_assert_ptr_null(cors_token_list_parse(pool, "*", 1, &h));
    ck_assert_int_eq(h->wildcard, 1);
    ck_assert_str_eq(h->joined, "*");
    ck_assert_int_eq(cors_request_headers_check(h, S("x-anything,content-type"), &bad, &bad_len),
                     CORS_LIST_OK);

    ck_assert_ptr_null(cors_token_list_parse(pool, "Content-Type", 1, &h));
    ck_assert_int_eq(h->wildcard, 0);
}
END_TEST

/* ---- header-name prefixes (K8sCorsAllowHeaders Impersonate-Extra-*) ------------ */

START_TEST(test_prefix_matches_any_case)
{
    cors_token_list *h = NULL;
    const char *bad = NULL;
    size_t bad_len = 0;

    ck_assert_ptr_null(
        cors_header_list_parse(pool, "Impersonate-User Impersonate-Extra-* Content-Type", &h));
    ck_assert_int_eq(h->prefix_count, 1);
    ck_assert_int_eq(h->wildcard, 0);
    ck_assert(cors_token_list_has(h, S("impersonate-extra-scopes")));
    ck_assert(cors_token_list_has(h, S("Impersonate-Extra-Scopes")));
    ck_assert(cors_token_list_has(h, S("IMPERSONATE-EXTRA-A")));
    ck_assert(cors_token_list_has(h, S("impersonate-user")));
    /* the `*` stands for at least one character; a shorter name is not covered */
    ck_assert(!cors_token_list_has(h, S("impersonate-extra-")));
    ck_assert(!cors_token_list_has(h, S("impersonate-extra")));
    ck_assert(!cors_token_list_has(h, S("impersonate-group")));
    ck_assert(!cors_token_list_has(h, S("x-impersonate-extra-scopes")));
    /* the longest name a request may carry is still matched, one more is refused */
    {
        char name[CORS_TOKEN_MAX_LEN + 2];
        memset(name, 'a', sizeof(name));
        memcpy(name, "impersonate-extra-", 18);
        ck_assert(cors_token_list_has(h, name, CORS_TOKEN_MAX_LEN));
        ck_assert(!cors_token_list_has(h, name, CORS_TOKEN_MAX_LEN + 1));
    }
    ck_assert_int_eq(
        cors_request_headers_check(h, S("content-type,impersonate-extra-scopes,impersonate-user"),
                                   &bad, &bad_len),
        CORS_LIST_OK);
    ck_assert_int_eq(
        cors_request_headers_check(h, S("impersonate-extra-scopes,authorization"), &bad, &bad_len),
        CORS_LIST_NOT_ALLOWED);
    ck_assert_int_eq(bad_len, 13);
    /* The value to send names the exact entries only: a prefix is not a
     * header name a browser can read. */
    ck_assert_str_eq(h->joined, "Impersonate-User, Impersonate-Extra-*, Content-Type");
    ck_assert_str_eq(cors_token_list_header_value(h), "Impersonate-User, Content-Type");
    ck_assert_ptr_null(cors_header_list_parse(pool, "Impersonate-Extra-*", &h));
    ck_assert_ptr_null(cors_token_list_header_value(h));
}
END_TEST

START_TEST(test_prefix_never_covers_authorization)
{
    cors_token_list *h = NULL;
    /* Even a prefix that would: Authorization is named or not allowed. */
    ck_assert_ptr_null(cors_header_list_parse(pool, "Authorization-*", &h));
    ck_assert(!cors_token_list_has(h, S("authorization")));
    ck_assert(!cors_token_list_prefix_match(h, S("Authorization")));
    ck_assert(cors_token_list_has(h, S("authorization-x")));
    /* A prefix must end with '-': `Auth*` and `A*` are refused. */
    ck_assert_ptr_nonnull(cors_header_list_parse(pool, "Auth*", &h));
    ck_assert_ptr_nonnull(cors_header_list_parse(pool, "A*", &h));
}
END_TEST

START_TEST(test_prefix_bounds_and_star_alone)
{
    cors_token_list *h = NULL;
    char longest[CORS_PREFIX_MAX_LEN + 3];
    const char *error;

    /* `*` alone is the wildcard, not a prefix of nothing. */
    ck_assert_ptr_null(cors_header_list_parse(pool, "*", &h));
    ck_assert_int_eq(h->wildcard, 1);
    ck_assert_int_eq(h->prefix_count, 0);
    ck_assert_ptr_nonnull(cors_prefix_check(pool, "*"));
    /* "-*": one character before the star is too short. */
    ck_assert_ptr_nonnull(cors_header_list_parse(pool, "-*", &h));
    ck_assert_ptr_null(cors_header_list_parse(pool, "X-*", &h));
    /* 64 characters before the star are allowed, 65 are not. */
    memset(longest, 'a', sizeof(longest));
    longest[CORS_PREFIX_MAX_LEN - 1] = '-';
    longest[CORS_PREFIX_MAX_LEN] = '*';
    longest[CORS_PREFIX_MAX_LEN + 1] = '\0';
    ck_assert_ptr_null(cors_header_list_parse(pool, longest, &h));
    memset(longest, 'a', sizeof(longest));
    longest[CORS_PREFIX_MAX_LEN] = '-';
    longest[CORS_PREFIX_MAX_LEN + 1] = '*';
    longest[CORS_PREFIX_MAX_LEN + 2] = '\0';
    error = cors_header_list_parse(pool, longest, &h);
    ck_assert_ptr_nonnull(error);
    ck_assert_ptr_nonnull(strstr(error, "2 to 64"));
    /* Two stars, or a star inside: not a prefix. */
    ck_assert_ptr_nonnull(cors_header_list_parse(pool, "X-**", &h));
    ck_assert_ptr_nonnull(cors_header_list_parse(pool, "X-*-*", &h));
    /* Bounded count. */
    {
        const char *text = "";
        for (int i = 0; i <= CORS_PREFIXES_MAX; i++)
            text = apr_psprintf(pool, "%s P%d-*", text, i);
        ck_assert_ptr_nonnull(cors_header_list_parse(pool, text, &h));
    }
    /* Methods and exposed headers take no prefix. */
    ck_assert_ptr_nonnull(cors_token_list_parse(pool, "X-*", 1, &h));
    ck_assert_ptr_nonnull(cors_token_list_parse(pool, "PA*", 0, &h));
    ck_assert_ptr_null(cors_token_list_parse(pool, "*", 1, &h));
}
END_TEST

/* ---- Access-Control-Request-Headers --------------------------------------- */

typedef struct {
    const char *value;
    cors_list_status want;
    int bad_off; /* NOT_ALLOWED: where *bad must point, or -1 */
    size_t bad_len;
} acrh_case;

static const acrh_case acrh_cases[] = {
    /* what browsers send, and tolerated variations */
    {"content-type,authorization", CORS_LIST_OK, -1, 0},
    {"Content-Type ,  AUTHORIZATION", CORS_LIST_OK, -1, 0},
    {" content-type\t,\tauthorization ", CORS_LIST_OK, -1, 0},
    {"authorization", CORS_LIST_OK, -1, 0},
    /* nothing requested */
    {"", CORS_LIST_OK, -1, 0},
    /* empty elements are skipped */
    {",,,content-type", CORS_LIST_OK, -1, 0},
    {"content-type,,", CORS_LIST_OK, -1, 0},
    /* a name that is not allowed is reported, without surrounding whitespace */
    {"x-custom", CORS_LIST_NOT_ALLOWED, 0, 8},
    {"authorization,x-b", CORS_LIST_NOT_ALLOWED, 14, 3},
    {"authorization,  x-b ", CORS_LIST_NOT_ALLOWED, 16, 3},
    {"x-a,content-type", CORS_LIST_NOT_ALLOWED, 0, 3},
    {"content", CORS_LIST_NOT_ALLOWED, 0, 7},
    /* an element that is not a token */
    {"content type", CORS_LIST_BAD_TOKEN, 0, 0},
    {"a;b", CORS_LIST_BAD_TOKEN, 0, 0},
    {"content-type,\"x\"", CORS_LIST_BAD_TOKEN, 13, 0},
    {"content-type\r\n,x", CORS_LIST_BAD_TOKEN, 0, 0},
};

START_TEST(test_acrh)
{
    const acrh_case *c = &acrh_cases[_i];
    cors_token_list *allowed = NULL;
    const char *bad = NULL;
    size_t bad_len = 0, len = strlen(c->value);
    cors_list_status st;

    ck_assert_ptr_null(cors_token_list_parse(pool, "Content-Type, Authorization", 1, &allowed));
    st = cors_request_headers_check(allowed, c->value, len, &bad, &bad_len);
    ck_assert_msg(st == c->want, "'%s': got %d, want %d", c->value, (int)st, (int)c->want);

    if (c->want == CORS_LIST_NOT_ALLOWED) {
        ck_assert_msg(bad == c->value + c->bad_off, "'%s': bad at offset %td, want %d", c->value,
                      bad ? bad - c->value : (ptrdiff_t)-1, c->bad_off);
        ck_assert_uint_eq(bad_len, c->bad_len);
    } else if (c->want == CORS_LIST_BAD_TOKEN) {
        /* *bad points at the offending element, inside value */
        ck_assert_msg(bad == c->value + c->bad_off, "'%s': bad at offset %td, want %d", c->value,
                      bad ? bad - c->value : (ptrdiff_t)-1, c->bad_off);
        ck_assert_uint_ge(bad_len, 1);
        ck_assert_uint_le((size_t)(bad - c->value) + bad_len, len);
    }
}
END_TEST

/* A value is looked at only over len bytes. */
START_TEST(test_acrh_respects_len)
{
    static const char v[] = "content-type,x-evil";
    cors_token_list *allowed = NULL;
    const char *bad = NULL;
    size_t bad_len = 0;

    ck_assert_ptr_null(cors_token_list_parse(pool, "Content-Type, Authorization", 1, &allowed));
    ck_assert_int_eq(cors_request_headers_check(allowed, v, 12, &bad, &bad_len), CORS_LIST_OK);
    ck_assert_int_eq(cors_request_headers_check(allowed, v, 15, &bad, &bad_len),
                     CORS_LIST_NOT_ALLOWED);
    ck_assert_ptr_eq(bad, v + 13);
    ck_assert_uint_eq(bad_len, 2);
}
END_TEST

/* n copies of elem joined with sep */
static char *repeat(const char *elem, const char *sep, int n)
{
    size_t el = strlen(elem), sl = strlen(sep);
    char *buf = apr_palloc(pool, (size_t)n * (el + sl) + 1);
    char *p = buf;
    int i;

    for (i = 0; i < n; i++) {
        if (i > 0) {
            memcpy(p, sep, sl);
            p += sl;
        }
        memcpy(p, elem, el);
        p += el;
    }
    *p = '\0';
    return buf;
}

static cors_list_status check_value(const char *value, size_t len)
{
    cors_token_list *allowed = NULL;
    const char *bad = NULL;
    size_t bad_len = 0;

    ck_assert_ptr_null(cors_token_list_parse(pool, "Content-Type, Authorization", 1, &allowed));
    return cors_request_headers_check(allowed, value, len, &bad, &bad_len);
}

/* At most CORS_ACRH_MAX_NAMES elements, empty ones included. */
START_TEST(test_acrh_too_many)
{
    char *v64 = repeat("content-type", ",", CORS_ACRH_MAX_NAMES);
    char *v65 = repeat("content-type", ",", CORS_ACRH_MAX_NAMES + 1);
    char *empties = apr_pstrcat(pool, repeat("", ",", CORS_ACRH_MAX_NAMES + 1), "content-type",
                                NULL); /* 64 commas then a name: 65 elements, 64 empty */

    ck_assert_int_eq(check_value(v64, strlen(v64)), CORS_LIST_OK);
    ck_assert_int_eq(check_value(v65, strlen(v65)), CORS_LIST_TOO_MANY);
    ck_assert_int_eq(check_value(empties, strlen(empties)), CORS_LIST_TOO_MANY);
}
END_TEST

/* At most CORS_ACRH_MAX_LEN bytes; longer values are refused before parsing. */
START_TEST(test_acrh_too_long)
{
    char *v = apr_palloc(pool, 8192 + 1);

    /* exactly the limit: one allowed name and whitespace */
    memset(v, ' ', CORS_ACRH_MAX_LEN);
    memcpy(v, "authorization", 13);
    ck_assert_int_eq(check_value(v, CORS_ACRH_MAX_LEN), CORS_LIST_OK);

    /* one byte over */
    memset(v, 'a', CORS_ACRH_MAX_LEN + 1);
    ck_assert_int_eq(check_value(v, CORS_ACRH_MAX_LEN + 1), CORS_LIST_TOO_LONG);
    memset(v, ' ', CORS_ACRH_MAX_LEN + 1);
    memcpy(v, "authorization", 13);
    ck_assert_int_eq(check_value(v, CORS_ACRH_MAX_LEN + 1), CORS_LIST_TOO_LONG);

    /* 8 KiB of commas: too long, not too many */
    memset(v, ',', 8192);
    v[8192] = '\0';
    ck_assert_int_eq(check_value(v, 8192), CORS_LIST_TOO_LONG);
}
END_TEST

/* ---- a single method token -------------------------------------------------- */

typedef struct {
    const char *value;
    size_t len;
    int want;
} method_case;

static const method_case method_cases[] = {
    {S("GET"), 1},         {S("CHICKEN"), 1}, {S("M-SEARCH"), 1}, {S("GET, DELETE"), 0},
    {"GET, DELETE", 3, 1}, {S("GE T"), 0},    {S(""), 0},         {S(" GET"), 0},
    {S("GET\r\n"), 0},     {S("GET\0"), 0},   {S("G(ET"), 0},
};

START_TEST(test_is_method_token)
{
    const method_case *c = &method_cases[_i];

    ck_assert_msg(!!cors_is_method_token(c->value, c->len) == c->want, "'%.*s': want %d",
                  (int)c->len, c->value, c->want);
}
END_TEST

Suite *tokens_suite(void)
{
    Suite *s = suite_create("tokens");
    TCase *tc;

    tc = tcase_create("lists");
    tcase_add_checked_fixture(tc, unit_setup, unit_teardown);
    tcase_add_test(tc, test_is_tchar);
    tcase_add_test(tc, test_ascii_classes);
    tcase_add_loop_test(tc, test_token_list_parse, 0, N_ELEMS(list_cases));
    tcase_add_test(tc, test_token_list_make);
    tcase_add_test(tc, test_token_list_has_methods);
    tcase_add_test(tc, test_token_list_has_headers);
    tcase_add_test(tc, test_token_list_wildcard);
    tcase_add_test(tc, test_prefix_matches_any_case);
    tcase_add_test(tc, test_prefix_never_covers_authorization);
    tcase_add_test(tc, test_prefix_bounds_and_star_alone);
    suite_add_tcase(s, tc);

    tc = tcase_create("request-headers");
    tcase_add_checked_fixture(tc, unit_setup, unit_teardown);
    tcase_add_loop_test(tc, test_acrh, 0, N_ELEMS(acrh_cases));
    tcase_add_test(tc, test_acrh_respects_len);
    tcase_add_test(tc, test_acrh_too_many);
    tcase_add_test(tc, test_acrh_too_long);
    suite_add_tcase(s, tc);

    tc = tcase_create("methods");
    tcase_add_loop_test(tc, test_is_method_token, 0, N_ELEMS(method_cases));
    suite_add_tcase(s, tc);

    return s;
}
