"""Headless Firefox driven over WebDriver BiDi, with the Python standard
library only (the WebSocket client of cdp.py).

Firefox(...) starts Debian's firefox-esr (or $FIREFOX) headless with a fresh
profile whose preferences map the test host names to loopback
(network.dns.localDomains) and turn off every background connection; the
session accepts the test CA's certificates (acceptInsecureCerts). .page()
is a Page on its first browsing context. Stop it with .stop() (its pid only).
"""

import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from cdp import WebSocket, json_call, stop_process

# Preferences of the fresh profile: no update, telemetry, remote settings,
# safe browsing, captive portal or connectivity probes (the test machine has
# no Internet); http: pages load as http: (no HTTPS-First upgrade);
# downloads saved without a dialog.
PREFERENCES = {
    "app.update.disabledForTesting": True,
    "app.update.auto": False,
    "browser.shell.checkDefaultBrowser": False,
    "browser.startup.page": 0,
    "browser.startup.homepage_override.mstone": "ignore",
    "browser.newtabpage.enabled": False,
    "browser.aboutwelcome.enabled": False,
    "browser.region.network.url": "",
    "browser.region.update.enabled": False,
    "browser.safebrowsing.malware.enabled": False,
    "browser.safebrowsing.phishing.enabled": False,
    "browser.safebrowsing.blockedURIs.enabled": False,
    "browser.safebrowsing.downloads.enabled": False,
    "browser.safebrowsing.downloads.remote.enabled": False,
    "browser.safebrowsing.update.enabled": False,
    "browser.search.update": False,
    "browser.topsites.contile.enabled": False,
    "datareporting.policy.dataSubmissionEnabled": False,
    "datareporting.healthreport.uploadEnabled": False,
    "toolkit.telemetry.enabled": False,
    "toolkit.telemetry.server": "",
    "services.settings.server": "data:,#remote-settings-off",
    "extensions.update.enabled": False,
    "extensions.getAddons.cache.enabled": False,
    "extensions.blocklist.enabled": False,
    "media.gmp-manager.updateEnabled": False,
    "network.captive-portal-service.enabled": False,
    "network.connectivity-service.enabled": False,
    "network.dns.disablePrefetch": True,
    "network.prefetch-next": False,
    "network.proxy.type": 0,
    "messaging-system.rsexperimentloader.enabled": False,
    "app.normandy.enabled": False,
    "app.shield.optoutstudies.enabled": False,
    "dom.security.https_first": False,
    "dom.security.https_first_pbm": False,
    "dom.security.https_only_mode": False,
    "browser.download.folderList": 2,
    "browser.download.useDownloadDir": True,
    "browser.download.always_ask_before_handling_new_types": False,
    "browser.download.start_downloads_in_tmp_dir": False,
}


def firefox_binary():
    return os.environ.get("FIREFOX") or shutil.which("firefox-esr") or shutil.which("firefox") \
        or "/usr/bin/firefox-esr"


def version():
    out = subprocess.run([firefox_binary(), "--version"], capture_output=True, text=True,
                         timeout=60).stdout.strip()
    return out.replace("Mozilla Firefox ", "Firefox ")


class BidiError(Exception):
    pass


def deserialize(value):
    """A BiDi RemoteValue as the plain JSON-like value Runtime.evaluate's
    returnByValue would give."""
    kind = value.get("type")
    if kind in ("undefined", "null"):
        return None
    if kind in ("string", "boolean"):
        return value["value"]
    if kind == "number":
        number = value["value"]
        return {"NaN": float("nan"), "-0": -0.0, "Infinity": float("inf"),
                "-Infinity": float("-inf")}.get(number, number) if isinstance(number, str) \
            else number
    if kind == "bigint":
        return int(value["value"])
    if kind in ("array", "set"):
        return [deserialize(item) for item in value.get("value", [])]
    if kind in ("object", "map"):
        result = {}
        for key, item in value.get("value", []):
            result[key if isinstance(key, str) else str(deserialize(key))] = deserialize(item)
        return result
    return {"type": kind}


