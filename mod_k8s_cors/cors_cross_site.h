/*
 * Cross-site request protection from the browser's own signals (Fetch
 * Metadata's Sec-Fetch-Site, with Origin as the fallback), the algorithm of
 * Go's net/http.CrossOriginProtection and OWASP's CSRF cheat sheet, with the
 * gateway's own origins taken from the configuration instead of the Host
 * header. Pure: it reads what it is given and returns a verdict.
 */
#ifndef CORS_CROSS_SITE_H
#define CORS_CROSS_SITE_H

/* The Sec-Fetch-Site request header (Fetch Metadata). New values go last,
 * with their name in fetch_site_names in cors_cross_site.c. */
typedef enum {
    CORS_FETCH_SITE_ABSENT = 0, /* no header: an older browser, or not a browser */
    CORS_FETCH_SITE_SAME_ORIGIN,
    CORS_FETCH_SITE_SAME_SITE,
    CORS_FETCH_SITE_CROSS_SITE,
    CORS_FETCH_SITE_NONE,  /* user-initiated: the address bar, a bookmark */
    CORS_FETCH_SITE_OTHER, /* a value the standard does not define */
} cors_fetch_site;

/* What the CORS decision found out about the request's Origin. */
typedef enum {
    CORS_STANDING_ABSENT = 0, /* no Origin header (or an empty one) */
    CORS_STANDING_OWN,        /* the gateway's own origin, by configuration */
    CORS_STANDING_ALLOWED,    /* an origin the CORS policy allows (the trusted list) */
    CORS_STANDING_FOREIGN,    /* anything else: denied, malformed or "null" */
} cors_origin_standing;

/* The verdict, and why. The first ones pass, the REFUSED ones are 403. New
 * values go last, with their name in cross_site_names in cors_cross_site.c. */
typedef enum {
    CORS_CROSS_SITE_UNCHECKED = 0,  /* the location does not refuse cross-site requests */
    CORS_CROSS_SITE_SAFE_METHOD,    /* GET, HEAD or OPTIONS, not an upgrade */
    CORS_CROSS_SITE_OWN_ORIGIN,     /* Origin is the gateway's own */
    CORS_CROSS_SITE_ALLOWED_ORIGIN, /* Origin is allowed by the CORS policy */
    CORS_CROSS_SITE_FETCH_SITE,     /* Sec-Fetch-Site same-origin or none (no Origin to
                                       contradict it), or same-site when trusted */
    CORS_CROSS_SITE_NOT_BROWSER,    /* neither Sec-Fetch-Site nor Origin: kubectl, curl */
    CORS_CROSS_SITE_REFUSED_SITE,   /* Sec-Fetch-Site says another site sent it */
    CORS_CROSS_SITE_REFUSED_ORIGIN, /* Origin is neither the gateway's nor allowed */
} cors_cross_site;

cors_fetch_site cors_fetch_site_parse(const char *value);

/* 1 for the methods that never change state (GET, HEAD, OPTIONS), compared
 * byte for byte as Fetch sends them. */
int cors_method_is_safe(const char *method);

/* The verdict for one request. upgrade: the request opens another protocol
 * (WebSocket: exec, attach, port-forward), which counts as unsafe whatever
 * its method. trust_same_site: Sec-Fetch-Site same-site passes. */
cors_cross_site cors_cross_site_check(const char *method, int upgrade, cors_fetch_site site,
                                      cors_origin_standing origin, int trust_same_site);

/* 1 for the verdicts that refuse the request. */
int cors_cross_site_refused(cors_cross_site verdict);

/* Stable machine names: "safe-method", "refused-cross-site", ... */
const char *cors_cross_site_name(cors_cross_site verdict);
const char *cors_fetch_site_name(cors_fetch_site site);

#endif
