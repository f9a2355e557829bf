/*
 * JSON output for the console CGI and k8s-cors-lint: strings escaped so the
 * result is valid JSON and safe to show (no raw '<', '>', '&', U+2028 or
 * U+2029, invalid UTF-8 replaced), and the documents both print: a policy,
 * a decision, a list of findings.
 */
#ifndef CORS_JSON_H
#define CORS_JSON_H

#include <stddef.h>
#include <apr_pools.h>
#include <apr_tables.h>

#include "cors_decision.h"
#include "cors_lint.h"
#include "cors_policy.h"

/* text as a quoted JSON string; NULL becomes null. */
const char *cors_json_string(apr_pool_t *pool, const char *text);
const char *cors_json_string_n(apr_pool_t *pool, const char *text, size_t len);

/* {"kind":..., "allowed":..., "reason":..., "rule":{...}, "refuse_status":...,
 *  "headers":{"Access-Control-Allow-Origin":...}} */
const char *cors_json_decision(apr_pool_t *pool, const cors_decision *decision);

/* [{"severity":..., "code":..., "subject":..., "source":..., "message":...,
 *   "attacker":..., "suggestion":...}, ...] with severities under strict. */
const char *cors_json_findings(apr_pool_t *pool, const apr_array_header_t *findings, int strict);

/* {"mode":..., "denied_origin":..., "rules":[...], "defaults":{...}} */
const char *cors_json_policy(apr_pool_t *pool, const cors_policy *policy);

#endif
