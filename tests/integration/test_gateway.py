"""mod_k8s_cors in front of mod_proxy to a fake kube-apiserver, configured like
the product's seed scenario: two exact origins and one pattern on "/", a
/secure/ prefix behind httpd Basic auth, and a /down/ prefix whose upstream
is not running. Every assertion is on the wire, duplicate headers counted.
"""

import contextlib
import json
import re
import secrets
import time

import harness
from harness import check

TOKEN = "demo-token"
BEARER = "Bearer " + TOKEN
BASIC_USER = "alice"
BASIC_PASSWORD = "wonderland"

ALLOWED_ORIGIN = "https://dashboard.example.com"
SECOND_ALLOWED_ORIGIN = "https://monitoring.example.com"
PATTERN_ORIGIN = "https://team1.apps.example.com"
DENIED_ORIGIN = "https://malicious.com"
# Each is refused: a suffix attack, an unescaped dot, another scheme, another
# port, the opaque origin, a second subdomain level, and a list.
DENIED_ORIGINS = (
    "https://dashboard.example.com.evil.com",
    "https://dashboardXexample.com",
    "http://dashboard.example.com",
    "https://dashboard.example.com:8443",
    "null",
    "https://a.b.apps.example.com",
    "https://dashboard.example.com, https://evil.com",
)

NAMESPACES_PATH = "/api/v1/namespaces"
DEFAULT_ALLOW_METHODS = "POST, GET, OPTIONS, PUT, DELETE, PATCH"
DEFAULT_ALLOW_HEADERS = ("Content-Type, Content-Length, Accept-Encoding, X-CSRF-Token, "
                         "Authorization, X-Requested-With, If-Modified-Since")

ACAO = "Access-Control-Allow-Origin"
ACAC = "Access-Control-Allow-Credentials"
EXPOSE = "Access-Control-Expose-Headers"
PREFLIGHT_ONLY_HEADERS = ("Access-Control-Allow-Methods", "Access-Control-Allow-Headers",
                          "Access-Control-Max-Age")
# Hop-by-hop and per-hop headers that a proxy may legitimately change.
PER_HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "content-length", "date",
                   "server"}

SEED_POLICY = """\
    K8sCors On
    K8sCorsAllowOrigin https://dashboard.example.com https://monitoring.example.com
    K8sCorsAllowOriginRegex "https://[a-z0-9-]+\\.apps\\.example\\.com"
"""

fake = None
gateway = None


def gateway_config(fake_port, down_port, htpasswd_path):
    """The seed scenario: "/" with the CORS policy, /secure/ behind Basic auth
    and /down/ to a closed port, both proxied before "/"."""
    return f"""\
<Location "/">
{SEED_POLICY}</Location>
<Location "/secure/">
    AuthType Basic
    AuthName k8s
    AuthUserFile "{htpasswd_path}"
    Require valid-user
</Location>
ProxyPass "/secure/" "http://127.0.0.1:{fake_port}/"
ProxyPassReverse "/secure/" "http://127.0.0.1:{fake_port}/"
ProxyPass "/down/" "http://127.0.0.1:{down_port}/"
ProxyPassReverse "/down/" "http://127.0.0.1:{down_port}/"
ProxyPass "/" "http://127.0.0.1:{fake_port}/"
ProxyPassReverse "/" "http://127.0.0.1:{fake_port}/"
"""


def setup_module():
    global fake, gateway
    fake = harness.FakeApiServer(token=TOKEN).start()
    gateway = harness.Httpd(name="gateway")
    htpasswd = gateway.write_file("conf/htpasswd", harness.htpasswd_sha1_line(BASIC_USER, BASIC_PASSWORD))
    closed_port = harness.free_port()  # nothing ever listens there: the upstream is down
    gateway.write_config(gateway_config(fake.port, closed_port, htpasswd))
    gateway.start()


def teardown_module():
    harness.stop_servers(gateway, fake)


