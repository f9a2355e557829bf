"""The edges of the policy through a real httpd in front of the fake
kube-apiserver: who is "self" (DNS rebinding with a forged Host over HTTP/1.1,
WebSocket and HTTP/2; ServerAlias and K8sCorsSelfOrigin), Vary: Origin and the
removal of the API server's CORS headers on every response in scope (103 Early
Hints included, read on a raw socket), `*` methods and headers with and
without credentials, preflights under httpd access control, byte-exact method
names, and the start-up check in every kind of section.
"""

import shutil
import socket
import subprocess
import time

import harness
from harness import check

TOKEN = "demo-token"
BEARER = "Bearer " + TOKEN
BASIC_USER = "alice"
BASIC_PASSWORD = "wonderland"
DASHBOARD = "https://dashboard.example.com"
EVIL_HOST = "evil.example:8080"
EVIL = "http://" + EVIL_HOST
NAMESPACES = "/api/v1/namespaces"
EXEC_PATH = NAMESPACES + "/default/pods/p/exec?command=sh"
CORS_HEADERS_PATH = "/edge/upstream-cors-headers"
EARLY_HINTS_PATH = "/edge/early-hints"
HTTP2_MODULE = "/usr/lib/apache2/modules/mod_http2.so"

fake = None
gateway = None
state = {}

# Every prefix maps to the fake's root.
PREFIXES = ("/tls/", "/star-nocred/", "/star-cred/", "/denied-all/", "/ip-only/", "/user/",
            "/report/", "/off/")


def gateway_config(port, terminated_port, fake_port, down_port, htpasswd_path):
    proxies = "".join('ProxyPass "%s" "http://127.0.0.1:%d/"\n' % (prefix, fake_port)
                      for prefix in PREFIXES)
    return f"""\
LoadModule http2_module {HTTP2_MODULE}
<VirtualHost 127.0.0.1:{port}>
ServerName 127.0.0.1
ServerAlias gw.example.test *.wild.example.test
Protocols h2c http/1.1
<Location "/">
    K8sCors On
    K8sCorsDeniedOrigin reject
    K8sCorsAllowOrigin {DASHBOARD}
</Location>
<Location "/tls/">
    K8sCorsSelfOrigin https://api.example.com
</Location>
<Location "/star-nocred/">
    K8sCorsAllowMethods *
    K8sCorsAllowHeaders *
    K8sCorsAllowCredentials Off
</Location>
<Location "/star-cred/">
    K8sCorsAllowMethods *
    K8sCorsAllowHeaders *
</Location>
<Location "/denied-all/">
    Require all denied
</Location>
<Location "/ip-only/">
    Require ip 10.0.0.0/8
</Location>
<Location "/user/">
    AuthType Basic
    AuthName k8s
    AuthUserFile "{htpasswd_path}"
    Require valid-user
</Location>
<Location "/report/">
    K8sCors report-only
</Location>
<Location "/off/">
    K8sCors Off
</Location>
ProxyPass "/down/" "http://127.0.0.1:{down_port}/"
{proxies}ProxyPass "/" "http://127.0.0.1:{fake_port}/"
</VirtualHost>
# Behind a TLS terminator: browsers see https://tls.example.test, httpd
# serves plain http on another port.
Listen 127.0.0.1:{terminated_port}
<VirtualHost 127.0.0.1:{terminated_port}>
ServerName https://tls.example.test
<Location "/">
    K8sCors On
    K8sCorsDeniedOrigin reject
    K8sCorsAllowOrigin {DASHBOARD}
</Location>
ProxyPass "/" "http://127.0.0.1:{fake_port}/"
</VirtualHost>
"""


def setup_module():
    global fake, gateway
    fake = harness.FakeApiServer(token=TOKEN).start()
    gateway = harness.Httpd(name="edges")
    htpasswd = gateway.write_file("conf/htpasswd",
                                  harness.htpasswd_sha1_line(BASIC_USER, BASIC_PASSWORD))
    state["terminated_port"] = harness.free_port()
    gateway.write_config(gateway_config(gateway.port, state["terminated_port"], fake.port, harness.free_port(), htpasswd))
    gateway.start()


