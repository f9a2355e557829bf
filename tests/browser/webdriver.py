"""WebKitGTK (the engine family of Safari) driven over W3C WebDriver (HTTP),
with the Python standard library only.

WebKit(...) starts Xvfb on a free display, then Debian's WebKitWebDriver
(package webkit2gtk-driver) in a private mount namespace (`unshare -m`;
a user other than root gets a user namespace of its own too) where a hosts file of its own, mapping the test host names to 127.0.0.1,
is bind-mounted over /etc/hosts: the machine's hosts file is never
touched. The session starts MiniBrowser --automation with a fresh home
directory and accepts the test CA's certificates (acceptInsecureCerts).
.page() is a Page on its window. Stop it with .stop() (the pids it started
only).
"""

import base64
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from cdp import stop_process

MAX_SHOT_HEIGHT = 4000  # the Xvfb screen is 1600 x 4200
MINIBROWSER_CANDIDATES = ("/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser",
                          "/usr/lib/aarch64-linux-gnu/webkit2gtk-4.1/MiniBrowser",
                          "/usr/lib/x86_64-linux-gnu/webkitgtk-6.0/MiniBrowser")

# Runs the statements, then awaits the last one's value, and returns [true,
# value] or [false, error]. WebDriver runs a function body it is given
# outside the page's CSP, but an eval() inside it would not be: the script
# becomes that body (function_body()), never a string to evaluate.
EVALUATE = """const done = arguments[arguments.length - 1];
(async () => { %s })().then((value) => done([true, value === undefined ? null : value]),
    (error) => done([false, String(error && error.stack || error)]));"""


def split_statements(script):
    """The script's top-level statements: split at semicolons outside
    strings, template literals and brackets."""
    statements, depth, quote, start, index = [], 0, None, 0, 0
    while index < len(script):
        char = script[index]
        if quote:
            if char == "\\":
                index += 1
            elif char == quote:
                quote = None
        elif char in "'\"`":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char == ";" and depth == 0:
            statements.append(script[start:index])
            start = index + 1
        index += 1
    statements.append(script[start:])
    return [statement.strip() for statement in statements if statement.strip()]


def function_body(script):
    """A function body whose return value is the script's completion value
    (as CDP's Runtime.evaluate and BiDi's script.evaluate give), for scripts
    whose last statement is an expression."""
    statements = split_statements(script) or ["undefined"]
    return "".join(statement + "; " for statement in statements[:-1]) \
        + "return (%s);" % statements[-1]


def driver_binary():
    return os.environ.get("WEBKIT_WEBDRIVER") or shutil.which("WebKitWebDriver") \
        or "/usr/bin/WebKitWebDriver"


def minibrowser_binary():
    override = os.environ.get("WEBKIT_MINIBROWSER")
    if override:
        return override
    return next((path for path in MINIBROWSER_CANDIDATES if os.path.exists(path)),
                MINIBROWSER_CANDIDATES[0])


def installed():
    return bool(shutil.which(driver_binary())) and os.path.exists(minibrowser_binary()) \
        and bool(shutil.which("Xvfb")) and bool(shutil.which("unshare"))


def version():
    """The WebKitGTK version of MiniBrowser's library, from its package."""
    library = Path(minibrowser_binary()).parent.name  # webkit2gtk-4.1
    package = {"webkit2gtk-4.1": "libwebkit2gtk-4.1-0", "webkitgtk-6.0": "libwebkitgtk-6.0-4"}.get(
        library, library)
    out = subprocess.run(["dpkg-query", "-W", "-f=${Version}", package + ":*"],
                         capture_output=True, text=True, timeout=30).stdout.strip()
    return "WebKitGTK %s" % (out.split("-", 1)[0] or "unknown")


class WebDriverError(Exception):
    pass


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Page:
    """The session's window, over WebDriver's HTTP endpoints."""

    def __init__(self, base, session):
        self.base = base
        self.session = session

    def command(self, method, path, body=None, timeout=60.0):
        url = "%s/session/%s%s" % (self.base, self.session, path)
        return _request(method, url, body, timeout)

    def evaluate(self, expression, timeout=30.0):
        self.command("POST", "/timeouts", {"script": int(timeout * 1000)})
        ok, value = self.command("POST", "/execute/async",
                                 {"script": EVALUATE % function_body(expression), "args": []},
                                 timeout=timeout + 10)
        if not ok:
            raise WebDriverError("evaluate %r: %s" % (expression[:80], value))
        return value

    def navigate(self, url, timeout=30.0):
        self.command("POST", "/timeouts", {"pageLoad": int(timeout * 1000)})
        self.command("POST", "/url", {"url": url}, timeout=timeout + 10)

    def set_viewport(self, width, height):
        """Sizes the window so that the page's viewport is width x height."""
        outer_width, outer_height = width, height
        for _ in range(3):
            self.command("POST", "/window/rect", {"width": outer_width, "height": outer_height})
            inner = self.evaluate("[innerWidth, innerHeight]")
            if inner == [width, height]:
                return
            outer_width += width - inner[0]
            outer_height += height - inner[1]

    def press_keys(self, keys):
        actions = []
        for key in keys:
            actions += [{"type": "keyDown", "value": key}, {"type": "keyUp", "value": key}]
        self.command("POST", "/actions",
                     {"actions": [{"type": "key", "id": "keyboard", "actions": actions}]})
        self.command("DELETE", "/actions")

    def screenshot(self, path):
        """The whole document (up to MAX_SHOT_HEIGHT px)."""
        return self.screenshot_of(":root", path, max_height=MAX_SHOT_HEIGHT)

    def screenshot_of(self, selector, path, max_height=1600):
        """The band of the page the element covers (up to max_height px
        tall), across the viewport's width: the viewport is made that tall
        and the element scrolled to its top, then the viewport is taken.
        WebKitGTK 2.50's element screenshots come out black unless the
        element fills the viewport."""
        viewport = self.evaluate("[innerWidth, innerHeight]")
        height = self.evaluate("Math.ceil(%s === ':root' ? document.documentElement.scrollHeight"
                               " : document.querySelector(%s).getBoundingClientRect().height)"
                               % (json.dumps(selector), json.dumps(selector)))
        wanted = max(1, min(height, max_height, MAX_SHOT_HEIGHT))
        try:
            self.set_viewport(viewport[0], wanted)
            self.evaluate("document.querySelector(%s).scrollIntoView({block: 'start'});"
                          " new Promise((painted) => requestAnimationFrame(() =>"
                          " requestAnimationFrame(painted)))" % json.dumps(selector))
            data = self.command("GET", "/screenshot", timeout=30)
        finally:
            self.set_viewport(*viewport)
        Path(path).write_bytes(base64.b64decode(data))
        return path

    def response_protocols(self):
        return None  # WebDriver classic has no network log

    def console_messages(self):
        return None  # nor a console log


