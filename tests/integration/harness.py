"""Fixtures and a tiny runner for the mod_k8s_cors integration tests.

Standard library only. Everything listens on 127.0.0.1, every process is
started here and stopped by its pid.

Environment (all optional):
  K8S_CORS_BUILDDIR  build tree holding mod_k8s_cors/.libs/mod_k8s_cors.so;
                     test artifacts (screenshots) go to $K8S_CORS_BUILDDIR/tests/out/
                     (default: the repository root, two levels above this file)
  HTTPD              httpd binary (default /usr/sbin/apache2)
  HTTPD_MODULEDIR    directory of httpd's own modules (default /usr/lib/apache2/modules)
  K8S_CORS_MODULE    the mod_k8s_cors.so to load (default: the one in K8S_CORS_BUILDDIR),
                     e.g. a sanitizer build (tests/integration/run-asan)
  K8S_CORS_HTTPD_PRELOAD
                     LD_PRELOAD for every httpd this harness runs (e.g. libasan.so,
                     which an ASan-instrumented module needs in an uninstrumented httpd)
  K8S_CORS_TEST_OUTDIR
                     where the servers' roots and logs go (default: a new directory
                     under $TMPDIR or /tmp, mode 0755); every directory above it
                     must be searchable by httpd's User when the tests run as root
  K8S_CORS_KEEP_WORK set to 1 to keep every test module's servers' roots and logs
                     (by default only a failing module's are kept)
  K8S_CORS_TEST_PROTOCOL
                     how the tests talk to httpd: http/1.1 (the default), h2 (HTTP/2
                     over TLS, ALPN, a test CA made at run time) or h2c (HTTP/2 in
                     cleartext with prior knowledge). In h2 and h2c every Httpd loads
                     mod_http2 (and mod_ssl for h2) and says Protocols and
                     H2WebSockets on, and Httpd.request speaks HTTP/2 (h2client.py).
                     Tests marked http1_only are skipped and counted.

Everything a server's children read or execute (configuration includes aside,
which the parent reads as root) is copied into that server's own root, so the
tests pass wherever the checkout lives and whoever owns it (a clone in /root,
mode 0700, included).
"""

import atexit
import base64
import hashlib
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.parse
from pathlib import Path

LOOPBACK = "127.0.0.1"
HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
FAKE_APISERVER_SCRIPT = HERE / "fake_apiserver.py"
DEFAULT_TOKEN = "demo-token"
DEFAULT_LOG_LEVEL = "warn k8s_cors:info"
START_TIMEOUT_SECONDS = 10.0
DEFAULT_MPM_LINES = ("StartServers 1", "ServerLimit 2", "ThreadsPerChild 16",
                     "MaxRequestWorkers 32", "MinSpareThreads 8", "MaxSpareThreads 32")
STOP_TIMEOUT_SECONDS = 15.0

# httpd's modules the generated configuration loads, in load order.
HTTPD_BASE_MODULES = (
    ("mpm_event_module", "mod_mpm_event.so"),
    ("authz_core_module", "mod_authz_core.so"),
    ("authn_core_module", "mod_authn_core.so"),
    ("authn_file_module", "mod_authn_file.so"),
    ("auth_basic_module", "mod_auth_basic.so"),
    ("authz_user_module", "mod_authz_user.so"),
    ("authz_host_module", "mod_authz_host.so"),
    ("proxy_module", "mod_proxy.so"),
    ("proxy_http_module", "mod_proxy_http.so"),
    ("headers_module", "mod_headers.so"),
    ("mime_module", "mod_mime.so"),
    ("log_config_module", "mod_log_config.so"),
)


class HarnessError(Exception):
    """A fixture could not do its job (a server did not start, ...)."""


# ---- the protocol the tests speak to httpd ----------------------------------------

HTTP1 = "http/1.1"
H2 = "h2"    # HTTP/2 over TLS (ALPN)
H2C = "h2c"  # HTTP/2 over cleartext TCP, prior knowledge
PROTOCOLS = (HTTP1, H2, H2C)
HTTP2_MODULES = (("http2_module", "mod_http2.so"),)
TLS_MODULES = (("socache_shmcb_module", "mod_socache_shmcb.so"), ("ssl_module", "mod_ssl.so"))


def suite_protocol():
    """$K8S_CORS_TEST_PROTOCOL: http/1.1 (default), h2 or h2c."""
    protocol = (os.environ.get("K8S_CORS_TEST_PROTOCOL") or HTTP1).lower()
    if protocol in ("http/1.1", "h1", "http1"):
        return HTTP1
    if protocol not in PROTOCOLS:
        raise HarnessError("K8S_CORS_TEST_PROTOCOL=%s: use http/1.1, h2 or h2c" % protocol)
    return protocol


def speaks_http2():
    return suite_protocol() in (H2, H2C)


# Over HTTP/2, httpd's mod_proxy_http counts the h2 stream as a kept-alive
# client connection, so on a garbage status line it ends the request without
# a response (AH01104: the client may retry) instead of answering 502, and
# mod_http2 then answers 500 itself, after the request's filters: no module
# can add headers to it. A browser sees a failed request either way.
def broken_backend_status():
    """httpd's answer when the API server sends a line that is not HTTP."""
    return 500 if speaks_http2() else 502


def upgrade_success_status():
    """What an accepted WebSocket handshake answers: 101 to an HTTP/1.1
    Upgrade, 200 to an HTTP/2 extended CONNECT (RFC 8441 5)."""
    return 200 if speaks_http2() else 101