def teardown_module():
    harness.stop_servers(gateway, fake)


# ---- helpers ---------------------------------------------------------------------


def self_origin(name="127.0.0.1"):
    return "http://%s:%d" % (name, gateway.port)


def raw(method, target, headers=(), host=None, body=None):
    """One request on a raw socket, Host exactly as given (default: the gateway's)."""
    host = host if host is not None else "127.0.0.1:%d" % gateway.port
    data = harness.build_raw_request(method, target, list(headers), body=body, host=host)
    return harness.raw_request(gateway.port, data)


def upstream_during(action):
    before = fake.total_requests()
    result = action()
    return result, fake.total_requests() - before


def vary_origin_count(response):
    return sum(1 for value in response.header_values("Vary") for token in value.split(",")
               if token.strip().lower() == "origin")


def expect_one_vary_origin(response, what):
    check(vary_origin_count(response) == 1,
          "%s: Vary: Origin %d times (Vary: %r)" % (what, vary_origin_count(response),
                                                    response.header_values("Vary")), response)


def no_access_control(response, what):
    found = harness.access_control_headers(response)
    check(not found, "%s: Access-Control-* on the wire: %r" % (what, found), response)


def read_all(port, data, timeout=10.0):
    """Every byte the server sends on one connection (Connection: close) until it
    closes: interim responses included."""
    chunks = []
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks)


def curl_h2(url, headers=(), method="GET", connect_to=None):
    """An HTTP/2 (h2c, prior knowledge) request with curl; returns (status, headers
    as lower-case (name, value) pairs)."""
    command = ["curl", "-s", "-o", "/dev/null", "-D", "-", "--http2-prior-knowledge",
               "--max-time", "10", "-X", method]
    if connect_to is not None:
        command += ["--connect-to", connect_to]
    for name, value in headers:
        command += ["-H", "%s: %s" % (name, value)]
    completed = subprocess.run(command + [url], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               timeout=30, check=False)
    lines = completed.stdout.decode("latin-1").split("\r\n")
    check(lines and lines[0].startswith("HTTP/2 "),
          "not an HTTP/2 answer: %r %r" % (completed.stdout[:200], completed.stderr[:300]))
    status = int(lines[0].split()[1])
    pairs = []
    for line in lines[1:]:
        if ":" in line:
            name, _, value = line.partition(":")
            pairs.append((name.strip().lower(), value.strip()))
    return status, pairs


# ---- who is "self" -----------------------------------------------------------------


def test_rebinding_post_with_forged_host_is_refused():
    """DNS rebinding: a page on http://evil.example:8080 whose name resolves to the
    gateway sends Host and Origin both evil.example:8080. That is no name of the
    gateway's, so the origin is denied: 403 (reject), the API server sees nothing."""
    response, upstream = upstream_during(lambda: raw(
        "POST", NAMESPACES, [("Origin", EVIL), ("Authorization", BEARER),
                             ("Content-Type", "application/json")], host=EVIL_HOST, body="{}"))
    check(response.status == 403 and upstream == 0,
          "forged Host POST: %d, %d upstream requests" % (response.status, upstream), response)
    no_access_control(response, "forged Host POST")


def test_rebinding_websocket_with_forged_host_is_refused():
    """The same rebinding page opening an exec WebSocket: 403, never tunnelled."""
    before = fake.stats()["websocket_upgrades"]
    response = raw("GET", EXEC_PATH, [
        ("Origin", EVIL), ("Authorization", BEARER), ("Connection", "Upgrade"),
        ("Upgrade", "websocket"), ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
        ("Sec-WebSocket-Version", "13"), ("Sec-WebSocket-Protocol", "v5.channel.k8s.io")],
        host=EVIL_HOST)
    check(response.status == 403 and fake.stats()["websocket_upgrades"] == before,
          "forged Host upgrade: %d" % response.status, response)


