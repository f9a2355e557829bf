"""WebSocket upgrades (kubectl exec/attach/port-forward, browser consoles)
through httpd's `ProxyPass ... upgrade=websocket` with mod_k8s_cors.

Browsers do not apply CORS to WebSockets: any page may open one to the
gateway, with the user's cookies or client certificate. So the module checks
Origin on upgrade requests itself: an allowed Origin gets the API server's
101 and a working tunnel, a denied one gets 403 from httpd and never reaches
the API server, and a request without Origin (kubectl) is not affected.

The fake kube-apiserver answers pods/P/exec with an RFC 6455 handshake and
echoes every frame (fake_apiserver.serve_websocket).

With K8S_CORS_TEST_PROTOCOL=h2 or h2c the same attempts arrive as HTTP/2
extended CONNECTs (RFC 8441, `H2WebSockets on`): mod_http2 hands httpd a GET
with Upgrade: websocket, mod_proxy_http upgrades to the API server over
HTTP/1.1, and the client sees 200 (not 101) and no Sec-WebSocket-Accept.
The expectations are the same: the Origin check, the counters, the tunnel.
"""

import base64
import hashlib
import os
import socket

import fake_apiserver
import h2client
import harness
from harness import check

TOKEN = "demo-token"
BEARER = "Bearer " + TOKEN
EXEC_PATH = "/api/v1/namespaces/default/pods/p/exec?command=sh"
ATTACH_PATH = "/api/v1/namespaces/default/pods/p/attach?stdin=true"
PROTOCOL = "v5.channel.k8s.io"
APP = "https://app.example.com"
POLICY = """\
    K8sCors On
    K8sCorsAllowOrigin https://app.example.com http://[::1]:8080
    K8sCorsAllowOriginRegex "https://[a-z0-9-]+\\.dev\\.example\\.com"
"""

fake = None
gateway = None


def setup_module():
    global fake, gateway
    fake = harness.FakeApiServer(token=TOKEN, name="fake-upgrade").start()
    gateway = harness.Httpd(f"""\
<Location "/">
{POLICY}</Location>
{harness.METRICS_ENDPOINT}ProxyPass "/" "http://127.0.0.1:{fake.port}/" upgrade=websocket
ProxyPassReverse "/" "http://127.0.0.1:{fake.port}/"
""", name="upgrade")
    gateway.start()


def teardown_module():
    harness.stop_servers(gateway, fake)


class Upgrade:
    """One upgrade attempt: the response head and, when it succeeded, the open
    tunnel. Over HTTP/1.1 a GET with Upgrade on a raw socket; over HTTP/2
    an extended CONNECT (RFC 8441) on its own stream."""

    def __init__(self, origin=None, path=EXEC_PATH, authorization=BEARER, protocols=(PROTOCOL,),
                 extra_headers=(), authority=None):
        self.key = base64.b64encode(os.urandom(16)).decode("ascii")
        headers = []
        if origin is not None:
            headers.append(("Origin", origin))
        if not gateway.http2:
            headers += [("Connection", "Upgrade"), ("Upgrade", "websocket"),
                        ("Sec-WebSocket-Key", self.key)]
        headers.append(("Sec-WebSocket-Version", "13"))
        if protocols:
            headers.append(("Sec-WebSocket-Protocol", ", ".join(protocols)))
        if authorization:
            headers.append(("Authorization", authorization))
        headers += list(extra_headers)
        self.tunnel = None
        if gateway.http2:
            self._open_http2(path, headers, authority)
            return
        if authority is not None:
            headers.append(("Host", authority))
        self.sock = socket.create_connection((harness.LOOPBACK, gateway.port), timeout=10.0)
        self.sock.sendall(harness.build_raw_request("GET", path, headers, close=False))
        self.stream = self.sock.makefile("rb")
        head = b""
        while not head.endswith(b"\r\n\r\n"):
            line = self.stream.readline(65537)
            if not line:
                break
            head += line
        response = harness.parse_raw_response(head + self._body_after(head), "GET")
        self.response = response
        if response.status != 101:
            self.close()

    def _open_http2(self, path, headers, authority):
        self.tunnel = gateway.tunnel(path, headers) if authority is None else \
            h2client.Tunnel(gateway.port, path, headers, tls=gateway.protocol == harness.H2,
                            authority=authority)
        self.response = harness.Response(self.tunnel.status, "", self.tunnel.headers,
                                         self.tunnel.body)
        self.stream = self.tunnel.reader()
        if not 200 <= self.tunnel.status < 300:
            self.close()

    def _body_after(self, head):
        try:
            partial = harness.parse_raw_response(head, "HEAD")
        except harness.HarnessError:
            return b""
        length = partial.header_values("Content-Length")
        if partial.status == 101 or not length:
            return b""
        return self.stream.read(int(length[0]))

    def expected_accept(self):
        digest = hashlib.sha1(self.key.encode("ascii") + fake_apiserver.WEBSOCKET_GUID).digest()
        return base64.b64encode(digest).decode("ascii")

    def send(self, opcode, payload):
        frame = fake_apiserver.websocket_frame(opcode, payload, os.urandom(4))
        if self.tunnel is not None:
            self.tunnel.send(frame)
        else:
            self.sock.sendall(frame)

    def receive(self):
        return fake_apiserver.read_websocket_frame(self.stream)

    def close(self):
        if self.tunnel is not None:
            self.tunnel.close()
            return
        try:
            self.stream.close()
        finally:
            self.sock.close()


