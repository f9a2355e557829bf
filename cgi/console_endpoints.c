/*
 * The four endpoints. Each checks its method and parameters (unknown
 * parameters are refused, so nothing can be pointed anywhere by a
 * parameter this file does not know), then answers JSON.
 */
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>

#include "console.h"

/* Refuses parameters other than the allowed ones (a NULL-terminated list). */
static int only_params(const console_request *r, const char *const *allowed, console_answer *out)
{
    const apr_array_header_t *entries = apr_table_elts(r->params);
    for (int i = 0; i < entries->nelts; i++) {
        const char *key = APR_ARRAY_IDX(entries, i, apr_table_entry_t).key;
        int known = 0;
        for (const char *const *a = allowed; *a; a++)
            known |= strcmp(*a, key) == 0;
        if (!known) {
            *out = console_error(r->pool, 400, "unknown-parameter",
                                 apr_pstrcat(r->pool, "unknown parameter: ", key, NULL));
            return 0;
        }
    }
    return 1;
}

static const char *env_of(const console_request *r, const char *name)
{
    size_t len = strlen(name);
    for (char *const *e = r->envp; e && *e; e++)
        if (strncmp(*e, name, len) == 0 && (*e)[len] == '=')
            return *e + len + 1;
    return NULL;
}

/* The protocol the browser's request reached httpd with ("HTTP/2.0" over
 * h2): the policy is the same, but an operator checking a gateway that
 * offers h2 wants to see that the browser used it. */
static const char *request_protocol_json(const console_request *r)
{
    return cors_json_string(r->pool, env_of(r, "SERVER_PROTOCOL"));
}

/* The gateway's own origins, as the module exported them. */
static const char *self_origins_json(apr_pool_t *pool, const cors_policy *policy)
{
    const char *out = "[";
    for (int i = 0; policy->self_texts != NULL && i < policy->self_texts->nelts; i++)
        out = apr_pstrcat(
            pool, out, i ? "," : "",
            cors_json_string(pool, APR_ARRAY_IDX(policy->self_texts, i, const char *)), NULL);
    return apr_pstrcat(pool, out, "]", NULL);
}

console_answer console_policy_endpoint(const console_request *r)
{
    static const char *const allowed[] = {NULL};
    const cors_policy *policy = r->policy->policy;
    console_target target;
    const char *target_error, *check;
    console_answer answer;

    if (strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0)
        return console_error(r->pool, 405, "method", "policy: GET only");
    if (!only_params(r, allowed, &answer))
        return answer;
    target_error = console_target_parse(r->pool, env_of(r, "K8S_CORS_PROBE_URL"), &target);
    check = cors_policy_check(r->pool, policy);
    answer.status = 200;
    answer.json = apr_psprintf(
        r->pool,
        "{\"path\":%s,\"policy\":%s,\"warnings\":%s,\"check\":%s,"
        "\"console\":{\"self_origins\":%s,\"probe\":{\"url\":%s,\"error\":%s}}}",
        cors_json_string(r->pool, r->policy->path), cors_json_policy(r->pool, policy),
        cors_json_findings(r->pool, cors_lint_policy(r->pool, policy), cors_policy_strict(policy)),
        cors_json_string(r->pool, check), self_origins_json(r->pool, policy),
        cors_json_string(r->pool, target_error ? NULL : target.url),
        cors_json_string(r->pool, target_error));
    return answer;
}