def test_rebinding_over_http2_is_refused():
    """Over HTTP/2 the forged name arrives as :authority: refused the same way,
    while the real origin over HTTP/2 is still same-origin (forwarded)."""
    before = fake.total_requests()
    status, _ = curl_h2("http://%s%s" % (EVIL_HOST, NAMESPACES), method="POST",
                        headers=[("Origin", EVIL), ("Authorization", BEARER)],
                        connect_to="evil.example:8080:127.0.0.1:%d" % gateway.port)
    check(status == 403 and fake.total_requests() == before,
          "forged :authority POST over h2: %d" % status)
    status, headers = curl_h2("http://127.0.0.1:%d%s" % (gateway.port, NAMESPACES),
                              method="POST",
                              headers=[("Origin", self_origin()), ("Authorization", BEARER)])
    check(status == 201, "same-origin POST over h2: %d" % status)
    check(not [name for name, _ in headers if name.startswith("access-control-")],
          "CORS headers on a same-origin h2 response: %r" % headers)
    check([value for name, value in headers if name == "vary"] == ["Origin"],
          "Vary on a same-origin h2 response: %r" % headers)


def test_same_origin_post_is_forwarded_under_every_server_name():
    """The gateway's real origins: ServerName, a ServerAlias and a name under a
    wildcard ServerAlias, each with the port the connection arrived on. A
    same-origin POST is forwarded without CORS headers, with Vary: Origin."""
    for name in ("127.0.0.1", "gw.example.test", "a.wild.example.test", "GW.example.test"):
        host = "%s:%d" % (name, gateway.port)
        response, upstream = upstream_during(lambda: raw(
            "POST", NAMESPACES, [("Origin", "http://" + host.lower()), ("Authorization", BEARER),
                                 ("Content-Type", "application/json")], host=host, body="{}"))
        check(response.status == 201 and upstream == 1,
              "%s: same-origin POST %d, %d upstream" % (name, response.status, upstream),
              response)
        no_access_control(response, name)
        expect_one_vary_origin(response, name)


def test_same_origin_needs_matching_scheme_port_and_host():
    """An Origin that is a gateway name but not the request's own target (another
    port, another scheme, another of its names) is cross-origin: denied here."""
    cases = (("http://127.0.0.1:1", "127.0.0.1:%d" % gateway.port),
             ("https://127.0.0.1:%d" % gateway.port, "127.0.0.1:%d" % gateway.port),
             ("http://gw.example.test:%d" % gateway.port, "127.0.0.1:%d" % gateway.port))
    for origin, host in cases:
        response = raw("POST", NAMESPACES, [("Origin", origin), ("Authorization", BEARER)],
                       host=host, body="{}")
        check(response.status == 403, "%s to %s: %d" % (origin, host, response.status), response)


def test_self_origin_directive_behind_a_tls_terminator():
    """Behind a TLS terminator the browser's origin is https://api.example.com
    while httpd serves plain http: K8sCorsSelfOrigin names it. It counts only
    when the request's Host is that origin's host."""
    response, upstream = upstream_during(lambda: raw(
        "POST", "/tls" + NAMESPACES, [("Origin", "https://api.example.com"),
                                      ("Authorization", BEARER)], host="api.example.com",
        body="{}"))
    check(response.status == 201 and upstream == 1,
          "K8sCorsSelfOrigin POST: %d, %d upstream" % (response.status, upstream), response)
    no_access_control(response, "K8sCorsSelfOrigin")
    response = raw("POST", "/tls" + NAMESPACES, [("Origin", "https://api.example.com"),
                                                 ("Authorization", BEARER)], host=EVIL_HOST,
                   body="{}")
    check(response.status == 403, "self origin with a forged Host: %d" % response.status,
          response)


