/*
 * SARIF 2.1.0 output. The properties used are those the specification
 * requires (version, runs[].tool.driver.name, results[].message.text) and
 * those code-scanning services read: ruleId, level, and a physicalLocation
 * with artifactLocation.uri and region.startLine.
 */

#include <stdlib.h>
#include <string.h>

#include <apr_hash.h>
#include <apr_strings.h>

#include "cors_core.h"
#include "cors_names.h"
#include "lint_sarif.h"

/* SARIF's result levels, in the order of cors_severity. */
static const char *const sarif_levels[] = {"note", "warning", "error"};
_Static_assert(CORS_NAMES_COUNT(sarif_levels) == CORS_SEVERITY_ERROR + 1,
               "a level for every severity");

static const char *level_of(cors_severity severity)
{
    return cors_name_of(sarif_levels, CORS_NAMES_COUNT(sarif_levels), (int)severity);
}

/* A file path as a URI reference: relative paths stay relative (to the
 * directory the tool ran in), absolute ones become file: URIs; characters
 * outside the unreserved set and '/' are percent-encoded. */
static const char *path_uri(apr_pool_t *pool, const char *path, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    char *out = apr_palloc(pool, len * 3 + sizeof("file://")), *o = out;
    if (len > 0 && path[0] == '/') {
        memcpy(o, "file://", 7);
        o += 7;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)path[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            strchr("-._~/", c) != NULL) {
            *o++ = (char)c;
        } else {
            *o++ = '%';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 15];
        }
    }
    *o = '\0';
    return out;
}

/* "file:line" as a SARIF locations array, or NULL when source names no
 * file line (a bare flag value). */
static const char *locations(apr_pool_t *pool, const char *source)
{
    const char *colon = source ? strrchr(source, ':') : NULL;
    long line;
    char *end;
    if (colon == NULL || colon == source)
        return NULL;
    line = strtol(colon + 1, &end, 10);
    if (*end != '\0' || end == colon + 1 || line < 1)
        return NULL;
    return apr_psprintf(pool,
                        "[{\"physicalLocation\":{\"artifactLocation\":{\"uri\":%s},"
                        "\"region\":{\"startLine\":%ld}}}]",
                        cors_json_string(pool, path_uri(pool, source, (size_t)(colon - source))),
                        line);
}

static const char *result(apr_pool_t *pool, const char *rule, const char *level, const char *text,
                          const char *source)
{
    const char *where = locations(pool, source);
    return apr_psprintf(pool, "{\"ruleId\":%s,\"level\":\"%s\",\"message\":{\"text\":%s}%s%s}",
                        cors_json_string(pool, rule), level, cors_json_string(pool, text),
                        where ? ",\"locations\":" : "", where ? where : "");
}

const char *lint_sarif(apr_pool_t *pool, const apr_array_header_t *findings,
                       const apr_array_header_t *notices)
{
    const char *results = "", *rules = "";
    apr_hash_t *seen = apr_hash_make(pool);

    for (int i = 0; i < findings->nelts; i++) {
        const cors_finding *f = &APR_ARRAY_IDX(findings, i, cors_finding);
        const char *text = apr_psprintf(pool, "\"%s\": %s", f->subject, f->message);
        if (f->attacker)
            text = apr_pstrcat(pool, text, "; accepts ", f->attacker, NULL);
        if (f->suggestion)
            text = apr_pstrcat(pool, text, "; suggested: ", f->suggestion, NULL);
        results = apr_pstrcat(pool, results, *results ? "," : "",
                              result(pool, f->code, level_of(f->severity), text, f->source), NULL);
        if (apr_hash_get(seen, f->code, APR_HASH_KEY_STRING) == NULL) {
            apr_hash_set(seen, f->code, APR_HASH_KEY_STRING, f->code);
            rules = apr_pstrcat(pool, rules, *rules ? "," : "",
                                apr_psprintf(pool, "{\"id\":%s}", cors_json_string(pool, f->code)),
                                NULL);
        }
    }
    for (int i = 0; i < notices->nelts; i++) {
        /* "file:line: reason" (or "file: reason"): the location goes to the
         * result's location, the whole text to its message. */
        const char *text = APR_ARRAY_IDX(notices, i, const char *);
        const char *split = strstr(text, ": ");
        const char *source = split ? apr_pstrmemdup(pool, text, (size_t)(split - text)) : NULL;
        results = apr_pstrcat(pool, results, *results ? "," : "",
                              result(pool, "unusable-input", "error", text, source), NULL);
    }
    return apr_psprintf(pool,
                        "{\"$schema\":\"https://json.schemastore.org/sarif-2.1.0.json\","
                        "\"version\":\"2.1.0\",\"runs\":[{\"tool\":{\"driver\":{"
                        "\"name\":\"k8s-cors-lint\",\"version\":\"%s\",\"rules\":[%s]}},"
                        "\"results\":[%s]}]}",
                        K8S_CORS_VERSION, rules, results);
}
