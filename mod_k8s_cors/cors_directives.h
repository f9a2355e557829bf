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
    CORS_ARGS_ONE,      /* exactly one argument */
    CORS_ARGS_OPTIONAL, /* none or one */
    CORS_ARGS_LIST,     /* one or more arguments */
    CORS_ARGS_FLAG,     /* On or Off */
    CORS_ARGS_SECTION,  /* <Name args...> ... </Name> */
} cors_args_kind;

/* The <K8sCorsOrigin> or <K8sCorsOriginRegex> section being read, if any. */
typedef struct {
    const char *opener;         /* "<K8sCorsOrigin" as written; NULL: none is open */
    apr_array_header_t *values; /* its origins, or its pattern */
    const char *source;         /* where it opened */
    cors_settings *settings;    /* the rule's own settings */
    const char *name;           /* K8sCorsRuleName, or NULL */
} cors_origin_section;

/* Where a directive applies: the policy of its scope and, inside an origin
 * section, that section's rule. */
typedef struct {
    apr_pool_t *pool;
    cors_policy *policy;
    cors_origin_section *section; /* NULL outside a section */
    cors_settings *settings;      /* the section's settings, else the policy's */
    const char *source;           /* "file:line" */
} cors_directive_scope;

/* Applies a directive whose argument count its cors_args_kind allows.
 * Returns NULL or an error message (without the directive's name). */
typedef const char *(*cors_directive_fn)(const cors_directive_scope *scope, int argc,
                                         const char *const *argv);

typedef struct {
    const char *name;
    cors_args_kind args;
    int in_origin_section;   /* may appear inside <K8sCorsOrigin> */
    cors_directive_fn apply; /* NULL for the sections */
    const char *help;
} cors_directive_info;

/* Every directive, NULL-terminated; sections are named with their '<'. */
extern const cors_directive_info cors_directive_table[];

/* The directive named name (case-insensitive, with '<' for sections), or
 * NULL. */
const cors_directive_info *cors_directive_find(const char *name);

/* Reading K8sCors configuration, one directive or section line at a time:
 * the module's glue (with what httpd has read), k8s-cors-lint's httpd
 * reader and cors_policy_apply_text all read with these, so a configuration
 * means the same and fails with the same message in each. section starts
 * zeroed (no section open). Each returns NULL or an error message. */

/* Whether name ("<K8sCorsOrigin", any case) opens an origin section. */
int cors_origin_section_is(const char *name);

/* Opens one: opener is its name with '<', args the rest of its line up to,
 * without, the closing '>'. On error the section is open all the same, with
 * no values, so that its closer is still recognised. */
const char *cors_origin_section_open(apr_pool_t *pool, cors_origin_section *section,
                                     const char *opener, const char *args, const char *source);

/* Closes it with closer ("</K8sCorsOrigin", any case; NULL when httpd has
 * matched it already) and adds its origins (or pattern) to policy with its
 * settings. */
const char *cors_origin_section_close(apr_pool_t *pool, cors_policy *policy,
                                      cors_origin_section *section, const char *closer);

/* NULL when directive may stand where section is (any directive outside a
 * section; only the rule settings inside one), else why not. */
const char *cors_origin_section_refuse(apr_pool_t *pool, const cors_origin_section *section,
                                       const char *directive);

/* At the end of the text: NULL, or the section left open. */
const char *cors_origin_section_unclosed(apr_pool_t *pool, const cors_origin_section *section);

/* Applies one directive with its arguments to policy, or inside an open
 * section to its rule. The error names the directive. */
const char *cors_directive_apply(apr_pool_t *pool, cors_policy *policy,
                                 cors_origin_section *section, const char *name, int argc,
                                 const char *const *argv, const char *source);

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
