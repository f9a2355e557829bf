/*
 * cors_origin_parse: one serialized origin in, a normalized origin or the
 * precise reason it is not one out.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "check_suites.h"
#include "cors_origin.h"

/* A string literal with its length, so embedded NUL bytes survive. */
#define S(lit) lit, sizeof(lit) - 1

/* Parses value[0..len) from an exactly-sized heap copy without a NUL
 * terminator, so any read past len shows up under ASan or valgrind. */
static cors_origin_status parse_exact(const char *value, size_t len, cors_origin *out)
{
    char *copy = malloc(len ? len : 1);
    cors_origin_status st;

    ck_assert_ptr_nonnull(copy);
    memcpy(copy, value, len);
    memset(out, 0x5a, sizeof(*out));
    st = cors_origin_parse(copy, len, out);
    free(copy);
    return st;
}

/* ---- well-formed origins and their normalized text ----------------------- */

typedef struct {
    const char *value;
    const char *text; /* normalized serialization */
    size_t scheme_len;
    const char *host; /* text[host_off .. host_off + host_len) */
    unsigned port;
} origin_ok_case;

static const origin_ok_case ok_cases[] = {
    /* already canonical */
    {"https://dashboard.example.com", "https://dashboard.example.com", 5, "dashboard.example.com",
     443},
    /* scheme and host are case-insensitive: lower-cased */
    {"HTTPS://Dashboard.Example.COM", "https://dashboard.example.com", 5, "dashboard.example.com",
     443},
    /* default ports are dropped from the text but reported in port */
    {"https://a.example.com:443", "https://a.example.com", 5, "a.example.com", 443},
    {"http://a.example.com:80", "http://a.example.com", 4, "a.example.com", 80},
    {"wss://a.example.com:443", "wss://a.example.com", 3, "a.example.com", 443},
    {"ws://a.example.com", "ws://a.example.com", 2, "a.example.com", 80},
    /* a port that is not the scheme's default is kept */
    {"https://a.example.com:8443", "https://a.example.com:8443", 5, "a.example.com", 8443},
    {"http://a.example.com:443", "http://a.example.com:443", 4, "a.example.com", 443},
    {"https://a.example.com:80", "https://a.example.com:80", 5, "a.example.com", 80},
    {"https://a.example.com:1", "https://a.example.com:1", 5, "a.example.com", 1},
    {"https://a.example.com:65535", "https://a.example.com:65535", 5, "a.example.com", 65535},
    /* IPv6 literals: kept in brackets, normalized to RFC 5952 */
    {"http://[::1]:8080", "http://[::1]:8080", 4, "[::1]", 8080},
    {"http://[0:0:0:0:0:0:0:1]:8080", "http://[::1]:8080", 4, "[::1]", 8080},
    {"http://[2001:DB8::1]", "http://[2001:db8::1]", 4, "[2001:db8::1]", 80},
    {"http://[2001:db8:0:0:1:0:0:1]", "http://[2001:db8::1:0:0:1]", 4, "[2001:db8::1:0:0:1]", 80},
    /* IPv4 */
    {"http://127.0.0.1:8080", "http://127.0.0.1:8080", 4, "127.0.0.1", 8080},
    /* non-special schemes have no default port */
    {"chrome-extension://abcdefgh", "chrome-extension://abcdefgh", 16, "abcdefgh", 0},
    /* IDNA A-labels, underscores and hyphens are fine in host names */
    {"https://xn--bcher-kva.example", "https://xn--bcher-kva.example", 5, "xn--bcher-kva.example",
     443},
    {"https://my_host.example.com", "https://my_host.example.com", 5, "my_host.example.com", 443},
    {"https://my-host.example.com", "https://my-host.example.com", 5, "my-host.example.com", 443},
};

START_TEST(test_origin_ok)
{
    const origin_ok_case *c = &ok_cases[_i];
    cors_origin o;
    cors_origin_status st = parse_exact(c->value, strlen(c->value), &o);

    ck_assert_msg(st == CORS_ORIGIN_OK, "%s: status %d (%s)", c->value, (int)st,
                  cors_origin_status_text(st));
    ck_assert_str_eq(o.text, c->text);
    ck_assert_uint_eq(o.len, strlen(c->text));
    ck_assert_uint_eq(o.scheme_len, c->scheme_len);
    ck_assert_uint_eq(o.host_len, strlen(c->host));
    ck_assert_uint_le(o.host_off + o.host_len, o.len);
    ck_assert_msg(memcmp(o.text + o.host_off, c->host, o.host_len) == 0, "%s: host is '%.*s'",
                  c->value, (int)o.host_len, o.text + o.host_off);
    ck_assert_uint_eq(o.port, c->port);
}
END_TEST

