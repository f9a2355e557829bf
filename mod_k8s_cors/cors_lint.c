/*
 * Configuration lint: patterns and exact origins (a policy level as a
 * whole, findings and the start-up check are cors_lint_policy.c).
 *
 * For a pattern, we first derive the origin it is meant to accept (a
 * "sample", cors_lint_sample.c), then build attacker origins from it (a suffix domain, a sibling
 * label, the dot replaced, plain http, a foreign host, deeper subdomains) and keep those the
 * pattern really accepts, under the target's matching semantics. Every reported attacker origin has
 * been matched; nothing is guessed.
 *
 * Just over 500 lines: the attacks and the fixes are one subject, since a
 * fix is only offered once the same attacks fail against it.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <string.h>
#include <strings.h>

#include <apr_strings.h>

#include "cors_lint.h"
#include "cors_lint_sample.h"

/* ---- matching a candidate with the target's semantics ------------------------ */

typedef struct {
    cors_semantics semantics;
    cors_regex *regex;
} matcher;

static int accepts(const matcher *m, const char *candidate)
{
    cors_origin origin;
    if (m->semantics == CORS_SEMANTICS_KUBE)
        return cors_regex_match(m->regex, candidate, strlen(candidate)) == CORS_REGEX_MATCH;
    /* The module matches the normalized origin, and only real origins. */
    if (cors_origin_parse(candidate, strlen(candidate), &origin) != CORS_ORIGIN_OK)
        return 0;
    return cors_regex_match(m->regex, origin.text, origin.len) == CORS_REGEX_MATCH;
}

/* ---- findings ----------------------------------------------------------------- */

const char *cors_regex_escape(apr_pool_t *pool, const char *text)
{
    char *out = apr_palloc(pool, strlen(text) * 2 + 1), *o = out;
    for (const char *t = text; *t; t++) {
        if (strchr("\\^$.|?*+()[]{}", *t) != NULL)
            *o++ = '\\';
        *o++ = *t;
    }
    *o = '\0';
    return out;
}

/* A fixed pattern built from the sample's structure: literals escaped, a
 * stray `.` made a literal dot, a `.*` in the host narrowed to one DNS
 * label, classes kept; anchored for kube (which searches), bare for the
 * module (which anchors itself). The scheme stays what the author wrote:
 * turning http into https changes the origin, which only its owner can
 * decide (the plain-http finding says so). */
static const char *suggest(apr_pool_t *pool, const cors_intended *in, cors_semantics semantics)
{
    const cors_sample *s = &in->s;
    const char *out = semantics == CORS_SEMANTICS_KUBE ? "^" : "";
    int port_seen = 0;
    out = apr_pstrcat(pool, out, cors_regex_escape(pool, in->prefix), NULL);
    for (int k = 0; k < s->nsegs; k++) {
        const cors_segment *seg = &s->segs[k];
        const char *piece;
        char c = s->text[seg->out_off];
        if (seg->out_off >= in->host_end)
            port_seen = 1;
        switch (seg->kind) {
        case CORS_SEG_LITERAL:
        case CORS_SEG_DOT:
            piece = cors_regex_escape(pool, apr_pstrmemdup(pool, &c, 1));
            break;
        case CORS_SEG_WILD:
            /* Glued to the rest of a label (".*example"): an optional
             * subdomain; else one DNS label. */
            if (port_seen)
                piece = "[0-9]+";
            else if (seg->out_off + seg->out_len < in->host_end &&
                     s->text[seg->out_off + seg->out_len] != '.')
                piece = "([a-z0-9-]+\\.)?";
            else
                piece = "[a-z0-9-]+";
            break;
        case CORS_SEG_CLASS:
        default:
            piece = apr_pstrmemdup(pool, seg->src, seg->src_len);
            break;
        }
        out = apr_pstrcat(pool, out, piece, NULL);
    }
    return semantics == CORS_SEMANTICS_KUBE ? apr_pstrcat(pool, out, "$", NULL) : out;
}

/* The intended origin without wildcards glued to a label: for
 * "https://.*example\.com" the apex "https://example.com". */
static const char *without_glued(apr_pool_t *pool, const cors_intended *in)
{
    const cors_sample *s = &in->s;
    char *out = apr_palloc(pool, s->len + 1), *o = out;
    size_t next = 0;
    for (int k = 0; k < s->nsegs; k++) {
        const cors_segment *seg = &s->segs[k];
        size_t after = seg->out_off + seg->out_len;
        if (seg->kind == CORS_SEG_WILD && after < in->host_end && s->text[after] != '.') {
            memcpy(o, s->text + next, seg->out_off - next);
            o += seg->out_off - next;
            next = after;
        }
    }
    memcpy(o, s->text + next, s->len - next);
    o[s->len - next] = '\0';
    return apr_pstrcat(pool, in->prefix, out, NULL);
}

