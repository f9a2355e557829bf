/*
 * Reading the origin a pattern is meant for. The pattern is walked item by
 * item (literal, escape, `.`, class, group) and each item emits the text
 * it most plausibly stands for, recording where it came from so that the
 * lint can later edit one piece (replace a dot, widen a wildcard).
 */
#include <string.h>

#include <apr_lib.h>

#include "cors_lint_sample.h"
#include "cors_pattern.h"

static void emit(cors_sample *s, cors_segment_kind kind, const char *chars, size_t n,
                 const char *src, size_t src_len)
{
    cors_segment *seg;
    if (s->len + n > CORS_SAMPLE_MAX || s->nsegs == CORS_SAMPLE_MAX_SEGMENTS) {
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
    size_t past = cors_pattern_group_end(p, i);
    return past != 0 && past <= end ? past - 1 : 0;
}

/* End of the class starting at p[i] == '[' (index of its ']'), or 0; 0
 * too for a class holding \c (a control character: no origin has one). */
static size_t class_end(const char *p, size_t i, size_t end)
{
    size_t past = cors_pattern_class_end(p, i);
    for (size_t k = i; k + 1 < past; k++)
        if (p[k] == '\\' && p[++k] == 'c')
            return 0;
    return past != 0 && past <= end ? past - 1 : 0;
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
    while (i < stop) {
        char lo = p[i], hi;
        const char *close = lo == '[' && p[i + 1] == ':' ? strstr(p + i + 2, ":]") : NULL;
        if (close != NULL && (size_t)(close - p) < stop) { /* [:name:] */
            const char *name = p + i + 2;
            if (strncmp(name, "alpha:", 6) == 0)
                hit |= apr_isalpha(c);
            else if (strncmp(name, "digit:", 6) == 0)
                hit |= apr_isdigit(c);
            else if (strncmp(name, "alnum:", 6) == 0 || strncmp(name, "word:", 5) == 0)
                hit |= apr_isalnum(c);
            else if (strncmp(name, "lower:", 6) == 0)
                hit |= apr_islower(c);
            i = (size_t)(close - p) + 2;
            continue;
        }
        if (lo == '\\') {
            char e = p[i + 1];
            i += 2;
            if (e == 'd')
                hit |= apr_isdigit(c);
            else if (e == 'w')
                hit |= apr_isalnum(c) || c == '_';
            else
                hit |= c == e;
            continue;
        }
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
        while (k < end && apr_isdigit(p[k]) && n < 1000) {
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

static void generate(cors_sample *s, size_t start, size_t end);

/* The pattern says nothing the generator can turn into an origin. */
static size_t give_up(cors_sample *s, size_t end)
{
    s->unsupported = 1;
    return end;
}

/* An item emitted as often as its quantifier asks (once without one). */
static void emit_repeated(cors_sample *s, cors_segment_kind kind, char c, int count,
                          const char *src, size_t src_len)
{
    for (int k = 0; k < (count < 0 ? 1 : count); k++)
        emit(s, kind, &c, 1, src, src_len);
}

/* A backslash item at p[i]. Returns the index after it. */
static size_t read_escape(cors_sample *s, size_t i, size_t end)
{
    const char *p = s->pattern;
    size_t item = i;
    char e = i + 1 < end ? p[i + 1] : '\0';
    int count;

    i += 2;
    if (e != '\0' && strchr("AzZbBG", e) != NULL)
        return i; /* anchors and assertions emit nothing */
    if (e == 'd' || e == 'w') {
        count = quantifier(p, &i, end, 1, 0);
        emit_repeated(s, CORS_SEG_CLASS, e == 'd' ? '1' : 'a', count, p + item, i - item);
        return i;
    }
    if (apr_isalnum(e) || e == '\0')
        return give_up(s, end); /* \s, \n, back-references...: not an origin */
    count = quantifier(p, &i, end, 0, 1);
    emit_repeated(s, CORS_SEG_LITERAL, e, count, p + item, 2);
    return i;
}

/* An unescaped `.` at p[i]: alone, the dot its author probably meant;
 * repeated (`.*`, `.+`), a wildcard. */
static size_t read_dot(cors_sample *s, size_t i, size_t end)
{
    const char *p = s->pattern;
    size_t item = i++;
    int count = quantifier(p, &i, end, 1, 0);

    if (count < 0)
        emit(s, CORS_SEG_DOT, ".", 1, p + item, 1);
    else if (count > 0)
        emit(s, CORS_SEG_WILD, "a", 1, p + item, i - item);
    return i;
}

/* A character class at p[i], emitted as the first host character it
 * accepts. */
static size_t read_class(cors_sample *s, size_t i, size_t end)
{
    static const char representatives[] = "abcdefghijklmnopqrstuvwxyz0123456789-._";
    const char *p = s->pattern;
    size_t item = i, stop = class_end(p, i, end);
    char rep = '\0';
    int count;

    if (stop == 0)
        return give_up(s, end);
    for (const char *r = representatives; *r && rep == '\0'; r++)
        if (class_accepts(p, i, stop, *r))
            rep = *r;
    i = stop + 1;
    count = quantifier(p, &i, end, 1, 0);
    if (rep == '\0')
        return give_up(s, end);
    emit_repeated(s, CORS_SEG_CLASS, rep, count, p + item, i - item);
    return i;
}

/* Where the body of the group p[open] == '(' .. p[close] == ')' starts,
 * past its "(?:", "(?>", "(?<name>" or "(?flags:" prefix. Returns 0 when
 * there is no body to generate: inline options alone ("(?i)"), or a
 * construct that says nothing about an origin (look-around, verbs), which
 * marks the sample unsupported. */
static int group_body(cors_sample *s, size_t open, size_t close, size_t *inner)
{
    const char *p = s->pattern;
    size_t k = open + 1;

    if (p[k] == '*') {
        s->unsupported = 1; /* (*VERB) */
        return 0;
    }
    if (p[k] != '?') {
        *inner = k;
        return 1;
    }
    if (p[k + 1] == ':' || p[k + 1] == '>') {
        *inner = k + 2;
        return 1;
    }
    if (p[k + 1] == 'P' || p[k + 1] == '<' || p[k + 1] == '\'') {
        if (p[k + 2] == '=' || p[k + 2] == '!') {
            s->unsupported = 1; /* look-behind */
            return 0;
        }
        while (k < close && p[k] != '>' && p[k] != '\'')
            k++;
        *inner = k + 1;
        return 1;
    }
    /* (?i) and other inline options: skipped; (?= (?! and the rest: no
     * origin to derive. */
    for (k++; k < close && strchr("imsxnUJ-^", p[k]) != NULL; k++)
        ;
    if (k == close)
        return 0;
    if (p[k] != ':') {
        s->unsupported = 1;
        return 0;
    }
    *inner = k + 1;
    return 1;
}

/* A group at p[i]: its chosen alternative, dropped again when the group
 * is optional. */
static size_t read_group(cors_sample *s, size_t i, size_t end)
{
    const char *p = s->pattern;
    size_t close = group_end(p, i, end), inner, mark_len = s->len;
    int mark_segs = s->nsegs;

    if (close == 0)
        return give_up(s, end);
    if (!group_body(s, i, close, &inner))
        return s->unsupported ? end : close + 1;
    generate(s, inner, close);
    i = close + 1;
    if (quantifier(p, &i, end, 0, 0) == 0) {
        s->len = mark_len;
        s->nsegs = mark_segs;
    }
    return i;
}

/* A literal character at p[i]. */
static size_t read_literal(cors_sample *s, size_t i, size_t end)
{
    const char *p = s->pattern;
    size_t item = i;
    char c = p[i++];
    int count = quantifier(p, &i, end, 0, 1);

    emit_repeated(s, CORS_SEG_LITERAL, c, count, p + item, 1);
    return i;
}

typedef size_t (*item_reader)(cors_sample *s, size_t i, size_t end);

/* The reader of the item that starts with c: escape, dot, class, group or
 * literal; NULL for a quantifier with nothing to repeat. */
static item_reader reader_of(char c)
{
    static const struct {
        char c;
        item_reader read;
    } readers[] = {{'\\', read_escape}, {'.', read_dot}, {'[', read_class}, {'(', read_group}};
    for (size_t k = 0; k < sizeof(readers) / sizeof(readers[0]); k++)
        if (readers[k].c == c)
            return readers[k].read;
    return strchr(")*+?", c) != NULL ? NULL : read_literal;
}

/* One alternative p[start..end) (no top-level '|'), item by item. */
static void generate_sequence(cors_sample *s, size_t start, size_t end)
{
    const char *p = s->pattern;
    size_t i = start;

    while (i < end && !s->unsupported) {
        item_reader read;
        if (p[i] == '^' || p[i] == '$') {
            i++; /* anchors emit nothing */
            continue;
        }
        read = reader_of(p[i]);
        i = read != NULL ? read(s, i, end) : give_up(s, end);
    }
}

/* p[start..end): alternatives separated by top-level '|'. */
static void generate(cors_sample *s, size_t start, size_t end)
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
        if (k < CORS_SAMPLE_MAX_ALTERNATIONS)
            which = s->choice[k] % n;
    }
    generate_sequence(s, alt_start[which], alt_end[which]);
}

int cors_sample_derive(const char *pattern, cors_intended *in)
{
    const char *sep;
    /* Try the alternatives in turn until one gives an origin. */
    for (int attempt = 0; attempt < 64; attempt++) {
        memset(&in->s, 0, sizeof(in->s));
        in->s.pattern = pattern;
        for (int k = 0; k < CORS_SAMPLE_MAX_ALTERNATIONS; k++)
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
            char buf[CORS_SAMPLE_MAX + 16];
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
