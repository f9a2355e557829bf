"""The operators' console CGI (cgi/, k8s-cors-console) through a real httpd:
mod_cgid, conf/console/gateway-console.conf, the module exporting the API
location's policy, the fake kube-apiserver behind ProxyPass, and TLS
servers made here (a test CA from openssl) for the probe.

Every endpoint is called over the wire: policy, explain (checked against
the gateway's own answers), echo (any method, never a secret value), probe
(verified TLS, wrong names and untrusted certificates refused, every attempt
to point it elsewhere refused before any connection), and the bounds of the
parsers.
"""

import json
import sys
import time
import urllib.parse
from pathlib import Path

import harness

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "browser"))
import console_fixtures as fx  # noqa: E402

DASHBOARD = "https://dashboard.example.com"
MONITORING = "https://monitoring.example.com"
EVIL = "https://evil.example"
API = "/k8s-cors-console/api"
CSRF = ("X-K8s-Cors-Console", "1")
JSON_HEADERS = {"content-type": "application/json; charset=utf-8",
                "x-content-type-options": "nosniff", "cache-control": "no-store"}

POLICY = """\
<Location "/">
    K8sCors On
    K8sCorsAllowMethods GET POST PUT DELETE
    K8sCorsAllowHeaders Authorization Content-Type
    K8sCorsAllowOrigin %s
    <K8sCorsOrigin %s>
        K8sCorsAllowCredentials Off
    </K8sCorsOrigin>
</Location>
""" % (DASHBOARD, MONITORING)

state = {}


def alt_console(name, cgi, probe_url, ca, timeout_ms=3000, export=True):
    """Another ScriptAlias of the CGI with its own probe settings."""
    return """\
ScriptAlias /alt/{name}/api "{cgi}"
<Location "/alt/{name}/api">
    {export}
    SetEnv K8S_CORS_PROBE_URL "{url}"
    SetEnv K8S_CORS_PROBE_CA "{ca}"
    SetEnv K8S_CORS_PROBE_TIMEOUT_MS {timeout}
</Location>
""".format(name=name, cgi=cgi, url=probe_url, ca=ca, timeout=timeout_ms,
           export="K8sCorsExportPolicy /" if export else "# no K8sCorsExportPolicy")


def setup_module():
    cgi = fx.cgi_binary()
    certs = fx.Certificates(harness.make_private_dir("certs"))
    good = fx.TlsApiServer(*certs.issue("good", "DNS:localhost,IP:127.0.0.1"), kube_cors=True)
    wrong = fx.TlsApiServer(*certs.issue("wrongname", "DNS:other.example.test"))
    untrusted = fx.TlsApiServer(*certs.self_signed("untrusted", "DNS:localhost,IP:127.0.0.1"))
    trap = fx.Blackhole()  # where the proxy variables point: must never be reached
    hole = fx.Blackhole()
    for server in (good, wrong, untrusted, trap, hole):
        server.start()
    state.update(cgi=cgi, certs=certs, good=good, wrong=wrong, untrusted=untrusted, trap=trap,
                 hole=hole)
    fake = harness.FakeApiServer().start()
    state["fake"] = fake
    ca = certs.ca
    trap_url = "http://127.0.0.1:%d" % trap.port
    httpd = harness.Httpd(name="console")
    body = (fx.load_module_lines(fx.CONSOLE_MODULES) + fx.cgid_lines(httpd)
            + "LimitRequestLine 16384\n"
            # Proxy variables in the CGI's environment are ignored.
            + "".join('SetEnv %s "%s"\n' % (name, trap_url)
                      for name in ("https_proxy", "HTTPS_PROXY", "http_proxy", "all_proxy"))
            + POLICY
            + fx.gateway_console_include(cgi, "https://127.0.0.1:%d" % good.port, ca, 3000)
            + "ProxyPass /alt !\n"
            + alt_console("byname", cgi, "https://localhost:%d" % good.port, ca)
            + alt_console("wrongname", cgi, "https://localhost:%d" % wrong.port, ca)
            + alt_console("wrongip", cgi, "https://127.0.0.1:%d" % wrong.port, ca)
            + alt_console("untrusted", cgi, "https://127.0.0.1:%d" % untrusted.port, ca)
            + alt_console("blackhole", cgi, "https://127.0.0.1:%d" % hole.port, ca, 1500)
            + alt_console("metadata", cgi, "https://169.254.169.254", ca)
            + alt_console("plainhttp", cgi, "http://127.0.0.1:%d" % good.port, ca)
            + alt_console("noexport", cgi, "https://127.0.0.1:%d" % good.port, ca, export=False)
            + 'ProxyPass "/" "http://127.0.0.1:%d/"\n' % fake.port)
    httpd.write_config(body)
    httpd.start()
    state["httpd"] = httpd


