"""The policy language ("Policy language" issue) through a real httpd and the
fake kube-apiserver, on the seed article's scenario:

  https://dashboard.example.com            full access (kube's defaults)
  https://grafana.example.com              full access, its own rule: one extra
                                           request header (X-Grafana-Org-Id) and
                                           one exposed header (X-Grafana-Trace)
  https://readonly-dashboard.example.com   <K8sCorsOrigin> with GET HEAD only
                                           ("Restricting CORS by HTTP Methods")
  https://[a-z0-9-]+\\.apps\\.example\\.com  one-label subdomain pattern

One gateway holds every run-time case, each family under its own prefix:
"/" enforces with denied origins passed (kube's behaviour), /reject/ rejects
them and answers refused methods 403, /report/ is report-only (with reject
set, to prove that report-only refuses nothing), /off/ is off, /pna/ answers
Private Network Access preflights, /wild/ allows `*` without credentials,
and the nested <Location /apis/> and <Location /version> check origin
replacement versus field-by-field inheritance. Start-up behaviour (config
errors, the seed's "Security Best Practices" under K8sCorsStrict) is checked
with `httpd -t`.
"""

import contextlib
import re
import secrets
import time

import harness
from harness import check

TOKEN = "demo-token"
BEARER = "Bearer " + TOKEN
NAMESPACES = "/api/v1/namespaces"
EXEC_PATH = NAMESPACES + "/default/pods/p/exec?command=sh"

DASHBOARD = "https://dashboard.example.com"
GRAFANA = "https://grafana.example.com"
READONLY = "https://readonly-dashboard.example.com"
APPS_ONE_LABEL = "https://x.apps.example.com"
APPS_TWO_LABELS = "https://a.b.apps.example.com"
APPS_READONLY = "https://ro-x.apps.example.com"
APPS_PINNED = "https://pinned.apps.example.com"
APIS_CONSOLE = "https://apis-console.example.com"
EVIL = "https://evil.example.net"

KUBE_METHODS = "POST, GET, OPTIONS, PUT, DELETE, PATCH"
KUBE_HEADERS = ("Content-Type Content-Length Accept-Encoding X-CSRF-Token Authorization "
                "X-Requested-With If-Modified-Since")
ACAPN = "Access-Control-Allow-Private-Network"
ACRPN = "Access-Control-Request-Private-Network"
# The CORS set a kube-style upstream (fake_apiserver --cors-allowed-origins) sends.
FAKE_CORS_NAMES = sorted(name.lower() for name in (
    harness.ACAO, harness.ACAM, harness.ACAH, harness.ACEH, harness.ACAC))
PER_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "date", "server"}

POLICY = f"""\
<Location "/">
    K8sCors On
    K8sCorsAllowOrigin {DASHBOARD}
    <K8sCorsOrigin {GRAFANA}>
        K8sCorsRuleName grafana
        K8sCorsAllowHeaders {KUBE_HEADERS} X-Grafana-Org-Id
        K8sCorsExposeHeaders Date X-Grafana-Trace
    </K8sCorsOrigin>
    <K8sCorsOrigin {READONLY}>
        K8sCorsAllowMethods GET HEAD
        K8sCorsRuleName readonly
    </K8sCorsOrigin>
    K8sCorsAllowOriginRegex "https://[a-z0-9-]+\\.apps\\.example\\.com"
    <K8sCorsOrigin {APPS_PINNED}>
        K8sCorsRuleName pinned
        K8sCorsAllowMethods GET HEAD
    </K8sCorsOrigin>
</Location>
<Location "/apis/">
    K8sCorsAllowOrigin {APIS_CONSOLE}
</Location>
<Location "/version">
    K8sCorsMaxAge 1234
</Location>
<Location "/reject/">
    K8sCorsDeniedOrigin reject
    K8sCorsDeniedMethodStatus 403
</Location>
<Location "/report/">
    K8sCors report-only
    K8sCorsDeniedOrigin reject
    K8sCorsDeniedMethodStatus 403
</Location>
<Location "/off/">
    K8sCors Off
</Location>
<Location "/pna/">
    K8sCorsAllowPrivateNetwork On
</Location>
<Location "/wild/">
    K8sCorsAllowCredentials Off
    K8sCorsAllowOrigin *
    <K8sCorsOrigin {READONLY}>
        K8sCorsAllowMethods GET HEAD
    </K8sCorsOrigin>
</Location>
"""

PREFIXES = ("/reject/", "/report/", "/off/", "/pna/", "/wild/")

fake = None
gateway = None


def setup_module():
    global fake, gateway
    fake = harness.FakeApiServer(token=TOKEN, name="fake-policy").start()
    upstream = "http://127.0.0.1:%d/" % fake.port
    proxy = "".join('ProxyPass "%s" "%s" upgrade=websocket\nProxyPassReverse "%s" "%s"\n'
                    % (prefix, upstream, prefix, upstream) for prefix in PREFIXES)
    proxy += 'ProxyPass "/" "%s" upgrade=websocket\nProxyPassReverse "/" "%s"\n' % (upstream,
                                                                                    upstream)
    gateway = harness.Httpd(POLICY + proxy, name="policy")
    gateway.start()


def teardown_module():
    harness.stop_servers(gateway, fake)


# ---- helpers ---------------------------------------------------------------------


def expect_status(response, *statuses):
    check(response.status in statuses,
          "status %d, expected %s" % (response.status, " or ".join(map(str, statuses))), response)