static int compile_for(apr_pool_t *pool, const char *pattern, cors_semantics semantics, matcher *m)
{
    m->semantics = semantics;
    return (semantics == CORS_SEMANTICS_KUBE
                ? cors_regex_compile_search(pool, pattern, &m->regex)
                : cors_regex_compile(pool, pattern, &m->regex)) == NULL;
}

/* The fix accepts the intended origin and none of the attackers. */
static int suggestion_works(apr_pool_t *pool, const matcher *fixed, const cors_intended *in,
                            apr_array_header_t *attackers)
{
    if (!(accepts(fixed, in->base) || accepts(fixed, without_glued(pool, in))))
        return 0;
    for (int k = 0; k < attackers->nelts; k++)
        if (accepts(fixed, APR_ARRAY_IDX(attackers, k, const char *)))
            return 0;
    return 1;
}

/* "scheme://" + host-part-of-sample with edits + rest, as one candidate. */
static const char *candidate(apr_pool_t *pool, const cors_intended *in, const char *host_before,
                             const char *host, const char *host_after)
{
    const cors_origin *o = &in->origin;
    const char *port =
        o->len > o->host_off + o->host_len ? o->text + o->host_off + o->host_len : "";
    return apr_pstrcat(pool, apr_pstrmemdup(pool, o->text, o->scheme_len), "://", host_before, host,
                       host_after, port, NULL);
}

typedef struct {
    apr_pool_t *pool;
    const matcher *m;
    const cors_intended *in;
    const char *pattern;
    const char *source;
    apr_array_header_t *out;
    apr_array_header_t *attackers; /* const char *, every attacker reported */
    int first;                     /* index in out of this pattern's first finding */
} lint_run;

static void report_if_accepted(lint_run *run, const char *attacker, const char *code,
                               cors_severity severity, const char *message)
{
    cors_finding *f;
    cors_origin parsed;
    /* Only what a browser could send counts as an attack. */
    if (attacker == NULL ||
        cors_origin_parse(attacker, strlen(attacker), &parsed) != CORS_ORIGIN_OK ||
        !accepts(run->m, attacker))
        return;
    for (int k = 0; k < run->attackers->nelts; k++)
        if (strcmp(APR_ARRAY_IDX(run->attackers, k, const char *), attacker) == 0)
            return;
    f = cors_finding_add(run->out, severity, code, run->pattern, run->source, message);
    f->attacker = attacker;
    APR_ARRAY_PUSH(run->attackers, const char *) = attacker;
}

static const char *host_of(apr_pool_t *pool, const cors_intended *in)
{
    const cors_origin *o = &in->origin;
    return apr_pstrmemdup(pool, o->text + o->host_off, o->host_len);
}

static int host_starts_literal(const cors_intended *in)
{
    for (int k = 0; k < in->s.nsegs; k++)
        if (in->s.segs[k].out_off == in->host_start)
            return in->s.segs[k].kind == CORS_SEG_LITERAL || in->s.segs[k].kind == CORS_SEG_DOT;
    return 1;
}

