/*
 * K8sCorsClientProfile kubernetes: the lists it sets, what a scope's own
 * lists do to it, and what a browser client of the API then may do.
 */
#include <string.h>

#include <apr_pools.h>
#include <check.h>

#include "check_suites.h"
#include "cors_decision.h"
#include "cors_profile.h"
#include "unit_fixture.h"

#define S(lit) lit, sizeof(lit) - 1

START_TEST(test_kubernetes_lists)
{
    const cors_client_profile *k = cors_client_profile_find("Kubernetes");
    cors_settings *s = cors_settings_make(pool);
    ck_assert_ptr_nonnull(k);
    ck_assert_ptr_null(cors_client_profile_find("openshift"));
    ck_assert_ptr_null(cors_client_profile_apply(pool, s, k));
    ck_assert_ptr_eq(s->profile, k);
    /* impersonation, by name and by prefix, any case */
    ck_assert(cors_token_list_has(s->headers, S("impersonate-user")));
    ck_assert(cors_token_list_has(s->headers, S("Impersonate-Group")));
    ck_assert(cors_token_list_has(s->headers, S("impersonate-uid")));
    ck_assert(cors_token_list_has(s->headers, S("impersonate-extra-scopes")));
    ck_assert(cors_token_list_has(s->headers, S("content-type")));
    ck_assert(cors_token_list_has(s->headers, S("authorization")));
    ck_assert(!cors_token_list_has(s->headers, S("x-custom")));
    /* PATCH, exactly as Fetch sends it */
    ck_assert(cors_method_allowed(s->methods, S("PATCH")));
    ck_assert(!cors_method_allowed(s->methods, S("patch")));
    ck_assert(cors_method_allowed(s->methods, S("DELETE")));
    /* what clients read */
    ck_assert_str_eq(s->expose->joined, "Date, Audit-Id, Warning, Retry-After, "
                                        "X-Kubernetes-PF-FlowSchema-UID, "
                                        "X-Kubernetes-PF-PriorityLevel-UID");
}
END_TEST

START_TEST(test_scope_lists_replace_the_profiles_in_any_order)
{
    const cors_client_profile *k = cors_client_profile_find("kubernetes");
    cors_settings *before = cors_settings_make(pool), *after = cors_settings_make(pool);
    cors_token_list *mine;

    ck_assert_ptr_null(cors_header_list_parse(pool, "X-Mine", &mine));
    before->headers = mine;
    ck_assert_ptr_null(cors_client_profile_apply(pool, before, k));
    ck_assert_ptr_eq(before->headers, mine);
    ck_assert_ptr_nonnull(before->expose);
    ck_assert_ptr_null(cors_client_profile_apply(pool, after, k));
    after->headers = mine; /* what K8sCorsAllowHeaders does after the profile */
    ck_assert_str_eq(after->headers->joined, before->headers->joined);
    ck_assert_str_eq(after->expose->joined, before->expose->joined);
}
END_TEST

START_TEST(test_patch_preflight_with_impersonation)
{
    /* A browser tool's server-side apply as another user: PATCH with
     * application/apply-patch+yaml (never safelisted, so content-type is
     * asked for) and impersonation headers, credentials on. */
    const cors_client_profile *k = cors_client_profile_find("kubernetes");
    cors_policy *p = cors_policy_make(pool);
    cors_request req = {0};
    cors_decision d;

    ck_assert_ptr_null(cors_policy_add_origin(pool, p, "https://console.example.com", "t:1"));
    ck_assert_ptr_null(cors_client_profile_apply(pool, &p->settings, k));
    p = cors_policy_merge(pool, cors_policy_make(pool), p);
    req.method = "OPTIONS";
    req.origin = "https://console.example.com";
    req.preflight_method = "PATCH";
    req.request_headers = "authorization,content-type,impersonate-extra-scopes,impersonate-user";
    cors_decide(p, &req, &d);
    ck_assert(d.allowed);
    ck_assert_str_eq(d.allow_headers, req.request_headers);
    ck_assert_str_eq(d.allow_credentials, "true");
    ck_assert_ptr_nonnull(strstr(d.allow_methods, "PATCH"));
    req.method = "PATCH";
    req.preflight_method = NULL;
    req.request_headers = NULL;
    cors_decide(p, &req, &d);
    ck_assert(d.allowed);
    ck_assert_ptr_nonnull(strstr(d.expose_headers, "Audit-Id"));
    ck_assert_ptr_nonnull(strstr(d.expose_headers, "Warning"));
}
END_TEST

Suite *profile_suite(void)
{
    Suite *s = suite_create("profile");
    TCase *tc = tcase_create("kubernetes");
    tcase_add_checked_fixture(tc, unit_setup, unit_teardown);
    tcase_add_test(tc, test_kubernetes_lists);
    tcase_add_test(tc, test_scope_lists_replace_the_profiles_in_any_order);
    tcase_add_test(tc, test_patch_preflight_with_impersonation);
    suite_add_tcase(s, tc);
    return s;
}
