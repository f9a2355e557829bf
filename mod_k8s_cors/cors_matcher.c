/*
 * The pattern index (cors_matcher.h). Built at configuration time as
 * patterns are added, read-only afterwards; matching never allocates and
 * touches only the stack.
 *
 * Patterns are filed by the literal tail cors_pattern_literals_read
 * (cors_pattern.c) finds in them.
 */
#include <string.h>

#include <apr_hash.h>
#include <apr_strings.h>

#include "cors_ascii.h"
#include "cors_matcher.h"

/* ---- the index ---------------------------------------------------------------- */

/* The patterns filed under one literal tail, in configuration order. */
typedef struct {
    apr_array_header_t *positions; /* int, ascending */
} bucket;

typedef struct {
    const char *head; /* a whole-origin pattern's literal head, folded, or NULL */
    size_t head_len;
} pattern_info;

/* The tails are in an apr_hash_t, looked up once per tail length in use.
 * A hand-written open-addressing table hashing every tail of the origin in
 * one backward pass saves too little to be worth its code: under callgrind
 * (bench/matcher_bench count), a decision costs 3,775 instructions with
 * such a table and 4,104 with apr_hash_t for 1,000 patterns (hit), 3,270
 * and 3,415 for 100 (near), 2,537 and 2,533 for the seed policy: at most
 * 0.3 microsecond a request, where PCRE2 and httpd cost far more. */
struct cors_matcher {
    apr_pool_t *pool;
    int count;
    apr_hash_t *tails;                                /* folded tail -> bucket */
    unsigned char tail_lengths[CORS_LITERAL_MAX + 1]; /* 1: some tail is this long */
    size_t max_tail;
    apr_array_header_t *always; /* int: positions run on every request, ascending */
    apr_array_header_t *info;   /* pattern_info, by position */
};

static int folded_equal(const char *folded, const char *text, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (folded[i] != cors_ascii_lower(text[i]))
            return 0;
    return 1;
}

cors_matcher *cors_matcher_make(apr_pool_t *pool)
{
    cors_matcher *m = apr_pcalloc(pool, sizeof(*m));
    m->pool = pool;
    m->tails = apr_hash_make(pool);
    m->always = apr_array_make(pool, 4, sizeof(int));
    m->info = apr_array_make(pool, 4, sizeof(pattern_info));
    return m;
}

static void file_by_tail(cors_matcher *m, const char *tail, size_t len, int position)
{
    bucket *b = apr_hash_get(m->tails, tail, (apr_ssize_t)len);
    if (b == NULL) {
        b = apr_palloc(m->pool, sizeof(*b));
        b->positions = apr_array_make(m->pool, 1, sizeof(int));
        apr_hash_set(m->tails, apr_pstrmemdup(m->pool, tail, len), (apr_ssize_t)len, b);
        m->tail_lengths[len] = 1;
        if (len > m->max_tail)
            m->max_tail = len;
    }
    APR_ARRAY_PUSH(b->positions, int) = position;
}

void cors_matcher_add(cors_matcher *m, const cors_rule *rule, int position)
{
    pattern_info *info = apr_array_push(m->info);
    cors_pattern_literals literals;

    info->head = NULL;
    info->head_len = 0;
    m->count++;
    if (position != m->count - 1) {
        /* Not fed in order: make the index unusable rather than wrong. */
        m->count = -1;
        return;
    }
    /* Kube entries search the raw value, unanchored: always run. */
    if (rule->kind != CORS_RULE_REGEX || !cors_pattern_literals_read(rule->text, &literals)) {
        APR_ARRAY_PUSH(m->always, int) = position;
        return;
    }
    if (literals.head_len > 0) {
        info->head = apr_pstrmemdup(m->pool, literals.head, literals.head_len);
        info->head_len = literals.head_len;
    }
    if (literals.tail_len > 0)
        file_by_tail(m, literals.tail, literals.tail_len, position);
    else
        APR_ARRAY_PUSH(m->always, int) = position;
}

int cors_matcher_count(const cors_matcher *m)
{
    return m->count;
}

/* ---- matching ------------------------------------------------------------------ */

/* Origin values kube-apiserver would still feed to its regexes although
 * they are no origin (no scheme, a path...). Lists, control bytes and
 * over-long values never reach a pattern: httpd merges repeated Origin
 * headers into "a, b", which an unanchored search would happily match. */
static int kube_may_look_at(const char *raw, size_t raw_len, const cors_origin *parsed)
{
    cors_origin scratch;
    if (parsed != NULL)
        return 1;
    switch (cors_origin_parse(raw, raw_len, &scratch)) {
    case CORS_ORIGIN_BAD_SCHEME:
    case CORS_ORIGIN_BAD_HOST:
    case CORS_ORIGIN_BAD_PORT:
    case CORS_ORIGIN_PATH:
    case CORS_ORIGIN_USERINFO:
        return 1;
    default:
        return 0;
    }
}