# ---- helpers ---------------------------------------------------------------------


def preflight(origin, path=NAMESPACES_PATH, request_method="GET", request_headers="Authorization"):
    headers = [("Origin", origin), ("Access-Control-Request-Method", request_method)]
    if request_headers is not None:
        headers.append(("Access-Control-Request-Headers", request_headers))
    return gateway.request("OPTIONS", path, headers)


def get(path=NAMESPACES_PATH, origin=None, authorization=BEARER):
    headers = []
    if origin is not None:
        headers.append(("Origin", origin))
    if authorization is not None:
        headers.append(("Authorization", authorization))
    return gateway.request("GET", path, headers)


def upstream_requests_during(action):
    """Runs action(); returns (its result, how many requests the fake received meanwhile)."""
    before = fake.total_requests()
    result = action()
    return result, fake.total_requests() - before


@contextlib.contextmanager
def upstream_sends_kube_cors():
    """The fake answers like kube-apiserver --cors-allowed-origins='.*' meanwhile."""
    fake.set_cors([".*"])
    try:
        yield
    finally:
        fake.set_cors(None)


def assert_status(response, expected):
    allowed = expected if isinstance(expected, tuple) else (expected,)
    check(response.status in allowed, "status %d, expected %s" % (response.status, expected), response)


def assert_single_header(response, name, expected=None):
    """Exactly one header name on the wire (equal to expected when given); returns its value."""
    values = response.header_values(name)
    check(len(values) == 1, "%d %s headers (%r), expected exactly one" % (len(values), name, values),
          response)
    if expected is not None:
        check(values[0] == expected, "%s is %r, expected %r" % (name, values[0], expected), response)
    return values[0]


def assert_no_headers_starting_with(response, prefix):
    found = response.headers_starting_with(prefix)
    check(not found, "unexpected %s* headers: %r" % (prefix, found), response)


def assert_header_absent(response, name):
    values = response.header_values(name)
    check(not values, "unexpected %s: %r" % (name, values), response)


def assert_vary_includes(response, *names):
    missing = [name for name in names if name.lower() not in response.vary_tokens()]
    check(not missing, "Vary lacks %s (Vary: %r)" % (missing, response.header_values("Vary")), response)


def assert_allowed_actual_cors(response, origin):
    """The headers of an actual (non-preflight) response for an allowed origin."""
    assert_single_header(response, ACAO, origin)
    assert_single_header(response, ACAC, "true")
    assert_vary_includes(response, "Origin")


def assert_is_namespace_list(response):
    check(response.json().get("kind") == "NamespaceList", "body is not a NamespaceList", response)


def assert_is_kube_status(response, code):
    try:
        body = response.json()
    except ValueError:
        body = {}
    check(body.get("kind") == "Status" and body.get("code") == code,
          "body is not the upstream's kube Status %d" % code, response)


def k8s_cors_log_lines_mentioning(text, timeout=3.0):
    """The error log's [k8s_cors:info] lines containing text, once at least one
    is there (or after timeout); waits a little more to catch duplicates."""
    def matching_lines():
        return [line for line in gateway.error_log().splitlines()
                if "[k8s_cors:info]" in line and text in line]

    if harness.wait_until(matching_lines, timeout):
        time.sleep(0.3)
    return matching_lines()


def names_file_and_line(output, path, line):
    """True when output points at line `line` of file `path` in one of the
    usual forms ("line N of FILE", "FILE:N", "FILE, line N", "FILE line N")."""
    path, number = re.escape(str(path)), str(line)
    patterns = (r"line %s of %s" % (number, path),
                r"%s:%s\b" % (path, number),
                r"%s,? line %s\b" % (path, number))
    return any(re.search(pattern, output) for pattern in patterns)


# ---- the seed checks -----------------------------------------------------------------


