"""Faults around mod_k8s_cors: an API server that refuses connections, times out,
breaks the protocol or sends its own CORS headers; graceful restarts under load
with open watches and a policy change; a reload with an invalid configuration.

A browser can only read an error status if the error response carries CORS
headers, so httpd's own 502/503/504 pages must carry exactly the set an
allowed origin gets on a 200, and nothing for a denied origin.
"""

import json
import os
import signal
import threading
import time

import harness
from harness import check

TOKEN = "demo-token"
BEARER = "Bearer " + TOKEN
APP = "https://app.example.com"
EVIL = "https://evil.example.com"
NEW = "https://new.example.com"
API_PATH = "/api/v1/namespaces"
PROXY_TIMEOUT_SECONDS = 2

POLICY = """\
    K8sCors On
    K8sCorsAllowOrigin https://app.example.com http://[::1]:8080
    K8sCorsAllowOriginRegex "https://[a-z0-9-]+\\.dev\\.example\\.com"
"""

fake = None
gateway = None


def gateway_config(fake_port, closed_port):
    return f"""\
ProxyTimeout {PROXY_TIMEOUT_SECONDS}
<Location "/">
{POLICY}</Location>
<Location "/override/">
    ProxyErrorOverride On
</Location>
ProxyPass "/down/" "http://127.0.0.1:{closed_port}/" retry=0
ProxyPass "/override/" "http://127.0.0.1:{fake_port}/"
ProxyPass "/" "http://127.0.0.1:{fake_port}/"
ProxyPassReverse "/" "http://127.0.0.1:{fake_port}/"
"""


def setup_module():
    global fake, gateway
    fake = harness.FakeApiServer(token=TOKEN, name="fake-faults").start()
    gateway = harness.Httpd(gateway_config(fake.port, harness.free_port()), name="faults")
    gateway.start()


def teardown_module():
    harness.stop_servers(gateway, fake)


def get(path, origin=None, server=None, timeout=15.0):
    headers = [("Authorization", BEARER)]
    if origin is not None:
        headers.insert(0, ("Origin", origin))
    return (server or gateway).request("GET", path, headers, timeout=timeout)


def assert_cors(response, outcome, origin=None):
    problems = harness.cors_wire_problems(response, outcome, origin)
    check(not problems, "; ".join(problems), response)


def assert_status(response, allowed):
    check(response.status in allowed, "status %d, expected one of %s" % (response.status, allowed),
          response)


# ---- upstream down, slow, broken ------------------------------------------------------


def test_upstream_refusing_connections_allowed_origin_gets_cors():
    """Connection refused: httpd's 503 (or 502) still carries exactly one ACAO, ACAC
    and Expose-Headers plus Vary: Origin, so the browser can read the status."""
    response = get("/down" + API_PATH, APP)
    assert_status(response, (502, 503))
    assert_cors(response, harness.CORS_ALLOWED_ACTUAL, APP)


def test_upstream_refusing_connections_denied_origin_gets_none():
    """Connection refused for a denied origin: the error page has no Access-Control-*
    header, only Vary: Origin; without Origin, no Access-Control-* either."""
    response = get("/down" + API_PATH, EVIL)
    assert_status(response, (502, 503))
    assert_cors(response, harness.CORS_DENIED)
    response = get("/down" + API_PATH)
    assert_status(response, (502, 503))
    assert_cors(response, harness.CORS_NONE)


def test_preflight_needs_no_upstream():
    """A preflight to a path whose upstream is down is still answered 204 by httpd."""
    response = gateway.request("OPTIONS", "/down" + API_PATH, [
        ("Origin", APP), ("Access-Control-Request-Method", "DELETE"),
        ("Access-Control-Request-Headers", "authorization")])
    check(response.status == 204, "status %d" % response.status, response)
    assert_cors(response, harness.CORS_ALLOWED_PREFLIGHT, APP)