def test_server_name_with_scheme_names_the_public_origin():
    """`ServerName https://tls.example.test` (plain http behind a terminator): the
    gateway's own origin is https://tls.example.test, default port, not the port
    httpd listens on; the listening port's http origin is not its own."""
    port = state["terminated_port"]

    def post(origin):
        data = harness.build_raw_request("POST", NAMESPACES, [
            ("Origin", origin), ("Authorization", BEARER)], body="{}", host="tls.example.test")
        return harness.raw_request(port, data)

    response, upstream = upstream_during(lambda: post("https://tls.example.test"))
    check(response.status == 201 and upstream == 1,
          "ServerName https://: same-origin POST %d, %d upstream" % (response.status, upstream),
          response)
    no_access_control(response, "ServerName https://")
    response = post("http://tls.example.test:%d" % port)
    check(response.status == 403, "the listening port's origin: %d" % response.status, response)


# ---- Vary and the API server's CORS headers ----------------------------------------


def test_vary_origin_on_no_origin_same_origin_401_404_502_responses():
    """Vary: Origin exactly once on every response in scope, CORS or not: no
    Origin (200, 401, 404, httpd's 502), same-origin, a denied origin's 403, and
    report-only; none added where K8sCors is Off."""
    cases = (
        ("no Origin 200", "GET", NAMESPACES, [("Authorization", BEARER)], 200),
        ("no Origin 401", "GET", NAMESPACES, [], 401),
        ("no Origin 404", "GET", NAMESPACES + "/missing", [("Authorization", BEARER)], 404),
        ("no Origin 502", "GET", NAMESPACES + "/garbage", [("Authorization", BEARER)], 502),
        ("no Origin 503", "GET", "/down/api", [], 503),
        ("same-origin 200", "GET", NAMESPACES, [("Origin", self_origin()),
                                                ("Authorization", BEARER)], 200),
        ("same-origin 401", "GET", NAMESPACES, [("Origin", self_origin())], 401),
        ("denied 403", "GET", NAMESPACES, [("Origin", EVIL)], 403),
        ("report-only no Origin", "GET", "/report" + NAMESPACES, [("Authorization", BEARER)], 200),
        ("/user/ 401", "GET", "/user" + NAMESPACES, [], 401),
    )
    for what, method, path, headers, status in cases:
        response = raw(method, path, headers)
        check(response.status == status, "%s: status %d" % (what, response.status), response)
        expect_one_vary_origin(response, what)
    response = raw("GET", "/off" + NAMESPACES, [("Authorization", BEARER)])
    check(vary_origin_count(response) == 0, "K8sCors Off: Vary added", response)


def test_upstream_cors_headers_never_reach_the_client():
    """The API server sends Access-Control-* headers in odd case, duplicated, and
    one nobody knows yet: none of them reaches the client, whatever the request
    (no Origin, same-origin, allowed, denied with pass, report-only). An allowed
    origin gets exactly the gateway's set. With K8sCors Off they pass (the fake
    really sends them)."""
    off = raw("GET", "/off" + CORS_HEADERS_PATH)
    check(len(harness.access_control_headers(off)) == 7,
          "the fake did not send its CORS headers", off)
    for what, prefix, headers in (
            ("no Origin", "", []),
            ("same-origin", "", [("Origin", self_origin())]),
            ("report-only", "/report", [("Origin", DASHBOARD)]),
            ("report-only denied", "/report", [("Origin", EVIL)])):
        response = raw("GET", prefix + CORS_HEADERS_PATH, headers)
        check(response.status == 200, "%s: %d" % (what, response.status), response)
        no_access_control(response, what)
        expect_one_vary_origin(response, what)
    response = raw("GET", CORS_HEADERS_PATH, [("Origin", DASHBOARD)])
    problems = harness.cors_wire_problems(response, harness.CORS_ALLOWED_ACTUAL, DASHBOARD)
    check(not problems, "allowed: %s" % problems, response)