def test_seed_preflight_from_allowed_origin_is_answered_by_httpd():
    """Seed check 1: a preflight from a listed origin is answered 204 by httpd with
    the full preflight header set, and never reaches the API server."""
    response, upstream = upstream_requests_during(lambda: preflight(ALLOWED_ORIGIN))
    assert_status(response, 204)
    assert_single_header(response, ACAO, ALLOWED_ORIGIN)
    assert_single_header(response, ACAC, "true")
    assert_single_header(response, "Access-Control-Allow-Methods", DEFAULT_ALLOW_METHODS)
    allow_headers = assert_single_header(response, "Access-Control-Allow-Headers", DEFAULT_ALLOW_HEADERS)
    check("authorization" in allow_headers.lower(), "Authorization is not allowed", response)
    assert_single_header(response, "Access-Control-Max-Age", "600")
    assert_vary_includes(response, "Origin", "Access-Control-Request-Method",
                         "Access-Control-Request-Headers")
    check(upstream == 0, "the preflight reached the API server (%d requests)" % upstream, response)


def test_seed_preflight_from_denied_origin_is_refused():
    """Seed check 2: a preflight from an unlisted origin is refused 403 without any
    Access-Control-Allow-* header, and never reaches the API server."""
    response, upstream = upstream_requests_during(lambda: preflight(DENIED_ORIGIN))
    assert_status(response, 403)
    assert_no_headers_starting_with(response, "Access-Control-Allow")
    check(upstream == 0, "the preflight reached the API server (%d requests)" % upstream, response)


def test_seed_actual_get_from_allowed_origin_gets_cors_headers():
    """Seed check 3: an authenticated GET from a listed origin is proxied and its
    200 carries ACAO (the origin), credentials, Expose-Headers and Vary: Origin,
    but none of the preflight-only headers."""
    response, upstream = upstream_requests_during(lambda: get(origin=ALLOWED_ORIGIN))
    assert_status(response, 200)
    assert_is_namespace_list(response)
    assert_allowed_actual_cors(response, ALLOWED_ORIGIN)
    assert_single_header(response, EXPOSE, "Date")
    for name in PREFLIGHT_ONLY_HEADERS:
        assert_header_absent(response, name)
    check(upstream == 1, "the GET reached the API server %d times" % upstream, response)


# ---- origin matching -----------------------------------------------------------------


def test_denied_origins_get_proxied_responses_without_cors():
    """Look-alike, other-scheme, other-port, opaque, too-deep and list origins are
    not allowed: the GET is still proxied (200 from the API server) but carries no
    Access-Control-* header, only Vary: Origin."""
    problems = []
    for origin in DENIED_ORIGINS:
        response = get(origin=origin)
        try:
            assert_status(response, 200)
            assert_is_namespace_list(response)
            assert_no_headers_starting_with(response, "Access-Control-")
            assert_vary_includes(response, "Origin")
        except AssertionError as error:
            problems.append("Origin %r: %s" % (origin, error))
    check(not problems, "\n".join(problems))


def test_denied_origins_preflights_are_refused():
    """The same denied origins get 403 on a preflight, with no Access-Control-Allow-*
    header, and the API server never sees the preflight."""
    problems = []
    for origin in DENIED_ORIGINS:
        response, upstream = upstream_requests_during(lambda: preflight(origin))
        try:
            assert_status(response, 403)
            assert_no_headers_starting_with(response, "Access-Control-Allow")
            check(upstream == 0, "the preflight reached the API server")
        except AssertionError as error:
            problems.append("Origin %r: %s" % (origin, error))
    check(not problems, "\n".join(problems))


def test_pattern_origin_is_allowed():
    """An origin matched by K8sCorsAllowOriginRegex is allowed and echoed exactly,
    on the actual request and on its preflight."""
    response = get(origin=PATTERN_ORIGIN)
    assert_status(response, 200)
    assert_allowed_actual_cors(response, PATTERN_ORIGIN)
    response = preflight(PATTERN_ORIGIN)
    assert_status(response, 204)
    assert_single_header(response, ACAO, PATTERN_ORIGIN)