class Page:
    """One browsing context of a BiDi session."""

    def __init__(self, ws, context):
        self.ws = ws
        self.context = context
        self.next_id = 100
        self.events = []

    def call(self, method, timeout=60.0, **params):
        self.next_id += 1
        return json_call(self.ws, self.next_id, method, params, timeout, self.events,
                         error_of=lambda message: (
                             "%s: %s" % (message.get("error"), message.get("message"))
                             if message.get("type") == "error" else None),
                         is_event=lambda message: message.get("type") == "event",
                         error_class=BidiError)

    def evaluate(self, expression, timeout=30.0):
        result = self.call("script.evaluate", timeout=timeout, expression=expression,
                           target={"context": self.context}, awaitPromise=True,
                           resultOwnership="none")
        if result.get("type") == "exception":
            raise BidiError("evaluate %r: %s" % (expression[:80],
                                                 result["exceptionDetails"].get("text")))
        return deserialize(result["result"])

    def navigate(self, url, timeout=30.0):
        self.call("browsingContext.navigate", timeout=timeout, context=self.context, url=url,
                  wait="complete")

    def set_viewport(self, width, height):
        self.call("browsingContext.setViewport", context=self.context,
                  viewport={"width": width, "height": height}, devicePixelRatio=1)

    def press_keys(self, keys):
        """keys: WebDriver key values ("\\ue015" ArrowDown, "\\ue007" Enter,
        or characters), each pressed and released in turn."""
        actions = []
        for key in keys:
            actions += [{"type": "keyDown", "value": key}, {"type": "keyUp", "value": key}]
        self.call("input.performActions", context=self.context,
                  actions=[{"type": "key", "id": "keyboard", "actions": actions}])
        self.call("input.releaseActions", context=self.context)

    def allow_downloads(self, directory):
        self.call("browser.setDownloadBehavior",
                  downloadBehavior={"type": "allowed", "destinationFolder": str(directory)})

    def _capture(self, path, clip=None):
        params = {"context": self.context, "origin": "document"}
        if clip:
            params["clip"] = dict(type="box", **clip)
        data = self.call("browsingContext.captureScreenshot", **params)
        Path(path).write_bytes(base64.b64decode(data["data"]))
        return path

    def screenshot(self, path):
        height = self.evaluate("document.documentElement.scrollHeight")
        width = self.evaluate("document.documentElement.scrollWidth")
        return self._capture(path, {"x": 0, "y": 0, "width": width,
                                    "height": min(height, 16000)})

    def screenshot_of(self, selector, path, max_height=1600):
        box = self.evaluate("(() => { const r = document.querySelector(%s).getBoundingClientRect();"
                            " return {x: r.left + scrollX, y: r.top + scrollY, width: r.width,"
                            " height: r.height}; })()" % json.dumps(selector))
        box["height"] = min(box["height"], max_height)
        return self._capture(path, box)

    def response_protocols(self):
        """(url, protocol) of every response seen so far, as Firefox's network
        layer reports it ("h2", "http/1.1", ...)."""
        return [(event["params"]["request"]["url"], event["params"]["response"].get("protocol"))
                for event in self.events if event["method"] == "network.responseCompleted"]

    def console_messages(self):
        """Texts of console API calls and JavaScript errors seen so far."""
        return [event["params"].get("text") or "" for event in self.events
                if event["method"] == "log.entryAdded"]


class Firefox:
    def __init__(self, host_names, output_dir):
        self.profile = Path(tempfile.mkdtemp(prefix="firefox-profile-", dir=output_dir))
        self.downloads = self.profile / "downloads"
        self.downloads.mkdir()
        preferences = dict(PREFERENCES)
        preferences["network.dns.localDomains"] = ",".join(host_names)
        preferences["browser.download.dir"] = str(self.downloads)
        (self.profile / "user.js").write_text("".join(
            "user_pref(%s, %s);\n" % (json.dumps(name), json.dumps(value))
            for name, value in preferences.items()))
        self.log_path = Path(output_dir) / ("firefox-%d.log" % os.getpid())
        self.log = open(self.log_path, "ab")
        environment = dict(os.environ, MOZ_CRASHREPORTER_DISABLE="1", MOZ_HEADLESS="1")
        self.process = subprocess.Popen(
            [firefox_binary(), "--headless", "--no-remote", "--profile", str(self.profile),
             "--remote-debugging-port=0", "--remote-allow-hosts=127.0.0.1", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT,
            env=environment)
        self.port = self._bidi_port()
        self.ws = None

    def _bidi_port(self, timeout=60.0):
        marker = self.profile / "WebDriverBiDiServer.json"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BidiError("firefox exited with %s; see %s" % (self.process.returncode,
                                                                   self.log_path))
            try:
                return int(json.loads(marker.read_text())["ws_port"])
            except (OSError, ValueError, KeyError):
                time.sleep(0.1)
        raise BidiError("firefox wrote no WebDriverBiDiServer.json within %.0f s" % timeout)

    def page(self):
        self.ws = WebSocket("127.0.0.1", self.port, "/session")
        page = Page(self.ws, None)
        page.call("session.new", capabilities={"alwaysMatch": {"acceptInsecureCerts": True}})
        tree = page.call("browsingContext.getTree")
        # A window of the session's own: the first one never has focus in
        # headless Firefox, and without focus keyboard events miss their
        # default actions (Enter on a button would not click it).
        page.context = page.call("browsingContext.create", type="window")["context"]
        page.call("browsingContext.close", context=tree["contexts"][0]["context"])
        page.call("browsingContext.activate", context=page.context)
        page.call("session.subscribe", events=["log.entryAdded", "network.responseCompleted"])
        page.set_viewport(1400, 1000)
        return page

    def stop(self):
        if self.ws is not None:
            self.ws.close()
        stop_process(self.process, 15)
        self.log.close()
        shutil.rmtree(self.profile, ignore_errors=True)