def test_early_hints_cors_headers_never_reach_the_client():
    """A 103 Early Hints from the API server carries CORS headers; mod_proxy_http
    would forward it on the connection's filters, past every request filter. In
    scope the gateway does not forward interim responses at all (read on a raw
    socket, so a 103 would be seen); with K8sCors Off the same 103 arrives."""
    request = harness.build_raw_request("GET", "/off" + EARLY_HINTS_PATH,
                                        host="127.0.0.1:%d" % gateway.port)
    data = read_all(gateway.port, request)
    check(data.startswith(b"HTTP/1.1 103 ") and b"access-control-allow-origin: *" in data.lower(),
          "K8sCors Off: the 103 with CORS headers did not arrive: %r" % data[:300])
    for what, prefix, headers in (("no Origin", "", []),
                                  ("allowed", "", [("Origin", DASHBOARD)]),
                                  ("same-origin", "", [("Origin", self_origin())]),
                                  ("report-only", "/report", [("Origin", DASHBOARD)])):
        request = harness.build_raw_request("GET", prefix + EARLY_HINTS_PATH, headers,
                                            host="127.0.0.1:%d" % gateway.port)
        data = read_all(gateway.port, request)
        check(data.startswith(b"HTTP/1.1 200 "), "%s: %r" % (what, data[:200]))
        check(b" 103 " not in data.split(b"\r\n\r\n")[0], "%s: a 103 was forwarded" % what)
        lowered = data.lower()
        check(b"upstream.example" not in lowered and b"x-secret" not in lowered
              and b"access-control-future-extension" not in lowered,
              "%s: upstream CORS header on the wire: %r" % (what, data[:600]))


def test_expect_100_continue_still_answered_in_scope():
    """Interim responses from the API server are not forwarded in scope, except
    for a request with Expect: 100-continue (never sent by browsers), whose client
    waits for the API server's 100 Continue: it still gets it, then the answer."""
    body = b'{"kind":"Namespace"}'
    head = harness.build_raw_request("POST", NAMESPACES, [
        ("Authorization", BEARER), ("Content-Type", "application/json"),
        ("Expect", "100-continue"), ("Content-Length", str(len(body)))],
        host="127.0.0.1:%d" % gateway.port)
    with socket.create_connection(("127.0.0.1", gateway.port), timeout=10) as sock:
        sock.sendall(head)
        interim = sock.recv(65536)
        check(interim.startswith(b"HTTP/1.1 100 "), "no 100 Continue: %r" % interim[:200])
        sock.sendall(body)
        rest = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            rest += chunk
    data = interim.split(b"\r\n\r\n", 1)[1] + rest
    check(data.startswith(b"HTTP/1.1 201 "), "after 100 Continue: %r" % data[:200])


# ---- `*` as Fetch means it ----------------------------------------------------------


def test_star_methods_allow_methods():
    """K8sCorsAllowMethods * allows every method on actual requests, with and
    without credentials (the API server answers, not a 405 from the gateway)."""
    for prefix in ("/star-nocred", "/star-cred"):
        for method, status in (("GET", 200), ("PATCH", 200), ("DELETE", 200)):
            response = raw(method, prefix + NAMESPACES + "/default",
                           [("Origin", DASHBOARD), ("Authorization", BEARER)])
            check(response.status == status, "%s %s: %d" % (prefix, method, response.status),
                  response)
            check(response.header_values(harness.ACAO) == [DASHBOARD], "no ACAO", response)


def test_star_with_credentials_answers_the_requested_names():
    """With credentials on, `*` would be read by the browser as the literal name:
    the gateway answers the preflight with the method and headers asked for."""
    response = raw("OPTIONS", "/star-cred" + NAMESPACES, [
        ("Origin", DASHBOARD), ("Access-Control-Request-Method", "PATCH"),
        ("Access-Control-Request-Headers", "content-type,x-custom")])
    check(response.status == 204, "preflight: %d" % response.status, response)
    check(response.header_values(harness.ACAM) == ["PATCH"], "ACAM", response)
    check(response.header_values(harness.ACAH) == ["content-type,x-custom"], "ACAH", response)
    check(response.header_values(harness.ACAC) == ["true"], "ACAC", response)


