/*
 * The origin a pattern is meant for, read from the pattern's text: the
 * first workable alternative of each group, one repetition of each
 * repeated item, `.` taken as the dot its author probably meant. The lint
 * builds its attacker origins from it. Internal to the lint.
 */
#ifndef CORS_LINT_SAMPLE_H
#define CORS_LINT_SAMPLE_H

#include <stddef.h>

#include "cors_origin.h"

#define CORS_SAMPLE_MAX              CORS_ORIGIN_MAX_LEN
#define CORS_SAMPLE_MAX_SEGMENTS     256
#define CORS_SAMPLE_MAX_ALTERNATIONS 6

typedef enum {
    CORS_SEG_LITERAL, /* a literal character */
    CORS_SEG_DOT,     /* an unescaped `.`, emitted as '.' */
    CORS_SEG_WILD,    /* `.*` / `.+`: any run of characters */
    CORS_SEG_CLASS,   /* a character class or \d \w, with its quantifier */
} cors_segment_kind;

/* One emitted piece of the sample and the pattern text it came from. */
typedef struct {
    cors_segment_kind kind;
    size_t out_off, out_len;
    const char *src; /* the pattern text that produced it (classes) */
    size_t src_len;
} cors_segment;

typedef struct {
    const char *pattern;
    char text[CORS_SAMPLE_MAX + 1];
    size_t len;
    cors_segment segs[CORS_SAMPLE_MAX_SEGMENTS];
    int nsegs;
    int unsupported;
    /* Which alternative to take at the k-th alternation met, so that the
     * caller can retry when the first choice gives no origin. */
    int choice[CORS_SAMPLE_MAX_ALTERNATIONS];
    int alternations;
} cors_sample;

/* The sample as a candidate origin: what a browser would send for it. The
 * scheme is added when the pattern does not spell it (kube's own examples
 * begin with "//"). */
typedef struct {
    cors_sample s;
    const char *prefix; /* added before the sample */
    const char *base;   /* prefix + sample */
    cors_origin origin; /* base parsed */
    size_t host_start;  /* in the sample */
    size_t host_end;
} cors_intended;

/* Fills in with the origin pattern is meant for; 0 when none can be read
 * from it (constructs that say nothing about an origin, or no alternative
 * that gives a real origin). */
int cors_sample_derive(const char *pattern, cors_intended *in);

#endif
