/*
 * Metric names follow Prometheus' conventions: a k8s_cors_ prefix, _total on
 * counters, one HELP and one TYPE line per metric, samples grouped.
 */
#include <string.h>

#include <apr_strings.h>

#include "cors_metrics.h"

_Static_assert(__atomic_always_lock_free(sizeof(uint64_t), 0),
               "shared counters need lock-free 64-bit atomics");

cors_metric_decision cors_metric_decision_of(const cors_decision *d)
{
    switch (d->reason) {
    case CORS_REASON_ALLOWED:
        return CORS_METRIC_ALLOWED;
    case CORS_REASON_NO_ORIGIN:
        return CORS_METRIC_NO_ORIGIN;
    case CORS_REASON_SAME_ORIGIN:
        return CORS_METRIC_SAME_ORIGIN;
    case CORS_REASON_METHOD_NOT_ALLOWED:
        return CORS_METRIC_DENIED_METHOD;
    case CORS_REASON_HEADER_NOT_ALLOWED:
    case CORS_REASON_HEADERS_MALFORMED:
        return CORS_METRIC_DENIED_HEADER;
    case CORS_REASON_ORIGIN_MALFORMED:
    case CORS_REASON_ORIGIN_NULL:
    case CORS_REASON_ORIGIN_NOT_ALLOWED:
    case CORS_REASON_REGEX_LIMIT:
    case CORS_REASON_WILDCARD_CREDENTIALS:
    case CORS_REASON_CROSS_SITE_UNTRUSTED:
        break;
    }
    return CORS_METRIC_DENIED_ORIGIN;
}

int cors_metric_cross_site_signal(const cors_decision *d)
{
    switch (d->cross_site) {
    case CORS_CROSS_SITE_REFUSED_SITE:
        return 0;
    case CORS_CROSS_SITE_REFUSED_ORIGIN:
        return 1;
    default:
        return -1;
    }
}

int cors_metrics_rule_slot(cors_metrics *metrics, const char *name)
{
    char cut[CORS_METRIC_RULE_NAME_MAX];
    apr_cpystrn(cut, name, sizeof(cut));
    for (uint32_t i = 0; i < metrics->rule_count; i++)
        if (strcmp(metrics->rules[i].name, cut) == 0)
            return (int)i;
    if (metrics->rule_count == CORS_METRIC_RULES_MAX)
        return -1;
    memcpy(metrics->rules[metrics->rule_count].name, cut, sizeof(cut));
    return (int)metrics->rule_count++;
}

static uint64_t load(const uint64_t *counter)
{
    return __atomic_load_n(counter, __ATOMIC_RELAXED);
}

/* A label value: backslash, double quote and newline escaped. */
static const char *label_value(apr_pool_t *pool, const char *text)
{
    char *out = apr_palloc(pool, strlen(text) * 2 + 1), *o = out;
    for (const char *t = text; *t; t++) {
        if (*t == '\\' || *t == '"') {
            *o++ = '\\';
            *o++ = *t;
        } else if (*t == '\n') {
            *o++ = '\\';
            *o++ = 'n';
        } else {
            *o++ = *t;
        }
    }
    *o = '\0';
    return out;
}

static const char *header(apr_pool_t *pool, const char *name, const char *help)
{
    return apr_psprintf(pool, "# HELP %s %s\n# TYPE %s counter\n", name, help, name);
}