def expect_cors(response, outcome, origin=None, credentials=True):
    """harness.cors_wire_problems must find nothing wrong."""
    problems = harness.cors_wire_problems(response, outcome, origin, credentials)
    check(not problems, "; ".join(problems), response)


def one_header(response, name):
    values = response.header_values(name)
    check(len(values) == 1, "%d %s headers: %r" % (len(values), name, values), response)
    return values[0]


def header_list(response, name):
    """The comma-separated tokens of one header, lower-cased."""
    return [token.strip().lower() for token in one_header(response, name).split(",")]


def no_allow_headers(response):
    found = response.headers_starting_with("Access-Control-Allow")
    check(not found, "Access-Control-Allow-* present: %r" % found, response)


def request(method, path, origin=None, headers=(), body=None, authorization=BEARER):
    pairs = []
    if origin is not None:
        pairs.append(("Origin", origin))
    if authorization is not None:
        pairs.append(("Authorization", authorization))
    pairs += list(headers)
    return gateway.request(method, path, pairs, body)


def preflight(origin, path=NAMESPACES, method="GET", headers="authorization", extra=()):
    pairs = [("Origin", origin), ("Access-Control-Request-Method", method)]
    if headers is not None:
        pairs.append(("Access-Control-Request-Headers", headers))
    return gateway.request("OPTIONS", path, pairs + list(extra))


def upstream_count(action):
    """(action's result, requests the fake received meanwhile)."""
    before = fake.total_requests()
    result = action()
    return result, fake.total_requests() - before


@contextlib.contextmanager
def upstream_does_kube_cors():
    """The fake answers like kube-apiserver --cors-allowed-origins=.* meanwhile."""
    fake.set_cors([".*"])
    try:
        yield
    finally:
        fake.set_cors(None)


def log_lines_mentioning(text, timeout=3.0):
    """[k8s_cors:*] lines of the error log containing text (waits for one)."""
    def lines():
        return [line for line in gateway.error_log().splitlines()
                if "[k8s_cors:" in line and text in line]
    if harness.wait_until(lines, timeout):
        time.sleep(0.2)
    return lines()


def unique_evil_origin(tag):
    return "https://%s-%s.evil.example.net" % (tag, secrets.token_hex(4))


def names_file_and_line(output, path, line):
    """output points at line `line` of file `path` (httpd's "line N of FILE"
    or the module's "FILE:N")."""
    path = re.escape(str(path))
    return bool(re.search(r"line %d of %s" % (line, path), output)
                or re.search(r"%s:%d\b" % (path, line), output))


def configtest(body):
    """httpd -t on body; returns (server, exit status, output)."""
    server = harness.Httpd(name="configtest")
    status, output = server.configtest(body)
    return server, status, output


def expect_config_error(body, offending_fragment, *phrases):
    """httpd -t fails, naming the file and the line holding offending_fragment,
    and the output contains each phrase (case-insensitive)."""
    server, status, output = configtest(body)
    line = server.line_of(offending_fragment)
    check(status != 0, "httpd -t accepted it:\n%s" % output)
    check(names_file_and_line(output, server.conf_path, line),
          "the error does not name %s line %d (%r):\n%s"
          % (server.conf_path, line, offending_fragment, output))
    for phrase in phrases:
        check(phrase.lower() in output.lower(), "%r missing from:\n%s" % (phrase, output))
    return output


def location(lines, strict=False):
    """A <Location /> holding lines (one directive a line), optionally after
    K8sCorsStrict On in the server config."""
    body = "K8sCorsStrict On\n" if strict else ""
    body += '<Location "/">\n    K8sCors On\n%s</Location>\n' % "".join(
        "    %s\n" % line for line in lines)
    return body + 'ProxyPass "/" "http://127.0.0.1:%d/"\n' % harness.free_port()


# ---- the seed's origins --------------------------------------------------------------


def test_dashboard_has_full_access():
    """The dashboard gets kube's full grant: a PUT preflight with Authorization and
    Content-Type is answered 204 by httpd with the default methods (never
    proxied), its GET and DELETE are proxied with ACAO/ACAC/ACEH Date."""
    response, upstream = upstream_count(
        lambda: preflight(DASHBOARD, method="PUT", headers="authorization,content-type"))
    expect_status(response, 204)
    expect_cors(response, harness.CORS_ALLOWED_PREFLIGHT, DASHBOARD)
    check(one_header(response, harness.ACAM) == KUBE_METHODS, "ACAM", response)
    check(upstream == 0, "the preflight reached the API server", response)
    for method, status in (("GET", 200), ("DELETE", 200)):
        response, upstream = upstream_count(lambda: request(method, NAMESPACES, DASHBOARD))
        expect_status(response, status)
        expect_cors(response, harness.CORS_ALLOWED_ACTUAL, DASHBOARD)
        check(one_header(response, harness.ACEH) == "Date", "ACEH", response)
        check(upstream == 1, "%s reached the API server %d times" % (method, upstream), response)


