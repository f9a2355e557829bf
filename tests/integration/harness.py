"""Fixtures and a tiny runner for the mod_k8s_cors integration tests.

Standard library only. Everything listens on 127.0.0.1, every process is
started here and stopped by its pid.

Environment (all optional):
  K8S_CORS_BUILDDIR  build tree holding mod_k8s_cors/.libs/mod_k8s_cors.so;
                     test output goes to $K8S_CORS_BUILDDIR/tests/out/
                     (default: the repository root, two levels above this file)
  HTTPD              httpd binary (default /usr/sbin/apache2)
  HTTPD_MODULEDIR    directory of httpd's own modules (default /usr/lib/apache2/modules)
"""

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


# ---- locations -----------------------------------------------------------------


def build_dir():
    return Path(os.environ.get("K8S_CORS_BUILDDIR") or REPO_ROOT).resolve()


def httpd_binary():
    return os.environ.get("HTTPD") or "/usr/sbin/apache2"


def httpd_module_dir():
    return Path(os.environ.get("HTTPD_MODULEDIR") or "/usr/lib/apache2/modules")


def k8s_cors_module_path():
    return build_dir() / "mod_k8s_cors" / ".libs" / "mod_k8s_cors.so"


def output_base():
    """$K8S_CORS_BUILDDIR/tests/out, created world-readable."""
    base = build_dir() / "tests" / "out"
    base.mkdir(parents=True, exist_ok=True)
    base.chmod(0o755)
    return base


_current_work_dir = None


def begin_work_dir(name):
    """A fresh directory for one test module's servers and logs."""
    global _current_work_dir
    _current_work_dir = Path(tempfile.mkdtemp(prefix=name + "-", dir=output_base()))
    _current_work_dir.chmod(0o755)
    return _current_work_dir


def end_work_dir(keep):
    """Deletes the current work directory unless keep; returns its path."""
    global _current_work_dir
    finished, _current_work_dir = _current_work_dir, None
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

    def __init__(self, body=None, name="httpd", log_level=DEFAULT_LOG_LEVEL, load_k8s_cors=True):
        self.name = name
        self.log_level = log_level
        self.load_k8s_cors = load_k8s_cors
        self.port = free_port()
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
        if self.load_k8s_cors:
            lines.append("LoadModule k8s_cors_module %s" % k8s_cors_module_path())
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
            "CustomLog %s k8scors_test" % (root / "logs" / "access_log"),
            "TypesConfig %s" % (root / "conf" / "mime.types"),
            'DocumentRoot "%s"' % (root / "htdocs"),
            "Timeout 60",
            "KeepAlive On",
            "<IfModule mpm_event_module>",
            "    StartServers 1",
            "    ServerLimit 2",
            "    ThreadsPerChild 16",
            "    MaxRequestWorkers 32",
            "    MinSpareThreads 8",
            "    MaxSpareThreads 32",
            "</IfModule>",
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
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
        return completed.returncode, completed.stdout.decode("utf-8", "replace")

    def start(self, timeout=START_TIMEOUT_SECONDS):
        """Starts httpd in the foreground and waits until it answers HTTP."""
        if self.config_text is None:
            raise HarnessError("write_config() before start()")
        self.check_module_built()
        with open(self.output_path, "ab") as output:
            self.process = subprocess.Popen(self.command("-DFOREGROUND"), stdin=subprocess.DEVNULL,
                                            stdout=output, stderr=subprocess.STDOUT)
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
            http_request(self.port, "OPTIONS", "*", timeout=1.0)
            return True
        except OSError:
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
        return http_request(self.port, method, path, headers, body, timeout)


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
    Returns (passed, failed)."""
    tests = discover_tests(module)
    if name_filter:
        tests = [test for test in tests if name_filter in test.__name__]
    if not tests:
        return 0, 0
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
    return passed, failed


def run_all(modules, name_filter=None, failed_before=0):
    """Runs the tests of every module; prints "N passed, N failed" last and
    returns the exit status (0 only without a failure)."""
    passed, failed = 0, failed_before
    for module in modules:
        module_passed, module_failed = run_module(module, name_filter)
        passed += module_passed
        failed += module_failed
    print("%d passed, %d failed" % (passed, failed), flush=True)
    return 0 if failed == 0 else 1
