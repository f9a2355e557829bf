#!/usr/bin/python3
"""A small fake kube-apiserver for the mod_k8s_cors integration tests and demo.

It answers like kube-apiserver on the few paths the tests and the demo use:

  GET /version, /healthz, /livez, /readyz   no authentication needed
  /api/...  /apis/...  (everything else)    needs "Authorization: Bearer TOKEN",
                                            else 401 with a kube Status JSON
  GET /api/v1/namespaces                    NamespaceList (default, kube-system,
                                            kube-public)
  GET /api/v1/namespaces?watch=1&events=N   chunked watch stream: one event at
                                            once, then one every 5 seconds, N in
                                            all (default 3)
  GET /api/v1/namespaces/NAME               one Namespace, or 404
  GET /api/v1/namespaces/broken             500 Status JSON (InternalError)
  GET /api/v1/namespaces/garbage            a line that is not HTTP, then the
                                            connection is closed
  GET /api/v1/namespaces/slow?seconds=N     waits N seconds (default 10), then 200
  GET /api/v1/namespaces/NS/pods/P/exec     (also attach, portforward) a WebSocket
                                            upgrade (RFC 6455): 101 with
                                            Sec-WebSocket-Accept and the first
                                            offered v*.channel.k8s.io (or
                                            *.portforward.k8s.io) subprotocol,
                                            then every data frame is echoed back
                                            until a close frame; without
                                            "Upgrade: websocket" 400. The bearer
                                            token may also come as kube's
                                            subprotocol
                                            base64url.bearer.authorization.k8s.io.<token>
  POST, PUT, PATCH, DELETE                  201 (POST) or 200 JSON echo of what
                                            was done; the body is read and dropped

With --cors-allowed-origins it also behaves like kube-apiserver's own CORS
filter (--cors-allowed-origins): an Origin matched by one of the regular
expressions gets Access-Control-* headers, and an OPTIONS from it is answered
204 before authentication.

Every request received on the API port is counted. The control port (plain
HTTP on 127.0.0.1) serves:

  GET  /stats                     {"total": N, "by_method": {...}, "by_path": {...},
                                   "by_request": {"METHOD /path": N, ...; a CORS
                                   preflight as "OPTIONS /path (preflight)"},
                                   "websocket_upgrades": N, "websocket_frames": N}
  POST /reset                     zero the counters
  POST /cors?origins=LIST         switch kube-style CORS on with a comma-separated
                                  list of regular expressions (URL-encoded);
                                  an empty list switches it off
  GET  /cors                      the current list

Both servers listen on 127.0.0.1 only. SIGTERM or SIGINT shuts it down cleanly
(the pid file is removed).
"""

import argparse
import base64
import hashlib
import json
import os
import re
import signal
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOOPBACK = "127.0.0.1"
DEFAULT_TOKEN = "demo-token"
WATCH_EVENT_INTERVAL_SECONDS = 5.0
DEFAULT_WATCH_EVENTS = 3

KUBE_CORS_ALLOW_METHODS = "POST, GET, OPTIONS, PUT, DELETE, PATCH"
KUBE_CORS_ALLOW_HEADERS = ("Content-Type, Content-Length, Accept-Encoding, X-CSRF-Token, "
                           "Authorization, X-Requested-With, If-Modified-Since")
KUBE_CORS_EXPOSE_HEADERS = "Date"

PUBLIC_PATHS = ("/version", "/healthz", "/livez", "/readyz")
# Public paths whose answers carry CORS headers of the API server's own, in
# odd case and duplicated, whatever the request: a gateway must remove them.
UPSTREAM_CORS_HEADERS = (
    ("Access-Control-Allow-Origin", "https://upstream.example"),
    ("access-control-allow-origin", "*"),
    ("ACCESS-CONTROL-ALLOW-CREDENTIALS", "true"),
    ("Access-Control-Allow-Methods", "GET, PURGE"),
    ("Access-Control-Expose-Headers", "X-Secret"),
    ("Access-Control-Max-Age", "86400"),
    ("Access-Control-Future-Extension", "yes"),
)
CORS_HEADERS_PATH = "/edge/upstream-cors-headers"
EARLY_HINTS_PATH = "/edge/early-hints"