def test_grafana_rule_allows_its_header_and_exposes_its_trace():
    """Grafana's own rule: its preflight asking X-Grafana-Org-Id (with
    Authorization) is granted and ACAH lists it, and its actual responses expose
    X-Grafana-Trace."""
    response = preflight(GRAFANA, method="POST", headers="authorization,x-grafana-org-id")
    expect_status(response, 204)
    expect_cors(response, harness.CORS_ALLOWED_PREFLIGHT, GRAFANA)
    allowed = header_list(response, harness.ACAH)
    check("x-grafana-org-id" in allowed and "authorization" in allowed, "ACAH %r" % allowed,
          response)
    response = request("GET", NAMESPACES, GRAFANA)
    expect_status(response, 200)
    expect_cors(response, harness.CORS_ALLOWED_ACTUAL, GRAFANA)
    check("x-grafana-trace" in header_list(response, harness.ACEH), "ACEH", response)


def test_grafana_header_is_only_for_grafana():
    """The extra header belongs to Grafana's rule alone: the dashboard's preflight
    asking x-grafana-org-id is refused 403 without Access-Control-Allow-*, and the
    dashboard's actual responses do not expose X-Grafana-Trace."""
    response, upstream = upstream_count(
        lambda: preflight(DASHBOARD, method="GET", headers="authorization,x-grafana-org-id"))
    expect_status(response, 403)
    no_allow_headers(response)
    check(upstream == 0, "the refused preflight reached the API server", response)
    response = request("GET", NAMESPACES, DASHBOARD)
    check("x-grafana-trace" not in header_list(response, harness.ACEH), "ACEH leaks", response)


def test_readonly_dashboard_reads():
    """The read-only dashboard's GET and HEAD (HEAD counts as allowed since GET
    is) are proxied with its CORS headers, and its GET preflight lists only GET
    and HEAD."""
    for method in ("GET", "HEAD"):
        response, upstream = upstream_count(lambda: request(method, NAMESPACES, READONLY))
        expect_status(response, 200)
        expect_cors(response, harness.CORS_ALLOWED_ACTUAL, READONLY)
        check(upstream == 1, "%s reached the API server %d times" % (method, upstream), response)
    response = preflight(READONLY, method="GET")
    expect_status(response, 204)
    expect_cors(response, harness.CORS_ALLOWED_PREFLIGHT, READONLY)
    check(header_list(response, harness.ACAM) == ["get", "head"], "ACAM", response)


def test_readonly_dashboard_write_preflight_is_refused():
    """The read-only dashboard's preflights for PUT, DELETE and POST are refused
    403 without any Access-Control-Allow-* header and never reach the API
    server."""
    for method in ("PUT", "DELETE", "POST"):
        response, upstream = upstream_count(lambda: preflight(READONLY, method=method))
        expect_status(response, 403)
        no_allow_headers(response)
        check(upstream == 0, "the %s preflight reached the API server" % method, response)


def test_readonly_dashboard_delete_is_refused_405_at_the_gateway():
    """The read-only dashboard's actual DELETE (a simple request skips the
    preflight when sent without custom headers; a script may also ignore it) is
    refused at the gateway: 405, Allow listing GET and HEAD, the CORS headers kept
    so the page can read it, and the API server never sees it."""
    for method in ("DELETE", "PUT", "POST"):
        response, upstream = upstream_count(lambda: request(method, NAMESPACES, READONLY,
                                                            body=b"{}"))
        expect_status(response, 405)
        allow = [token.strip() for token in one_header(response, "Allow").split(",")]
        check(sorted(allow) == ["GET", "HEAD"], "Allow: %r" % allow, response)
        expect_cors(response, harness.CORS_ALLOWED_ACTUAL, READONLY)
        check(upstream == 0, "the refused %s reached the API server" % method, response)
    lines = log_lines_mentioning(READONLY)
    check(any("method-not-allowed" in line and "readonly" in line for line in lines),
          "no method-not-allowed log line naming the rule 'readonly':\n%s" % "\n".join(lines))


def test_readonly_dashboard_delete_gets_403_with_denied_method_status_403():
    """With K8sCorsDeniedMethodStatus 403 the same DELETE gets 403 instead of 405,
    still at the gateway (API server counter unchanged)."""
    response, upstream = upstream_count(lambda: request("DELETE", "/reject" + NAMESPACES,
                                                        READONLY))
    expect_status(response, 403)
    check(upstream == 0, "the refused DELETE reached the API server", response)
    response = request("GET", "/reject" + NAMESPACES, READONLY)
    expect_status(response, 200)
    expect_cors(response, harness.CORS_ALLOWED_ACTUAL, READONLY)


def test_subdomain_pattern_matches_one_label_only():
    """https://[a-z0-9-]+\\.apps\\.example\\.com admits x.apps.example.com (GET and
    preflight) but not a.b.apps.example.com (no ACAO, preflight 403)."""
    response = request("GET", NAMESPACES, APPS_ONE_LABEL)
    expect_status(response, 200)
    expect_cors(response, harness.CORS_ALLOWED_ACTUAL, APPS_ONE_LABEL)
    response = preflight(APPS_ONE_LABEL, method="DELETE")
    expect_status(response, 204)
    expect_cors(response, harness.CORS_ALLOWED_PREFLIGHT, APPS_ONE_LABEL)
    response = request("GET", NAMESPACES, APPS_TWO_LABELS)
    expect_status(response, 200)
    expect_cors(response, harness.CORS_DENIED)
    response = preflight(APPS_TWO_LABELS)
    expect_status(response, 403)
    no_allow_headers(response)


