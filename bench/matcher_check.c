/*
 * Differential check of the pattern index against the one-by-one matcher
 * it replaces: random patterns built from pieces with a known matching
 * text (escapes, classes, quantifiers, groups, backreferences, inline
 * options, verbs, alternations...), and for each one:
 *
 *   - when PCRE2 matches the text, it ends with the literal tail and starts
 *     with the literal head the reader found (the reader's soundness);
 *   - in policies of random patterns, cors_policy_match_raw through the
 *     index returns what the linear matcher returns, on the matching text
 *     and on mutations of it.
 *
 *   matcher_check [iterations] [seed]
 *
 * Exit status 0 when every comparison agrees, 1 otherwise.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_strings.h>

#include "cors_matcher.h"
#include "cors_policy.h"
#include "cors_regex.h"

typedef struct {
    const char *pattern;
    const char *text; /* a text the piece matches */
} piece;

/* Pieces that can be concatenated freely. */
static const piece pieces[] = {
    {"a", "a"},
    {"team", "team"},
    {"-", "-"},
    {"_", "_"},
    {":", ":"},
    {"/", "/"},
    {"7", "7"},
    {"\\.", "."},
    {"\\-", "-"},
    {"\\/", "/"},
    {"\\:", ":"},
    {".", "z"},
    {"[a-z]", "q"},
    {"[a-z0-9-]+", "ab-9"},
    {"[0-9]+", "42"},
    {"[]a]", "]"},
    {"[^]x]", "y"},
    {"[[:digit:]]", "5"},
    {"[[:alpha:]]+", "abc"},
    {"[\\]]", "]"},
    {"[\\c]]", "\x1d"},
    {"[.]", "."},
    {"[[]", "["},
    {"[[.]", "."},
    {"[[:x]", ":"},
    {"a?", ""},
    {"b?", "b"},
    {"c*", "ccc"},
    {"d+", "dd"},
    {"e{2}", "ee"},
    {"f{1,3}", "ff"},
    {"g{2,}", "ggg"},
    {"h+?", "hh"},
    {"i*+", "ii"},
    {"\\.?", ""},
    {"\\.{2}", ".."},
    {"{abc}", "{abc}"},
    {"x{", "x{"},
    {"(?:ab|cd)", "cd"},
    {"(?:ab|cd)?", ""},
    {"(a)", "a"},
    {"(?<n%d>ab)\\k<n%d>", "abab"},
    {"(?'q%d'xy)\\k'q%d'", "xyxy"},
    {"(?P<p%d>zz)(?P=p%d)", "zzzz"},
    {"(x)\\g{-1}", "xx"},
    {"(y)\\g-1", "yy"},
    {"(?i:X)", "x"},
    {"(?i)Q", "q"},
    {"(?-i)r", "r"},
    {"(?s:.)", "w"},
    {"(?#note)", ""},
    {"(?#[)", ""},
    {"(?#(|)", ""},
    {"(?C1)", ""},
    {"(?C'a)|b')", ""},
    {"(?C{x[y})", ""},
    {"(?=a)a", "a"},
    {"(?!b)c", "c"},
    {"(?<=c)d", "d"},
    {"(?>ef)", "ef"},
    {"(?|(a)|(b))", "b"},
    {"\\d", "7"},
    {"\\d{2}", "12"},
    {"\\w+", "word"},
    {"\\x41", "A"},
    {"\\x{42}", "B"},
    {"\\x4a", "J"},
    {"\\101", "A"},
    {"\\o{103}", "C"},
    {"\\Qa.b\\E", "a.b"},
    {"\\Q)|(\\E", ")|("},
    {"\\K", ""},
    {"\\E", ""},
    {"\\c\\", "\x1c"},
    {"\\c[", "\x1b"},
    {"\\p{L}", "k"},
    {"\\N", "n"},
    {"(?x) a b ", "ab"},
    {"(?x: c d )", "cd"},
    {"(?x)e#comment\n", "e"},
    {"(*ACCEPT)", ""},
    {"(?:(*ACCEPT))?", ""},
    {"(*MARK:m)", ""},
    {"\\$", "$"},
    {"#", "#"},
    {" ", " "},
    {"(?i)", ""},
    {"\\b", ""},
};
#define N_PIECES (sizeof(pieces) / sizeof(pieces[0]))