def http1_only(reason):
    """Marks a test that only means something over HTTP/1.1 (raw framing,
    chunked encoding, the Upgrade header): skipped, and counted, when the
    suite speaks HTTP/2."""
    def mark(function):
        function.http1_only = reason
        return function
    return mark


def http2_only(reason):
    """Marks a test of HTTP/2 itself (extended CONNECT, h2 framing): skipped,
    and counted, when the suite speaks HTTP/1.1."""
    def mark(function):
        function.http2_only = reason
        return function
    return mark


def skip_reason(test):
    """Why test does not run in this protocol mode, or None."""
    if speaks_http2() and getattr(test, "http1_only", None):
        return "HTTP/1.1 only: " + test.http1_only
    if not speaks_http2() and getattr(test, "http2_only", None):
        return "HTTP/2 only: " + test.http2_only
    return None


# ---- locations -----------------------------------------------------------------


def build_dir():
    return Path(os.environ.get("K8S_CORS_BUILDDIR") or REPO_ROOT).resolve()


def httpd_binary():
    return os.environ.get("HTTPD") or "/usr/sbin/apache2"


def httpd_module_dir():
    return Path(os.environ.get("HTTPD_MODULEDIR") or "/usr/lib/apache2/modules")


def k8s_cors_module_path():
    override = os.environ.get("K8S_CORS_MODULE")
    if override:
        return Path(override).resolve()
    return build_dir() / "mod_k8s_cors" / ".libs" / "mod_k8s_cors.so"


def loadable_module_path():
    """The module as an httpd of this run loads it: a copy in the current
    work directory, so that an httpd whose parent runs as another user (the
    pod's user, in the Kubernetes reload tests) can load it wherever the
    checkout lives. Before the module is built: its path, which
    Httpd.check_module_built reports."""
    built = k8s_cors_module_path()
    if not built.exists():
        return built
    copy = work_dir() / "mod_k8s_cors.so"
    if not copy.exists() or copy.stat().st_mtime < built.stat().st_mtime:
        readable_copy(built, copy.name)
    return copy


def httpd_environment():
    """The environment every httpd (and httpd -t, -k) runs with."""
    environment = dict(os.environ)
    preload = os.environ.get("K8S_CORS_HTTPD_PRELOAD")
    if preload:
        environment["LD_PRELOAD"] = preload
    return environment


def output_base():
    """$K8S_CORS_BUILDDIR/tests/out: artifacts a person looks at after a run
    (screenshots), written by the test process itself, never read by httpd."""
    base = build_dir() / "tests" / "out"
    base.mkdir(parents=True, exist_ok=True)
    return base


_server_base = None


def server_base():
    """Where the servers' roots go: $K8S_CORS_TEST_OUTDIR, else one new
    directory per run under $TMPDIR (or /tmp), never the checkout, which may
    sit where httpd's children cannot enter (/root is 0700 on Debian)."""
    global _server_base
    if _server_base is None:
        override = os.environ.get("K8S_CORS_TEST_OUTDIR")
        if override:
            base = Path(override).resolve()
            base.mkdir(parents=True, exist_ok=True)
        else:
            base = Path(tempfile.mkdtemp(prefix="mod_k8s_cors-tests-"))
            atexit.register(_remove_if_empty, base)
        base.chmod(0o755)
        _check_searchable(base)
        _server_base = base
    return _server_base


def _remove_if_empty(path):
    try:
        path.rmdir()
    except OSError:
        pass  # a failing module's files are kept there on purpose


def _check_searchable(path):
    """As root, httpd's children run as another user: every directory above
    path must let others through, or every test fails with a 403."""
    if os.geteuid() != 0:
        return
    for directory in [path, *path.parents]:
        if not directory.stat().st_mode & 0o001:
            raise HarnessError("%s is not searchable by httpd's User (mode %o): set "
                               "K8S_CORS_TEST_OUTDIR or TMPDIR to a directory others can enter"
                               % (directory, directory.stat().st_mode & 0o777))