# A family of its own, so that a failure to start it (a <K8sCorsOriginRegex>
# section with settings) does not hide the other results.
PRECEDENCE_POLICY = f"""\
<Location "/">
    K8sCors On
    <K8sCorsOriginRegex "https://ro-[a-z0-9-]+\\.apps\\.example\\.com">
        K8sCorsRuleName ro-apps
        K8sCorsAllowMethods GET HEAD
    </K8sCorsOriginRegex>
    K8sCorsAllowOriginRegex "https://[a-z0-9-]+\\.apps\\.example\\.com"
</Location>
ProxyPass "/" "http://127.0.0.1:{{port}}/"
"""


def test_exact_origin_wins_over_pattern():
    """Precedence: pinned.apps.example.com, named in a read-only <K8sCorsOrigin>
    after the full apps pattern that also matches it, gets its exact rule (DELETE
    refused 405 at the gateway; its preflight lists GET, HEAD), while x.apps gets
    the pattern's full access (DELETE proxied)."""
    for origin, status in ((APPS_PINNED, 405), (APPS_ONE_LABEL, 200)):
        response, upstream = upstream_count(lambda: request("DELETE", NAMESPACES, origin))
        expect_status(response, status)
        expect_cors(response, harness.CORS_ALLOWED_ACTUAL, origin)
        check(upstream == (1 if status == 200 else 0),
              "%s: the API server saw %d requests" % (origin, upstream), response)
    response = preflight(APPS_PINNED)
    expect_status(response, 204)
    check(header_list(response, harness.ACAM) == ["get", "head"], "ACAM", response)


def test_patterns_apply_in_configuration_order():
    """Precedence among patterns, on a gateway of its own: ro-x.apps matches the
    earlier read-only <K8sCorsOriginRegex> (DELETE refused 405), x.apps only the
    later full K8sCorsAllowOriginRegex (DELETE proxied)."""
    server = harness.Httpd(PRECEDENCE_POLICY.format(port=fake.port), name="precedence")
    server.start()
    try:
        for origin, status in ((APPS_READONLY, 405), (APPS_ONE_LABEL, 200)):
            response, upstream = upstream_count(lambda: server.request(
                "DELETE", NAMESPACES, [("Origin", origin), ("Authorization", BEARER)]))
            expect_status(response, status)
            expect_cors(response, harness.CORS_ALLOWED_ACTUAL, origin)
            check(upstream == (1 if status == 200 else 0),
                  "%s: the API server saw %d requests" % (origin, upstream), response)
    finally:
        server.stop()


def test_wildcard_comes_last():
    """Under /wild/ (`*` without credentials, listed first) the read-only
    dashboard's exact rule still wins (DELETE refused 405), while any other origin
    falls through to `*`: proxied with ACAO `*` and no credentials header."""
    response, upstream = upstream_count(lambda: request("DELETE", "/wild" + NAMESPACES,
                                                        READONLY))
    expect_status(response, 405)
    check(upstream == 0, "the refused DELETE reached the API server", response)
    response, upstream = upstream_count(lambda: request("DELETE", "/wild" + NAMESPACES, EVIL))
    expect_status(response, 200)
    expect_cors(response, harness.CORS_ALLOWED_ACTUAL, "*", credentials=False)
    check(not response.header_values(harness.ACAC), "ACAC with `*`", response)
    check(upstream == 1, "the DELETE did not reach the API server", response)


# ---- modes ---------------------------------------------------------------------------


def test_enforce_replaces_upstream_cors():
    """Enforce (`K8sCors On`): even when the API server sends kube's own CORS
    headers, an allowed origin gets exactly the module's set (no ACAM on an actual
    response), a denied one gets none, and a preflight never reaches the API
    server."""
    with upstream_does_kube_cors():
        response = request("GET", NAMESPACES, DASHBOARD)
        expect_cors(response, harness.CORS_ALLOWED_ACTUAL, DASHBOARD)
        response = request("GET", NAMESPACES, EVIL)
        expect_status(response, 200)
        expect_cors(response, harness.CORS_DENIED)
        response, upstream = upstream_count(lambda: preflight(DASHBOARD))
        expect_status(response, 204)
        check(upstream == 0, "the preflight reached the API server", response)


def same_as_direct(path, method, origin, headers=(), in_scope=False):
    """The gateway's response to a request under path and the fake's own response
    to the same request must carry the same status and header names (hop-by-hop
    aside) and the same Access-Control-* values."""
    pairs = [("Origin", origin), ("Authorization", BEARER)] + list(headers)
    direct = fake.request(method, NAMESPACES, pairs)
    via = gateway.request(method, path + NAMESPACES, pairs)
    check(via.status == direct.status, "status %d, the API server's %d" % (via.status,
                                                                          direct.status), via)
    via_names, direct_names = (sorted({name.lower() for name, _ in r.headers} - PER_HOP)
                               for r in (via, direct))
    if in_scope:
        # report-only: Vary: Origin merged, the API server's CORS headers removed.
        direct_names = sorted(({"vary"} | set(direct_names))
                              - {name.lower() for name, _ in harness.access_control_headers(direct)})
        check("origin" in via.vary_tokens(), "Vary lacks Origin", via)
    check(via_names == direct_names, "headers %s, the API server sent %s"
          % (via_names, direct_names), via)
    # Header names are case-insensitive (HTTP/2 sends them in lower case).
    direct_cors, via_cors = (sorted((name.lower(), value) for name, value in
                                    harness.access_control_headers(r)) for r in (direct, via))
    if in_scope:
        direct_cors = []
    check(via_cors == direct_cors,
          "Access-Control-* differ from the API server's: %r" % direct_cors, via)
    return via


