/*
 * The CORS settings of two Kubernetes controllers, linted under each
 * controller's own matching rules, every attacker origin matched with
 * those rules before it is reported.
 *
 * ingress-nginx (kubernetes/ingress-nginx):
 * internal/ingress/annotations/cors/main.go reads the annotations;
 * buildCorsOriginRegex and buildOriginRegex in
 * internal/ingress/controller/template/template.go write the nginx test.
 *   - cors-allow-origin absent, or refused by the annotation validator
 *     (corsOriginRegexValidator, on by default): every origin (`*`).
 *   - The value is split on ',' and trimmed; a `*` entry makes the whole
 *     list `*`; an entry that is not scheme://host[:port], `null` or empty
 *     (corsOriginRegex) is skipped.
 *   - The entries become `$http_origin ~* ((E1)|(E2))$`: each entry
 *     regexp-quoted, its first `*` replaced by `[A-Za-z0-9\-]+` (one
 *     label), searched case-insensitively, anchored at the end only. An
 *     empty last entry leaves an empty alternative, which matches anything;
 *     an explicit default port never matches what browsers send.
 *   - A matching origin is echoed in Access-Control-Allow-Origin, with
 *     Access-Control-Allow-Credentials: true unless cors-allow-credentials
 *     is "false"; `*` is sent as `*`.
 *
 * Gateway API (kubernetes-sigs/gateway-api, apis/v1/httproute_types.go,
 * HTTPCORSFilter; CORSOrigin in apis/v1/shared_types.go):
 *   - An entry is `*` or scheme://host[:port]; the CRD refuses anything
 *     else, and `*` beside other entries.
 *   - A missing port is the scheme's default. In the host, `*` is a greedy
 *     match to the left: any number of labels, dots included.
 *   - With allowCredentials, `*` makes the gateway echo the request's
 *     Origin with credentials.
 *
 * A little over 500 lines: the two controllers are kept side by side, each
 * half a transcription of one controller's rules, sharing the findings'
 * helpers.
 */
#include <string.h>
#include <strings.h>

#include <apr_lib.h>
#include <apr_strings.h>

#include "cors_lint.h"

/* A finding with the attacker origin that proves it (or NULL). */
static cors_finding *add(apr_array_header_t *out, cors_severity severity, const char *code,
                         const char *subject, const char *source, const char *message,
                         const char *attacker)
{
    cors_finding *f = cors_finding_add(out, severity, code, subject, source, message);
    f->attacker = attacker;
    return f;
}

static int is_real_origin(const char *text)
{
    cors_origin parsed;
    return cors_origin_parse(text, strlen(text), &parsed) == CORS_ORIGIN_OK;
}

/* ---- ingress-nginx ------------------------------------------------------------ */

#define NGINX_WILDCARD_LABEL "[A-Za-z0-9\\-]+"

/* One entry as the annotation's patterns read it:
 * ([a-z]+://)?(\*\.)?[A-Za-z0-9\-.]*(:\d+)?, or null. scheme_required gives
 * the parser's corsOriginRegex, else the validator's token. */
static int nginx_token(const char *s, int scheme_required)
{
    size_t n = strlen(s), i = 0, k = 0;
    if (strcmp(s, "null") == 0)
        return 1;
    while (k < n && s[k] >= 'a' && s[k] <= 'z')
        k++;
    if (k > 0 && strncmp(s + k, "://", 3) == 0)
        i = k + 3;
    else if (scheme_required)
        return 0;
    if (s[i] == '*' && s[i + 1] == '.')
        i += 2;
    while (i < n && (apr_isalnum((unsigned char)s[i]) || s[i] == '-' || s[i] == '.'))
        i++;
    if (s[i] == ':') {
        size_t digits = ++i;
        while (i < n && apr_isdigit((unsigned char)s[i]))
            i++;
        if (i == digits)
            return 0;
    }
    return i == n;
}

static const char *trim(apr_pool_t *pool, const char *s, size_t n)
{
    while (n > 0 && apr_isspace((unsigned char)*s))
        s++, n--;
    while (n > 0 && apr_isspace((unsigned char)s[n - 1]))
        n--;
    return apr_pstrmemdup(pool, s, n);
}