def test_upstream_timeout_allowed_origin_gets_cors():
    """The API server answers after 10 s, ProxyTimeout is 2 s: httpd gives up after
    about 2 s with its gateway error and the allowed origin's CORS headers. httpd
    2.4.71 answers a read timeout with 502 (AH01102, "(70007)The timeout specified
    has expired"), older 2.4 releases with 504: both are accepted, the timing and
    the log line are checked."""
    offset = gateway.error_log_size()
    started = time.monotonic()
    response = get(API_PATH + "/slow?seconds=10", APP)
    elapsed = time.monotonic() - started
    assert_status(response, (502, 504))
    assert_cors(response, harness.CORS_ALLOWED_ACTUAL, APP)
    check(PROXY_TIMEOUT_SECONDS - 0.2 <= elapsed < PROXY_TIMEOUT_SECONDS + 3,
          "answered after %.1f s with ProxyTimeout %d" % (elapsed, PROXY_TIMEOUT_SECONDS), response)
    log = gateway.error_log_since(offset)
    check("(70007)" in log and "AH01102" in log, "no read-timeout line in the log:\n" + log)


def test_upstream_timeout_denied_origin_gets_none():
    """The same timeout for a denied origin: no Access-Control-* header, Vary: Origin."""
    response = get(API_PATH + "/slow?seconds=10", EVIL)
    assert_status(response, (502, 504))
    assert_cors(response, harness.CORS_DENIED)


def test_upstream_garbage_gets_cors_on_502():
    """An upstream that answers with something that is not HTTP: 502 with CORS for
    an allowed origin, none for a denied one. Over HTTP/2 httpd answers 500
    from mod_http2, which no module sees (harness.broken_backend_status)."""
    response = get(API_PATH + "/garbage", APP)
    assert_status(response, (harness.broken_backend_status(),))
    assert_cors(response, harness.CORS_NONE if gateway.http2 else harness.CORS_ALLOWED_ACTUAL,
                APP)
    response = get(API_PATH + "/garbage", EVIL)
    assert_status(response, (harness.broken_backend_status(),))
    assert_cors(response, harness.CORS_NONE if gateway.http2 else harness.CORS_DENIED)


def test_upstream_500_with_and_without_error_override():
    """The API server's 500 keeps CORS headers, both passed through and replaced by
    httpd's own page (ProxyErrorOverride On)."""
    for prefix in ("", "/override"):
        response = get(prefix + API_PATH + "/broken", APP)
        assert_status(response, (500,))
        assert_cors(response, harness.CORS_ALLOWED_ACTUAL, APP)
        response = get(prefix + API_PATH + "/broken", EVIL)
        assert_status(response, (500,))
        assert_cors(response, harness.CORS_DENIED)


def test_upstream_401_with_error_override_keeps_cors():
    """A 401 from the API server replaced by httpd's page (ProxyErrorOverride On)
    still carries the allowed origin's CORS headers."""
    response = gateway.request("GET", "/override" + API_PATH, [("Origin", APP)])
    assert_status(response, (401,))
    assert_cors(response, harness.CORS_ALLOWED_ACTUAL, APP)


# ---- an upstream with its own CORS ----------------------------------------------------


class UpstreamCors:
    """The fake answers like kube-apiserver --cors-allowed-origins=.* meanwhile."""

    def __enter__(self):
        fake.set_cors([".*"])

    def __exit__(self, *exc):
        fake.set_cors(None)


def test_upstream_cors_headers_exactly_once_on_every_status():
    """With the API server sending its own ACAO/ACAC/ACAM/ACAH/ACEH, an allowed
    origin gets exactly one of ours on 200, 401, 404, 500 and a proxied OPTIONS
    (which kube answers 204 itself), and none of kube's preflight-only headers."""
    cases = [
        ("GET", API_PATH, BEARER, 200),
        ("GET", API_PATH, None, 401),
        ("GET", API_PATH + "/nope", BEARER, 404),
        ("GET", API_PATH + "/broken", BEARER, 500),
        ("OPTIONS", API_PATH, BEARER, 204),
    ]
    problems = []
    with UpstreamCors():
        direct = fake.request("GET", API_PATH, {"Origin": APP, "Authorization": BEARER})
        check(len(direct.header_values(harness.ACAO)) == 1, "the fake sent no CORS", direct)
        for method, path, authorization, status in cases:
            headers = [("Origin", APP)]
            if authorization:
                headers.append(("Authorization", authorization))
            response = gateway.request(method, path, headers)
            found = harness.cors_wire_problems(response, harness.CORS_ALLOWED_ACTUAL, APP)
            if response.status != status:
                found.append("status %d, expected %d" % (response.status, status))
            if found:
                problems.append("%s %s: %s" % (method, path, "; ".join(found)))
    check(not problems, "\n".join(problems))