/* Only value[0..len) is looked at: a longer buffer is not read past len. */
START_TEST(test_origin_respects_len)
{
    static const char buf[] = "https://a.example.com/evil";
    cors_origin o;

    ck_assert_int_eq(cors_origin_parse(buf, 21, &o), CORS_ORIGIN_OK);
    ck_assert_str_eq(o.text, "https://a.example.com");
}
END_TEST

/* A long but valid origin (253-byte host, largest port) is accepted. */
START_TEST(test_origin_long_host_ok)
{
    char host[254];
    char value[CORS_ORIGIN_MAX_LEN + 1];
    cors_origin o;
    size_t i;
    int n;

    /* four labels of 63 bytes minus separators: 63+1+63+1+63+1+61 = 253 */
    for (i = 0; i < 253; i++) {
        host[i] = (i % 64 == 63) ? '.' : 'a';
    }
    host[253] = '\0';
    n = snprintf(value, sizeof(value), "https://%s:65535", host);
    ck_assert_int_eq(n, 8 + 253 + 6);
    ck_assert_int_eq(parse_exact(value, (size_t)n, &o), CORS_ORIGIN_OK);
    ck_assert_str_eq(o.text, value);
    ck_assert_uint_eq(o.port, 65535);
}
END_TEST

/* ---- "null", the opaque origin: exact and case-sensitive ----------------- */

START_TEST(test_origin_null)
{
    cors_origin o;

    ck_assert_int_eq(parse_exact(S("null"), &o), CORS_ORIGIN_NULL);
    ck_assert_str_eq(o.text, "null");
}
END_TEST

/* Anything that is neither OK nor NULL, without caring which reason. */
static const char *const not_ok_cases[] = {
    "NULL",
    "Null",
    "nul",
    "null ",
    /* percent-encoding is not allowed in a serialized origin */
    "https://a%2eexample.com",
};

START_TEST(test_origin_not_ok)
{
    const char *v = not_ok_cases[_i];
    cors_origin o;
    cors_origin_status st = parse_exact(v, strlen(v), &o);

    ck_assert_msg(st != CORS_ORIGIN_OK && st != CORS_ORIGIN_NULL, "'%s' accepted as %d (%s)", v,
                  (int)st, cors_origin_status_text(st));
}
END_TEST

/* ---- malformed values, each with its specific reason --------------------- */

typedef struct {
    const char *value;
    size_t len;
    cors_origin_status status;
} origin_bad_case;

