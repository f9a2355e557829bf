/*
 * The cross-site step on its own: every Sec-Fetch-Site value against every
 * standing of the Origin, for safe and unsafe requests.
 */
#include <check.h>

#include "check_suites.h"
#include "cors_cross_site.h"
#include "cors_secret.h"
#include "unit_fixture.h"

#include <string.h>

#define N_ELEMS(a) ((int)(sizeof(a) / sizeof((a)[0])))

START_TEST(test_fetch_site_values)
{
    ck_assert_int_eq(cors_fetch_site_parse(NULL), CORS_FETCH_SITE_ABSENT);
    ck_assert_int_eq(cors_fetch_site_parse("same-origin"), CORS_FETCH_SITE_SAME_ORIGIN);
    ck_assert_int_eq(cors_fetch_site_parse("same-site"), CORS_FETCH_SITE_SAME_SITE);
    ck_assert_int_eq(cors_fetch_site_parse("cross-site"), CORS_FETCH_SITE_CROSS_SITE);
    ck_assert_int_eq(cors_fetch_site_parse("none"), CORS_FETCH_SITE_NONE);
    /* Browsers send the tokens in lower case; anything else is not theirs
     * and must not pass as one of them. */
    ck_assert_int_eq(cors_fetch_site_parse("Same-Origin"), CORS_FETCH_SITE_OTHER);
    ck_assert_int_eq(cors_fetch_site_parse("same-origin, same-origin"), CORS_FETCH_SITE_OTHER);
    ck_assert_int_eq(cors_fetch_site_parse(""), CORS_FETCH_SITE_OTHER);
}
END_TEST

START_TEST(test_safe_methods)
{
    ck_assert(cors_method_is_safe("GET"));
    ck_assert(cors_method_is_safe("HEAD"));
    ck_assert(cors_method_is_safe("OPTIONS"));
    ck_assert(!cors_method_is_safe("POST"));
    ck_assert(!cors_method_is_safe("get")); /* Fetch normalises it; anything else is unsafe */
    ck_assert(!cors_method_is_safe("PATCH"));
    ck_assert(!cors_method_is_safe(""));
}
END_TEST

