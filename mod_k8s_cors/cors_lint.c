/*
 * Configuration lint.
 *
 * For a pattern, we first derive the origin it is meant to accept (a
 * "sample": the first workable alternative of each group, one repetition of
 * each repeated item, `.` taken as the dot its author probably meant), then
 * build attacker origins from it (a suffix domain, a sibling label, the dot
 * replaced, plain http, a foreign host, deeper subdomains) and keep those
 * the pattern really accepts, under the target's matching semantics. Every
 * reported attacker origin has been matched; nothing is guessed.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <string.h>
#include <strings.h>

#include <apr_strings.h>

#include "cors_lint.h"

#define SAMPLE_MAX       CORS_ORIGIN_MAX_LEN
#define MAX_SEGMENTS     256
#define MAX_ALTERNATIONS 6

/* ---- the sample generator ---------------------------------------------------- */

typedef enum {
    SEG_LITERAL, /* a literal character */
    SEG_DOT,     /* an unescaped `.`, emitted as '.' */
    SEG_WILD,    /* `.*` / `.+`: any run of characters */
    SEG_CLASS,   /* a character class or \d \w, with its quantifier */
} segment_kind;

typedef struct {
    segment_kind kind;
    size_t out_off, out_len;
    const char *src; /* the pattern text that produced it (classes) */
    size_t src_len;
} segment;

typedef struct {
    const char *pattern;
    char text[SAMPLE_MAX + 1];
    size_t len;
    segment segs[MAX_SEGMENTS];
    int nsegs;
    int unsupported;
    /* Which alternative to take at the k-th alternation met, so that the
     * caller can retry when the first choice gives no origin. */
    int choice[MAX_ALTERNATIONS];
    int alternations;
} sample;

static void emit(sample *s, segment_kind kind, const char *chars, size_t n, const char *src,
                 size_t src_len)
{
    segment *seg;
    if (s->len + n > SAMPLE_MAX || s->nsegs == MAX_SEGMENTS) {
        s->unsupported = 1;
        return;
    }
    seg = &s->segs[s->nsegs++];
    seg->kind = kind;
    seg->out_off = s->len;
    seg->out_len = n;
    seg->src = src;
    seg->src_len = src_len;
    memcpy(s->text + s->len, chars, n);
    s->len += n;
}

/* End of the group starting at p[i] == '(' (index of its ')'), or 0. */
static size_t group_end(const char *p, size_t i, size_t end)
{
    int depth = 0, in_class = 0;
    for (; i < end; i++) {
        if (p[i] == '\\') {
            i++;
        } else if (in_class) {
            if (p[i] == ']')
                in_class = 0;
        } else if (p[i] == '[') {
            in_class = 1;
            if (i + 1 < end && p[i + 1] == '^')
                i++;
            if (i + 1 < end && p[i + 1] == ']')
                i++;
        } else if (p[i] == '(') {
            depth++;
        } else if (p[i] == ')') {
            if (--depth == 0)
                return i;
        }
    }
    return 0;
}

/* End of the class starting at p[i] == '[' (index of its ']'), or 0. */
static size_t class_end(const char *p, size_t i, size_t end)
{
    i++;
    if (i < end && p[i] == '^')
        i++;
    if (i < end && p[i] == ']')
        i++;
    for (; i < end; i++) {
        if (p[i] == '\\')
            i++;
        else if (p[i] == '[' && i + 1 < end && p[i + 1] == ':') {
            const char *close = strstr(p + i, ":]");
            if (close == NULL || (size_t)(close - p) >= end)
                return 0;
            i = (size_t)(close - p) + 1;
        } else if (p[i] == ']')
            return i;
    }
    return 0;
}

