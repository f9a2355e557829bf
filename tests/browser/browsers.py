"""The three browser engines behind one interface, for the console's browser
tests and the oracle.

    engine = open_engine("firefox", ["dashboard.example.com", ...], work_dir)
    page = engine.page
    page.navigate(url); page.evaluate("fetch(...).then(...)"); page.wait_for(...)
    page.screenshot(path); engine.close()

  chromium  Debian's chromium over the DevTools protocol (cdp.py)
  firefox   Debian's firefox-esr over WebDriver BiDi (bidi.py)
  webkit    WebKitGTK's MiniBrowser under WebKitWebDriver and Xvfb, over
            W3C WebDriver (webdriver.py)

Each starts with a fresh profile, the given host names mapped to 127.0.0.1
(never through the machine's /etc/hosts), the test CA's certificates
accepted, no background networking; close() stops what it started, by pid.

The engine of a run: $K8S_CORS_BROWSER (default chromium), which
run-browser-tests --engine sets.
"""

import os
import shutil

import bidi
import cdp
import webdriver

ENGINES = ("chromium", "firefox", "webkit")

# WebDriver key values (the CDP driver maps them to its own key events).
KEYS = {"ArrowDown": "\ue015", "ArrowUp": "\ue013", "ArrowLeft": "\ue012",
        "ArrowRight": "\ue014", "Enter": "\ue007", "Tab": "\ue004", "Escape": "\ue00c"}

# What each engine writes to its console when CORS blocks a response
# (WebKit's console is out of WebDriver classic's reach).
CORS_CONSOLE_WORDS = {"chromium": "has been blocked by CORS policy",
                      "firefox": "Cross-Origin Request Blocked"}


class EngineError(Exception):
    pass


def selected():
    """The engine named by $K8S_CORS_BROWSER (default chromium)."""
    name = os.environ.get("K8S_CORS_BROWSER", "chromium").strip().lower() or "chromium"
    if name not in ENGINES:
        raise EngineError("K8S_CORS_BROWSER=%s: not one of %s" % (name, ", ".join(ENGINES)))
    return name


def installed(name):
    if name == "chromium":
        return bool(shutil.which(cdp.chromium_binary()))
    if name == "firefox":
        return bool(shutil.which(bidi.firefox_binary()))
    if name == "webkit":
        return webdriver.installed()
    raise EngineError("no engine %r" % name)


def install_hint(name):
    return {"chromium": "Debian's chromium",
            "firefox": "Debian's firefox-esr",
            "webkit": "Debian's webkit2gtk-driver, xvfb and xauth"}[name]


def version(name):
    if name == "chromium":
        import subprocess
        return subprocess.run([cdp.chromium_binary(), "--version"], capture_output=True,
                              text=True, timeout=60).stdout.split(" built")[0].strip()
    if name == "firefox":
        return bidi.version()
    return webdriver.version()


class Page:
    """What the tests do with a page, whatever the protocol underneath."""

    def __init__(self, engine, driver_page, process):
        self.engine = engine
        self.driver = driver_page
        self.process = process

    def navigate(self, url, timeout=30.0):
        self.driver.navigate(url, timeout=timeout)

    def evaluate(self, expression, timeout=30.0):
        """The value of a script (its last statement), awaited when it is a
        promise, as JSON-like Python values."""
        return self.driver.evaluate(expression, timeout=timeout)

    def wait_for(self, expression, timeout=120.0, interval=0.25):
        """Polls expression until it is truthy; returns its value."""
        done, value = cdp.poll_until(lambda: self.evaluate(expression), timeout, interval)
        if not done:
            raise EngineError("%s: %s still %r after %.0f s" % (self.engine, expression, value,
                                                               timeout))
        return value

    def screenshot(self, path):
        """The whole page as PNG."""
        return self.driver.screenshot(path)

    def screenshot_of(self, selector, path, max_height=1600):
        return self.driver.screenshot_of(selector, path, max_height=max_height)

    def set_viewport(self, width, height, mobile=False):
        """Makes the viewport width x height CSS pixels where the engine can;
        returns the [width, height] the page now has (MiniBrowser's window
        has a minimum width)."""
        if self.engine == "chromium":
            self.driver.call("Emulation.setDeviceMetricsOverride", width=width, height=height,
                             deviceScaleFactor=1, mobile=mobile)
        else:
            self.driver.set_viewport(width, height)
        return self.evaluate("[innerWidth, innerHeight]")

    def press_keys(self, *names):
        """Presses and releases each key in turn (trusted input events), on
        the focused element: names from KEYS, or single characters."""
        self.driver.press_keys([KEYS.get(name, name) for name in names])

    def type_text(self, text):
        """Types text into the focused element as trusted input, replacing
        its selection."""
        self.driver.press_keys(list(text)) if self.engine != "chromium" else \
            self.driver.call("Input.insertText", text=text)

    def allow_downloads(self, directory):
        """Downloads go to directory without a dialog. Returns the directory
        they will land in (WebKit's MiniBrowser saves to its own download
        directory, which its engine chose at start)."""
        if self.engine == "webkit":
            return self.process.downloads
        self.driver.allow_downloads(directory)
        return directory

    def response_protocols(self):
        """(url, protocol) of every response, from the engine's network log;
        None where the protocol has no network log (WebDriver classic)."""
        return self.driver.response_protocols()

    def console_messages(self):
        """The console's messages (console API, errors, CORS reports)."""
        return self.driver.console_messages()

    def cors_console_words(self):
        return CORS_CONSOLE_WORDS[self.engine]


class Engine:
    def __init__(self, name, process, driver_page):
        self.name = name
        self.process = process
        self.page = Page(name, driver_page, process)

    def close(self):
        self.process.stop()


def open_engine(name, host_names, output_dir):
    """Starts engine name with host_names resolving to 127.0.0.1; returns an
    Engine whose .page is ready on about:blank at 1400x1000."""
    if name not in ENGINES:
        raise EngineError("no engine %r (one of %s)" % (name, ", ".join(ENGINES)))
    if not installed(name):
        raise EngineError("%s is not installed (scripts/install-deps.sh --test installs %s)"
                          % (name, install_hint(name)))
    if name == "chromium":
        rules = ", ".join("MAP %s 127.0.0.1" % host for host in host_names)
        process = cdp.Chromium(rules, output_dir)
    elif name == "firefox":
        process = bidi.Firefox(host_names, output_dir)
    else:
        process = webdriver.WebKit(host_names, output_dir)
    try:
        page = process.page()
    except Exception:
        process.stop()
        raise
    return Engine(name, process, page)
