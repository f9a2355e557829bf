"""The console's grid and its token safety, in a real headless browser:
the engine of the run (browsers.py: chromium, firefox or webkit).

One httpd serves, over TLS on loopback:
  - the page with the shipped snippet conf/console/console-page.conf on
    https://dashboard.example.com:P (also monitoring.example.com and
    evil.example), configured for the gateway only;
  - the same page on https://console.example.com:W, where the operator
    widened the CSP's connect-src to "https:" (as a hand-made or older
    configuration might): only the page itself then stands between a crafted
    link and the token;
  - the Debian snippet conf/debian/k8s-cors-console.conf on
    https://localhost.example:D, with its default list;
  - the gateway https://api.example.com:G: mod_k8s_cors in front of the fake
    kube-apiserver, with the console CGI. Its API path /api has a narrower
    header list than the exported policy at "/", so the browser and the
    policy disagree there (the grid must mark it);
  - the API server over TLS https://127.0.0.1:T, for the probe.
A recording gateway https://other-gateway.example:R (Python, TLS) answers
every CORS request permissively and records what arrives.

Every grid cell must equal the full table's row and the machine-readable
summary, and the verdicts must be the policy's, read here independently.
Screenshots of the grid at 1280x900 and 390x844 go to
tests/out/browser/<engine>/.
"""

import html
import json
import re
import ssl
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler

import harness
import browsers
import console_fixtures as fx

PAGE_NAMES = ("dashboard.example.com", "monitoring.example.com", "evil.example",
              "console.example.com", "localhost.example")
GATEWAY_NAMES = ("api.example.com", "other-gateway.example")
TOKEN = "grid-SECRET-token-5c1e"
API_PATH = "/api/v1/namespaces"
state = {}


class _RecordingHandler(BaseHTTPRequestHandler):
    """A gateway that allows every origin, method and header, with
    credentials, and records each request's method, path and headers."""

    protocol_version = "HTTP/1.1"
    server_version = "recording-gateway"
    sys_version = ""

    def log_message(self, format, *args):  # noqa: A002
        pass

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(min(length, 1 << 20))
        with self.server.lock:
            self.server.requests.append({"method": self.command, "path": self.path,
                                         "headers": {k.lower(): v for k, v in self.headers.items()}})
        body = b'{"recorded":true}'
        self.send_response(200 if self.command != "OPTIONS" else 204)
        origin = self.headers.get("Origin")
        if origin:
            self.send_header("Access-Control-Allow-Origin", origin)
            self.send_header("Access-Control-Allow-Credentials", "true")
            self.send_header("Vary", "Origin")
        if self.command == "OPTIONS":
            self.send_header("Access-Control-Allow-Methods",
                             self.headers.get("Access-Control-Request-Method", "GET"))
            if self.headers.get("Access-Control-Request-Headers"):
                self.send_header("Access-Control-Allow-Headers",
                                 self.headers["Access-Control-Request-Headers"])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _answer  # noqa: N815


def recording_gateway(cert, key):
    server = fx.TlsApiServer(cert, key)
    server.RequestHandlerClass = _RecordingHandler
    server.lock = threading.Lock()
    return server.start()


def debian_snippet(htdocs, cgi):
    """conf/debian/k8s-cors-console.conf with the package's paths pointing
    at this test's copies of the page and the CGI."""
    text = (fx.REPO / "conf" / "debian" / "k8s-cors-console.conf").read_text()
    text = text.replace("/usr/share/libapache2-mod-k8s-cors/htdocs", str(htdocs))
    text = text.replace("/usr/lib/cgi-bin/k8s-cors-console", str(cgi))
    return text.replace("<Directory /usr/lib/cgi-bin>", "<Directory \"%s\">" % cgi.parent)