NAMESPACE_NAMES = ("default", "kube-system", "kube-public")
GARBAGE_LINE = b"this is not an HTTP response \x00\x01\x02 garbage\r\n"
DEFAULT_SLOW_SECONDS = 10.0
WEBSOCKET_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
WEBSOCKET_BEARER_PREFIX = "base64url.bearer.authorization.k8s.io."
STREAM_SUBRESOURCE = re.compile(r"^/api/v1/namespaces/[^/]+/pods/[^/]+/(exec|attach|portforward)$")
MAX_WEBSOCKET_PAYLOAD = 1 << 20

VERSION_INFO = {
    "major": "1",
    "minor": "30",
    "gitVersion": "v1.30.0-fake",
    "gitCommit": "0000000000000000000000000000000000000000",
    "gitTreeState": "clean",
    "buildDate": "2024-01-01T00:00:00Z",
    "goVersion": "go1.22.0",
    "compiler": "gc",
    "platform": "linux/amd64",
}


def compact_json(value):
    """Serializes like kube-apiserver: no spaces."""
    return json.dumps(value, separators=(",", ":")).encode("utf-8")


def kube_status(code, reason, message):
    """A kube metav1.Status failure object."""
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }


def namespace_object(name, index):
    """One v1.Namespace as kube-apiserver serializes it."""
    return {
        "kind": "Namespace",
        "apiVersion": "v1",
        "metadata": {
            "name": name,
            "uid": "00000000-0000-4000-8000-%012d" % (index + 1),
            "resourceVersion": str(10 + index),
            "creationTimestamp": "2024-01-01T00:00:00Z",
            "labels": {"kubernetes.io/metadata.name": name},
        },
        "spec": {"finalizers": ["kubernetes"]},
        "status": {"phase": "Active"},
    }


def namespace_list():
    """The v1.NamespaceList served for GET /api/v1/namespaces."""
    items = []
    for index, name in enumerate(NAMESPACE_NAMES):
        item = namespace_object(name, index)
        del item["kind"], item["apiVersion"]
        items.append(item)
    return {"kind": "NamespaceList", "apiVersion": "v1",
            "metadata": {"resourceVersion": "100"}, "items": items}


def watch_event(sequence):
    """The sequence-th event of a namespace watch: ADDED for each namespace
    first, then MODIFIED ones, round-robin."""
    index = sequence % len(NAMESPACE_NAMES)
    event_type = "ADDED" if sequence < len(NAMESPACE_NAMES) else "MODIFIED"
    namespace = namespace_object(NAMESPACE_NAMES[index], index)
    namespace["metadata"]["resourceVersion"] = str(100 + sequence)
    return {"type": event_type, "object": namespace}


def websocket_frame(opcode, payload, mask_key=None):
    """One final WebSocket frame; masked when mask_key (4 bytes) is given
    (clients must mask, servers must not)."""
    header = bytearray([0x80 | opcode])
    mask_bit = 0x80 if mask_key else 0
    length = len(payload)
    if length < 126:
        header.append(mask_bit | length)
    elif length < 65536:
        header.append(mask_bit | 126)
        header += length.to_bytes(2, "big")
    else:
        header.append(mask_bit | 127)
        header += length.to_bytes(8, "big")
    if mask_key:
        header += mask_key
        payload = bytes(byte ^ mask_key[index % 4] for index, byte in enumerate(payload))
    return bytes(header) + payload


def read_websocket_frame(stream):
    """Reads one frame from a file-like stream; returns (opcode, unmasked
    payload) or None at end of stream. Fragments are returned one by one."""
    head = stream.read(2)
    if len(head) < 2:
        return None
    opcode = head[0] & 0x0F
    masked = head[1] & 0x80
    length = head[1] & 0x7F
    if length == 126:
        length = int.from_bytes(stream.read(2), "big")
    elif length == 127:
        length = int.from_bytes(stream.read(8), "big")
    if length > MAX_WEBSOCKET_PAYLOAD:
        raise ValueError("WebSocket frame of %d bytes" % length)
    mask_key = stream.read(4) if masked else b""
    payload = stream.read(length) if length else b""
    if len(payload) < length or (masked and len(mask_key) < 4):
        return None
    if masked:
        payload = bytes(byte ^ mask_key[index % 4] for index, byte in enumerate(payload))
    return opcode, payload