static const struct {
    const char *method;
    int upgrade;
    cors_fetch_site site;
    cors_origin_standing origin;
    int trust_same_site;
    cors_cross_site expect;
} cases[] = {
    /* A cross-site form POST from a page the policy does not allow. */
    {"POST", 0, CORS_FETCH_SITE_CROSS_SITE, CORS_STANDING_FOREIGN, 0, CORS_CROSS_SITE_REFUSED_SITE},
    /* The same from an allowed origin: the CORS policy is the trusted list. */
    {"POST", 0, CORS_FETCH_SITE_CROSS_SITE, CORS_STANDING_ALLOWED, 0,
     CORS_CROSS_SITE_ALLOWED_ORIGIN},
    {"GET", 0, CORS_FETCH_SITE_CROSS_SITE, CORS_STANDING_FOREIGN, 0, CORS_CROSS_SITE_SAFE_METHOD},
    {"HEAD", 0, CORS_FETCH_SITE_CROSS_SITE, CORS_STANDING_FOREIGN, 0, CORS_CROSS_SITE_SAFE_METHOD},
    {"OPTIONS", 0, CORS_FETCH_SITE_CROSS_SITE, CORS_STANDING_FOREIGN, 0,
     CORS_CROSS_SITE_SAFE_METHOD},
    /* A WebSocket is a GET that opens exec, attach or port-forward. */
    {"GET", 1, CORS_FETCH_SITE_CROSS_SITE, CORS_STANDING_FOREIGN, 0, CORS_CROSS_SITE_REFUSED_SITE},
    {"GET", 1, CORS_FETCH_SITE_CROSS_SITE, CORS_STANDING_ABSENT, 0, CORS_CROSS_SITE_REFUSED_SITE},
    {"GET", 1, CORS_FETCH_SITE_ABSENT, CORS_STANDING_ABSENT, 0, CORS_CROSS_SITE_NOT_BROWSER},
    {"GET", 1, CORS_FETCH_SITE_SAME_ORIGIN, CORS_STANDING_OWN, 0, CORS_CROSS_SITE_OWN_ORIGIN},
    /* kubectl, curl: neither signal. */
    {"DELETE", 0, CORS_FETCH_SITE_ABSENT, CORS_STANDING_ABSENT, 0, CORS_CROSS_SITE_NOT_BROWSER},
    /* Browsers without Fetch Metadata: Origin decides. */
    {"POST", 0, CORS_FETCH_SITE_ABSENT, CORS_STANDING_FOREIGN, 0, CORS_CROSS_SITE_REFUSED_ORIGIN},
    {"POST", 0, CORS_FETCH_SITE_ABSENT, CORS_STANDING_OWN, 0, CORS_CROSS_SITE_OWN_ORIGIN},
    {"POST", 0, CORS_FETCH_SITE_ABSENT, CORS_STANDING_ALLOWED, 0, CORS_CROSS_SITE_ALLOWED_ORIGIN},
    /* Same-origin and user-initiated requests. */
    {"POST", 0, CORS_FETCH_SITE_SAME_ORIGIN, CORS_STANDING_ABSENT, 0, CORS_CROSS_SITE_FETCH_SITE},
    {"POST", 0, CORS_FETCH_SITE_NONE, CORS_STANDING_ABSENT, 0, CORS_CROSS_SITE_FETCH_SITE},
    {"POST", 0, CORS_FETCH_SITE_SAME_ORIGIN, CORS_STANDING_OWN, 0, CORS_CROSS_SITE_OWN_ORIGIN},
    /* A rebound page: the browser says same-origin, the configuration says
     * the Origin is not the gateway's. The configuration wins. */
    {"POST", 0, CORS_FETCH_SITE_SAME_ORIGIN, CORS_STANDING_FOREIGN, 0,
     CORS_CROSS_SITE_REFUSED_ORIGIN},
    {"POST", 0, CORS_FETCH_SITE_NONE, CORS_STANDING_FOREIGN, 0, CORS_CROSS_SITE_REFUSED_ORIGIN},
    /* same-site is cross-origin unless the operator trusts the site. */
    {"PUT", 0, CORS_FETCH_SITE_SAME_SITE, CORS_STANDING_FOREIGN, 0, CORS_CROSS_SITE_REFUSED_SITE},
    {"PUT", 0, CORS_FETCH_SITE_SAME_SITE, CORS_STANDING_FOREIGN, 1, CORS_CROSS_SITE_FETCH_SITE},
    {"PUT", 0, CORS_FETCH_SITE_SAME_SITE, CORS_STANDING_ABSENT, 0, CORS_CROSS_SITE_REFUSED_SITE},
    {"PUT", 0, CORS_FETCH_SITE_SAME_SITE, CORS_STANDING_ABSENT, 1, CORS_CROSS_SITE_FETCH_SITE},
    /* Trusting same-site never trusts cross-site. */
    {"PUT", 0, CORS_FETCH_SITE_CROSS_SITE, CORS_STANDING_FOREIGN, 1, CORS_CROSS_SITE_REFUSED_SITE},
    /* A cross-site request without Origin (stripped, or a value the
     * standard does not define) is refused, not taken for kubectl. */
    {"PATCH", 0, CORS_FETCH_SITE_CROSS_SITE, CORS_STANDING_ABSENT, 0, CORS_CROSS_SITE_REFUSED_SITE},
    {"PATCH", 0, CORS_FETCH_SITE_OTHER, CORS_STANDING_ABSENT, 0, CORS_CROSS_SITE_REFUSED_SITE},
    {"PATCH", 0, CORS_FETCH_SITE_OTHER, CORS_STANDING_FOREIGN, 0, CORS_CROSS_SITE_REFUSED_SITE},
    /* Method names are compared as sent: a lower-case "get" is not GET. */
    {"get", 0, CORS_FETCH_SITE_CROSS_SITE, CORS_STANDING_FOREIGN, 0, CORS_CROSS_SITE_REFUSED_SITE},
};

