"""Headless Chromium driven over the DevTools protocol, with the Python
standard library only (a minimal RFC 6455 client for the one WebSocket).

Chromium(...) starts /usr/bin/chromium (or $CHROMIUM) headless, as root
with --no-sandbox, with a fresh --user-data-dir, host names mapped to
127.0.0.1 and self-signed certificates accepted; .page() is a Page on its
first tab. Stop it with .stop() (its pid only).
"""

import base64
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

BASE_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
              "--disable-component-update", "--disable-sync", "--no-first-run",
              "--ignore-certificate-errors", "--disable-dev-shm-usage",
              "--no-default-browser-check", "--hide-scrollbars", "--mute-audio",
              "--window-size=1400,1000")


# WebDriver key values -> (DevTools key name, virtual key code, text).
CDP_KEYS = {"\ue015": ("ArrowDown", 40, ""), "\ue013": ("ArrowUp", 38, ""),
            "\ue012": ("ArrowLeft", 37, ""), "\ue014": ("ArrowRight", 39, ""),
            "\ue007": ("Enter", 13, "\r"), "\ue004": ("Tab", 9, ""),
            "\ue00c": ("Escape", 27, "")}


def chromium_binary():
    return os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"


class CdpError(Exception):
    pass


class WebSocket:
    """Just enough of a WebSocket client for DevTools: text frames out
    (masked), text frames in (possibly fragmented, possibly large)."""

    def __init__(self, host, port, path, timeout=30.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        request = ("GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n"
                   % (path, host, port, key))
        self.sock.sendall(request.encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise CdpError("DevTools closed the WebSocket handshake")
            head += chunk
        head, _, self.buffer = head.partition(b"\r\n\r\n")
        if b" 101 " not in head.split(b"\r\n", 1)[0]:
            raise CdpError("DevTools refused the WebSocket: %r" % head[:200])

    def _read(self, n):
        while len(self.buffer) < n:
            chunk = self.sock.recv(max(65536, n - len(self.buffer)))
            if not chunk:
                raise CdpError("DevTools closed the WebSocket")
            self.buffer += chunk
        data, self.buffer = self.buffer[:n], self.buffer[n:]
        return data

    def send_text(self, text):
        payload = text.encode()
        header = bytearray([0x81])
        length = len(payload)
        if length < 126:
            header.append(0x80 | length)
        elif length < 65536:
            header.append(0x80 | 126)
            header += struct.pack(">H", length)
        else:
            header.append(0x80 | 127)
            header += struct.pack(">Q", length)
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(bytes(header) + mask + masked)

    def receive_text(self, timeout):
        self.sock.settimeout(timeout)
        message = b""
        while True:
            first, second = self._read(2)
            opcode, final = first & 0x0F, first & 0x80
            length = second & 0x7F
            if length == 126:
                length = struct.unpack(">H", self._read(2))[0]
            elif length == 127:
                length = struct.unpack(">Q", self._read(8))[0]
            mask = self._read(4) if second & 0x80 else None
            payload = self._read(length)
            if mask:
                payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
            if opcode == 0x8:
                raise CdpError("DevTools closed the WebSocket")
            if opcode == 0x9:  # ping: answer, keep reading
                mask = os.urandom(4)
                self.sock.sendall(bytes([0x8A, 0x80 | len(payload)]) + mask +
                                  bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))
                continue
            if opcode in (0x1, 0x0):
                message += payload
                if final:
                    return message.decode()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def stop_process(process, timeout):
    """Stops a browser or driver process this module started: SIGTERM, then
    SIGKILL when it has not exited within timeout seconds."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def poll_until(check, timeout, interval):
    """(True, value) for the first truthy value check() returns within timeout
    seconds, polling every interval; (False, the last value) otherwise."""
    deadline = time.monotonic() + timeout
    value = None
    while time.monotonic() < deadline:
        value = check()
        if value:
            return True, value
        time.sleep(interval)
    return False, value


def json_call(ws, wanted, method, params, timeout, events, error_of, is_event, error_class):
    """Sends one JSON command over ws and waits for the answer with id
    wanted, keeping the events that arrive meanwhile: the exchange CDP and
    WebDriver BiDi share. error_of(message) names a failed answer's error
    (None when it succeeded); is_event(message) tells an event."""
    ws.send_text(json.dumps({"id": wanted, "method": method, "params": params}))
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise error_class("no answer to %s within %.0f s" % (method, timeout))
        message = json.loads(ws.receive_text(remaining))
        if message.get("id") == wanted:
            error = error_of(message)
            if error is not None:
                raise error_class("%s: %s" % (method, error))
            return message.get("result", {})
        if is_event(message):
            events.append(message)


class Page:
    """One tab: call(method, **params), events, and helpers."""

    def __init__(self, ws):
        self.ws = ws
        self.next_id = 0
        self.events = []

    def call(self, method, timeout=60.0, **params):
        self.next_id += 1
        return json_call(self.ws, self.next_id, method, params, timeout, self.events,
                         error_of=lambda message: message.get("error"),
                         is_event=lambda message: "method" in message, error_class=CdpError)

    def evaluate(self, expression, timeout=30.0):
        result = self.call("Runtime.evaluate", timeout=timeout, expression=expression,
                           returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise CdpError("evaluate %r: %s" % (expression[:80], result["exceptionDetails"]))
        return result["result"].get("value")

    def navigate(self, url, timeout=30.0):
        self.call("Page.navigate", url=url)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if self.evaluate("document.readyState") == "complete" and \
                        self.evaluate("location.href") == url:
                    return
            except CdpError:
                pass
            time.sleep(0.1)
        raise CdpError("%s did not load within %.0f s" % (url, timeout))

    def wait_for(self, expression, timeout=120.0, interval=0.25):
        """Polls expression until it is truthy; returns its value."""
        done, value = poll_until(lambda: self.evaluate(expression), timeout, interval)
        if not done:
            raise CdpError("%s still %r after %.0f s" % (expression, value, timeout))
        return value

    def screenshot(self, path):
        metrics = self.call("Page.getLayoutMetrics")
        size = metrics.get("cssContentSize") or metrics["contentSize"]
        width, height = int(size["width"]), min(int(size["height"]), 16000)
        data = self.call("Page.captureScreenshot", format="png", captureBeyondViewport=True,
                         clip={"x": 0, "y": 0, "width": width, "height": height, "scale": 1})
        Path(path).write_bytes(base64.b64decode(data["data"]))
        return path

    def screenshot_of(self, selector, path, max_height=1600):
        """A screenshot of the element's top part (at most max_height px)."""
        box = self.evaluate("(() => { const r = document.querySelector(%s).getBoundingClientRect();"
                            " return {x: r.left + scrollX, y: r.top + scrollY, w: r.width,"
                            " h: r.height}; })()" % json.dumps(selector))
        data = self.call("Page.captureScreenshot", format="png", captureBeyondViewport=True,
                         clip={"x": box["x"], "y": box["y"], "width": box["w"],
                               "height": min(box["h"], max_height), "scale": 1})
        Path(path).write_bytes(base64.b64decode(data["data"]))
        return path

    def press_keys(self, keys):
        """keys: WebDriver key values (as browsers.KEYS) or characters, each
        pressed and released in turn on the focused element."""
        for key in keys:
            name, code, text = CDP_KEYS.get(key, (key, ord(key.upper()), key))
            for kind in ("keyDown", "keyUp"):
                extra = {"text": text} if text and kind == "keyDown" else {}
                self.call("Input.dispatchKeyEvent", type=kind, key=name, code=name,
                          windowsVirtualKeyCode=code, nativeVirtualKeyCode=code, **extra)

    def allow_downloads(self, directory):
        self.call("Browser.setDownloadBehavior", behavior="allow", downloadPath=str(directory))

    def response_protocols(self):
        """(url, protocol) of every response seen so far, as Chromium's network
        stack reports it ("h2", "http/1.1", ...)."""
        return [(event["params"]["response"]["url"], event["params"]["response"].get("protocol"))
                for event in self.events if event["method"] == "Network.responseReceived"]

    def console_messages(self):
        """Texts of console API calls and log entries seen so far."""
        texts = []
        for event in self.events:
            if event["method"] == "Log.entryAdded":
                texts.append(event["params"]["entry"].get("text", ""))
            elif event["method"] == "Runtime.consoleAPICalled":
                texts.append(" ".join(str(arg.get("value", arg.get("description", "")))
                                      for arg in event["params"].get("args", [])))
            elif event["method"] == "Runtime.exceptionThrown":
                texts.append("exception: " + json.dumps(event["params"]["exceptionDetails"])[:500])
        return texts


class Chromium:
    def __init__(self, host_rules, output_dir, extra_flags=()):
        self.user_data_dir = Path(tempfile.mkdtemp(prefix="chromium-profile-", dir=output_dir))
        self.log_path = Path(output_dir) / ("chromium-%d.log" % os.getpid())
        command = [chromium_binary(), *BASE_FLAGS, "--user-data-dir=%s" % self.user_data_dir,
                   "--host-resolver-rules=%s" % host_rules, "--remote-debugging-port=0",
                   "--remote-debugging-address=127.0.0.1", *extra_flags, "about:blank"]
        self.log = open(self.log_path, "ab")
        self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=self.log,
                                        stderr=subprocess.STDOUT)
        self.port = self._devtools_port()
        self.ws = None

    def _devtools_port(self, timeout=30.0):
        marker = self.user_data_dir / "DevToolsActivePort"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise CdpError("chromium exited with %s; see %s" % (self.process.returncode,
                                                                   self.log_path))
            if marker.exists():
                lines = marker.read_text().split()
                if lines:
                    return int(lines[0])
            time.sleep(0.1)
        raise CdpError("chromium wrote no DevToolsActivePort within %.0f s" % timeout)

    def page(self):
        with urllib.request.urlopen("http://127.0.0.1:%d/json/list" % self.port, timeout=10) as r:
            targets = json.load(r)
        page = next(t for t in targets if t.get("type") == "page")
        url = page["webSocketDebuggerUrl"]
        path = url.split(str(self.port), 1)[1]
        self.ws = WebSocket("127.0.0.1", self.port, path)
        tab = Page(self.ws)
        for domain in ("Page.enable", "Runtime.enable", "Log.enable", "Network.enable"):
            tab.call(domain)
        tab.call("Emulation.setDeviceMetricsOverride", width=1400, height=1000,
                 deviceScaleFactor=1, mobile=False)
        return tab

    def stop(self):
        if self.ws is not None:
            self.ws.close()
        stop_process(self.process, 10)
        self.log.close()
        shutil.rmtree(self.user_data_dir, ignore_errors=True)
