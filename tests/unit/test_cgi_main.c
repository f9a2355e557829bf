/*
 * Runs the console CGI's unit suites in one SRunner (CK_FORK as for
 * check_cors_core: each test in a child by default, CK_FORK=no for valgrind).
 */
#include <stdlib.h>

#include <apr_general.h>
#include <check.h>

#include "test_cgi_suites.h"

int main(void)
{
    int failures;
    SRunner *sr;

    if (apr_initialize() != APR_SUCCESS)
        return EXIT_FAILURE;
    sr = srunner_create(cgi_request_suite());
    srunner_add_suite(sr, cgi_json_suite());
    srunner_add_suite(sr, cgi_target_suite());
    srunner_add_suite(sr, cgi_expect_suite());
    srunner_run_all(sr, CK_NORMAL);
    failures = srunner_ntests_failed(sr);
    srunner_free(sr);
    apr_terminate();
    return failures ? EXIT_FAILURE : EXIT_SUCCESS;
}