static void attack_derived(lint_run *run)
{
    apr_pool_t *pool = run->pool;
    const cors_intended *in = run->in;
    const char *host = host_of(pool, in);
    const cors_sample *s = &in->s;

    report_if_accepted(run, candidate(pool, in, "", host, ".evil.example"), "unanchored-end",
                       CORS_SEVERITY_WARNING,
                       "the pattern does not pin the end of the origin: any domain that "
                       "starts like the intended host is accepted");
    if (host_starts_literal(in)) {
        /* A host that starts with a wildcard or a class means "any first
         * label" on purpose; only a literal start can be extended. */
        report_if_accepted(run, candidate(pool, in, "evil-", host, ""), "unanchored-start",
                           CORS_SEVERITY_WARNING,
                           "the pattern does not pin the start of the host: a sibling domain "
                           "that ends like the intended host is accepted");
        report_if_accepted(run, candidate(pool, in, "evil", host, ""), "unanchored-start",
                           CORS_SEVERITY_WARNING,
                           "the pattern does not pin the start of the host: a domain that ends "
                           "like the intended host is accepted");
    }

    /* The first unescaped '.' inside the host the pattern really leaves
     * open, replaced by another character (one proof is enough). */
    for (int k = 0, dot_reported = 0; k < s->nsegs; k++) {
        const cors_segment *seg = &s->segs[k];
        if (seg->kind == CORS_SEG_DOT && !dot_reported && seg->out_off >= in->host_start &&
            seg->out_off < in->host_end) {
            int before = run->attackers->nelts;
            char *edited = apr_pstrmemdup(pool, s->text, s->len);
            edited[seg->out_off] = 'x';
            report_if_accepted(run, apr_pstrcat(pool, in->prefix, edited, NULL), "unescaped-dot",
                               CORS_SEVERITY_WARNING,
                               "an unescaped '.' matches any character: a look-alike domain is "
                               "accepted (write \\.)");
            dot_reported = run->attackers->nelts > before;
        }
        if (seg->kind == CORS_SEG_WILD && seg->out_off >= in->host_start &&
            seg->out_off < in->host_end) {
            const char *edited =
                apr_pstrcat(pool, in->prefix, apr_pstrmemdup(pool, s->text, seg->out_off),
                            "evil.attacker", s->text + seg->out_off + seg->out_len, NULL);
            report_if_accepted(run, edited, "wildcard-host", CORS_SEVERITY_WARNING,
                               "a wildcard in the host trusts every host it can reach, at any "
                               "depth: one compromised or taken-over subdomain is enough");
            if (s->text[seg->out_off + seg->out_len] != '.') {
                /* Glued to a label (".*example"): a registrable sibling. */
                edited = apr_pstrcat(pool, in->prefix, apr_pstrmemdup(pool, s->text, seg->out_off),
                                     "evil-", s->text + seg->out_off + seg->out_len, NULL);
                report_if_accepted(run, edited, "sibling-domain", CORS_SEVERITY_WARNING,
                                   "a wildcard glued to the domain name admits sibling domains "
                                   "that anyone can register");
            }
        }
    }

    if (in->origin.scheme_len == 5 && memcmp(in->origin.text, "https", 5) == 0)
        report_if_accepted(run, apr_pstrcat(pool, "http://", host, NULL), "plain-http",
                           CORS_SEVERITY_WARNING,
                           "plain-http origins are accepted too: a network attacker can inject "
                           "script into such a page and read the API through it");
    else if (in->origin.scheme_len == 4 && memcmp(in->origin.text, "http", 4) == 0 &&
             accepts(run->m, in->base)) {
        cors_finding *f = cors_finding_add(
            run->out, CORS_SEVERITY_WARNING, "plain-http", run->pattern, run->source,
            "the pattern allows a plain-http origin: a network attacker can inject script "
            "into that page and read the API through it; use https://");
        f->attacker = in->base;
    }
    if (in->origin.port != cors_scheme_default_port(in->origin.text, in->origin.scheme_len)) {
        /* An explicit port searched without an end anchor: ":3000" also
         * admits ":30001", a different origin (often another local
         * service). The first longer port that is valid and accepted. */
        for (const char *d = "1234567890"; *d; d++) {
            int before = run->attackers->nelts;
            report_if_accepted(run, apr_pstrcat(pool, in->base, apr_pstrmemdup(pool, d, 1), NULL),
                               "port-prefix", CORS_SEVERITY_WARNING,
                               "the port is not pinned: a longer port that starts with the same "
                               "digits is another origin, often another local service");
            if (run->attackers->nelts > before)
                break;
        }
    } else
        report_if_accepted(run, apr_pstrcat(pool, in->base, ":8443", NULL), "any-port",
                           CORS_SEVERITY_INFO,
                           "other ports of the host are accepted: each is a separate origin, "
                           "possibly another service");
}

