/*
 * k8s-cors-lint's inputs, read into policies of the shared core: an httpd
 * configuration using the K8sCors directives (read the way httpd reads it,
 * as far as the K8sCors directives are concerned), a kube-apiserver static
 * pod manifest, or a bare --cors-allowed-origins value.
 */
#ifndef LINT_INPUT_H
#define LINT_INPUT_H

#include <apr_pools.h>
#include <apr_tables.h>

#include "cors_core.h"

typedef enum {
    SECTION_SERVER,
    SECTION_VHOST,
    SECTION_LOCATION, /* <Location> */
    SECTION_OTHER,    /* <Directory>, <LocationMatch>, <Files>, <Proxy>, <If>... */
} lint_section_kind;

typedef struct lint_section {
    lint_section_kind kind;
    const char *arg;                   /* the section's argument (a path for <Location>) */
    const char *source;                /* "file:line" */
    cors_policy *policy;               /* what the section itself configures */
    const struct lint_section *parent; /* the server or virtual host it belongs to */
} lint_section;

typedef struct {
    apr_array_header_t *sections; /* lint_section *, [0] is the server */
    const char *error;            /* the first configuration error, as httpd -t says it */
} lint_config;

/* Reads an httpd configuration file and its Includes. */
void lint_read_httpd_config(apr_pool_t *pool, const char *path, lint_config *out);

/* A policy holding kube-apiserver's flag value, as K8sCorsKubeAllowedOrigins
 * would; source names where the value came from. Returns NULL or an error. */
const char *lint_policy_from_flag(apr_pool_t *pool, const char *value, const char *source,
                                  lint_config *out);

/* Finds --cors-allowed-origins in a kube-apiserver manifest (command or
 * args of any container, "--flag=value" or "--flag" "value"). Returns NULL
 * or an error; *value is NULL when the flag is absent. */
const char *lint_read_manifest(apr_pool_t *pool, const char *path, const char **value,
                               const char **source);

/* The policy in force for a request path: the server's, then the virtual
 * host's, then every matching <Location> in order, merged the httpd way. */
const cors_policy *lint_policy_for_path(apr_pool_t *pool, const lint_config *config,
                                        const char *path);

#endif
