/*
 * k8s-cors-lint: audits CORS origin settings (kube-apiserver's
 * --cors-allowed-origins, ingress-nginx's CORS annotations, Gateway API
 * HTTPRoute CORS filters, an httpd configuration using mod_k8s_cors),
 * proves each weakness with an attacker origin the setting accepts under
 * its own matching rules, suggests verified fixes, and explains the
 * decision for one request exactly as the module makes it.
 *
 * Exit status: 0 clean, 1 warnings, 2 errors (or unusable input).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <apr_general.h>
#include <apr_hash.h>
#include <apr_strings.h>

#include "lint_input.h"
#include "lint_sarif.h"

#define INGRESS_NGINX_ORIGIN "nginx.ingress.kubernetes.io/cors-allow-origin"

static const char usage[] =
    "usage: k8s-cors-lint [options] FILE...\n"
    "       k8s-cors-lint [options] (--manifest FILE | --flag VALUE | --httpd-config FILE)\n"
    "\n"
    "Audits CORS origin settings and proves each weakness with an attacker origin.\n"
    "\n"
    "inputs (any number):\n"
    "  FILE                 Kubernetes YAML (*.yaml, *.yml, *.json, or a first line such as\n"
    "                       apiVersion: or ---): kube-apiserver manifests, Ingress objects\n"
    "                       with ingress-nginx CORS annotations, HTTPRoute CORS filters, in\n"
    "                       one or several documents or a List; anything else is read as an\n"
    "                       httpd configuration\n"
    "  --manifest FILE      Kubernetes YAML, whatever its name\n"
    "                       (/etc/kubernetes/manifests/kube-apiserver.yaml)\n"
    "  --flag VALUE         a --cors-allowed-origins value (the \"--cors-allowed-origins=\"\n"
    "                       prefix is optional)\n"
    "  --httpd-config FILE  an httpd configuration using the K8sCors directives\n"
    "\n"
    "options:\n"
    "  --format text|json|sarif  output for people (default), for pipelines, or SARIF 2.1.0\n"
    "                       for CI code annotations\n"
    "  --strict             report warnings as errors, as K8sCorsStrict On does\n"
    "  --explain ORIGIN     the gateway's decision for one request from ORIGIN (under the\n"
    "                       first httpd configuration or kube-apiserver flag read)\n"
    "  --method METHOD      its method (default GET); with --headers, a preflight\n"
    "  --headers LIST       Access-Control-Request-Headers of a preflight\n"
    "  --preflight          explain the preflight for --method (OPTIONS with\n"
    "                       Access-Control-Request-Method)\n"
    "  --location PATH      the request path, to pick <Location> sections (default /)\n"
    "  -h, --help           this text\n"
    "\n"
    "exit status: 0 no warning, 1 warnings, 2 errors or unusable input\n";

typedef enum { FORMAT_TEXT, FORMAT_JSON, FORMAT_SARIF } output_format;

typedef struct {
    apr_array_header_t *kube_files, *httpd_files, *flags; /* const char * */
    output_format format;
    int strict;
    const char *explain_origin, *method, *headers, *location;
    int preflight;
} options;

/* A whole setting rewritten with the verified fixes of its entries. */
typedef struct {
    const char *source;   /* where the setting is */
    const char *setting;  /* "--cors-allowed-origins", an annotation name */
    const char *value;    /* the replacement */
    const char *left_out; /* entries no rewrite can make safe, or NULL */
} suggestion;

typedef struct {
    apr_array_header_t *findings; /* cors_finding, severity made effective */
    apr_array_header_t *lines;    /* formatted, deduplicated, as the module logs them */
    apr_array_header_t *suggestions;
    apr_array_header_t *notices; /* const char *: inputs that could not be used */
    apr_hash_t *seen;
    int errors, warnings, infos;
    const lint_config *explained; /* the policy --explain reads */
} report;

