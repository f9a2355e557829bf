"""WebSocket upgrades (kubectl exec/attach/port-forward, browser consoles)
through httpd's `ProxyPass ... upgrade=websocket` with mod_k8s_cors.

Browsers do not apply CORS to WebSockets: any page may open one to the
gateway, with the user's cookies or client certificate. So the module checks
Origin on upgrade requests itself: an allowed Origin gets the API server's
101 and a working tunnel, a denied one gets 403 from httpd and never reaches
the API server, and a request without Origin (kubectl) is not affected.

The fake kube-apiserver answers pods/P/exec with an RFC 6455 handshake and
echoes every frame (fake_apiserver.serve_websocket).
"""

import base64
import hashlib
import os
import socket

import fake_apiserver
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
ProxyPass "/" "http://127.0.0.1:{fake.port}/" upgrade=websocket
ProxyPassReverse "/" "http://127.0.0.1:{fake.port}/"
""", name="upgrade")
    gateway.start()


def teardown_module():
    harness.stop_servers(gateway, fake)


class Upgrade:
    """One upgrade attempt: the response head and, on 101, the open socket."""

    def __init__(self, origin=None, path=EXEC_PATH, authorization=BEARER, protocols=(PROTOCOL,),
                 extra_headers=()):
        self.key = base64.b64encode(os.urandom(16)).decode("ascii")
        headers = []
        if origin is not None:
            headers.append(("Origin", origin))
        headers += [("Connection", "Upgrade"), ("Upgrade", "websocket"),
                    ("Sec-WebSocket-Key", self.key), ("Sec-WebSocket-Version", "13")]
        if protocols:
            headers.append(("Sec-WebSocket-Protocol", ", ".join(protocols)))
        if authorization:
            headers.append(("Authorization", authorization))
        headers += list(extra_headers)
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
        self.sock.sendall(fake_apiserver.websocket_frame(opcode, payload, os.urandom(4)))

    def receive(self):
        return fake_apiserver.read_websocket_frame(self.stream)

    def close(self):
        try:
            self.stream.close()
        finally:
            self.sock.close()


def stats():
    return fake.stats()


def assert_tunnel_works(upgrade, payloads=((0x1, b"echo hello\n"),)):
    response = upgrade.response
    check(response.status == 101, "status %d, expected 101" % response.status, response)
    check(response.header_values("Sec-WebSocket-Accept") == [upgrade.expected_accept()],
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


def test_gateway_healthy_after_upgrades():
    """After all the upgrades, the gateway answers and its log shows no crash."""
    response = gateway.request("GET", "/version", {"Origin": APP})
    check(response.status == 200, "status %d" % response.status, response)
    crashes = gateway.crash_lines(0)
    check(not crashes, "crash lines:\n" + "\n".join(crashes))