/* The value split on ',' and trimmed, as the parser does. */
static apr_array_header_t *nginx_split(apr_pool_t *pool, const char *value)
{
    apr_array_header_t *pieces = apr_array_make(pool, 4, sizeof(const char *));
    for (const char *p = value;; p++) {
        size_t n = strcspn(p, ",");
        APR_ARRAY_PUSH(pieces, const char *) = trim(pool, p, n);
        p += n;
        if (*p == '\0')
            break;
    }
    return pieces;
}

/* The annotation validator: the whole value, spaces removed, is `*` or
 * comma-separated tokens. Returns the first refused entry, or NULL. */
static const char *nginx_refused_entry(apr_pool_t *pool, const char *value)
{
    apr_array_header_t *pieces = nginx_split(pool, value);
    if (pieces->nelts == 1 && strcmp(APR_ARRAY_IDX(pieces, 0, const char *), "*") == 0)
        return NULL;
    for (int i = 0; i < pieces->nelts; i++) {
        const char *piece = APR_ARRAY_IDX(pieces, i, const char *);
        if (strchr(piece, ' ') != NULL) {
            char *squeezed = apr_pstrdup(pool, piece), *o = squeezed;
            for (const char *c = piece; *c; c++)
                if (*c != ' ')
                    *o++ = *c;
            *o = '\0';
            piece = squeezed;
        }
        if (!nginx_token(piece, 0))
            return APR_ARRAY_IDX(pieces, i, const char *);
    }
    return NULL;
}

typedef struct {
    int all;                     /* every origin, `*` */
    const char *why_all;         /* "default", "invalid", "star" */
    apr_array_header_t *entries; /* const char *, as the template gets them */
    apr_array_header_t *skipped; /* const char *, dropped by the parser */
    cors_regex *regex;           /* the nginx test, NULL when nothing is allowed */
    int empty_alternative;       /* the regex has an empty alternative */
} nginx_policy;

static void nginx_read(apr_pool_t *pool, const char *value, nginx_policy *np)
{
    apr_array_header_t *pieces;
    const char *regex = "(?i)(";
    int emitted = 0;

    memset(np, 0, sizeof(*np));
    np->entries = apr_array_make(pool, 4, sizeof(const char *));
    np->skipped = apr_array_make(pool, 1, sizeof(const char *));
    pieces = value ? nginx_split(pool, value) : NULL;
    for (int i = 0; pieces != NULL && i < pieces->nelts; i++)
        if (strcmp(APR_ARRAY_IDX(pieces, i, const char *), "*") == 0) {
            /* The validator refuses `*` among entries, the parser takes it
             * as the whole list: `*` either way. */
            np->all = 1;
            np->why_all = "star";
            return;
        }
    /* Absent, empty (which the annotation reader refuses) or refused by
     * the validator: the parser's fallback. */
    if (value == NULL || trim(pool, value, strlen(value))[0] == '\0' ||
        nginx_refused_entry(pool, value) != NULL) {
        np->all = 1;
        np->why_all = value == NULL ? "default" : "invalid";
        return;
    }
    for (int i = 0; i < pieces->nelts; i++) {
        const char *entry = APR_ARRAY_IDX(pieces, i, const char *);
        if (entry[0] != '\0' && !nginx_token(entry, 1))
            APR_ARRAY_PUSH(np->skipped, const char *) = entry;
        else
            APR_ARRAY_PUSH(np->entries, const char *) = entry;
    }
    if (np->entries->nelts == 0)
        return; /* the template writes no test: no origin gets CORS headers */
    for (int i = 0; i < np->entries->nelts; i++) {
        const char *entry = APR_ARRAY_IDX(np->entries, i, const char *);
        const char *quoted, *star;
        if (entry[0] == '\0')
            continue;
        quoted = cors_regex_escape(pool, entry);
        star = strstr(quoted, "\\*");
        if (star != NULL)
            quoted = apr_pstrcat(pool, apr_pstrmemdup(pool, quoted, (size_t)(star - quoted)),
                                 NGINX_WILDCARD_LABEL, star + 2, NULL);
        regex = apr_pstrcat(pool, regex, "(", quoted, ")", NULL);
        emitted++;
        /* The separator follows every entry but the last one listed, even
         * when the entries after it are empty. */
        if (i != np->entries->nelts - 1)
            regex = apr_pstrcat(pool, regex, "|", NULL);
    }
    regex = apr_pstrcat(pool, regex, ")$", NULL);
    np->empty_alternative = emitted == 0 || strstr(regex, "|)$") != NULL;
    if (cors_regex_compile_search(pool, regex, &np->regex) != NULL)
        np->regex = NULL;
}