def teardown_module():
    for name in ("good", "wrong", "untrusted", "trap", "hole"):
        if name in state:
            state[name].stop()
    httpd = state.get("httpd")
    if httpd is not None:
        crashes = httpd.crash_lines()
        assert not crashes, "httpd logged trouble:\n" + "\n".join(crashes)


def call(method, path, headers=(), body=None, query=None):
    if query is not None:
        path += "?" + (query if isinstance(query, str) else urllib.parse.urlencode(query))
    return state["httpd"].request(method, path, list(headers), body)


def json_of(response, status):
    assert response.status == status, response.describe()
    for name, value in JSON_HEADERS.items():
        assert response.header_values(name) == [value], "%s: %r\n%s" % (
            name, response.header_values(name), response.describe())
    return response.json()


def probe(headers=(CSRF,), query=None, base=API, body=None):
    headers = list(headers)
    if body is not None:
        headers.append(("Content-Type", "application/x-www-form-urlencoded"))
    return call("POST", base + "/probe", headers, body, query)


# ---- policy ---------------------------------------------------------------------


def test_policy_is_the_api_locations():
    document = json_of(call("GET", API + "/policy"), 200)
    policy = document["policy"]
    assert document["path"] == "/"
    assert policy["mode"] == "enforce"
    rules = {rule["text"]: rule for rule in policy["rules"]}
    assert set(rules) == {DASHBOARD, MONITORING}, rules
    assert rules[DASHBOARD]["settings"]["credentials"] is True
    assert rules[MONITORING]["settings"]["credentials"] is False
    assert rules[DASHBOARD]["settings"]["methods"] == "GET, POST, PUT, DELETE"
    assert rules[DASHBOARD]["source"].endswith(":%d" % state["httpd"].line_of(
        "K8sCorsAllowOrigin " + DASHBOARD)), rules[DASHBOARD]
    assert isinstance(document["warnings"], list)
    assert document["console"]["probe"]["url"] == "https://127.0.0.1:%d" % state["good"].port


def test_policy_warnings_come_from_the_lint():
    # The alternate consoles export the same policy; a weak pattern shows up.
    document = json_of(call("GET", API + "/policy"), 200)
    assert document["warnings"] == [] or all("code" in w for w in document["warnings"])


def test_allowed_origin_gets_cors_headers_from_the_module():
    response = call("GET", API + "/policy", [("Origin", DASHBOARD)])
    json_of(response, 200)
    assert response.header_values("Access-Control-Allow-Origin") == [DASHBOARD]
    assert response.header_values("Access-Control-Allow-Credentials") == ["true"]


def test_denied_origins_get_403_json_everywhere():
    for origin in (EVIL, "null", DASHBOARD + ":8443", "http://dashboard.example.com",
                   DASHBOARD + ".evil.example", DASHBOARD + "/"):
        for method, endpoint, extra in (("GET", "/policy", ()), ("GET", "/explain", ()),
                                        ("PUT", "/echo", ()), ("POST", "/probe", (CSRF,))):
            before = state["good"].connections
            response = call(method, API + endpoint, [("Origin", origin), *extra])
            document = json_of(response, 403)
            assert document["error"]["code"] in ("origin-not-allowed", "origin-null",
                                                 "origin-malformed"), document
            assert not response.header_values("Access-Control-Allow-Origin"), response.describe()
            assert state["good"].connections == before


