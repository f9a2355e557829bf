"""The operators' console page (htdocs/) in a real headless browser: the
engine of the run (browsers.py: chromium, firefox or webkit).

One httpd serves, over TLS on loopback (certificates from a test CA made
here; Chromium maps the names to 127.0.0.1 and accepts them), offering h2
(mod_http2, `Protocols h2 http/1.1`) as a production gateway does; the
tests check that the browser used h2 for the page and for every request to the
gateway, and that the console's explain and probe saw HTTP/2:
  - the page, on the operators' origin(s) (conf/console/console-page.conf,
    with its CSP), as https://dashboard.example.com:P, https://monitoring.
    example.com:P and https://evil.example:P;
  - the gateway https://api.example.com:G: mod_k8s_cors in front of the fake
    kube-apiserver, with the console CGI (conf/console/gateway-console.conf);
  - the "API server over TLS" https://127.0.0.1:T that the probe reaches,
    verified against the test CA.

The page runs its matrix from each origin; every cell's browser verdict must
equal the policy's expectation (explain), and both must equal what this
file expects from the policy independently. From the denied origin the
browser blocks everything and the page says so. Screenshots and summaries of
each run are kept in $K8S_CORS_BUILDDIR/tests/out/browser/<engine>/.
"""

import json
import shutil
import ssl
import urllib.request

import harness
import browsers
import console_fixtures as fx

PAGE_NAMES = ("dashboard.example.com", "monitoring.example.com", "evil.example")
TOKEN = "console-e2e-SECRET-token-8f3a"
state = {}


def setup_module():
    engine = browsers.selected()
    if not browsers.installed(engine):
        raise harness.HarnessError("%s is not installed (scripts/install-deps.sh --test installs "
                                   "%s)" % (engine, browsers.install_hint(engine)))
    cgi = fx.cgi_binary()
    certs = fx.Certificates(harness.make_private_dir("certs"))
    web_cert, web_key = certs.issue("web", ",".join("DNS:" + n for n in PAGE_NAMES
                                                    + ("api.example.com",)))
    api_cert, api_key = certs.issue("apiserver", "IP:127.0.0.1,DNS:localhost")
    fake = harness.FakeApiServer(cors_origins=[r"https://dashboard\.example\.com(:[0-9]+)?$"])
    fake.start()
    httpd = harness.Httpd(name="console-e2e")
    page_port, gateway_port, api_port = (harness.free_port() for _ in range(3))
    gateway = "https://api.example.com:%d" % gateway_port
    dashboard = "https://dashboard.example.com:%d" % page_port
    monitoring = "https://monitoring.example.com:%d" % page_port
    ssl_common = 'SSLEngine on\n    SSLCertificateFile "%s"\n    SSLCertificateKeyFile "%s"\n'
    body = (fx.load_module_lines(fx.CONSOLE_MODULES + fx.SSL_MODULES + harness.HTTP2_MODULES)
            + "Protocols h2 http/1.1\n" + fx.cgid_lines(httpd)
            + 'SSLSessionCache "shmcb:%s(512000)"\n' % (httpd.root / "run" / "ssl_scache")
            + "Listen 127.0.0.1:%d\nListen 127.0.0.1:%d\nListen 127.0.0.1:%d\n"
            % (page_port, gateway_port, api_port)
            # The operators' origins: the page, with its CSP.
            + "<VirtualHost 127.0.0.1:%d>\n    ServerName dashboard.example.com\n" % page_port
            + "    ServerAlias monitoring.example.com evil.example\n"
            + "    " + ssl_common % (web_cert, web_key)
            + '    DocumentRoot "%s"\n' % (httpd.root / "htdocs")
            + fx.console_page_include([gateway])
            + "</VirtualHost>\n"
            # The gateway: the policy, the console CGI, the API behind it.
            + "<VirtualHost 127.0.0.1:%d>\n    ServerName api.example.com\n" % gateway_port
            + "    " + ssl_common % (web_cert, web_key)
            + """    <Location "/">
        K8sCors On
        K8sCorsAllowMethods GET POST PUT DELETE
        K8sCorsAllowHeaders Authorization Content-Type
        K8sCorsAllowOrigin %s
        <K8sCorsOrigin %s>
            K8sCorsAllowCredentials Off
        </K8sCorsOrigin>
    </Location>
""" % (dashboard, monitoring)
            + fx.gateway_console_include(cgi, "https://127.0.0.1:%d" % api_port, certs.ca, 3000)
            # The page on the gateway's own origin too (Debian's layout).
            + fx.console_page_include([gateway])
            + '    ProxyPass "/" "http://127.0.0.1:%d/"\n' % fake.port
            + "</VirtualHost>\n"
            # The API server over TLS, for the probe.
            + "<VirtualHost 127.0.0.1:%d>\n    ServerName 127.0.0.1\n" % api_port
            + "    " + ssl_common % (api_cert, api_key)
            + '    ProxyPass "/" "http://127.0.0.1:%d/"\n' % fake.port
            + "</VirtualHost>\n")
    httpd.write_config(body)
    httpd.start()
    out = harness.output_base() / "browser" / engine
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(mode=0o755, parents=True)
    state.update(httpd=httpd, fake=fake, gateway=gateway, dashboard=dashboard,
                 monitoring=monitoring, evil="https://evil.example:%d" % page_port,
                 page_port=page_port, out=out)
    state["engine"] = browsers.open_engine(engine, PAGE_NAMES + ("api.example.com",),
                                          harness.work_dir())
    state["page"] = state["engine"].page


