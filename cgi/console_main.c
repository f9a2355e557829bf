/*
 * k8s-cors-console's main: read the CGI environment (RFC 3875), rebuild
 * the exported policy, refuse origins the policy does not allow, parse the
 * parameters with bounds, dispatch on PATH_INFO and write one JSON answer.
 *
 * Proxy variables (http_proxy, HTTPS_PROXY, ...) are never read: the probe
 * opens its own sockets to the one configured API server.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <apr_general.h>
#include <apr_strings.h>

#include "console.h"

extern char **environ;

static int is_form(const char *content_type)
{
    return content_type != NULL &&
           strncasecmp(content_type, "application/x-www-form-urlencoded", 33) == 0 &&
           (content_type[33] == '\0' || content_type[33] == ';');
}

static console_answer handle(apr_pool_t *pool, size_t *content_length, size_t *consumed)
{
    console_request r;
    console_policy policy;
    console_answer answer;
    const char *path = getenv("PATH_INFO"), *query = getenv("QUERY_STRING"), *error = NULL;
    int status;

    memset(&r, 0, sizeof(r));
    r.pool = pool;
    r.method = getenv("REQUEST_METHOD");
    r.origin = getenv("HTTP_ORIGIN");
    r.envp = environ;
    r.body_fd = STDIN_FILENO;
    r.content_type = getenv("CONTENT_TYPE");
    r.params = apr_table_make(pool, 8);
    r.policy = &policy;
    r.body_consumed = consumed;
    if (r.method == NULL || r.method[0] == '\0')
        return console_error(pool, 400, "not-cgi", "REQUEST_METHOD is not set: run me as a CGI");
    if (r.origin != NULL && r.origin[0] == '\0')
        r.origin = NULL;

    /* First: whatever the answer, main() reads the body before exiting. */
    status =
        console_content_length(getenv("CONTENT_LENGTH"), (size_t)-1 / 2, &r.content_length, &error);
    if (status != 0)
        return console_error(pool, status, "bad-body", error);
    *content_length = r.content_length;

    error = console_policy_load(pool, getenv("K8S_CORS_POLICY"), getenv("K8S_CORS_POLICY_PATH"),
                                &policy);
    if (error != NULL)
        return console_error(pool, 500, "no-policy", error);
    if (console_origin_gate(pool, &policy, r.method, r.origin, &answer) != 0)
        return answer;

    if (query != NULL && (status = console_form_parse(pool, query, strlen(query), CONSOLE_QUERY_MAX,
                                                      r.params, &error)) != 0)
        return console_error(pool, status, "bad-query",
                             apr_pstrcat(pool, "query string: ", error, NULL));

    if (path != NULL && strcmp(path, "/echo") == 0)
        return console_echo_endpoint(&r);
    /* The other endpoints take parameters from a form body too. */
    if (r.content_length > CONSOLE_BODY_MAX)
        return console_error(pool, 413, "bad-body",
                             "form body: over " APR_STRINGIFY(CONSOLE_BODY_MAX) " bytes");
    if (r.content_length > 0 && is_form(r.content_type)) {
        char *body;
        status = console_read_body(pool, r.body_fd, r.content_length, &body, &error);
        if (status == 0) {
            *consumed = r.content_length;
            status = console_form_parse(pool, body, r.content_length, CONSOLE_BODY_MAX, r.params,
                                        &error);
        }
        if (status != 0)
            return console_error(pool, status == 414 ? 413 : status, "bad-body",
                                 apr_pstrcat(pool, "form body: ", error, NULL));
    }
    if (path == NULL || path[0] == '\0' || strcmp(path, "/") == 0) {
        answer.status = 200;
        answer.json = "{\"endpoints\":[\"policy\",\"explain\",\"echo\",\"probe\"]}";
        return answer;
    }
    if (strcmp(path, "/policy") == 0)
        return console_policy_endpoint(&r);
    if (strcmp(path, "/explain") == 0)
        return console_explain_endpoint(&r);
    if (strcmp(path, "/probe") == 0)
        return console_probe_endpoint(&r);
    return console_error(pool, 404, "no-endpoint",
                         "no such endpoint: use /policy, /explain, /echo or /probe");
}

int main(void)
{
    apr_pool_t *pool;
    console_answer answer;
    const char *text;
    size_t content_length = 0, consumed = 0, drained;

    signal(SIGPIPE, SIG_IGN);
    if (apr_initialize() != APR_SUCCESS || apr_pool_create(&pool, NULL) != APR_SUCCESS)
        return EXIT_FAILURE;
    answer = handle(pool, &content_length, &consumed);
    text = console_response_text(pool, &answer);
    fwrite(text, 1, strlen(text), stdout);
    fflush(stdout);
    /* Whatever the answer, read the rest of the body (bounded) before
     * exiting: see console_discard_body. */
    if (content_length > consumed)
        console_discard_body(STDIN_FILENO,
                             content_length - consumed > CONSOLE_DRAIN_MAX
                                 ? CONSOLE_DRAIN_MAX
                                 : content_length - consumed,
                             &drained);
    apr_pool_destroy(pool);
    apr_terminate();
    return EXIT_SUCCESS;
}