START_TEST(test_verdicts)
{
    for (int i = 0; i < N_ELEMS(cases); i++) {
        cors_cross_site got =
            cors_cross_site_check(cases[i].method, cases[i].upgrade, cases[i].site, cases[i].origin,
                                  cases[i].trust_same_site);
        ck_assert_msg(got == cases[i].expect, "case %d (%s, site %s): %s, expected %s", i,
                      cases[i].method, cors_fetch_site_name(cases[i].site),
                      cors_cross_site_name(got), cors_cross_site_name(cases[i].expect));
    }
}
END_TEST

/* Whatever the signals, the rules that make the step safe to turn on. */
START_TEST(test_every_combination)
{
    static const char *const methods[] = {"GET", "HEAD", "OPTIONS", "POST", "PUT", "DELETE"};
    for (int m = 0; m < N_ELEMS(methods); m++)
        for (int upgrade = 0; upgrade < 2; upgrade++)
            for (int site = CORS_FETCH_SITE_ABSENT; site <= CORS_FETCH_SITE_OTHER; site++)
                for (int origin = CORS_STANDING_ABSENT; origin <= CORS_STANDING_FOREIGN; origin++)
                    for (int trust = 0; trust < 2; trust++) {
                        cors_cross_site v =
                            cors_cross_site_check(methods[m], upgrade, (cors_fetch_site)site,
                                                  (cors_origin_standing)origin, trust);
                        int safe = !upgrade && m < 3;
                        ck_assert_str_ne(cors_cross_site_name(v), "unknown");
                        if (safe || origin == CORS_STANDING_OWN || origin == CORS_STANDING_ALLOWED)
                            ck_assert(!cors_cross_site_refused(v));
                        if (!safe && site == CORS_FETCH_SITE_CROSS_SITE &&
                            origin != CORS_STANDING_OWN && origin != CORS_STANDING_ALLOWED)
                            ck_assert(cors_cross_site_refused(v));
                        if (!safe && origin == CORS_STANDING_FOREIGN &&
                            !(trust && site == CORS_FETCH_SITE_SAME_SITE))
                            ck_assert(cors_cross_site_refused(v));
                        if (site == CORS_FETCH_SITE_ABSENT && origin == CORS_STANDING_ABSENT)
                            ck_assert(!cors_cross_site_refused(v));
                    }
}
END_TEST

START_TEST(test_bearer_subprotocol_is_redacted)
{
    size_t len;
    const char *plain = "v5.channel.k8s.io";
    const char *out;

    /* Nothing to hide: the same pointer, no allocation. */
    ck_assert_ptr_eq(cors_redact(pool, plain, strlen(plain), &len), plain);
    plain = "v5.channel.k8s.io, base64url.bearer.authorization.k8s.io.ZGVtbw==";
    out = cors_redact(pool, plain, strlen(plain), &len);
    ck_assert_str_eq(out, "v5.channel.k8s.io, base64url.bearer.authorization.k8s.io.[redacted]");
    ck_assert_uint_eq(len, strlen(out));
    /* Any case, several, with what follows kept. */
    out = cors_redact(pool,
                      "BASE64URL.BEARER.AUTHORIZATION.K8S.IO.abc_-x,base64url.bearer."
                      "authorization.k8s.io.def\"tail",
                      91, NULL);
    ck_assert_str_eq(out, "BASE64URL.BEARER.AUTHORIZATION.K8S.IO.[redacted],base64url.bearer."
                          "authorization.k8s.io.[redacted]\"tail");
    /* Only the first len bytes are read. */
    out = cors_redact(pool, "base64url.bearer.authorization.k8s.io.SECRET", 41, &len);
    ck_assert_str_eq(out, "base64url.bearer.authorization.k8s.io.[redacted]");
}
END_TEST

Suite *cross_site_suite(void)
{
    Suite *s = suite_create("cross_site");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, unit_setup, unit_teardown);
    tcase_add_test(tc, test_fetch_site_values);
    tcase_add_test(tc, test_safe_methods);
    tcase_add_test(tc, test_verdicts);
    tcase_add_test(tc, test_every_combination);
    tcase_add_test(tc, test_bearer_subprotocol_is_redacted);
    suite_add_tcase(s, tc);
    return s;
}