def test_second_listed_origin_is_allowed():
    """Every origin of a K8sCorsAllowOrigin line is allowed, not only the first."""
    response = get(origin=SECOND_ALLOWED_ORIGIN)
    assert_status(response, 200)
    assert_allowed_actual_cors(response, SECOND_ALLOWED_ORIGIN)


def test_normalized_origins_are_allowed_and_echoed_verbatim():
    """An explicit default port and an upper-case host match the listed origin once
    normalized, and ACAO echoes the request's Origin byte for byte."""
    for origin in ("https://dashboard.example.com:443", "https://DASHBOARD.example.com"):
        response = get(origin=origin)
        assert_status(response, 200)
        assert_allowed_actual_cors(response, origin)
        response = preflight(origin)
        assert_status(response, 204)
        assert_single_header(response, ACAO, origin)


def test_request_without_origin_gets_only_vary_origin():
    """Without Origin the module adds only Vary: Origin (the same URL answers
    differently with one: Fetch, CORS protocol and HTTP caches): the proxied
    response has the API server's status, body and header names otherwise, and no
    Access-Control-* header."""
    direct = fake.request("GET", NAMESPACES_PATH, {"Authorization": BEARER})
    response = get()
    assert_status(response, 200)
    assert_no_headers_starting_with(response, "Access-Control-")
    check(response.body == direct.body, "the body differs from the API server's", response)
    proxied_names = sorted({name.lower() for name, _ in response.headers} - PER_HOP_HEADERS)
    direct_names = sorted({name.lower() for name, _ in direct.headers} - PER_HOP_HEADERS)
    check(proxied_names == sorted(set(direct_names) | {"vary"}),
          "headers changed: API server sent %s, httpd sent %s" % (direct_names, proxied_names), response)
    check(response.header_values("Vary") == ["Origin"], "Vary is not Origin", response)


# ---- an upstream that sends its own CORS headers -------------------------------------


def test_upstream_cors_headers_are_replaced_for_allowed_origin():
    """When the API server sends kube's own CORS headers, an allowed origin still gets
    exactly one ACAO, one ACAC and one Expose-Headers: the module's set, not both."""
    with upstream_sends_kube_cors():
        response = get(origin=ALLOWED_ORIGIN)
    assert_status(response, 200)
    assert_single_header(response, ACAO, ALLOWED_ORIGIN)
    assert_single_header(response, ACAC, "true")
    assert_single_header(response, EXPOSE, "Date")
    names = sorted(name.lower() for name, _ in response.headers_starting_with("Access-Control-"))
    check(names == sorted(name.lower() for name in (ACAO, ACAC, EXPOSE)),
          "Access-Control-* headers on an actual response: %s" % names, response)


def test_upstream_cors_headers_are_removed_for_denied_origin():
    """The API server's own CORS headers for an origin the policy refuses are
    removed: no Access-Control-* header reaches the client."""
    with upstream_sends_kube_cors():
        response = get(origin=DENIED_ORIGIN)
    assert_status(response, 200)
    assert_no_headers_starting_with(response, "Access-Control-")


def test_preflight_never_reaches_upstream_that_does_cors():
    """Even when the API server would answer preflights itself, httpd answers a
    preflight from an allowed origin and the API server never sees it."""
    with upstream_sends_kube_cors():
        response, upstream = upstream_requests_during(lambda: preflight(ALLOWED_ORIGIN))
    assert_status(response, 204)
    assert_single_header(response, ACAO, ALLOWED_ORIGIN)
    assert_single_header(response, "Access-Control-Max-Age", "600")
    check(upstream == 0, "the preflight reached the API server (%d requests)" % upstream, response)


# ---- error responses -----------------------------------------------------------------


