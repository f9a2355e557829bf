/*
 * The probe's target validation: the configured URL (https, host, port,
 * nothing else, no metadata or link-local address), API paths only, and
 * OPTIONS/GET/HEAD only. All of it runs before any connection.
 */
#include <arpa/inet.h>
#include <check.h>
#include <string.h>

#include <apr_strings.h>

#include "console.h"
#include "test_cgi_suites.h"
#include "unit_fixture.h"

START_TEST(target_accepts_api_servers)
{
    static const struct {
        const char *url, *normalized, *host, *authority;
        unsigned port;
        int ip;
    } good[] = {
        {"https://127.0.0.1:6443", "https://127.0.0.1:6443", "127.0.0.1", "127.0.0.1:6443", 6443,
         4},
        {"https://10.0.0.1:6443/", "https://10.0.0.1:6443", "10.0.0.1", "10.0.0.1:6443", 6443, 4},
        {"https://Control-Plane.Example.internal:6443",
         "https://control-plane.example.internal:6443", "control-plane.example.internal",
         "control-plane.example.internal:6443", 6443, 0},
        {"HTTPS://kube.example.com", "https://kube.example.com", "kube.example.com",
         "kube.example.com", 443, 0},
        {"https://[::1]:6443", "https://[::1]:6443", "::1", "[::1]:6443", 6443, 6},
        {"https://localhost:443", "https://localhost", "localhost", "localhost", 443, 0},
    };
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        console_target t;
        const char *error = console_target_parse(pool, good[i].url, &t);
        ck_assert_msg(error == NULL, "%s: %s", good[i].url, error);
        ck_assert_str_eq(t.url, good[i].normalized);
        ck_assert_str_eq(t.host, good[i].host);
        ck_assert_str_eq(t.authority, good[i].authority);
        ck_assert_uint_eq(t.port, good[i].port);
        ck_assert_int_eq(t.host_is_ip, good[i].ip);
    }
}
END_TEST

START_TEST(target_refuses_everything_else)
{
    static const char *const bad[] = {
        NULL,
        "",
        "http://127.0.0.1:6443", /* not TLS */
        "ftp://127.0.0.1",
        "127.0.0.1:6443", /* no scheme */
        "https://",       /* no host */
        "https://:6443",
        "https://user:pw@127.0.0.1:6443", /* userinfo */
        "https://127.0.0.1@evil.example",
        "https://127.0.0.1:6443/api", /* a path */
        "https://127.0.0.1:6443/?a=1",
        "https://127.0.0.1:6443#x",
        "https://127.0.0.1:0", /* bad ports */
        "https://127.0.0.1:65536",
        "https://127.0.0.1:06443",
        "https://127.0.0.1:",
        "https://127.0.0.1:64x",
        "https://169.254.169.254", /* cloud metadata, link-local */
        "https://169.254.0.1:6443",
        "https://0.0.0.0:6443", /* unspecified */
        "https://224.0.0.1",    /* multicast */
        "https://255.255.255.255",
        "https://100.100.100.200",
        "https://[fe80::1]:6443", /* IPv6 link-local */
        "https://[::]:6443",
        "https://[ff02::1]",
        "https://[::ffff:169.254.169.254]",
        "https://[fd00:ec2::254]",
        "https://[::1",
        "https://[zz::1]",
        "https://exa mple.com",
        "https://-bad.example.com",
        "https://bad-.example.com",
        "https://a..example.com",
        "https://a.example.com\\@evil",
        "https://a_b.example.com",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        console_target t;
        ck_assert_msg(console_target_parse(pool, bad[i], &t) != NULL, "%s was accepted",
                      bad[i] ? bad[i] : "NULL");
    }
}
END_TEST

