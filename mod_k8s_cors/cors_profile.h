/*
 * Client profiles (K8sCorsClientProfile): what a kind of browser client
 * needs, as data. `kubernetes` is what browser tools for the Kubernetes API
 * send and read beyond kube-apiserver's default CORS lists.
 */
#ifndef CORS_PROFILE_H
#define CORS_PROFILE_H

#include <apr_pools.h>

#include "cors_policy.h"

typedef struct cors_client_profile_s {
    const char *name;
    const char *const *methods; /* NULL-terminated, as K8sCorsAllowMethods takes them */
    const char *const *headers; /* request headers, prefixes allowed (K8sCorsAllowHeaders) */
    const char *const *expose;  /* response headers scripts may read (K8sCorsExposeHeaders) */
} cors_client_profile;

/* The profile named name (case-insensitive), or NULL. */
const cors_client_profile *cors_client_profile_find(const char *name);

/* "kubernetes": the names K8sCorsClientProfile accepts, for messages. */
const char *cors_client_profile_names(void);

/* Sets the profile's lists in settings where the scope does not set them
 * itself: a K8sCorsAllowMethods, K8sCorsAllowHeaders or K8sCorsExposeHeaders
 * of the same scope replaces the profile's list, before or after it.
 * Returns NULL or an error. */
const char *cors_client_profile_apply(apr_pool_t *pool, cors_settings *settings,
                                      const cors_client_profile *profile);

#endif
