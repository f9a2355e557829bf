/*
 * Origin parsing. The grammar accepted is the serialized origin of the Fetch
 * standard, relaxed only in ways that name the same origin: upper-case scheme
 * or host, an explicit default port, a non-canonical IPv6 literal. Everything
 * else is refused with a precise status, before any matching happens.
 */
#include <arpa/inet.h>
#include <string.h>

#include "cors_ascii.h"
#include "cors_origin.h"
#include "cors_names.h"

unsigned cors_scheme_default_port(const char *scheme, size_t len)
{
    if ((len == 4 && memcmp(scheme, "http", 4) == 0) || (len == 2 && memcmp(scheme, "ws", 2) == 0))
        return 80;
    if ((len == 5 && memcmp(scheme, "https", 5) == 0) ||
        (len == 3 && memcmp(scheme, "wss", 3) == 0))
        return 443;
    return 0;
}

/* What each byte means to the scans below: one table lookup a byte, where
 * comparing each byte with every separator in turn made the scans most of
 * a parse (they run on every request with Origin). */
enum {
    BAD = 1,      /* outside printable ASCII, or never in an origin */
    LIST = 2,     /* ',' or ' ': more than one origin */
    PATH = 4,     /* '/', '?', '#': a path, query or fragment */
    USERINFO = 8, /* '@' */
};

#define ROW_OF(x) x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x
/* clang-format off */
static const unsigned char byte_class[256] = {
    ROW_OF(BAD), ROW_OF(BAD),                                            /* 0x00 - 0x1f */
    LIST, 0, BAD, PATH, 0, BAD, 0, BAD, 0, 0, 0, 0, LIST, 0, 0, PATH,    /*  !"#$%&'()*+,-./ */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, BAD, 0, BAD, PATH,               /* 0-9 :;<=>? */
    USERINFO, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,               /* @A-O */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, BAD, 0, BAD, 0,                  /* P-Z [\]^_ */
    BAD, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,                    /* `a-o */
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, BAD, BAD, BAD, 0, BAD,              /* p-z {|}~ DEL */
    ROW_OF(BAD), ROW_OF(BAD), ROW_OF(BAD), ROW_OF(BAD),                  /* 0x80 - 0xff */
    ROW_OF(BAD), ROW_OF(BAD), ROW_OF(BAD), ROW_OF(BAD),
};
/* clang-format on */
#undef ROW_OF

/* The classes of value[0..len) or'ed together, or BAD alone as soon as a
 * byte is: anything outside printable ASCII settles the case at once. */
static unsigned classes_of(const char *value, size_t len)
{
    unsigned seen = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned c = byte_class[(unsigned char)value[i]];
        if (c & BAD)
            return BAD;
        seen |= c;
    }
    return seen;
}

/* A DNS name, IPv4 address or other registered name: dot-separated labels of
 * letters, digits, '-' and '_', none empty. */
static cors_origin_status parse_reg_name(const char *host, size_t len, char *out)
{
    size_t label_len = 0;
    if (len == 0)
        return CORS_ORIGIN_BAD_HOST;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)host[i];
        if (c == '.') {
            if (label_len == 0)
                return CORS_ORIGIN_BAD_HOST;
            label_len = 0;
        } else if (cors_ascii_is_alnum(c) || c == '-' || c == '_') {
            label_len++;
            if (label_len > 63)
                return CORS_ORIGIN_BAD_HOST;
        } else if (c == '@') {
            return CORS_ORIGIN_USERINFO;
        } else {
            return CORS_ORIGIN_BAD_HOST;
        }
        out[i] = cors_ascii_lower((char)c);
    }
    return label_len == 0 ? CORS_ORIGIN_BAD_HOST : CORS_ORIGIN_OK;
}

/* "[...]" holding an IPv6 address, rewritten in RFC 5952 form so that every
 * spelling of one address is one origin; *out_len gets the bytes written. */
static cors_origin_status parse_ipv6(const char *host, size_t len, char *out, size_t room,
                                     size_t *out_len)
{
    char literal[INET6_ADDRSTRLEN + 1];
    unsigned char addr[16];
    size_t inner;

    if (len < 3 || host[len - 1] != ']')
        return CORS_ORIGIN_BAD_HOST;
    inner = len - 2;
    if (inner >= sizeof(literal))
        return CORS_ORIGIN_BAD_HOST;
    memcpy(literal, host + 1, inner);
    literal[inner] = '\0';
    if (inet_pton(AF_INET6, literal, addr) != 1)
        return CORS_ORIGIN_BAD_HOST;
    if (inet_ntop(AF_INET6, addr, literal, sizeof(literal)) == NULL)
        return CORS_ORIGIN_BAD_HOST;
    *out_len = strlen(literal) + 2;
    /* The canonical form can be longer than what was sent (::ffff:0:0 is
     * ::ffff:0.0.0.0): the length cap applies to the normalized origin. */
    if (*out_len > room)
        return CORS_ORIGIN_TOO_LONG;
    out[0] = '[';
    memcpy(out + 1, literal, *out_len - 2);
    out[*out_len - 1] = ']';
    return CORS_ORIGIN_OK;
}