/* Whether ingress-nginx gives origin CORS headers under np. */
static int nginx_accepts(const nginx_policy *np, const char *origin)
{
    if (np->all)
        return 1;
    return np->regex != NULL &&
           cors_regex_match(np->regex, origin, strlen(origin)) == CORS_REGEX_MATCH;
}

int cors_ingress_nginx_accepts(apr_pool_t *pool, const char *allow_origin, const char *origin)
{
    nginx_policy np;
    nginx_read(pool, allow_origin, &np);
    return nginx_accepts(&np, origin);
}

/* An entry the validator or the parser refuses, made scheme://host[:port]
 * (scheme added, path dropped), or NULL. */
static const char *nginx_fix_entry(apr_pool_t *pool, const char *entry)
{
    const char *sep = strstr(entry, "://");
    const char *scheme = "https", *rest = entry;
    char *fixed;
    if (sep != NULL) {
        scheme = apr_pstrmemdup(pool, entry, (size_t)(sep - entry));
        rest = sep + 3;
    }
    fixed =
        apr_pstrcat(pool, scheme, "://", apr_pstrmemdup(pool, rest, strcspn(rest, "/?#")), NULL);
    for (char *c = fixed; *c && *c != ':'; c++)
        *c = (char)apr_tolower((unsigned char)*c);
    return nginx_token(fixed, 1) && strcmp(fixed, entry) != 0 ? fixed : NULL;
}

/* The entry without an explicit default port (":443" on https), which a
 * browser never sends, or NULL when it has none. */
static const char *nginx_without_default_port(apr_pool_t *pool, const char *entry)
{
    const char *sep = strstr(entry, "://"), *colon = sep ? strchr(sep + 3, ':') : NULL;
    unsigned port;
    if (colon == NULL)
        return NULL;
    port = cors_scheme_default_port(entry, (size_t)(sep - entry));
    if (port == 0 || (unsigned)apr_atoi64(colon + 1) != port)
        return NULL;
    return apr_pstrmemdup(pool, entry, (size_t)(colon - entry));
}

/* The value without what opens it to every origin (`*`, empty entries,
 * null) and with refused entries repaired, when that changes anything. */
static const char *nginx_fix_value(apr_pool_t *pool, const char *value)
{
    apr_array_header_t *pieces = nginx_split(pool, value);
    const char *out = NULL;
    for (int i = 0; i < pieces->nelts; i++) {
        const char *entry = APR_ARRAY_IDX(pieces, i, const char *);
        if (entry[0] == '\0' || strcmp(entry, "*") == 0 || strcmp(entry, "null") == 0)
            continue;
        if (!nginx_token(entry, 1))
            entry = nginx_fix_entry(pool, entry);
        if (entry != NULL && nginx_without_default_port(pool, entry) != NULL)
            entry = nginx_without_default_port(pool, entry);
        if (entry != NULL)
            out = out ? apr_pstrcat(pool, out, ",", entry, NULL) : entry;
    }
    return out;
}