console_answer console_explain_endpoint(const console_request *r)
{
    static const char *const allowed[] = {
        "origin", "method", "headers",         "content_type",     "credentials",
        "read",   "accept", "accept_language", "content_language", NULL};
    console_browser_request b = {0};
    const char *json, *error = NULL;
    console_answer answer;

    if (strcmp(r->method, "GET") != 0 && strcmp(r->method, "POST") != 0)
        return console_error(r->pool, 405, "method", "explain: GET or POST only");
    if (!only_params(r, allowed, &answer))
        return answer;
    b.origin = apr_table_get(r->params, "origin");
    if (b.origin == NULL)
        b.origin = r->origin;
    b.method = apr_table_get(r->params, "method");
    if (b.method == NULL)
        b.method = "GET";
    b.headers = apr_table_get(r->params, "headers");
    b.values.content_type = apr_table_get(r->params, "content_type");
    b.values.accept = apr_table_get(r->params, "accept");
    b.values.accept_language = apr_table_get(r->params, "accept_language");
    b.values.content_language = apr_table_get(r->params, "content_language");
    b.read = apr_table_get(r->params, "read");
    if (console_credentials_parse(apr_table_get(r->params, "credentials"), &b.credentials) != 0)
        return console_error(r->pool, 400, "bad-parameter",
                             "credentials: omit, same-origin or include");
    json = console_explain_json(r->pool, r->policy->policy, &b, &error);
    if (json == NULL)
        return console_error(r->pool, 400, "bad-parameter", error);
    answer.status = 200;
    answer.json =
        apr_psprintf(r->pool, "{\"path\":%s,\"request_protocol\":%s,\"explain\":%s}",
                     cors_json_string(r->pool, r->policy->path), request_protocol_json(r), json);
    return answer;
}

console_answer console_echo_endpoint(const console_request *r)
{
    apr_array_header_t *names;
    const char *list = "";
    const char *query = env_of(r, "QUERY_STRING");
    int truncated, authorization = env_of(r, "K8S_CORS_AUTHORIZATION_PRESENT") != NULL;
    size_t body = 0;
    console_answer answer;

    /* Side-effect free for every method: the body is read and dropped. */
    if (r->content_length > CONSOLE_ECHO_BODY_MAX)
        return console_error(r->pool, 413, "body-too-large",
                             "echo reads at most 1 MiB of request body");
    console_discard_body(r->body_fd, r->content_length, &body);
    *r->body_consumed += body;
    names = console_header_names(r->pool, r->envp, &truncated);
    for (int i = 0; i < names->nelts; i++) {
        const char *name = APR_ARRAY_IDX(names, i, const char *);
        if (strcmp(name, "authorization") == 0)
            authorization = 1;
        list = apr_pstrcat(r->pool, list, i ? "," : "", cors_json_string(r->pool, name), NULL);
    }
    answer.status = 200;
    answer.json =
        apr_psprintf(r->pool,
                     "{\"method\":%s,\"origin\":%s,\"headers\":[%s],\"headers_truncated\":%s,"
                     "\"authorization_present\":%s,\"cookie_present\":%s,\"body_bytes\":%lu,"
                     "\"query_bytes\":%lu}",
                     cors_json_string(r->pool, r->method), cors_json_string(r->pool, r->origin),
                     list, truncated ? "true" : "false", authorization ? "true" : "false",
                     env_of(r, "HTTP_COOKIE") ? "true" : "false", (unsigned long)body,
                     (unsigned long)(query ? strlen(query) : 0));
    return answer;
}

/* A header value the probe sends: bounded, tokens, commas and spaces. */
static int header_list_ok(const char *value)
{
    if (strlen(value) > 512)
        return 0;
    for (const char *p = value; *p; p++)
        if (!cors_is_tchar((unsigned char)*p) && *p != ',' && *p != ' ')
            return 0;
    return 1;
}

static int probe_timeout_ms(const console_request *r)
{
    const char *text = env_of(r, "K8S_CORS_PROBE_TIMEOUT_MS");
    long ms = text ? strtol(text, NULL, 10) : CONSOLE_PROBE_TIMEOUT_MS;
    if (ms < 100)
        ms = 100;
    if (ms > CONSOLE_PROBE_TIMEOUT_MAX)
        ms = CONSOLE_PROBE_TIMEOUT_MAX;
    return (int)ms;
}