/* Pieces only allowed at the start or the end. */
static const piece starts[] = {
    {"", ""},
    {"^", ""},
    {"(*NO_JIT)", ""},
    {"(*LIMIT_MATCH=100000)", ""},
    {"(*LIMIT_MATCH=100000)(*NO_START_OPT)^", ""},
    {"(*CR)", ""},
    {"https://", "https://"},
    {"(?i)HTTPS://", "https://"},
};
static const piece ends[] = {
    {"", ""},
    {"$", ""},
    {"\\.example\\.com", ".example.com"},
    {"\\.example\\.com$", ".example.com"},
    {"-7\\.apps\\.example\\.com", "-7.apps.example.com"},
    {"\\.EXAMPLE\\.com", ".EXAMPLE.com"},
    {"(?i)\\.EXAMPLE\\.com", ".example.com"},
    {"$$", ""},
    {"\\z", ""},
};

static apr_pool_t *pool;
static unsigned long long rng_state;
static long failures;
static long comparisons, pcre_mismatches, bails, with_tail, with_head;

static unsigned rnd(unsigned n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (unsigned)(rng_state % n);
}

static int unique;

/* The pattern with each "%d" replaced by a fresh number (group names). */
static const char *instantiate(const char *format)
{
    const char *id = apr_itoa(pool, ++unique), *out = "", *mark;
    while ((mark = strstr(format, "%d")) != NULL) {
        out =
            apr_pstrcat(pool, out, apr_pstrmemdup(pool, format, (size_t)(mark - format)), id, NULL);
        format = mark + 2;
    }
    return apr_pstrcat(pool, out, format, NULL);
}

/* A random pattern and a text it should match. */
static void random_pattern(const char **pattern, const char **text)
{
    const piece *s = &starts[rnd(sizeof(starts) / sizeof(starts[0]))];
    const piece *e = &ends[rnd(sizeof(ends) / sizeof(ends[0]))];
    const char *p = s->pattern, *t = s->text;
    unsigned n = rnd(6);
    for (unsigned i = 0; i < n; i++) {
        const piece *x = &pieces[rnd(N_PIECES)];
        p = apr_pstrcat(pool, p, instantiate(x->pattern), NULL);
        t = apr_pstrcat(pool, t, x->text, NULL);
    }
    p = apr_pstrcat(pool, p, e->pattern, NULL);
    t = apr_pstrcat(pool, t, e->text, NULL);
    if (rnd(8) == 0) { /* a top-level alternation */
        const char *q, *u;
        random_pattern(&q, &u);
        if (rnd(2)) {
            p = apr_pstrcat(pool, p, "|", q, NULL);
            t = rnd(2) ? t : u;
        } else {
            p = apr_pstrcat(pool, q, "|", p, NULL);
        }
    }
    *pattern = p;
    *text = t;
}

static void fail(const char *what, const char *pattern, const char *text)
{
    failures++;
    if (failures <= 20)
        fprintf(stderr, "matcher_check: %s\n  pattern: %s\n  text:    %s\n", what, pattern, text);
}

static int folded_prefix(const char *folded, size_t len, const char *text, size_t text_len)
{
    if (len > text_len)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c + 32);
        if (folded[i] != c)
            return 0;
    }
    return 1;
}

static void as_origin(const char *text, cors_origin *o)
{
    memset(o, 0, sizeof(*o));
    o->len = strlen(text);
    if (o->len > CORS_ORIGIN_MAX_LEN)
        o->len = CORS_ORIGIN_MAX_LEN;
    memcpy(o->text, text, o->len);
}

/* The reader on its own: a text PCRE2 matches has the tail and the head. */
static void check_reader(const char *pattern, const char *text)
{
    cors_regex *re;
    cors_pattern_literals lit;
    size_t len = strlen(text);
    char reversed_text[CORS_LITERAL_MAX + 1], reversed_tail[CORS_LITERAL_MAX + 1];

    if (cors_regex_compile(pool, pattern, &re) != NULL)
        return;
    if (!cors_pattern_literals_read(pattern, &lit)) {
        bails++;
        return;
    }
    with_tail += lit.tail_len > 0;
    with_head += lit.head_len > 0;
    if (cors_regex_match(re, text, len) != CORS_REGEX_MATCH) {
        pcre_mismatches++; /* the pieces' texts are a guide, not a proof */
        return;
    }
    comparisons++;
    if (!folded_prefix(lit.head, lit.head_len, text, len))
        fail("the text does not start with the head", pattern, text);
    if (lit.tail_len > len || len > CORS_LITERAL_MAX) {
        if (lit.tail_len > len)
            fail("the tail is longer than the text", pattern, text);
        return;
    }
    for (size_t i = 0; i < len; i++)
        reversed_text[i] = text[len - 1 - i];
    for (size_t i = 0; i < lit.tail_len; i++)
        reversed_tail[i] = lit.tail[lit.tail_len - 1 - i];
    if (!folded_prefix(reversed_tail, lit.tail_len, reversed_text, len))
        fail("the text does not end with the tail", pattern, text);
}

