/*
 * Counters of CORS decisions, laid out for one shared-memory segment that
 * every httpd child increments without locks (aligned 64-bit atomics), and
 * their Prometheus text exposition (format 0.0.4). Labels are bounded by
 * the configuration: decisions, kinds, modes, configured rule names; never
 * a value a client sends.
 */
#ifndef CORS_METRICS_H
#define CORS_METRICS_H

#include <stdint.h>

#include <apr_pools.h>

#include "cors_decision.h"

typedef enum {
    CORS_METRIC_ALLOWED = 0,
    CORS_METRIC_DENIED_ORIGIN,
    CORS_METRIC_DENIED_METHOD,
    CORS_METRIC_DENIED_HEADER,
    CORS_METRIC_NO_ORIGIN,
    CORS_METRIC_SAME_ORIGIN,
    CORS_METRIC_DECISIONS
} cors_metric_decision;

#define CORS_METRIC_KINDS         3 /* none, actual, preflight: cors_kind */
#define CORS_METRIC_MODES         2 /* enforce, report-only */
#define CORS_METRIC_SIGNALS       2 /* sec-fetch-site, origin */
#define CORS_METRIC_RULES_MAX     1024
#define CORS_METRIC_RULE_NAME_MAX 96

typedef struct {
    char name[CORS_METRIC_RULE_NAME_MAX];
    uint64_t hits;
} cors_metric_rule;

/* The shared segment. Only atomic adds touch the counters. */
typedef struct {
    uint64_t magic; /* CORS_METRICS_MAGIC: the layout this build expects */
    uint64_t requests[CORS_METRIC_MODES][CORS_METRIC_DECISIONS][CORS_METRIC_KINDS];
    uint64_t preflights_answered[2]; /* [0] allowed (204), [1] denied (403) */
    uint64_t refused[2];             /* actual requests refused: [0] 403, [1] 405 */
    /* refused by the cross-site step (enforce), or that it would refuse
     * (report-only), by the signal that decided: cors_metric_cross_site_signal */
    uint64_t cross_site_refused[CORS_METRIC_MODES][CORS_METRIC_SIGNALS];
    uint64_t upstream_headers_removed;
    uint64_t regex_limit;
    uint32_t rule_count;
    cors_metric_rule rules[CORS_METRIC_RULES_MAX];
} cors_metrics;

#define CORS_METRICS_MAGIC (0x6b38736d65747201ULL ^ sizeof(cors_metrics))

/* Which decision label a decision counts under. */
cors_metric_decision cors_metric_decision_of(const cors_decision *decision);

/* The signal a cross-site refusal counts under: 0 Sec-Fetch-Site, 1 Origin;
 * -1 when the decision is not such a refusal. */
int cors_metric_cross_site_signal(const cors_decision *decision);

/* The slot of a rule name, added when new (names are cut to fit); -1 when
 * the table is full. Called at start-up only, by one process. */
int cors_metrics_rule_slot(cors_metrics *metrics, const char *name);

static inline void cors_metrics_add(uint64_t *counter)
{
    __atomic_fetch_add(counter, 1, __ATOMIC_RELAXED);
}

/* Prometheus text format 0.0.4. rule_slots[0..n) are the slots of the rules
 * configured now: only those are exported. */
const char *cors_metrics_render(apr_pool_t *pool, const cors_metrics *metrics,
                                const int *rule_slots, int n);

/* The policy a configuration generation serves, fixed when httpd read it. */
typedef struct {
    char hash[17];                 /* 16 hex digits: cors_metrics_policy_hash of its directives */
    int generation;                /* httpd's configuration generation */
    apr_int64_t loaded_at_seconds; /* when it was read (Unix time) */
} cors_metrics_policy;

/* FNV-1a (64-bit) over text and a terminator: call once per field, in
 * order, starting from CORS_METRICS_HASH_SEED. An identity, not a secret. */
#define CORS_METRICS_HASH_SEED 0xcbf29ce484222325ULL
uint64_t cors_metrics_policy_hash(uint64_t hash, const char *text);

/* The policy's info, generation and load time; then, when reload_status
 * (the reloader's status file: "name value" lines of decimal numbers) is
 * not NULL, its last attempt and its counts. Unknown names and values that
 * are not plain decimal numbers are left out, never copied. */
const char *cors_metrics_render_policy(apr_pool_t *pool, const cors_metrics_policy *policy,
                                       const char *reload_status);

#endif
