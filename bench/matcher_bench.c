/*
 * Matcher benchmark driver: time and instruction count per CORS decision
 * for policies of exact origins and of patterns, built from the core
 * sources with -O2 by bench/run.
 *
 *   matcher_bench time [runs]            table: ns per decision, median of runs
 *   matcher_bench count POLICY CASE N    N decisions under callgrind (N = 0:
 *                                         baseline); instrumentation is on
 *                                         only around the loop
 *   matcher_bench list                   the POLICY CASE pairs
 *
 * Policies: exact-1, exact-100, exact-10000 (origins), regex-10, regex-100,
 * regex-1000 (patterns like https://team[0-9]+-N\.apps\.example\.com), seed
 * (the seed scenario: 2 origins, 1 pattern) and big (10,000 origins and 100
 * patterns). Cases: hit (an allowed origin; for regex policies, of a pattern
 * chosen at random), miss (an origin no rule names), near (an origin whose
 * tail is a pattern's, so that pattern runs and fails). Each case cycles
 * over INPUTS distinct origins.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <apr_general.h>
#include <apr_strings.h>
#include <valgrind/callgrind.h>

#include "cors_decision.h"
#include "cors_matcher.h"
#include "cors_policy.h"

#define INPUTS 1000

typedef struct {
    const char *name;
    int origins;
    int patterns;
} policy_spec;

static const policy_spec policies[] = {
    {"exact-1", 1, 0},     {"exact-100", 100, 0},   {"exact-10000", 10000, 0}, {"regex-10", 0, 10},
    {"regex-100", 0, 100}, {"regex-1000", 0, 1000}, {"seed", -2, -1},          {"big", 10000, 100},
};
#define N_POLICIES (sizeof(policies) / sizeof(policies[0]))

static const char *const cases[] = {"hit", "miss", "near"};

static apr_pool_t *pool;
static unsigned long long rng_state = 88172645463325252ULL;

static unsigned rnd(unsigned n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (unsigned)(rng_state % n);
}

static void die(const char *what, const char *error)
{
    fprintf(stderr, "matcher_bench: %s: %s\n", what, error);
    exit(2);
}

static const char *origin_of(int i)
{
    return apr_psprintf(pool, "https://console-%d.apps.example.com", i);
}

static cors_policy *build_policy(const policy_spec *spec)
{
    cors_policy *p = cors_policy_make(pool);
    const char *error;
    if (spec->origins == -2) { /* the seed scenario */
        if ((error = cors_policy_add_origin(pool, p, "https://dashboard.example.com", "seed")) ||
            (error = cors_policy_add_origin(pool, p, "https://monitoring.example.com", "seed")) ||
            (error = cors_policy_add_pattern(pool, p, "https://[a-z0-9-]+\\.apps\\.example\\.com",
                                             "seed")))
            die("seed policy", error);
        return p;
    }
    for (int i = 0; i < spec->origins; i++)
        if ((error = cors_policy_add_origin(pool, p, origin_of(i), "bench")) != NULL)
            die("origin", error);
    for (int i = 0; i < spec->patterns; i++) {
        const char *pattern = apr_psprintf(pool, "https://team[0-9]+-%d\\.apps\\.example\\.com", i);
        if ((error = cors_policy_add_pattern(pool, p, pattern, "bench")) != NULL)
            die("pattern", error);
    }
    p->mode = CORS_MODE_ENFORCE;
    return p;
}

/* INPUTS origins for a case; NULL when the case does not apply. */
static const char **make_inputs(const policy_spec *spec, const char *kase)
{
    const char **in = apr_palloc(pool, INPUTS * sizeof(*in));
    int seed = spec->origins == -2;
    int patterns = seed ? 0 : spec->patterns;
    for (int i = 0; i < INPUTS; i++) {
        if (strcmp(kase, "miss") == 0) {
            in[i] = apr_psprintf(pool, "https://evil-%u.attacker.example.net", rnd(100000));
        } else if (strcmp(kase, "near") == 0) {
            if (seed)
                in[i] = apr_psprintf(pool, "https://x_%u.apps.example.com", rnd(100000));
            else if (patterns > 0)
                in[i] = apr_psprintf(pool, "https://teamx-%u.apps.example.com", rnd(patterns));
            else
                return NULL;
        } else if (seed) {
            static const char *const seed_hits[] = {"https://dashboard.example.com",
                                                    "https://monitoring.example.com",
                                                    "https://grafana.apps.example.com"};
            in[i] = seed_hits[i % 3];
        } else if (spec->origins > 0 && (patterns == 0 || i % 2 == 0)) {
            in[i] = origin_of((int)rnd((unsigned)spec->origins));
        } else {
            in[i] = apr_psprintf(pool, "https://team%u-%u.apps.example.com", rnd(1000),
                                 rnd((unsigned)patterns));
        }
    }
    return in;
}

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

typedef enum { RUN_DECIDE, RUN_MATCH, RUN_LINEAR } run_kind;

static volatile long sink;

