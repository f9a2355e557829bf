/*
 * k8s-cors-lint's inputs, read into policies of the shared core: an httpd
 * configuration using the K8sCors directives (read the way httpd reads it,
 * as far as the K8sCors directives are concerned), Kubernetes YAML (a
 * kube-apiserver static pod manifest, Ingress and HTTPRoute objects), or a
 * bare --cors-allowed-origins value.
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

typedef enum {
    LINT_OBJECT_APISERVER, /* a container running with --cors-allowed-origins */
    LINT_OBJECT_INGRESS,   /* an Ingress with ingress-nginx CORS annotations */
    LINT_OBJECT_HTTPROUTE, /* one Gateway API CORS filter of an HTTPRoute */
} lint_object_kind;

/* One place a Kubernetes object sets CORS. */
typedef struct {
    lint_object_kind kind;
    const char *name;   /* "Ingress default/dashboard" */
    const char *source; /* "file:line" of the setting */
    /* kube-apiserver: the --cors-allowed-origins value */
    const char *flag;
    /* ingress-nginx: the annotation values, NULL when absent */
    const char *enable_cors, *allow_origin, *allow_credentials;
    /* Gateway API: allowOrigins (const char *) with the source of each,
     * and allowCredentials */
    apr_array_header_t *origins, *origin_sources;
    int credentials;
} lint_object;

/* Every place the Kubernetes objects of a YAML file (one or several
 * documents, List objects included: a `kubectl get -o yaml` dump, a Helm
 * render, a static pod manifest) set CORS, appended to objects (an array
 * of lint_object). Returns NULL or an error. */
const char *lint_read_kube(apr_pool_t *pool, const char *path, apr_array_header_t *objects);

typedef enum {
    LINT_FILE_HTTPD,
    LINT_FILE_KUBE,
} lint_file_kind;

/* What a file given as an argument is: Kubernetes YAML (by its extension,
 * a first line such as "apiVersion:" or "---", or because it is a pipe),
 * else an httpd configuration. */
lint_file_kind lint_detect(const char *path);

/* The policy in force for a request path: the server's, then the virtual
 * host's, then every matching <Location> in order, merged the httpd way. */
const cors_policy *lint_policy_for_path(apr_pool_t *pool, const lint_config *config,
                                        const char *path);

#endif