def readable_copy(source, name=None):
    """A copy of the file or directory source inside the current work
    directory, readable (and, where source is, executable) by httpd's
    children: for the CGI, the console's pages, anything from the checkout."""
    source = Path(source)
    target = work_dir() / (name or source.name)
    if source.is_dir():
        shutil.copytree(source, target, dirs_exist_ok=True)
        for path in [target, *target.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
    else:
        shutil.copyfile(source, target)
        target.chmod(0o755 if os.access(source, os.X_OK) else 0o644)
    return target


_current_work_dir = None


def begin_work_dir(name):
    """A fresh directory for one test module's servers and logs."""
    global _current_work_dir
    _current_work_dir = Path(tempfile.mkdtemp(prefix=name + "-", dir=server_base()))
    _current_work_dir.chmod(0o755)
    return _current_work_dir


def end_work_dir(keep):
    """Deletes the current work directory unless keep; returns its path."""
    global _current_work_dir
    finished, _current_work_dir = _current_work_dir, None
    keep = keep or os.environ.get("K8S_CORS_KEEP_WORK") == "1"
    if finished is not None and not keep:
        shutil.rmtree(finished, ignore_errors=True)
    return finished


def work_dir():
    """Where fixtures put their files: the running module's directory."""
    return _current_work_dir or begin_work_dir("adhoc")


def make_private_dir(prefix):
    """A new directory under work_dir(), readable by httpd's children."""
    path = Path(tempfile.mkdtemp(prefix=prefix + "-", dir=work_dir()))
    path.chmod(0o755)
    return path


# ---- small utilities -----------------------------------------------------------

_handed_out_ports = set()


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now, never the
    same one twice in a run."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind((LOOPBACK, 0))
            port = probe.getsockname()[1]
        if port not in _handed_out_ports:
            _handed_out_ports.add(port)
            return port
    raise HarnessError("no free loopback port found")


def wait_until(predicate, timeout, interval=0.05):
    """Polls predicate until it returns a true value (returned) or timeout
    passes (None is returned)."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() >= deadline:
            return None
        time.sleep(interval)


def htpasswd_sha1_line(user, password):
    """An htpasswd line in the {SHA} format (base64 of the SHA-1 digest)."""
    digest = base64.b64encode(hashlib.sha1(password.encode("utf-8")).digest()).decode("ascii")
    return "%s:{SHA}%s\n" % (user, digest)


def basic_credentials(user, password):
    token = base64.b64encode(("%s:%s" % (user, password)).encode("utf-8")).decode("ascii")
    return "Basic " + token


def read_text(path):
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return ""


# ---- HTTP client -----------------------------------------------------------------


class Response:
    """One HTTP response as it came over the wire."""

    def __init__(self, status, reason, headers, body):
        self.status = status
        self.reason = reason
        self.headers = headers  # [(name, value)], duplicates and order kept
        self.body = body

    def header_values(self, name):
        """Every value of the header name (case-insensitive), in order."""
        wanted = name.lower()
        return [value for header_name, value in self.headers if header_name.lower() == wanted]

    def headers_starting_with(self, prefix):
        """The (name, value) pairs whose name starts with prefix (case-insensitive)."""
        wanted = prefix.lower()
        return [(name, value) for name, value in self.headers if name.lower().startswith(wanted)]

    def vary_tokens(self):
        """The field names in all Vary headers, lower-cased."""
        tokens = set()
        for value in self.header_values("Vary"):
            tokens.update(token.strip().lower() for token in value.split(",") if token.strip())
        return tokens

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def describe(self):
        """Status line, headers and the start of the body, for failure messages."""
        lines = ["%d %s" % (self.status, self.reason)]
        lines += ["%s: %s" % pair for pair in self.headers]
        lines.append("")
        lines.append(self.body[:300].decode("utf-8", "replace"))
        return "\n".join(lines)

    def __repr__(self):
        return "<Response %d, %d headers, %d body bytes>" % (self.status, len(self.headers),
                                                               len(self.body))


def http_request(port, method, path, headers=None, body=None, timeout=15.0):
    """Sends one request on a new connection to 127.0.0.1:port.

    headers is a dict or a list of (name, value) pairs (duplicates are sent
    as given). Nothing is added but Host and, with a body, Content-Length.
    """
    if isinstance(headers, dict):
        header_pairs = list(headers.items())
    else:
        header_pairs = list(headers or [])
    if isinstance(body, str):
        body = body.encode("utf-8")
    names = {name.lower() for name, _ in header_pairs}
    connection = http.client.HTTPConnection(LOOPBACK, port, timeout=timeout)
    try:
        connection.putrequest(method, path, skip_host="host" in names, skip_accept_encoding=True)
        for name, value in header_pairs:
            connection.putheader(name, value)
        if body is not None and "content-length" not in names:
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        response = connection.getresponse()
        data = response.read()
        return Response(response.status, response.reason, response.getheaders(), data)
    finally:
        connection.close()


class ResponseStream:
    """A response read as it arrives, in the suite's protocol: status and
    headers (as received) once constructed; read_some() gives the body's
    next bytes (b"" at its end) and raises TimeoutError when nothing came
    in time; complete() says whether the server ended the response."""

    def __init__(self, server, method, path, headers, timeout):
        pairs = list(headers.items()) if isinstance(headers, dict) else list(headers or [])
        self.timeout = timeout
        self.http2 = server.http2
        if self.http2:
            import h2client
            self.connection = h2client.Connection(server.port, tls=server.protocol == H2,
                                                  timeout=timeout)
            self.stream_id = self.connection.start(method, path, pairs)
            try:
                self.status, self.headers = self.connection.head(self.stream_id)
            except Exception:
                self.connection.close()
                raise
        else:
            self.connection = http.client.HTTPConnection(LOOPBACK, server.port, timeout=timeout)
            try:
                self.connection.request(method, path, headers=dict(pairs))
                self.response = self.connection.getresponse()
            except Exception:
                self.connection.close()
                raise
            self.status, self.headers = self.response.status, self.response.getheaders()

    def header_values(self, name):
        return [value for header_name, value in self.headers if header_name.lower() == name.lower()]

    def read_some(self):
        if self.http2:
            return self.connection.read_some(self.stream_id)
        return self.response.read1(65536)

    def read_all(self):
        if self.http2:
            return self.connection.read_to_end(self.stream_id)
        return self.response.read()

    def complete(self):
        if self.http2:
            return self.connection.ended(self.stream_id)
        return self.response.isclosed()

    def close(self):
        self.connection.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# ---- TLS for the h2 mode ---------------------------------------------------------

_server_certificates = {}


def server_certificate():
    """(cert, key) for 127.0.0.1 and localhost from a test CA made with
    openssl, one per test module's work directory."""
    key = str(work_dir())
    if key not in _server_certificates:
        sys.path.insert(0, str(HERE.parent / "browser"))
        import console_fixtures
        certificates = console_fixtures.Certificates(make_private_dir("test-ca"))
        _server_certificates[key] = certificates.issue("httpd", "IP:127.0.0.1,DNS:localhost")
    return _server_certificates[key]


# ---- processes -----------------------------------------------------------------

_running_servers = []


def stop_all_servers():
    """Stops every server this harness started and that is still running."""
    for server in list(_running_servers):
        try:
            server.stop()
        except Exception:  # keep stopping the others
            traceback.print_exc()


def stop_process(process, timeout=STOP_TIMEOUT_SECONDS):
    """SIGTERM to the process's pid, then SIGKILL if it lingers."""
    if process is None or process.poll() is not None:
        return
    try:
        os.kill(process.pid, signal.SIGTERM)
        process.wait(timeout=timeout)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=timeout)