def test_same_origin_callers_are_answered():
    self_origin = "http://127.0.0.1:%d" % state["httpd"].port
    response = call("POST", API + "/echo", [("Origin", self_origin), ("Host",
                                            "127.0.0.1:%d" % state["httpd"].port)], b"{}")
    assert json_of(response, 200)["method"] == "POST"


def test_rebinding_page_is_not_the_gateways_own_origin():
    """DNS rebinding against the console: Host and Origin both name the attacker's
    page. The CGI takes the gateway's own origins from the exported policy, not
    from HTTP_HOST, so the page is an unknown origin: 403, and the policy shows
    the origins it does count as its own."""
    response = call("POST", API + "/echo", [("Origin", "http://evil.example:8080"),
                                            ("Host", "evil.example:8080")], b"{}")
    assert json_of(response, 403)["error"]["code"] == "origin-not-allowed", response.describe()
    policy = json_of(call("GET", API + "/policy"), 200)
    assert "http://127.0.0.1:%d" % state["httpd"].port in policy["console"]["self_origins"], policy


def test_missing_export_is_a_clear_500():
    document = json_of(call("GET", "/alt/noexport/api/policy"), 500)
    assert document["error"]["code"] == "no-policy"
    assert "K8sCorsExportPolicy" in document["error"]["message"]


def test_unknown_endpoint_404():
    assert json_of(call("GET", API + "/nope"), 404)["error"]["code"] == "no-endpoint"
    assert json_of(call("GET", API), 200)["endpoints"] == ["policy", "explain", "echo", "probe"]


# ---- explain ----------------------------------------------------------------------


def explain(origin, method, headers="", credentials="omit"):
    query = {"origin": origin, "method": method, "credentials": credentials}
    if headers:
        query["headers"] = headers
        if "content-type" in headers.lower():
            query["content_type"] = "application/json"
    return json_of(call("GET", API + "/explain", query=query), 200)["explain"]


def test_explain_gives_verdicts_reasons_and_rules():
    e = explain(DASHBOARD, "PATCH")
    assert e["expect"]["verdict"] == "blocked" and e["expect"]["reason"] == "method-not-allowed"
    e = explain(DASHBOARD, "GET", "X-Custom")
    assert e["expect"]["reason"] == "header-not-allowed" and e["expect"]["detail"] == "x-custom"
    e = explain(DASHBOARD, "PUT", "Authorization,Content-Type", "include")
    assert e["expect"]["verdict"] == "allowed", e
    assert e["expect"]["rule"]["text"] == DASHBOARD
    assert e["preflight"]["decision"]["headers"]["Access-Control-Allow-Credentials"] == "true"
    e = explain(MONITORING, "GET", "", "include")
    assert e["expect"]["verdict"] == "blocked" and "Credentials" in e["expect"]["cause"]
    assert explain(MONITORING, "GET")["expect"]["verdict"] == "allowed"
    e = explain(EVIL, "GET")
    assert e["expect"]["reason"] == "origin-not-allowed"


def test_explain_matches_the_gateways_preflights():
    """For each (origin, method, headers) the gateway's real preflight answer
    (204 or 403) is what explain's preflight decision says."""
    checked = 0
    for origin in (DASHBOARD, MONITORING, EVIL):
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
            for headers in ("authorization", "content-type", "x-custom", "authorization,x-custom"):
                e = explain(origin, method, headers)
                decision = e["preflight"]["decision"]
                wire = call("OPTIONS", "/api/v1/namespaces", [
                    ("Origin", origin), ("Access-Control-Request-Method", method),
                    ("Access-Control-Request-Headers", headers)])
                assert wire.status == (204 if decision["allowed"] else 403), (e, wire.describe())
                for name, value in decision["headers"].items():
                    if name.startswith("Access-Control-"):
                        assert wire.header_values(name) == [value], (name, wire.describe())
                checked += 1
    assert checked == 60