const char *cors_metrics_render(apr_pool_t *pool, const cors_metrics *m, const int *rule_slots,
                                int n)
{
    static const char *const decisions[] = {"allowed",       "denied_origin", "denied_method",
                                            "denied_header", "no_origin",     "same_origin"};
    static const char *const kinds[] = {"none", "actual", "preflight"};
    const char *out;

    out = header(pool, "k8s_cors_requests_total",
                 "Requests seen in K8sCors scopes, by decision, kind and mode.");
    for (int mode = 0; mode < CORS_METRIC_MODES; mode++)
        for (int d = 0; d < CORS_METRIC_DECISIONS; d++)
            for (int k = 0; k < CORS_METRIC_KINDS; k++) {
                /* A request without Origin is never a preflight or "actual"
                 * CORS request; print only combinations that can occur. */
                int none_kind = d == CORS_METRIC_NO_ORIGIN || d == CORS_METRIC_SAME_ORIGIN;
                if (none_kind != (k == CORS_KIND_NONE))
                    continue;
                out = apr_psprintf(pool,
                                   "%sk8s_cors_requests_total{decision=\"%s\",kind=\"%s\","
                                   "mode=\"%s\"} %" APR_UINT64_T_FMT "\n",
                                   out, decisions[d], kinds[k],
                                   cors_mode_name(mode ? CORS_MODE_REPORT_ONLY : CORS_MODE_ENFORCE),
                                   (apr_uint64_t)load(&m->requests[mode][d][k]));
            }
    out = apr_pstrcat(pool, out,
                      header(pool, "k8s_cors_preflights_answered_total",
                             "Preflights answered by the gateway itself (never forwarded)."),
                      NULL);
    out = apr_psprintf(
        pool,
        "%sk8s_cors_preflights_answered_total{result=\"allowed\"} %" APR_UINT64_T_FMT "\n"
        "k8s_cors_preflights_answered_total{result=\"denied\"} %" APR_UINT64_T_FMT "\n",
        out, (apr_uint64_t)load(&m->preflights_answered[0]),
        (apr_uint64_t)load(&m->preflights_answered[1]));
    out = apr_pstrcat(pool, out,
                      header(pool, "k8s_cors_requests_refused_total",
                             "Actual requests refused at the gateway, before the API server."),
                      NULL);
    out = apr_psprintf(pool,
                       "%sk8s_cors_requests_refused_total{status=\"403\"} %" APR_UINT64_T_FMT "\n"
                       "k8s_cors_requests_refused_total{status=\"405\"} %" APR_UINT64_T_FMT "\n",
                       out, (apr_uint64_t)load(&m->refused[0]), (apr_uint64_t)load(&m->refused[1]));
    out = apr_pstrcat(pool, out,
                      header(pool, "k8s_cors_cross_site_refused_total",
                             "Unsafe cross-site requests refused by K8sCorsDeniedOrigin "
                             "reject-unsafe (or reject), by the signal that decided and mode "
                             "(report-only: would have been refused)."),
                      NULL);
    for (int mode = 0; mode < CORS_METRIC_MODES; mode++)
        for (int signal = 0; signal < CORS_METRIC_SIGNALS; signal++)
            out = apr_psprintf(pool,
                               "%sk8s_cors_cross_site_refused_total{signal=\"%s\",mode=\"%s\"} "
                               "%" APR_UINT64_T_FMT "\n",
                               out, signal ? "origin" : "sec-fetch-site",
                               cors_mode_name(mode ? CORS_MODE_REPORT_ONLY : CORS_MODE_ENFORCE),
                               (apr_uint64_t)load(&m->cross_site_refused[mode][signal]));
    out = apr_pstrcat(pool, out,
                      header(pool, "k8s_cors_upstream_headers_removed_total",
                             "Responses whose CORS headers from the API server were removed."),
                      NULL);
    out = apr_psprintf(pool, "%sk8s_cors_upstream_headers_removed_total %" APR_UINT64_T_FMT "\n",
                       out, (apr_uint64_t)load(&m->upstream_headers_removed));
    out = apr_pstrcat(pool, out,
                      header(pool, "k8s_cors_regex_limit_total",
                             "Origin pattern matches stopped by a PCRE2 limit (counted as "
                             "no match)."),
                      NULL);
    out = apr_psprintf(pool, "%sk8s_cors_regex_limit_total %" APR_UINT64_T_FMT "\n", out,
                       (apr_uint64_t)load(&m->regex_limit));
    out = apr_pstrcat(pool, out,
                      header(pool, "k8s_cors_rule_hits_total",
                             "Requests allowed by each configured origin rule."),
                      NULL);
    for (int i = 0; i < n; i++) {
        const cors_metric_rule *rule = &m->rules[rule_slots[i]];
        out = apr_psprintf(pool, "%sk8s_cors_rule_hits_total{rule=\"%s\"} %" APR_UINT64_T_FMT "\n",
                           out, label_value(pool, rule->name), (apr_uint64_t)load(&rule->hits));
    }
    return out;
}

