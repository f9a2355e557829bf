/*
 * The lint of a policy level (its origin rules and settings), findings as
 * they are made, weighed under K8sCorsStrict and written, and the start-up
 * check httpd and k8s-cors-lint run on every configuration section. The
 * patterns' own lint is cors_lint.c.
 */
#include <string.h>
#include <strings.h>

#include <apr_strings.h>

#include "cors_lint.h"
#include "cors_names.h"

cors_finding *cors_finding_add(apr_array_header_t *out, cors_severity severity, const char *code,
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

static void lint_settings(apr_pool_t *pool, const cors_settings *settings, const char *subject,
                          apr_array_header_t *out)
{
    if (settings->max_age != CORS_UNSET && settings->max_age > CORS_MAX_AGE_CHROMIUM) {
        cors_finding *f = cors_finding_add(
            out, CORS_SEVERITY_WARNING, "max-age-capped", subject, settings->max_age_source,
            apr_psprintf(pool,
                         "max-age %ld is more than browsers honour (Chromium caps it at "
                         "%ld s, Firefox at %ld s)",
                         settings->max_age, CORS_MAX_AGE_CHROMIUM, CORS_MAX_AGE_FIREFOX));
        f->strict_exempt = 1; /* harmless: browsers just cache for less long */
    }
}

/* The impersonation headers a request-header list lets through, by name
 * or prefix or `*` (which credentials turn into "any name asked for");
 * NULL when none. */
static const char *impersonation_granted(apr_pool_t *pool, const cors_token_list *headers)
{
    static const char *const names[] = {"Impersonate-User", "Impersonate-Group", "Impersonate-Uid",
                                        "Impersonate-Extra-<key>"};
    static const char *const probes[] = {"impersonate-user", "impersonate-group", "impersonate-uid",
                                         "impersonate-extra-key"};
    const char *granted = NULL;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (headers->wildcard || cors_token_list_has(headers, probes[i], strlen(probes[i])))
            granted = granted ? apr_pstrcat(pool, granted, ", ", names[i], NULL) : names[i];
    return granted;
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
            cors_lint_compiled(pool, rule->text, CORS_SEMANTICS_WHOLE, rule->regex, rule->source,
                               out);
            break;
        case CORS_RULE_KUBE:
            cors_lint_compiled(pool, rule->text, CORS_SEMANTICS_KUBE, rule->regex, rule->source,
                               out);
            break;
        }
        if (rule->settings != NULL)
            lint_settings(pool, rule->settings, rule->text, out);
        /* `*` is a wildcard only for requests without credentials (Fetch). */
        if (cors_effective_credentials(policy, rule)) {
            if (cors_effective_methods(policy, rule)->wildcard ||
                cors_effective_headers(policy, rule)->wildcard)
                cors_finding_add(
                    out, CORS_SEVERITY_INFO, "wildcard-answered-by-name", rule->text, rule->source,
                    "credentials are on, so `*` in K8sCorsAllowMethods or K8sCorsAllowHeaders is "
                    "answered with the method and header names each preflight asks for "
                    "(browsers read a literal * as a name on credentialed requests); "
                    "Authorization must still be listed by name");
            if (cors_effective_expose(policy, rule)->wildcard)
                cors_finding_add(
                    out, CORS_SEVERITY_WARNING, "wildcard-expose-credentials", rule->text,
                    rule->source,
                    "credentials are on, so K8sCorsExposeHeaders * exposes no header to "
                    "credentialed requests (browsers read it as the name *); list the names");
            if (rule->kind != CORS_RULE_ANY && rule->kind != CORS_RULE_NULL) {
                const char *granted =
                    impersonation_granted(pool, cors_effective_headers(policy, rule));
                /* A privilege, granted on purpose (a console acting for
                 * other users): said, but not refused under K8sCorsStrict. */
                if (granted != NULL)
                    cors_finding_add(
                        out, CORS_SEVERITY_WARNING, "impersonation-with-credentials", rule->text,
                        rule->source,
                        apr_psprintf(pool,
                                     "the origin may send %s with the user's credentials "
                                     "(cookies, client certificate): any script on it can act "
                                     "as every user the credentials may impersonate; grant "
                                     "impersonation only to a console that needs it, or set "
                                     "K8sCorsAllowCredentials Off for it",
                                     granted))
                        ->strict_exempt = 1;
            }
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

static const char *const severity_names[] = {"info", "warning", "error"};
_Static_assert(CORS_NAMES_COUNT(severity_names) == CORS_SEVERITY_ERROR + 1,
               "a name for every value");

const char *cors_severity_name(cors_severity severity)
{
    return cors_name_of(severity_names, CORS_NAMES_COUNT(severity_names), (int)severity);
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

/* ---- the start-up check ------------------------------------------------------------- */

static void check_line(apr_array_header_t *out, cors_severity severity, const char *line,
                       const cors_finding *finding)
{
    cors_check_line *entry = apr_array_push(out);
    memset(entry, 0, sizeof(*entry));
    entry->severity = severity;
    entry->line = line;
    if (finding != NULL) {
        entry->finding = *finding;
        entry->finding.severity = severity;
    }
}

apr_array_header_t *cors_check_section(apr_pool_t *pool, const cors_policy *own,
                                       const cors_policy *effective, int force_strict)
{
    int strict = force_strict || cors_policy_strict(effective);
    apr_array_header_t *findings = cors_lint_policy(pool, own);
    apr_array_header_t *out = apr_array_make(pool, findings->nelts + 2, sizeof(cors_check_line));
    const char *error;

    for (int i = 0; i < findings->nelts; i++) {
        const cors_finding *f = &APR_ARRAY_IDX(findings, i, cors_finding);
        check_line(out, cors_finding_effective_severity(f, strict),
                   cors_finding_format(pool, f, strict), f);
    }
    if (cors_policy_mode(effective) == CORS_MODE_OFF)
        return out;
    if ((error = cors_policy_check(pool, effective)) != NULL)
        check_line(out, CORS_SEVERITY_ERROR, error, NULL);
    if (!effective->has_origins)
        check_line(out, CORS_SEVERITY_WARNING,
                   apr_pstrcat(pool, effective->mode_source,
                               ": K8sCors is on without any allowed origin: every cross-origin "
                               "request is denied",
                               NULL),
                   NULL);
    return out;
}
