/*
 * The directives' table and handlers (cors_directives.c): what each
 * directive does to a policy, the argument counts, and the origin sections
 * read through the one core reader the module, k8s-cors-lint and the
 * console share.
 */
#include <string.h>

#include "check_suites.h"
#include "cors_directives.h"
#include "unit_fixture.h"

static const char *apply(cors_policy *p, cors_origin_section *section, const char *name, int argc,
                         const char *const *argv)
{
    return cors_directive_apply(pool, p, section, name, argc, argv, "t.conf:1");
}

#define ARGS(...)                                                                                  \
    (const char *const[])                                                                          \
    {                                                                                              \
        __VA_ARGS__                                                                                \
    }

START_TEST(test_table)
{
    int sections = 0, settings = 0;
    for (const cors_directive_info *d = cors_directive_table; d->name; d++) {
        ck_assert_ptr_eq(cors_directive_find(d->name), d);
        ck_assert_msg((d->apply == NULL) == (d->args == CORS_ARGS_SECTION), "%s", d->name);
        ck_assert_ptr_nonnull(d->help);
        sections += d->args == CORS_ARGS_SECTION;
        settings += d->in_origin_section;
    }
    ck_assert_int_eq(sections, 2);
    ck_assert_int_eq(settings, 8);
    ck_assert_ptr_eq(cors_directive_find("k8scorsallowmethods"),
                     cors_directive_find("K8sCorsAllowMethods"));
    ck_assert_ptr_null(cors_directive_find("ProxyPass"));
    ck_assert_int_eq(cors_origin_section_is("<k8scorsoriginregex"), 1);
    ck_assert_int_eq(cors_origin_section_is("K8sCorsOrigin"), 0);
}
END_TEST

/* Each handler sets what its directive names, and only that. */
START_TEST(test_policy_directives)
{
    cors_policy *p = cors_policy_make(pool);
    ck_assert_ptr_null(apply(p, NULL, "K8sCors", 1, ARGS("report-only")));
    ck_assert_int_eq(cors_policy_mode(p), CORS_MODE_REPORT_ONLY);
    ck_assert_str_eq(p->mode_source, "t.conf:1");
    ck_assert_ptr_null(apply(p, NULL, "k8scors", 1, ARGS("Enforce")));
    ck_assert_int_eq(cors_policy_mode(p), CORS_MODE_ENFORCE);
    ck_assert_ptr_null(apply(p, NULL, "K8sCorsDeniedOrigin", 1, ARGS("reject")));
    ck_assert_int_eq(cors_policy_denied_origin(p), CORS_DENIED_REJECT);
    ck_assert_ptr_null(apply(p, NULL, "K8sCorsDeniedMethodStatus", 1, ARGS("403")));
    ck_assert_int_eq(cors_policy_method_status(p), 403);
    ck_assert_ptr_null(apply(p, NULL, "K8sCorsStrict", 1, ARGS("On")));
    ck_assert_int_eq(cors_policy_strict(p), 1);
    ck_assert_ptr_null(apply(p, NULL, "K8sCorsAllowOrigin", 2,
                             ARGS("https://a.example.com", "https://b.example.com")));
    ck_assert_ptr_null(
        apply(p, NULL, "K8sCorsAllowOriginRegex", 1, ARGS("https://[a-z]+\\.example\\.org")));
    ck_assert_ptr_null(apply(p, NULL, "K8sCorsKubeAllowedOrigins", 0, ARGS(NULL)));
    ck_assert_int_eq(p->rules->nelts, 3);
    ck_assert_ptr_null(apply(p, NULL, "K8sCorsSelfOrigin", 1, ARGS("https://api.example.com")));
    ck_assert_int_eq(p->self_texts->nelts, 1);

    ck_assert_ptr_null(apply(p, NULL, "K8sCorsAllowMethods", 2, ARGS("GET", "PUT")));
    ck_assert_str_eq(cors_effective_methods(p, NULL)->joined, "GET, PUT");
    ck_assert_ptr_null(apply(p, NULL, "K8sCorsAllowHeaders", 1, ARGS("X-A")));
    ck_assert_str_eq(cors_effective_headers(p, NULL)->joined, "X-A");
    ck_assert_ptr_null(apply(p, NULL, "K8sCorsExposeHeaders", 1, ARGS("X-E")));
    ck_assert_str_eq(cors_effective_expose(p, NULL)->joined, "X-E");
    ck_assert_ptr_null(apply(p, NULL, "K8sCorsAllowCredentials", 1, ARGS("off")));
    ck_assert_int_eq(cors_effective_credentials(p, NULL), 0);
    ck_assert_str_eq(p->settings.credentials_source, "t.conf:1");
    ck_assert_ptr_null(apply(p, NULL, "K8sCorsMaxAge", 1, ARGS("60")));
    ck_assert_str_eq(cors_effective_max_age_text(p, NULL), "60");
    ck_assert_ptr_null(apply(p, NULL, "K8sCorsAllowPrivateNetwork", 1, ARGS("on")));
    ck_assert_int_eq(cors_effective_private_network(p, NULL), 1);
}
END_TEST

