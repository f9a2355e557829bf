/*
 * k8s-cors-console: the operators' console CGI (RFC 3875). It rebuilds the
 * policy in force for the API location from K8S_CORS_POLICY (exported by
 * the module, K8sCorsExportPolicy) and answers four JSON endpoints chosen by
 * PATH_INFO: /policy, /explain, /echo, /probe.
 *
 * What the files do:
 *   console_main.c       read the CGI environment, dispatch, write the answer
 *   console_request.c    bounded parsing: %-decoding, forms, body, header names
 *   console_response.c   JSON errors and the CGI response head
 *   console_policy.c     the exported policy and the origin gate (403)
 *   console_expect.c     what a browser will do under the policy (explain)
 *   console_endpoints.c  the four endpoints
 *   console_target.c     the probe's allowed target, path and methods
 *   console_probe.c      the probe's TLS client (OpenSSL)
 */
#ifndef K8S_CORS_CONSOLE_H
#define K8S_CORS_CONSOLE_H

#include <stddef.h>

#include <apr_pools.h>
#include <apr_tables.h>

#include "cors_core.h"

/* ---- bounds ----------------------------------------------------------------- */
#define CONSOLE_QUERY_MAX        8192               /* QUERY_STRING bytes */
#define CONSOLE_BODY_MAX         65536              /* a form body (explain, probe) */
#define CONSOLE_ECHO_BODY_MAX    (1024 * 1024)      /* echo reads and discards up to this */
#define CONSOLE_PARAMS_MAX       32                 /* parameters in a query or a form */
#define CONSOLE_PARAM_NAME_MAX   32                 /* bytes of a parameter name */
#define CONSOLE_HEADER_NAMES_MAX 100                /* header names echo lists */
#define CONSOLE_HEADER_NAME_MAX  128                /* bytes of one header name */
#define CONSOLE_DRAIN_MAX        (16 * 1024 * 1024) /* body read and dropped before exit */

/* An answer in the making: HTTP status and JSON document. */
typedef struct {
    int status;
    const char *json;
} console_answer;

/* ---- console_request.c ------------------------------------------------------- */

/* %-decodes text[0..len) into a new NUL-terminated string (*out, *out_len).
 * With plus_space, '+' is a space (forms). Returns NULL, or an error: '%'
 * not followed by two hex digits, or a decoded NUL. */
const char *console_percent_decode(apr_pool_t *pool, const char *text, size_t len, int plus_space,
                                   char **out, size_t *out_len);

/* Parses an application/x-www-form-urlencoded string (a query string or a
 * form body) of at most max bytes into params (name -> value). Names are
 * [a-z_] and at most CONSOLE_PARAM_NAME_MAX bytes; at most
 * CONSOLE_PARAMS_MAX parameters; a repeated name is an error (ambiguous).
 * Returns 0, or the HTTP status of the error (400, 413, 414) with *error set. */
int console_form_parse(apr_pool_t *pool, const char *text, size_t len, size_t max,
                       apr_table_t *params, const char **error);

/* CONTENT_LENGTH as a byte count: NULL or "" is 0; anything but decimal
 * digits, or a value over limit, is an error. Returns 0, 400 or 413. */
int console_content_length(const char *value, size_t limit, size_t *length, const char **error);

/* Reads length bytes from fd into a new buffer (NUL-terminated). Returns 0
 * or 400 (the body ended early) with *error set. */
int console_read_body(apr_pool_t *pool, int fd, size_t length, char **body, const char **error);

/* Reads and discards up to length bytes from fd; *count is what arrived.
 * A CGI must read its whole body before it exits: under mod_cgid, unread
 * input makes the socket close with a reset, and httpd loses the answer. */
void console_discard_body(int fd, size_t length, size_t *count);

/* The request header names the CGI environment shows (HTTP_* variables,
 * CONTENT_TYPE, CONTENT_LENGTH), lower-cased with '-' for '_', sorted,
 * without duplicates, at most CONSOLE_HEADER_NAMES_MAX names of at most
 * CONSOLE_HEADER_NAME_MAX bytes (longer ones are skipped). Values are never
 * looked at. Returns an array of const char *. *truncated says names were
 * left out. */
apr_array_header_t *console_header_names(apr_pool_t *pool, char *const *envp, int *truncated);

/* ---- console_response.c ------------------------------------------------------ */

/* {"error":{"status":N,"code":CODE,"message":MESSAGE}} */
console_answer console_error(apr_pool_t *pool, int status, const char *code, const char *message);

/* The CGI response head for status (Status, Content-Type, nosniff,
 * no-store) followed by json and a newline, as one string. */
const char *console_response_text(apr_pool_t *pool, const console_answer *answer);

const char *console_status_reason(int status);

/* ---- console_policy.c -------------------------------------------------------- */

typedef struct {
    cors_policy *policy;
    const char *path; /* K8S_CORS_POLICY_PATH */
} console_policy;

/* Rebuilds the exported policy from its directives text. Returns NULL or an
 * error message (nothing exported, or text the core refuses). */
const char *console_policy_load(apr_pool_t *pool, const char *text, const char *path,
                                console_policy *out);

/* The origin gate: 0 when the request may be answered (no Origin, the
 * gateway's own origin, or an origin the policy allows), else 403 with
 * *answer set. The gateway's own origins are the exported policy's
 * K8sCorsSelfOrigin lines (the module adds its ServerName and ServerAlias
 * names): never the Host header, which DNS rebinding controls. */
int console_origin_gate(apr_pool_t *pool, const console_policy *policy, const char *method,
                        const char *origin, console_answer *answer);

/* ---- console_expect.c -------------------------------------------------------- */

