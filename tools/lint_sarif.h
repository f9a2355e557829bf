/*
 * k8s-cors-lint's findings as SARIF 2.1.0 (OASIS Static Analysis Results
 * Interchange Format), the log CI systems read to annotate files: one
 * result per finding, with its file and line when it has one.
 */
#ifndef LINT_SARIF_H
#define LINT_SARIF_H

#include <apr_pools.h>
#include <apr_tables.h>

/* findings: cors_finding, severities already effective; notices: const
 * char * messages ("file:line: reason") for inputs that could not be
 * used. */
const char *lint_sarif(apr_pool_t *pool, const apr_array_header_t *findings,
                       const apr_array_header_t *notices);

#endif
