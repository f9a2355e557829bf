/*
 * JSON writing. Values are built as strings in a pool: the documents are
 * small (a policy, one decision) and written once.
 */
#include <stdio.h>
#include <string.h>

#include <apr_strings.h>

#include "cors_json.h"
#include "cors_secret.h"
#include "cors_names.h"

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0. */
static size_t utf8_sequence(const unsigned char *s, size_t n, unsigned *code)
{
    size_t len;
    unsigned c = s[0];
    if (c >= 0xc2 && c <= 0xdf)
        len = 2, c &= 0x1f;
    else if (c >= 0xe0 && c <= 0xef)
        len = 3, c &= 0x0f;
    else if (c >= 0xf0 && c <= 0xf4)
        len = 4, c &= 0x07;
    else
        return 0;
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        c = (c << 6) | (s[i] & 0x3f);
    }
    /* Overlong forms, surrogates and values past U+10FFFF are invalid. */
    if ((len == 3 && c < 0x800) || (len == 4 && (c < 0x10000 || c > 0x10ffff)) ||
        (c >= 0xd800 && c <= 0xdfff))
        return 0;
    *code = c;
    return len;
}

const char *cors_json_string_n(apr_pool_t *pool, const char *text, size_t len)
{
    const unsigned char *s = (const unsigned char *)text;
    char *out, *o;

    if (text == NULL)
        return "null";
    /* Every JSON string the console writes may hold what a request sent. */
    text = cors_redact(pool, text, len, &len);
    s = (const unsigned char *)text;
    /* Worst case: every byte becomes \uXXXX (6 bytes). */
    out = o = apr_palloc(pool, len * 6 + 3);
    *o++ = '"';
    for (size_t i = 0; i < len;) {
        unsigned c = s[i], code = 0;
        size_t seq;
        if (c == '"' || c == '\\') {
            *o++ = '\\';
            *o++ = (char)c;
            i++;
        } else if (c < 0x20 || c == 0x7f || c == '<' || c == '>' || c == '&') {
            o += sprintf(o, "\\u%04x", c);
            i++;
        } else if (c < 0x80) {
            *o++ = (char)c;
            i++;
        } else if ((seq = utf8_sequence(s + i, len - i, &code)) == 0) {
            o += sprintf(o, "\\ufffd");
            i++;
        } else if (code == 0x2028 || code == 0x2029) {
            o += sprintf(o, "\\u%04x", code);
            i += seq;
        } else {
            memcpy(o, s + i, seq);
            o += seq;
            i += seq;
        }
    }
    *o++ = '"';
    *o = '\0';
    return out;
}

const char *cors_json_string(apr_pool_t *pool, const char *text)
{
    return text ? cors_json_string_n(pool, text, strlen(text)) : "null";
}

/* As the JSON names a rule's kind, in the order of cors_rule_kind. */
static const char *const rule_kind_names[] = {"origin", "regex", "kube", "any", "null"};
_Static_assert(CORS_NAMES_COUNT(rule_kind_names) == CORS_RULE_NULL + 1, "a name for every kind");

static const char *rule_kind_name(cors_rule_kind kind)
{
    return cors_name_of(rule_kind_names, CORS_NAMES_COUNT(rule_kind_names), (int)kind);
}

static const char *json_rule(apr_pool_t *pool, const cors_rule *rule)
{
    if (rule == NULL)
        return "null";
    return apr_psprintf(pool, "{\"kind\":\"%s\",\"text\":%s,\"name\":%s,\"source\":%s}",
                        rule_kind_name(rule->kind), cors_json_string(pool, rule->text),
                        cors_json_string(pool, rule->name), cors_json_string(pool, rule->source));
}

static const char *json_header(apr_pool_t *pool, const char *out, const char *name,
                               const char *value)
{
    if (value == NULL)
        return out;
    return apr_pstrcat(pool, out, out[0] ? "," : "", cors_json_string(pool, name), ":",
                       cors_json_string(pool, value), NULL);
}