def _request(method, url, body=None, timeout=20.0):
    data = json.dumps(body if body is not None else {}).encode() if method == "POST" else None
    request = urllib.request.Request(url, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            answer = json.load(response)
    except urllib.error.HTTPError as error:
        try:
            answer = json.load(error)
        except ValueError:
            raise WebDriverError("%s %s: HTTP %d" % (method, url, error.code))
        raise WebDriverError("%s %s: %s" % (method, url.rsplit("/session/", 1)[-1],
                                            answer.get("value")))
    return answer.get("value")


class WebKit:
    def __init__(self, host_names, output_dir):
        self.dir = Path(tempfile.mkdtemp(prefix="webkit-profile-", dir=output_dir))
        self.log_path = Path(output_dir) / ("webkit-%d.log" % os.getpid())
        self.log = open(self.log_path, "ab")
        self.xvfb = None
        self.driver = None
        self.session = None
        try:
            self._start(host_names)
        except Exception:
            self.stop()
            raise

    def _start(self, host_names):
        read_end, write_end = os.pipe()
        self.xvfb = subprocess.Popen(["Xvfb", "-displayfd", str(write_end), "-nolisten", "tcp",
                                      "-screen", "0", "1600x4200x24"],
                                     pass_fds=(write_end,), stdin=subprocess.DEVNULL,
                                     stdout=self.log, stderr=subprocess.STDOUT)
        os.close(write_end)
        with os.fdopen(read_end) as pipe:
            display = pipe.readline().strip()
        if not display:
            raise WebDriverError("Xvfb did not start; see %s" % self.log_path)
        hosts = self.dir / "hosts"
        hosts.write_text("127.0.0.1 localhost\n::1 localhost\n"
                         + "".join("127.0.0.1 %s\n" % name for name in host_names))
        home = self.dir / "home"
        home.mkdir()
        self.downloads = home  # MiniBrowser saves downloads to $HOME
        environment = dict(os.environ, DISPLAY=":" + display, HOME=str(home),
                           XDG_CONFIG_HOME=str(home / ".config"),
                           XDG_CACHE_HOME=str(home / ".cache"),
                           XDG_DATA_HOME=str(home / ".local" / "share"),
                           XDG_RUNTIME_DIR=str(home), LIBGL_ALWAYS_SOFTWARE="1",
                           GIO_USE_VFS="local",
                           NO_AT_BRIDGE="1")
        environment.pop("DBUS_SESSION_BUS_ADDRESS", None)
        self.port = _free_port()
        self.base = "http://127.0.0.1:%d" % self.port
        # As root a mount namespace is enough; a user maps itself to root in
        # a user namespace of its own for the bind mount.
        namespaces = ["--mount"] if os.geteuid() == 0 else ["--user", "--map-root-user", "--mount"]
        self.driver = subprocess.Popen(
            ["unshare", *namespaces, "--propagation", "private", "sh", "-c",
             'mount --bind "$0" /etc/hosts && exec "$@"', str(hosts),
             driver_binary(), "--port=%d" % self.port, "--host=127.0.0.1"],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT,
            env=environment)
        deadline = time.monotonic() + 30
        while True:
            if self.driver.poll() is not None:
                raise WebDriverError("WebKitWebDriver exited with %s; see %s"
                                     % (self.driver.returncode, self.log_path))
            try:
                _request("GET", self.base + "/status", timeout=5)
                break
            except (OSError, WebDriverError):
                if time.monotonic() > deadline:
                    raise WebDriverError("WebKitWebDriver did not answer within 30 s")
                time.sleep(0.1)
        answer = _request("POST", self.base + "/session", {"capabilities": {"alwaysMatch": {
            "acceptInsecureCerts": True,
            "webkitgtk:browserOptions": {"binary": minibrowser_binary(),
                                         "args": ["--automation"]}}}}, timeout=60)
        self.session = answer["sessionId"]

    def page(self):
        page = Page(self.base, self.session)
        page.set_viewport(1400, 1000)
        return page

    def stop(self):
        if self.session is not None:
            try:
                _request("DELETE", "%s/session/%s" % (self.base, self.session), timeout=20)
            except (OSError, WebDriverError):
                pass
            self.session = None
        for process in (self.driver, self.xvfb):
            stop_process(process, 10)
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)
