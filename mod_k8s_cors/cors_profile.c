/*
 * The profiles' lists. Kubernetes' own names: kube-apiserver's default CORS
 * lists (staging/src/k8s.io/apiserver/pkg/server/filters/cors.go), the
 * impersonation headers (k8s.io/apiserver/pkg/authentication/user and
 * client-go's transport: Impersonate-User, -Group, -Uid, -Extra-<key>), and
 * the response headers clients read: Audit-Id (every response), Warning
 * (deprecations, admission warnings), Retry-After (429 from API Priority
 * and Fairness) and APF's X-Kubernetes-PF-FlowSchema-UID and
 * X-Kubernetes-PF-PriorityLevel-UID.
 *
 * PATCH bodies are application/json-patch+json, application/merge-patch+json,
 * application/strategic-merge-patch+json or application/apply-patch+yaml:
 * none is a CORS-safelisted Content-Type, so each PATCH is preflighted with
 * content-type among its headers, which Content-Type here allows.
 */
#include <strings.h>

#include "cors_profile.h"

static const char *const kubernetes_methods[] = {"GET",   "HEAD",   "POST", "PUT",
                                                 "PATCH", "DELETE", NULL};
static const char *const kubernetes_headers[] = {
    /* kube-apiserver's defaults */
    "Content-Type", "Content-Length", "Accept-Encoding", "X-CSRF-Token", "Authorization",
    "X-Requested-With", "If-Modified-Since",
    /* Table and protobuf Accept values can exceed what Fetch safelists */
    "Accept",
    /* impersonation */
    "Impersonate-User", "Impersonate-Group", "Impersonate-Uid", "Impersonate-Extra-*", NULL};
static const char *const kubernetes_expose[] = {"Date",
                                                "Audit-Id",
                                                "Warning",
                                                "Retry-After",
                                                "X-Kubernetes-PF-FlowSchema-UID",
                                                "X-Kubernetes-PF-PriorityLevel-UID",
                                                NULL};

static const cors_client_profile profiles[] = {
    {"kubernetes", kubernetes_methods, kubernetes_headers, kubernetes_expose},
};

const cors_client_profile *cors_client_profile_find(const char *name)
{
    for (size_t i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++)
        if (strcasecmp(profiles[i].name, name) == 0)
            return &profiles[i];
    return NULL;
}

const char *cors_client_profile_names(void)
{
    return "kubernetes";
}

static int count(const char *const *names)
{
    int n = 0;
    while (names[n] != NULL)
        n++;
    return n;
}

const char *cors_client_profile_apply(apr_pool_t *pool, cors_settings *settings,
                                      const cors_client_profile *profile)
{
    const char *error = NULL;
    cors_token_list *list;

    if (settings->profile != NULL && settings->profile != profile)
        return "one client profile per scope";
    settings->profile = profile;
    if (settings->methods == NULL && error == NULL &&
        (error = cors_token_list_make(pool, profile->methods, count(profile->methods), 0, &list)) ==
            NULL)
        settings->methods = list;
    if (settings->headers == NULL && error == NULL &&
        (error = cors_header_list_make(pool, profile->headers, count(profile->headers), &list)) ==
            NULL)
        settings->headers = list;
    if (settings->expose == NULL && error == NULL &&
        (error = cors_token_list_make(pool, profile->expose, count(profile->expose), 1, &list)) ==
            NULL)
        settings->expose = list;
    return error;
}