def stats():
    return fake.stats()


def assert_tunnel_works(upgrade, payloads=((0x1, b"echo hello\n"),)):
    response = upgrade.response
    success = harness.upgrade_success_status()
    check(response.status == success, "status %d, expected %d" % (response.status, success),
          response)
    # RFC 8441 5: over HTTP/2 there is no key, so no accept either.
    accept = [] if gateway.http2 else [upgrade.expected_accept()]
    check(response.header_values("Sec-WebSocket-Accept") == accept,
          "wrong Sec-WebSocket-Accept", response)
    check(response.header_values("Sec-WebSocket-Protocol") == [PROTOCOL],
          "subprotocol not negotiated", response)
    for opcode, payload in payloads:
        upgrade.send(opcode, payload)
        frame = upgrade.receive()
        check(frame == (opcode, payload), "echo through the tunnel: %r, expected %r"
              % (frame if frame is None else (frame[0], frame[1][:40]), (opcode, payload[:40])))
    upgrade.send(0x8, b"\x03\xe8bye")
    frame = upgrade.receive()
    check(frame is not None and frame[0] == 0x8, "no close frame came back: %r" % (frame,))


def upgrade_denied(origin, path=EXEC_PATH):
    """An upgrade from origin must get 403 from httpd, no Access-Control-*, and
    the API server must see nothing."""
    before = stats()
    upgrade = Upgrade(origin, path)
    after = stats()
    try:
        response = upgrade.response
        check(response.status == 403, "upgrade from Origin %r: status %d, expected 403"
              % (origin, response.status), response)
        problems = harness.cors_wire_problems(response, harness.CORS_DENIED)
        check(not problems, "; ".join(problems), response)
        check(after["total"] == before["total"],
              "the API server received %d requests" % (after["total"] - before["total"]), response)
        check(after["websocket_upgrades"] == before["websocket_upgrades"],
              "the API server performed the upgrade", response)
    finally:
        upgrade.close()


# ---- tests -----------------------------------------------------------------------------


def test_allowed_origin_gets_101_and_a_working_tunnel():
    """exec from an allowed Origin: 101 with the right Sec-WebSocket-Accept and
    v5.channel.k8s.io, a masked text frame is echoed through the tunnel, close works;
    the API server saw exactly one upgrade."""
    before = stats()
    upgrade = Upgrade(APP)
    try:
        assert_tunnel_works(upgrade)
    finally:
        upgrade.close()
    after = stats()
    check(after["websocket_upgrades"] - before["websocket_upgrades"] == 1,
          "upgrades at the API server: %d" % (after["websocket_upgrades"] - before["websocket_upgrades"]))


def test_allowed_pattern_and_normalised_origins_get_101():
    """An origin allowed by the pattern, and a normalised spelling of a listed one,
    are allowed on upgrades as on other requests."""
    for origin in ("https://team-1.dev.example.com", "https://APP.example.com:443",
                   "http://[0:0:0:0:0:0:0:1]:8080"):
        upgrade = Upgrade(origin)
        try:
            assert_tunnel_works(upgrade)
        finally:
            upgrade.close()


def test_tunnel_carries_binary_and_large_frames():
    """Binary frames, a 70,000-byte frame (64-bit length) and several frames in a
    row cross the tunnel byte for byte: the module does not touch tunnelled bytes."""
    upgrade = Upgrade(APP)
    try:
        assert_tunnel_works(upgrade, payloads=(
            (0x2, bytes(range(256))),
            (0x2, os.urandom(70000)),
            (0x1, b"\x00stdin line 1\n"),
            (0x1, b"\x00stdin line 2\n"),
        ))
    finally:
        upgrade.close()


def test_denied_origin_gets_403_and_never_reaches_the_api_server():
    """Cross-site WebSocket hijacking: exec from an origin the policy does not allow
    gets 403 from httpd, without Access-Control-* headers, and the API server's
    request and upgrade counters do not move."""
    upgrade_denied("https://evil.example.com")


