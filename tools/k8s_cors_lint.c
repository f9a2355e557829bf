/*
 * k8s-cors-lint: audits CORS origin patterns (kube-apiserver's
 * --cors-allowed-origins, or an httpd configuration using mod_k8s_cors), proves
 * each weakness with an attacker origin the pattern accepts, suggests fixes,
 * and explains the decision for one request exactly as the module makes it.
 *
 * Exit status: 0 clean, 1 warnings, 2 errors (or unusable input).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <apr_general.h>
#include <apr_hash.h>
#include <apr_strings.h>

#include "lint_input.h"

static const char usage[] =
    "usage: k8s-cors-lint [options] (--manifest FILE | --flag VALUE | --httpd-config FILE)\n"
    "\n"
    "Audits CORS origin patterns and proves each weakness with an attacker origin.\n"
    "\n"
    "inputs (one):\n"
    "  --manifest FILE      a kube-apiserver static pod manifest\n"
    "                       (/etc/kubernetes/manifests/kube-apiserver.yaml)\n"
    "  --flag VALUE         a --cors-allowed-origins value (the \"--cors-allowed-origins=\"\n"
    "                       prefix is optional)\n"
    "  --httpd-config FILE  an httpd configuration using the K8sCors directives\n"
    "\n"
    "options:\n"
    "  --format text|json   output for people (default) or for pipelines\n"
    "  --strict             report warnings as errors, as K8sCorsStrict On does\n"
    "  --explain ORIGIN     the gateway's decision for one request from ORIGIN\n"
    "  --method METHOD      its method (default GET); with --headers, a preflight\n"
    "  --headers LIST       Access-Control-Request-Headers of a preflight\n"
    "  --preflight          explain the preflight for --method (OPTIONS with\n"
    "                       Access-Control-Request-Method)\n"
    "  --location PATH      the request path, to pick <Location> sections (default /)\n"
    "  -h, --help           this text\n"
    "\n"
    "exit status: 0 no warning, 1 warnings, 2 errors or unusable input\n";

typedef struct {
    const char *manifest, *flag, *httpd_config;
    int json, strict;
    const char *explain_origin, *method, *headers, *location;
    int preflight;
} options;

typedef struct {
    apr_array_header_t *findings;
    apr_array_header_t *lines; /* formatted, deduplicated, as the module logs them */
    apr_array_header_t *line_severity;
    apr_hash_t *seen;
    int errors, warnings, infos;
} report;

static void add_line(apr_pool_t *pool, report *rep, const char *line, cors_severity severity)
{
    (void)pool;
    if (apr_hash_get(rep->seen, line, APR_HASH_KEY_STRING) != NULL)
        return;
    apr_hash_set(rep->seen, line, APR_HASH_KEY_STRING, line);
    APR_ARRAY_PUSH(rep->lines, const char *) = line;
    APR_ARRAY_PUSH(rep->line_severity, int) = (int)severity;
    if (severity == CORS_SEVERITY_ERROR)
        rep->errors++;
    else if (severity == CORS_SEVERITY_WARNING)
        rep->warnings++;
    else
        rep->infos++;
}

/* What httpd's start-up check reports for one section: the lint of what the
 * section itself configures, under the strictness in force there, and the
 * cross-directive checks of the merged policy. */
static void check_section(apr_pool_t *pool, report *rep, const cors_policy *own,
                          const cors_policy *effective, int force_strict)
{
    int strict = force_strict || cors_policy_strict(effective);
    apr_array_header_t *findings = cors_lint_policy(pool, own);
    const char *error;

    for (int i = 0; i < findings->nelts; i++) {
        cors_finding *f = &APR_ARRAY_IDX(findings, i, cors_finding);
        cors_finding copy = *f;
        const char *line = cors_finding_format(pool, f, strict);
        if (apr_hash_get(rep->seen, line, APR_HASH_KEY_STRING) == NULL) {
            copy.severity = cors_finding_effective_severity(f, strict);
            *(cors_finding *)apr_array_push(rep->findings) = copy;
        }
        add_line(pool, rep, line, cors_finding_effective_severity(f, strict));
    }
    if (cors_policy_mode(effective) == CORS_MODE_OFF)
        return;
    error = cors_policy_check(pool, effective);
    if (error != NULL)
        add_line(pool, rep, error, CORS_SEVERITY_ERROR);
    if (!effective->has_origins)
        add_line(pool, rep,
                 apr_pstrcat(pool, effective->mode_source,
                             ": K8sCors is on without any allowed origin: every cross-origin "
                             "request is denied",
                             NULL),
                 CORS_SEVERITY_WARNING);
}