/* Does the class p[start..stop] (brackets included) accept c? */
static int class_accepts(const char *p, size_t start, size_t stop, char c)
{
    size_t i = start + 1;
    int negated = 0, hit = 0;
    if (p[i] == '^') {
        negated = 1;
        i++;
    }
    for (int first = 1; i < stop; first = 0) {
        char lo = p[i], hi;
        if (lo == '[' && p[i + 1] == ':') {
            const char *name = p + i + 2;
            if (strncmp(name, "alpha:", 6) == 0)
                hit |= (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
            else if (strncmp(name, "digit:", 6) == 0)
                hit |= c >= '0' && c <= '9';
            else if (strncmp(name, "alnum:", 6) == 0 || strncmp(name, "word:", 5) == 0)
                hit |= (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
            else if (strncmp(name, "lower:", 6) == 0)
                hit |= c >= 'a' && c <= 'z';
            i = (size_t)(strstr(p + i, ":]") - p) + 2;
            continue;
        }
        if (lo == '\\') {
            char e = p[i + 1];
            i += 2;
            if (e == 'd')
                hit |= c >= '0' && c <= '9';
            else if (e == 'w')
                hit |= (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       c == '_';
            else
                hit |= c == e;
            continue;
        }
        (void)first;
        i++;
        if (p[i] == '-' && i + 1 < stop && p[i + 1] != ']') {
            hi = p[i + 1];
            i += 2;
            hit |= c >= lo && c <= hi;
        } else {
            hit |= c == lo;
        }
    }
    return negated ? !hit : hit;
}

/* How many times a quantifier at p[*i] repeats the item: min, with * and
 * + read as given by many/plus. Advances *i past it (and a lazy or
 * possessive suffix). Returns -1 when there is no quantifier. */
static int quantifier(const char *p, size_t *i, size_t end, int star, int question)
{
    int count;
    if (*i >= end)
        return -1;
    switch (p[*i]) {
    case '*':
        count = star;
        (*i)++;
        break;
    case '+':
        count = 1;
        (*i)++;
        break;
    case '?':
        count = question;
        (*i)++;
        break;
    case '{': {
        size_t k = *i + 1;
        int n = 0, digits = 0;
        while (k < end && p[k] >= '0' && p[k] <= '9' && n < 1000) {
            n = n * 10 + (p[k++] - '0');
            digits++;
        }
        if (!digits)
            return -1; /* a literal '{' */
        while (k < end && p[k] != '}')
            k++;
        if (k == end)
            return -1;
        *i = k + 1;
        count = n == 0 && star ? 1 : n;
        break;
    }
    default:
        return -1;
    }
    if (*i < end && (p[*i] == '?' || p[*i] == '+'))
        (*i)++;
    return count;
}

static void generate(sample *s, size_t start, size_t end);

/* One alternative p[start..end) (no top-level '|'). */
static void generate_sequence(sample *s, size_t start, size_t end)
{
    const char *p = s->pattern;
    size_t i = start;

    while (i < end && !s->unsupported) {
        size_t item = i, mark_len = s->len;
        int mark_segs = s->nsegs, count;
        char c = p[i];

        if (c == '^' || c == '$') {
            i++;
            continue;
        }
        if (c == '\\') {
            char e = i + 1 < end ? p[i + 1] : '\0';
            i += 2;
            if (strchr("AzZbBG", e) != NULL && e != '\0')
                continue; /* anchors and assertions emit nothing */
            if (e == 'd' || e == 'w') {
                count = quantifier(p, &i, end, 1, 0);
                for (int k = 0; k < (count < 0 ? 1 : count); k++)
                    emit(s, SEG_CLASS, e == 'd' ? "1" : "a", 1, p + item, i - item);
                continue;
            }
            if ((e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z') || (e >= '0' && e <= '9') ||
                e == '\0') {
                s->unsupported = 1; /* \s, \n, back-references...: not an origin */
                return;
            }
            count = quantifier(p, &i, end, 0, 1);
            for (int k = 0; k < (count < 0 ? 1 : count); k++)
                emit(s, SEG_LITERAL, &e, 1, p + item, 2);
            continue;
        }
        if (c == '.') {
            i++;
            count = quantifier(p, &i, end, 1, 0);
            if (count < 0)
                emit(s, SEG_DOT, ".", 1, p + item, 1);
            else if (count > 0)
                emit(s, SEG_WILD, "a", 1, p + item, i - item);
            continue;
        }
        if (c == '[') {
            size_t stop = class_end(p, i, end);
            const char *reps = "abcdefghijklmnopqrstuvwxyz0123456789-._";
            char rep = '\0';
            if (stop == 0) {
                s->unsupported = 1;
                return;
            }
            for (const char *r = reps; *r; r++)
                if (class_accepts(p, i, stop, *r)) {
                    rep = *r;
                    break;
                }
            i = stop + 1;
            count = quantifier(p, &i, end, 1, 0);
            if (rep == '\0') {
                s->unsupported = 1;
                return;
            }
            for (int k = 0; k < (count < 0 ? 1 : count); k++)
                emit(s, SEG_CLASS, &rep, 1, p + item, i - item);
            continue;
        }
        if (c == '(') {
            size_t close = group_end(p, i, end), inner = i + 1;
            if (close == 0) {
                s->unsupported = 1;
                return;
            }
            if (p[inner] == '?') {
                if (p[inner + 1] == ':' || p[inner + 1] == '>') {
                    inner += 2;
                } else if (p[inner + 1] == 'P' || p[inner + 1] == '<' || p[inner + 1] == '\'') {
                    if (p[inner + 2] == '=' || p[inner + 2] == '!') {
                        s->unsupported = 1; /* look-behind */
                        return;
                    }
                    while (inner < close && p[inner] != '>' && p[inner] != '\'')
                        inner++;
                    inner++;
                } else {
                    /* (?i) and other inline options: skip; (?= (?! and the
                     * rest: no origin to derive. */
                    size_t k = inner + 1;
                    while (k < close && strchr("imsxnUJ-^", p[k]) != NULL)
                        k++;
                    if (k == close) {
                        i = close + 1;
                        continue;
                    }
                    if (p[k] != ':') {
                        s->unsupported = 1;
                        return;
                    }
                    inner = k + 1;
                }
            } else if (p[inner] == '*') {
                s->unsupported = 1; /* (*VERB) */
                return;
            }
            generate(s, inner, close);
            i = close + 1;
            count = quantifier(p, &i, end, 0, 0);
            if (count == 0) {
                s->len = mark_len;
                s->nsegs = mark_segs;
            }
            continue;
        }
        if (c == ')' || c == '*' || c == '+' || c == '?') {
            s->unsupported = 1;
            return;
        }
        i++;
        count = quantifier(p, &i, end, 0, 1);
        for (int k = 0; k < (count < 0 ? 1 : count); k++)
            emit(s, SEG_LITERAL, &c, 1, p + item, 1);
    }
}

/* p[start..end): alternatives separated by top-level '|'. */
static void generate(sample *s, size_t start, size_t end)
{
    const char *p = s->pattern;
    size_t alt_start[16], alt_end[16];
    int n = 0, depth = 0, in_class = 0, which = 0;

    alt_start[0] = start;
    for (size_t i = start; i < end; i++) {
        if (p[i] == '\\') {
            i++;
        } else if (in_class) {
            if (p[i] == ']')
                in_class = 0;
        } else if (p[i] == '[') {
            size_t stop = class_end(p, i, end);
            if (stop == 0) {
                s->unsupported = 1;
                return;
            }
            i = stop;
        } else if (p[i] == '(') {
            depth++;
        } else if (p[i] == ')') {
            depth--;
        } else if (p[i] == '|' && depth == 0) {
            if (n == 15) {
                s->unsupported = 1;
                return;
            }
            alt_end[n++] = i;
            alt_start[n] = i + 1;
        }
    }
    alt_end[n++] = end;
    if (n > 1) {
        int k = s->alternations++;
        if (k < MAX_ALTERNATIONS)
            which = s->choice[k] % n;
    }
    generate_sequence(s, alt_start[which], alt_end[which]);
}

/* The sample as a candidate origin: what a browser would send for it. The
 * scheme is added when the pattern does not spell it (kube's own examples
 * begin with "//"). Returns NULL when no origin comes out. */
typedef struct {
    sample s;
    const char *prefix; /* added before the sample */
    const char *base;   /* prefix + sample */
    cors_origin origin; /* base parsed */
    size_t host_start;  /* in the sample */
    size_t host_end;
} intended;

static int derive(const char *pattern, intended *in)
{
    const char *sep;
    /* Try the alternatives in turn until one gives an origin. */
    for (int attempt = 0; attempt < 64; attempt++) {
        memset(&in->s, 0, sizeof(in->s));
        in->s.pattern = pattern;
        for (int k = 0; k < MAX_ALTERNATIONS; k++)
            in->s.choice[k] = (attempt >> k) & 1;
        generate(&in->s, 0, strlen(pattern));
        if (in->s.unsupported)
            return 0;
        in->s.text[in->s.len] = '\0';
        sep = strstr(in->s.text, "://");
        if (sep == in->s.text) {
            in->prefix = "https"; /* "://host": the scheme left open */
            in->host_start = 3;
        } else if (sep != NULL) {
            in->prefix = "";
            in->host_start = (size_t)(sep - in->s.text) + 3;
        } else if (strncmp(in->s.text, "//", 2) == 0) {
            in->prefix = "https:";
            in->host_start = 2;
        } else {
            in->prefix = "https://";
            in->host_start = 0;
        }
        in->host_end = in->host_start;
        while (in->host_end < in->s.len && in->s.text[in->host_end] != ':')
            in->host_end++;
        in->base = NULL;
        {
            char buf[SAMPLE_MAX + 16];
            size_t plen = strlen(in->prefix);
            if (plen + in->s.len >= sizeof(buf))
                return 0;
            memcpy(buf, in->prefix, plen);
            memcpy(buf + plen, in->s.text, in->s.len + 1);
            if (cors_origin_parse(buf, strlen(buf), &in->origin) == CORS_ORIGIN_OK) {
                in->base = in->origin.text;
                return 1;
            }
        }
        if (in->s.alternations == 0)
            return 0;
    }
    return 0;
}

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

static cors_finding *add(apr_array_header_t *out, cors_severity severity, const char *code,
                         const char *subject, const char *source, const char *message)
{
    cors_finding *f = apr_array_push(out);
    memset(f, 0, sizeof(*f));
    f->severity = severity;
    f->code = code;
    f->subject = subject;
    f->source = source;
    f->message = message;
    return f;
}

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
 * module (which anchors itself). */
static const char *suggest(apr_pool_t *pool, const intended *in, cors_semantics semantics)
{
    const sample *s = &in->s;
    const char *out = semantics == CORS_SEMANTICS_KUBE ? "^" : "";
    int port_seen = 0;
    out = apr_pstrcat(pool, out, cors_regex_escape(pool, in->prefix), NULL);
    for (int k = 0; k < s->nsegs; k++) {
        const segment *seg = &s->segs[k];
        const char *piece;
        char c = s->text[seg->out_off];
        if (seg->out_off >= in->host_end)
            port_seen = 1;
        switch (seg->kind) {
        case SEG_LITERAL:
        case SEG_DOT:
            piece = cors_regex_escape(pool, apr_pstrmemdup(pool, &c, 1));
            break;
        case SEG_WILD:
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
        case SEG_CLASS:
        default:
            piece = apr_pstrmemdup(pool, seg->src, seg->src_len);
            break;
        }
        out = apr_pstrcat(pool, out, piece, NULL);
    }
    if (in->prefix[0] == '\0' && strncmp(s->text, "http://", 7) == 0)
        return NULL; /* an http pattern: the fix is a decision, not a rewrite */
    return semantics == CORS_SEMANTICS_KUBE ? apr_pstrcat(pool, out, "$", NULL) : out;
}

/* The intended origin without wildcards glued to a label: for
 * "https://.*example\.com" the apex "https://example.com". */
static const char *without_glued(apr_pool_t *pool, const intended *in)
{
    const sample *s = &in->s;
    char *out = apr_palloc(pool, s->len + 1), *o = out;
    size_t next = 0;
    for (int k = 0; k < s->nsegs; k++) {
        const segment *seg = &s->segs[k];
        size_t after = seg->out_off + seg->out_len;
        if (seg->kind == SEG_WILD && after < in->host_end && s->text[after] != '.') {
            memcpy(o, s->text + next, seg->out_off - next);
            o += seg->out_off - next;
            next = after;
        }
    }
    memcpy(o, s->text + next, s->len - next);
    o[s->len - next] = '\0';
    return apr_pstrcat(pool, in->prefix, out, NULL);
}

static int suggestion_works(apr_pool_t *pool, const char *suggestion, cors_semantics semantics,
                            const intended *in, apr_array_header_t *attackers)
{
    matcher fixed = {semantics, NULL};
    const char *error = semantics == CORS_SEMANTICS_KUBE
                            ? cors_regex_compile_search(pool, suggestion, &fixed.regex)
                            : cors_regex_compile(pool, suggestion, &fixed.regex);
    if (error != NULL || !(accepts(&fixed, in->base) || accepts(&fixed, without_glued(pool, in))))
        return 0;
    for (int k = 0; k < attackers->nelts; k++)
        if (accepts(&fixed, APR_ARRAY_IDX(attackers, k, const char *)))
            return 0;
    return 1;
}

/* "scheme://" + host-part-of-sample with edits + rest, as one candidate. */
static const char *candidate(apr_pool_t *pool, const intended *in, const char *host_before,
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
    const intended *in;
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
    f = add(run->out, severity, code, run->pattern, run->source, message);
    f->attacker = attacker;
    APR_ARRAY_PUSH(run->attackers, const char *) = attacker;
}

static const char *host_of(apr_pool_t *pool, const intended *in)
{
    const cors_origin *o = &in->origin;
    return apr_pstrmemdup(pool, o->text + o->host_off, o->host_len);
}

static int host_starts_literal(const intended *in)
{
    for (int k = 0; k < in->s.nsegs; k++)
        if (in->s.segs[k].out_off == in->host_start)
            return in->s.segs[k].kind == SEG_LITERAL || in->s.segs[k].kind == SEG_DOT;
    return 1;
}

static void attack_derived(lint_run *run)
{
    apr_pool_t *pool = run->pool;
    const intended *in = run->in;
    const char *host = host_of(pool, in);
    const sample *s = &in->s;

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
        const segment *seg = &s->segs[k];
        if (seg->kind == SEG_DOT && !dot_reported && seg->out_off >= in->host_start &&
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
        if (seg->kind == SEG_WILD && seg->out_off >= in->host_start &&
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
        cors_finding *f =
            add(run->out, CORS_SEVERITY_WARNING, "plain-http", run->pattern, run->source,
                "the pattern allows a plain-http origin: a network attacker can inject script "
                "into that page and read the API through it; use https://");
        f->attacker = in->base;
    }
    if (in->origin.port == cors_scheme_default_port(in->origin.text, in->origin.scheme_len))
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
            add(out, CORS_SEVERITY_WARNING, "re2-incompatible", pattern, source,
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
            add(out, CORS_SEVERITY_WARNING, "re2-incompatible", pattern, source,
                apr_psprintf(pool,
                             "\\%c: Go RE2 does not support it (kube-apiserver refuses the "
                             "pattern) or reads it differently from PCRE2",
                             *p));
        else if (*p == 'v')
            add(out, CORS_SEVERITY_WARNING, "re2-differs", pattern, source,
                "\\v is a vertical tab in Go RE2 but any vertical whitespace in PCRE2");
    }
    for (const char *p = strstr(pattern, "(?"); p; p = strstr(p + 2, "(?")) {
        for (const char *f = p + 2; *f && *f != ')' && *f != ':'; f++)
            if (strchr("imsU-", *f) == NULL) {
                if (strchr("=!<>|(R#P'", *f) == NULL)
                    add(out, CORS_SEVERITY_WARNING, "re2-incompatible", pattern, source,
                        apr_psprintf(pool, "inline flag '%c': Go RE2 knows only i, m, s and U",
                                     *f));
                break;
            }
    }
}

/* The lint of a pattern already compiled with the target's semantics: the
 * policy's rules bring their own, so start-up compiles each pattern once. */
static void lint_compiled(apr_pool_t *pool, const char *pattern, cors_semantics semantics,
                          cors_regex *regex, const char *source, apr_array_header_t *out)
{
    matcher m = {semantics, regex};
    intended *in;
    lint_run run;
    int derived;

    if (semantics == CORS_SEMANTICS_KUBE) {
        int pin_start = strchr(pattern, '^') != NULL || strstr(pattern, "//") != NULL;
        int pin_end = strchr(pattern, '$') != NULL || strchr(pattern, ':') != NULL;
        if (!pin_start || !pin_end)
            add(out, CORS_SEVERITY_WARNING, "kube-validation", pattern, source,
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
        cors_finding *f =
            add(out, CORS_SEVERITY_WARNING, "matches-null", pattern, source,
                "kube-apiserver accepts the opaque origin null with this pattern (any sandboxed "
                "iframe or data: page sends it); the gateway never does");
        f->attacker = "null";
    }

    if (run.attackers->nelts > 0)
        return; /* accepting anything: the rest would only restate it */
    derived = derive(pattern, in);
    if (!derived) {
        if (run.attackers->nelts == 0)
            add(out, CORS_SEVERITY_INFO, "not-analysed", pattern, source,
                "could not derive the origin this pattern is meant for; bypasses were not "
                "searched");
        return;
    }
    if (!accepts(&m, in->base)) {
        cors_finding *f =
            add(out, CORS_SEVERITY_WARNING, "never-matches", pattern, source,
                semantics == CORS_SEMANTICS_WHOLE
                    ? "the pattern does not match the origin it seems meant for; origins are "
                      "matched whole, lower-case, without a default port"
                    : "the pattern does not match the origin it seems meant for");
        f->attacker = NULL;
        f->suggestion = semantics == CORS_SEMANTICS_KUBE
                            ? apr_pstrcat(pool, "^", cors_regex_escape(pool, in->base), "$", NULL)
                            : cors_regex_escape(pool, in->base);
        return;
    }
    attack_derived(&run);

    if (run.attackers->nelts > 0) {
        const char *fixed = suggest(pool, in, semantics);
        if (fixed != NULL && suggestion_works(pool, fixed, semantics, in, run.attackers))
            for (int k = run.first; k < out->nelts; k++) {
                cors_finding *f = &APR_ARRAY_IDX(out, k, cors_finding);
                if (f->attacker != NULL && f->severity >= CORS_SEVERITY_WARNING &&
                    strcmp(f->code, "plain-http") != 0)
                    f->suggestion = fixed;
            }
    }
}

void cors_lint_pattern(apr_pool_t *pool, const char *pattern, cors_semantics semantics,
                       const char *source, apr_array_header_t *out)
{
    cors_regex *regex;
    const char *error = semantics == CORS_SEMANTICS_KUBE
                            ? cors_regex_compile_search(pool, pattern, &regex)
                            : cors_regex_compile(pool, pattern, &regex);
    if (error != NULL)
        add(out, CORS_SEVERITY_ERROR, "invalid-regex", pattern, source, error);
    else
        lint_compiled(pool, pattern, semantics, regex, source, out);
}

void cors_lint_origin(apr_pool_t *pool, const char *origin, const char *source,
                      apr_array_header_t *out)
{
    (void)pool;
    if (strcmp(origin, "*") == 0) {
        add(out, CORS_SEVERITY_WARNING, "match-all", origin, source,
            "every origin is allowed: any site can call the API (without credentials); list "
            "the origins instead");
    } else if (strcmp(origin, "null") == 0) {
        add(out, CORS_SEVERITY_WARNING, "null-origin", origin, source,
            "the opaque origin null is allowed: any sandboxed iframe or data: page has it");
    } else if (strncasecmp(origin, "http://", 7) == 0) {
        add(out, CORS_SEVERITY_WARNING, "plain-http", origin, source,
            "a plain-http origin is allowed: a network attacker can inject script into that "
            "page and read the API through it; use https://");
    }
}

static void lint_settings(apr_pool_t *pool, const cors_settings *settings, const char *subject,
                          apr_array_header_t *out)
{
    if (settings->max_age != CORS_UNSET && settings->max_age > CORS_MAX_AGE_CHROMIUM) {
        cors_finding *f =
            add(out, CORS_SEVERITY_WARNING, "max-age-capped", subject, settings->max_age_source,
                apr_psprintf(pool,
                             "max-age %ld is more than browsers honour (Chromium caps it at "
                             "%ld s, Firefox at %ld s)",
                             settings->max_age, CORS_MAX_AGE_CHROMIUM, CORS_MAX_AGE_FIREFOX));
        f->strict_exempt = 1; /* harmless: browsers just cache for less long */
    }
}

apr_array_header_t *cors_lint_policy(apr_pool_t *pool, const cors_policy *policy)
{
    apr_array_header_t *out = apr_array_make(pool, 8, sizeof(cors_finding));
    lint_settings(pool, &policy->settings, "K8sCorsMaxAge", out);
    if (!policy->has_origins)
        return out;
    for (int k = 0; k < policy->rules->nelts; k++) {
        const cors_rule *rule = APR_ARRAY_IDX(policy->rules, k, const cors_rule *);
        switch (rule->kind) {
        case CORS_RULE_EXACT:
        case CORS_RULE_ANY:
        case CORS_RULE_NULL:
            cors_lint_origin(pool, rule->text, rule->source, out);
            break;
        case CORS_RULE_REGEX:
            lint_compiled(pool, rule->text, CORS_SEMANTICS_WHOLE, rule->regex, rule->source, out);
            break;
        case CORS_RULE_KUBE:
            lint_compiled(pool, rule->text, CORS_SEMANTICS_KUBE, rule->regex, rule->source, out);
            break;
        }
        if (rule->settings != NULL)
            lint_settings(pool, rule->settings, rule->text, out);
        /* `*` is a wildcard only for requests without credentials (Fetch). */
        if (cors_effective_credentials(policy, rule)) {
            if (cors_effective_methods(policy, rule)->wildcard ||
                cors_effective_headers(policy, rule)->wildcard)
                add(out, CORS_SEVERITY_INFO, "wildcard-answered-by-name", rule->text, rule->source,
                    "credentials are on, so `*` in K8sCorsAllowMethods or K8sCorsAllowHeaders is "
                    "answered with the method and header names each preflight asks for "
                    "(browsers read a literal * as a name on credentialed requests); "
                    "Authorization must still be listed by name");
            if (cors_effective_expose(policy, rule)->wildcard)
                add(out, CORS_SEVERITY_WARNING, "wildcard-expose-credentials", rule->text,
                    rule->source,
                    "credentials are on, so K8sCorsExposeHeaders * exposes no header to "
                    "credentialed requests (browsers read it as the name *); list the names");
        }
    }
    return out;
}

cors_severity cors_finding_effective_severity(const cors_finding *finding, int strict)
{
    if (strict && finding->severity == CORS_SEVERITY_WARNING && !finding->strict_exempt)
        return CORS_SEVERITY_ERROR;
    return finding->severity;
}

const char *cors_severity_name(cors_severity severity)
{
    switch (severity) {
    case CORS_SEVERITY_INFO:
        return "info";
    case CORS_SEVERITY_WARNING:
        return "warning";
    case CORS_SEVERITY_ERROR:
        return "error";
    }
    return "unknown";
}

const char *cors_finding_format(apr_pool_t *pool, const cors_finding *f, int strict)
{
    const char *line = apr_psprintf(pool, "%s%s%s: \"%s\": %s [%s]", f->source ? f->source : "",
                                    f->source ? ": " : "",
                                    cors_severity_name(cors_finding_effective_severity(f, strict)),
                                    f->subject, f->message, f->code);
    if (f->attacker)
        line = apr_pstrcat(pool, line, "; accepts ", f->attacker, NULL);
    if (f->suggestion)
        line = apr_pstrcat(pool, line, "; suggested: ", f->suggestion, NULL);
    return line;
}
