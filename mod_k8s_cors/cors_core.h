/*
 * The mod_k8s_cors policy core: origin parsing, matching, decisions. Plain
 * C on APR and PCRE2, with no httpd headers, shared by the httpd module, the
 * console CGI, the command-line tools and the unit tests.
 */
#ifndef CORS_CORE_H
#define CORS_CORE_H

#include "cors_origin.h"
#include "cors_regex.h"
#include "cors_tokens.h"
#include "cors_policy.h"
#include "cors_cross_site.h"
#include "cors_decision.h"
#include "cors_profile.h"
#include "cors_secret.h"
#include "cors_lint.h"
#include "cors_directives.h"
#include "cors_json.h"
#include "cors_metrics.h"

#endif
