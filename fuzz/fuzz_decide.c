/*
 * libFuzzer target: cors_decide under a fixed policy (exact
 * https://app.example.com and http://[::1]:8080, pattern
 * https://[a-z0-9-]+\.dev\.example\.com, kube's default methods and headers).
 *
 * Input: one flags byte, then method, Origin, Access-Control-Request-Method
 * and Access-Control-Request-Headers separated by '\n'. Flags: bit 0 ACRM
 * present, bit 1 ACRH present, bit 2 upgrade, bit 3 no Origin at all, bit 4
 * self origin set.
 *
 * The decision is checked against an independent oracle of the policy and
 * against the invariants every caller relies on (no header without an
 * allowed decision, ACAO is the request's own Origin, details point inside
 * the request).
 */
#include <stdint.h>

#include "fuzz_common.h"

static const char *next_field(char **cursor)
{
    char *start = *cursor, *newline;
    if (start == NULL)
        return "";
    newline = strchr(start, '\n');
    if (newline != NULL) {
        *newline = '\0';
        *cursor = newline + 1;
    } else {
        *cursor = NULL;
    }
    return start;
}

static int points_into(const char *p, const char *s)
{
    return s != NULL && p >= s && p <= s + strlen(s);
}

static int is_default_method(const char *m)
{
    static const char *const methods[] = {"POST", "GET", "OPTIONS", "PUT", "DELETE", "PATCH"};
    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
        if (strcmp(m, methods[i]) == 0)
            return 1;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const cors_policy *policy = fuzz_fixed_policy();
    cors_request request = {0};
    cors_decision d;
    cors_origin parsed;
    cors_origin_status origin_status = CORS_ORIGIN_EMPTY;
    unsigned flags;
    char *text, *cursor;
    int oracle_allows = 0, has_origin;

    if (size < 1)
        return 0;
    flags = data[0];
    text = fuzz_strndup(data + 1, size - 1);
    cursor = text;
    request.method = next_field(&cursor);
    request.origin = next_field(&cursor);
    request.preflight_method = next_field(&cursor);
    request.request_headers = next_field(&cursor);
    if (!(flags & 1))
        request.preflight_method = NULL;
    if (!(flags & 2))
        request.request_headers = NULL;
    request.upgrade = (flags & 4) != 0;
    if (flags & 8)
        request.origin = NULL;
    if (flags & 16) {
        /* Sent to the gateway's own name, as the glue describes it. */
        request.host = "app.example.com";
        request.host_is_self = 1;
        request.self_scheme = "https";
        request.self_port = 443;
    }

    cors_decide(policy, &request, &d);

    has_origin = request.origin != NULL && request.origin[0] != '\0';
    if (has_origin) {
        origin_status = cors_origin_parse(request.origin, strlen(request.origin), &parsed);
        oracle_allows = origin_status == CORS_ORIGIN_OK && fuzz_oracle_allows(parsed.text);
    }

    /* An Origin equal to the gateway's own is a same-origin request: not CORS. */
    FUZZ_CHECK((d.kind == CORS_KIND_NONE) == (!has_origin || d.reason == CORS_REASON_SAME_ORIGIN),
               "kind %d with origin %d, reason %s", d.kind, has_origin, cors_reason_name(d.reason));
    if (d.reason == CORS_REASON_SAME_ORIGIN)
        FUZZ_CHECK(request.host != NULL && origin_status == CORS_ORIGIN_OK,
                   "same origin without a self origin");
    if (d.kind == CORS_KIND_PREFLIGHT)
        FUZZ_CHECK(strcmp(request.method, "OPTIONS") == 0 && request.preflight_method != NULL &&
                       request.preflight_method[0] != '\0',
                   "preflight for method \"%s\"", request.method);
    if (has_origin && strcmp(request.method, "OPTIONS") == 0 && request.preflight_method != NULL &&
        request.preflight_method[0] != '\0' && !request.upgrade &&
        d.reason != CORS_REASON_SAME_ORIGIN)
        FUZZ_CHECK(d.kind == CORS_KIND_PREFLIGHT, "OPTIONS + Origin + ACRM gave kind %d", d.kind);
    /* Every response in scope varies on Origin, CORS or not. */
    FUZZ_CHECK(d.vary != NULL, "no Vary for kind %d", d.kind);
    FUZZ_CHECK(d.refuse_status == 0 || d.refuse_status == 403 || d.refuse_status == 405,
               "refuse_status %d", d.refuse_status);
    FUZZ_CHECK(cors_reason_name(d.reason) != NULL && cors_kind_name(d.kind) != NULL, "names");
    if (d.detail != NULL)
        FUZZ_CHECK(points_into(d.detail, request.method) || points_into(d.detail, request.origin) ||
                       points_into(d.detail, request.preflight_method) ||
                       points_into(d.detail, request.request_headers),
                   "detail points outside the request");

    if (d.allow_origin != NULL) {
        /* Whatever the outcome, CORS headers only ever go to an allowed origin. */
        FUZZ_CHECK(oracle_allows,
                   "CORS headers for \"%s\" (status %d), which the policy does "
                   "not allow",
                   request.origin ? request.origin : "(null)", origin_status);
        FUZZ_CHECK(d.allow_origin == request.origin, "ACAO is not the request's Origin");
        FUZZ_CHECK(d.allow_credentials != NULL && strcmp(d.allow_credentials, "true") == 0,
                   "credentials");
    }
    if (d.allowed) {
        FUZZ_CHECK(d.allow_origin != NULL, "allowed without ACAO");
        FUZZ_CHECK(d.refuse_status == 0, "allowed yet refused %d", d.refuse_status);
        if (d.kind == CORS_KIND_PREFLIGHT) {
            FUZZ_CHECK(is_default_method(request.preflight_method),
                       "preflight allowed method \"%s\"", request.preflight_method);
            FUZZ_CHECK(d.allow_methods && d.allow_headers && d.max_age && !d.expose_headers,
                       "preflight header set");
        } else {
            FUZZ_CHECK(d.expose_headers && !d.allow_methods && !d.allow_headers && !d.max_age,
                       "actual header set");
            FUZZ_CHECK(is_default_method(request.method) || strcmp(request.method, "HEAD") == 0,
                       "actual request with method \"%s\" allowed", request.method);
        }
    } else if (d.kind == CORS_KIND_ACTUAL && d.reason == CORS_REASON_METHOD_NOT_ALLOWED) {
        /* An allowed origin using a method it may not: refused at the gateway,
         * with its CORS headers so the page can read the refusal. */
        FUZZ_CHECK(oracle_allows && !is_default_method(request.method) &&
                       strcmp(request.method, "HEAD") != 0,
                   "method \"%s\" refused", request.method);
        FUZZ_CHECK(d.refuse_status == 403 || d.refuse_status == 405, "refuse_status %d",
                   d.refuse_status);
        FUZZ_CHECK(d.refuse_status != 405 || d.allow != NULL, "405 without Allow");
    } else {
        FUZZ_CHECK(
            !d.allow_origin && !d.allow_credentials && !d.allow_methods && !d.allow_headers &&
                !d.max_age && !d.expose_headers && !d.allow_private_network,
            "a denied decision carries CORS headers (reason %s)", cors_reason_name(d.reason));
        if (has_origin && oracle_allows && d.kind == CORS_KIND_ACTUAL && !request.upgrade &&
            is_default_method(request.method) && d.reason != CORS_REASON_SAME_ORIGIN)
            FUZZ_CHECK(0, "denied allowed origin \"%s\" for %s (reason %s)", request.origin,
                       request.method, cors_reason_name(d.reason));
        if (request.upgrade && has_origin && d.kind != CORS_KIND_NONE)
            FUZZ_CHECK(d.refuse_status == 403, "denied upgrade not refused (reason %s)",
                       cors_reason_name(d.reason));
    }
    free(text);
    return 0;
}