const char *cors_json_decision(apr_pool_t *pool, const cors_decision *d)
{
    const char *headers = "";
    headers = json_header(pool, headers, "Access-Control-Allow-Origin", d->allow_origin);
    headers = json_header(pool, headers, "Access-Control-Allow-Credentials", d->allow_credentials);
    headers = json_header(pool, headers, "Access-Control-Allow-Methods", d->allow_methods);
    headers = json_header(pool, headers, "Access-Control-Allow-Headers", d->allow_headers);
    headers = json_header(pool, headers, "Access-Control-Max-Age", d->max_age);
    headers = json_header(pool, headers, "Access-Control-Allow-Private-Network",
                          d->allow_private_network);
    headers = json_header(pool, headers, "Access-Control-Expose-Headers", d->expose_headers);
    headers = json_header(pool, headers, "Allow", d->allow);
    headers = json_header(pool, headers, "Vary", d->vary);
    return apr_psprintf(
        pool,
        "{\"kind\":\"%s\",\"allowed\":%s,\"reason\":\"%s\",\"origin_status\":%s,\"rule\":%s,"
        "\"refused\":%s,\"refuse_status\":%d,\"cross_site\":\"%s\",\"fetch_site\":\"%s\","
        "\"headers\":{%s}}",
        cors_kind_name(d->kind), d->allowed ? "true" : "false", cors_reason_name(d->reason),
        d->origin_status == CORS_ORIGIN_OK
            ? "null"
            : cors_json_string(pool, cors_origin_status_text(d->origin_status)),
        json_rule(pool, d->rule),
        d->detail ? cors_json_string_n(pool, d->detail, d->detail_len) : "null", d->refuse_status,
        cors_cross_site_name(d->cross_site), cors_fetch_site_name(d->fetch_site), headers);
}

const char *cors_json_findings(apr_pool_t *pool, const apr_array_header_t *findings, int strict)
{
    const char *out = "[";
    for (int i = 0; i < findings->nelts; i++) {
        const cors_finding *f = &APR_ARRAY_IDX(findings, i, cors_finding);
        out = apr_pstrcat(
            pool, out, i ? "," : "",
            apr_psprintf(pool,
                         "{\"severity\":\"%s\",\"code\":\"%s\",\"subject\":%s,\"source\":%s,"
                         "\"message\":%s,\"attacker\":%s,\"suggestion\":%s}",
                         cors_severity_name(cors_finding_effective_severity(f, strict)), f->code,
                         cors_json_string(pool, f->subject), cors_json_string(pool, f->source),
                         cors_json_string(pool, f->message), cors_json_string(pool, f->attacker),
                         cors_json_string(pool, f->suggestion)),
            NULL);
    }
    return apr_pstrcat(pool, out, "]", NULL);
}

static const char *json_settings(apr_pool_t *pool, const cors_policy *policy, const cors_rule *rule)
{
    return apr_psprintf(pool,
                        "{\"methods\":%s,\"headers\":%s,\"expose_headers\":%s,\"credentials\":%s,"
                        "\"max_age\":%s,\"private_network\":%s}",
                        cors_json_string(pool, cors_effective_methods(policy, rule)->joined),
                        cors_json_string(pool, cors_effective_headers(policy, rule)->joined),
                        cors_json_string(pool, cors_effective_expose(policy, rule)->joined),
                        cors_effective_credentials(policy, rule) ? "true" : "false",
                        cors_effective_max_age_text(policy, rule),
                        cors_effective_private_network(policy, rule) ? "true" : "false");
}

const char *cors_json_policy(apr_pool_t *pool, const cors_policy *policy)
{
    const char *rules = "";
    for (int i = 0; policy->has_origins && i < policy->rules->nelts; i++) {
        const cors_rule *rule = APR_ARRAY_IDX(policy->rules, i, const cors_rule *);
        const char *json = json_rule(pool, rule);
        /* The rule object, with its effective settings added. */
        json = apr_pstrcat(pool, apr_pstrmemdup(pool, json, strlen(json) - 1),
                           ",\"settings\":", json_settings(pool, policy, rule), "}", NULL);
        rules = apr_pstrcat(pool, rules, i ? "," : "", json, NULL);
    }
    return apr_psprintf(
        pool,
        "{\"mode\":\"%s\",\"denied_origin\":\"%s\",\"denied_method_status\":%d,"
        "\"trust_same_site\":%s,\"strict\":%s,\"rules\":[%s],\"defaults\":%s}",
        cors_mode_name(cors_policy_mode(policy)),
        cors_denied_action_name(cors_policy_denied_origin(policy)),
        cors_policy_method_status(policy), cors_policy_trust_same_site(policy) ? "true" : "false",
        cors_policy_strict(policy) ? "true" : "false", rules, json_settings(pool, policy, NULL));
}
