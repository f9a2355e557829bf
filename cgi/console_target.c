/*
 * What the probe may reach: the one configured API server (https, a host, a
 * port, nothing else), API paths only, and only OPTIONS, GET and HEAD.
 * Everything here runs before any connection is made.
 */
#include <arpa/inet.h>
#include <string.h>
#include <strings.h>

#include <apr_strings.h>

#include "console.h"

int console_address_allowed(const unsigned char *a, size_t len)
{
    static const unsigned char v4_mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (len == 16 && memcmp(a, v4_mapped, 12) == 0)
        return console_address_allowed(a + 12, 4);
    if (len == 4) {
        if (a[0] == 0) /* 0.0.0.0/8: "this network" */
            return 0;
        if (a[0] == 169 && a[1] == 254) /* link-local, cloud metadata */
            return 0;
        if (a[0] >= 224) /* multicast, reserved, broadcast */
            return 0;
        if (a[0] == 100 && a[1] == 100 && a[2] == 100 && a[3] == 200) /* Alibaba metadata */
            return 0;
        return 1;
    }
    if (len == 16) {
        static const unsigned char zero[16] = {0};
        if (memcmp(a, zero, 16) == 0) /* :: */
            return 0;
        if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80) /* fe80::/10 link-local */
            return 0;
        if (a[0] == 0xff) /* multicast */
            return 0;
        if (a[0] == 0xfd && a[1] == 0x00 && a[2] == 0x0e && a[3] == 0xc2) /* fd00:ec2::/32 */
            return 0;
        return 1;
    }
    return 0;
}

static int dns_host_ok(const char *host)
{
    size_t label = 0, len = strlen(host);
    if (len == 0 || len > 253)
        return 0;
    for (const char *p = host; *p; p++) {
        char c = *p;
        if (c == '.') {
            if (label == 0 || p[-1] == '-')
                return 0;
            label = 0;
            continue;
        }
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-'))
            return 0;
        if (c == '-' && label == 0)
            return 0;
        if (++label > 63)
            return 0;
    }
    return label > 0 && host[len - 1] != '-';
}

const char *console_target_parse(apr_pool_t *pool, const char *url, console_target *out)
{
    const char *p, *host_start, *host_end, *rest;
    unsigned char addr[16];
    unsigned long port = 443;
    char *host;

    memset(out, 0, sizeof(*out));
    if (url == NULL || url[0] == '\0')
        return "no probe target configured (SetEnv K8S_CORS_PROBE_URL https://host:port)";
    if (strlen(url) > 300)
        return "the probe URL is too long";
    if (strncasecmp(url, "https://", 8) != 0)
        return "the probe URL must start with https://";
    p = url + 8;
    if (*p == '[') {
        host_start = p + 1;
        host_end = strchr(host_start, ']');
        if (host_end == NULL)
            return "the probe URL has an unterminated IPv6 literal";
        rest = host_end + 1;
    } else {
        host_start = p;
        host_end = p + strcspn(p, ":/?#@[]\\");
        rest = host_end;
    }
    if (host_end == host_start)
        return "the probe URL has no host";
    if (memchr(host_start, '@', (size_t)(host_end - host_start)) != NULL || strchr(url + 8, '@'))
        return "the probe URL must not carry userinfo";
    host = apr_pstrmemdup(pool, host_start, (size_t)(host_end - host_start));
    if (*rest == ':') {
        const char *digits = ++rest;
        port = 0;
        while (*rest >= '0' && *rest <= '9' && rest - digits < 6)
            port = port * 10 + (unsigned long)(*rest++ - '0');
        if (rest == digits || (*digits == '0') || port == 0 || port > 65535)
            return "the probe URL has an invalid port";
    }
    if (!(rest[0] == '\0' || (rest[0] == '/' && rest[1] == '\0')))
        return "the probe URL must be https://host[:port] with no path, query or fragment";

    if (host_start[-1] == '[') {
        if (inet_pton(AF_INET6, host, addr) != 1)
            return "the probe URL has an invalid IPv6 literal";
        out->host_is_ip = 6;
        if (!console_address_allowed(addr, 16))
            return "the probe URL's address is link-local, unspecified or multicast";
    } else if (inet_pton(AF_INET, host, addr) == 1) {
        out->host_is_ip = 4;
        if (!console_address_allowed(addr, 4))
            return "the probe URL's address is link-local (metadata), unspecified, multicast or "
                   "broadcast";
    } else {
        if (!dns_host_ok(host))
            return "the probe URL's host is not a DNS name or an IP address";
        for (char *c = host; *c; c++)
            if (*c >= 'A' && *c <= 'Z')
                *c = (char)(*c - 'A' + 'a');
    }
    out->host = host;
    out->port = (unsigned)port;
    out->authority = apr_psprintf(pool, "%s%s%s", out->host_is_ip == 6 ? "[" : "", host,
                                  out->host_is_ip == 6 ? "]" : "");
    if (port != 443)
        out->authority = apr_psprintf(pool, "%s:%lu", out->authority, port);
    out->url = apr_pstrcat(pool, "https://", out->authority, NULL);
    return NULL;
}