def test_upstream_cors_headers_removed_for_denied_and_absent_origins():
    """The API server's CORS headers never reach a denied origin (kube reflects any
    origin with .*), nor a request the module does not treat as CORS (no Origin)."""
    with UpstreamCors():
        response = get(API_PATH, EVIL)
        assert_status(response, (200,))
        assert_cors(response, harness.CORS_DENIED)
        response = get(API_PATH, "null")
        assert_cors(response, harness.CORS_DENIED)


def test_upstream_cors_headers_on_watch_exactly_once():
    """A watch stream from a kube that does its own CORS: exactly one ACAO on the
    stream's headers, and the first event still arrives promptly."""
    with UpstreamCors():
        with gateway.stream("GET", API_PATH + "?watch=1&events=1",
                            {"Origin": APP, "Authorization": BEARER}, timeout=10) as response:
            acao = response.header_values(harness.ACAO)
            acac = response.header_values(harness.ACAC)
            check(acao == [APP] and acac == ["true"], "watch headers: ACAO %r ACAC %r" % (acao, acac))
            body = response.read_all()
            check(b"ADDED" in body, "no event: %r" % body[:200])


# ---- graceful restarts under load ----------------------------------------------------

RESTART_MPM = ("StartServers 2", "ServerLimit 16", "ThreadsPerChild 16", "MaxRequestWorkers 64",
               "MinSpareThreads 16", "MaxSpareThreads 48")
RESTARTS = 5
RESTART_INTERVAL_SECONDS = 2.0
LOAD_THREADS = 4
MAX_REQUESTS_PER_THREAD = 3000  # the load loop is bounded whatever happens
WATCHES = 3
WATCH_EVENTS = 4  # one at once, then one every 5 s: a watch outlives all restarts


def restart_config(fake_port, extra_origins=""):
    return f"""\
<Location "/">
{POLICY}{extra_origins}</Location>
ProxyPass "/" "http://127.0.0.1:{fake_port}/"
ProxyPassReverse "/" "http://127.0.0.1:{fake_port}/"
"""