typedef struct {
    const char *raw;
    size_t raw_len;
    const cors_origin *parsed;
    int kube_ok; /* -1: not computed yet */
    cors_match_result result;
    const cors_rule **rule;
} match_state;

/* Runs one pattern as cors_policy_match_raw always has. Returns 1 when it
 * matched (*s->rule is then the pattern). */
static int try_pattern(match_state *s, const cors_rule *candidate)
{
    cors_regex_result matched;
    if (candidate->kind == CORS_RULE_KUBE) {
        if (s->kube_ok < 0)
            s->kube_ok = kube_may_look_at(s->raw, s->raw_len, s->parsed);
        if (!s->kube_ok)
            return 0;
        matched = cors_regex_match(candidate->regex, s->raw, s->raw_len);
    } else {
        if (s->parsed == NULL)
            return 0;
        matched = cors_regex_match(candidate->regex, s->parsed->text, s->parsed->len);
    }
    switch (matched) {
    case CORS_REGEX_MATCH:
        *s->rule = candidate;
        s->result = CORS_MATCH_RULE;
        return 1;
    case CORS_REGEX_NOMATCH:
        break;
    case CORS_REGEX_LIMIT:
    case CORS_REGEX_ERROR:
        /* Never a match; remembered so the denial says why. A later
         * pattern may still allow the origin on its own merits. */
        s->result = CORS_MATCH_LIMIT;
        *s->rule = candidate;
        break;
    }
    return 0;
}

cors_match_result cors_matcher_match_linear(const apr_array_header_t *patterns, const char *raw,
                                            size_t raw_len, const cors_origin *parsed,
                                            const cors_rule **rule)
{
    match_state s = {raw, raw_len, parsed, -1, CORS_MATCH_NONE, rule};
    *rule = NULL;
    for (int i = 0; i < patterns->nelts; i++)
        if (try_pattern(&s, APR_ARRAY_IDX(patterns, i, const cors_rule *)))
            break;
    return s.result;
}

/* Candidate lists merged by position; more than this many tails of one
 * origin filed at once (one per distinct tail length) is implausible, and
 * then the patterns are simply all run. */
#define MAX_LISTS 32

typedef struct {
    const int *next;
    const int *end;
} cursor;

cors_match_result cors_matcher_match(const cors_matcher *m, const apr_array_header_t *patterns,
                                     const char *raw, size_t raw_len, const cors_origin *parsed,
                                     const cors_rule **rule)
{
    match_state s = {raw, raw_len, parsed, -1, CORS_MATCH_NONE, rule};
    cursor lists[MAX_LISTS];
    int n_lists = 0;
    const pattern_info *info = (const pattern_info *)m->info->elts;

    *rule = NULL;
    if (m->always->nelts > 0) {
        lists[n_lists].next = (const int *)m->always->elts;
        lists[n_lists].end = lists[n_lists].next + m->always->nelts;
        n_lists++;
    }
    if (parsed != NULL && m->max_tail > 0) {
        /* Every tail of the origin whose length is in use, folded as the
         * tails are (a normalized origin is lower-case already). */
        size_t len = parsed->len, longest = len < m->max_tail ? len : m->max_tail;
        char folded[CORS_LITERAL_MAX];
        const char *end = folded + longest;
        for (size_t n = 0; n < longest; n++)
            folded[n] = cors_ascii_lower(parsed->text[len - longest + n]);
        for (size_t n = 1; n <= longest; n++) {
            const bucket *b;
            if (!m->tail_lengths[n])
                continue;
            b = apr_hash_get(m->tails, end - n, (apr_ssize_t)n);
            if (b == NULL)
                continue;
            if (n_lists == MAX_LISTS)
                return cors_matcher_match_linear(patterns, raw, raw_len, parsed, rule);
            lists[n_lists].next = (const int *)b->positions->elts;
            lists[n_lists].end = lists[n_lists].next + b->positions->nelts;
            n_lists++;
        }
    }

    /* The candidates in configuration order: a position is in one list. */
    for (;;) {
        int best = -1, position = 0;
        const cors_rule *candidate;
        for (int k = 0; k < n_lists; k++)
            if (lists[k].next < lists[k].end && (best < 0 || *lists[k].next < position)) {
                best = k;
                position = *lists[k].next;
            }
        if (best < 0)
            break;
        lists[best].next++;
        candidate = APR_ARRAY_IDX(patterns, position, const cors_rule *);
        if (candidate->kind == CORS_RULE_REGEX && parsed != NULL &&
            (info[position].head_len > parsed->len ||
             !folded_equal(info[position].head, parsed->text, info[position].head_len)))
            continue; /* cannot match: its literal head is not the origin's */
        if (try_pattern(&s, candidate))
            break;
    }
    return s.result;
}

/* ==== matching ============================================================== */