START_TEST(address_ranges)
{
    unsigned char a[16];
    ck_assert_int_eq(inet_pton(AF_INET, "127.0.0.1", a), 1);
    ck_assert_int_eq(console_address_allowed(a, 4), 1);
    ck_assert_int_eq(inet_pton(AF_INET, "10.1.2.3", a), 1);
    ck_assert_int_eq(console_address_allowed(a, 4), 1);
    ck_assert_int_eq(inet_pton(AF_INET, "169.254.169.254", a), 1);
    ck_assert_int_eq(console_address_allowed(a, 4), 0);
    ck_assert_int_eq(inet_pton(AF_INET6, "::ffff:169.254.1.1", a), 1);
    ck_assert_int_eq(console_address_allowed(a, 16), 0);
    ck_assert_int_eq(inet_pton(AF_INET6, "::1", a), 1);
    ck_assert_int_eq(console_address_allowed(a, 16), 1);
    ck_assert_int_eq(inet_pton(AF_INET6, "fe80::1", a), 1);
    ck_assert_int_eq(console_address_allowed(a, 16), 0);
    ck_assert_int_eq(console_address_allowed(a, 5), 0);
}
END_TEST

START_TEST(paths_allowed)
{
    static const char *const good[] = {
        "/api",
        "/api/",
        "/api/v1/namespaces",
        "/apis",
        "/apis/apps/v1/deployments",
        "/version",
        "/healthz",
        "/healthz/etcd",
        "/livez",
        "/readyz",
        "/openapi/v2",
        "/api/v1/namespaces?limit=1",
        "/api/v1/pods?labelSelector=app=web,tier=front&limit=5",
        "/api/v1/namespaces/kube-system/pods/a.b_c~d",
    };
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        const char *error = console_probe_path_check(good[i]);
        ck_assert_msg(error == NULL, "%s: %s", good[i], error);
    }
}
END_TEST

START_TEST(paths_refused)
{
    static const char *const bad[] = {
        NULL,
        "",
        "api", /* relative */
        "/",   /* not an API path */
        "/metrics",
        "/k8s-cors-console/api/echo",
        "/apix",
        "/api/../metrics", /* traversal */
        "/api/v1/..",
        "/api/./v1",
        "/api/%2e%2e/metrics", /* no %-escapes at all */
        "/api/v1%2fnamespaces",
        "//evil.example/api", /* network-path reference */
        "/api//v1",
        "https://evil.example/api", /* absolute URL */
        "http:/api",
        "/api/v1\\namespaces",
        "/api/v1/namespaces#frag",
        "/api/v1 namespaces",
        "/api/v1/namespaces\r\nHost: evil",
        "/api@evil.example",
        "/api:6443",
        "/api?x=<script>",
        "/api?x=1#y",
    };
    char *long_path = apr_palloc(pool, 1100);
    memset(long_path, 'a', 1099);
    memcpy(long_path, "/api/", 5);
    long_path[1099] = '\0';
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(console_probe_path_check(bad[i]) != NULL, "%s was accepted",
                      bad[i] ? bad[i] : "NULL");
    ck_assert_ptr_nonnull(console_probe_path_check(long_path));
}
END_TEST

START_TEST(methods)
{
    unsigned m;
    ck_assert_ptr_null(console_probe_methods_parse("OPTIONS,GET", &m));
    ck_assert_uint_eq(m, CONSOLE_PROBE_OPTIONS | CONSOLE_PROBE_GET);
    ck_assert_ptr_null(console_probe_methods_parse("HEAD", &m));
    ck_assert_uint_eq(m, CONSOLE_PROBE_HEAD);
    ck_assert_ptr_nonnull(console_probe_methods_parse("POST", &m));
    ck_assert_ptr_nonnull(console_probe_methods_parse("GET,DELETE", &m));
    ck_assert_ptr_nonnull(console_probe_methods_parse("get", &m));
    ck_assert_ptr_nonnull(console_probe_methods_parse("CONNECT", &m));
    ck_assert_ptr_nonnull(console_probe_methods_parse("", &m));
    ck_assert_ptr_nonnull(console_probe_methods_parse(NULL, &m));
    ck_assert_ptr_nonnull(console_probe_methods_parse(",", &m));
}
END_TEST

Suite *cgi_target_suite(void)
{
    Suite *s = suite_create("cgi_probe_target");
    TCase *tc = tcase_create("target");
    tcase_add_checked_fixture(tc, unit_setup, unit_teardown);
    tcase_add_test(tc, target_accepts_api_servers);
    tcase_add_test(tc, target_refuses_everything_else);
    tcase_add_test(tc, address_ranges);
    tcase_add_test(tc, paths_allowed);
    tcase_add_test(tc, paths_refused);
    tcase_add_test(tc, methods);
    suite_add_tcase(s, tc);
    return s;
}