/* The findings under np; every attacker matched by nginx_accepts. */
static void nginx_findings(apr_pool_t *pool, const char *value, const nginx_policy *np,
                           int credentials, const char *source, apr_array_header_t *out)
{
    const char *subject = value ? value : "nginx.ingress.kubernetes.io/enable-cors";
    const char *evil = "https://evil.example";

    if (np->all) {
        const char *why =
            strcmp(np->why_all, "default") == 0
                ? "enable-cors without cors-allow-origin: ingress-nginx allows every origin (*)"
            : strcmp(np->why_all, "star") == 0 && strcmp(trim(pool, value, strlen(value)), "*") == 0
                ? "cors-allow-origin is *: ingress-nginx allows every origin"
            : strcmp(np->why_all, "star") == 0
                ? "a * entry makes ingress-nginx replace the whole list by *: every origin is "
                  "allowed"
            : trim(pool, value, strlen(value))[0] == '\0'
                ? "an empty cors-allow-origin makes ingress-nginx fall back to *: every origin is "
                  "allowed"
                : apr_psprintf(pool,
                               "ingress-nginx's annotation validation refuses this value (\"%s\" "
                               "is not scheme://host[:port]) and falls back to *: every origin "
                               "is allowed",
                               nginx_refused_entry(pool, value));
        add(out, CORS_SEVERITY_WARNING,
            strcmp(np->why_all, "invalid") == 0 ? "invalid-annotation" : "match-all", subject,
            source,
            apr_pstrcat(pool, why,
                        " (sent as Access-Control-Allow-Origin: *, so without credentials)", NULL),
            evil);
        return;
    }
    if (np->empty_alternative && nginx_accepts(np, evil))
        add(out, CORS_SEVERITY_WARNING, "match-all", subject, source,
            apr_pstrcat(pool,
                        "an empty last entry (a trailing comma) leaves an empty alternative in "
                        "the regex ingress-nginx writes: every origin is allowed and echoed back",
                        credentials ? " with credentials" : "", NULL),
            evil);
    for (int i = 0; i < np->skipped->nelts; i++) {
        const char *entry = APR_ARRAY_IDX(np->skipped, i, const char *);
        cors_finding *f = add(out, CORS_SEVERITY_WARNING, "ignored-entry", entry, source,
                              "ingress-nginx skips this entry (not scheme://host[:port]): the "
                              "origin it was meant for gets no CORS headers",
                              NULL);
        f->suggestion = nginx_fix_entry(pool, entry);
    }
    for (int i = 0; i < np->entries->nelts; i++) {
        const char *entry = APR_ARRAY_IDX(np->entries, i, const char *);
        const char *star = strchr(entry, '*');
        /* One origin the entry allows: its wildcard label filled in. */
        const char *sample =
            star ? apr_pstrcat(pool, apr_pstrmemdup(pool, entry, (size_t)(star - entry)), "evil",
                               star + 1, NULL)
                 : entry;
        if (strcmp(entry, "null") == 0 && nginx_accepts(np, "null")) {
            add(out, CORS_SEVERITY_WARNING, "null-origin", entry, source,
                "the opaque origin null is allowed: any sandboxed iframe or data: page has it",
                "null");
        } else if (strncmp(entry, "http://", 7) == 0 && is_real_origin(sample) &&
                   nginx_accepts(np, sample)) {
            add(out, CORS_SEVERITY_WARNING, "plain-http", entry, source,
                "a plain-http origin is allowed: a network attacker can inject script into that "
                "page and read the API through it; use https://",
                sample);
        }
        if (nginx_without_default_port(pool, sample) != NULL &&
            !nginx_accepts(np, nginx_without_default_port(pool, sample))) {
            /* The test is a string match: ":443" is never in what a
             * browser sends for https. */
            add(out, CORS_SEVERITY_WARNING, "never-matches", entry, source,
                "browsers leave the default port out of the Origin they send, and "
                "ingress-nginx compares the text: this entry never matches",
                NULL)
                ->suggestion = nginx_without_default_port(pool, entry);
        }
        if (star != NULL) {
            const char *attacker = sample;
            if (is_real_origin(attacker) && nginx_accepts(np, attacker))
                add(out, CORS_SEVERITY_INFO, "wildcard-subdomain", entry, source,
                    "every one-label subdomain is allowed: one compromised or taken-over "
                    "subdomain is enough",
                    attacker);
        }
    }
}

/* What no fix can close without changing the origin, or is only a note. */
static int nginx_fix_clean(apr_pool_t *pool, const char *fixed, int credentials)
{
    nginx_policy np;
    apr_array_header_t *again = apr_array_make(pool, 4, sizeof(cors_finding));
    nginx_read(pool, fixed, &np);
    nginx_findings(pool, fixed, &np, credentials, NULL, again);
    for (int k = 0; k < again->nelts; k++) {
        const cors_finding *f = &APR_ARRAY_IDX(again, k, cors_finding);
        if (f->severity >= CORS_SEVERITY_WARNING && !cors_lint_unfixable(f->code))
            return 0;
    }
    return np.entries->nelts > 0;
}