class FakeApiServer:
    """The fake kube-apiserver (fake_apiserver.py) in a child process."""

    def __init__(self, token=DEFAULT_TOKEN, cors_origins=None, name="fake-apiserver"):
        self.token = token
        self.cors_origins = list(cors_origins or [])
        self.port = free_port()
        self.control_port = free_port()
        self.dir = make_private_dir(name)
        self.log_path = self.dir / "fake-apiserver.log"
        self.pidfile = self.dir / "fake-apiserver.pid"
        self.process = None

    def start(self, timeout=START_TIMEOUT_SECONDS):
        command = [sys.executable, str(FAKE_APISERVER_SCRIPT), "--port", str(self.port),
                   "--control-port", str(self.control_port), "--token", self.token,
                   "--pidfile", str(self.pidfile), "--verbose"]
        if self.cors_origins:
            command += ["--cors-allowed-origins", ",".join(self.cors_origins)]
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log,
                                            stderr=subprocess.STDOUT)
        _running_servers.append(self)
        if not wait_until(self._answers, timeout, interval=0.1):
            exited = self.process.poll()
            self.stop()
            raise HarnessError("fake apiserver did not answer on 127.0.0.1:%d within %.0f s "
                               "(exit status %s); its log:\n%s"
                               % (self.control_port, timeout, exited, read_text(self.log_path)))
        return self

    def _answers(self):
        if self.process.poll() is not None:
            return True  # exited: stop waiting, start() reports it
        try:
            self.stats()
            return True
        except OSError:
            return False

    def stop(self):
        stop_process(self.process)
        if self in _running_servers:
            _running_servers.remove(self)

    def _control(self, method, path):
        response = http_request(self.control_port, method, path, timeout=5.0)
        if response.status != 200:
            raise HarnessError("fake apiserver control %s %s: %s" % (method, path, response.describe()))
        return response.json()

    def stats(self):
        """{"total": N, "by_method": {...}, "by_path": {...}}"""
        return self._control("GET", "/stats")

    def total_requests(self):
        return self.stats()["total"]

    def reset(self):
        return self._control("POST", "/reset")

    def set_cors(self, origins):
        """Switches kube-style CORS on for these regexes; None or [] switches it off."""
        query = urllib.parse.urlencode({"origins": ",".join(origins or [])})
        return self._control("POST", "/cors?" + query)

    def request(self, method, path, headers=None, body=None, timeout=15.0):
        """A request straight to the fake (not through httpd)."""
        return http_request(self.port, method, path, headers, body, timeout)