static void count(report *rep, cors_severity severity)
{
    if (severity == CORS_SEVERITY_ERROR)
        rep->errors++;
    else if (severity == CORS_SEVERITY_WARNING)
        rep->warnings++;
    else
        rep->infos++;
}

static int add_line(report *rep, const char *line, cors_severity severity)
{
    if (apr_hash_get(rep->seen, line, APR_HASH_KEY_STRING) != NULL)
        return 0;
    apr_hash_set(rep->seen, line, APR_HASH_KEY_STRING, line);
    APR_ARRAY_PUSH(rep->lines, const char *) = line;
    count(rep, severity);
    return 1;
}

static void add_finding(apr_pool_t *pool, report *rep, const cors_finding *f, int strict)
{
    cors_finding copy = *f;
    copy.severity = cors_finding_effective_severity(f, strict);
    if (add_line(rep, cors_finding_format(pool, f, strict), copy.severity))
        *(cors_finding *)apr_array_push(rep->findings) = copy;
}

static void notice(report *rep, const char *message)
{
    APR_ARRAY_PUSH(rep->notices, const char *) = message;
    rep->errors++;
}

/* What httpd's start-up check reports for one section (cors_check_section). */
static void check_section(apr_pool_t *pool, report *rep, const cors_policy *own,
                          const cors_policy *effective, int force_strict)
{
    apr_array_header_t *lines = cors_check_section(pool, own, effective, force_strict);
    for (int i = 0; i < lines->nelts; i++) {
        const cors_check_line *line = &APR_ARRAY_IDX(lines, i, cors_check_line);
        if (add_line(rep, line->line, line->severity) && line->finding.code != NULL)
            *(cors_finding *)apr_array_push(rep->findings) = line->finding;
    }
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

/* A flag value is clean when its lint finds nothing a rewrite could fix. */
static int flag_clean(apr_pool_t *pool, const char *value)
{
    lint_config config;
    apr_array_header_t *findings;
    if (lint_policy_from_flag(pool, value, "--cors-allowed-origins", &config) != NULL)
        return 0;
    findings = cors_lint_policy(pool, APR_ARRAY_IDX(config.sections, 0, lint_section *)->policy);
    for (int k = 0; k < findings->nelts; k++) {
        const cors_finding *f = &APR_ARRAY_IDX(findings, k, cors_finding);
        if (f->severity >= CORS_SEVERITY_WARNING && !cors_lint_unfixable(f->code))
            return 0;
    }
    return 1;
}

/* The flag value with each pattern replaced by its verified fix; a
 * pattern still weak without one (`.*`, a construct kube-apiserver
 * refuses) is left out and named, never kept. Linted again as a whole. */
static void suggest_flag(apr_pool_t *pool, report *rep, const cors_policy *policy, int first,
                         const char *source)
{
    const char *out = NULL, *left_out = NULL;
    int changed = 0;
    suggestion *s;

    for (int i = 0; policy->has_origins && i < policy->rules->nelts; i++) {
        const cors_rule *rule = APR_ARRAY_IDX(policy->rules, i, const cors_rule *);
        const char *fixed = rule->text;
        int weak = 0;
        for (int k = first; k < rep->findings->nelts; k++) {
            const cors_finding *f = &APR_ARRAY_IDX(rep->findings, k, cors_finding);
            if (strcmp(f->subject, rule->text) != 0)
                continue;
            if (f->suggestion && f->suggestion[0] == '^')
                fixed = f->suggestion;
            weak |= f->severity >= CORS_SEVERITY_WARNING && !cors_lint_unfixable(f->code);
        }
        if (weak && fixed == rule->text) {
            left_out = left_out ? apr_pstrcat(pool, left_out, ",", rule->text, NULL) : rule->text;
            changed = 1;
            continue;
        }
        changed |= fixed != rule->text;
        out = out ? apr_pstrcat(pool, out, ",", fixed, NULL) : fixed;
    }
    if (!changed || (out != NULL && !flag_clean(pool, out)))
        return;
    s = apr_array_push(rep->suggestions);
    s->source = source;
    s->setting = "--cors-allowed-origins";
    s->value = out ? out : "";
    s->left_out = left_out;
}

static void lint_flag(apr_pool_t *pool, report *rep, const options *opt, const char *value,
                      const char *source)
{
    lint_config *config = apr_pcalloc(pool, sizeof(*config));
    const char *error = lint_policy_from_flag(pool, value, source, config);
    int first = rep->findings->nelts;
    if (error != NULL) {
        notice(rep, apr_psprintf(pool, "%s: %s", source, error));
        return;
    }
    check_config(pool, config, rep, opt->strict);
    suggest_flag(pool, rep, APR_ARRAY_IDX(config->sections, 0, lint_section *)->policy, first,
                 source);
    if (rep->explained == NULL)
        rep->explained = config;
}

/* Findings of a controller's object, each message naming the object. */
static void add_object_findings(apr_pool_t *pool, report *rep, const lint_object *o,
                                const apr_array_header_t *findings, int strict)
{
    for (int i = 0; i < findings->nelts; i++) {
        cors_finding f = APR_ARRAY_IDX(findings, i, cors_finding);
        f.message = apr_pstrcat(pool, o->name, ": ", f.message, NULL);
        add_finding(pool, rep, &f, strict);
    }
}

/* strconv.ParseBool's true, which ingress-nginx's annotation reader uses. */
static int go_true(const char *value)
{
    static const char *const yes[] = {"1", "t", "T", "TRUE", "true", "True"};
    for (size_t k = 0; value && k < sizeof(yes) / sizeof(yes[0]); k++)
        if (strcmp(value, yes[k]) == 0)
            return 1;
    return 0;
}

static void lint_kube_file(apr_pool_t *pool, report *rep, const options *opt, const char *path)
{
    apr_array_header_t *objects = apr_array_make(pool, 4, sizeof(lint_object));
    const char *error = lint_read_kube(pool, path, objects);

    if (error != NULL)
        notice(rep, error);
    for (int i = 0; i < objects->nelts; i++) {
        const lint_object *o = &APR_ARRAY_IDX(objects, i, lint_object);
        apr_array_header_t *findings = apr_array_make(pool, 4, sizeof(cors_finding));
        switch (o->kind) {
        case LINT_OBJECT_APISERVER:
            lint_flag(pool, rep, opt, o->flag, o->source);
            break;
        case LINT_OBJECT_INGRESS:
            if (go_true(o->enable_cors)) {
                const char *fixed = cors_lint_ingress_nginx(
                    pool, o->allow_origin, o->allow_credentials, o->source, findings);
                if (fixed != NULL) {
                    suggestion *s = apr_array_push(rep->suggestions);
                    s->source = o->source;
                    s->setting = INGRESS_NGINX_ORIGIN;
                    s->value = fixed;
                    s->left_out = NULL;
                }
            } else {
                cors_finding *f = apr_array_push(findings);
                memset(f, 0, sizeof(*f));
                f->severity = CORS_SEVERITY_INFO;
                f->code = "cors-disabled";
                f->subject = o->allow_origin;
                f->source = o->source;
                f->message = "ingress-nginx ignores the CORS annotations: enable-cors is not "
                             "\"true\"";
            }
            break;
        case LINT_OBJECT_HTTPROUTE:
            cors_lint_gateway_origins(pool, o->origins, o->origin_sources, o->credentials,
                                      findings);
            break;
        }
        add_object_findings(pool, rep, o, findings, opt->strict);
    }
}

static void lint_httpd_file(apr_pool_t *pool, report *rep, const options *opt, const char *path)
{
    lint_config *config = apr_pcalloc(pool, sizeof(*config));
    lint_read_httpd_config(pool, path, config);
    if (config->error != NULL) {
        notice(rep, config->error);
        return;
    }
    check_config(pool, config, rep, opt->strict);
    if (rep->explained == NULL)
        rep->explained = config;
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
        request.preflight_method = opt->method ? opt->method : "GET";
        request.request_headers = opt->headers;
    } else {
        request.method = opt->method ? opt->method : "GET";
    }
    cors_decide(policy, &request, &decision);
    if (opt->format != FORMAT_TEXT) {
        *json_out = cors_json_decision(pool, &decision);
        return;
    }
    printf("explain: %s %s from %s under %s mode\n", request.method,
           opt->location ? opt->location : "/", opt->explain_origin,
           cors_mode_name(cors_policy_mode(policy)));
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

static int parse_options(int argc, char **argv, apr_pool_t *pool, options *opt)
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
    int c;
    memset(opt, 0, sizeof(*opt));
    opt->kube_files = apr_array_make(pool, 2, sizeof(const char *));
    opt->httpd_files = apr_array_make(pool, 2, sizeof(const char *));
    opt->flags = apr_array_make(pool, 1, sizeof(const char *));
    while ((c = getopt_long(argc, argv, "h", long_options, NULL)) != -1) {
        switch (c) {
        case 'm':
            APR_ARRAY_PUSH(opt->kube_files, const char *) = optarg;
            break;
        case 'f':
            APR_ARRAY_PUSH(opt->flags, const char *) = optarg;
            break;
        case 'c':
            APR_ARRAY_PUSH(opt->httpd_files, const char *) = optarg;
            break;
        case 'F':
            if (strcmp(optarg, "text") == 0) {
                opt->format = FORMAT_TEXT;
            } else if (strcmp(optarg, "json") == 0) {
                opt->format = FORMAT_JSON;
            } else if (strcmp(optarg, "sarif") == 0) {
                opt->format = FORMAT_SARIF;
            } else {
                fprintf(stderr, "k8s-cors-lint: --format is text, json or sarif\n");
                return -1;
            }
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
    for (int i = optind; i < argc; i++)
        APR_ARRAY_PUSH(lint_detect(argv[i]) == LINT_FILE_KUBE ? opt->kube_files : opt->httpd_files,
                       const char *) = argv[i];
    if (opt->kube_files->nelts + opt->httpd_files->nelts + opt->flags->nelts == 0) {
        fputs("k8s-cors-lint: nothing to lint: give FILE..., --manifest, --flag or "
              "--httpd-config\n",
              stderr);
        fputs(usage, stderr);
        return -1;
    }
    return 0;
}

static const char *json_suggestions(apr_pool_t *pool, const report *rep)
{
    const char *out = "[";
    for (int i = 0; i < rep->suggestions->nelts; i++) {
        const suggestion *s = &APR_ARRAY_IDX(rep->suggestions, i, suggestion);
        out = apr_pstrcat(
            pool, out, i ? "," : "",
            apr_psprintf(pool,
                         "{\"source\":%s,\"setting\":%s,\"value\":%s,"
                         "\"left_out\":%s}",
                         cors_json_string(pool, s->source), cors_json_string(pool, s->setting),
                         cors_json_string(pool, s->value), cors_json_string(pool, s->left_out)),
            NULL);
    }
    return apr_pstrcat(pool, out, "]", NULL);
}

static const char *json_strings(apr_pool_t *pool, const apr_array_header_t *strings)
{
    const char *out = "[";
    for (int i = 0; i < strings->nelts; i++)
        out = apr_pstrcat(pool, out, i ? "," : "",
                          cors_json_string(pool, APR_ARRAY_IDX(strings, i, const char *)), NULL);
    return apr_pstrcat(pool, out, "]", NULL);
}

static void print_text(apr_pool_t *pool, const report *rep, const options *opt)
{
    const char *explain_json = NULL;
    for (int i = 0; i < rep->notices->nelts; i++)
        fprintf(stderr, "k8s-cors-lint: %s\n", APR_ARRAY_IDX(rep->notices, i, const char *));
    for (int i = 0; i < rep->lines->nelts; i++)
        printf("%s\n", APR_ARRAY_IDX(rep->lines, i, const char *));
    for (int i = 0; i < rep->suggestions->nelts; i++) {
        const suggestion *s = &APR_ARRAY_IDX(rep->suggestions, i, suggestion);
        /* The source is named unless it is the bare flag itself. */
        int named = strcmp(s->source, s->setting) != 0;
        if (strcmp(s->setting, "--cors-allowed-origins") == 0)
            printf("suggested: %s=%s%s%s%s\n", s->setting, s->value, named ? " (for " : "",
                   named ? s->source : "", named ? ")" : "");
        else
            printf("suggested: %s: %s (for %s)\n", s->setting, cors_json_string(pool, s->value),
                   s->source);
        if (s->left_out)
            printf("  left out, no safe rewrite (list the origins they were meant for): %s\n",
                   s->left_out);
    }
    if (opt->explain_origin && rep->explained)
        explain(pool, opt, rep->explained, &explain_json);
    printf("%d errors, %d warnings, %d notes\n", rep->errors, rep->warnings, rep->infos);
}

int main(int argc, char **argv)
{
    apr_pool_t *pool;
    options opt;
    report rep;
    const char *explain_json = "null", *first_flag = NULL;
    int parsed, status;

    apr_initialize();
    apr_pool_create(&pool, NULL);
    parsed = parse_options(argc, argv, pool, &opt);
    if (parsed != 0)
        return parsed > 0 ? 0 : 2;
    memset(&rep, 0, sizeof(rep));
    rep.findings = apr_array_make(pool, 8, sizeof(cors_finding));
    rep.lines = apr_array_make(pool, 8, sizeof(const char *));
    rep.suggestions = apr_array_make(pool, 2, sizeof(suggestion));
    rep.notices = apr_array_make(pool, 1, sizeof(const char *));
    rep.seen = apr_hash_make(pool);

    for (int i = 0; i < opt.flags->nelts; i++)
        lint_flag(pool, &rep, &opt, APR_ARRAY_IDX(opt.flags, i, const char *),
                  "--cors-allowed-origins");
    for (int i = 0; i < opt.kube_files->nelts; i++)
        lint_kube_file(pool, &rep, &opt, APR_ARRAY_IDX(opt.kube_files, i, const char *));
    for (int i = 0; i < opt.httpd_files->nelts; i++)
        lint_httpd_file(pool, &rep, &opt, APR_ARRAY_IDX(opt.httpd_files, i, const char *));

    for (int i = 0; first_flag == NULL && i < rep.suggestions->nelts; i++)
        if (strcmp(APR_ARRAY_IDX(rep.suggestions, i, suggestion).setting,
                   "--cors-allowed-origins") == 0)
            first_flag = APR_ARRAY_IDX(rep.suggestions, i, suggestion).value;
    switch (opt.format) {
    case FORMAT_TEXT:
        print_text(pool, &rep, &opt);
        break;
    case FORMAT_JSON:
        if (opt.explain_origin && rep.explained)
            explain(pool, &opt, rep.explained, &explain_json);
        printf("{\"findings\":%s,\"suggested_flag\":%s,\"suggestions\":%s,\"explain\":%s,"
               "\"error\":%s,\"errors\":%s,"
               "\"summary\":{\"errors\":%d,\"warnings\":%d,\"info\":%d}}\n",
               cors_json_findings(pool, rep.findings, 0), cors_json_string(pool, first_flag),
               json_suggestions(pool, &rep), explain_json,
               cors_json_string(
                   pool, rep.notices->nelts ? APR_ARRAY_IDX(rep.notices, 0, const char *) : NULL),
               json_strings(pool, rep.notices), rep.errors, rep.warnings, rep.infos);
        break;
    case FORMAT_SARIF:
        printf("%s\n", lint_sarif(pool, rep.findings, rep.notices));
        break;
    }
    status = rep.errors ? 2 : rep.warnings ? 1 : 0;
    apr_pool_destroy(pool);
    apr_terminate();
    return status;
}