static int path_char_ok(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~' || c == '/';
}

static int query_char_ok(char c)
{
    return path_char_ok(c) || c == '=' || c == '&' || c == ',' || c == '+';
}

const char *console_probe_path_check(const char *path)
{
    static const char *const roots[] = {"api",   "apis",   "version", "healthz",
                                        "livez", "readyz", "openapi"};
    size_t len, path_len, root_len;
    const char *query;
    int root_ok = 0;

    if (path == NULL || path[0] == '\0')
        return "no path";
    len = strlen(path);
    if (len > 1024)
        return "the path is over 1024 bytes";
    if (path[0] != '/')
        return "the path must start with '/' (no scheme or host)";
    query = strchr(path, '?');
    path_len = query ? (size_t)(query - path) : len;
    for (size_t i = 0; i < path_len; i++)
        if (!path_char_ok(path[i]))
            return "the path has a character other than letters, digits, '-', '.', '_', '~', '/'";
    for (size_t i = query ? path_len + 1 : len; i < len; i++)
        if (!query_char_ok(path[i]))
            return "the query has a character other than letters, digits, '-._~/=&,+'";
    if (strstr(path, "//") != NULL)
        return "the path has an empty segment (\"//\")";
    /* Every segment: not ".", not "..". */
    for (size_t i = 0; i < path_len;) {
        size_t seg = i + 1, seg_len;
        seg_len = strcspn(path + seg, "/?");
        if (seg + seg_len > path_len)
            seg_len = path_len - seg;
        if ((seg_len == 1 && path[seg] == '.') ||
            (seg_len == 2 && path[seg] == '.' && path[seg + 1] == '.'))
            return "the path has a \".\" or \"..\" segment";
        i = seg + seg_len;
    }
    root_len = strcspn(path + 1, "/?");
    for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++)
        if (strlen(roots[i]) == root_len && strncmp(path + 1, roots[i], root_len) == 0)
            root_ok = 1;
    if (!root_ok)
        return "not an API path: the probe reaches /api, /apis, /version, /healthz, /livez, "
               "/readyz and /openapi only";
    return NULL;
}

const char *console_probe_methods_parse(const char *text, unsigned *methods)
{
    const char *p = text;
    *methods = 0;
    if (text == NULL || text[0] == '\0')
        return "no method";
    while (*p) {
        size_t len = strcspn(p, ",");
        if (len == 7 && strncmp(p, "OPTIONS", 7) == 0)
            *methods |= CONSOLE_PROBE_OPTIONS;
        else if (len == 3 && strncmp(p, "GET", 3) == 0)
            *methods |= CONSOLE_PROBE_GET;
        else if (len == 4 && strncmp(p, "HEAD", 4) == 0)
            *methods |= CONSOLE_PROBE_HEAD;
        else
            return "the probe sends OPTIONS, GET or HEAD only";
        p += len;
        if (*p == ',')
            p++;
    }
    return *methods ? NULL : "no method";
}