static const origin_bad_case bad_cases[] = {
    {S(""), CORS_ORIGIN_EMPTY},

    /* several origins, or a header merged by a proxy */
    {S("https://a.example.com, https://b.example.com"), CORS_ORIGIN_LIST},
    {S("https://a.example.com https://evil.com"), CORS_ORIGIN_LIST},
    {S("https://a.example.com,https://evil.com"), CORS_ORIGIN_LIST},

    /* bytes that never appear in a serialized origin */
    {S("https://a\0.example.com"), CORS_ORIGIN_BAD_BYTE},
    {S("https://a.example.com\0"), CORS_ORIGIN_BAD_BYTE},
    {S("https://a.exa\rmple.com"), CORS_ORIGIN_BAD_BYTE},
    {S("https://a.example.com\r"), CORS_ORIGIN_BAD_BYTE},
    {S("https://a.exa\nmple.com"), CORS_ORIGIN_BAD_BYTE},
    {S("https://a.exa\tmple.com"), CORS_ORIGIN_BAD_BYTE},
    {S("https://a.exa\x7fmple.com"), CORS_ORIGIN_BAD_BYTE},
    {S("https://\xc3\xa4pp.example.com"), CORS_ORIGIN_BAD_BYTE},
    {S("https://a.example.com\xff"), CORS_ORIGIN_BAD_BYTE},
    {S("https://a\"b.example.com"), CORS_ORIGIN_BAD_BYTE},
    {S("https://a\\b.example.com"), CORS_ORIGIN_BAD_BYTE},
    {S("https://a<b.example.com"), CORS_ORIGIN_BAD_BYTE},

    /* anything after host[:port] */
    {S("https://a.example.com/"), CORS_ORIGIN_PATH},
    {S("https://a.example.com/path"), CORS_ORIGIN_PATH},
    {S("https://a.example.com?q"), CORS_ORIGIN_PATH},
    {S("https://a.example.com#f"), CORS_ORIGIN_PATH},
    {S("https://a.example.com:8443/"), CORS_ORIGIN_PATH},

    /* credentials, or a host hidden behind '@' */
    {S("https://user@a.example.com"), CORS_ORIGIN_USERINFO},
    {S("https://a.example.com@evil.com"), CORS_ORIGIN_USERINFO},

    /* ports: empty, zero, leading zero, out of range, not decimal */
    {S("https://a.example.com:"), CORS_ORIGIN_BAD_PORT},
    {S("https://a.example.com:0"), CORS_ORIGIN_BAD_PORT},
    {S("https://a.example.com:0443"), CORS_ORIGIN_BAD_PORT},
    {S("https://a.example.com:65536"), CORS_ORIGIN_BAD_PORT},
    {S("https://a.example.com:99999"), CORS_ORIGIN_BAD_PORT},
    {S("https://a.example.com:4294967739"), CORS_ORIGIN_BAD_PORT}, /* 443 + 2^32 */
    {S("https://a.example.com:44a"), CORS_ORIGIN_BAD_PORT},

    /* no scheme, or not followed by "://" */
    {S("dashboard.example.com"), CORS_ORIGIN_BAD_SCHEME},
    {S("://a.example.com"), CORS_ORIGIN_BAD_SCHEME},
    {S("1http://a.b"), CORS_ORIGIN_BAD_SCHEME},
    {S("https:/a.example.com"), CORS_ORIGIN_BAD_SCHEME},
    {S("https:a.example.com"), CORS_ORIGIN_BAD_SCHEME},

    /* empty labels (a trailing dot is an empty last label), bad IPv6 */
    {S("https://"), CORS_ORIGIN_BAD_HOST},
    {S("https://.example.com"), CORS_ORIGIN_BAD_HOST},
    {S("https://a..example.com"), CORS_ORIGIN_BAD_HOST},
    {S("https://a.example.com."), CORS_ORIGIN_BAD_HOST},
    {S("https://:443"), CORS_ORIGIN_BAD_HOST},
    {S("http://[::1"), CORS_ORIGIN_BAD_HOST},
    {S("http://[zz::1]"), CORS_ORIGIN_BAD_HOST},
    {S("http://[::1]x"), CORS_ORIGIN_BAD_HOST},
    {S("http://[]"), CORS_ORIGIN_BAD_HOST},
};

START_TEST(test_origin_bad)
{
    const origin_bad_case *c = &bad_cases[_i];
    cors_origin o;
    cors_origin_status st = parse_exact(c->value, c->len, &o);

    ck_assert_msg(st == c->status, "case %d '%s': got %d (%s), want %d (%s)", _i, c->value, (int)st,
                  cors_origin_status_text(st), (int)c->status, cors_origin_status_text(c->status));
}
END_TEST

/* ---- length bound: checked before anything else -------------------------- */

START_TEST(test_origin_too_long)
{
    char *v = malloc(CORS_ORIGIN_MAX_LEN + 1);
    cors_origin o;
    size_t i;

    ck_assert_ptr_nonnull(v);
    /* "https://" then short labels, all valid characters */
    memcpy(v, "https://", 8);
    for (i = 8; i < CORS_ORIGIN_MAX_LEN + 1; i++) {
        v[i] = (i % 10 == 9) ? '.' : 'a';
    }
    v[CORS_ORIGIN_MAX_LEN] = 'a'; /* do not end with a dot */
    ck_assert_int_eq(cors_origin_parse(v, CORS_ORIGIN_MAX_LEN + 1, &o), CORS_ORIGIN_TOO_LONG);
    free(v);
}
END_TEST

