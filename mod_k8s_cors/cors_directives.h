/*
 * The configuration directives' meaning, in one place: what each K8sCors*
 * directive does to a policy. The httpd module's command table and
 * k8s-cors-lint's configuration reader both call cors_directive_apply, so
 * a configuration means the same to both.
 */
#ifndef CORS_DIRECTIVES_H
#define CORS_DIRECTIVES_H

#include <apr_pools.h>

#include "cors_policy.h"

typedef enum {
    CORS_ARGS_ONE,     /* exactly one argument */
    CORS_ARGS_LIST,    /* one or more arguments */
    CORS_ARGS_FLAG,    /* On or Off */
    CORS_ARGS_SECTION, /* <Name args...> ... </Name> */
} cors_args_kind;

typedef struct {
    const char *name;
    cors_args_kind args;
    int in_origin_section; /* may appear inside <K8sCorsOrigin> */
    const char *help;
} cors_directive_info;

/* Every directive, NULL-terminated; sections are named with their '<'. */
extern const cors_directive_info cors_directive_table[];

/* The directive named name (case-insensitive, with '<' for sections), or
 * NULL. */
const cors_directive_info *cors_directive_find(const char *name);

/* The state of a section being read: the rule's own settings and name. */
typedef struct {
    cors_settings *settings;
    const char *name;
} cors_origin_section;

/* Applies one directive with its arguments to policy. Inside an origin
 * section, section is its state and settings directives apply to it.
 * Returns NULL or an error message (without the directive's name). */
const char *cors_directive_apply(apr_pool_t *pool, cors_policy *policy,
                                 cors_origin_section *section, const char *name, int argc,
                                 const char *const *argv, const char *source);

/* Begins an origin section: checks its arguments. */
const char *cors_origin_section_open(apr_pool_t *pool, const char *name, int argc,
                                     cors_origin_section *section);

/* Ends it: adds its origins (or pattern) to policy with its settings. */
const char *cors_origin_section_close(apr_pool_t *pool, cors_policy *policy, const char *name,
                                      int argc, const char *const *argv,
                                      const cors_origin_section *section, const char *source);

/* One word of a configuration line, as httpd's ap_getword_conf reads it:
 * quoted with " or ' (a backslash escapes the quote), or up to white space.
 * Advances *line; NULL at the end of the line. */
const char *cors_config_word(apr_pool_t *pool, const char **line);

/* The policy written as K8sCors directives, one per line, each rule preceded
 * by a "#@ file:line" comment naming where it was configured. Applying the
 * text with cors_policy_apply_text gives back a policy that decides every
 * request the same way: this is how the console CGI learns the policy from
 * the module (K8sCorsExportPolicy), from the one httpd configuration. */
const char *cors_policy_to_directives(apr_pool_t *pool, const cors_policy *policy);

/* Applies directives text (K8sCors directives and origin sections, blank
 * lines, comments) to policy. Returns NULL or "LINE: message". */
const char *cors_policy_apply_text(apr_pool_t *pool, cors_policy *policy, const char *text);

#endif
