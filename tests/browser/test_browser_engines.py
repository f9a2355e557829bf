"""The engine of the run (browsers.py) does what the console's tests and
the oracle rely on: the test host names it was given reach loopback and no
other name does, the machine's /etc/hosts stays as it was, the test CA's
certificates are accepted, scripts evaluate as in a console (statements,
awaited promises, errors raised), and a blocked cross-origin fetch() is a
network error.

One small TLS server (Python, certificate from a test CA made here) on
127.0.0.1 serves a page on https://page.engines.test:P and answers CORS
requests for https://api.engines.test:P from that page's origin only.
"""

import hashlib
import json
import struct
import zlib
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import harness
import browsers
import console_fixtures as fx

NAMES = ("page.engines.test", "api.engines.test")
UNMAPPED = "unmapped.engines.test"
state = {}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # noqa: A002
        pass

    def do_GET(self):  # noqa: N802
        self.server.requests.append((self.headers.get("Host"), self.path))
        if self.path == "/":
            body, kind = b"<!doctype html><title>engines</title><p id=p>page</p>", "text/html"
        else:
            body, kind = json.dumps({"path": self.path}).encode(), "application/json"
        self.send_response(200)
        self.send_header("Content-Type", kind)
        origin = self.headers.get("Origin")
        if origin and self.path == "/allowed" and origin == state["page"]:
            self.send_header("Access-Control-Allow-Origin", origin)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def hosts_digest():
    return hashlib.sha256(Path("/etc/hosts").read_bytes()).hexdigest()


def setup_module():
    engine = browsers.selected()
    if not browsers.installed(engine):
        raise harness.HarnessError("%s is not installed (scripts/install-deps.sh --test installs "
                                   "%s)" % (engine, browsers.install_hint(engine)))
    certs = fx.Certificates(harness.make_private_dir("certs"))
    cert, key = certs.issue("engines", ",".join("DNS:" + n for n in NAMES + (UNMAPPED,)))
    server = fx.TlsApiServer(cert, key)
    server.RequestHandlerClass = _Handler
    server.start()
    state.update(server=server, hosts=hosts_digest(),
                 page="https://%s:%d" % (NAMES[0], server.port),
                 api="https://%s:%d" % (NAMES[1], server.port))
    state["engine"] = browsers.open_engine(engine, NAMES, harness.work_dir())
    state["engine"].page.navigate(state["page"] + "/")


def teardown_module():
    if state.get("engine") is not None:
        state["engine"].close()
    if state.get("server") is not None:
        state["server"].stop()


def test_the_given_names_reach_loopback_over_tls_from_the_test_ca():
    page = state["engine"].page
    assert page.evaluate("location.origin") == state["page"]
    assert page.evaluate("document.getElementById('p').textContent") == "page"
    assert (NAMES[0] + ":%d" % state["server"].port, "/") in state["server"].requests


def test_other_names_do_not_resolve_and_etc_hosts_is_untouched():
    page = state["engine"].page
    url = "https://%s:%d/allowed" % (UNMAPPED, state["server"].port)
    before = len(state["server"].requests)
    result = page.evaluate("fetch(%s).then(() => 'reached', (e) => 'failed')" % json.dumps(url),
                           timeout=60)
    assert result == "failed", result
    # Only requests for the unmapped name count: the page's own favicon
    # request may arrive meanwhile.
    reached = [request for request in state["server"].requests[before:]
               if (request[0] or "").split(":")[0] == UNMAPPED]
    assert not reached, reached
    assert hosts_digest() == state["hosts"], "/etc/hosts changed"


def test_scripts_evaluate_as_in_a_console():
    page = state["engine"].page
    assert page.evaluate("const a = 'x;y'; const b = [1, {c: null, d: 'e'}]; [a, b]") == \
        ["x;y", [1, {"c": None, "d": "e"}]]
    assert page.evaluate("new Promise((done) => setTimeout(() => done(42), 50))") == 42
    assert page.evaluate("document.title = 'set'; document.title") == "set"
    try:
        page.evaluate("Promise.reject(new Error('expected failure'))")
    except Exception as error:  # noqa: BLE001 - each driver has its own error class
        assert "expected failure" in str(error), error
    else:
        raise AssertionError("a rejected promise was not reported")


def test_cors_decides_the_fetch():
    page = state["engine"].page
    allowed = page.evaluate("fetch(%s).then((r) => r.json())" % json.dumps(state["api"] + "/allowed"))
    assert allowed == {"path": "/allowed"}, allowed
    blocked = page.evaluate("fetch(%s).then(() => 'read', (e) => e.name)"
                            % json.dumps(state["api"] + "/other"))
    assert blocked == "TypeError", blocked
    # The request went out; the browser withheld the answer.
    assert (NAMES[1] + ":%d" % state["server"].port, "/other") in state["server"].requests


def png_pixels(data):
    """(width, height, the decompressed scanlines) of a PNG."""
    assert data.startswith(b"\x89PNG\r\n\x1a\n"), data[:16]
    width, height = struct.unpack(">II", data[16:24])
    offset, compressed = 8, b""
    while offset < len(data):
        length = struct.unpack(">I", data[offset:offset + 4])[0]
        if data[offset + 4:offset + 8] == b"IDAT":
            compressed += data[offset + 8:offset + 8 + length]
        offset += 12 + length
    return width, height, zlib.decompress(compressed)


def test_screenshot_shows_the_page():
    page = state["engine"].page
    for name, take in (("page", lambda path: page.screenshot(path)),
                       ("element", lambda path: page.screenshot_of("#p", path))):
        path = harness.make_private_dir("shots") / (name + ".png")
        take(path)
        width, height, pixels = png_pixels(path.read_bytes())
        # The text's anti-aliased edges on the page's white: many values,
        # not a blank (or black) picture.
        assert width >= 300 and height >= 10 and len(set(pixels)) > 8, (
            name, width, height, len(set(pixels)))
