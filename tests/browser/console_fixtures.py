"""Fixtures shared by the console's integration tests
(tests/integration/test_console.py) and browser tests (tests/browser/):
the CGI binary, a test CA and certificates made with openssl at test time,
small TLS servers standing in for kube-apiserver, and the httpd
configuration pieces that load the console's own snippets
(conf/console/*.conf).

Standard library only; everything listens on 127.0.0.1 and is stopped by
the test that started it.
"""

import json
import os
import socket
import ssl
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import harness

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
CONSOLE_CONF = REPO / "conf" / "console"
HTDOCS = REPO / "htdocs"

# httpd modules the console needs beyond the harness's base set.
CONSOLE_MODULES = (
    ("alias_module", "mod_alias.so"),
    ("cgid_module", "mod_cgid.so"),
    ("env_module", "mod_env.so"),
    ("setenvif_module", "mod_setenvif.so"),
    ("dir_module", "mod_dir.so"),
    ("include_module", "mod_include.so"),
)
SSL_MODULES = (
    ("socache_shmcb_module", "mod_socache_shmcb.so"),
    ("ssl_module", "mod_ssl.so"),
)


def load_module_lines(modules):
    lines = []
    for identifier, filename in modules:
        lines += ["<IfModule !%s>" % identifier,
                  "    LoadModule %s %s" % (identifier, harness.httpd_module_dir() / filename),
                  "</IfModule>"]
    return "\n".join(lines) + "\n"


def cgi_binary():
    """The console CGI ($K8S_CORS_CONSOLE_CGI, else the build tree's
    cgi/k8s-cors-console), copied into the work directory, where httpd's
    children can execute it wherever the checkout lives."""
    override = os.environ.get("K8S_CORS_CONSOLE_CGI")
    built = Path(override).resolve() if override else harness.build_dir() / "cgi" / "k8s-cors-console"
    if not built.exists():
        raise harness.HarnessError("the console CGI is not built: %s does not exist (run make)"
                                   % built)
    return harness.readable_copy(built)


# ---- certificates ------------------------------------------------------------------


def _openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, timeout=60,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


class Certificates:
    """A test CA and server certificates, made with the openssl CLI.

    issue(name, sans) gives (cert, key) signed by the CA; self_signed(name,
    sans) gives a certificate no CA vouches for."""

    def __init__(self, directory):
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.dir.chmod(0o755)
        self.ca = self.dir / "ca.pem"
        self.ca_key = self.dir / "ca.key"
        _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                 "-nodes", "-keyout", str(self.ca_key), "-out", str(self.ca), "-days", "2",
                 "-subj", "/CN=mod_k8s_cors console test CA",
                 "-addext", "basicConstraints=critical,CA:TRUE",
                 "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=self.dir)
        self._readable(self.ca)

    def _readable(self, *paths):
        for path in paths:
            path.chmod(0o644)

    def issue(self, name, sans):
        key, csr, cert = (self.dir / (name + suffix) for suffix in (".key", ".csr", ".pem"))
        ext = self.dir / (name + ".ext")
        ext.write_text("subjectAltName=%s\nbasicConstraints=CA:FALSE\n"
                       "extendedKeyUsage=serverAuth\nkeyUsage=digitalSignature\n" % sans)
        _openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                 "-keyout", str(key), "-out", str(csr), "-subj", "/CN=" + name, cwd=self.dir)
        _openssl("x509", "-req", "-in", str(csr), "-CA", str(self.ca), "-CAkey", str(self.ca_key),
                 "-CAcreateserial", "-out", str(cert), "-days", "2", "-extfile", str(ext),
                 cwd=self.dir)
        self._readable(key, cert)
        return cert, key

    def self_signed(self, name, sans):
        key, cert = self.dir / (name + ".key"), self.dir / (name + ".pem")
        _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                 "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "2",
                 "-subj", "/CN=" + name, "-addext", "subjectAltName=" + sans, cwd=self.dir)
        self._readable(key, cert)
        return cert, key


# ---- TLS servers standing in for kube-apiserver -----------------------------------------