def test_denied_lookalike_and_malformed_origins_get_403():
    """Suffix look-alike, null, a list and a path are refused on upgrades too."""
    problems = []
    for origin in ("https://app.example.com.evil.com", "null",
                   "https://app.example.com, https://evil.com", "https://app.example.com/"):
        try:
            upgrade_denied(origin)
        except AssertionError as error:
            problems.append(str(error).splitlines()[0])
    check(not problems, "\n".join(problems))


def test_denied_origin_attach_gets_403():
    """The check is not specific to exec: attach from a denied origin is refused too."""
    upgrade_denied("https://evil.example.com", ATTACH_PATH)


def test_denied_origin_with_browser_token_subprotocol_gets_403():
    """A page on a denied origin that even holds a token (kube's
    base64url.bearer.authorization.k8s.io subprotocol) is refused before the API
    server could accept it."""
    token = base64.urlsafe_b64encode(TOKEN.encode()).decode().rstrip("=")
    before = stats()
    upgrade = Upgrade("https://evil.example.com", authorization=None,
                      protocols=(PROTOCOL, fake_apiserver.WEBSOCKET_BEARER_PREFIX + token))
    after = stats()
    try:
        check(upgrade.response.status == 403, "status %d, expected 403" % upgrade.response.status,
              upgrade.response)
        check(after["websocket_upgrades"] == before["websocket_upgrades"],
              "the API server performed the upgrade")
    finally:
        upgrade.close()


def test_allowed_origin_with_browser_token_subprotocol_gets_101():
    """The browser path that works: an allowed origin authenticating with kube's
    bearer subprotocol gets 101 and a working tunnel."""
    token = base64.urlsafe_b64encode(TOKEN.encode()).decode().rstrip("=")
    upgrade = Upgrade(APP, authorization=None,
                      protocols=(PROTOCOL, fake_apiserver.WEBSOCKET_BEARER_PREFIX + token))
    try:
        assert_tunnel_works(upgrade)
    finally:
        upgrade.close()


def test_kubectl_without_origin_gets_101():
    """kubectl sends no Origin: its upgrade is untouched and the tunnel works."""
    before = stats()
    upgrade = Upgrade(None)
    try:
        assert_tunnel_works(upgrade)
    finally:
        upgrade.close()
    after = stats()
    check(after["websocket_upgrades"] - before["websocket_upgrades"] == 1, "no upgrade upstream")


def metric(name):
    """The value of one k8s-cors-metrics sample line (name with its labels)."""
    response = gateway.request("GET", "/k8s-cors-metrics")
    check(response.status == 200, "metrics: status %d" % response.status, response)
    for line in response.body.decode().splitlines():
        if line.startswith(name + " "):
            return int(line.split()[-1])
    raise AssertionError("no %s in the metrics:\n%s" % (name, response.body.decode()))


def test_denied_upgrade_is_counted_and_logged():
    """A refused upgrade counts as a refused request (403) and is logged once
    with the origin, the method httpd saw (GET, also for an HTTP/2 extended
    CONNECT, which mod_http2 turns into the HTTP/1.1 handshake) and the
    reason; an allowed one counts as an allowed actual request."""
    refused = 'k8s_cors_requests_refused_total{status="403"}'
    allowed = 'k8s_cors_requests_total{decision="allowed",kind="actual",mode="enforce"}'
    before_refused, before_allowed = metric(refused), metric(allowed)
    origin = "https://counted.evil.example.com"
    offset = gateway.error_log_size()
    upgrade_denied(origin)
    upgrade = Upgrade(APP)
    try:
        assert_tunnel_works(upgrade)
    finally:
        upgrade.close()
    check(metric(refused) == before_refused + 1, "refused 403: %d, expected %d"
          % (metric(refused), before_refused + 1))
    check(metric(allowed) == before_allowed + 1, "allowed actual: %d, expected %d"
          % (metric(allowed), before_allowed + 1))
    lines = harness.wait_until(lambda: [line for line in
                                        gateway.error_log_since(offset).splitlines()
                                        if origin in line], 3.0) or []
    check(len(lines) == 1, "log lines naming %s: %r" % (origin, lines))
    logged = 'refused CORS actual: origin="%s" method=GET path="%s"' % (origin,
                                                                        EXEC_PATH.split("?")[0])
    check(logged in lines[0] and "reason=origin-not-allowed" in lines[0], "log line: %s" % lines[0])


def test_denied_origin_with_forged_host_gets_403():
    """DNS rebinding: a page on rebind.example:PORT (the gateway's scheme and
    port) whose name now resolves to the gateway sends that Origin and, as
    Host (or :authority), the same name. The gateway's own origin comes from
    its configuration, not from Host, so the upgrade is refused 403 before
    the API server."""
    forged = "rebind.example:%d" % gateway.port
    scheme = "https" if gateway.protocol == harness.H2 else "http"
    before = stats()
    upgrade = Upgrade("%s://%s" % (scheme, forged), authority=forged)
    after = stats()
    try:
        check(upgrade.response.status == 403, "status %d, expected 403"
              % upgrade.response.status, upgrade.response)
        check(after["total"] == before["total"], "the API server received %d requests"
              % (after["total"] - before["total"]), upgrade.response)
    finally:
        upgrade.close()