typedef enum {
    CONSOLE_CREDENTIALS_OMIT = 0,
    CONSOLE_CREDENTIALS_SAME_ORIGIN,
    CONSOLE_CREDENTIALS_INCLUDE,
} console_credentials;

/* The values of the headers Fetch safelists by value, when the script sets
 * them (NULL: not given). */
typedef struct {
    const char *content_type;
    const char *accept;
    const char *accept_language;
    const char *content_language;
} console_header_values;

/* A browser request to explain: what fetch() is called with. */
typedef struct {
    const char *origin;
    const char *method;
    const char *headers;          /* comma-separated header names the script sets, or NULL */
    console_header_values values; /* the safelisted-by-value headers' values */
    console_credentials credentials;
    const char *read; /* comma-separated response header names the script reads, or NULL */
} console_browser_request;

/* Parses "omit", "same-origin", "include". Returns 0 on success. */
int console_credentials_parse(const char *text, console_credentials *out);

/* The Access-Control-Request-Headers value a browser sends for headers (the
 * CORS-unsafe names, lower-cased, sorted, comma-joined), or NULL when none
 * is unsafe: Fetch's rules, values included (a Content-Type, an Accept
 * over 128 bytes or with a byte such as '"' or '@' is unsafe). *error is
 * set when headers is not a list of tokens. */
const char *console_unsafe_header_list(apr_pool_t *pool, const char *headers,
                                       const console_header_values *values, const char **error);

/* The same with only a Content-Type value. */
const char *console_unsafe_headers(apr_pool_t *pool, const char *headers, const char *content_type,
                                   const char **error);

/* The explanation, as JSON: the preflight (when the browser sends one) and
 * the actual request, each with the module's decision and the browser's
 * check of the headers the decision sends, and the expectation
 * {"verdict":"allowed"|"blocked","status":N|null,"cause":...,
 * "reaches_api_server":bool (the request itself, not a preflight),
 * "readable":[names of read the script sees]|null}. Returns
 * NULL with *error set when the request is malformed. */
const char *console_explain_json(apr_pool_t *pool, const cors_policy *policy,
                                 const console_browser_request *request, const char **error);

/* ---- console_target.c -------------------------------------------------------- */

/* The configured API server: https, a host, a port. */
typedef struct {
    const char *host; /* without brackets */
    int host_is_ip;   /* 4 or 6 for an IP literal, 0 for a DNS name */
    unsigned port;
    const char *authority; /* host[:port] as the Host header carries it */
    const char *url;       /* normalized: https://authority */
} console_target;

/* Parses the configured probe URL: "https://" host [":" port] ["/"], nothing
 * else (no userinfo, path, query or fragment); IP literals in link-local,
 * unspecified, multicast or broadcast ranges (cloud metadata addresses) are
 * refused. Returns NULL or an error. */
const char *console_target_parse(apr_pool_t *pool, const char *url, console_target *out);

/* 1 if an address (4 or 16 bytes) may be connected to: not link-local,
 * unspecified, multicast or broadcast (and the same for an IPv4-mapped
 * IPv6 address). */
int console_address_allowed(const unsigned char *addr, size_t len);

/* Checks a probe path: an API path (/api, /apis, /version, /healthz,
 * /livez, /readyz, /openapi, and below them), at most 1024 bytes, with an
 * optional query; no "..", "." or empty segments, no "//", no "\", no '%',
 * no scheme, host or fragment, nothing but URL-safe characters. Returns NULL
 * or an error. */
const char *console_probe_path_check(const char *path);

/* Parses a comma-separated list of probe methods (OPTIONS, GET, HEAD,
 * case-sensitive) into flags. Returns NULL or an error. */
#define CONSOLE_PROBE_OPTIONS 1
#define CONSOLE_PROBE_GET     2
#define CONSOLE_PROBE_HEAD    4
const char *console_probe_methods_parse(const char *text, unsigned *methods);

/* ---- console_probe.c --------------------------------------------------------- */

#define CONSOLE_PROBE_READ_MAX    16384 /* bytes read from one response (its head) */
#define CONSOLE_PROBE_TIMEOUT_MS  5000  /* default deadline of each phase */
#define CONSOLE_PROBE_TIMEOUT_MAX 60000

typedef struct {
    const console_target *target;
    const char *ca_file; /* PEM bundle; "system" for the system's store */
    int timeout_ms;      /* each of connect, handshake, read */
} console_probe_config;

/* One request to the API server: method, path, extra header lines
 * ("Name: value\r\n"...). Returns the exchange as a JSON object:
 * {"method":..., "request":..., "ok":bool, "error":{phase,message}|null,
 *  "tls":{...}|null, "status_line":..., "status":N, "headers":[[n,v]...],
 *  "raw_headers":..., "truncated":bool, "elapsed_ms":N}. *ok is 1 when a
 * response head arrived over a verified connection. */
const char *console_probe_exchange(apr_pool_t *pool, const console_probe_config *config,
                                   const char *method, const char *path, const char *extra_headers,
                                   int *ok);

/* ---- console_endpoints.c ----------------------------------------------------- */

/* What an endpoint sees of the request. */
typedef struct {
    apr_pool_t *pool;
    const char *method;
    const char *origin;  /* HTTP_ORIGIN, or NULL */
    apr_table_t *params; /* query string (and form body) parameters */
    const console_policy *policy;
    char *const *envp;
    int body_fd;              /* the request body (stdin) */
    size_t content_length;    /* validated CONTENT_LENGTH */
    size_t *body_consumed;    /* bytes of the body read so far */
    const char *content_type; /* CONTENT_TYPE or NULL */
} console_request;

console_answer console_policy_endpoint(const console_request *request);
console_answer console_explain_endpoint(const console_request *request);
console_answer console_echo_endpoint(const console_request *request);
console_answer console_probe_endpoint(const console_request *request);

#endif