def check_untouched(prefix, in_scope=False):
    """Common to report-only and Off: no CORS header of the gateway's, preflights
    reach the API server, nothing is refused (not even a denied origin's
    upgrade). Off passes the upstream's CORS headers unchanged; report-only
    (in_scope) is a K8sCors scope: Vary: Origin merged, the upstream's CORS
    headers removed, as in enforce."""
    # Nothing added, for an allowed and a denied origin.
    for origin in (DASHBOARD, EVIL):
        response = same_as_direct(prefix, "GET", origin, in_scope=in_scope)
        expect_cors(response, harness.CORS_NONE)
    with upstream_does_kube_cors():
        # Off: the upstream's own kube-style CORS passes as it is (ACAM on an
        # actual response, which the module never sends; ACAO even for a denied
        # origin). report-only: removed.
        for origin in (DASHBOARD, EVIL):
            response = same_as_direct(prefix, "GET", origin, in_scope=in_scope)
            names = sorted(name.lower() for name, _ in harness.access_control_headers(response))
            check(names == ([] if in_scope else FAKE_CORS_NAMES),
                  "upstream CORS set: %s" % names, response)
            check(response.header_values(harness.ACAO) == ([] if in_scope else [origin]), "ACAO",
                  response)
        # A preflight is the API server's business.
        response, upstream = upstream_count(lambda: preflight(DASHBOARD, path=prefix + NAMESPACES))
        check(upstream == 1, "the preflight did not reach the API server (%d)" % upstream,
              response)
        expect_status(response, 204)
        check(not response.header_values(harness.ACMA), "Max-Age added", response)
    # Denied-origin preflight, read-only DELETE, denied-origin form POST: all proxied.
    response, upstream = upstream_count(
        lambda: preflight(EVIL, path=prefix + NAMESPACES, method="DELETE"))
    check(upstream == 1 and response.status == 401,
          "denied preflight: status %d, %d upstream requests" % (response.status, upstream),
          response)
    response, upstream = upstream_count(lambda: request("DELETE", prefix + NAMESPACES, READONLY))
    check(upstream == 1 and response.status == 200,
          "read-only DELETE: status %d, %d upstream requests" % (response.status, upstream),
          response)
    expect_cors(response, harness.CORS_NONE)
    response, upstream = upstream_count(lambda: request(
        "POST", prefix + NAMESPACES, EVIL, [("Content-Type", "application/x-www-form-urlencoded")],
        body="a=b"))
    check(upstream == 1 and response.status == 201,
          "denied form POST: status %d, %d upstream requests" % (response.status, upstream),
          response)
    before = fake.stats()["websocket_upgrades"]
    response = gateway.request("GET", prefix + EXEC_PATH, upgrade_headers(EVIL), timeout=5.0)
    check(response.status == harness.upgrade_success_status()
          and fake.stats()["websocket_upgrades"] == before + 1,
          "denied upgrade: status %d, not tunnelled to the API server" % response.status,
          response)


def test_report_only_refuses_nothing_and_sends_no_cors_headers():
    """report-only (here with K8sCorsDeniedOrigin reject and method status 403 set,
    which must not matter) sends no CORS header of its own and none of the API
    server's, merges Vary: Origin, lets preflights reach the API server, and refuses nothing
    (denied preflight, read-only DELETE, denied form POST and a denied origin's
    WebSocket upgrade all reach the API server)."""
    check_untouched("/report", in_scope=True)


def test_report_only_logs_would_deny():
    """report-only logs each denial as `KC0100: report-only, would deny CORS ...`
    at k8s_cors:info, naming the origin, while the request is proxied."""
    origin = unique_evil_origin("report")
    response, upstream = upstream_count(lambda: request("GET", "/report" + NAMESPACES, origin))
    expect_status(response, 200)
    check(upstream == 1, "not proxied", response)
    lines = log_lines_mentioning(origin)
    check(len(lines) == 1, "%d log lines for %s:\n%s" % (len(lines), origin, "\n".join(lines)))
    check("[k8s_cors:info]" in lines[0] and "KC0100: report-only, would deny CORS" in lines[0],
          "log line: %s" % lines[0])
    response = request("DELETE", "/report" + NAMESPACES, READONLY)
    expect_status(response, 200)
    lines = [line for line in log_lines_mentioning(READONLY) if "would deny" in line]
    check(any("method-not-allowed" in line and "/report" in line for line in lines),
          "no would-deny line for the read-only DELETE:\n%s" % "\n".join(lines))


def test_off_leaves_everything_untouched():
    """K8sCors Off under /off/: the same checks as report-only (nothing added,
    upstream CORS untouched, preflights and refused methods proxied), and no
    KC0100 line for a denied origin."""
    check_untouched("/off")
    origin = unique_evil_origin("off")
    expect_status(request("GET", "/off" + NAMESPACES, origin), 200)
    time.sleep(0.3)
    lines = [line for line in gateway.error_log().splitlines() if origin in line]
    check(not lines, "Off logged the origin:\n%s" % "\n".join(lines))


# ---- denied origins ------------------------------------------------------------------