def teardown_module():
    if state.get("engine") is not None:
        state["engine"].close()
    httpd = state.get("httpd")
    if httpd is not None:
        crashes = httpd.crash_lines()
        assert not crashes, "httpd logged trouble:\n" + "\n".join(crashes)


def page_url(origin, query=""):
    return origin + "/k8s-cors-console/?gateway=" + state["gateway"] + query


def run_matrix(origin, name, token=None):
    """Loads the page from origin, types the token (when given) and runs the
    matrix as an operator would; returns (summary, rows) and saves a
    screenshot as NAME.png."""
    page = state["page"]
    page.navigate(page_url(origin))
    page.wait_for("document.body.dataset.state === 'idle'", timeout=30)
    if token:
        page.evaluate("document.getElementById('token').value = %s;"
                      "document.getElementById('use-token').click(); true" % json.dumps(token))
    page.evaluate("document.getElementById('run-matrix').click(); true")
    page.wait_for("document.body.dataset.state === 'done'", timeout=240)
    summary = json.loads(page.evaluate("document.getElementById('verdicts').textContent"))
    rows = page.evaluate("""[...document.querySelectorAll('#results tbody tr')].map((tr) => ({
        cell: tr.dataset.cell, browser: tr.dataset.browser, expected: tr.dataset.expected,
        match: tr.dataset.match, shown: tr.children[2].textContent,
        policy: tr.children[3].textContent, probe: tr.children[4].textContent,
        cause: tr.children[5].textContent}))""")
    page.screenshot(state["out"] / (name + ".png"))
    page.screenshot_of("#results-section", state["out"] / (name + "-results.png"))
    (state["out"] / (name + ".json")).write_text(json.dumps(summary, indent=2))
    return summary, rows


def expected_for(cell, credentials_allowed):
    """The policy above, read independently of the console: PATCH and
    X-Custom are refused in preflights; a rule without credentials fails
    every credentialed request."""
    if cell["method"] == "PATCH" or cell["header"] == "x-custom":
        return "blocked"
    if cell["credentials"] == "include" and not credentials_allowed:
        return "blocked"
    return "allowed"


def check_matrix(summary, rows, credentials_allowed):
    assert summary["state"] == "done", summary
    assert summary["explain_reachable"] is True and summary["origin_allowed"] is True, summary
    cells = summary["cells"]
    assert len(cells) == 48 and len(rows) == 48
    problems = []
    for cell, row in zip(cells, rows):
        wanted = expected_for(cell, credentials_allowed)
        if not (cell["browser"]["verdict"] == cell["expected"]["verdict"] == wanted):
            problems.append("%s: browser %s, policy %s, expected %s" % (
                cell["id"], cell["browser"]["verdict"], cell["expected"]["verdict"], wanted))
        if cell["match"] is not True or row["match"] != "true" or row["cell"] != cell["id"]:
            problems.append("%s: the page does not show a match: %r" % (cell["id"], row))
        # What the page shows in the row is what the summary says.
        shown = "blocked by the browser" if wanted == "blocked" else "allowed"
        if not row["shown"].startswith(shown) or not row["policy"].startswith(wanted):
            problems.append("%s: row shows %r / %r" % (cell["id"], row["shown"], row["policy"]))
        if wanted == "blocked" and not row["cause"].strip():
            problems.append("%s: a blocked cell without a likely cause" % cell["id"])
        if cell["browser"]["csp"]:
            problems.append("%s: blocked by the page's CSP" % cell["id"])
    assert not problems, "\n".join(problems)
    assert summary["counts"]["mismatches"] == 0


