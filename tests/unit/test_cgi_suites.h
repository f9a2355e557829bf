/*
 * Unit test suites of the console CGI (cgi/): parsing, JSON escaping,
 * the probe's target checks and the browser expectations. test_cgi_main.c
 * runs them all (binary check_cgi_console).
 */
#ifndef TEST_CGI_SUITES_H
#define TEST_CGI_SUITES_H

#include <check.h>

Suite *cgi_request_suite(void);
Suite *cgi_json_suite(void);
Suite *cgi_target_suite(void);
Suite *cgi_expect_suite(void);

#endif
