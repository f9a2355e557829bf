/*
 * Unit test suites for the mod_k8s_cors policy core (libcheck).
 * One suite per core module; check_main.c runs them all in one SRunner.
 */
#ifndef CHECK_SUITES_H
#define CHECK_SUITES_H

#include <check.h>

Suite *origin_suite(void);
Suite *matcher_suite(void);
Suite *regex_suite(void);
Suite *tokens_suite(void);
Suite *policy_suite(void);
Suite *decision_suite(void);
Suite *lint_suite(void);
Suite *lint_controllers_suite(void);
Suite *policy_text_suite(void);
Suite *metrics_suite(void);
Suite *directives_suite(void);
Suite *json_suite(void);
Suite *cross_site_suite(void);
Suite *profile_suite(void);
Suite *names_suite(void);

#endif