uint64_t cors_metrics_policy_hash(uint64_t hash, const char *text)
{
    for (const unsigned char *t = (const unsigned char *)text; *t; t++) {
        hash ^= *t;
        hash *= 0x100000001b3ULL;
    }
    /* a byte no directive contains ends each field: ("ab","c") != ("a","bc") */
    hash ^= 0xff;
    hash *= 0x100000001b3ULL;
    return hash;
}

static const char *gauge(apr_pool_t *pool, const char *name, const char *help)
{
    return apr_psprintf(pool, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

/* The value of name in the status text, when it is a plain decimal number
 * of at most 18 digits (no sign, no exponent); else NULL. */
static const char *status_number(apr_pool_t *pool, const char *text, const char *name)
{
    size_t length = strlen(name);
    for (const char *line = text; line != NULL && *line; line = strchr(line, '\n')) {
        const char *value, *end;
        if (*line == '\n')
            line++;
        if (strncmp(line, name, length) != 0 || line[length] != ' ')
            continue;
        value = line + length + 1;
        for (end = value; *end >= '0' && *end <= '9'; end++)
            ;
        if (end == value || end - value > 18 || (*end != '\n' && *end != '\0'))
            return NULL;
        return apr_pstrmemdup(pool, value, (apr_size_t)(end - value));
    }
    return NULL;
}

const char *cors_metrics_render_policy(apr_pool_t *pool, const cors_metrics_policy *policy,
                                       const char *reload_status)
{
    const char *out, *at, *success, *applied, *invalid;

    out = apr_pstrcat(
        pool,
        gauge(pool, "k8s_cors_policy_info",
              "The policy this configuration generation serves: a hash of its K8sCors "
              "directives as httpd read them."),
        "k8s_cors_policy_info{hash=\"", label_value(pool, policy->hash), "\"} 1\n",
        gauge(pool, "k8s_cors_config_generation",
              "httpd's configuration generation: one more at every graceful restart."),
        apr_psprintf(pool, "k8s_cors_config_generation %d\n", policy->generation),
        gauge(pool, "k8s_cors_config_loaded_timestamp_seconds",
              "When this configuration generation was read (Unix time)."),
        apr_psprintf(pool, "k8s_cors_config_loaded_timestamp_seconds %" APR_INT64_T_FMT "\n",
                     policy->loaded_at_seconds),
        NULL);
    if (reload_status == NULL)
        return out;
    at = status_number(pool, reload_status, "last_attempt_timestamp_seconds");
    success = status_number(pool, reload_status, "last_attempt_success");
    applied = status_number(pool, reload_status, "applied_total");
    invalid = status_number(pool, reload_status, "invalid_total");
    if (at != NULL)
        out = apr_pstrcat(pool, out,
                          gauge(pool, "k8s_cors_policy_reload_last_attempt_timestamp_seconds",
                                "When the reloader last validated a changed policy (Unix time)."),
                          "k8s_cors_policy_reload_last_attempt_timestamp_seconds ", at, "\n", NULL);
    if (success != NULL && (strcmp(success, "0") == 0 || strcmp(success, "1") == 0))
        out = apr_pstrcat(pool, out,
                          gauge(pool, "k8s_cors_policy_reload_last_attempt_success",
                                "1 when the last changed policy was valid and applied, 0 when it "
                                "was refused and the previous policy kept serving."),
                          "k8s_cors_policy_reload_last_attempt_success ", success, "\n", NULL);
    if (applied != NULL && invalid != NULL)
        out =
            apr_pstrcat(pool, out,
                        header(pool, "k8s_cors_policy_reloads_total",
                               "Changed policies the reloader validated, by result: applied, "
                               "or invalid (refused)."),
                        "k8s_cors_policy_reloads_total{result=\"applied\"} ", applied, "\n",
                        "k8s_cors_policy_reloads_total{result=\"invalid\"} ", invalid, "\n", NULL);
    return out;
}
