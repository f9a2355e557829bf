/*
 * Enum names: the lookup both ways, and every value of every named enum
 * has its own name (a value appended without a name reads "unknown").
 */
#include <string.h>

#include <check.h>

#include "check_suites.h"
#include "cors_core.h"
#include "cors_names.h"

static const char *const colours[] = {"red", "green", "blue"};

START_TEST(test_name_of_bounds)
{
    ck_assert_str_eq(cors_name_of(colours, CORS_NAMES_COUNT(colours), 0), "red");
    ck_assert_str_eq(cors_name_of(colours, CORS_NAMES_COUNT(colours), 2), "blue");
    ck_assert_str_eq(cors_name_of(colours, CORS_NAMES_COUNT(colours), 3), "unknown");
    ck_assert_str_eq(cors_name_of(colours, CORS_NAMES_COUNT(colours), -1), "unknown");
}
END_TEST

START_TEST(test_name_find)
{
    ck_assert_int_eq(cors_name_find(colours, CORS_NAMES_COUNT(colours), "green"), 1);
    ck_assert_int_eq(cors_name_find(colours, CORS_NAMES_COUNT(colours), "BLUE"), 2);
    ck_assert_int_eq(cors_name_find(colours, CORS_NAMES_COUNT(colours), "gree"), -1);
    ck_assert_int_eq(cors_name_find(colours, CORS_NAMES_COUNT(colours), ""), -1);
}
END_TEST

/* names[0..last] known and no two alike; names[last + 1] unknown. */
static void check_all_named(const char *what, const char *const *names, int last)
{
    for (int i = 0; i <= last; i++) {
        ck_assert_msg(strcmp(names[i], "unknown") != 0, "%s: value %d has no name", what, i);
        for (int j = 0; j < i; j++)
            ck_assert_msg(strcmp(names[i], names[j]) != 0, "%s: values %d and %d are both %s", what,
                          j, i, names[i]);
    }
    ck_assert_str_eq(names[last + 1], "unknown");
}

/* Every value of an enum, and the one after the last, through its name
 * function. */
#define CHECK_ALL_NAMED(name_of, type, last)                                                       \
    do {                                                                                           \
        const char *names[(last) + 2];                                                             \
        for (int v = 0; v <= (last) + 1; v++)                                                      \
            names[v] = name_of((type)v);                                                           \
        check_all_named(#name_of, names, (last));                                                  \
    } while (0)

START_TEST(test_every_value_named)
{
    CHECK_ALL_NAMED(cors_reason_name, cors_reason, CORS_REASON_CROSS_SITE_UNTRUSTED);
    CHECK_ALL_NAMED(cors_kind_name, cors_kind, CORS_KIND_PREFLIGHT);
    CHECK_ALL_NAMED(cors_cross_site_name, cors_cross_site, CORS_CROSS_SITE_REFUSED_ORIGIN);
    CHECK_ALL_NAMED(cors_fetch_site_name, cors_fetch_site, CORS_FETCH_SITE_OTHER);
    CHECK_ALL_NAMED(cors_severity_name, cors_severity, CORS_SEVERITY_ERROR);
    CHECK_ALL_NAMED(cors_origin_status_text, cors_origin_status, CORS_ORIGIN_PATH);
    CHECK_ALL_NAMED(cors_mode_name, cors_mode, CORS_MODE_REPORT_ONLY);
    CHECK_ALL_NAMED(cors_denied_action_name, cors_denied_action, CORS_DENIED_REJECT_UNSAFE);
}
END_TEST

/* The names logs, metrics and the JSON print, where a dashboard or an
 * alert rule depends on the spelling. */
START_TEST(test_names_as_published)
{
    ck_assert_str_eq(cors_reason_name(CORS_REASON_ORIGIN_NOT_ALLOWED), "origin-not-allowed");
    ck_assert_str_eq(cors_reason_name(CORS_REASON_WILDCARD_CREDENTIALS),
                     "wildcard-with-credentials");
    ck_assert_str_eq(cors_kind_name(CORS_KIND_PREFLIGHT), "preflight");
    ck_assert_str_eq(cors_cross_site_name(CORS_CROSS_SITE_REFUSED_ORIGIN),
                     "refused-foreign-origin");
    ck_assert_str_eq(cors_fetch_site_name(CORS_FETCH_SITE_SAME_SITE), "same-site");
    ck_assert_str_eq(cors_severity_name(CORS_SEVERITY_WARNING), "warning");
    ck_assert_str_eq(cors_mode_name(CORS_MODE_REPORT_ONLY), "report-only");
    ck_assert_str_eq(cors_denied_action_name(CORS_DENIED_REJECT_UNSAFE), "reject-unsafe");
    ck_assert_str_eq(cors_origin_status_text(CORS_ORIGIN_USERINFO), "contains userinfo (@)");
}
END_TEST

Suite *names_suite(void)
{
    Suite *s = suite_create("names");
    TCase *tc = tcase_create("names");
    tcase_add_test(tc, test_name_of_bounds);
    tcase_add_test(tc, test_name_find);
    tcase_add_test(tc, test_every_value_named);
    tcase_add_test(tc, test_names_as_published);
    suite_add_tcase(s, tc);
    return s;
}