def test_explain_refuses_bad_parameters():
    for query in ("method=GET%20/&origin=x", "credentials=sometimes&origin=x",
                  "origin=x&headers=a%22b", "origin=x&url=https://evil.example"):
        json_of(call("GET", API + "/explain", query=query), 400)


# ---- echo -------------------------------------------------------------------------


def test_echo_any_method_through_the_gateway():
    for method in ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"):
        body = b'{"k":"v"}' if method in ("POST", "PUT", "PATCH") else None
        response = call(method, API + "/echo", [("Origin", DASHBOARD), ("X-Custom", "1")], body)
        if method == "HEAD":
            assert response.status == 200 and response.body == b""
            continue
        if method in ("PATCH", "OPTIONS"):
            # Not in the API location's methods: the module refuses it (405)
            # before the CGI, with CORS headers so the page can read why.
            assert response.status == 405, response.describe()
            assert response.header_values("Access-Control-Allow-Origin") == [DASHBOARD]
            continue
        document = json_of(response, 200)
        assert document["method"] == method
        assert document["origin"] == DASHBOARD
        assert "x-custom" in document["headers"] and "origin" in document["headers"]
        assert document["body_bytes"] == (len(body) if body else 0)
        assert response.header_values("Access-Control-Allow-Origin") == [DASHBOARD]


def test_echo_never_shows_secrets_or_raw_markup():
    response = call("POST", API + "/echo", [
        ("Origin", DASHBOARD), ("Authorization", "Bearer SECRET-TOKEN-1234"),
        ("Cookie", "session=SECRET-COOKIE"), ("X-Evil", "<script>alert(1)</script>"),
        ("X-Evil-Bytes", "\"\\'&")], "SECRET-BODY <b>")
    document = json_of(response, 200)
    text = response.body.decode()
    assert "SECRET" not in text and "<" not in text and ">" not in text, text
    assert document["authorization_present"] is True
    assert document["cookie_present"] is True
    assert {"cookie", "x-evil", "x-evil-bytes"} <= set(document["headers"])
    assert document["body_bytes"] == len("SECRET-BODY <b>")
    # CGIPassAuth stays Off: the value never reaches the CGI at all.
    assert "authorization" not in document["headers"]


def test_the_websocket_bearer_token_never_shows():
    """kubectl-in-the-browser tools send the token as a WebSocket subprotocol.
    Echo lists header names only; explain and echo redact it wherever a
    request could make them repeat it (a header list, an Origin)."""
    secret = "c2VjcmV0LWJyb3dzZXItdG9rZW4"
    protocol = "base64url.bearer.authorization.k8s.io." + secret
    response = call("GET", API + "/echo", [("Origin", DASHBOARD),
                                           ("Sec-WebSocket-Protocol", "v5.channel.k8s.io, "
                                            + protocol)])
    document = json_of(response, 200)
    assert "sec-websocket-protocol" in document["headers"], document
    assert secret not in response.body.decode(), response.body
    response = call("GET", API + "/explain", query={
        "origin": DASHBOARD, "method": "GET", "headers": "x-a," + protocol})
    text = response.body.decode()
    assert secret not in text, text
    assert "k8s.io.[redacted]" in text, text


def test_echo_body_cap():
    response = call("PUT", API + "/echo", [("Origin", DASHBOARD)], b"x" * (1024 * 1024 + 1))
    assert json_of(response, 413)["error"]["code"] == "body-too-large"
    document = json_of(call("PUT", API + "/echo", [], b"y" * (1024 * 1024)), 200)
    assert document["body_bytes"] == 1024 * 1024


# ---- bounds of the parsers -----------------------------------------------------------


