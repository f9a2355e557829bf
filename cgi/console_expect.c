/*
 * What a browser will do with a fetch() under the policy: whether it sends
 * a preflight (Fetch: a method other than GET, HEAD, POST, or a header that
 * is not CORS-safelisted), the module's decision for the preflight and for
 * the request (cors_decide, the module's own code), and the browser's
 * checks of the headers those decisions send (Fetch "CORS check" and the
 * preflight's method and header checks). The console compares this with
 * what the browser really did.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <apr_strings.h>

#include "console.h"

/* Header names explain takes: more than a page may send and the gateway
 * accepts in Access-Control-Request-Headers (CORS_ACRH_MAX_NAMES), so that
 * a longer list is explained as the gateway refuses it. */
#define EXPLAIN_HEADERS_MAX 256

int console_credentials_parse(const char *text, console_credentials *out)
{
    if (text == NULL || strcmp(text, "omit") == 0)
        *out = CONSOLE_CREDENTIALS_OMIT;
    else if (strcmp(text, "same-origin") == 0)
        *out = CONSOLE_CREDENTIALS_SAME_ORIGIN;
    else if (strcmp(text, "include") == 0)
        *out = CONSOLE_CREDENTIALS_INCLUDE;
    else
        return -1;
    return 0;
}

static const char *credentials_name(console_credentials credentials)
{
    return credentials == CONSOLE_CREDENTIALS_INCLUDE       ? "include"
           : credentials == CONSOLE_CREDENTIALS_SAME_ORIGIN ? "same-origin"
                                                            : "omit";
}

/* Fetch's CORS-unsafe request-header bytes. */
static int has_unsafe_byte(const char *value)
{
    for (const unsigned char *c = (const unsigned char *)value; *c; c++)
        if ((*c < 0x20 && *c != '\t') || *c == 0x7f || strchr("\"():<>?@[\\]{}", *c) != NULL)
            return 1;
    return 0;
}

/* Fetch's CORS-safelisted Content-Type: at most 128 bytes, no unsafe
 * byte, and one of three essences. */
static int safelisted_content_type(apr_pool_t *pool, const char *value)
{
    static const char *const essences[] = {"application/x-www-form-urlencoded",
                                           "multipart/form-data", "text/plain"};
    char *essence;
    size_t len;

    if (value == NULL || strlen(value) > 128 || has_unsafe_byte(value))
        return 0;
    len = strcspn(value, ";");
    essence = apr_pstrmemdup(pool, value, len);
    while (len > 0 && (essence[len - 1] == ' ' || essence[len - 1] == '\t'))
        essence[--len] = '\0';
    while (*essence == ' ' || *essence == '\t')
        essence++;
    for (size_t i = 0; i < sizeof(essences) / sizeof(essences[0]); i++)
        if (strcasecmp(essence, essences[i]) == 0)
            return 1;
    return 0;
}

/* Accept (no unsafe byte), Accept-Language and Content-Language (only
 * 0-9 A-Z a-z space * , - . ; =), at most 128 bytes. A value the caller
 * did not give is taken for a short safelisted one. */