/* Go RE2 (kube-apiserver) and PCRE2 do not read every construct alike. */
static void check_re2(apr_pool_t *pool, const char *pattern, const char *source,
                      apr_array_header_t *out)
{
    static const struct {
        const char *token;
        const char *what;
    } rejected[] = {
        {"(?=", "look-ahead"},           {"(?!", "negative look-ahead"},
        {"(?<=", "look-behind"},         {"(?<!", "look-behind"},
        {"(?>", "atomic group"},         {"(?|", "branch reset"},
        {"(?(", "conditional"},          {"(?R", "recursion"},
        {"(?#", "comment group"},        {"(*", "verb"},
        {"*+", "possessive quantifier"}, {"++", "possessive quantifier"},
        {"?+", "possessive quantifier"}, {"}+", "possessive quantifier"},
    };
    int in_class = 0;
    for (size_t k = 0; k < sizeof(rejected) / sizeof(rejected[0]); k++) {
        const char *at = strstr(pattern, rejected[k].token);
        if (at != NULL && (at == pattern || at[-1] != '\\'))
            cors_finding_add(
                out, CORS_SEVERITY_WARNING, "re2-incompatible", pattern, source,
                apr_psprintf(pool,
                             "%s (%s): Go RE2 has no such construct, so kube-apiserver refuses "
                             "this pattern while PCRE2 accepts it",
                             rejected[k].what, rejected[k].token));
    }
    for (const char *p = pattern; *p; p++) {
        if (*p == '[' && !in_class) {
            in_class = 1;
            continue;
        }
        if (*p == ']' && in_class) {
            in_class = 0;
            continue;
        }
        if (*p != '\\' || p[1] == '\0')
            continue;
        p++;
        if ((*p >= '1' && *p <= '9') || strchr("gkKRXhHVNGZecu", *p) != NULL)
            cors_finding_add(
                out, CORS_SEVERITY_WARNING, "re2-incompatible", pattern, source,
                apr_psprintf(pool,
                             "\\%c: Go RE2 does not support it (kube-apiserver refuses the "
                             "pattern) or reads it differently from PCRE2",
                             *p));
        else if (*p == 'v')
            cors_finding_add(
                out, CORS_SEVERITY_WARNING, "re2-differs", pattern, source,
                "\\v is a vertical tab in Go RE2 but any vertical whitespace in PCRE2");
    }
    for (const char *p = strstr(pattern, "(?"); p; p = strstr(p + 2, "(?")) {
        for (const char *f = p + 2; *f && *f != ')' && *f != ':'; f++)
            if (strchr("imsU-", *f) == NULL) {
                if (strchr("=!<>|(R#P'", *f) == NULL)
                    cors_finding_add(
                        out, CORS_SEVERITY_WARNING, "re2-incompatible", pattern, source,
                        apr_psprintf(pool, "inline flag '%c': Go RE2 knows only i, m, s and U",
                                     *f));
                break;
            }
    }
}

int cors_lint_unfixable(const char *code)
{
    return strcmp(code, "plain-http") == 0;
}

static void lint_compiled(apr_pool_t *pool, const char *pattern, cors_semantics semantics,
                          cors_regex *regex, const char *source, apr_array_header_t *out,
                          int check_fixes);

/* A suggestion is printed only when the lint finds nothing left in it but
 * what no rewrite can fix without changing the origin (plain http). */
static int suggestion_clean(apr_pool_t *pool, const char *fixed, const matcher *compiled)
{
    apr_array_header_t *again = apr_array_make(pool, 4, sizeof(cors_finding));
    lint_compiled(pool, fixed, compiled->semantics, compiled->regex, NULL, again, 0);
    for (int k = 0; k < again->nelts; k++) {
        const cors_finding *f = &APR_ARRAY_IDX(again, k, cors_finding);
        if (f->severity >= CORS_SEVERITY_WARNING && !cors_lint_unfixable(f->code))
            return 0;
    }
    return 1;
}

/* A fix for the pattern, or NULL: it accepts the intended origin, rejects
 * every attacker found and, re-linted, is clean. */
static const char *verified_fix(apr_pool_t *pool, const char *fixed, const cors_intended *in,
                                cors_semantics semantics, apr_array_header_t *attackers,
                                matcher *compiled)
{
    if (fixed == NULL || !compile_for(pool, fixed, semantics, compiled) ||
        !suggestion_works(pool, compiled, in, attackers) ||
        !suggestion_clean(pool, fixed, compiled))
        return NULL;
    return fixed;
}

/* The lint of a pattern already compiled with the target's semantics: the
 * policy's rules bring their own, so start-up compiles each pattern once.
 * check_fixes: suggest fixes, each verified by linting it in turn. */