const char *cors_lint_ingress_nginx(apr_pool_t *pool, const char *allow_origin,
                                    const char *allow_credentials, const char *source,
                                    apr_array_header_t *out)
{
    nginx_policy np;
    int credentials = allow_credentials == NULL || strcasecmp(allow_credentials, "false") != 0;
    int first = out->nelts, weak = 0;
    const char *fixed;

    nginx_read(pool, allow_origin, &np);
    nginx_findings(pool, allow_origin, &np, credentials, source, out);
    for (int k = first; k < out->nelts; k++) {
        const cors_finding *f = &APR_ARRAY_IDX(out, k, cors_finding);
        weak |= f->severity >= CORS_SEVERITY_WARNING && !cors_lint_unfixable(f->code);
    }
    if (!weak || allow_origin == NULL)
        return NULL;
    fixed = nginx_fix_value(pool, allow_origin);
    if (fixed == NULL || !nginx_fix_clean(pool, fixed, credentials))
        return NULL;
    for (int k = first; k < out->nelts; k++) {
        cors_finding *f = &APR_ARRAY_IDX(out, k, cors_finding);
        if (f->suggestion == NULL && f->attacker != NULL && f->severity >= CORS_SEVERITY_WARNING &&
            !cors_ingress_nginx_accepts(pool, fixed, f->attacker))
            f->suggestion = fixed;
    }
    return fixed;
}

/* ---- Gateway API HTTPRoute CORS filter ----------------------------------------- */

/* CORSOrigin as the CRD validates it:
 * `*`, or ^[a-zA-Z][a-zA-Z0-9+\-.]+://[^:/?#]+(:[0-9]{1,5})?$ */
static int gateway_valid(const char *entry)
{
    size_t i = 1, host;
    if (strcmp(entry, "*") == 0)
        return 1;
    if (!apr_isalpha((unsigned char)entry[0]))
        return 0;
    while (entry[i] != '\0' && (apr_isalnum((unsigned char)entry[i]) || strchr("+-.", entry[i])))
        i++;
    if (i < 2 || strncmp(entry + i, "://", 3) != 0)
        return 0;
    host = i += 3;
    while (entry[i] != '\0' && strchr(":/?#", entry[i]) == NULL)
        i++;
    if (i == host)
        return 0;
    if (entry[i] == ':') {
        size_t digits = ++i;
        while (apr_isdigit((unsigned char)entry[i]))
            i++;
        if (i == digits || i - digits > 5)
            return 0;
    }
    return entry[i] == '\0';
}

/* The host glob: `*` matches any run of characters, dots included. */
static int glob_host(const char *pattern, size_t plen, const char *host, size_t hlen)
{
    size_t p = 0, h = 0, star = (size_t)-1, resume = 0;
    while (h < hlen) {
        if (p < plen && pattern[p] == '*') {
            star = p++;
            resume = h;
        } else if (p < plen &&
                   apr_tolower((unsigned char)pattern[p]) == apr_tolower((unsigned char)host[h])) {
            p++, h++;
        } else if (star != (size_t)-1) {
            p = star + 1;
            h = ++resume;
        } else {
            return 0;
        }
    }
    while (p < plen && pattern[p] == '*')
        p++;
    return p == plen;
}

int cors_gateway_origin_accepts(const char *entry, const char *origin)
{
    cors_origin o;
    const char *sep, *host, *colon;
    size_t scheme_len, host_len;
    unsigned port;

    if (strcmp(entry, "*") == 0)
        return 1;
    if (!gateway_valid(entry) || cors_origin_parse(origin, strlen(origin), &o) != CORS_ORIGIN_OK)
        return 0;
    sep = strstr(entry, "://");
    scheme_len = (size_t)(sep - entry);
    host = sep + 3;
    colon = strchr(host, ':');
    host_len = colon ? (size_t)(colon - host) : strlen(host);
    if (scheme_len != o.scheme_len || strncasecmp(entry, o.text, scheme_len) != 0)
        return 0;
    if (colon != NULL) {
        port = (unsigned)apr_atoi64(colon + 1);
    } else {
        char scheme[16];
        if (scheme_len >= sizeof(scheme))
            return 0;
        for (size_t k = 0; k < scheme_len; k++)
            scheme[k] = (char)apr_tolower((unsigned char)entry[k]);
        port = cors_scheme_default_port(scheme, scheme_len);
    }
    return port == o.port && glob_host(host, host_len, o.text + o.host_off, o.host_len);
}