class Httpd:
    """An httpd with a generated configuration in a fresh ServerRoot.

    The configuration loads httpd's base modules and mod_k8s_cors, listens on
    a free loopback port, and ends with the body the test supplies.
    """

    def __init__(self, body=None, name="httpd", log_level=DEFAULT_LOG_LEVEL, load_k8s_cors=True,
                 mpm_lines=None, access_log=True, protocol=None):
        self.name = name
        self.access_log_enabled = access_log  # False: no CustomLog (load tests)
        self.log_level = log_level
        self.load_k8s_cors = load_k8s_cors
        # Lines inside <IfModule mpm_event_module>; None: DEFAULT_MPM_LINES.
        self.mpm_lines = list(mpm_lines) if mpm_lines is not None else list(DEFAULT_MPM_LINES)
        self.port = free_port()
        self.protocol = protocol or suite_protocol()  # HTTP1, H2 or H2C
        self.http2 = self.protocol in (H2, H2C)
        self.root = make_private_dir(name)
        for subdir in ("conf", "logs", "run", "htdocs"):
            (self.root / subdir).mkdir(mode=0o755)
            (self.root / subdir).chmod(0o755)
        self.conf_path = self.root / "conf" / "httpd.conf"
        self.error_log_path = self.root / "logs" / "error_log"
        self.output_path = self.root / "logs" / "httpd.out"
        self.write_file("conf/mime.types", "application/json json\n")
        self.config_text = None
        self.process = None
        if body is not None:
            self.write_config(body)

    def write_file(self, relative_path, text, mode=0o644):
        """Writes a file under the ServerRoot (readable by httpd's children)."""
        path = self.root / relative_path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        path.chmod(mode)
        return path

    def module_lines(self):
        lines = []
        for identifier, filename in HTTPD_BASE_MODULES:
            # Modules compiled into httpd (Debian builds log_config in) are skipped.
            lines += ["<IfModule !%s>" % identifier,
                      "    LoadModule %s %s" % (identifier, httpd_module_dir() / filename),
                      "</IfModule>"]
        for identifier, filename in self.protocol_modules():
            lines += ["<IfModule !%s>" % identifier,
                      "    LoadModule %s %s" % (identifier, httpd_module_dir() / filename),
                      "</IfModule>"]
        if self.load_k8s_cors:
            lines.append("LoadModule k8s_cors_module %s" % loadable_module_path())
        return lines

    def protocol_modules(self):
        if self.protocol == H2:
            return HTTP2_MODULES + TLS_MODULES
        return HTTP2_MODULES if self.http2 else ()

    def protocol_lines(self):
        """What the server says to speak the suite's protocol, as a gateway
        offering HTTP/2 would (conf/examples/kubeadm-gateway.conf)."""
        if not self.http2:
            return []
        lines = ["Protocols %s http/1.1" % self.protocol, "H2WebSockets on"]
        if self.protocol == H2:
            cert, key = server_certificate()
            lines += ["SSLEngine on", 'SSLCertificateFile "%s"' % cert,
                      'SSLCertificateKeyFile "%s"' % key,
                      'SSLSessionCache "shmcb:%s(512000)"' % (self.root / "run" / "ssl_scache")]
        return lines

    def write_config(self, body):
        root = self.root
        lines = ["# Generated by tests/integration/harness.py (%s)." % self.name]
        lines += self.module_lines()
        lines += [
            "Listen %s:%d" % (LOOPBACK, self.port),
            "ServerName %s" % LOOPBACK,
        ]
        if os.geteuid() == 0:
            lines += ["User www-data", "Group www-data"]
        lines += [
            "PidFile %s" % (root / "run" / "httpd.pid"),
            "DefaultRuntimeDir %s" % (root / "run"),
            "Mutex file:%s default" % (root / "run"),
            "ErrorLog %s" % self.error_log_path,
            "LogLevel %s" % self.log_level,
            'LogFormat "%h %l %u %t \\"%r\\" %>s %b \\"%{Origin}i\\" %D" k8scors_test',
            ("CustomLog %s k8scors_test" % (root / "logs" / "access_log")
             if self.access_log_enabled else "# no access log"),
            "TypesConfig %s" % (root / "conf" / "mime.types"),
            'DocumentRoot "%s"' % (root / "htdocs"),
            "Timeout 60",
            "KeepAlive On",
            "<IfModule mpm_event_module>",
            *("    " + line for line in self.mpm_lines),
            "</IfModule>",
            *self.protocol_lines(),
            "# ---- body supplied by the test ----",
        ]
        self.config_text = "\n".join(lines) + "\n" + body.rstrip("\n") + "\n"
        self.conf_path.write_text(self.config_text, encoding="utf-8")
        self.conf_path.chmod(0o644)
        return self.conf_path

    def line_of(self, fragment):
        """The 1-based line number of the first configuration line containing fragment."""
        for number, line in enumerate(self.config_text.splitlines(), start=1):
            if fragment in line:
                return number
        raise HarnessError("%r is not in %s" % (fragment, self.conf_path))

    def command(self, *options):
        return [httpd_binary(), "-d", str(self.root), "-f", str(self.conf_path), *options]

    def check_module_built(self):
        if self.load_k8s_cors and not k8s_cors_module_path().exists():
            raise HarnessError("mod_k8s_cors is not built: %s does not exist (run make first, "
                               "or set K8S_CORS_BUILDDIR)" % k8s_cors_module_path())

    def configtest(self, body=None):
        """Runs httpd -t; returns (exit status, stdout and stderr combined)."""
        if body is not None:
            self.write_config(body)
        self.check_module_built()
        completed = subprocess.run(self.command("-t"), stdin=subprocess.DEVNULL,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60,
                                   env=httpd_environment())
        return completed.returncode, self._record_command("-t", completed)

    def _record_command(self, what, completed):
        """Appends a command's output to logs/commands.out (where sanitizer
        reports of httpd -t and -k runs can be found later); returns it."""
        output = completed.stdout.decode("utf-8", "replace")
        with open(self.root / "logs" / "commands.out", "a", encoding="utf-8") as record:
            record.write("$ httpd %s (exit %d)\n%s" % (what, completed.returncode, output))
        return output

    def start(self, timeout=START_TIMEOUT_SECONDS):
        """Starts httpd in the foreground and waits until it answers HTTP."""
        if self.config_text is None:
            raise HarnessError("write_config() before start()")
        self.check_module_built()
        with open(self.output_path, "ab") as output:
            self.process = subprocess.Popen(self.command("-DFOREGROUND"), stdin=subprocess.DEVNULL,
                                            stdout=output, stderr=subprocess.STDOUT,
                                            env=httpd_environment())
        _running_servers.append(self)
        if not wait_until(self._answers, timeout, interval=0.1) or self.process.poll() is not None:
            exited = self.process.poll()
            self.stop()
            raise HarnessError(
                "httpd did not answer on 127.0.0.1:%d within %.0f s (exit status %s)\n"
                "--- %s ---\n%s--- %s ---\n%s--- end ---"
                % (self.port, timeout, exited, self.output_path, read_text(self.output_path),
                   self.error_log_path, read_text(self.error_log_path)))
        return self

    def _answers(self):
        if self.process.poll() is not None:
            return True  # exited: stop waiting, start() reports it
        try:
            # httpd answers "OPTIONS *" itself: it reaches neither a proxy
            # nor the upstream, and carries no Origin.
            self.request("OPTIONS", "*", timeout=1.0)
            return True
        except OSError:  # h2client's errors are OSErrors too
            return False

    def stop(self):
        stop_process(self.process)
        if self in _running_servers:
            _running_servers.remove(self)

    def error_log(self):
        return read_text(self.error_log_path)

    def access_log(self):
        return read_text(self.root / "logs" / "access_log")

    def request(self, method, path, headers=None, body=None, timeout=15.0):
        """One request on a new connection, in the suite's protocol (see
        K8S_CORS_TEST_PROTOCOL); headers come back as received, in order."""
        if not self.http2:
            return http_request(self.port, method, path, headers, body, timeout)
        import h2client
        if isinstance(body, str):
            body = body.encode("utf-8")
        pairs = list(headers.items()) if isinstance(headers, dict) else list(headers or [])
        if method == "GET" and any(name.lower() == "upgrade" and value.lower() == "websocket"
                                   for name, value in pairs):
            return self._websocket_over_http2(path, pairs, timeout)
        return h2client.request(self.port, method, path, pairs, body, timeout,
                                tls=self.protocol == H2, response_class=Response)

    def _websocket_over_http2(self, path, pairs, timeout):
        """An HTTP/1.1 WebSocket handshake's HTTP/2 form, as a browser sends
        it: an extended CONNECT with :protocol websocket, without the
        connection-specific fields (Connection, Upgrade) and the key, which
        RFC 8441 drops. A 200 opens the tunnel (closed here at once)."""
        dropped = {"connection", "upgrade", "sec-websocket-key"}
        tunnel = self.tunnel(path, [(name, value) for name, value in pairs
                                    if name.lower() not in dropped], timeout=timeout)
        try:
            return Response(tunnel.status, "", tunnel.headers, tunnel.body)
        finally:
            tunnel.close()

    def stream(self, method, path, headers=None, timeout=15.0):
        """A request whose response body is read as it arrives (watches):
        a ResponseStream in the suite's protocol."""
        return ResponseStream(self, method, path, headers, timeout)

    def tunnel(self, path, headers=(), protocol="websocket", timeout=10.0):
        """An HTTP/2 extended CONNECT (RFC 8441) to path: an h2client.Tunnel."""
        import h2client
        if not self.http2:
            raise HarnessError("extended CONNECT needs K8S_CORS_TEST_PROTOCOL=h2 or h2c")
        return h2client.Tunnel(self.port, path, list(headers), protocol,
                               tls=self.protocol == H2, timeout=timeout)

    def raw_request(self, data, timeout=15.0):
        """Sends data byte for byte (see raw_request): HTTP/1.1 only."""
        if self.http2:
            raise HarnessError("raw HTTP/1.1 bytes while the suite speaks %s: mark the test "
                               "harness.http1_only" % self.protocol)
        return raw_request(self.port, data, timeout)

    def graceful(self):
        """httpd -k graceful with this server's -d and -f (httpd checks the
        configuration, then signals the running parent). Returns (exit status,
        output)."""
        completed = subprocess.run(self.command("-k", "graceful"), stdin=subprocess.DEVNULL,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60,
                                   env=httpd_environment())
        return completed.returncode, self._record_command("-k graceful", completed)

    def parent_pid(self):
        return self.process.pid if self.process is not None else None

    def child_pids(self):
        """The pids of the parent's live child processes (httpd's workers)."""
        return child_pids(self.parent_pid()) if self.parent_pid() else []

    def error_log_size(self):
        try:
            return self.error_log_path.stat().st_size
        except FileNotFoundError:
            return 0

    def error_log_since(self, offset):
        """The error log's text after byte offset (see error_log_size)."""
        try:
            with open(self.error_log_path, "rb") as log:
                log.seek(offset)
                return log.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def crash_lines(self, offset=0):
        """Error-log (and stdout/stderr) lines since offset that show a crash, a
        child that died, a core error or a sanitizer report (see CRASH_MARKERS)."""
        text = self.error_log_since(offset)
        if offset == 0:
            text += "\n" + read_text(self.output_path)
        return crash_lines_in(text)