static void check_config(apr_pool_t *pool, const lint_config *config, report *rep, int strict)
{
    const lint_section *server = APR_ARRAY_IDX(config->sections, 0, const lint_section *);
    check_section(pool, rep, server->policy, server->policy, strict);
    for (int i = 1; i < config->sections->nelts; i++) {
        const lint_section *s = APR_ARRAY_IDX(config->sections, i, const lint_section *);
        const cors_policy *base = s->parent->policy;
        if (s->parent != server)
            base = cors_policy_merge(pool, server->policy, base);
        check_section(pool, rep, s->policy, cors_policy_merge(pool, base, s->policy), strict);
    }
}

/* The flag value with each pattern that has a suggestion replaced by it. */
static const char *suggested_flag(apr_pool_t *pool, const cors_policy *policy, const report *rep)
{
    const char *out = NULL;
    int changed = 0;
    for (int i = 0; policy->has_origins && i < policy->rules->nelts; i++) {
        const cors_rule *rule = APR_ARRAY_IDX(policy->rules, i, const cors_rule *);
        const char *fixed = rule->text;
        for (int k = 0; k < rep->findings->nelts; k++) {
            const cors_finding *f = &APR_ARRAY_IDX(rep->findings, k, cors_finding);
            if (f->suggestion && strcmp(f->subject, rule->text) == 0 &&
                strncmp(f->suggestion, "^", 1) == 0) {
                fixed = f->suggestion;
                changed = 1;
                break;
            }
        }
        out = out ? apr_pstrcat(pool, out, ",", fixed, NULL) : fixed;
    }
    return changed ? out : NULL;
}

static void explain(apr_pool_t *pool, const options *opt, const lint_config *config,
                    const char **json_out)
{
    const cors_policy *policy =
        lint_policy_for_path(pool, config, opt->location ? opt->location : "/");
    cors_request request;
    cors_decision decision;

    memset(&request, 0, sizeof(request));
    request.origin = opt->explain_origin;
    if (opt->preflight || opt->headers != NULL) {
        request.method = "OPTIONS";
        request.request_method = opt->method ? opt->method : "GET";
        request.request_headers = opt->headers;
    } else {
        request.method = opt->method ? opt->method : "GET";
    }
    cors_decide(policy, &request, &decision);
    if (opt->json) {
        *json_out = cors_json_decision(pool, &decision);
        return;
    }
    printf("explain: %s %s from %s under %s mode\n", request.method,
           opt->location ? opt->location : "/", opt->explain_origin,
           cors_policy_mode(policy) == CORS_MODE_ENFORCE       ? "enforce"
           : cors_policy_mode(policy) == CORS_MODE_REPORT_ONLY ? "report-only"
                                                               : "off");
    printf("  kind:     %s\n  decision: %s (%s)\n", cors_kind_name(decision.kind),
           decision.allowed ? "allowed" : "denied", cors_reason_name(decision.reason));
    if (decision.origin_status != CORS_ORIGIN_OK)
        printf("  origin:   %s\n", cors_origin_status_text(decision.origin_status));
    if (decision.rule)
        printf("  rule:     %s (%s)\n", decision.rule->text, decision.rule->source);
    if (decision.detail)
        printf("  refused:  %.*s\n", (int)decision.detail_len, decision.detail);
    if (decision.refuse_status)
        printf("  answered by the gateway: %d\n", decision.refuse_status);
#define HEADER(name, value)                                                                        \
    if (value)                                                                                     \
    printf("  %s: %s\n", name, value)
    HEADER("Access-Control-Allow-Origin", decision.allow_origin);
    HEADER("Access-Control-Allow-Credentials", decision.allow_credentials);
    HEADER("Access-Control-Allow-Methods", decision.allow_methods);
    HEADER("Access-Control-Allow-Headers", decision.allow_headers);
    HEADER("Access-Control-Max-Age", decision.max_age);
    HEADER("Access-Control-Expose-Headers", decision.expose_headers);
    HEADER("Allow", decision.allow);
    HEADER("Vary", decision.vary);
#undef HEADER
}