class FakeState:
    """What both ports share: the counters and the kube-style CORS setting."""

    def __init__(self, token, cors_patterns):
        self.token = token
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._cors_patterns = []
        self._cors_texts = []
        self.set_cors(cors_patterns)
        self.reset()

    def reset(self):
        with self._lock:
            self._total = 0
            self._by_method = {}
            self._by_path = {}
            self._by_request = {}
            self._websocket_upgrades = 0
            self._websocket_frames = 0

    def count_websocket(self, upgrades=0, frames=0):
        with self._lock:
            self._websocket_upgrades += upgrades
            self._websocket_frames += frames

    def count(self, method, path, preflight=False):
        with self._lock:
            self._total += 1
            self._by_method[method] = self._by_method.get(method, 0) + 1
            self._by_path[path] = self._by_path.get(path, 0) + 1
            request = method + " " + path + (" (preflight)" if preflight else "")
            self._by_request[request] = self._by_request.get(request, 0) + 1

    def stats(self):
        with self._lock:
            return {"total": self._total, "by_method": dict(self._by_method),
                    "by_path": dict(self._by_path),
                    "by_request": dict(self._by_request),
                    "websocket_upgrades": self._websocket_upgrades,
                    "websocket_frames": self._websocket_frames}

    def set_cors(self, patterns):
        """Compiles and installs the list; raises re.error on a bad pattern."""
        texts = [p.strip() for p in patterns if p.strip()]
        compiled = [re.compile(text) for text in texts]
        with self._lock:
            self._cors_texts = texts
            self._cors_patterns = compiled

    def cors_texts(self):
        with self._lock:
            return list(self._cors_texts)

    def origin_allowed(self, origin):
        """kube's rule: any pattern found anywhere in a non-empty Origin."""
        if not origin:
            return False
        with self._lock:
            patterns = list(self._cors_patterns)
        return any(pattern.search(origin) for pattern in patterns)