# Markers of trouble in httpd's logs: a core error, a child that exited on a
# signal (AH00052), a segfault, an abort, a sanitizer report.
CRASH_MARKERS = ("[core:error]", "AH00052", "segfault", "Segmentation fault", "[core:emerg]",
                 "AH00060", "exit signal", "AddressSanitizer", "LeakSanitizer",
                 "UndefinedBehaviorSanitizer", "runtime error:", "SUMMARY: ")


def crash_lines_in(text):
    return [line for line in text.splitlines() if any(marker in line for marker in CRASH_MARKERS)]


def child_pids(parent):
    """Pids of the processes whose parent is parent, from /proc."""
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid ...: comm may hold spaces, split after ')'.
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[1]) == parent:
            children.append(int(entry.name))
    return sorted(children)


def rss_kib(pid):
    """VmRSS of pid in KiB, or None when it is gone."""
    try:
        for line in Path("/proc/%d/status" % pid).read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


# ---- CORS on the wire ------------------------------------------------------------

# The metrics endpoint as the examples serve it: httpd's own handler, no CORS
# policy, kept out of the API's ProxyPass.
METRICS_ENDPOINT = """<Location "/k8s-cors-metrics">
    SetHandler k8s-cors-metrics
    K8sCors Off
</Location>
ProxyPass "/k8s-cors-metrics" "!"
"""

ACAO = "Access-Control-Allow-Origin"
ACAC = "Access-Control-Allow-Credentials"
ACAM = "Access-Control-Allow-Methods"
ACAH = "Access-Control-Allow-Headers"
ACMA = "Access-Control-Max-Age"
ACEH = "Access-Control-Expose-Headers"
PREFLIGHT_VARY = ("origin", "access-control-request-method", "access-control-request-headers")