def test_query_and_body_bounds():
    # Over the CGI's 8 KiB: its own 414; 1 MB is httpd's (LimitRequestLine).
    assert json_of(call("GET", API + "/policy?q=" + "a" * (9 * 1024)), 414)["error"]
    assert json_of(call("GET", API + "/policy?q=" + "a" * 8000), 400)["error"]["code"] == \
        "unknown-parameter"
    assert call("GET", API + "/policy?q=" + "a" * (1024 * 1024)).status == 414
    for query in ("a=%00", "a=%zz", "a=%", "a=%4", "%zz=1", "a=1&a=2", "A=1"):
        document = json_of(call("GET", API + "/explain?" + query), 400)
        assert document["error"]["code"] == "bad-query", (query, document)
    form = "origin=" + "a" * (65 * 1024)
    response = call("POST", API + "/explain", [("Content-Type", "application/x-www-form-urlencoded")],
                    form)
    assert json_of(response, 413)["error"]["code"] == "bad-body"
    response = call("POST", API + "/explain", [("Content-Type", "application/x-www-form-urlencoded")],
                    "origin=%00")
    assert json_of(response, 400)["error"]["code"] == "bad-body"
    response = call("POST", API + "/explain", [("Content-Type", "application/x-www-form-urlencoded")],
                    "origin=https%3A%2F%2Fdashboard.example.com&method=DELETE")
    assert json_of(response, 200)["explain"]["method"] == "DELETE"


# ---- probe ------------------------------------------------------------------------


def test_probe_verified_tls_by_ip():
    good = state["good"]
    before = len(good.requests)
    response = probe(query={"path": "/api/v1/namespaces", "origin": DASHBOARD,
                            "request_method": "PUT", "request_headers": "authorization"})
    document = json_of(response, 200)
    assert document["ok"] is True and document["target"] == "https://127.0.0.1:%d" % good.port
    options, get = document["exchanges"]
    assert options["method"] == "OPTIONS" and get["method"] == "GET"
    for exchange in (options, get):
        assert exchange["ok"] is True and exchange["error"] is None, exchange
        assert exchange["tls"]["verify"] == "ok"
        assert exchange["tls"]["version"] in ("TLSv1.2", "TLSv1.3")
        assert exchange["status_line"].startswith("HTTP/1."), exchange
        assert ["Audit-Id", "probe-test"] in exchange["headers"]
        assert "Audit-Id: probe-test\r\n" in exchange["raw_headers"]
    # The API server's own CORS headers are shown as it sent them.
    assert ["Access-Control-Allow-Origin", DASHBOARD] in get["headers"]
    assert get["status"] == 401
    sent = good.requests[before:]
    assert [r["method"] for r in sent] == ["OPTIONS", "GET"]
    assert sent[0]["headers"]["Access-Control-Request-Method"] == "PUT"
    assert sent[0]["headers"]["Access-Control-Request-Headers"] == "authorization"
    assert sent[1]["headers"]["Origin"] == DASHBOARD
    assert all("Authorization" not in r["headers"] for r in sent)


def test_probe_verified_tls_by_name_with_sni():
    good = state["good"]
    document = json_of(probe(base="/alt/byname/api", query={"path": "/version",
                                                            "methods": "HEAD"}), 200)
    assert document["exchanges"][0]["status"] == 200, document
    assert "localhost" in good.sni_names


def probe_failure(base, expected):
    started = time.monotonic()
    document = json_of(probe(base=base, query={"path": "/api"}), 502)
    elapsed = time.monotonic() - started
    assert document["ok"] is False
    for exchange in document["exchanges"]:
        assert exchange["ok"] is False and exchange["error"] is not None, exchange
        assert expected in exchange["error"]["message"], exchange["error"]
        assert "status_line" not in exchange and "raw_headers" not in exchange
        assert exchange["tls"] is None
    return document, elapsed


def test_probe_wrong_hostname_is_refused():
    before = len(state["wrong"].requests)
    document, _ = probe_failure("/alt/wrongname/api", "hostname mismatch")
    assert document["exchanges"][0]["error"]["phase"] == "handshake"
    probe_failure("/alt/wrongip/api", "IP address mismatch")
    assert len(state["wrong"].requests) == before  # nothing was sent over it


def test_probe_untrusted_certificate_is_refused():
    before = len(state["untrusted"].requests)
    document, _ = probe_failure("/alt/untrusted/api", "certificate verify failed")
    assert "self-signed" in document["exchanges"][0]["error"]["message"] or \
        "issuer" in document["exchanges"][0]["error"]["message"], document
    assert len(state["untrusted"].requests) == before