console_answer console_probe_endpoint(const console_request *r)
{
    static const char *const allowed[] = {"path",    "origin", "request_method", "request_headers",
                                          "methods", NULL};
    static const struct {
        unsigned flag;
        const char *name;
    } order[] = {{CONSOLE_PROBE_OPTIONS, "OPTIONS"},
                 {CONSOLE_PROBE_GET, "GET"},
                 {CONSOLE_PROBE_HEAD, "HEAD"}};
    const char *path, *origin, *request_method, *request_headers, *methods_text, *error;
    const char *csrf = env_of(r, "HTTP_X_K8S_CORS_CONSOLE"), *exchanges = "";
    const char *origin_header = "";
    console_target target;
    console_probe_config config;
    cors_origin parsed;
    unsigned methods;
    int all_ok = 1, count = 0;
    console_answer answer;

    /* An action endpoint: a cross-site form can neither POST with a custom
     * header nor pass the preflight such a header needs. */
    if (strcmp(r->method, "POST") != 0)
        return console_error(r->pool, 405, "method", "probe: POST only");
    if (csrf == NULL || strcmp(csrf, "1") != 0)
        return console_error(r->pool, 403, "csrf",
                             "probe: the X-K8s-Cors-Console: 1 header is "
                             "required");
    if (!only_params(r, allowed, &answer))
        return answer;
    path = apr_table_get(r->params, "path");
    if (path == NULL)
        path = "/api";
    if ((error = console_probe_path_check(path)) != NULL)
        return console_error(r->pool, 400, "probe-path-refused", error);
    methods_text = apr_table_get(r->params, "methods");
    if ((error = console_probe_methods_parse(methods_text ? methods_text : "OPTIONS,GET",
                                             &methods)) != NULL)
        return console_error(r->pool, 400, "probe-method-refused", error);
    origin = apr_table_get(r->params, "origin");
    if (origin == NULL)
        origin = r->origin;
    if (origin != NULL && origin[0] != '\0') {
        cors_origin_status status = cors_origin_parse(origin, strlen(origin), &parsed);
        if (status != CORS_ORIGIN_OK && status != CORS_ORIGIN_NULL)
            return console_error(
                r->pool, 400, "bad-parameter",
                apr_pstrcat(r->pool, "origin: ", cors_origin_status_text(status), NULL));
        origin_header = apr_pstrcat(r->pool, "Origin: ", origin, "\r\n", NULL);
    } else {
        origin = NULL;
    }
    request_method = apr_table_get(r->params, "request_method");
    if (request_method == NULL)
        request_method = "GET";
    if (!cors_is_method_token(request_method, strlen(request_method)) ||
        strlen(request_method) > 32)
        return console_error(r->pool, 400, "bad-parameter", "request_method: not a method");
    request_headers = apr_table_get(r->params, "request_headers");
    if (request_headers != NULL && request_headers[0] == '\0')
        request_headers = NULL;
    if (request_headers != NULL && !header_list_ok(request_headers))
        return console_error(r->pool, 400, "bad-parameter",
                             "request_headers: a list of header names");
    if ((error = console_target_parse(r->pool, env_of(r, "K8S_CORS_PROBE_URL"), &target)) != NULL)
        return console_error(r->pool, 503, "probe-not-configured", error);

    config.target = &target;
    config.ca_file = env_of(r, "K8S_CORS_PROBE_CA");
    config.timeout_ms = probe_timeout_ms(r);
    for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
        const char *extra = origin_header;
        int ok;
        if (!(methods & order[i].flag))
            continue;
        if (order[i].flag == CONSOLE_PROBE_OPTIONS) {
            extra = apr_pstrcat(r->pool, extra, "Access-Control-Request-Method: ", request_method,
                                "\r\n", NULL);
            if (request_headers)
                extra =
                    apr_pstrcat(r->pool, extra, "Access-Control-Request-Headers: ", request_headers,
                                "\r\n", NULL);
        }
        exchanges = apr_pstrcat(
            r->pool, exchanges, count++ ? "," : "",
            console_probe_exchange(r->pool, &config, order[i].name, path, extra, &ok), NULL);
        all_ok &= ok;
    }
    answer.status = all_ok ? 200 : 502;
    answer.json =
        apr_psprintf(r->pool,
                     "{\"target\":%s,\"path\":%s,\"origin\":%s,\"request_protocol\":%s,\"ok\":%s,"
                     "\"exchanges\":[%s]}",
                     cors_json_string(r->pool, target.url), cors_json_string(r->pool, path),
                     cors_json_string(r->pool, origin), request_protocol_json(r),
                     all_ok ? "true" : "false", exchanges);
    return answer;
}