static const char *mutate(const char *text)
{
    size_t len = strlen(text);
    char *copy = apr_pstrdup(pool, text);
    if (len == 0)
        return "x";
    switch (rnd(4)) {
    case 0:
        copy[rnd((unsigned)len)] = "aZ.-_9]"[rnd(7)];
        return copy;
    case 1:
        return apr_pstrcat(pool, text, "x", NULL);
    case 2:
        return apr_pstrcat(pool, "h", text, NULL);
    default:
        copy[len - 1] = '\0';
        return copy;
    }
}

/* A policy of random patterns: index and linear agree on every text. */
static void check_policy(void)
{
    cors_policy *p = cors_policy_make(pool);
    const char *texts[40];
    int n_texts = 0, n = 1 + (int)rnd(12);

    for (int i = 0; i < n; i++) {
        const char *pattern, *text;
        random_pattern(&pattern, &text);
        if (rnd(6) == 0) {
            /* a kube entry: unanchored, on the raw value */
            if (cors_policy_add_kube_origins(pool, p, pattern, "check") != NULL)
                continue;
        } else if (cors_policy_add_pattern(pool, p, pattern, "check") != NULL) {
            continue;
        }
        texts[n_texts++] = text;
        texts[n_texts++] = mutate(text);
        if (n_texts > 36)
            break;
    }
    if (!p->has_origins || p->patterns->nelts == 0)
        return;
    for (int i = 0; i < n_texts; i++) {
        const cors_rule *a, *b;
        cors_origin o;
        cors_match_result ra, rb;
        as_origin(texts[i], &o);
        ra = cors_policy_match_raw(p, o.text, o.len, &o, &a);
        rb = cors_matcher_match_linear(p->patterns, o.text, o.len, &o, &b);
        comparisons++;
        if (ra != rb || a != b) {
            const char *all = "";
            for (int k = 0; k < p->patterns->nelts; k++)
                all = apr_pstrcat(pool, all, k ? "  ||  " : "",
                                  APR_ARRAY_IDX(p->patterns, k, const cors_rule *)->text, NULL);
            fail(apr_psprintf(pool, "index %d (rule %d) vs linear %d (rule %d)", ra,
                              a ? a->index : 0, rb, b ? b->index : 0),
                 all, texts[i]);
        }
        /* As a raw value that is no origin: only kube entries look. */
        ra = cors_policy_match_raw(p, o.text, o.len, NULL, &a);
        rb = cors_matcher_match_linear(p->patterns, o.text, o.len, NULL, &b);
        if (ra != rb || a != b)
            fail("unparsed: index and linear disagree", "(policy)", texts[i]);
    }
}

int main(int argc, char **argv)
{
    long iterations = argc > 1 ? atol(argv[1]) : 20000;
    rng_state = argc > 2 ? strtoull(argv[2], NULL, 10) : 0x9E3779B97F4A7C15ULL;
    apr_initialize();
    apr_pool_create(&pool, NULL);
    for (long i = 0; i < iterations; i++) {
        const char *pattern, *text;
        apr_pool_t *scratch;
        apr_pool_create(&scratch, pool);
        {
            apr_pool_t *outer = pool;
            pool = scratch;
            random_pattern(&pattern, &text);
            check_reader(pattern, text);
            check_policy();
            pool = outer;
        }
        apr_pool_destroy(scratch);
    }
    printf("matcher_check: %ld comparisons, %ld failures (reader: %ld patterns gave up, "
           "%ld with a tail, %ld with a head, %ld texts PCRE2 did not match)\n",
           comparisons, failures, bails, with_tail, with_head, pcre_mismatches);
    apr_pool_destroy(pool);
    apr_terminate();
    return failures ? 1 : 0;
}
