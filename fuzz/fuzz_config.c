/*
 * libFuzzer target: configuration parsing, as httpd's directive handlers
 * drive it: cors_policy_add_origin, cors_policy_add_pattern,
 * cors_token_list_parse, cors_settings_set_max_age, then cors_policy_check and
 * a few decisions under the resulting policy. One APR pool per input,
 * destroyed at the end (so LeakSanitizer sees PCRE2 objects whose cleanup is
 * missing).
 *
 * Input: lines; the first byte of each line picks the operation and the rest
 * is its argument: 'o' origin, 'r' pattern, 'm' methods, 'h' headers,
 * 'e' exposed headers, 'a' max-age, 'c' credentials ('0' off), 'q' an
 * Origin to decide on; other lines are ignored.
 */
#include <stdint.h>

#include "fuzz_common.h"

#define MAX_ORIGINS 16

static int all_digits(const char *s)
{
    if (*s == '\0')
        return 0;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return 0;
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *pool;
    cors_policy *policy;
    char *text, *line, *next;
    const char *added[MAX_ORIGINS];
    const char *queries[MAX_ORIGINS];
    int added_count = 0, query_count = 0, custom_methods = 0;

    fuzz_init_apr();
    if (apr_pool_create(&pool, fuzz_root_pool) != APR_SUCCESS)
        abort();
    policy = cors_policy_make(pool);
    policy->mode = CORS_MODE_ENFORCE;
    text = fuzz_strndup(data, size);

    for (line = text; line != NULL; line = next) {
        const char *error = NULL, *arg;
        cors_token_list *list = NULL;
        char op;
        next = strchr(line, '\n');
        if (next != NULL)
            *next++ = '\0';
        if (line[0] == '\0')
            continue;
        op = line[0];
        arg = line + 1;
        switch (op) {
        case 'o':
            error = cors_policy_add_origin(pool, policy, arg, "fuzz:o");
            if (error == NULL && added_count < MAX_ORIGINS)
                added[added_count++] = arg;
            break;
        case 'r':
            error = cors_policy_add_pattern(pool, policy, arg, "fuzz:r");
            break;
        case 'm':
        case 'h':
        case 'e':
            error = cors_token_list_parse(pool, arg, op != 'm', &list);
            if (error == NULL) {
                FUZZ_CHECK(list != NULL && list->count > 0 && list->joined != NULL,
                           "an accepted list is empty");
                for (int i = 0; i < list->count; i++)
                    FUZZ_CHECK(cors_token_list_has(list, list->names[i], strlen(list->names[i])),
                               "list lacks its own name \"%s\"", list->names[i]);
                if (op == 'm') {
                    policy->settings.methods = list;
                    custom_methods = 1;
                } else if (op == 'h') {
                    policy->settings.headers = list;
                } else {
                    policy->settings.expose = list;
                }
            }
            break;
        case 'a':
            error = cors_settings_set_max_age(pool, &policy->settings, arg, NULL);
            if (error == NULL) {
                const char *max_age = cors_effective_max_age_text(policy, NULL);
                FUZZ_CHECK(max_age != NULL && all_digits(max_age), "max-age \"%s\" from \"%s\"",
                           max_age ? max_age : "(null)", arg);
            }
            break;
        case 'c':
            policy->settings.credentials = arg[0] != '0';
            break;
        case 'q':
            if (query_count < MAX_ORIGINS)
                queries[query_count++] = arg;
            break;
        default:
            break;
        }
        if (error != NULL)
            FUZZ_CHECK(error[0] != '\0', "empty error message");
    }

    if (cors_policy_check(pool, policy) == NULL) {
        for (int i = 0; i < added_count; i++) {
            cors_request request = {.method = "GET", .origin = added[i]};
            cors_origin parsed;
            cors_decision d;
            cors_decide(policy, &request, &d);
            if (!custom_methods &&
                cors_origin_parse(added[i], strlen(added[i]), &parsed) == CORS_ORIGIN_OK)
                FUZZ_CHECK(d.allowed, "configured origin \"%s\" denied (reason %s)", added[i],
                           cors_reason_name(d.reason));
        }
        for (int i = 0; i < query_count; i++) {
            cors_request actual = {.method = "GET", .origin = queries[i]};
            cors_request preflight = {.method = "OPTIONS",
                                      .origin = queries[i],
                                      .preflight_method = "GET",
                                      .request_headers = "authorization, content-type"};
            cors_decision d;
            cors_decide(policy, &actual, &d);
            if (d.allowed)
                FUZZ_CHECK(d.allow_origin == queries[i] ||
                               (d.allow_origin != NULL && strcmp(d.allow_origin, "*") == 0),
                           "ACAO neither the Origin nor *");
            cors_decide(policy, &preflight, &d);
            if (!d.allowed)
                FUZZ_CHECK(d.allow_origin == NULL, "denied preflight with ACAO");
        }
    }
    free(text);
    apr_pool_destroy(pool);
    return 0;
}
