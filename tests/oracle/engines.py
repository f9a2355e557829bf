"""The browsers that judge the oracle's cases, behind one small interface:

    engine = start_engine(name, work_dir, host_names)   # chromium, firefox, webkit
    engine.open(url)                         # a page on an origin, loaded
    value = engine.run(expression)           # a JS expression (a promise is awaited)
    engine.version()                         # e.g. "Chromium 156.0.8078.114"
    engine.stop()

Host names resolve to 127.0.0.1 inside the engine (every name in Chromium;
the host_names given in Firefox and WebKit, tests/browser/browsers.py), and
the test CA's certificates are accepted. What the cases do in the page (fetch(), frames,
postMessage) is plain web platform code in page_script(), the same for
every engine.
"""

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "browser"))

import browsers  # noqa: E402
import cdp  # noqa: E402

ENGINES = browsers.ENGINES


class Engine:
    name = None

    def open(self, url):
        raise NotImplementedError

    def run(self, expression, timeout=120.0):
        raise NotImplementedError

    def version(self):
        raise NotImplementedError

    def stop(self):
        raise NotImplementedError


class ChromiumEngine(Engine):
    """Headless Chromium over the DevTools protocol (tests/browser/cdp.py)."""

    name = "chromium"

    def __init__(self, work_dir):
        binary = cdp.chromium_binary()
        if not shutil.which(binary):
            raise RuntimeError("chromium is not installed (scripts/install-deps.sh)")
        self.browser = cdp.Chromium("MAP * 127.0.0.1", work_dir)
        self.page = self.browser.page()
        self._version = None

    def open(self, url, timeout=30.0):
        self.page.call("Page.navigate", url=url)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if self.page.evaluate("document.readyState === 'complete' && location.href") == url:
                    return
            except cdp.CdpError:
                pass
            time.sleep(0.02)
        raise cdp.CdpError("%s did not load within %.0f s" % (url, timeout))

    def run(self, expression, timeout=120.0):
        return self.page.evaluate(expression, timeout=timeout)

    def version(self):
        if self._version is None:
            result = self.page.call("Browser.getVersion")
            self._version = result.get("product", "Chromium").replace("/", " ")
        return self._version

    def stop(self):
        self.browser.stop()


class BrowserEngine(Engine):
    """Firefox (WebDriver BiDi) or WebKitGTK (W3C WebDriver), through
    tests/browser/browsers.py."""

    def __init__(self, name, work_dir, host_names):
        self.name = name
        self.browser = browsers.open_engine(name, sorted(host_names), work_dir)
        self.page = self.browser.page
        self._version = browsers.version(name)

    def open(self, url, timeout=30.0):
        self.page.navigate(url, timeout=timeout)

    def run(self, expression, timeout=120.0):
        return self.page.evaluate(expression, timeout=timeout)

    def version(self):
        return self._version

    def stop(self):
        self.browser.close()


def start_engine(name, work_dir, host_names=()):
    if name == "chromium":
        return ChromiumEngine(work_dir)
    if name in ENGINES:
        return BrowserEngine(name, work_dir, host_names)
    raise ValueError("unknown engine %r: use one of %s" % (name, ", ".join(ENGINES)))


# What runs in the page: run(cases) fetches every case (a few at a time),
# in the page itself or in a null-origin frame (sandboxed, or a data: URL)
# that gets the cases by postMessage. A result is the browser's verdict:
# a network error (fetch rejected) or the status and the headers the
# script could read.
RUNNER_JS = r"""
async function oracleFetch(c) {
  const init = {method: c.method, credentials: c.credentials, headers: c.headers,
                mode: 'cors', cache: 'no-store'};
  if (c.body !== null) init.body = c.body;
  try {
    const response = await fetch(c.url, init);
    const read = {};
    for (const name of c.read) read[name] = response.headers.get(name) !== null;
    try { await response.arrayBuffer(); } catch (e) {}
    return {id: c.id, network_error: false, status: response.status, type: response.type, read};
  } catch (error) {
    return {id: c.id, network_error: true, error: String(error)};
  }
}
async function oracleRun(cases, parallel) {
  const results = [];
  let next = 0;
  async function worker() {
    while (next < cases.length) {
      const c = cases[next++];
      results.push(await oracleFetch(c));
    }
  }
  await Promise.all(Array.from({length: parallel}, worker));
  return results;
}
"""

FRAME_HTML = ("<!doctype html><script>" + RUNNER_JS +
              "window.addEventListener('message', async (event) => {"
              " parent.postMessage(await oracleRun(event.data, 4), '*'); });"
              "parent.postMessage('ready', '*');</script>")


def page_script(cases, frame, parallel=4):
    """A JS expression running cases in the current page (frame "top") or
    in a null-origin frame ("sandbox", "data"); its value is the results'
    JSON text."""
    data = json.dumps(cases)
    if frame == "top":
        return "(async () => { %s return JSON.stringify(await oracleRun(%s, %d)); })()" % (
            RUNNER_JS, data, parallel)
    if frame == "sandbox":
        make = ("frame.setAttribute('sandbox', 'allow-scripts'); frame.srcdoc = %s;"
                % json.dumps(FRAME_HTML))
    elif frame == "data":
        make = "frame.src = 'data:text/html;base64,' + btoa(%s);" % json.dumps(FRAME_HTML)
    else:
        raise ValueError("unknown frame %r" % frame)
    return """(async () => {
  const frame = document.createElement('iframe');
  const ready = new Promise((resolve) => {
    window.addEventListener('message', function first(event) {
      if (event.source === frame.contentWindow && event.data === 'ready') {
        window.removeEventListener('message', first); resolve(); } }); });
  %s
  document.body.appendChild(frame);
  await ready;
  const done = new Promise((resolve) => {
    window.addEventListener('message', function answer(event) {
      if (event.source === frame.contentWindow && event.data !== 'ready') {
        window.removeEventListener('message', answer); resolve(event.data); } }); });
  frame.contentWindow.postMessage(%s, '*');
  const results = await done;
  frame.remove();
  return JSON.stringify(results);
})()""" % (make, data)


def chromium_version_text():
    try:
        return subprocess.run([cdp.chromium_binary(), "--version"], capture_output=True,
                              text=True, timeout=30).stdout.strip()
    except OSError:
        return "chromium (version unknown)"