def test_upstream_401_carries_cors():
    """The API server's 401 (no token) reaches an allowed origin with ACAO and
    credentials, so the browser can read why it failed."""
    response = get(origin=ALLOWED_ORIGIN, authorization=None)
    assert_status(response, 401)
    assert_is_kube_status(response, 401)
    assert_allowed_actual_cors(response, ALLOWED_ORIGIN)


def test_upstream_500_carries_cors():
    """The API server's 500 carries ACAO for an allowed origin."""
    response = get("/api/v1/namespaces/broken", origin=ALLOWED_ORIGIN)
    assert_status(response, 500)
    assert_is_kube_status(response, 500)
    assert_allowed_actual_cors(response, ALLOWED_ORIGIN)


def test_bad_gateway_502_carries_cors():
    """httpd's own 502 (the API server answered garbage) carries ACAO for an
    allowed origin. Over HTTP/2 httpd answers 500 from mod_http2, which no
    module sees (harness.broken_backend_status)."""
    response = get("/api/v1/namespaces/garbage", origin=ALLOWED_ORIGIN)
    assert_status(response, harness.broken_backend_status())
    if gateway.http2:
        assert_no_headers_starting_with(response, "Access-Control-")
    else:
        assert_allowed_actual_cors(response, ALLOWED_ORIGIN)


def test_upstream_down_error_carries_cors():
    """httpd's own 503/502 for an upstream that is not running carries ACAO,
    credentials and Vary: Origin for an allowed origin."""
    response = get("/down/version", origin=ALLOWED_ORIGIN)
    assert_status(response, (502, 503))
    assert_allowed_actual_cors(response, ALLOWED_ORIGIN)


def test_errors_for_denied_origin_carry_no_cors():
    """The same 401, 500, 502 and 503 answers carry no Access-Control-Allow-* header
    for a denied origin."""
    cases = ((NAMESPACES_PATH, None, 401), ("/api/v1/namespaces/broken", BEARER, 500),
             ("/api/v1/namespaces/garbage", BEARER, harness.broken_backend_status()),
             ("/down/version", BEARER, (502, 503)))
    problems = []
    for path, authorization, expected_status in cases:
        response = get(path, origin=DENIED_ORIGIN, authorization=authorization)
        try:
            assert_status(response, expected_status)
            assert_no_headers_starting_with(response, "Access-Control-Allow")
        except AssertionError as error:
            problems.append("%s: %s" % (path, error))
    check(not problems, "\n".join(problems))


# ---- httpd's own authentication -----------------------------------------------------------


def test_preflight_escapes_httpd_basic_auth():
    """A preflight (which never carries credentials) to a prefix behind httpd Basic
    auth is answered 204 with CORS headers, not 401, and is not proxied."""
    response, upstream = upstream_requests_during(
        lambda: preflight(ALLOWED_ORIGIN, path="/secure" + NAMESPACES_PATH))
    assert_status(response, 204)
    assert_single_header(response, ACAO, ALLOWED_ORIGIN)
    assert_single_header(response, ACAC, "true")
    check(upstream == 0, "the preflight reached the API server (%d requests)" % upstream, response)


def test_httpd_basic_auth_401_carries_cors():
    """httpd's own 401 (no Basic credentials) carries ACAO for an allowed origin,
    and the request does not reach the API server."""
    response, upstream = upstream_requests_during(
        lambda: get("/secure" + NAMESPACES_PATH, origin=ALLOWED_ORIGIN, authorization=None))
    assert_status(response, 401)
    check(any(value.startswith("Basic") for value in response.header_values("WWW-Authenticate")),
          "not httpd's Basic challenge", response)
    assert_allowed_actual_cors(response, ALLOWED_ORIGIN)
    check(upstream == 0, "the unauthenticated request reached the API server", response)