def setup_module():
    engine = browsers.selected()
    if not browsers.installed(engine):
        raise harness.HarnessError("%s is not installed (scripts/install-deps.sh --test installs "
                                   "%s)" % (engine, browsers.install_hint(engine)))
    cgi = fx.cgi_binary()
    certs = fx.Certificates(harness.make_private_dir("certs"))
    web_cert, web_key = certs.issue("web", ",".join("DNS:" + n for n in PAGE_NAMES + GATEWAY_NAMES))
    api_cert, api_key = certs.issue("apiserver", "IP:127.0.0.1,DNS:localhost")
    fake = harness.FakeApiServer()
    fake.start()
    recorder = recording_gateway(web_cert, web_key)
    httpd = harness.Httpd(name="console-grid")
    page_port, wide_port, debian_port, gateway_port, api_port = (harness.free_port()
                                                                 for _ in range(5))
    gateway = "https://api.example.com:%d" % gateway_port
    origins = {name: "https://%s.example.com:%d" % (name, page_port)
               for name in ("dashboard", "monitoring")}
    ssl_common = 'SSLEngine on\n    SSLCertificateFile "%s"\n    SSLCertificateKeyFile "%s"\n' % (
        web_cert, web_key)
    htdocs = harness.readable_copy(fx.HTDOCS, "console-htdocs")
    body = (fx.load_module_lines(fx.CONSOLE_MODULES + fx.SSL_MODULES) + fx.cgid_lines(httpd)
            + 'SSLSessionCache "shmcb:%s(512000)"\n' % (httpd.root / "run" / "ssl_scache")
            + "".join("Listen 127.0.0.1:%d\n" % port
                      for port in (page_port, wide_port, debian_port, gateway_port, api_port))
            # The Debian snippet first, before any Define: its default list.
            + "<VirtualHost 127.0.0.1:%d>\n    ServerName localhost.example\n" % debian_port
            + "    " + ssl_common
            + "    AddType text/html .html\n    AddType text/javascript .js\n    AddType text/css .css\n"  # /etc/mime.types
            + debian_snippet(htdocs, cgi) + "</VirtualHost>\n"
            # The operators' origins, with the shipped snippet.
            + "<VirtualHost 127.0.0.1:%d>\n    ServerName dashboard.example.com\n" % page_port
            + "    ServerAlias monitoring.example.com evil.example\n    " + ssl_common
            + fx.console_page_include([gateway]) + "</VirtualHost>\n"
            # The same page, with a CSP widened by hand.
            + "<VirtualHost 127.0.0.1:%d>\n    ServerName console.example.com\n" % wide_port
            + "    " + ssl_common + fx.console_page_include([gateway])
            + '    <Location "/k8s-cors-console">\n'
            + "        Header always set Content-Security-Policy \"default-src 'none'; "
            + "script-src 'self'; style-src 'self'; connect-src https:\"\n"
            + "    </Location>\n</VirtualHost>\n"
            # The gateway.
            + "<VirtualHost 127.0.0.1:%d>\n    ServerName api.example.com\n" % gateway_port
            + "    " + ssl_common
            + """    <Location "/">
        K8sCors On
        K8sCorsAllowMethods GET POST PUT DELETE
        K8sCorsAllowHeaders Authorization Content-Type
        K8sCorsAllowOrigin %(dashboard)s
        <K8sCorsOrigin %(monitoring)s>
            K8sCorsAllowCredentials Off
        </K8sCorsOrigin>
    </Location>
    <Location "/api">
        K8sCorsAllowHeaders Content-Type
    </Location>
""" % origins
            + fx.gateway_console_include(cgi, "https://127.0.0.1:%d" % api_port, certs.ca, 3000)
            + '    ProxyPass "/" "http://127.0.0.1:%d/"\n' % fake.port
            + "</VirtualHost>\n"
            + "<VirtualHost 127.0.0.1:%d>\n    ServerName 127.0.0.1\n" % api_port
            + '    SSLEngine on\n    SSLCertificateFile "%s"\n    SSLCertificateKeyFile "%s"\n' % (
                api_cert, api_key)
            + '    ProxyPass "/" "http://127.0.0.1:%d/"\n' % fake.port
            + "</VirtualHost>\n")
    httpd.write_config(body)
    httpd.start()
    out = harness.output_base() / "browser" / engine
    out.mkdir(mode=0o755, parents=True, exist_ok=True)
    state.update(httpd=httpd, fake=fake, recorder=recorder, gateway=gateway, out=out,
                 dashboard=origins["dashboard"], monitoring=origins["monitoring"],
                 evil="https://evil.example:%d" % page_port,
                 wide="https://console.example.com:%d" % wide_port,
                 debian="https://localhost.example:%d" % debian_port,
                 other="https://other-gateway.example:%d" % recorder.port,
                 ports={"page": page_port, "wide": wide_port, "debian": debian_port})
    state["engine"] = browsers.open_engine(engine, PAGE_NAMES + GATEWAY_NAMES, harness.work_dir())
    state["page"] = state["engine"].page


