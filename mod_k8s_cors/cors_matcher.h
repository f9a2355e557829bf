/*
 * The pattern part of cors_policy_match_raw: an index over a policy's
 * K8sCorsAllowOriginRegex and kube entries that skips the patterns which
 * cannot match, so a request costs a few hash probes and one PCRE2 run
 * instead of one PCRE2 run per configured pattern.
 *
 * At configuration time each whole-origin pattern is read for its literal
 * tail: the characters every match must end with (`-7.apps.example.com` in
 * `https://team[0-9]+-7\.apps\.example\.com`) and the literal head every
 * match must start with (`https://team`). Patterns are filed by tail in a
 * hash table. At request time the origin's own tails (one per tail length
 * in use) are looked up, and only the patterns filed there, plus those
 * without a usable tail (kube entries, patterns ending in `.*` or a group,
 * anything the reader does not fully understand), are run, in
 * configuration order, by the code that tries one pattern
 * (cors_matcher_match_linear runs it on every pattern).
 *
 * The reader is conservative: it only ever returns a tail that PCRE2
 * guarantees, and gives up (the pattern is then always run) on constructs
 * that could change that: alternation at the top level, (?x), \Q..\E,
 * callouts, comments and verbs. Semantics are those of trying every pattern
 * in order; the one difference is that a pattern that cannot match is not
 * run, so it cannot hit its PCRE2 limit either.
 *
 * Internal to the core (cors_matcher.c, with the reader in cors_pattern.c):
 * the policy owns one matcher (cors_policy.matcher) and files each pattern
 * as it is added.
 */
#ifndef CORS_MATCHER_H
#define CORS_MATCHER_H

#include <stddef.h>
#include <apr_pools.h>
#include <apr_tables.h>

#include "cors_origin.h"
#include "cors_pattern.h"
#include "cors_policy.h"

typedef struct cors_matcher cors_matcher;

cors_matcher *cors_matcher_make(apr_pool_t *pool);

/* Files rule, which is patterns[position] of its policy (position equals
 * the number of rules added before it). */
void cors_matcher_add(cors_matcher *matcher, const cors_rule *rule, int position);

/* Number of patterns filed; the policy only uses the matcher when this
 * equals its number of patterns. */
int cors_matcher_count(const cors_matcher *matcher);

/* The first pattern, in configuration order, that matches: whole-origin
 * patterns on parsed (skipped when parsed is NULL), kube entries on raw.
 * CORS_MATCH_LIMIT with the last pattern that hit its limit when none
 * matches. */
cors_match_result cors_matcher_match(const cors_matcher *matcher,
                                     const apr_array_header_t *patterns, const char *raw,
                                     size_t raw_len, const cors_origin *parsed,
                                     const cors_rule **rule);

/* The reference: every pattern, one by one, in order (what the index must
 * agree with; also the fallback when a policy's matcher is missing). */
cors_match_result cors_matcher_match_linear(const apr_array_header_t *patterns, const char *raw,
                                            size_t raw_len, const cors_origin *parsed,
                                            const cors_rule **rule);

#endif