class LoadLoop:
    """Threads sending a bounded mix of requests, each checked against the policy
    in force: APP allowed (actual and preflight), EVIL denied, no Origin plain,
    NEW denied until the policy flips, then allowed."""

    def __init__(self, server):
        self.server = server
        self.stop = threading.Event()
        self.new_allowed_since = None  # set by the test once the flip is seen
        self.lock = threading.Lock()
        self.sent = 0
        self.failures = []
        self.new_denied_after_flip = []
        self.threads = [threading.Thread(target=self.run, args=(index,), daemon=True)
                        for index in range(LOAD_THREADS)]

    def record_failure(self, text):
        with self.lock:
            if len(self.failures) < 20:
                self.failures.append(text)

    def one(self, kind):
        server = self.server
        if kind == "app":
            response = server.request("GET", "/version", [("Origin", APP)], timeout=20)
            return response, harness.CORS_ALLOWED_ACTUAL, APP, 200
        if kind == "preflight":
            response = server.request("OPTIONS", API_PATH, [
                ("Origin", APP), ("Access-Control-Request-Method", "GET"),
                ("Access-Control-Request-Headers", "authorization")], timeout=20)
            return response, harness.CORS_ALLOWED_PREFLIGHT, APP, 204
        if kind == "evil":
            response = server.request("GET", "/version", [("Origin", EVIL)], timeout=20)
            return response, harness.CORS_DENIED, None, 200
        if kind == "plain":
            response = server.request("GET", API_PATH, [("Authorization", BEARER)], timeout=20)
            return response, harness.CORS_NONE, None, 200
        started = time.monotonic()
        response = server.request("GET", "/version", [("Origin", NEW)], timeout=20)
        allowed = bool(response.header_values(harness.ACAO))
        flipped = self.new_allowed_since
        if flipped is not None and started > flipped + 1.0 and not allowed:
            with self.lock:
                self.new_denied_after_flip.append(started - flipped)
        outcome = harness.CORS_ALLOWED_ACTUAL if allowed else harness.CORS_DENIED
        return response, outcome, NEW if allowed else None, 200

    def run(self, index):
        kinds = ("app", "preflight", "evil", "plain", "new")
        for number in range(MAX_REQUESTS_PER_THREAD):
            if self.stop.is_set():
                return
            kind = kinds[(number + index) % len(kinds)]
            try:
                response, outcome, origin, status = self.one(kind)
            except Exception as error:  # a refused or reset connection is a failure
                self.record_failure("%s: %s: %s" % (kind, type(error).__name__, error))
                continue
            finally:
                with self.lock:
                    self.sent += 1
            problems = harness.cors_wire_problems(response, outcome, origin)
            if response.status != status:
                problems.append("status %d, expected %d" % (response.status, status))
            if problems:
                self.record_failure("%s: %s" % (kind, "; ".join(problems)))

    def start(self):
        for thread in self.threads:
            thread.start()
        return self

    def finish(self):
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=60)


class Watch(threading.Thread):
    """One watch through the gateway, read to its end."""

    def __init__(self, server):
        super().__init__(daemon=True)
        self.server = server
        self.events = []
        self.acao = None
        self.error = None
        self.ended_cleanly = False

    def run(self):
        response = None
        try:
            response = self.server.stream("GET", "%s?watch=1&events=%d" % (API_PATH, WATCH_EVENTS),
                                          {"Origin": APP, "Authorization": BEARER}, timeout=30)
            self.acao = response.header_values(harness.ACAO)
            buffer = b""
            while True:
                data = response.read_some()
                if not data:
                    break
                buffer += data
                while b"\n" in buffer:
                    line, buffer = buffer.split(b"\n", 1)
                    self.events.append(json.loads(line))
            self.ended_cleanly = response.complete() or not buffer
        except Exception as error:
            self.error = "%s: %s" % (type(error).__name__, error)
        finally:
            if response is not None:
                response.close()


def generations_seen(server):
    return server.error_log().count("resuming normal operations")


def wait_for_generation(server, count, timeout=10.0):
    return harness.wait_until(lambda: generations_seen(server) >= count, timeout)