class JsonHandlerBase(BaseHTTPRequestHandler):
    """Shared plumbing: HTTP/1.1 keep-alive, JSON replies, body draining."""

    protocol_version = "HTTP/1.1"
    server_version = "fake-kube-apiserver/1.0"
    timeout = 120  # an idle keep-alive connection's thread ends after this

    def version_string(self):
        return self.server_version

    @property
    def state(self):
        return self.server.state

    def log_message(self, format, *args):  # noqa: A002 (BaseHTTPRequestHandler's name)
        if self.server.verbose:
            super().log_message(format, *args)

    def split_target(self):
        parts = urllib.parse.urlsplit(self.path)
        return parts.path or "/", urllib.parse.parse_qs(parts.query, keep_blank_values=True)

    def drain_body(self):
        """Reads and drops the request body; returns its length in bytes."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            total = 0
            while True:
                size_line = self.rfile.readline(65537)
                size = int(size_line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return total
                self.rfile.read(size)
                self.rfile.readline(65537)
                total += size
        length = int(self.headers.get("Content-Length") or 0)
        remaining = length
        while remaining > 0:
            chunk = self.rfile.read(min(remaining, 65536))
            if not chunk:
                break
            remaining -= len(chunk)
        return length

    def send_json(self, code, value, extra_headers=(), head_only=False):
        body = compact_json(value)
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, header_value in extra_headers:
            self.send_header(name, header_value)
        self.end_headers()
        if not head_only:
            self.wfile.write(body)

    def send_empty(self, code):
        self.send_response(code)
        self.send_header("Content-Length", "0")
        self.end_headers()


class ApiHandler(JsonHandlerBase):
    """The kube-apiserver look-alike on the API port."""

    def parse_request(self):
        if not super().parse_request():
            return False
        path, _ = self.split_target()
        self.state.count(self.command, path, preflight=self.command == "OPTIONS" and
                         "Access-Control-Request-Method" in self.headers)
        return True

    def do_GET(self):
        self.handle_api_request()

    def do_HEAD(self):
        self.handle_api_request()

    def do_POST(self):
        self.handle_api_request()

    def do_PUT(self):
        self.handle_api_request()

    def do_PATCH(self):
        self.handle_api_request()

    def do_DELETE(self):
        self.handle_api_request()

    def do_OPTIONS(self):
        self.handle_api_request()

    # -- the filter chain, in kube-apiserver's order: CORS, authn, handler --

    def handle_api_request(self):
        body_length = self.drain_body()
        path, query = self.split_target()
        self.cors_headers = []
        origin = self.headers.get("Origin", "")
        if self.state.origin_allowed(origin):
            self.cors_headers = [
                ("Access-Control-Allow-Origin", origin),
                ("Access-Control-Allow-Methods", KUBE_CORS_ALLOW_METHODS),
                ("Access-Control-Allow-Headers", KUBE_CORS_ALLOW_HEADERS),
                ("Access-Control-Expose-Headers", KUBE_CORS_EXPOSE_HEADERS),
                ("Access-Control-Allow-Credentials", "true"),
            ]
            if self.command == "OPTIONS":
                self.send_response(204)
                for name, value in self.cors_headers:
                    self.send_header(name, value)
                self.end_headers()
                return

        if path in PUBLIC_PATHS:
            self.serve_public(path)
            return
        if path in (CORS_HEADERS_PATH, EARLY_HINTS_PATH):
            self.serve_upstream_cors(path == EARLY_HINTS_PATH)
            return
        if (self.headers.get("Authorization", "") != "Bearer " + self.state.token
                and not self.websocket_token_valid()):
            self.reply(401, kube_status(401, "Unauthorized", "Unauthorized"))
            return
        self.serve_authenticated(path, query, body_length)

    def websocket_protocols(self):
        offered = ",".join(self.headers.get_all("Sec-WebSocket-Protocol") or [])
        return [name.strip() for name in offered.split(",") if name.strip()]

    def websocket_token_valid(self):
        """kube's browser path: the bearer token as a WebSocket subprotocol."""
        for name in self.websocket_protocols():
            if name.startswith(WEBSOCKET_BEARER_PREFIX):
                encoded = name[len(WEBSOCKET_BEARER_PREFIX):]
                try:
                    token = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
                except ValueError:
                    return False
                return token.decode("utf-8", "replace") == self.state.token
        return False

    def reply(self, code, value):
        self.send_json(code, value, self.cors_headers, head_only=self.command == "HEAD")

    def serve_public(self, path):
        if self.command not in ("GET", "HEAD"):
            self.reply(405, kube_status(405, "MethodNotAllowed",
                                        "the server does not allow this method on the requested resource"))
        elif path == "/version":
            self.reply(200, VERSION_INFO)
        else:
            body = b"ok"
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            for name, value in self.cors_headers:
                self.send_header(name, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

    def serve_upstream_cors(self, early_hints):
        """A 200 (after a 103 Early Hints when asked) with the API server's own
        CORS headers, as a kube-apiserver with --cors-allowed-origins sends."""
        if early_hints:
            head = ["HTTP/1.1 103 Early Hints", "Link: </openapi/v2>; rel=preload"]
            head += ["%s: %s" % pair for pair in UPSTREAM_CORS_HEADERS]
            self.wfile.write(("\r\n".join(head) + "\r\n\r\n").encode("ascii"))
            self.wfile.flush()
        body = b"upstream"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        for name, value in UPSTREAM_CORS_HEADERS:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def serve_authenticated(self, path, query, body_length):
        method = self.command
        if method in ("POST", "PUT", "PATCH", "DELETE"):
            impersonation = {name.lower(): value for name, value in self.headers.items()
                             if name.lower().startswith("impersonate-")}
            # kube-apiserver's response headers a browser client reads: the
            # audit ID of every request, a warning (here: when impersonating).
            extra = [("Audit-Id", "fake-audit-%d" % self.state.stats()["total"])]
            if impersonation:
                extra.append(("Warning", '299 - "impersonation requested"'))
            self.send_json(201 if method == "POST" else 200, {
                "kind": "FakeEcho",
                "apiVersion": "v1",
                "method": method,
                "path": path,
                "query": urllib.parse.urlsplit(self.path).query,
                "contentType": self.headers.get("Content-Type", ""),
                "bodyBytes": body_length,
                "impersonation": impersonation,
            }, self.cors_headers + extra)
            return
        if method not in ("GET", "HEAD"):
            self.reply(405, kube_status(405, "MethodNotAllowed",
                                        "the server does not allow this method on the requested resource"))
            return

        if path == "/api":
            self.reply(200, {"kind": "APIVersions", "versions": ["v1"],
                             "serverAddressByClientCIDRs": [
                                 {"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1:6443"}]})
        elif path == "/api/v1":
            self.reply(200, {"kind": "APIResourceList", "groupVersion": "v1", "resources": [
                {"name": "namespaces", "singularName": "namespace", "namespaced": False,
                 "kind": "Namespace", "verbs": ["create", "delete", "get", "list", "patch",
                                                "update", "watch"], "shortNames": ["ns"]}]})
        elif path == "/apis":
            self.reply(200, {"kind": "APIGroupList", "apiVersion": "v1", "groups": []})
        elif path == "/api/v1/namespaces":
            watch = query.get("watch", [""])[-1].lower()
            if watch in ("1", "true"):
                self.serve_watch(query)
            else:
                self.reply(200, namespace_list())
        elif path == "/api/v1/namespaces/broken":
            self.reply(500, kube_status(500, "InternalError",
                                        "Internal error occurred: the fake apiserver was asked to fail"))
        elif path == "/api/v1/namespaces/garbage":
            self.serve_garbage()
        elif path == "/api/v1/namespaces/slow":
            self.serve_slow(query)
        elif STREAM_SUBRESOURCE.match(path):
            self.serve_websocket()
        elif path.startswith("/api/v1/namespaces/") and path.count("/") == 4:
            name = path.rsplit("/", 1)[1]
            if name in NAMESPACE_NAMES:
                self.reply(200, namespace_object(name, NAMESPACE_NAMES.index(name)))
            else:
                self.reply(404, dict(kube_status(404, "NotFound", 'namespaces "%s" not found' % name),
                                     details={"name": name, "kind": "namespaces"}))
        else:
            self.reply(404, kube_status(404, "NotFound", "the server could not find the requested resource"))

    def serve_watch(self, query):
        """A chunked watch stream, each event flushed as soon as it is written."""
        try:
            event_count = max(1, int(query.get("events", [str(DEFAULT_WATCH_EVENTS)])[-1]))
        except ValueError:
            event_count = DEFAULT_WATCH_EVENTS
        self.close_connection = True
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        # Say so: a proxy that pooled this connection would otherwise reuse it
        # after we close it, and its next request would fail (502).
        self.send_header("Connection", "close")
        for name, value in self.cors_headers:
            self.send_header(name, value)
        self.end_headers()
        if self.command == "HEAD":
            return
        try:
            for sequence in range(event_count):
                if sequence > 0 and self.state.stopping.wait(WATCH_EVENT_INTERVAL_SECONDS):
                    return
                line = compact_json(watch_event(sequence)) + b"\n"
                self.wfile.write(b"%x\r\n%s\r\n" % (len(line), line))
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client went away: a watch ends like that

    def serve_slow(self, query):
        """Answers after a delay, for upstream-timeout tests."""
        try:
            seconds = float(query.get("seconds", [str(DEFAULT_SLOW_SECONDS)])[-1])
        except ValueError:
            seconds = DEFAULT_SLOW_SECONDS
        if self.state.stopping.wait(max(0.0, seconds)):
            self.close_connection = True
            return
        try:
            self.reply(200, namespace_object("slow", len(NAMESPACE_NAMES)))
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the proxy gave up first

    def serve_websocket(self):
        """The server side of an RFC 6455 handshake, then an echo of every
        data frame until a close frame (or the peer goes away)."""
        upgrade = self.headers.get("Upgrade", "").strip().lower()
        connection_tokens = {token.strip().lower()
                             for token in self.headers.get("Connection", "").split(",")}
        key = self.headers.get("Sec-WebSocket-Key", "").strip()
        if upgrade != "websocket" or "upgrade" not in connection_tokens or not key:
            self.reply(400, kube_status(400, "BadRequest", "Upgrade request required"))
            return
        if self.headers.get("Sec-WebSocket-Version", "").strip() != "13":
            self.send_response(426)
            self.send_header("Sec-WebSocket-Version", "13")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        accept = base64.b64encode(hashlib.sha1(key.encode("ascii") + WEBSOCKET_GUID).digest())
        chosen = next((name for name in self.websocket_protocols()
                       if name.endswith(".k8s.io") and not name.startswith(WEBSOCKET_BEARER_PREFIX)),
                      None)
        self.close_connection = True
        self.state.count_websocket(upgrades=1)
        self.send_response(101)
        self.send_header("Upgrade", "websocket")
        self.send_header("Connection", "Upgrade")
        self.send_header("Sec-WebSocket-Accept", accept.decode("ascii"))
        if chosen:
            self.send_header("Sec-WebSocket-Protocol", chosen)
        self.end_headers()
        self.wfile.flush()
        try:
            while True:
                frame = read_websocket_frame(self.rfile)
                if frame is None:
                    return
                opcode, payload = frame
                self.state.count_websocket(frames=1)
                if opcode == 0x8:  # close: echo it, then end
                    self.wfile.write(websocket_frame(0x8, payload[:125]))
                    self.wfile.flush()
                    return
                if opcode == 0x9:  # ping
                    self.wfile.write(websocket_frame(0xA, payload[:125]))
                elif opcode in (0x0, 0x1, 0x2):
                    self.wfile.write(websocket_frame(opcode, payload))
                self.wfile.flush()
        except (OSError, ValueError):
            return

    def serve_garbage(self):
        """Breaks the protocol: a line that is not a status line, then close."""
        self.close_connection = True
        try:
            self.wfile.write(GARBAGE_LINE)
            self.wfile.flush()
        except OSError:
            pass


class ControlHandler(JsonHandlerBase):
    """The control API: counters and the CORS switch."""

    def do_GET(self):
        self.drain_body()
        path, _ = self.split_target()
        if path == "/stats":
            self.send_json(200, self.state.stats())
        elif path == "/cors":
            self.send_json(200, {"origins": self.state.cors_texts()})
        else:
            self.send_json(404, {"error": "unknown control path " + path})

    def do_POST(self):
        self.drain_body()
        path, query = self.split_target()
        if path == "/reset":
            self.state.reset()
            self.send_json(200, self.state.stats())
        elif path == "/cors":
            origins = query.get("origins", [""])[-1]
            try:
                self.state.set_cors(origins.split(","))
            except re.error as error:
                self.send_json(400, {"error": "bad regular expression: %s" % error})
                return
            self.send_json(200, {"origins": self.state.cors_texts()})
        else:
            self.send_json(404, {"error": "unknown control path " + path})


class FakeHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port, handler_class, state, verbose):
        self.state = state
        self.verbose = verbose
        super().__init__((LOOPBACK, port), handler_class)

    def handle_error(self, request, client_address):
        if self.verbose:
            super().handle_error(request, client_address)


