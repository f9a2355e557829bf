/*
 * The cross-site step. Go's CrossOriginProtection lets same-origin and
 * none through on Sec-Fetch-Site alone; here an Origin that the
 * configuration calls foreign wins over it, because a DNS-rebound page is
 * same-origin to the browser (it sends Sec-Fetch-Site: same-origin over a
 * secure context) and only the configuration knows the gateway's names.
 */
#include <string.h>

#include "cors_cross_site.h"

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

const char *cors_cross_site_name(cors_cross_site verdict)
{
    switch (verdict) {
    case CORS_CROSS_SITE_UNCHECKED:
        return "unchecked";
    case CORS_CROSS_SITE_SAFE_METHOD:
        return "safe-method";
    case CORS_CROSS_SITE_OWN_ORIGIN:
        return "own-origin";
    case CORS_CROSS_SITE_ALLOWED_ORIGIN:
        return "allowed-origin";
    case CORS_CROSS_SITE_FETCH_SITE:
        return "fetch-site";
    case CORS_CROSS_SITE_NOT_BROWSER:
        return "not-a-browser";
    case CORS_CROSS_SITE_REFUSED_SITE:
        return "refused-cross-site";
    case CORS_CROSS_SITE_REFUSED_ORIGIN:
        return "refused-foreign-origin";
    }
    return "unknown";
}

const char *cors_fetch_site_name(cors_fetch_site site)
{
    switch (site) {
    case CORS_FETCH_SITE_ABSENT:
        return "absent";
    case CORS_FETCH_SITE_SAME_ORIGIN:
        return "same-origin";
    case CORS_FETCH_SITE_SAME_SITE:
        return "same-site";
    case CORS_FETCH_SITE_CROSS_SITE:
        return "cross-site";
    case CORS_FETCH_SITE_NONE:
        return "none";
    case CORS_FETCH_SITE_OTHER:
        return "other";
    }
    return "unknown";
}