def test_denied_origin_pass_is_proxied_without_cors():
    """K8sCorsDeniedOrigin pass (the default): a denied origin's GET and form POST
    reach the API server and come back without any Access-Control-* header."""
    response, upstream = upstream_count(lambda: request("GET", NAMESPACES, EVIL))
    expect_status(response, 200)
    expect_cors(response, harness.CORS_DENIED)
    check(upstream == 1, "the GET was not proxied", response)
    response, upstream = upstream_count(lambda: request(
        "POST", NAMESPACES, EVIL, [("Content-Type", "application/x-www-form-urlencoded")],
        body="name=x"))
    expect_status(response, 201)
    expect_cors(response, harness.CORS_DENIED)
    check(upstream == 1, "the POST was not proxied", response)


def test_denied_origin_reject_refuses_at_the_gateway():
    """K8sCorsDeniedOrigin reject: a denied origin's GET gets 403 from httpd, and a
    cross-site form POST (application/x-www-form-urlencoded, which needs no
    preflight) is refused 403 too; the API server sees neither, and no
    Access-Control-Allow-* is sent. An allowed origin is unaffected."""
    response, upstream = upstream_count(lambda: request("GET", "/reject" + NAMESPACES, EVIL))
    expect_status(response, 403)
    no_allow_headers(response)
    check(upstream == 0, "the GET reached the API server", response)
    response, upstream = upstream_count(lambda: request(
        "POST", "/reject" + NAMESPACES, EVIL,
        [("Content-Type", "application/x-www-form-urlencoded")], body="name=x",
        authorization=None))
    expect_status(response, 403)
    no_allow_headers(response)
    check(upstream == 0, "the form POST reached the API server", response)
    response, upstream = upstream_count(lambda: request("POST", "/reject" + NAMESPACES,
                                                        DASHBOARD, body="{}"))
    expect_status(response, 201)
    expect_cors(response, harness.CORS_ALLOWED_ACTUAL, DASHBOARD)


def test_same_origin_post_is_never_refused():
    """A POST whose Origin is the gateway's own (http://127.0.0.1:PORT, the Host
    this client sends; https over TLS) is not CORS: under reject it is proxied,
    and no CORS header is added."""
    own = "%s://127.0.0.1:%d" % ("https" if gateway.protocol == harness.H2 else "http",
                                 gateway.port)
    for path in ("/reject" + NAMESPACES, NAMESPACES):
        response, upstream = upstream_count(lambda: request(
            "POST", path, own, [("Content-Type", "application/x-www-form-urlencoded")],
            body="name=x"))
        expect_status(response, 201)
        check(upstream == 1, "%s: the same-origin POST was not proxied" % path, response)
        expect_cors(response, harness.CORS_NONE)


def test_forged_host_does_not_make_a_denied_origin_same_origin():
    """DNS rebinding: a page on rebind.example:PORT (the gateway's scheme and
    port) whose name now resolves to the gateway posts with that Origin and
    the same name as Host (:authority over HTTP/2). The gateway's own origin
    comes from its configuration, not from Host: under reject the POST is
    refused 403 before the API server."""
    forged = "rebind.example:%d" % gateway.port
    scheme = "https" if gateway.protocol == harness.H2 else "http"
    response, upstream = upstream_count(lambda: request(
        "POST", "/reject" + NAMESPACES, "%s://%s" % (scheme, forged),
        [("Host", forged), ("Content-Type", "application/x-www-form-urlencoded")], body="a=b"))
    expect_status(response, 403)
    check(upstream == 0, "the forged-Host POST reached the API server", response)


def upgrade_headers(origin):
    return [("Origin", origin), ("Authorization", BEARER), ("Connection", "Upgrade"),
            ("Upgrade", "websocket"), ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
            ("Sec-WebSocket-Version", "13"), ("Sec-WebSocket-Protocol", "v5.channel.k8s.io")]


def test_upgrade_from_denied_origin_is_refused_even_with_pass():
    """Browsers never apply CORS to WebSockets, so an upgrade (exec) from a denied
    origin is refused 403 by httpd even under K8sCorsDeniedOrigin pass, and the
    API server sees nothing; the same origin's plain GET is still passed."""
    before = fake.stats()
    response = gateway.request("GET", EXEC_PATH, upgrade_headers(EVIL), timeout=5.0)
    after = fake.stats()
    expect_status(response, 403)
    no_allow_headers(response)
    check(after["total"] == before["total"] and
          after["websocket_upgrades"] == before["websocket_upgrades"],
          "the upgrade reached the API server", response)
    expect_status(request("GET", NAMESPACES, EVIL), 200)


# ---- nested locations ----------------------------------------------------------------


def test_child_location_naming_origins_replaces_the_parents():
    """<Location /apis/> naming its own origin replaces the parent's origins: the
    dashboard (allowed on /) is denied there (preflight 403, GET without CORS),
    the child's origin is allowed there and denied on the parent's paths."""
    response = preflight(DASHBOARD, path="/apis/apps/v1")
    expect_status(response, 403)
    no_allow_headers(response)
    response = request("GET", "/apis/apps/v1", DASHBOARD)
    expect_cors(response, harness.CORS_DENIED)
    response = request("GET", "/apis/apps/v1", APIS_CONSOLE)
    expect_cors(response, harness.CORS_ALLOWED_ACTUAL, APIS_CONSOLE)
    response = preflight(APIS_CONSOLE, path="/apis/apps/v1", method="DELETE")
    expect_status(response, 204)
    expect_cors(response, harness.CORS_ALLOWED_PREFLIGHT, APIS_CONSOLE)
    response = request("GET", NAMESPACES, APIS_CONSOLE)
    expect_cors(response, harness.CORS_DENIED)