def teardown_module():
    if state.get("engine") is not None:
        state["engine"].close()
    if state.get("recorder") is not None:
        state["recorder"].stop()
    httpd = state.get("httpd")
    if httpd is not None:
        crashes = httpd.crash_lines()
        assert not crashes, "httpd logged trouble:\n" + "\n".join(crashes)


# ---- helpers ---------------------------------------------------------------------------


def viewport(width, height, mobile=False):
    """Returns the [width, height] the page got (WebKit's MiniBrowser
    window has a minimum width)."""
    return state["page"].set_viewport(width, height, mobile=mobile)


def load(url):
    page = state["page"]
    page.navigate(url)
    page.wait_for("document.body.dataset.state === 'idle'", timeout=30)
    return page


def use_token(token=TOKEN):
    state["page"].evaluate("document.getElementById('token').value = %s;"
                           "document.getElementById('use-token').click(); true" % json.dumps(token))


def click(selector):
    state["page"].evaluate("document.querySelector(%s).click(); true" % json.dumps(selector))


def wait_state(wanted, timeout=240):
    return state["page"].wait_for("document.body.dataset.state === %s" % json.dumps(wanted),
                                  timeout=timeout)


def summary():
    return json.loads(state["page"].evaluate("document.getElementById('verdicts').textContent"))


def run_matrix(origin, token=None):
    load(origin + "/k8s-cors-console/?gateway=" + state["gateway"])
    if token:
        use_token(token)
    click("#run-matrix")
    wait_state("done")
    return summary()


def grid_cells():
    return state["page"].evaluate("""[...document.querySelectorAll('#grid table')].flatMap((table) =>
        [...table.querySelectorAll('td.cell')].map((td) => {
            const b = td.querySelector('button');
            const row = td.parentElement.querySelector('th').textContent.trim();
            const column = table.tHead.rows[0].cells[td.cellIndex].querySelector('.long').textContent;
            return b ? {id: b.dataset.cell, browser: b.dataset.browser, expected: b.dataset.expected,
                        match: b.dataset.match, text: b.textContent, classes: td.className,
                        credentials: table.dataset.credentials, row, column} : null;
        }).filter(Boolean))""")


def table_rows():
    return state["page"].evaluate("""[...document.querySelectorAll('#results tbody tr')].map((tr) => ({
        cell: tr.dataset.cell, browser: tr.dataset.browser, expected: tr.dataset.expected,
        match: tr.dataset.match, shown: tr.children[2].textContent, policy: tr.children[3].textContent}))""")


HEADER_LABELS = {"none": "no extra header", "authorization": "Authorization",
                 "content-type": "Content-Type: application/json", "x-custom": "X-Custom"}


def expected_for(cell, credentials_allowed):
    """The gateway's policy, read independently of the console: PATCH and
    X-Custom fail their preflight; a rule without credentials fails every
    credentialed request. Returns (browser, policy): on the API path the
    location /api allows Content-Type only, which the exported policy at
    "/" does not know: the browser blocks Authorization there, the policy
    expects it to pass."""
    if cell["method"] == "PATCH" or cell["header"] == "x-custom":
        return "blocked", "blocked"
    if cell["credentials"] == "include" and not credentials_allowed:
        return "blocked", "blocked"
    if cell["target"] == "api" and cell["header"] == "authorization":
        return "blocked", "allowed"
    return "allowed", "allowed"