/* Bad values and counts: the error names the directive and the reason. */
START_TEST(test_errors)
{
    const struct {
        const char *name;
        int argc;
        const char *const *argv;
        const char *error;
    } cases[] = {
        {"K8sCors", 1, ARGS("monitor"),
         "K8sCors: \"monitor\": use On (or enforce), report-only, or Off"},
        {"K8sCors", 2, ARGS("On", "Off"), "K8sCors: takes one value"},
        {"K8sCorsAllowMethods", 0, ARGS(NULL), "K8sCorsAllowMethods: needs at least one value"},
        {"K8sCorsKubeAllowedOrigins", 2, ARGS("a", "b"),
         "K8sCorsKubeAllowedOrigins: takes one value"},
        {"K8sCorsDeniedOrigin", 1, ARGS("drop"),
         "K8sCorsDeniedOrigin: \"drop\": use pass, reject-unsafe or reject"},
        {"K8sCorsDeniedMethodStatus", 1, ARGS("404"),
         "K8sCorsDeniedMethodStatus: \"404\": use 405 or 403"},
        {"K8sCorsStrict", 1, ARGS("yes"), "K8sCorsStrict: use On or Off"},
        {"K8sCorsAllowCredentials", 1, ARGS("true"), "K8sCorsAllowCredentials: use On or Off"},
        {"K8sCorsRuleName", 1, ARGS("ro"),
         "K8sCorsRuleName: only valid inside <K8sCorsOrigin> or <K8sCorsOriginRegex>"},
        {"<K8sCorsOrigin", 1, ARGS("https://a.example.com"),
         "<K8sCorsOrigin: not a K8sCors directive"},
        {"ProxyPass", 1, ARGS("/"), "ProxyPass: not a K8sCors directive"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *error =
            apply(cors_policy_make(pool), NULL, cases[i].name, cases[i].argc, cases[i].argv);
        ck_assert_msg(error != NULL && strcmp(error, cases[i].error) == 0, "%s: \"%s\"",
                      cases[i].name, error ? error : "(none)");
    }
}
END_TEST

/* An origin section: its settings and name go to its rule, not to the
 * policy; only the settings may stand inside it. */
START_TEST(test_origin_section)
{
    cors_policy *p = cors_policy_make(pool);
    cors_origin_section section = {0};
    const cors_rule *rule;

    ck_assert_ptr_null(cors_origin_section_open(pool, &section, "<K8sCorsOrigin",
                                                " https://a.example.com \"https://b.example.com\"",
                                                "t.conf:3"));
    ck_assert_ptr_null(apply(p, &section, "K8sCorsAllowMethods", 1, ARGS("GET")));
    ck_assert_ptr_null(apply(p, &section, "K8sCorsRuleName", 1, ARGS("read-only")));
    ck_assert_str_eq(apply(p, &section, "K8sCorsAllowOrigin", 1, ARGS("https://c.example.com")),
                     "K8sCorsAllowOrigin is not allowed inside <K8sCorsOrigin>: only "
                     "K8sCorsAllowMethods, K8sCorsAllowHeaders, K8sCorsExposeHeaders, "
                     "K8sCorsAllowCredentials, K8sCorsMaxAge, K8sCorsAllowPrivateNetwork, "
                     "K8sCorsClientProfile and K8sCorsRuleName");
    ck_assert_ptr_nonnull(cors_origin_section_refuse(pool, &section, "Require"));
    ck_assert_ptr_null(cors_origin_section_refuse(pool, &section, "k8scorsmaxage"));
    ck_assert_ptr_nonnull(
        cors_origin_section_open(pool, &section, "<K8sCorsOrigin", "https://d.example.com", "x"));
    ck_assert_str_eq(cors_origin_section_unclosed(pool, &section),
                     "<K8sCorsOrigin> was not closed");
    ck_assert_str_eq(cors_origin_section_close(pool, p, &section, "</K8sCorsOriginRegex"),
                     "<K8sCorsOrigin> closed by </K8sCorsOriginRegex>");
    ck_assert_ptr_null(cors_origin_section_close(pool, p, &section, "</k8scorsorigin"));
    ck_assert_ptr_null(cors_origin_section_unclosed(pool, &section));

    ck_assert_int_eq(p->rules->nelts, 2);
    rule = APR_ARRAY_IDX(p->rules, 1, const cors_rule *);
    ck_assert_str_eq(rule->text, "https://b.example.com");
    ck_assert_str_eq(rule->name, "read-only");
    ck_assert_str_eq(rule->source, "t.conf:3");
    ck_assert_str_eq(cors_effective_methods(p, rule)->joined, "GET");
    ck_assert_ptr_null(p->settings.methods); /* the policy's own stay unset */

    ck_assert_str_eq(cors_origin_section_close(pool, p, &section, "</K8sCorsOrigin"),
                     "closing a section that was not opened");
    ck_assert_str_eq(cors_origin_section_open(pool, &section, "<K8sCorsOriginRegex", "a b", "x"),
                     "<K8sCorsOriginRegex>: takes exactly one pattern");
    ck_assert_ptr_null(cors_origin_section_close(pool, p, &section, NULL));
    ck_assert_int_eq(p->rules->nelts, 2); /* a refused opening adds nothing */
    ck_assert_str_eq(cors_origin_section_open(pool, &section, "<K8sCorsOrigin", "", "x"),
                     "<K8sCorsOrigin>: needs at least one origin");
    ck_assert_ptr_null(cors_origin_section_close(pool, p, &section, NULL));
    ck_assert_str_eq(cors_origin_section_open(pool, &section, "<Location", "/", "x"),
                     "<Location> is not a K8sCors section");
}
END_TEST

Suite *directives_suite(void)
{
    Suite *s = suite_create("directives");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, unit_setup, unit_teardown);
    tcase_add_test(tc, test_table);
    tcase_add_test(tc, test_policy_directives);
    tcase_add_test(tc, test_errors);
    tcase_add_test(tc, test_origin_section);
    suite_add_tcase(s, tc);
    return s;
}