def test_child_location_setting_only_max_age_inherits_origins():
    """<Location /version> setting only K8sCorsMaxAge keeps the parent's origins
    and rules: the dashboard's preflight gets Max-Age 1234, Grafana's rule still
    grants its header, the read-only rule still refuses DELETE (405), and a denied
    origin stays denied."""
    response = preflight(DASHBOARD, path="/version")
    expect_status(response, 204)
    expect_cors(response, harness.CORS_ALLOWED_PREFLIGHT, DASHBOARD)
    check(one_header(response, harness.ACMA) == "1234", "Max-Age", response)
    response = request("GET", "/version", DASHBOARD)
    expect_status(response, 200)
    expect_cors(response, harness.CORS_ALLOWED_ACTUAL, DASHBOARD)
    response = preflight(GRAFANA, path="/version", headers="x-grafana-org-id")
    expect_status(response, 204)
    check(one_header(response, harness.ACMA) == "1234", "Max-Age for a rule", response)
    response, upstream = upstream_count(lambda: request("DELETE", "/version", READONLY))
    expect_status(response, 405)
    check(upstream == 0, "the refused DELETE reached the API server", response)
    response = request("GET", "/version", EVIL)
    expect_cors(response, harness.CORS_DENIED)
    response = preflight(DASHBOARD)
    check(one_header(response, harness.ACMA) == "600", "Max-Age on the parent", response)


# ---- Private Network Access ----------------------------------------------------------


def test_private_network_access_on():
    """K8sCorsAllowPrivateNetwork On (/pna/): a preflight with
    Access-Control-Request-Private-Network: true gets
    Access-Control-Allow-Private-Network: true and Vary names the request header."""
    response = preflight(DASHBOARD, path="/pna" + NAMESPACES, extra=[(ACRPN, "true")])
    expect_status(response, 204)
    check(response.header_values(ACAPN) == ["true"], "ACAPN", response)
    check(ACRPN.lower() in response.vary_tokens(), "Vary lacks %s" % ACRPN, response)
    check(response.header_values(harness.ACAO) == [DASHBOARD], "ACAO", response)


def test_private_network_access_off_by_default():
    """Without K8sCorsAllowPrivateNetwork (on "/"), the same preflight is answered
    without Access-Control-Allow-Private-Network; a PNA preflight from a denied
    origin under /pna/ gets none either."""
    response = preflight(DASHBOARD, extra=[(ACRPN, "true")])
    expect_status(response, 204)
    check(not response.header_values(ACAPN), "ACAPN sent while off", response)
    response = preflight(EVIL, path="/pna" + NAMESPACES, extra=[(ACRPN, "true")])
    expect_status(response, 403)
    no_allow_headers(response)


# ---- configuration errors ------------------------------------------------------------


def test_config_error_foreign_directive_inside_origin_section():
    """Only the rule settings are allowed inside <K8sCorsOrigin>: a ProxyPass
    (with or without a path), Require, Header, K8sCorsAllowOrigin or K8sCors
    there fails httpd -t naming the file and that line, rather than being
    applied to the enclosing location."""
    problems = []
    for offending in ('ProxyPass "/x" "http://127.0.0.1:1/"',
                      'ProxyPass "http://127.0.0.1:1/"',
                      "Require all granted",
                      "Header set X-Rule-Leak yes",
                      "K8sCorsAllowOrigin https://other.example.com",
                      "K8sCors Off"):
        try:
            expect_config_error(location([
                "<K8sCorsOrigin %s>" % DASHBOARD,
                "    K8sCorsAllowMethods GET",
                "    %s" % offending,
                "</K8sCorsOrigin>"]), offending)
        except AssertionError as error:
            problems.append("%s: %s" % (offending, error))
    check(not problems, "\n".join(problems))


def test_config_origin_regex_section_with_settings_is_accepted():
    """<K8sCorsOriginRegex PATTERN> holding rule settings (methods, a rule name)
    passes httpd -t, as does <K8sCorsOrigin> with the same settings."""
    for opening, closing in (('<K8sCorsOriginRegex "https://[a-z0-9-]+\\.apps\\.example\\.com">',
                              "</K8sCorsOriginRegex>"),
                             ("<K8sCorsOrigin %s>" % DASHBOARD, "</K8sCorsOrigin>")):
        _, status, output = configtest(location([
            opening, "    K8sCorsAllowMethods GET HEAD", "    K8sCorsRuleName ro", closing]))
        check(status == 0, "%s refused:\n%s" % (opening, output))


def test_config_error_rule_name_outside_section():
    """K8sCorsRuleName at location level fails httpd -t at its line."""
    expect_config_error(location(["K8sCorsAllowOrigin %s" % DASHBOARD,
                                  "K8sCorsRuleName lonely"]), "K8sCorsRuleName lonely",
                        "K8sCorsRuleName")


def test_config_error_same_origin_in_two_sections():
    """The same origin in two <K8sCorsOrigin> sections with different settings is
    an error at the second section, whether spelt identically or as a normalised
    alias (upper case, explicit default port)."""
    for second in (DASHBOARD, "https://DASHBOARD.example.com:443"):
        expect_config_error(location([
            "<K8sCorsOrigin %s>" % DASHBOARD,
            "    K8sCorsAllowMethods GET",
            "</K8sCorsOrigin>",
            "<K8sCorsOrigin %s >" % second,
            "    K8sCorsAllowMethods GET POST",
            "</K8sCorsOrigin>"]), "<K8sCorsOrigin %s >" % second)