def parse_arguments(argv):
    parser = argparse.ArgumentParser(
        prog="fake_apiserver.py",
        description="A fake kube-apiserver on 127.0.0.1 for testing and demonstrating mod_k8s_cors: "
                    "/version without authentication, /api/v1/namespaces (list, watch, write) "
                    "behind a bearer token, error paths (/api/v1/namespaces/broken -> 500, "
                    "/api/v1/namespaces/garbage -> not HTTP, /api/v1/namespaces/slow -> late), "
                    "WebSocket echo on pods/P/exec|attach|portforward, optional kube-style CORS, "
                    "and a control port with request counters.",
        epilog="Control port: GET /stats, POST /reset, POST /cors?origins=REGEX,REGEX (empty: off), "
               "GET /cors. Stops cleanly on SIGTERM or SIGINT.")
    parser.add_argument("--port", type=int, required=True,
                        help="API port on 127.0.0.1 (0: any free port, printed on startup)")
    parser.add_argument("--control-port", type=int, required=True,
                        help="control API port on 127.0.0.1 (0: any free port)")
    parser.add_argument("--token", default=DEFAULT_TOKEN,
                        help="bearer token that /api/... requires (default: %(default)s)")
    parser.add_argument("--cors-allowed-origins", default="", metavar="REGEXLIST",
                        help="comma-separated regular expressions, like kube-apiserver's flag: "
                             "an Origin one of them matches gets kube's CORS headers")
    parser.add_argument("--pidfile", help="write the process id here; removed on shutdown")
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    return parser.parse_args(argv)