static cors_origin_status parse_port(const char *digits, size_t len, unsigned *port)
{
    unsigned value = 0;
    /* Canonical ports have no leading zero; "0" itself is not a usable port. */
    if (len == 0 || len > 5 || digits[0] == '0')
        return CORS_ORIGIN_BAD_PORT;
    for (size_t i = 0; i < len; i++) {
        if (!cors_ascii_is_digit((unsigned char)digits[i]))
            return CORS_ORIGIN_BAD_PORT;
        value = value * 10 + (unsigned)(digits[i] - '0');
    }
    if (value > 65535)
        return CORS_ORIGIN_BAD_PORT;
    *port = value;
    return CORS_ORIGIN_OK;
}

static cors_origin_status append_port(cors_origin *out, unsigned port)
{
    char digits[6];
    size_t n = 0;
    do {
        digits[n++] = (char)('0' + port % 10);
        port /= 10;
    } while (port);
    if (out->len + 1 + n > CORS_ORIGIN_MAX_LEN)
        return CORS_ORIGIN_TOO_LONG;
    out->text[out->len++] = ':';
    while (n)
        out->text[out->len++] = digits[--n];
    return CORS_ORIGIN_OK;
}

cors_origin_status cors_origin_parse(const char *value, size_t len, cors_origin *out)
{
    cors_origin_status status;
    unsigned classes;
    size_t i, host_start, host_end, authority_end;
    unsigned explicit_port = 0;
    int has_port = 0;

    memset(out, 0, sizeof(*out));
    if (len == 0)
        return CORS_ORIGIN_EMPTY;
    if (len > CORS_ORIGIN_MAX_LEN)
        return CORS_ORIGIN_TOO_LONG;
    classes = classes_of(value, len);
    if (classes & BAD)
        return CORS_ORIGIN_BAD_BYTE;
    if (classes & LIST)
        return CORS_ORIGIN_LIST;
    if (len == 4 && memcmp(value, "null", 4) == 0) {
        memcpy(out->text, "null", 5);
        out->len = 4;
        return CORS_ORIGIN_NULL;
    }

    /* scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) */
    if (!cors_ascii_is_alpha((unsigned char)value[0]))
        return CORS_ORIGIN_BAD_SCHEME;
    for (i = 1; i < len && value[i] != ':'; i++) {
        unsigned char c = (unsigned char)value[i];
        if (!cors_ascii_is_alnum(c) && c != '+' && c != '-' && c != '.')
            return CORS_ORIGIN_BAD_SCHEME;
    }
    if (i + 3 > len || memcmp(value + i, "://", 3) != 0)
        return CORS_ORIGIN_BAD_SCHEME;
    for (size_t k = 0; k < i; k++)
        out->text[k] = cors_ascii_lower(value[k]);
    out->scheme_len = i;
    memcpy(out->text + i, "://", 3);
    out->len = i + 3;

    /* The authority runs to the end: a '/', '?' or '#' means a path, query
     * or fragment, which no serialized origin carries. */
    host_start = i + 3;
    if (host_start == len)
        return CORS_ORIGIN_BAD_HOST;
    authority_end = len;
    classes = classes_of(value + host_start, len - host_start);
    if (classes & PATH)
        return CORS_ORIGIN_PATH;
    if (classes & USERINFO)
        return CORS_ORIGIN_USERINFO;

    if (value[host_start] == '[') {
        const char *close = memchr(value + host_start, ']', authority_end - host_start);
        if (close == NULL)
            return CORS_ORIGIN_BAD_HOST;
        host_end = (size_t)(close - value) + 1;
        if (host_end < authority_end && value[host_end] != ':')
            return CORS_ORIGIN_BAD_HOST;
        status = parse_ipv6(value + host_start, host_end - host_start, out->text + out->len,
                            CORS_ORIGIN_MAX_LEN - out->len, &out->host_len);
    } else {
        const char *colon = memchr(value + host_start, ':', authority_end - host_start);
        host_end = colon ? (size_t)(colon - value) : authority_end;
        out->host_len = host_end - host_start;
        status = parse_reg_name(value + host_start, out->host_len, out->text + out->len);
    }
    if (status != CORS_ORIGIN_OK)
        return status;
    out->host_off = out->len;
    out->len += out->host_len;

    if (host_end < authority_end) {
        status = parse_port(value + host_end + 1, authority_end - host_end - 1, &explicit_port);
        if (status != CORS_ORIGIN_OK)
            return status;
        has_port = 1;
    }
    out->port = cors_scheme_default_port(out->text, out->scheme_len);
    if (has_port && explicit_port != out->port) {
        out->port = explicit_port;
        status = append_port(out, explicit_port);
        if (status != CORS_ORIGIN_OK)
            return status;
    }
    out->text[out->len] = '\0';
    return CORS_ORIGIN_OK;
}

static const char *const status_texts[] = {
    "serialized origin",
    "the opaque origin null",
    "empty",
    "longer than the origin length limit",
    "contains a byte no origin may contain",
    "a list of origins (comma or space), not one origin",
    "no valid scheme followed by ://",
    "contains userinfo (@)",
    "invalid host",
    "invalid port",
    "has a path, query or fragment (an origin has none, not even a trailing slash)"};
_Static_assert(CORS_NAMES_COUNT(status_texts) == CORS_ORIGIN_PATH + 1, "a text for every status");

const char *cors_origin_status_text(cors_origin_status status)
{
    return cors_name_of(status_texts, CORS_NAMES_COUNT(status_texts), (int)status);
}