def test_star_without_credentials_is_a_wildcard_except_authorization():
    """Without credentials `*` is sent as is (a wildcard for the browser), and
    Authorization is never covered by it: that preflight is refused."""
    response = raw("OPTIONS", "/star-nocred" + NAMESPACES, [
        ("Origin", DASHBOARD), ("Access-Control-Request-Method", "PATCH"),
        ("Access-Control-Request-Headers", "x-custom")])
    check(response.status == 204, "preflight: %d" % response.status, response)
    check(response.header_values(harness.ACAM) == ["*"], "ACAM", response)
    check(response.header_values(harness.ACAH) == ["*"], "ACAH", response)
    check(not response.header_values(harness.ACAC), "ACAC without credentials", response)
    for prefix in ("/star-nocred", "/star-cred"):
        response = raw("OPTIONS", prefix + NAMESPACES, [
            ("Origin", DASHBOARD), ("Access-Control-Request-Method", "GET"),
            ("Access-Control-Request-Headers", "authorization")])
        check(response.status == 403, "%s: Authorization under *: %d" % (prefix, response.status),
              response)


# ---- preflights and httpd access control -------------------------------------------


def preflight_status(prefix):
    response, upstream = upstream_during(lambda: raw("OPTIONS", prefix + NAMESPACES, [
        ("Origin", DASHBOARD), ("Access-Control-Request-Method", "GET"),
        ("Access-Control-Request-Headers", "authorization")]))
    check(upstream == 0, "%s: the preflight reached the API server" % prefix, response)
    return response


def test_require_all_denied_refuses_an_allowed_preflight():
    """An operator's refusal that needs no user holds for preflights too:
    Require all denied and Require ip answer 403 to an allowed origin's preflight,
    without CORS headers."""
    for prefix in ("/denied-all", "/ip-only"):
        response = preflight_status(prefix)
        check(response.status == 403, "%s: preflight %d" % (prefix, response.status), response)
        no_access_control(response, prefix)


def test_require_valid_user_lets_an_allowed_preflight_through():
    """Browsers send preflights without credentials: where httpd requires a user,
    an allowed preflight is answered 204 without one, while the actual request
    without credentials still gets 401."""
    response = preflight_status("/user")
    check(response.status == 204, "/user/ preflight: %d" % response.status, response)
    check(response.header_values(harness.ACAO) == [DASHBOARD], "ACAO", response)
    response = raw("GET", "/user" + NAMESPACES, [("Origin", DASHBOARD)])
    check(response.status == 401 and response.header_values("WWW-Authenticate"),
          "/user/ GET without credentials: %d" % response.status, response)


# ---- method names --------------------------------------------------------------------


def test_method_names_compare_byte_exactly():
    """Browsers upper-case only DELETE, GET, HEAD, OPTIONS, POST and PUT: a
    preflight asking for `patch` is not PATCH and is refused; `PATCH` passes; an
    actual `patch` request is refused 405 by the gateway."""
    response = raw("OPTIONS", NAMESPACES, [("Origin", DASHBOARD),
                                           ("Access-Control-Request-Method", "patch")])
    check(response.status == 403, "patch preflight: %d" % response.status, response)
    response = raw("OPTIONS", NAMESPACES, [("Origin", DASHBOARD),
                                           ("Access-Control-Request-Method", "PATCH")])
    check(response.status == 204, "PATCH preflight: %d" % response.status, response)
    response, upstream = upstream_during(lambda: raw(
        "patch", NAMESPACES + "/default", [("Origin", DASHBOARD), ("Authorization", BEARER)]))
    check(response.status == 405 and upstream == 0,
          "actual patch: %d, %d upstream" % (response.status, upstream), response)