def test_probe_deadline_on_a_blackhole():
    document, elapsed = probe_failure("/alt/blackhole/api", "timed out")
    assert elapsed < 2 * 1.5 + 3, elapsed  # two exchanges of 1.5 s each, and slack
    assert state["hole"].connections >= 1


def test_probe_cannot_be_pointed_elsewhere():
    good = state["good"]
    cases = [
        # (headers, query or body, expected status, method)
        ((CSRF,), "path=//evil.example/api", 400),
        ((CSRF,), "path=https://evil.example/api", 400),
        ((CSRF,), "path=http:/api", 400),
        ((CSRF,), "path=/api/../metrics", 400),
        ((CSRF,), "path=/api/%252e%252e/metrics", 400),
        ((CSRF,), "path=/metrics", 400),
        ((CSRF,), "path=/k8s-cors-console/api/echo", 400),
        ((CSRF,), "path=/api%0d%0aHost:%20evil", 400),
        ((CSRF,), "path=/api@evil.example", 400),
        ((CSRF,), "methods=POST", 400),
        ((CSRF,), "methods=DELETE", 400),
        ((CSRF,), "methods=CONNECT", 400),
        ((CSRF,), "url=https://evil.example:443", 400),
        ((CSRF,), "host=evil.example", 400),
        ((CSRF,), "port=22", 400),
        ((CSRF,), "scheme=http", 400),
        ((CSRF,), "target=http://169.254.169.254/", 400),
        ((CSRF,), "origin=https://a.example.com%0d%0aX:%201", 400),
        ((CSRF,), "request_headers=a%0d%0ab", 400),
        ((), "", 403),                                           # no CSRF header
        ((("X-K8s-Cors-Console", "0"),), "", 403),
        (((("Origin", EVIL)), CSRF), "", 403),                   # a foreign origin
    ]
    before = good.connections
    for headers, query, status in cases:
        document = json_of(probe(headers=headers, query=query), status)
        assert "error" in document, (query, document)
    # A cross-site form: POST, form body, no custom header.
    json_of(probe(headers=[("Origin", EVIL)], body="path=/api"), 403)
    json_of(probe(headers=[("Origin", DASHBOARD)], body="path=/api"), 403)
    # Other methods than POST.
    for method in ("GET", "PUT", "DELETE"):
        json_of(call(method, API + "/probe", [CSRF], query="path=/api"), 405)
    # Targets the configuration may not name.
    for base in ("/alt/metadata/api", "/alt/plainhttp/api"):
        assert json_of(probe(base=base), 503)["error"]["code"] == "probe-not-configured"
    assert good.connections == before, "a refused probe connected"


def test_probe_ignores_proxy_settings():
    trap = state["trap"]
    response = probe(headers=[CSRF, ("Proxy", "http://127.0.0.1:%d" % trap.port)],
                     query={"path": "/healthz", "methods": "GET"})
    assert json_of(response, 200)["ok"] is True
    assert trap.connections == 0


# ---- the page's own rules (no browser needed) -------------------------------------------

def test_page_follows_its_csp_and_token_rules():
    """No inline script or style, no event-handler attributes, no CDN, no
    HTML sinks, no storage of any kind in htdocs/."""
    import re
    htdocs = Path(__file__).resolve().parents[2] / "htdocs"
    html = (htdocs / "index.html").read_text()
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []
    assert "<style" not in html and not re.search(r"\sstyle\s*=", html)
    assert not re.search(r"\son[a-z]+\s*=", html, re.I)
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    scripts = sorted(htdocs.glob("*.js"))
    assert scripts, "no scripts in htdocs/"
    for script in scripts:
        text = script.read_text()
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(",
                     "new Function", "localStorage", "sessionStorage", "document.cookie",
                     "indexedDB", "setAttribute('on", "javascript:"):
            assert sink not in text, "%s uses %s" % (script.name, sink)
        assert not re.search(r"""import\s.*from\s+['"]https?:""", text), script.name
