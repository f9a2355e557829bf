/*
 * mod_bench_floor: answers every request with a bare 204 from the first
 * handler, before mod_proxy. bench/run builds it with apxs and uses it as
 * httpd's floor: the cheapest answer this httpd, with this configuration,
 * can give, against which the module's preflight answer is measured.
 */
#include <httpd.h>
#include <http_config.h>
#include <http_protocol.h>

static int floor_handler(request_rec *r)
{
    ap_discard_request_body(r);
    r->status = HTTP_NO_CONTENT;
    return OK;
}

static void register_hooks(apr_pool_t *pool)
{
    static const char *const before_proxy[] = {"mod_proxy.c", NULL};
    (void)pool;
    ap_hook_handler(floor_handler, NULL, before_proxy, APR_HOOK_FIRST);
}

module AP_MODULE_DECLARE_DATA bench_floor_module = {
    STANDARD20_MODULE_STUFF, NULL, NULL, NULL, NULL, NULL, register_hooks,
};