# What a response must carry (cors_wire_problems):
CORS_ALLOWED_ACTUAL = "allowed-actual"        # one ACAO (the origin), one ACAC, one ACEH, Vary: Origin
CORS_ALLOWED_PREFLIGHT = "allowed-preflight"  # one ACAO, ACAC, ACAM, ACAH, Max-Age; Vary: the three
CORS_DENIED = "denied"                        # no Access-Control-* at all, Vary: Origin
CORS_NONE = "none"                            # no Access-Control-* at all, Vary not required


def access_control_headers(response):
    """Every Access-Control-* (name, value) pair on the wire, duplicates kept."""
    return response.headers_starting_with("Access-Control-")


def cors_wire_problems(response, expected, origin=None, credentials=True):
    """What is wrong with response's CORS headers, as a list of strings (empty:
    all good). expected is one of the CORS_* outcomes above; origin is the
    exact Access-Control-Allow-Origin an allowed outcome must echo. Every
    Access-Control-* header is counted, duplicates included."""
    problems = []
    found = access_control_headers(response)
    counts = {}
    for name, _ in found:
        counts[name.lower()] = counts.get(name.lower(), 0) + 1

    def want_one(name, value=None):
        values = response.header_values(name)
        if len(values) != 1:
            problems.append("%d %s headers %r, expected one" % (len(values), name, values))
        elif value is not None and values[0] != value:
            problems.append("%s is %r, expected %r" % (name, values[0], value))

    if expected in (CORS_DENIED, CORS_NONE):
        if found:
            problems.append("Access-Control-* headers on a %s response: %r" % (expected, found))
    elif expected == CORS_ALLOWED_ACTUAL:
        want_one(ACAO, origin)
        wanted = {ACAO.lower(), ACEH.lower()}
        if credentials:
            want_one(ACAC, "true")
            wanted.add(ACAC.lower())
        want_one(ACEH)
        extra = sorted(set(counts) - wanted)
        if extra:
            problems.append("unexpected headers on an actual response: %s" % extra)
    elif expected == CORS_ALLOWED_PREFLIGHT:
        want_one(ACAO, origin)
        wanted = {ACAO.lower(), ACAM.lower(), ACAH.lower(), ACMA.lower()}
        if credentials:
            want_one(ACAC, "true")
            wanted.add(ACAC.lower())
        for name in (ACAM, ACAH, ACMA):
            want_one(name)
        extra = sorted(set(counts) - wanted)
        if extra:
            problems.append("unexpected headers on a preflight response: %s" % extra)
    else:
        raise ValueError("unknown CORS outcome %r" % expected)
    vary = response.vary_tokens()
    if expected == CORS_ALLOWED_PREFLIGHT:
        missing = [token for token in PREFLIGHT_VARY if token not in vary]
        if missing:
            problems.append("Vary lacks %s (Vary: %r)" % (missing, response.header_values("Vary")))
    elif expected != CORS_NONE and "origin" not in vary:
        problems.append("Vary lacks Origin (Vary: %r)" % response.header_values("Vary"))
    return problems


# ---- raw HTTP/1.1 ----------------------------------------------------------------


def _as_bytes(value):
    return value if isinstance(value, bytes) else value.encode("latin-1")


def build_raw_request(method, target, headers=(), body=None, host="127.0.0.1", close=True):
    """Request bytes exactly as given: headers is a list of (name, value) pairs
    of str (latin-1) or bytes, sent in order, duplicates and all; nothing is
    checked or escaped, so a value may carry CR, LF, NUL or an obs-fold. Host
    (unless None or given in headers), Connection: close (with close) and,
    with a body, Content-Length are added."""
    lines = [b"%s %s HTTP/1.1" % (_as_bytes(method), _as_bytes(target))]
    names = {_as_bytes(name).lower() for name, _ in headers}
    if host is not None and b"host" not in names:
        lines.append(b"Host: " + _as_bytes(host))
    for name, value in headers:
        lines.append(_as_bytes(name) + b": " + _as_bytes(value))
    if close and b"connection" not in names:
        lines.append(b"Connection: close")
    if body is not None:
        body = _as_bytes(body)
        if b"content-length" not in names:
            lines.append(b"Content-Length: %d" % len(body))
    return b"\r\n".join(lines) + b"\r\n\r\n" + (body or b"")


class RawResponse(Response):
    """A Response parsed from raw bytes; raw_head keeps the status line and
    header block exactly as received."""

    def __init__(self, status, reason, headers, body, raw_head):
        super().__init__(status, reason, headers, body)
        self.raw_head = raw_head