def check_grid_equals_table(result, credentials_allowed=None):
    """Every grid cell is the table's row and the summary's cell; with
    credentials_allowed given, the verdicts are the policy's above."""
    cells = {cell["id"]: cell for cell in result["cells"]}
    grid = grid_cells()
    rows = table_rows()
    assert len(cells) == 48 and len(rows) == 48 and len(grid) == 48, (len(cells), len(rows), len(grid))
    assert sorted(g["id"] for g in grid) == sorted(cells), "the grid shows other cells than the table"
    by_row = {row["cell"]: row for row in rows}
    problems = []
    for g in grid:
        cell, row = cells[g["id"]], by_row[g["id"]]
        policy = cell["expected"]["verdict"] if cell["expected"] else "unknown"
        match = "null" if cell["match"] is None else str(cell["match"]).lower()
        if (g["browser"], g["expected"], g["match"]) != (cell["browser"]["verdict"], policy, match) \
                or (row["browser"], row["expected"], row["match"]) != (g["browser"], g["expected"], g["match"]):
            problems.append("%s: grid %r, table %r, summary %r" % (g["id"], g, row, cell))
        # Text, not colour alone; in the right row, column and table.
        words = "✓ allowed" if g["browser"] == "allowed" else "✗ blocked"
        if not g["text"].startswith(words) or g["browser"] not in g["classes"]:
            problems.append("%s: the cell reads %r (%s)" % (g["id"], g["text"], g["classes"]))
        if g["browser"] == "allowed" and str(cell["browser"]["status"]) not in g["text"]:
            problems.append("%s: no status in %r" % (g["id"], g["text"]))
        marked = "≠ policy: " + policy in g["text"] and "mismatch" in g["classes"]
        if marked != (cell["match"] is False):
            problems.append("%s: mismatch mark %r for match %r" % (g["id"], g["text"], cell["match"]))
        if not (g["row"].startswith(cell["method"]) and g["column"] == HEADER_LABELS[cell["header"]]
                and g["credentials"] == cell["credentials"]
                and (API_PATH in g["row"]) == (cell["target"] == "api")):
            problems.append("%s: shown at %r / %r / %r" % (g["id"], g["row"], g["column"],
                                                          g["credentials"]))
        if credentials_allowed is not None:
            browser, wanted = expected_for(cell, credentials_allowed)
            if (cell["browser"]["verdict"], policy) != (browser, wanted):
                problems.append("%s: browser %s, policy %s; expected %s, %s" % (
                    g["id"], cell["browser"]["verdict"], policy, browser, wanted))
    assert not problems, "\n".join(problems)
    return grid