def test_graceful_restarts_under_load_with_watches_and_policy_change():
    """Five graceful restarts 2 s apart (-k graceful and SIGUSR1 alternately) while
    4 threads send a bounded mix of requests and 3 watches stay open: no non-watch
    request fails or gets wrong CORS headers, every watch delivers all its events
    with its ACAO, an origin added to the configuration before the third restart is
    allowed for new requests after it, and no child crashes."""
    server = harness.Httpd(restart_config(fake.port), name="restarts", mpm_lines=RESTART_MPM)
    server.start()
    try:
        generation = generations_seen(server)
        watches = [Watch(server) for _ in range(WATCHES)]
        for watch in watches:
            watch.start()
        load = LoadLoop(server).start()
        time.sleep(1.0)
        for restart in range(1, RESTARTS + 1):
            if restart == 3:
                server.write_config(restart_config(
                    fake.port, "    K8sCorsAllowOrigin %s\n" % NEW))
            if restart % 2:
                status, output = server.graceful()
                check(status == 0, "httpd -k graceful failed (%d):\n%s" % (status, output))
            else:
                os.kill(server.parent_pid(), signal.SIGUSR1)
            generation += 1
            check(wait_for_generation(server, generation),
                  "restart %d: no new generation within 10 s" % restart)
            if restart == 3:
                allowed = harness.wait_until(lambda: server.request(
                    "GET", "/version", [("Origin", NEW)]).header_values(harness.ACAO), 5.0)
                check(allowed, "the added origin is not allowed 5 s after the restart")
                load.new_allowed_since = time.monotonic()
                for _ in range(20):
                    response = server.request("GET", "/version", [("Origin", NEW)])
                    problems = harness.cors_wire_problems(response, harness.CORS_ALLOWED_ACTUAL, NEW)
                    check(not problems, "new origin after the restart: %s" % problems, response)
            time.sleep(RESTART_INTERVAL_SECONDS)
        load.finish()
        for watch in watches:
            watch.join(timeout=30)
        check(load.sent > 100, "only %d requests were sent" % load.sent)
        check(not load.failures, "%d requests failed or were wrong, first ones:\n%s"
              % (len(load.failures), "\n".join(load.failures)))
        check(not load.new_denied_after_flip,
              "the added origin was denied %d times more than 1 s after the flip"
              % len(load.new_denied_after_flip))
        for number, watch in enumerate(watches):
            check(watch.error is None, "watch %d failed: %s" % (number, watch.error))
            check(watch.acao == [APP], "watch %d ACAO: %r" % (number, watch.acao))
            check(len(watch.events) == WATCH_EVENTS, "watch %d got %d of %d events"
                  % (number, len(watch.events), WATCH_EVENTS))
        crashes = server.crash_lines(0)
        check(not crashes, "crash lines:\n" + "\n".join(crashes))
        print("    graceful restarts: %d requests under load, %d watches complete"
              % (load.sent, len(watches)))
    finally:
        server.stop()


def test_reload_with_invalid_configuration_keeps_old_policy():
    """A reload with a broken configuration (a regex that does not compile, `*`
    with credentials) is refused by httpd -k graceful, naming the problem; the
    running server keeps its old policy and keeps answering."""
    server = harness.Httpd(restart_config(fake.port, "    K8sCorsAllowOrigin %s\n" % NEW),
                           name="bad-reload", mpm_lines=RESTART_MPM)
    server.start()
    try:
        good_config = server.config_text
        broken = [
            ('    K8sCorsAllowOrigin https://added.example.com\n'
             '    K8sCorsAllowOriginRegex "https://(unclosed"\n', "invalid regular expression"),
            ('    K8sCorsAllowOrigin https://added.example.com\n'
             '    K8sCorsAllowOrigin *\n', "credentials"),
        ]
        for extra, expected_text in broken:
            server.write_config(restart_config(fake.port, extra))
            status, output = server.configtest()
            check(status != 0, "httpd -t accepted the broken configuration:\n" + output)
            status, output = server.graceful()
            check(status != 0, "httpd -k graceful accepted a broken configuration:\n" + output)
            check(expected_text in output, "the refusal does not say %r:\n%s" % (expected_text, output))
            time.sleep(0.5)
            check(server.process.poll() is None, "httpd exited after the refused reload")
            for origin, outcome in ((NEW, harness.CORS_ALLOWED_ACTUAL),
                                    (APP, harness.CORS_ALLOWED_ACTUAL),
                                    ("https://added.example.com", harness.CORS_DENIED)):
                response = server.request("GET", "/version", [("Origin", origin)])
                problems = harness.cors_wire_problems(
                    response, outcome, origin if outcome != harness.CORS_DENIED else None)
                check(response.status == 200 and not problems,
                      "after the refused reload, %s: %s" % (origin, problems), response)
        server.conf_path.write_text(good_config)
        crashes = server.crash_lines(0)
        check(not crashes, "crash lines:\n" + "\n".join(crashes))
    finally:
        server.stop()


def test_faults_left_no_crash():
    """After every fault, the fault gateway's log shows no crash or child exit."""
    response = get("/version", APP)
    check(response.status == 200, "the gateway does not answer", response)
    crashes = gateway.crash_lines(0)
    check(not crashes, "crash lines:\n" + "\n".join(crashes))
