/*
 * Reading a PCRE2 pattern's literal head and tail: the characters every
 * match of a whole-origin pattern (compiled anchored at both ends) starts
 * and ends with. The reader is conservative: it only returns what PCRE2
 * guarantees, and gives up on constructs that could change that.
 */
#ifndef CORS_PATTERN_H
#define CORS_PATTERN_H

#include <stddef.h>

#include "cors_origin.h"

/* What the reader found in a whole-origin pattern, lower-cased; for tests
 * and the benchmarks. Returns 0 when the pattern is outside what the reader
 * understands (it is then always run), 1 otherwise; an empty tail or head
 * means none. */
#define CORS_LITERAL_MAX CORS_ORIGIN_MAX_LEN
typedef struct {
    char tail[CORS_LITERAL_MAX];
    size_t tail_len;
    char head[CORS_LITERAL_MAX];
    size_t head_len;
} cors_pattern_literals;

int cors_pattern_literals_read(const char *pattern, cors_pattern_literals *out);

/* The extent of a class or a group, as PCRE2 reads it (a leading ']' is a
 * member, POSIX [:name:] classes, escapes), for every reader of patterns:
 * from p[i] == '[' (or '('), the index just past its closing ']' (or
 * matching ')'), or 0 when it does not close. */
size_t cors_pattern_class_end(const char *p, size_t i);
size_t cors_pattern_group_end(const char *p, size_t i);

#endif