START_TEST(test_origin_8k)
{
    const size_t len = 8192;
    char *v = malloc(len);
    cors_origin o;

    ck_assert_ptr_nonnull(v);
    memset(v, 'a', len);
    memcpy(v, "https://", 8);
    ck_assert_int_eq(cors_origin_parse(v, len, &o), CORS_ORIGIN_TOO_LONG);
    free(v);
}
END_TEST

/* ---- helpers --------------------------------------------------------------- */

START_TEST(test_origin_status_text)
{
    cors_origin_status st;

    for (st = CORS_ORIGIN_OK; st <= CORS_ORIGIN_PATH; st++) {
        const char *t = cors_origin_status_text(st);
        ck_assert_msg(t != NULL && t[0] != '\0', "no text for status %d", (int)st);
    }
}
END_TEST

typedef struct {
    const char *scheme;
    size_t len;
    unsigned port;
} default_port_case;

static const default_port_case port_cases[] = {
    {S("http"), 80},
    {S("https"), 443},
    {S("ws"), 80},
    {S("wss"), 443},
    {S("ftp"), 0},
    {S("chrome-extension"), 0},
    /* the length is what counts, not a terminator */
    {"https", 4, 80},
    {"wss", 2, 80},
    {"httpx", 4, 80},
};

START_TEST(test_scheme_default_port)
{
    const default_port_case *c = &port_cases[_i];

    ck_assert_msg(cors_scheme_default_port(c->scheme, c->len) == c->port, "%.*s: got %u, want %u",
                  (int)c->len, c->scheme, cors_scheme_default_port(c->scheme, c->len), c->port);
}
END_TEST

#define N_ELEMS(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* An IPv6 literal whose canonical form is longer than what was sent
 * (::ffff:0:0 becomes ::ffff:0.0.0.0) near the length cap: refused as too
 * long, never written past the buffer (found by the origin fuzzer). */
START_TEST(test_origin_ipv6_expansion_at_cap)
{
    char value[CORS_ORIGIN_MAX_LEN + 1];
    cors_origin o;
    const char *tail = "://[::ffff:0:0]:1234";
    size_t scheme = CORS_ORIGIN_MAX_LEN - strlen(tail);

    memset(value, 'a', scheme);
    memcpy(value + scheme, tail, strlen(tail));
    ck_assert_int_eq(cors_origin_parse(value, CORS_ORIGIN_MAX_LEN, &o), CORS_ORIGIN_TOO_LONG);
    /* Without the port, the expanded address still fits: 299 bytes. */
    ck_assert_int_eq(cors_origin_parse(value, CORS_ORIGIN_MAX_LEN - 5, &o), CORS_ORIGIN_OK);
    ck_assert_uint_eq(o.len, CORS_ORIGIN_MAX_LEN - 1);
    ck_assert_int_eq(cors_origin_parse("http://[::ffff:0:0]:1234", 24, &o), CORS_ORIGIN_OK);
    ck_assert_str_eq(o.text, "http://[::ffff:0.0.0.0]:1234");
}
END_TEST

Suite *origin_suite(void)
{
    Suite *s = suite_create("origin");
    TCase *tc;

    tc = tcase_create("well-formed");
    tcase_add_loop_test(tc, test_origin_ok, 0, N_ELEMS(ok_cases));
    tcase_add_test(tc, test_origin_respects_len);
    tcase_add_test(tc, test_origin_long_host_ok);
    suite_add_tcase(s, tc);

    tc = tcase_create("null");
    tcase_add_test(tc, test_origin_null);
    tcase_add_loop_test(tc, test_origin_not_ok, 0, N_ELEMS(not_ok_cases));
    suite_add_tcase(s, tc);

    tc = tcase_create("malformed");
    tcase_add_loop_test(tc, test_origin_bad, 0, N_ELEMS(bad_cases));
    tcase_add_test(tc, test_origin_too_long);
    tcase_add_test(tc, test_origin_8k);
    tcase_add_test(tc, test_origin_ipv6_expansion_at_cap);
    suite_add_tcase(s, tc);

    tc = tcase_create("helpers");
    tcase_add_test(tc, test_origin_status_text);
    tcase_add_loop_test(tc, test_scheme_default_port, 0, N_ELEMS(port_cases));
    suite_add_tcase(s, tc);

    return s;
}