# ---- HTTP/2 only -------------------------------------------------------------------------


@harness.http2_only("the SETTINGS frame")
def test_http2_gateway_announces_extended_connect():
    """H2WebSockets on: the server's SETTINGS carry ENABLE_CONNECT_PROTOCOL = 1
    (RFC 8441 3), which is what lets a browser send a WebSocket over h2."""
    connection = h2client.Connection(gateway.port, tls=gateway.protocol == harness.H2)
    try:
        settings = connection.wait_for_settings()
        check(settings.enable_connect_protocol == 1, "SETTINGS_ENABLE_CONNECT_PROTOCOL = %r"
              % settings.enable_connect_protocol)
    finally:
        connection.close()


def http2_attempt(path, fields, method="CONNECT", protocol="websocket", server=None):
    """A hand-made HTTP/2 request (fields as given); returns (status or the
    stream's reset code as a string, API server requests it caused)."""
    server = server or gateway
    before = stats()["total"]
    connection = h2client.Connection(server.port, tls=server.protocol == harness.H2, timeout=5.0)
    try:
        stream_id = connection.start(method, path, fields, protocol=protocol)
        try:
            outcome, _ = connection.head(stream_id)
        except h2client.StreamReset as error:
            outcome = "reset %s" % error.error_code
        except h2client.H2Error as error:
            outcome = "closed: %s" % error
    finally:
        connection.close()
    return outcome, stats()["total"] - before


@harness.http2_only("HTTP/2 framing")
def test_http2_upgrade_smuggling_from_denied_origin_never_reaches_the_api_server():
    """What HTTP/2 forbids cannot sneak an upgrade past the check: a GET with
    the connection-specific Upgrade/Connection fields, an extended CONNECT
    with another spelling of the protocol, one with an unknown protocol. Each
    is refused (status >= 400 or the stream reset) and never reaches the API
    server."""
    evil = [("origin", "https://evil.example.com"), ("authorization", BEARER),
            ("sec-websocket-version", "13")]
    attempts = {
        "GET with upgrade fields": ("GET", None, evil + [("connection", "Upgrade"),
                                                         ("upgrade", "websocket"),
                                                         ("sec-websocket-key", "AAAAAAAAAAAAAAAAAAAAAA==")]),
        "CONNECT :protocol WebSocket": ("CONNECT", "WebSocket", evil),
        "CONNECT :protocol unknown": ("CONNECT", "x-tunnel", evil),
        "CONNECT without :protocol": ("CONNECT", None, evil),
    }
    problems = []
    for name, (method, protocol, fields) in attempts.items():
        outcome, reached = http2_attempt(EXEC_PATH, fields, method, protocol)
        if reached or (isinstance(outcome, int) and outcome < 400):
            problems.append("%s: %s, %d requests at the API server" % (name, outcome, reached))
    check(not problems, "\n".join(problems))


@harness.http2_only("HTTP/2 SETTINGS and extended CONNECT")
def test_http2_without_h2websockets_no_extended_connect_reaches_the_api_server():
    """A gateway that offers h2 without H2WebSockets does not announce
    extended CONNECT, and one sent anyway from a denied origin never reaches
    the API server (an allowed one may not either: browsers then use
    HTTP/1.1 for WebSockets)."""
    server = harness.Httpd(f"""\
H2WebSockets off
<Location "/">
{POLICY}</Location>
ProxyPass "/" "http://127.0.0.1:{fake.port}/" upgrade=websocket
""", name="no-h2-websockets").start()
    try:
        connection = h2client.Connection(server.port, tls=server.protocol == harness.H2)
        try:
            settings = connection.wait_for_settings()
        finally:
            connection.close()
        check(not settings.enable_connect_protocol, "ENABLE_CONNECT_PROTOCOL = %r"
              % settings.enable_connect_protocol)
        outcome, reached = http2_attempt(EXEC_PATH, [("origin", "https://evil.example.com"),
                                                     ("authorization", BEARER),
                                                     ("sec-websocket-version", "13")],
                                         server=server)
        check(not reached and not (isinstance(outcome, int) and outcome < 400),
              "extended CONNECT without H2WebSockets: %s, %d requests at the API server"
              % (outcome, reached))
    finally:
        server.stop()


def test_gateway_healthy_after_upgrades():
    """After all the upgrades, the gateway answers and its log shows no crash."""
    response = gateway.request("GET", "/version", {"Origin": APP})
    check(response.status == 200, "status %d" % response.status, response)
    crashes = gateway.crash_lines(0)
    check(not crashes, "crash lines:\n" + "\n".join(crashes))