def csp_directives(headers):
    policy = headers["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}


def get_page(port, host):
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    request = urllib.request.Request("https://127.0.0.1:%d/k8s-cors-console/" % port,
                                     headers={"Host": host})
    with urllib.request.urlopen(request, context=context, timeout=10) as response:
        return response.headers, response.read().decode()


def meta_gateways(text):
    found = re.search(r'<meta name="k8s-cors-console-gateways" content="([^"]*)">', text)
    assert found, "no gateways meta element in the page"
    return html.unescape(found.group(1)).split()


# ---- the grid ----------------------------------------------------------------------------


def test_grid_from_the_dashboard_equals_the_table_and_marks_the_mismatch():
    viewport(1280, 900)
    result = run_matrix(state["dashboard"], token=TOKEN)
    assert result["token_used"] is True and result["origin_allowed"] is True, result
    grid = check_grid_equals_table(result, credentials_allowed=True)
    mismatched = sorted(g["id"] for g in grid if "mismatch" in g["classes"])
    assert mismatched == ["api-GET-include-authorization", "api-GET-omit-authorization"], mismatched
    page = state["page"]
    # Mismatches first: the first group of the list, and the cell selected at the end of the run.
    first = page.evaluate("document.querySelector('#attention li').textContent")
    assert first.startswith("≠ mismatch") and "(2 requests)" in first, first
    assert page.evaluate("document.getElementById('cell-detail').dataset.cell") in mismatched
    sentence = page.evaluate("document.getElementById('sentence').textContent")
    assert sentence == result["sentence"], (sentence, result["sentence"])
    for words in ("From %s: " % state["dashboard"], "2 requests where the browser and the policy disagree",
                  "PATCH refused with 403", "X-Custom header blocked by the policy", "credentials allowed"):
        assert words in sentence, (words, sentence)
    # The probe is shown once, not per cell.
    assert page.evaluate("document.querySelectorAll('#probes details').length") <= 2
    page.screenshot_of("#results-section", state["out"] / "grid-1280.png", max_height=1200)
    page.screenshot_of("#grid", state["out"] / "grid-only-1280.png")


def test_grid_on_a_phone_sized_viewport():
    narrow = viewport(390, 844, mobile=True)[0]
    try:
        page = state["page"]
        # 390 px, or MiniBrowser's narrowest window: still under the
        # console's 700 px phone layout.
        assert narrow == 390 or (page.engine == "webkit" and narrow <= 480), narrow
        widths = json.loads(page.evaluate("""JSON.stringify({page: document.documentElement.scrollWidth,
            viewport: window.innerWidth,
            tables: [...document.querySelectorAll('#grid table')].map((t) => t.getBoundingClientRect().right),
            wider: [...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > %d
                && !e.closest('details:not([open]) > :not(summary)')).slice(-5).map((e) => e.outerHTML.slice(0, 120)),
            buttons: Math.min(...[...document.querySelectorAll('#grid td.cell button')].map((b) =>
                b.getBoundingClientRect().height))})""" % (narrow + 1)))
        assert widths["viewport"] == narrow, widths
        assert widths["page"] <= narrow and all(right <= narrow for right in widths["tables"]), widths
        assert widths["buttons"] >= 40, widths
        page.screenshot_of("#results-section", state["out"] / "grid-390.png", max_height=2400)
    finally:
        viewport(1280, 900)


def test_selecting_a_cell_with_the_keyboard_explains_it():
    page = state["page"]
    target = "echo-PATCH-omit-none"
    page.evaluate("document.querySelector('#grid button[data-cell=\"echo-GET-omit-none\"]').focus(); true")
    page.press_keys("ArrowDown", "ArrowDown", "ArrowDown", "Enter")
    page.wait_for("document.getElementById('cell-detail').dataset.cell === %s" % json.dumps(target),
                  timeout=10)
    focused = page.evaluate("document.activeElement.dataset.cell")
    assert focused == target, focused
    assert page.evaluate("document.querySelector('#grid button[aria-pressed=\"true\"]').dataset.cell") \
        == target
    detail = page.evaluate("document.getElementById('cell-detail').textContent")
    for words in ("PATCH /k8s-cors-console/api/echo", "✗ blocked", "method-not-allowed",
                  "method not allowed: PATCH is not in K8sCorsAllowMethods", "Rule",
                  "API server (probe)", "OPTIONS"):
        assert words in detail, (words, detail)
    # The tables are real tables with header cells for both axes.
    scopes = page.evaluate("[...document.querySelectorAll('#grid th')].map((th) => th.scope)")
    assert set(scopes) == {"col", "row"} and scopes.count("row") == 12, scopes


def test_grid_for_a_rule_without_credentials_equals_the_table():
    result = run_matrix(state["monitoring"])
    grid = check_grid_equals_table(result, credentials_allowed=False)
    assert all(g["text"].startswith("✗ blocked") for g in grid if g["credentials"] == "include")
    assert "credentials blocked by the policy" in result["sentence"], result["sentence"]


def test_grid_for_a_denied_origin_equals_the_table():
    result = run_matrix(state["evil"])
    grid = check_grid_equals_table(result)
    assert result["explain_reachable"] is False and result["origin_allowed"] is False, result
    assert all(g["text"] == "✗ blocked ? no policy" for g in grid), grid[0]
    assert result["sentence"].startswith("From %s: every request blocked; the gateway does not "
                                         "allow this page's origin" % state["evil"]), result["sentence"]


def test_export_downloads_the_machine_readable_result():
    page = state["page"]
    downloads = harness.make_private_dir("downloads")
    downloads = page.allow_downloads(downloads)
    click("#export")
    name = "k8s-cors-console-%s.json" % state["gateway"].split("//", 1)[1].replace(":", "_")
    path = downloads / name
    assert harness.wait_until(lambda: path.exists() and path.stat().st_size > 0, 15), \
        sorted(p.name for p in downloads.iterdir())
    assert json.loads(path.read_text()) == summary()


# ---- where a token may go ------------------------------------------------------------------


def recorded(predicate=lambda request: True):
    with state["recorder"].lock:
        return [request for request in state["recorder"].requests if predicate(request)]


def carries_token(request):
    return TOKEN in request["headers"].get("authorization", "")


def test_a_crafted_link_does_not_send_the_token_without_confirmation():
    """The page whose CSP was widened to https: lets the browser reach any
    gateway; the link names the recording gateway and asks to run."""
    page = load(state["wide"] + "/k8s-cors-console/?gateway=" + state["other"] + "&run=matrix")
    note = page.evaluate("document.getElementById('gateway-origin-note').textContent")
    assert "comes from the link" in note, note
    assert "not configured here" in page.evaluate("document.getElementById('status').textContent")
    use_token()
    click("#run-matrix")
    wait_state("confirm", timeout=10)
    dialog = page.evaluate("document.getElementById('confirm-gateway').hidden ? null"
                           " : document.getElementById('confirm-gateway').textContent")
    assert dialog and state["other"] in dialog and state["gateway"] in dialog, dialog
    assert page.evaluate("document.activeElement.id") == "confirm-cancel"
    assert recorded() == [], recorded()
    click("#confirm-cancel")
    wait_state("idle", timeout=10)
    assert recorded() == [], recorded()
    # Confirmed: the tests run and the token goes there. The recorder would have seen it.
    click("#run-matrix")
    wait_state("confirm", timeout=10)
    click("#confirm-send")
    wait_state("done")
    assert summary()["token_used"] is True
    assert recorded(carries_token), [r["headers"] for r in recorded()][:3]
    page.screenshot(state["out"] / "crafted-link-confirmed.png")


def test_a_configured_or_typed_gateway_needs_no_confirmation():
    with state["recorder"].lock:
        state["recorder"].requests.clear()
    # The link's gateway typed over by the operator (trusted input events).
    page = load(state["wide"] + "/k8s-cors-console/?probe=0&gateway=https://elsewhere.example")
    use_token()
    page.evaluate("document.getElementById('gateway').select(); true")
    page.type_text(state["other"])
    assert page.evaluate("document.getElementById('gateway').value") == state["other"]
    click("#run-matrix")
    wait_state("done")
    assert recorded(carries_token), recorded()[:2]
    # A link to the configured gateway runs at once, with the token.
    load(state["dashboard"] + "/k8s-cors-console/?gateway=" + state["gateway"] + "&probe=0")
    use_token()
    click("#run-single")
    wait_state("done", timeout=60)
    assert summary()["token_used"] is True


def test_the_strict_page_asks_too_and_its_csp_blocks_the_rest():
    with state["recorder"].lock:
        state["recorder"].requests.clear()
    page = load(state["dashboard"] + "/k8s-cors-console/?gateway=" + state["other"] + "&probe=0")
    use_token()
    click("#run-matrix")
    wait_state("confirm", timeout=10)
    click("#confirm-send")
    wait_state("done")
    result = summary()
    # connect-src lists the configured gateway only: nothing reached the other one.
    assert recorded() == [], recorded()[:2]
    assert all(cell["browser"]["verdict"] == "blocked" and cell["browser"]["csp"]
               for cell in result["cells"]), result["cells"][0]
    assert "CSP" in page.evaluate("document.getElementById('sentence').textContent")


def test_the_shipped_csp_lists_the_configured_gateways_only():
    headers, text = get_page(state["ports"]["page"], "dashboard.example.com")
    assert csp_directives(headers)["connect-src"] == [state["gateway"]], headers
    assert meta_gateways(text) == [state["gateway"]], text[:600]
    # The Debian snippet: this server only, unless K8S_CORS_CONSOLE_GATEWAYS says more.
    headers, text = get_page(state["ports"]["debian"], "localhost.example")
    assert csp_directives(headers)["connect-src"] == ["'self'"], headers
    assert meta_gateways(text) == ["'self'"], text[:600]
    # What the page makes of it: the Debian page's own origin is its one configured gateway.
    page = load(state["debian"] + "/k8s-cors-console/")
    assert page.evaluate("document.getElementById('gateway').value") == state["debian"]
    note = page.evaluate("document.getElementById('gateway-origin-note').textContent")
    assert note == "Configured gateways: %s." % state["debian"], note


def test_the_page_snippet_without_mod_include_fails_the_config_test():
    modules = tuple(m for m in fx.CONSOLE_MODULES if m[0] != "include_module")
    httpd = harness.Httpd(name="console-no-include")
    status, output = httpd.configtest(fx.load_module_lines(modules)
                                      + fx.console_page_include([state["gateway"]]))
    assert status != 0, output
    assert "console-page.conf" in output and "needs mod_include" in output, output