# ---- the start-up check in every scope ---------------------------------------------

SECTIONS = (
    ("Files", '<Files "api.json">', "</Files>", "http://files.example.com"),
    ("FilesMatch", '<FilesMatch "\\.json$">', "</FilesMatch>", "http://filesmatch.example.com"),
    ("If", '<If "%{REQUEST_URI} =~ m#^/if/#">', "</If>", "http://if.example.com"),
    ("ElseIf", '<If "false">\n</If>\n<ElseIf "true">', "</ElseIf>", "http://elseif.example.com"),
    ("Else", '<If "false">\n</If>\n<Else>', "</Else>", "http://else.example.com"),
    ("Proxy", '<Proxy "http://127.0.0.1:1/*">', "</Proxy>", "http://proxy.example.com"),
    ("ProxyMatch", '<ProxyMatch "^http://127\\.0\\.0\\.1:2/">', "</ProxyMatch>",
     "http://proxymatch.example.com"),
    ("LocationMatch", '<LocationMatch "^/lm/">', "</LocationMatch>",
     "http://locationmatch.example.com"),
    ("DirectoryMatch", '<DirectoryMatch "^/srv/dm">', "</DirectoryMatch>",
     "http://directorymatch.example.com"),
)


def sections_config(strict):
    body = "K8sCorsStrict On\n" if strict else ""
    for _, opener, closer, origin in SECTIONS:
        body += "%s\n    K8sCors On\n    K8sCorsAllowOrigin %s\n%s\n" % (opener, origin, closer)
    return body


def test_policies_in_every_section_kind_are_linted():
    """A plain-http origin in <Files>, <FilesMatch>, <If>, <ElseIf>, <Else>, <Proxy>,
    <ProxyMatch>, <LocationMatch> and <DirectoryMatch>: httpd -t warns about each
    (KC0001, with the file and line)."""
    server = harness.Httpd(name="sections-lint")
    status, output = server.configtest(sections_config(strict=False))
    check(status == 0, "configtest failed without strict:\n" + output)
    for kind, _, _, origin in SECTIONS:
        line = server.line_of("K8sCorsAllowOrigin " + origin)
        check("%s:%d: warning: \"%s\"" % (server.conf_path, line, origin) in output
              and "[plain-http]" in output,
              "<%s>: no KC0001 warning for %s:\n%s" % (kind, origin, output))


def test_policies_in_every_section_kind_are_refused_under_strict():
    """The same sections with K8sCorsStrict On at the server: httpd -t fails and
    names every one of them."""
    server = harness.Httpd(name="sections-strict")
    status, output = server.configtest(sections_config(strict=True))
    check(status != 0, "configtest passed under strict:\n" + output)
    for kind, _, _, origin in SECTIONS:
        line = server.line_of("K8sCorsAllowOrigin " + origin)
        check("%s:%d: error: \"%s\"" % (server.conf_path, line, origin) in output,
              "<%s>: %s not refused:\n%s" % (kind, origin, output))


def test_directives_are_not_allowed_in_htaccess():
    """.htaccess cannot carry K8sCors directives, so no policy escapes the
    start-up check there: a request under one answers httpd's 500."""
    server = harness.Httpd(name="htaccess")
    server.write_file("htdocs/h/.htaccess", "K8sCors On\nK8sCorsAllowOrigin *\n")
    server.write_file("htdocs/h/index.json", "{}\n")
    server.write_config('<Directory "%s">\n    AllowOverride All\n</Directory>\n'
                        % (server.root / "htdocs"))
    server.start()
    try:
        response = server.request("GET", "/h/index.json")
        check(response.status == 500, ".htaccess with K8sCors: %d" % response.status, response)
        check("K8sCors not allowed here" in server.error_log(), "no 'not allowed here' logged")
    finally:
        server.stop()