def test_config_same_origin_twice_with_same_settings_is_accepted():
    """Naming an origin twice is an error only when the two rules disagree
    (cors_policy.h): two <K8sCorsOrigin> sections for the same origin with the
    same settings pass httpd -t."""
    _, status, output = configtest(location([
        "<K8sCorsOrigin %s>" % DASHBOARD, "    K8sCorsAllowMethods GET", "</K8sCorsOrigin>",
        "<K8sCorsOrigin %s>" % DASHBOARD, "    K8sCorsAllowMethods GET", "</K8sCorsOrigin>"]))
    check(status == 0, "identical rules refused:\n%s" % output)


def test_config_error_unknown_mode():
    """`K8sCors monitor` (not On, enforce, report-only or Off) fails httpd -t at
    its line; each valid spelling passes."""
    body = location(["K8sCorsAllowOrigin %s" % DASHBOARD]).replace("K8sCors On",
                                                                   "K8sCors monitor")
    expect_config_error(body, "K8sCors monitor", "K8sCors")
    for mode in ("On", "enforce", "report-only", "Off"):
        body = location(["K8sCorsAllowOrigin %s" % DASHBOARD]).replace("K8sCors On",
                                                                       "K8sCors " + mode)
        _, status, output = configtest(body)
        check(status == 0, "K8sCors %s refused:\n%s" % (mode, output))


def test_config_seed_policy_passes_strict():
    """The scenario's policy itself has nothing to warn about: it passes httpd -t
    under K8sCorsStrict On."""
    body = "K8sCorsStrict On\n" + POLICY.split('<Location "/apis/">')[0]
    body += 'ProxyPass "/" "http://127.0.0.1:%d/"\n' % harness.free_port()
    _, status, output = configtest(body)
    check(status == 0, "httpd -t under strict:\n%s" % output)


# ---- the seed's "Security Best Practices" under K8sCorsStrict ---------------------------

SEED_INSECURE = (
    # (directive lines, the line that must be named)
    (['K8sCorsKubeAllowedOrigins ".*"'], None),
    (['K8sCorsKubeAllowedOrigins "http://dashboard.example.com"'], None),
    (['K8sCorsKubeAllowedOrigins "https://*"'], None),
    (['K8sCorsKubeAllowedOrigins "https://.*\\.example\\.com"'], None),
    (["K8sCorsAllowOrigin http://dashboard.example.com"], None),
    (["K8sCorsAllowCredentials Off", "K8sCorsAllowOrigin *"], "K8sCorsAllowOrigin *"),
    (['K8sCorsAllowOriginRegex "https://.*\\.example\\.com"'], None),
)


def finding_lines(output, severity):
    return [line for line in output.splitlines()
            if "KC0001:" in line and (": %s: " % severity) in line]


def test_seed_insecure_examples_warn_without_strict():
    """Each of the seed's DON'Ts (`.*`, http://dashboard..., `https://*`, the
    `https://.*\\.example\\.com` subdomain pattern, as kube flags or module
    directives, and `*`) passes httpd -t with strict off, with a KC0001 warning
    naming the file and the directive's line."""
    problems = []
    for lines, offending in SEED_INSECURE:
        offending = offending or lines[0]
        server, status, output = configtest(location(lines))
        line = server.line_of(offending)
        warnings = [text for text in finding_lines(output, "warning")
                    if names_file_and_line(text, server.conf_path, line)]
        if status != 0 or not warnings:
            problems.append("%s: exit %d, warnings at line %d: %d\n%s"
                            % (offending, status, line, len(warnings), output))
    check(not problems, "\n".join(problems))


def test_seed_insecure_examples_fail_under_strict():
    """With K8sCorsStrict On the same configurations fail httpd -t, each with a
    KC0001 error naming the file and the directive's line."""
    problems = []
    for lines, offending in SEED_INSECURE:
        offending = offending or lines[0]
        server, status, output = configtest(location(lines, strict=True))
        line = server.line_of(offending)
        errors = [text for text in finding_lines(output, "error")
                  if names_file_and_line(text, server.conf_path, line)]
        if status == 0 or not errors:
            problems.append("%s: exit %d, errors at line %d: %d\n%s"
                            % (offending, status, line, len(errors), output))
    check(not problems, "\n".join(problems))


def test_seed_secure_examples_pass_strict():
    """The seed's DOs as module directives (exact https origins) pass httpd -t
    under strict."""
    _, status, output = configtest(location([
        "K8sCorsAllowOrigin https://dashboard.prod.example.com https://grafana.prod.example.com"],
        strict=True))
    check(status == 0 and not finding_lines(output, "error"), "strict refused:\n%s" % output)


def test_long_max_age_is_only_a_warning_even_under_strict():
    """K8sCorsMaxAge 86400 (above Chromium's 7200 s cap) is a max-age-capped
    warning naming the line, and stays a warning under strict: httpd -t passes."""
    for strict in (False, True):
        server, status, output = configtest(location([
            "K8sCorsAllowOrigin %s" % DASHBOARD, "K8sCorsMaxAge 86400"], strict=strict))
        line = server.line_of("K8sCorsMaxAge 86400")
        warnings = [text for text in finding_lines(output, "warning")
                    if "[max-age-capped]" in text and names_file_and_line(text, server.conf_path,
                                                                          line)]
        check(status == 0 and warnings, "strict=%s: exit %d\n%s" % (strict, status, output))