class _KubeLikeHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-kube-tls"
    sys_version = ""

    def log_message(self, format, *args):  # noqa: A002
        pass

    def _answer(self, status, body, extra=()):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Audit-Id", "probe-test")
        for name, value in extra:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        self.close_connection = True

    def _record(self):
        self.server.requests.append({"method": self.command, "path": self.path,
                                     "headers": dict(self.headers.items())})

    def _cors(self):
        # kube-apiserver with --cors-allowed-origins sends its own headers.
        origin = self.headers.get("Origin")
        if origin and self.server.kube_cors:
            return [("Access-Control-Allow-Origin", origin),
                    ("Access-Control-Allow-Credentials", "true")]
        return []

    def do_OPTIONS(self):  # noqa: N802
        self._record()
        extra = self._cors()
        if extra:
            extra += [("Access-Control-Allow-Methods", "POST, GET, OPTIONS, PUT, DELETE, PATCH")]
        self._answer(200 if extra else 401, {"kind": "Status", "code": 200 if extra else 401},
                     extra)

    def do_GET(self):  # noqa: N802
        self._record()
        if self.path in ("/version", "/healthz", "/livez", "/readyz"):
            self._answer(200, {"gitVersion": "v1.30.0-probe-test"}, self._cors())
        else:
            self._answer(401, {"kind": "Status", "apiVersion": "v1", "status": "Failure",
                               "reason": "Unauthorized", "code": 401}, self._cors())

    do_HEAD = do_GET  # noqa: N815


class TlsApiServer(ThreadingHTTPServer):
    """A kube-apiserver stand-in over TLS on 127.0.0.1. Counts every TCP
    connection (before the handshake), records SNI names, handshake
    failures and requests."""

    daemon_threads = True

    def __init__(self, cert, key, kube_cors=False):
        super().__init__((harness.LOOPBACK, 0), _KubeLikeHandler)
        self.port = self.server_address[1]
        self.kube_cors = kube_cors
        self.connections = 0
        self.sni_names = []
        self.handshake_failures = []
        self.requests = []
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(str(cert), str(key))
        self.context.sni_callback = self._sni
        self.thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.1},
                                       daemon=True)

    def _sni(self, ssl_socket, server_name, context):
        self.sni_names.append(server_name)

    def get_request(self):
        sock, address = self.socket.accept()
        self.connections += 1
        return sock, address

    def finish_request(self, request, client_address):
        request.settimeout(10)
        try:
            tls = self.context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError) as error:
            self.handshake_failures.append(str(error))
            return
        self.RequestHandlerClass(tls, client_address, self)

    def handle_error(self, request, client_address):
        pass

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.shutdown()
        self.server_close()


class Blackhole:
    """Accepts TCP connections on 127.0.0.1 and never answers (a handshake
    that never completes); counts them."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind((harness.LOOPBACK, 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.held = []
        self.running = True
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        deadline = time.monotonic() + 600
        while self.running and time.monotonic() < deadline:
            try:
                connection, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                break
            self.connections += 1
            self.held.append(connection)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.running = False
        self.thread.join(timeout=5)
        for connection in self.held:
            connection.close()
        self.sock.close()


# ---- httpd configuration pieces ------------------------------------------------------


def gateway_console_include(cgi, probe_url=None, probe_ca=None, timeout_ms=None):
    """The Defines and the Include of conf/console/gateway-console.conf."""
    lines = ['Define K8S_CORS_CONSOLE_CGI "%s"' % cgi]
    if probe_url:
        lines.append('Define K8S_CORS_PROBE_URL "%s"' % probe_url)
    if probe_ca:
        lines.append('Define K8S_CORS_PROBE_CA "%s"' % probe_ca)
    if timeout_ms:
        lines.append("Define K8S_CORS_PROBE_TIMEOUT_MS %d" % timeout_ms)
    lines.append('Include "%s"' % (CONSOLE_CONF / "gateway-console.conf"))
    return "\n".join(lines) + "\n"


def console_page_include(gateways):
    """The Defines and the Include of conf/console/console-page.conf, serving
    a copy of htdocs/ that httpd's children can read."""
    htdocs = harness.readable_copy(HTDOCS, "console-htdocs")
    return ('Define K8S_CORS_CONSOLE_HTDOCS "%s"\nDefine K8S_CORS_CONSOLE_GATEWAYS "%s"\n'
            'Include "%s"\n' % (htdocs, " ".join(gateways), CONSOLE_CONF / "console-page.conf"))


def cgid_lines(httpd):
    return 'ScriptSock "%s"\n' % (httpd.root / "run" / "cgid.sock")