/* Every decision is checked against the expectation once, before timing. */
static long run(run_kind kind, const cors_policy *p, const char **in, const cors_origin *parsed,
                long iterations)
{
    long allowed = 0;
    cors_request request = {0};
    request.method = "GET";
    /* as the glue sets it: the gateway's own name, scheme and port */
    request.host = "k8s.example.com";
    request.host_is_self = 1;
    request.self_scheme = "https";
    request.self_port = 6443;
    for (long n = 0; n < iterations; n++) {
        int i = (int)(n % INPUTS);
        const cors_rule *rule;
        if (kind == RUN_DECIDE) {
            cors_decision d;
            request.origin = in[i];
            cors_decide(p, &request, &d);
            allowed += d.allowed;
        } else if (kind == RUN_MATCH) {
            allowed += cors_policy_match_raw(p, in[i], strlen(in[i]), &parsed[i], &rule) ==
                       CORS_MATCH_RULE;
        } else {
            cors_match_result r = CORS_MATCH_NONE;
            if (apr_hash_get(p->exact, parsed[i].text, (apr_ssize_t)parsed[i].len) != NULL)
                r = CORS_MATCH_RULE;
            else if (p->patterns->nelts > 0)
                r = cors_matcher_match_linear(p->patterns, in[i], strlen(in[i]), &parsed[i], &rule);
            allowed += r == CORS_MATCH_RULE;
        }
    }
    sink = allowed;
    return allowed;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Median ns per decision over runs, each run at least ~20 ms. */
static double time_it(run_kind kind, const cors_policy *p, const char **in,
                      const cors_origin *parsed, int runs)
{
    double samples[64];
    long iterations = INPUTS;
    double t0, t;
    for (;;) {
        t0 = now_ns();
        run(kind, p, in, parsed, iterations);
        t = now_ns() - t0;
        if (t > 20e6 || iterations > 100000000L)
            break;
        iterations *= 2;
    }
    if (runs > 64)
        runs = 64;
    for (int r = 0; r < runs; r++) {
        t0 = now_ns();
        run(kind, p, in, parsed, iterations);
        samples[r] = (now_ns() - t0) / (double)iterations;
    }
    qsort(samples, (size_t)runs, sizeof(double), cmp_double);
    return samples[runs / 2];
}

static cors_origin *parse_all(const char **in)
{
    cors_origin *parsed = apr_palloc(pool, INPUTS * sizeof(*parsed));
    for (int i = 0; i < INPUTS; i++)
        if (cors_origin_parse(in[i], strlen(in[i]), &parsed[i]) != CORS_ORIGIN_OK)
            die("input", in[i]);
    return parsed;
}

/* Indexed and linear matching agree on every input, and hits are hits. */
static void verify(const policy_spec *spec, const char *kase, const cors_policy *p, const char **in,
                   const cors_origin *parsed)
{
    for (int i = 0; i < INPUTS; i++) {
        const cors_rule *a = NULL, *b = NULL;
        cors_match_result ra = cors_policy_match_raw(p, in[i], strlen(in[i]), &parsed[i], &a);
        cors_match_result rb = CORS_MATCH_NONE;
        if ((b = apr_hash_get(p->exact, parsed[i].text, (apr_ssize_t)parsed[i].len)) != NULL)
            rb = CORS_MATCH_RULE;
        else if (p->patterns->nelts > 0)
            rb = cors_matcher_match_linear(p->patterns, in[i], strlen(in[i]), &parsed[i], &b);
        if (ra != rb || a != b)
            die("index and linear disagree", in[i]);
        if ((ra == CORS_MATCH_RULE) != (strcmp(kase, "hit") == 0))
            die(apr_psprintf(pool, "%s %s: unexpected result", spec->name, kase), in[i]);
    }
}

static int cmd_time(int runs)
{
    printf("%-12s %-5s %12s %12s %14s\n", "policy", "case", "match ns", "decide ns", "linear ns");
    for (size_t k = 0; k < N_POLICIES; k++) {
        cors_policy *p = build_policy(&policies[k]);
        for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
            const char **in = make_inputs(&policies[k], cases[c]);
            cors_origin *parsed;
            double match, decide, linear;
            if (in == NULL)
                continue;
            parsed = parse_all(in);
            verify(&policies[k], cases[c], p, in, parsed);
            match = time_it(RUN_MATCH, p, in, parsed, runs);
            decide = time_it(RUN_DECIDE, p, in, parsed, runs);
            linear = time_it(RUN_LINEAR, p, in, parsed, runs);
            printf("%-12s %-5s %12.1f %12.1f %14.1f\n", policies[k].name, cases[c], match, decide,
                   linear);
            fflush(stdout);
        }
    }
    return 0;
}

static int cmd_count(const char *policy, const char *kase, long iterations)
{
    for (size_t k = 0; k < N_POLICIES; k++) {
        const char **in;
        cors_policy *p;
        if (strcmp(policies[k].name, policy) != 0)
            continue;
        p = build_policy(&policies[k]);
        in = make_inputs(&policies[k], kase);
        if (in == NULL)
            die(policy, "no such case");
        /* One untimed pass so lazy initialisation (the thread's PCRE2 match
         * data) is not counted. */
        run(RUN_DECIDE, p, in, NULL, INPUTS);
        CALLGRIND_ZERO_STATS;
        CALLGRIND_START_INSTRUMENTATION;
        run(RUN_DECIDE, p, in, NULL, iterations);
        CALLGRIND_STOP_INSTRUMENTATION;
        return 0;
    }
    die(policy, "no such policy");
    return 2;
}

int main(int argc, char **argv)
{
    int status = 2;
    apr_initialize();
    apr_pool_create(&pool, NULL);
    if (argc >= 2 && strcmp(argv[1], "time") == 0)
        status = cmd_time(argc >= 3 ? atoi(argv[2]) : 11);
    else if (argc == 5 && strcmp(argv[1], "count") == 0)
        status = cmd_count(argv[2], argv[3], atol(argv[4]));
    else if (argc == 2 && strcmp(argv[1], "list") == 0) {
        for (size_t k = 0; k < N_POLICIES; k++)
            for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++)
                if (make_inputs(&policies[k], cases[c]) != NULL)
                    printf("%s %s\n", policies[k].name, cases[c]);
        status = 0;
    } else
        fprintf(stderr, "usage: matcher_bench time [runs] | count POLICY CASE N | list\n");
    apr_pool_destroy(pool);
    apr_terminate();
    return status;
}