def main(argv=None):
    arguments = parse_arguments(sys.argv[1:] if argv is None else argv)
    try:
        state = FakeState(arguments.token, arguments.cors_allowed_origins.split(","))
    except re.error as error:
        print("fake_apiserver: bad --cors-allowed-origins: %s" % error, file=sys.stderr)
        return 2

    stop_requested = threading.Event()

    def request_stop(signum, frame):
        stop_requested.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)

    api_server = FakeHTTPServer(arguments.port, ApiHandler, state, arguments.verbose)
    control_server = FakeHTTPServer(arguments.control_port, ControlHandler, state, arguments.verbose)
    servers = (api_server, control_server)
    threads = [threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2},
                                daemon=True) for server in servers]
    for thread in threads:
        thread.start()
    if arguments.pidfile:
        with open(arguments.pidfile, "w") as pidfile:
            pidfile.write("%d\n" % os.getpid())
    print("fake_apiserver: API on http://%s:%d, control on http://%s:%d"
          % (LOOPBACK, api_server.server_address[1], LOOPBACK, control_server.server_address[1]),
          flush=True)

    try:
        while not stop_requested.wait(1.0):
            pass
    finally:
        state.stopping.set()
        for server in servers:
            server.shutdown()
            server.server_close()
        for thread in threads:
            thread.join(timeout=5)
        if arguments.pidfile:
            try:
                os.unlink(arguments.pidfile)
            except FileNotFoundError:
                pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