/* An invalid entry made scheme://host[:port] (scheme added, path dropped),
 * or NULL. */
static const char *gateway_fix_entry(apr_pool_t *pool, const char *entry)
{
    const char *sep = strstr(entry, "://"), *rest = sep ? sep + 3 : entry;
    const char *fixed =
        apr_pstrcat(pool, sep ? apr_pstrmemdup(pool, entry, (size_t)(sep - entry)) : "https", "://",
                    apr_pstrmemdup(pool, rest, strcspn(rest, "/?#")), NULL);
    return gateway_valid(fixed) && strcmp(fixed, entry) != 0 ? fixed : NULL;
}

static void gateway_entry(apr_pool_t *pool, const char *entry, const char *source, int credentials,
                          apr_array_header_t *out)
{
    const char *star = strchr(entry, '*');
    const char *before = star ? apr_pstrmemdup(pool, entry, (size_t)(star - entry)) : NULL;
    /* One origin the entry allows: its wildcard filled in. */
    const char *sample = star ? apr_pstrcat(pool, before, "team", star + 1, NULL) : entry;

    if (strcmp(entry, "*") == 0 ||
        (star != NULL && star > entry + 2 && strncmp(star - 3, "://", 3) == 0 &&
         (star[1] == '\0' || star[1] == ':'))) {
        /* `*`, or a host that is `*` alone */
        add(out, CORS_SEVERITY_WARNING, "match-all", entry, source,
            credentials ? "every origin is allowed and, with allowCredentials, the gateway echoes "
                          "it with credentials: any site can call the API as the user"
                        : "every origin is allowed: any site can call the API (without "
                          "credentials); list the origins instead",
            "https://evil.example");
        return;
    }
    if (strncasecmp(entry, "http://", 7) == 0 && is_real_origin(sample) &&
        cors_gateway_origin_accepts(entry, sample))
        add(out, CORS_SEVERITY_WARNING, "plain-http", entry, source,
            "a plain-http origin is allowed: a network attacker can inject script into that page "
            "and read the API through it; use https://",
            sample);
    if (star != NULL) {
        const char *deep = apr_pstrcat(pool, before, "evil.attacker", star + 1, NULL);
        const char *sibling = apr_pstrcat(pool, before, "evil-", star + 1, NULL);
        if (star[1] != '.' && is_real_origin(sibling) &&
            cors_gateway_origin_accepts(entry, sibling))
            add(out, CORS_SEVERITY_WARNING, "sibling-domain", entry, source,
                "a * glued to the domain name admits sibling domains that anyone can register",
                sibling);
        else if (is_real_origin(deep) && cors_gateway_origin_accepts(entry, deep))
            add(out, CORS_SEVERITY_WARNING, "wildcard-host", entry, source,
                "* matches any number of labels: every host under the domain, at any depth, is "
                "allowed (one compromised or taken-over subdomain is enough); allowOrigins has "
                "no one-label wildcard, so list the origins",
                deep);
    }
}

void cors_lint_gateway_origins(apr_pool_t *pool, const apr_array_header_t *origins,
                               const apr_array_header_t *sources, int credentials,
                               apr_array_header_t *out)
{
    int has_star = 0;
    for (int i = 0; i < origins->nelts; i++)
        has_star |= strcmp(APR_ARRAY_IDX(origins, i, const char *), "*") == 0;
    for (int i = 0; i < origins->nelts; i++) {
        const char *entry = APR_ARRAY_IDX(origins, i, const char *);
        const char *source = APR_ARRAY_IDX(sources, i, const char *);
        if (!gateway_valid(entry)) {
            add(out, CORS_SEVERITY_ERROR, "invalid-origin", entry, source,
                "the API server refuses this HTTPRoute: an allowOrigins entry is * or "
                "scheme://host[:port], without path or trailing slash",
                NULL)
                ->suggestion = gateway_fix_entry(pool, entry);
            continue;
        }
        if (has_star && origins->nelts > 1 && strcmp(entry, "*") == 0) {
            add(out, CORS_SEVERITY_ERROR, "invalid-origin", entry, source,
                "the API server refuses this HTTPRoute: * cannot stand beside other "
                "allowOrigins entries",
                NULL);
            continue;
        }
        gateway_entry(pool, entry, source, credentials, out);
    }
}
