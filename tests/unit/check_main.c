/*
 * Runs every unit suite of the policy core in one SRunner.
 *
 * CK_FORK=yes (the default) isolates each test in a child process;
 * CK_FORK=no runs them in this process, which is what valgrind wants.
 * Tests that allocate create their own APR pool per test (checked fixtures)
 * and destroy it, so leak checkers stay quiet.
 */
#include <stdlib.h>

#include <apr_general.h>
#include <check.h>

#include "check_suites.h"

int main(void)
{
    int failures;
    SRunner *sr;

    if (apr_initialize() != APR_SUCCESS) {
        return EXIT_FAILURE;
    }

    sr = srunner_create(origin_suite());
    srunner_add_suite(sr, matcher_suite());
    srunner_add_suite(sr, regex_suite());
    srunner_add_suite(sr, tokens_suite());
    srunner_add_suite(sr, policy_suite());
    srunner_add_suite(sr, decision_suite());
    srunner_add_suite(sr, lint_suite());
    srunner_add_suite(sr, lint_controllers_suite());
    srunner_add_suite(sr, policy_text_suite());
    srunner_add_suite(sr, metrics_suite());
    srunner_add_suite(sr, directives_suite());
    srunner_add_suite(sr, json_suite());
    srunner_add_suite(sr, cross_site_suite());
    srunner_add_suite(sr, profile_suite());
    srunner_add_suite(sr, names_suite());

    srunner_run_all(sr, CK_NORMAL);
    failures = srunner_ntests_failed(sr);
    srunner_free(sr);

    apr_terminate();
    return failures ? EXIT_FAILURE : EXIT_SUCCESS;
}