static int safelisted_value(const char *name, const char *value)
{
    if (value == NULL)
        return 1;
    if (strlen(value) > 128)
        return 0;
    if (strcmp(name, "accept") == 0)
        return !has_unsafe_byte(value);
    for (const char *c = value; *c; c++)
        if (!((*c >= '0' && *c <= '9') || (*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') ||
              strchr(" *,-.;=", *c) != NULL))
            return 0;
    return 1;
}

static int safelisted_header(apr_pool_t *pool, const char *name,
                             const console_header_values *values)
{
    if (strcmp(name, "accept") == 0)
        return safelisted_value(name, values->accept);
    if (strcmp(name, "accept-language") == 0)
        return safelisted_value(name, values->accept_language);
    if (strcmp(name, "content-language") == 0)
        return safelisted_value(name, values->content_language);
    if (strcmp(name, "content-type") == 0)
        return safelisted_content_type(pool, values->content_type);
    return 0;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

const char *console_unsafe_headers(apr_pool_t *pool, const char *headers, const char *content_type,
                                   const char **error)
{
    console_header_values values = {0};
    values.content_type = content_type;
    return console_unsafe_header_list(pool, headers, &values, error);
}

const char *console_unsafe_header_list(apr_pool_t *pool, const char *headers,
                                       const console_header_values *values, const char **error)
{
    const char *names[EXPLAIN_HEADERS_MAX];
    const char *joined = NULL;
    int count = 0;
    const char *p = headers;

    *error = NULL;
    while (p != NULL && *p) {
        size_t len;
        char *name;
        p += strspn(p, ", \t");
        len = strcspn(p, ", \t");
        if (len == 0)
            break;
        if (len > CORS_TOKEN_MAX_LEN) {
            *error = "a header name over 128 bytes";
            return NULL;
        }
        name = apr_pstrmemdup(pool, p, len);
        p += len;
        for (char *c = name; *c; c++) {
            if (!cors_is_tchar((unsigned char)*c)) {
                *error = "a header name that is not a token";
                return NULL;
            }
            if (*c >= 'A' && *c <= 'Z')
                *c = (char)(*c - 'A' + 'a');
        }
        if (safelisted_header(pool, name, values))
            continue;
        if (count == EXPLAIN_HEADERS_MAX) {
            *error = "more than 256 header names";
            return NULL;
        }
        names[count++] = name;
    }
    if (count == 0)
        return NULL;
    qsort(names, (size_t)count, sizeof(names[0]), compare_names);
    for (int i = 0; i < count; i++) {
        if (i > 0 && strcmp(names[i], names[i - 1]) == 0)
            continue;
        joined = joined ? apr_pstrcat(pool, joined, ",", names[i], NULL) : names[i];
    }
    return joined;
}

/* 1 if the comma-separated list holds name (case-sensitive or not). */
static int list_has(const char *list, const char *name, int case_insensitive)
{
    size_t name_len = strlen(name);
    const char *p = list;
    while (p != NULL && *p) {
        size_t len;
        p += strspn(p, ", \t");
        len = strcspn(p, ", \t");
        if (len == name_len &&
            (case_insensitive ? strncasecmp(p, name, len) == 0 : strncmp(p, name, len) == 0))
            return 1;
        p += len;
    }
    return 0;
}

/* Fetch's CORS check of a response carrying the decision's headers.
 * Returns NULL when it passes, else why not. */
static const char *cors_check(const cors_decision *d, const char *origin, int include)
{
    if (d->allow_origin == NULL)
        return "no Access-Control-Allow-Origin on the response";
    if (strcmp(d->allow_origin, "*") == 0) {
        if (include)
            return "Access-Control-Allow-Origin is * while credentials are included";
    } else if (strcmp(d->allow_origin, origin) != 0) {
        return "Access-Control-Allow-Origin is not the page's origin";
    }
    if (include && (d->allow_credentials == NULL || strcmp(d->allow_credentials, "true") != 0))
        return "credentials are included but there is no Access-Control-Allow-Credentials: true";
    return NULL;
}

/* Fetch's "normalize a method": fetch() upper-cases these six, whatever
 * their case, and sends every other method as written ("patch" stays
 * "patch", and is refused by an Access-Control-Allow-Methods: PATCH). */
static const char *fetch_method(const char *method)
{
    static const char *const normalized[] = {"DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"};
    for (size_t i = 0; i < sizeof(normalized) / sizeof(normalized[0]); i++)
        if (strcasecmp(method, normalized[i]) == 0)
            return normalized[i];
    return method;
}

static int safelisted_method(const char *method)
{
    return strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0 || strcmp(method, "POST") == 0;
}

static const char *decision_cause(apr_pool_t *pool, const cors_decision *d)
{
    if (d->detail != NULL)
        return apr_psprintf(pool, "%s: %.*s", cors_reason_name(d->reason), (int)d->detail_len,
                            d->detail);
    return cors_reason_name(d->reason);
}

/* The browser's checks of the preflight answer. NULL: it passes. */
static const char *preflight_check(apr_pool_t *pool, const cors_decision *d,
                                   const console_browser_request *r, const char *unsafe,
                                   int include)
{
    const char *failure;
    if (!d->allowed || d->refuse_status != 0)
        return apr_psprintf(pool, "the preflight is answered %d (%s)",
                            d->refuse_status ? d->refuse_status : 403, decision_cause(pool, d));
    if ((failure = cors_check(d, r->origin, include)) != NULL)
        return apr_pstrcat(pool, "preflight: ", failure, NULL);
    if (!safelisted_method(r->method) && !list_has(d->allow_methods, r->method, 0) &&
        !(!include && list_has(d->allow_methods, "*", 0)))
        return apr_pstrcat(pool, "method ", r->method, " is not in Access-Control-Allow-Methods",
                           NULL);
    for (const char *p = unsafe; p != NULL && *p;) {
        size_t len = strcspn(p, ",");
        const char *name = apr_pstrmemdup(pool, p, len);
        if (!list_has(d->allow_headers, name, 1) &&
            !(!include && strcmp(name, "authorization") != 0 && list_has(d->allow_headers, "*", 0)))
            return apr_pstrcat(pool, "header ", name, " is not in Access-Control-Allow-Headers",
                               NULL);
        p += len + (p[len] == ',');
    }
    return NULL;
}

/* The reason a browser refuses what the module allowed. */
static const char *browser_reason(const cors_decision *d, int include)
{
    if (!d->allowed)
        return cors_reason_name(d->reason);
    if (include && d->allow_origin != NULL && strcmp(d->allow_origin, "*") == 0)
        return "wildcard-with-credentials";
    if (include && d->allow_credentials == NULL)
        return "credentials-not-allowed";
    return "cors-check-failed";
}

/* Fetch's CORS-safelisted response-header names: readable on every CORS
 * response. */
static int safelisted_response_header(const char *name)
{
    static const char *const names[] = {"cache-control", "content-language", "content-length",
                                        "content-type",  "expires",          "last-modified",
                                        "pragma"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcasecmp(name, names[i]) == 0)
            return 1;
    return 0;
}

/* Which of the response headers the script reads (a comma-separated list)
 * it can see when they are on the response: none when the browser blocks
 * the response; all but Set-Cookie when it is not CORS (same-origin); else
 * the safelisted names and those in Access-Control-Expose-Headers, where
 * `*` means every name only for a request without credentials (Fetch). */
static const char *readable_json(apr_pool_t *pool, const char *read, const cors_decision *actual,
                                 int blocked, int include)
{
    const char *out = "[";
    int first = 1;
    if (read == NULL)
        return "null";
    for (const char *p = read; *p;) {
        size_t len;
        const char *name;
        int readable;
        p += strspn(p, ", \t");
        len = strcspn(p, ", \t");
        if (len == 0)
            break;
        name = apr_pstrmemdup(pool, p, len);
        p += len;
        if (blocked || strcasecmp(name, "set-cookie") == 0 || strcasecmp(name, "set-cookie2") == 0)
            readable = 0;
        else if (actual->kind == CORS_KIND_NONE || safelisted_response_header(name))
            readable = 1;
        else
            readable = list_has(actual->expose_headers, name, 1) ||
                       (!include && list_has(actual->expose_headers, "*", 0));
        if (readable) {
            out = apr_pstrcat(pool, out, first ? "" : ",", cors_json_string(pool, name), NULL);
            first = 0;
        }
    }
    return apr_pstrcat(pool, out, "]", NULL);
}

static const char *step_json(apr_pool_t *pool, const cors_decision *d, const char *failure)
{
    return apr_psprintf(pool, "{\"decision\":%s,\"browser\":{\"pass\":%s,\"failure\":%s}}",
                        cors_json_decision(pool, d), failure ? "false" : "true",
                        cors_json_string(pool, failure));
}

const char *console_explain_json(apr_pool_t *pool, const cors_policy *policy,
                                 const console_browser_request *r, const char **error)
{
    cors_request request = {0};
    console_browser_request sent;
    cors_decision preflight, actual;
    const char *unsafe, *preflight_json = "null", *actual_json = "null";
    const char *failure = NULL, *verdict, *reason, *detail = NULL;
    const cors_rule *rule = NULL;
    cors_mode mode = cors_policy_mode(policy);
    int include = r->credentials == CONSOLE_CREDENTIALS_INCLUDE;
    int status = 0, needs_preflight, reaches = 1;

    if (r->origin == NULL || r->origin[0] == '\0') {
        *error = "origin is required";
        return NULL;
    }
    if (r->method == NULL || !cors_is_method_token(r->method, strlen(r->method))) {
        *error = "method is not an HTTP method token";
        return NULL;
    }
    sent = *r;
    sent.method = fetch_method(r->method);
    r = &sent;
    unsafe = console_unsafe_header_list(pool, r->headers, &r->values, error);
    if (*error != NULL)
        return NULL;
    needs_preflight = unsafe != NULL || !safelisted_method(r->method);

    request.origin = r->origin;
    request.any_host = 1; /* same-origin: one of the exported K8sCorsSelfOrigin origins */
    request.method = r->method;
    /* What a browser sends from a page on another site: the cross-site
     * step (reject-unsafe) then says what it would do with the request. */
    request.fetch_site = "cross-site";
    cors_decide(policy, &request, &actual);
    reason = cors_reason_name(actual.reason);
    if (actual.kind == CORS_KIND_NONE) {
        /* Same-origin (or no Origin): not CORS, the browser reads it. */
        verdict = "allowed";
        actual_json = step_json(pool, &actual, NULL);
        goto done;
    }
    if (mode != CORS_MODE_ENFORCE) {
        verdict = "blocked";
        failure = apr_pstrcat(pool, "K8sCors is ", cors_mode_name(mode),
                              " for the API location: the gateway sends no CORS headers", NULL);
        actual_json = step_json(pool, &actual, failure);
        /* The preflight goes to the API server, which sends no CORS
         * headers either: the browser never sends the request. */
        reaches = !needs_preflight;
        goto done;
    }
    if (needs_preflight) {
        request.method = "OPTIONS";
        request.preflight_method = r->method;
        request.request_headers = unsafe;
        cors_decide(policy, &request, &preflight);
        failure = preflight_check(pool, &preflight, r, unsafe, include);
        preflight_json = step_json(pool, &preflight, failure);
        if (failure != NULL) {
            /* The browser stops at the preflight: the request is never sent. */
            verdict = "blocked";
            reaches = 0;
            reason = browser_reason(&preflight, include);
            rule = preflight.rule;
            if (preflight.detail)
                detail = apr_pstrmemdup(pool, preflight.detail, preflight.detail_len);
            goto done;
        }
    }
    rule = actual.rule;
    if (actual.detail)
        detail = apr_pstrmemdup(pool, actual.detail, actual.detail_len);
    failure = cors_check(&actual, r->origin, include);
    actual_json = step_json(pool, &actual, failure);
    verdict = failure ? "blocked" : "allowed";
    if (failure != NULL)
        reason = browser_reason(&actual, include);
    if (failure == NULL && actual.refuse_status)
        status = actual.refuse_status;
    /* The gateway answers a refusal itself, readable or not. */
    if (actual.refuse_status)
        reaches = 0;

done:
    return apr_psprintf(
        pool,
        "{\"origin\":%s,\"method\":%s,\"credentials\":\"%s\",\"request_headers\":%s,"
        "\"mode\":\"%s\",\"preflight_needed\":%s,\"preflight\":%s,\"actual\":%s,"
        "\"expect\":{\"verdict\":\"%s\",\"status\":%s,\"reason\":\"%s\",\"detail\":%s,"
        "\"cause\":%s,\"rule\":%s,\"reaches_api_server\":%s,\"readable\":%s}}",
        cors_json_string(pool, r->origin), cors_json_string(pool, r->method),
        credentials_name(r->credentials), cors_json_string(pool, unsafe), cors_mode_name(mode),
        needs_preflight ? "true" : "false", preflight_json, actual_json, verdict,
        status ? apr_itoa(pool, status) : "null", reason, cors_json_string(pool, detail),
        cors_json_string(pool, failure),
        rule ? apr_psprintf(pool, "{\"text\":%s,\"name\":%s,\"source\":%s}",
                            cors_json_string(pool, rule->text), cors_json_string(pool, rule->name),
                            cors_json_string(pool, rule->source))
             : "null",
        reaches ? "true" : "false",
        readable_json(pool, r->read, &actual, strcmp(verdict, "blocked") == 0, include));
}