static void lint_compiled(apr_pool_t *pool, const char *pattern, cors_semantics semantics,
                          cors_regex *regex, const char *source, apr_array_header_t *out,
                          int check_fixes)
{
    matcher m = {semantics, regex};
    cors_intended *in;
    lint_run run;
    int derived;

    if (semantics == CORS_SEMANTICS_KUBE) {
        int pin_start = strchr(pattern, '^') != NULL || strstr(pattern, "//") != NULL;
        int pin_end = strchr(pattern, '$') != NULL || strchr(pattern, ':') != NULL;
        if (!pin_start || !pin_end)
            cors_finding_add(
                out, CORS_SEVERITY_WARNING, "kube-validation", pattern, source,
                "kube-apiserver 1.27 and later refuse to start with this pattern: it must "
                "contain '^' or '//' and '$' or ':'");
        check_re2(pool, pattern, source, out);
    }

    in = apr_pcalloc(pool, sizeof(*in));
    run.pool = pool;
    run.m = &m;
    run.in = in;
    run.pattern = pattern;
    run.source = source;
    run.out = out;
    run.attackers = apr_array_make(pool, 4, sizeof(const char *));
    run.first = out->nelts;

    report_if_accepted(&run, "https://evil.example", "match-all", CORS_SEVERITY_WARNING,
                       "the pattern accepts unrelated origins: any site can call the API with "
                       "the user's credentials");
    if (semantics == CORS_SEMANTICS_KUBE &&
        cors_regex_match(m.regex, "null", 4) == CORS_REGEX_MATCH) {
        cors_finding *f = cors_finding_add(
            out, CORS_SEVERITY_WARNING, "matches-null", pattern, source,
            "kube-apiserver accepts the opaque origin null with this pattern (any sandboxed "
            "iframe or data: page sends it); the gateway never does");
        f->attacker = "null";
    }

    if (run.attackers->nelts > 0)
        return; /* accepting anything: the rest would only restate it */
    derived = cors_sample_derive(pattern, in);
    if (!derived) {
        if (run.attackers->nelts == 0)
            cors_finding_add(
                out, CORS_SEVERITY_INFO, "not-analysed", pattern, source,
                "could not derive the origin this pattern is meant for; bypasses were not "
                "searched");
        return;
    }
    if (!accepts(&m, in->base)) {
        cors_finding *f = cors_finding_add(
            out, CORS_SEVERITY_WARNING, "never-matches", pattern, source,
            semantics == CORS_SEMANTICS_WHOLE
                ? "the pattern does not match the origin it seems meant for; origins are "
                  "matched whole, lower-case, without a default port"
                : "the pattern does not match the origin it seems meant for");
        f->attacker = NULL;
        if (check_fixes) {
            matcher compiled;
            f->suggestion = verified_fix(
                pool,
                semantics == CORS_SEMANTICS_KUBE
                    ? apr_pstrcat(pool, "^", cors_regex_escape(pool, in->base), "$", NULL)
                    : cors_regex_escape(pool, in->base),
                in, semantics, run.attackers, &compiled);
        }
        return;
    }
    attack_derived(&run);

    if (check_fixes && run.attackers->nelts > 0) {
        matcher compiled;
        const char *fixed = verified_fix(pool, suggest(pool, in, semantics), in, semantics,
                                         run.attackers, &compiled);
        /* Each finding the fix closes carries it (plain http on an http
         * origin stays open: only the origin's owner can move it). */
        for (int k = run.first; fixed != NULL && k < out->nelts; k++) {
            cors_finding *f = &APR_ARRAY_IDX(out, k, cors_finding);
            if (f->attacker != NULL && f->severity >= CORS_SEVERITY_WARNING &&
                !accepts(&compiled, f->attacker))
                f->suggestion = fixed;
        }
    }
}

void cors_lint_compiled(apr_pool_t *pool, const char *pattern, cors_semantics semantics,
                        cors_regex *regex, const char *source, apr_array_header_t *out)
{
    lint_compiled(pool, pattern, semantics, regex, source, out, 1);
}

void cors_lint_pattern(apr_pool_t *pool, const char *pattern, cors_semantics semantics,
                       const char *source, apr_array_header_t *out)
{
    cors_regex *regex;
    const char *error = semantics == CORS_SEMANTICS_KUBE
                            ? cors_regex_compile_search(pool, pattern, &regex)
                            : cors_regex_compile(pool, pattern, &regex);
    if (error != NULL)
        cors_finding_add(out, CORS_SEVERITY_ERROR, "invalid-regex", pattern, source, error);
    else
        lint_compiled(pool, pattern, semantics, regex, source, out, 1);
}

void cors_lint_origin(apr_pool_t *pool, const char *origin, const char *source,
                      apr_array_header_t *out)
{
    (void)pool;
    if (strcmp(origin, "*") == 0) {
        cors_finding_add(
            out, CORS_SEVERITY_WARNING, "match-all", origin, source,
            "every origin is allowed: any site can call the API (without credentials); list "
            "the origins instead");
    } else if (strcmp(origin, "null") == 0) {
        cors_finding_add(
            out, CORS_SEVERITY_WARNING, "null-origin", origin, source,
            "the opaque origin null is allowed: any sandboxed iframe or data: page has it");
    } else if (strncasecmp(origin, "http://", 7) == 0) {
        cors_finding_add(
            out, CORS_SEVERITY_WARNING, "plain-http", origin, source,
            "a plain-http origin is allowed: a network attacker can inject script into that "
            "page and read the API through it; use https://");
    }
}