def test_page_is_served_with_the_strict_csp():
    context = ssl.create_default_context(cafile=None)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    request = urllib.request.Request("https://127.0.0.1:%d/k8s-cors-console/" % state["page_port"],
                                     headers={"Host": "dashboard.example.com"})
    with urllib.request.urlopen(request, context=context, timeout=10) as response:
        csp = response.headers["Content-Security-Policy"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    for directive in ("default-src 'none'", "script-src 'self'", "style-src 'self'",
                      "connect-src %s" % state["gateway"], "img-src 'self'",
                      "frame-ancestors 'none'", "base-uri 'none'", "form-action 'none'"):
        assert directive in csp, (directive, csp)


def test_matrix_from_the_dashboard_matches_the_policy():
    summary, rows = run_matrix(state["dashboard"], "dashboard-matrix", token=TOKEN)
    check_matrix(summary, rows, credentials_allowed=True)
    assert summary["token_used"] is True
    allowed = [c for c in summary["cells"] if c["browser"]["verdict"] == "allowed"]
    assert len(allowed) == 30, len(allowed)
    # The echo cells saw what the browser sent; the exposed Date header is visible.
    assert all("date" in c["browser"]["headers"] for c in allowed), allowed[0]
    # The probe reached the API server over verified TLS for every cell.
    for cell in summary["cells"]:
        assert cell["probe"] and all(x["ok"] for x in cell["probe"]), cell
    # The token was used but is nowhere to be found afterwards.
    page = state["page"]
    leftovers = page.evaluate("""JSON.stringify({local: localStorage.length,
        session: sessionStorage.length, cookie: document.cookie, url: location.href,
        dom: document.documentElement.outerHTML.includes(%s)})""" % json.dumps(TOKEN))
    leftovers = json.loads(leftovers)
    assert leftovers == {"local": 0, "session": 0, "cookie": "", "url": leftovers["url"],
                         "dom": False}, leftovers
    assert TOKEN not in leftovers["url"]
    # The fake API server saw the token on the API path's Authorization tests.
    assert state["fake"].stats()["total"] > 0
    check_http2(summary, state["dashboard"])


def check_http2(summary, page_origin):
    """The page and every request to the gateway went over h2: the page's
    own Resource Timing entry (nextHopProtocol, which the page shows) and
    the engine's network log (CDP Network.responseReceived, BiDi
    network.responseCompleted; WebDriver classic has none) say so, and the
    probe saw HTTP/2.0. Cross-origin entries hide nextHopProtocol (the
    gateway sends no Timing-Allow-Origin), so the page reports them hidden."""
    assert summary["protocols"]["page"] == "h2", summary["protocols"]
    assert summary["protocols"]["gateway"] == ["hidden"], summary["protocols"]
    probes = [c["probe_protocol"] for c in summary["cells"] if c.get("probe_protocol")]
    assert probes and set(probes) == {"HTTP/2.0"}, probes
    seen = state["page"].response_protocols()
    if seen is None:
        return
    gateway_protocols = {p for url, p in seen if url.startswith(state["gateway"] + "/")}
    page_protocols = {p for url, p in seen if url.startswith(page_origin + "/")}
    assert gateway_protocols == {"h2"}, gateway_protocols
    assert page_protocols == {"h2"}, page_protocols


def test_matrix_from_a_rule_without_credentials_matches_the_policy():
    summary, rows = run_matrix(state["monitoring"], "monitoring-matrix")
    check_matrix(summary, rows, credentials_allowed=False)
    blocked = [c for c in summary["cells"] if c["credentials"] == "include"]
    assert all(c["browser"]["verdict"] == "blocked" for c in blocked)
    assert any("Credentials" in r["cause"] for r in rows if "include" in r["cell"]), rows


def test_denied_origin_is_blocked_and_the_page_says_so():
    summary, rows = run_matrix(state["evil"], "evil-matrix")
    assert summary["state"] == "done"
    assert all(c["browser"]["verdict"] == "blocked" for c in summary["cells"]), summary
    assert summary["explain_reachable"] is False and summary["origin_allowed"] is False
    assert summary["gateway_reachable"] is True
    assert "does not allow this page's origin" in summary["message"], summary["message"]
    message = state["page"].evaluate("document.getElementById('message').textContent")
    assert "Blocked by the browser" in message and state["evil"] in message, message
    assert all("does not allow this page's origin" in r["cause"] for r in rows)
    messages = state["page"].console_messages()
    if messages is not None:  # WebDriver classic has no console log
        texts = "\n".join(messages)
        assert state["page"].cors_console_words() in texts, texts[-2000:]


def test_explaining_another_origin_names_the_port_mismatch():
    page = state["page"]
    other = "https://dashboard.example.com:8443"
    page.navigate(page_url(state["dashboard"], "&explain_origin=" + other))
    page.wait_for("document.body.dataset.explained", timeout=30)
    text = page.evaluate("document.getElementById('explain-result').textContent")
    assert "blocked" in text and "port mismatch" in text, text
    protocol = page.evaluate("document.getElementById('explain-result').dataset.protocol")
    assert protocol == "HTTP/2.0" and "The gateway answered over HTTP/2.0; this page came over h2." \
        in text, (protocol, text)
    page.screenshot(state["out"] / "explain-port-mismatch.png")


def test_page_on_the_gateways_own_origin_warns_that_nothing_is_cors():
    page = state["page"]
    page.navigate(page_url(state["gateway"], "&run=single&probe=0"))
    page.wait_for("document.body.dataset.state === 'done'", timeout=60)
    summary = json.loads(page.evaluate("document.getElementById('verdicts').textContent"))
    assert summary["same_origin"] is True, summary
    assert summary["cells"][0]["browser"]["verdict"] == "allowed"
    assert summary["cells"][0]["expected"]["reason"] == "same-origin", summary["cells"][0]
    assert "gateway's own origin" in summary["message"], summary["message"]
