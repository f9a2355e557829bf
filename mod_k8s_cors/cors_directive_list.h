/*
 * The directives, once: expanded into the core's cors_directive_table and
 * into the httpd module's command table, with
 *   CORS_DIRECTIVE(name, arguments, allowed inside <K8sCorsOrigin>, handler, help)
 * where handler is the function of cors_directives.c that applies it (NULL
 * for the sections, read by cors_origin_section_open and _close).
 * No include guard: it is meant to be included with CORS_DIRECTIVE defined.
 * One row a directive, as a table reads.
 */
/* clang-format off */
CORS_DIRECTIVE("K8sCors", CORS_ARGS_ONE, 0, set_mode, "On (or enforce), report-only, or Off: apply the CORS policy in this scope")
CORS_DIRECTIVE("K8sCorsAllowOrigin", CORS_ARGS_LIST, 0, allow_origins, "allowed origins (scheme://host[:port]), or * (only without credentials), or null")
CORS_DIRECTIVE("K8sCorsAllowOriginRegex", CORS_ARGS_ONE, 0, allow_origin_regex, "a PCRE2 regular expression that must match the whole origin")
CORS_DIRECTIVE("<K8sCorsOrigin", CORS_ARGS_SECTION, 0, NULL, "origins with their own settings, until </K8sCorsOrigin>")
CORS_DIRECTIVE("<K8sCorsOriginRegex", CORS_ARGS_SECTION, 0, NULL, "a whole-origin pattern with its own settings, until </K8sCorsOriginRegex>")
CORS_DIRECTIVE("K8sCorsKubeAllowedOrigins", CORS_ARGS_OPTIONAL, 0, allow_kube_origins, "the value of kube-apiserver's --cors-allowed-origins, with kube's semantics")
CORS_DIRECTIVE("K8sCorsDeniedOrigin", CORS_ARGS_ONE, 0, set_denied_origin, "pass (forward without CORS headers), reject-unsafe (403 for cross-site requests that can change state) or reject (403 for every request) from denied origins")
CORS_DIRECTIVE("K8sCorsTrustSameSite", CORS_ARGS_FLAG, 0, set_trust_same_site, "On: under reject-unsafe, requests a browser marks Sec-Fetch-Site: same-site pass (Off, the default: same-site is cross-origin)")
CORS_DIRECTIVE("K8sCorsDeniedMethodStatus", CORS_ARGS_ONE, 0, set_denied_method_status, "405 or 403: the answer to an allowed origin using a method it may not")
CORS_DIRECTIVE("K8sCorsSelfOrigin", CORS_ARGS_LIST, 0, add_self_origins, "the gateway's own origins besides its ServerName and ServerAlias names, as browsers address it (behind a TLS terminator: https://api.example.com)")
CORS_DIRECTIVE("K8sCorsStrict", CORS_ARGS_FLAG, 0, set_strict, "On: every configuration warning stops httpd")
CORS_DIRECTIVE("K8sCorsAllowMethods", CORS_ARGS_LIST, 1, set_methods, "methods allowed (case-sensitive)")
CORS_DIRECTIVE("K8sCorsAllowHeaders", CORS_ARGS_LIST, 1, set_headers, "request headers allowed in preflights")
CORS_DIRECTIVE("K8sCorsExposeHeaders", CORS_ARGS_LIST, 1, set_expose, "response headers exposed to scripts")
CORS_DIRECTIVE("K8sCorsAllowCredentials", CORS_ARGS_FLAG, 1, set_credentials, "On|Off: allow credentialed requests (cookies, Authorization)")
CORS_DIRECTIVE("K8sCorsMaxAge", CORS_ARGS_ONE, 1, set_max_age, "seconds a browser may cache a preflight answer")
CORS_DIRECTIVE("K8sCorsAllowPrivateNetwork", CORS_ARGS_FLAG, 1, set_private_network, "On|Off: answer Private Network Access preflights")
CORS_DIRECTIVE("K8sCorsClientProfile", CORS_ARGS_ONE, 1, set_client_profile, "kubernetes: the methods, request headers (impersonation included) and exposed headers browser clients of the Kubernetes API need")
CORS_DIRECTIVE("K8sCorsRuleName", CORS_ARGS_ONE, 1, set_rule_name, "the rule's name in logs and metrics (inside <K8sCorsOrigin>)")
/* clang-format on */