def test_basic_credentials_reach_upstream_with_cors():
    """With valid Basic credentials the request passes httpd's auth and reaches the
    API server (which answers 401: Basic is not its bearer token), with CORS."""
    credentials = harness.basic_credentials(BASIC_USER, BASIC_PASSWORD)
    response, upstream = upstream_requests_during(
        lambda: get("/secure" + NAMESPACES_PATH, origin=ALLOWED_ORIGIN, authorization=credentials))
    check(upstream == 1, "the request reached the API server %d times" % upstream, response)
    assert_status(response, 401)
    assert_is_kube_status(response, 401)
    assert_allowed_actual_cors(response, ALLOWED_ORIGIN)


# ---- what is and is not a preflight ---------------------------------------------------


def test_options_without_request_method_is_proxied():
    """OPTIONS with Origin but no Access-Control-Request-Method is not a preflight:
    it is proxied to the API server and its answer carries the actual-response
    CORS headers."""
    before = fake.stats()
    response = gateway.request("OPTIONS", NAMESPACES_PATH, [("Origin", ALLOWED_ORIGIN)])
    after = fake.stats()
    check(after["total"] - before["total"] == 1, "the OPTIONS was not proxied exactly once", response)
    check(after["by_method"].get("OPTIONS", 0) - before["by_method"].get("OPTIONS", 0) == 1,
          "the API server did not receive an OPTIONS", response)
    assert_status(response, 401)
    assert_is_kube_status(response, 401)
    assert_allowed_actual_cors(response, ALLOWED_ORIGIN)
    assert_header_absent(response, "Access-Control-Max-Age")


# ---- streaming -----------------------------------------------------------------------------


def test_watch_stream_is_not_buffered():
    """A watch response streams through httpd: its headers carry ACAO and the first
    event arrives within 2 s although the API server keeps the stream open for
    about 10 s more."""
    started = time.monotonic()
    try:
        response = gateway.stream("GET", NAMESPACES_PATH + "?watch=1&events=3",
                                  {"Origin": ALLOWED_ORIGIN, "Authorization": BEARER}, timeout=5.0)
    except TimeoutError:
        raise AssertionError("no response headers within 5 s: the stream is buffered")
    with response:
        check(response.status == 200, "status %d" % response.status)
        acao = response.header_values(ACAO)
        check(acao == [ALLOWED_ORIGIN], "ACAO on the stream: %r" % acao)
        received = b""
        try:
            while b"\n" not in received:
                data = response.read_some()
                if not data:
                    break
                received += data
        except TimeoutError:
            raise AssertionError("no event within 5 s: the stream is buffered")
        elapsed = time.monotonic() - started
        check(b"\n" in received, "the stream ended before its first event: %r" % received)
        check(elapsed < 2.0, "the first event took %.1f s" % elapsed)
        first_event = json.loads(received.split(b"\n", 1)[0])
        check(first_event.get("type") == "ADDED", "first event: %r" % first_event)
        check(not response.complete(), "the stream was already complete")


# ---- logging -------------------------------------------------------------------------------


def test_denied_preflight_is_logged_once_with_reason():
    """A refused preflight leaves exactly one [k8s_cors:info] line naming the origin,
    the method, the path and the reason origin-not-allowed."""
    origin = "https://logcheck-%s.evil.com" % secrets.token_hex(6)
    response = preflight(origin)
    assert_status(response, 403)
    lines = k8s_cors_log_lines_mentioning(origin)
    check(len(lines) == 1, "%d [k8s_cors:info] lines mention %s:\n%s"
          % (len(lines), origin, "\n".join(lines)))
    line = lines[0]
    for expected in ("OPTIONS", NAMESPACES_PATH, "origin-not-allowed"):
        check(expected in line, "%r missing from the log line:\n%s" % (expected, line))