def parse_raw_response(data, request_method="GET"):
    """Parses one HTTP/1.x response from data (the bytes up to the peer's close
    or more). Header names and values are decoded as latin-1; a continuation
    line (obs-fold) is kept as its own ("", line) pair so a test sees it."""
    head, separator, rest = data.partition(b"\r\n\r\n")
    if not separator:
        raise HarnessError("no complete response head in %d bytes: %r" % (len(data), data[:300]))
    lines = head.split(b"\r\n")
    status_parts = lines[0].split(b" ", 2)
    if len(status_parts) < 2 or not status_parts[0].startswith(b"HTTP/"):
        raise HarnessError("not an HTTP status line: %r" % lines[0])
    status = int(status_parts[1])
    reason = status_parts[2].decode("latin-1") if len(status_parts) > 2 else ""
    headers = []
    for line in lines[1:]:
        if line[:1] in (b" ", b"\t") or b":" not in line:
            headers.append(("", line.decode("latin-1")))
            continue
        name, _, value = line.partition(b":")
        headers.append((name.decode("latin-1"), value.strip(b" \t").decode("latin-1")))
    lowered = {name.lower(): value for name, value in headers}
    if request_method == "HEAD" or status in (204, 304) or 100 <= status < 200:
        body = b""
    elif "chunked" in lowered.get("transfer-encoding", "").lower():
        body, position = b"", 0
        while True:
            line_end = rest.index(b"\r\n", position)
            size = int(rest[position:line_end].split(b";")[0].strip() or b"0", 16)
            position = line_end + 2
            if size == 0:
                break
            body += rest[position:position + size]
            position += size + 2
    elif "content-length" in lowered:
        body = rest[:int(lowered["content-length"])]
    else:
        body = rest
    return RawResponse(status, reason, headers, body, head + b"\r\n\r\n")


def raw_request(port, data, timeout=15.0, request_method=None):
    """Sends data as-is on a new connection to 127.0.0.1:port, reads until the
    server closes (send Connection: close, see build_raw_request) and parses
    the first response. request_method defaults to data's first word."""
    if request_method is None:
        request_method = data.split(b" ", 1)[0].decode("latin-1")
    chunks = []
    with socket.create_connection((LOOPBACK, port), timeout=timeout) as sock:
        sock.sendall(data)
        deadline = time.monotonic() + timeout
        while True:
            sock.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            chunks.append(chunk)
            if time.monotonic() > deadline:
                raise HarnessError("the response did not end within %.0f s" % timeout)
    return parse_raw_response(b"".join(chunks), request_method)


# ---- the runner ------------------------------------------------------------------


def discover_tests(module):
    """The module's own test_* functions, in order of definition."""
    tests = [value for name, value in vars(module).items()
             if name.startswith("test_") and callable(value)
             and getattr(value, "__module__", None) == module.__name__]
    return sorted(tests, key=lambda function: function.__code__.co_firstlineno)


def _report_failure(label, error, error_text):
    """FAIL line with the error's first line, then the indented traceback."""
    summary = str(error).strip().splitlines()
    print("FAIL %s: %s" % (label, summary[0] if summary else type(error).__name__))
    print("    " + error_text.rstrip().replace("\n", "\n    "), flush=True)


def run_module(module, name_filter=None):
    """Runs one module's tests between its setup_module and teardown_module.
    Returns (passed, failed, skipped): a test marked for the other protocol
    (http1_only, http2_only) is skipped, with a SKIP line."""
    tests = discover_tests(module)
    if name_filter:
        tests = [test for test in tests if name_filter in test.__name__]
    skipped = 0
    for test in [test for test in tests if skip_reason(test)]:
        print("SKIP %s.%s: %s" % (module.__name__, test.__name__, skip_reason(test)), flush=True)
        tests.remove(test)
        skipped += 1
    if not tests:
        return 0, 0, skipped
    passed = failed = 0
    begin_work_dir(module.__name__)
    try:
        setup_error = setup_traceback = None
        setup = getattr(module, "setup_module", None)
        if setup is not None:
            try:
                setup()
            except Exception as error:
                setup_error = HarnessError("setup_module failed: %s" % error)
                setup_traceback = traceback.format_exc()
        for test in tests:
            label = "%s.%s" % (module.__name__, test.__name__)
            if setup_error is not None:
                _report_failure(label, setup_error, setup_traceback)
                failed += 1
                continue
            try:
                test()
            except Exception as error:
                _report_failure(label, error, traceback.format_exc())
                failed += 1
            else:
                print("PASS %s" % label, flush=True)
                passed += 1
    finally:
        teardown = getattr(module, "teardown_module", None)
        try:
            if teardown is not None:
                teardown()
        except Exception as error:
            _report_failure("%s.teardown_module" % module.__name__, error, traceback.format_exc())
            failed += 1
        finally:
            stop_all_servers()
            kept = end_work_dir(keep=failed > 0)
            if failed:
                print("%s: kept servers' roots and logs in %s" % (module.__name__, kept))
            sys.stdout.flush()
    return passed, failed, skipped


def run_all(modules, name_filter=None, failed_before=0):
    """Runs the tests of every module; prints "N passed, N failed" last (with
    ", N skipped" when tests were skipped) and returns the exit status (0
    only without a failure)."""
    passed, failed, skipped = 0, failed_before, 0
    if speaks_http2():
        print("speaking %s to httpd (K8S_CORS_TEST_PROTOCOL)" % suite_protocol(), flush=True)
    for module in modules:
        module_passed, module_failed, module_skipped = run_module(module, name_filter)
        passed += module_passed
        failed += module_failed
        skipped += module_skipped
    summary = "%d passed, %d failed" % (passed, failed)
    if skipped:
        summary += ", %d skipped" % skipped
    print(summary, flush=True)
    return 0 if failed == 0 else 1


def check(condition, message, response=None):
    """Fails the running test with message (and the response, when given)."""
    if not condition:
        if response is not None:
            message += "\n--- response ---\n" + response.describe()
        raise AssertionError(message)


def stop_servers(*servers):
    """Stops each server that was started, even when stopping one fails."""
    failure = None
    for server in servers:
        if server is None:
            continue
        try:
            server.stop()
        except Exception as error:  # noqa: BLE001 - keep stopping the others
            failure = failure or error
    if failure is not None:
        raise failure