static int parse_options(int argc, char **argv, options *opt)
{
    static const struct option long_options[] = {
        {"manifest", required_argument, NULL, 'm'},
        {"flag", required_argument, NULL, 'f'},
        {"httpd-config", required_argument, NULL, 'c'},
        {"format", required_argument, NULL, 'F'},
        {"strict", no_argument, NULL, 's'},
        {"explain", required_argument, NULL, 'e'},
        {"method", required_argument, NULL, 'M'},
        {"headers", required_argument, NULL, 'H'},
        {"preflight", no_argument, NULL, 'p'},
        {"location", required_argument, NULL, 'l'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c, inputs;
    memset(opt, 0, sizeof(*opt));
    while ((c = getopt_long(argc, argv, "h", long_options, NULL)) != -1) {
        switch (c) {
        case 'm':
            opt->manifest = optarg;
            break;
        case 'f':
            opt->flag = optarg;
            break;
        case 'c':
            opt->httpd_config = optarg;
            break;
        case 'F':
            if (strcmp(optarg, "json") != 0 && strcmp(optarg, "text") != 0) {
                fprintf(stderr, "k8s-cors-lint: --format is text or json\n");
                return -1;
            }
            opt->json = strcmp(optarg, "json") == 0;
            break;
        case 's':
            opt->strict = 1;
            break;
        case 'e':
            opt->explain_origin = optarg;
            break;
        case 'M':
            opt->method = optarg;
            break;
        case 'H':
            opt->headers = optarg;
            break;
        case 'p':
            opt->preflight = 1;
            break;
        case 'l':
            opt->location = optarg;
            break;
        case 'h':
            fputs(usage, stdout);
            return 1;
        default:
            fputs(usage, stderr);
            return -1;
        }
    }
    inputs = !!opt->manifest + !!opt->flag + !!opt->httpd_config;
    if (inputs != 1 || optind != argc) {
        fputs("k8s-cors-lint: give exactly one of --manifest, --flag, --httpd-config\n", stderr);
        fputs(usage, stderr);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    apr_pool_t *pool;
    options opt;
    lint_config config;
    report rep;
    const char *input_error = NULL, *flag_value = NULL, *flag_source = NULL;
    const char *fixed_flag = NULL, *explain_json = "null";
    int parsed = parse_options(argc, argv, &opt), status;

    if (parsed != 0)
        return parsed > 0 ? 0 : 2;
    apr_initialize();
    apr_pool_create(&pool, NULL);
    memset(&rep, 0, sizeof(rep));
    rep.findings = apr_array_make(pool, 8, sizeof(cors_finding));
    rep.lines = apr_array_make(pool, 8, sizeof(const char *));
    rep.line_severity = apr_array_make(pool, 8, sizeof(int));
    rep.seen = apr_hash_make(pool);

    if (opt.httpd_config != NULL) {
        lint_read_httpd_config(pool, opt.httpd_config, &config);
        input_error = config.error;
    } else {
        if (opt.manifest != NULL) {
            input_error = lint_read_manifest(pool, opt.manifest, &flag_value, &flag_source);
            if (input_error == NULL && flag_value == NULL)
                flag_value = "", flag_source = opt.manifest;
        } else {
            flag_value = opt.flag;
            flag_source = "--cors-allowed-origins";
        }
        if (input_error == NULL) {
            input_error = lint_policy_from_flag(pool, flag_value, flag_source, &config);
            if (input_error != NULL)
                input_error = apr_psprintf(pool, "%s: %s", flag_source, input_error);
        }
    }
    if (input_error != NULL) {
        if (opt.json)
            printf("{\"error\":%s}\n", cors_json_string(pool, input_error));
        else
            fprintf(stderr, "k8s-cors-lint: %s\n", input_error);
        return 2;
    }

    check_config(pool, &config, &rep, opt.strict);
    if (flag_value != NULL)
        fixed_flag =
            suggested_flag(pool, APR_ARRAY_IDX(config.sections, 0, lint_section *)->policy, &rep);

    if (opt.json) {
        if (opt.explain_origin)
            explain(pool, &opt, &config, &explain_json);
        printf("{\"findings\":%s,\"suggested_flag\":%s,\"explain\":%s,"
               "\"summary\":{\"errors\":%d,\"warnings\":%d,\"info\":%d}}\n",
               cors_json_findings(pool, rep.findings, 0), cors_json_string(pool, fixed_flag),
               explain_json, rep.errors, rep.warnings, rep.infos);
    } else {
        for (int i = 0; i < rep.lines->nelts; i++)
            printf("%s\n", APR_ARRAY_IDX(rep.lines, i, const char *));
        if (fixed_flag != NULL)
            printf("suggested: --cors-allowed-origins=%s\n", fixed_flag);
        if (opt.explain_origin)
            explain(pool, &opt, &config, &explain_json);
        printf("%d errors, %d warnings, %d notes\n", rep.errors, rep.warnings, rep.infos);
    }
    status = rep.errors ? 2 : rep.warnings ? 1 : 0;
    apr_pool_destroy(pool);
    apr_terminate();
    return status;
}