def test_logged_origin_is_escaped():
    """An Origin holding a double quote and a backslash is logged escaped: neither
    appears raw inside the logged origin."""
    marker = "logesc-%s" % secrets.token_hex(6)
    origin = 'https://%s"quote\\back.evil.com' % marker
    response = preflight(origin)
    assert_status(response, 403)
    lines = k8s_cors_log_lines_mentioning(marker)
    check(len(lines) == 1, "%d [k8s_cors:info] lines mention %s:\n%s"
          % (len(lines), marker, "\n".join(lines)))
    line = lines[0]
    after_marker = line[line.index(marker) + len(marker):]
    check(not after_marker.startswith('"'), "raw double quote from the Origin in:\n%s" % line)
    check("quote\\back" not in after_marker, "raw backslash from the Origin in:\n%s" % line)
    check("quote" in after_marker, "the logged origin is cut short:\n%s" % line)


# ---- configuration errors --------------------------------------------------------------


def configtest_with_policy(policy_lines):
    """httpd -t on the seed layout whose "/" policy is policy_lines; returns
    (httpd, exit status, output)."""
    server = harness.Httpd(name="configtest")
    body = '<Location "/">\n%s</Location>\nProxyPass "/" "http://127.0.0.1:%d/"\n' % (
        policy_lines, harness.free_port())
    status, output = server.configtest(body)
    return server, status, output


def assert_syntax_error_at(policy_lines, offending):
    server, status, output = configtest_with_policy(policy_lines)
    line = server.line_of(offending)
    check(status != 0, "httpd -t accepted %r:\n%s" % (offending, output))
    expected = "Syntax error on line %d of %s:" % (line, server.conf_path)
    check(expected in output, "expected %r in:\n%s" % (expected, output))


def test_configtest_rejects_invalid_regex():
    """A pattern that does not compile fails httpd -t at its line."""
    directive = 'K8sCorsAllowOriginRegex "https://(a"'
    assert_syntax_error_at("    K8sCors On\n    %s\n" % directive, directive)


def test_configtest_rejects_origin_with_path():
    """An allowed origin with a trailing slash (not a serialized origin) fails httpd -t at its line."""
    directive = "K8sCorsAllowOrigin https://dashboard.example.com/"
    assert_syntax_error_at("    K8sCors On\n    %s\n" % directive, directive)


def test_configtest_rejects_bad_max_age():
    """A max-age that is not a number fails httpd -t at its line."""
    directive = "K8sCorsMaxAge abc"
    assert_syntax_error_at("    K8sCors On\n    K8sCorsAllowOrigin %s\n    %s\n"
                           % (ALLOWED_ORIGIN, directive), directive)


def test_configtest_rejects_wildcard_with_credentials():
    """`*` with credentials left on (the default) fails httpd -t, naming the file and
    the line of the `*`."""
    directive = "K8sCorsAllowOrigin *"
    server, status, output = configtest_with_policy("    K8sCors On\n    %s\n" % directive)
    line = server.line_of(directive)
    check(status != 0, "httpd -t accepted `*` with credentials:\n%s" % output)
    check(names_file_and_line(output, server.conf_path, line),
          "the error does not name %s line %d:\n%s" % (server.conf_path, line, output))


def test_configtest_accepts_wildcard_without_credentials():
    """`*` is accepted once K8sCorsAllowCredentials is Off."""
    server, status, output = configtest_with_policy(
        "    K8sCors On\n    K8sCorsAllowOrigin *\n    K8sCorsAllowCredentials Off\n")
    check(status == 0 and "Syntax OK" in output, "httpd -t exit %d:\n%s" % (status, output))


def test_configtest_accepts_seed_config():
    """The seed scenario's configuration passes httpd -t with Syntax OK."""
    server = harness.Httpd(name="configtest")
    htpasswd = server.write_file("conf/htpasswd", harness.htpasswd_sha1_line(BASIC_USER, BASIC_PASSWORD))
    status, output = server.configtest(gateway_config(harness.free_port(), harness.free_port(), htpasswd))
    check(status == 0 and "Syntax OK" in output, "httpd -t exit %d:\n%s" % (status, output))
