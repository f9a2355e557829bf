/*
 * The cross-site step. Go's CrossOriginProtection lets same-origin and
 * none through on Sec-Fetch-Site alone; here an Origin that the
 * configuration calls foreign wins over it, because a DNS-rebound page is
 * same-origin to the browser (it sends Sec-Fetch-Site: same-origin over a
 * secure context) and only the configuration knows the gateway's names.
 */
#include <string.h>

#include "cors_cross_site.h"
#include "cors_names.h"

cors_fetch_site cors_fetch_site_parse(const char *value)
{
    /* Structured Fields tokens, lower-case as browsers send them. */
    if (value == NULL)
        return CORS_FETCH_SITE_ABSENT;
    if (strcmp(value, "same-origin") == 0)
        return CORS_FETCH_SITE_SAME_ORIGIN;
    if (strcmp(value, "same-site") == 0)
        return CORS_FETCH_SITE_SAME_SITE;
    if (strcmp(value, "cross-site") == 0)
        return CORS_FETCH_SITE_CROSS_SITE;
    if (strcmp(value, "none") == 0)
        return CORS_FETCH_SITE_NONE;
    return CORS_FETCH_SITE_OTHER;
}

int cors_method_is_safe(const char *method)
{
    return strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0 ||
           strcmp(method, "OPTIONS") == 0;
}

cors_cross_site cors_cross_site_check(const char *method, int upgrade, cors_fetch_site site,
                                      cors_origin_standing origin, int trust_same_site)
{
    if (!upgrade && cors_method_is_safe(method))
        return CORS_CROSS_SITE_SAFE_METHOD;
    switch (origin) {
    case CORS_STANDING_OWN:
        return CORS_CROSS_SITE_OWN_ORIGIN;
    case CORS_STANDING_ALLOWED:
        return CORS_CROSS_SITE_ALLOWED_ORIGIN;
    case CORS_STANDING_FOREIGN:
        if (site == CORS_FETCH_SITE_SAME_SITE && trust_same_site)
            return CORS_CROSS_SITE_FETCH_SITE;
        /* same-origin or none beside a foreign Origin: the browser was
         * misled (rebinding) or the header is not a browser's. */
        return site == CORS_FETCH_SITE_CROSS_SITE || site == CORS_FETCH_SITE_SAME_SITE ||
                       site == CORS_FETCH_SITE_OTHER
                   ? CORS_CROSS_SITE_REFUSED_SITE
                   : CORS_CROSS_SITE_REFUSED_ORIGIN;
    case CORS_STANDING_ABSENT:
        break;
    }
    switch (site) {
    case CORS_FETCH_SITE_ABSENT:
        return CORS_CROSS_SITE_NOT_BROWSER;
    case CORS_FETCH_SITE_SAME_ORIGIN:
    case CORS_FETCH_SITE_NONE:
        return CORS_CROSS_SITE_FETCH_SITE;
    case CORS_FETCH_SITE_SAME_SITE:
        return trust_same_site ? CORS_CROSS_SITE_FETCH_SITE : CORS_CROSS_SITE_REFUSED_SITE;
    case CORS_FETCH_SITE_CROSS_SITE:
    case CORS_FETCH_SITE_OTHER:
        break;
    }
    return CORS_CROSS_SITE_REFUSED_SITE;
}

int cors_cross_site_refused(cors_cross_site verdict)
{
    return verdict == CORS_CROSS_SITE_REFUSED_SITE || verdict == CORS_CROSS_SITE_REFUSED_ORIGIN;
}

static const char *const cross_site_names[] = {
    "unchecked",  "safe-method",   "own-origin",         "allowed-origin",
    "fetch-site", "not-a-browser", "refused-cross-site", "refused-foreign-origin"};
_Static_assert(CORS_NAMES_COUNT(cross_site_names) == CORS_CROSS_SITE_REFUSED_ORIGIN + 1,
               "a name for every value");

const char *cors_cross_site_name(cors_cross_site verdict)
{
    return cors_name_of(cross_site_names, CORS_NAMES_COUNT(cross_site_names), (int)verdict);
}

static const char *const fetch_site_names[] = {"absent",     "same-origin", "same-site",
                                               "cross-site", "none",        "other"};
_Static_assert(CORS_NAMES_COUNT(fetch_site_names) == CORS_FETCH_SITE_OTHER + 1,
               "a name for every value");

const char *cors_fetch_site_name(cors_fetch_site site)
{
    return cors_name_of(fetch_site_names, CORS_NAMES_COUNT(fetch_site_names), (int)site);
}
