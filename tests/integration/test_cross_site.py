"""Cross-site request protection (K8sCorsDeniedOrigin reject-unsafe) through a
real httpd in front of the fake kube-apiserver: what a browser sends for a
cross-site form POST, a no-cors fetch, a WebSocket, a same-origin page and a
typed URL, what kubectl sends, and what reaches the API server (its request
counter), what the client gets, what is logged and counted.

A request the step refuses is answered 403 by the gateway and never reaches
the API server; reads and non-browser clients pass; an origin the CORS policy
allows is trusted, as ASP.NET Core trusts its CORS policy's origins.
"""

import base64
import re
import socket

import harness
from harness import check

TOKEN = "demo-token"
BEARER = "Bearer " + TOKEN
DASHBOARD = "https://dashboard.example.com"
EVIL = "https://evil.example"
SIBLING = "https://sibling.example.com"
NAMESPACES = "/api/v1/namespaces"
EXEC_PATH = NAMESPACES + "/default/pods/p/exec?command=sh"
FORM = "application/x-www-form-urlencoded"

fake = None
gateway = None

POLICY = """\
<Location "/">
    K8sCors On
    K8sCorsDeniedOrigin reject-unsafe
    K8sCorsAllowOrigin {dashboard}
</Location>
<Location "/pass/">
    K8sCorsDeniedOrigin pass
</Location>
<Location "/reject/">
    K8sCorsDeniedOrigin reject
</Location>
<Location "/report/">
    K8sCors report-only
</Location>
<Location "/trust-site/">
    K8sCorsTrustSameSite On
</Location>
<Location "/star/">
    K8sCorsAllowOrigin *
    K8sCorsAllowCredentials Off
</Location>
<Location "/kube/">
    K8sCorsClientProfile kubernetes
</Location>
{metrics}ProxyPass "/pass/" "http://127.0.0.1:{fake}/" upgrade=websocket
ProxyPass "/reject/" "http://127.0.0.1:{fake}/" upgrade=websocket
ProxyPass "/report/" "http://127.0.0.1:{fake}/" upgrade=websocket
ProxyPass "/trust-site/" "http://127.0.0.1:{fake}/"
ProxyPass "/kube/" "http://127.0.0.1:{fake}/"
ProxyPass "/star/" "http://127.0.0.1:{fake}/"
ProxyPass "/" "http://127.0.0.1:{fake}/" upgrade=websocket
"""


def setup_module():
    global fake, gateway
    fake = harness.FakeApiServer(token=TOKEN, name="fake-cross-site").start()
    # The module at its most verbose: what it logs is checked for secrets.
    gateway = harness.Httpd(POLICY.format(dashboard=DASHBOARD, fake=fake.port,
                                          metrics=harness.METRICS_ENDPOINT),
                            name="cross-site", log_level="info k8s_cors:trace8")
    gateway.start()


def teardown_module():
    harness.stop_servers(gateway, fake)


# ---- helpers ---------------------------------------------------------------------


def self_origin():
    scheme = "https" if gateway.protocol == harness.H2 else "http"
    return "%s://127.0.0.1:%d" % (scheme, gateway.port)


def send(method, path, origin=None, site=None, body=None, headers=(), content_type=FORM):
    """A request as a browser (or kubectl) would send it; returns (response,
    requests the API server saw)."""
    pairs = [("Authorization", BEARER)]
    if origin is not None:
        pairs.append(("Origin", origin))
    if site is not None:
        pairs += [("Sec-Fetch-Site", site), ("Sec-Fetch-Mode", "navigate")]
    if body is not None:
        pairs.append(("Content-Type", content_type))
    pairs += list(headers)
    before = fake.total_requests()
    response = gateway.request(method, path, pairs, body)
    return response, fake.total_requests() - before


def refused(response, upstream, what):
    check(response.status == 403 and upstream == 0,
          "%s: %d, %d requests reached the API server" % (what, response.status, upstream),
          response)
    found = harness.access_control_headers(response)
    check(not found, "%s: Access-Control-* on a refusal: %r" % (what, found), response)


def forwarded(response, upstream, what, status=201):
    check(response.status == status and upstream == 1,
          "%s: %d, %d requests reached the API server (expected %d, 1)"
          % (what, response.status, upstream, status), response)


def metrics():
    text = gateway.request("GET", "/k8s-cors-metrics").body.decode()
    values = {}
    for line in text.splitlines():
        match = re.match(r"^(k8s_cors_[a-z_]+(?:\{[^}]*\})?) (\d+)$", line)
        if match:
            values[match.group(1)] = int(match.group(2))
    return values


CROSS_SITE_BY_SITE = 'k8s_cors_cross_site_refused_total{signal="sec-fetch-site",mode="enforce"}'
CROSS_SITE_BY_ORIGIN = 'k8s_cors_cross_site_refused_total{signal="origin",mode="enforce"}'
CROSS_SITE_REPORTED = 'k8s_cors_cross_site_refused_total{signal="sec-fetch-site",mode="report-only"}'
REFUSED_403 = 'k8s_cors_requests_refused_total{status="403"}'


class Upgrade:
    """A WebSocket handshake on a raw socket (HTTP/1.1): the response head."""

    def __init__(self, path=EXEC_PATH, origin=None, site=None, protocols="v5.channel.k8s.io",
                 authorization=BEARER):
        headers = [("Connection", "Upgrade"), ("Upgrade", "websocket"),
                   ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
                   ("Sec-WebSocket-Version", "13"), ("Sec-WebSocket-Protocol", protocols)]
        if authorization:
            headers.append(("Authorization", authorization))
        if origin is not None:
            headers.append(("Origin", origin))
        if site is not None:
            headers.append(("Sec-Fetch-Site", site))
        before = fake.stats()
        data = harness.build_raw_request("GET", path, headers, close=False,
                                         host="127.0.0.1:%d" % gateway.port)
        with socket.create_connection((harness.LOOPBACK, gateway.port), timeout=10.0) as sock:
            sock.sendall(data)
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                head += chunk
        self.response = harness.parse_raw_response(head.split(b"\r\n\r\n")[0] + b"\r\n\r\n",
                                                   "HEAD")
        after = fake.stats()
        self.upstream = after["total"] - before["total"]
        self.upgrades = after["websocket_upgrades"] - before["websocket_upgrades"]


# ---- unsafe requests -------------------------------------------------------------


def test_cross_site_form_post_from_denied_origin_is_refused_before_the_api_server():
    """What a page on another site sends when it submits <form method=post> to the
    gateway: Sec-Fetch-Site: cross-site and its Origin. The browser would attach
    the user's client certificate; the API server must never see it."""
    response, upstream = send("POST", NAMESPACES, origin=EVIL, site="cross-site", body="a=b")
    refused(response, upstream, "cross-site form POST")


def test_every_unsafe_method_from_a_denied_origin_is_refused():
    for method in ("POST", "PUT", "PATCH", "DELETE", "post"):
        response, upstream = send(method, NAMESPACES + "/default", origin=EVIL,
                                  site="cross-site", body="{}")
        refused(response, upstream, "cross-site %s" % method)


def test_cross_site_post_from_allowed_origin_is_forwarded_with_cors_headers():
    """The CORS policy's origins are trusted: the dashboard's POST is a CORS
    request, forwarded and answered with its CORS headers."""
    response, upstream = send("POST", NAMESPACES, origin=DASHBOARD, site="cross-site",
                              body="{}", content_type="application/json")
    forwarded(response, upstream, "allowed origin's POST")
    problems = harness.cors_wire_problems(response, harness.CORS_ALLOWED_ACTUAL, origin=DASHBOARD)
    check(not problems, "; ".join(problems), response)


def test_same_origin_and_user_initiated_posts_are_forwarded():
    """The gateway's own page (Sec-Fetch-Site: same-origin, Origin from its
    ServerName and port), a typed URL or bookmark (none, no Origin), and a
    same-origin request from a browser that sends no Origin on it."""
    cases = (("same-origin", self_origin()), ("same-origin", None), ("none", None))
    for site, origin in cases:
        response, upstream = send("POST", NAMESPACES, origin=origin, site=site, body="{}",
                                  content_type="application/json")
        forwarded(response, upstream, "Sec-Fetch-Site %s, Origin %r" % (site, origin))
        found = harness.access_control_headers(response)
        check(not found, "CORS headers on a same-origin response: %r" % found, response)


@harness.http1_only("a forged Host on a raw HTTP/1.1 connection")
def test_rebound_page_claiming_same_origin_is_refused():
    """DNS rebinding over a secure context: the browser takes the rebound page
    for same-origin and says so, but Host and Origin name no name of the
    gateway's. The configuration wins over the browser's claim."""
    data = harness.build_raw_request("POST", NAMESPACES, [
        ("Origin", "https://evil.example:%d" % gateway.port), ("Sec-Fetch-Site", "same-origin"),
        ("Authorization", BEARER), ("Content-Type", "application/json")],
        body="{}", host="evil.example:%d" % gateway.port)
    before = fake.total_requests()
    response = harness.raw_request(gateway.port, data)
    refused(response, fake.total_requests() - before, "rebound same-origin POST")


def test_without_fetch_metadata_the_origin_decides():
    """Browsers without Sec-Fetch-Site (before Safari 16.4, Firefox 90): a denied
    Origin is refused, the gateway's own is forwarded, and no Origin at all is a
    non-browser client such as kubectl: forwarded."""
    response, upstream = send("POST", NAMESPACES, origin=EVIL, body="{}")
    refused(response, upstream, "POST with a denied Origin, no Sec-Fetch-Site")
    response, upstream = send("POST", NAMESPACES, origin="null", body="{}")
    refused(response, upstream, "POST from an opaque origin (sandboxed frame)")
    response, upstream = send("POST", NAMESPACES, origin=self_origin(), body="{}")
    forwarded(response, upstream, "POST with the gateway's own Origin")
    response, upstream = send("POST", NAMESPACES, body="{}", content_type="application/json")
    forwarded(response, upstream, "kubectl's POST (no Origin, no Sec-Fetch-Site)")
    response, upstream = send("DELETE", NAMESPACES + "/default")
    forwarded(response, upstream, "kubectl's DELETE", status=200)


def test_cross_site_without_origin_is_refused():
    """Sec-Fetch-Site says another site sent it but there is no Origin (stripped
    by an extension or a proxy): not taken for kubectl."""
    response, upstream = send("POST", NAMESPACES, site="cross-site", body="{}")
    refused(response, upstream, "cross-site POST without Origin")


def test_same_site_is_cross_origin():
    """A sibling under the same registrable domain is another origin: refused
    unless the CORS policy allows it."""
    response, upstream = send("PUT", NAMESPACES + "/default", origin=SIBLING, site="same-site",
                              body="{}")
    refused(response, upstream, "same-site PUT")


def test_trusting_the_site_lets_same_site_pass_but_never_cross_site():
    """K8sCorsTrustSameSite On: a sibling's unsafe request is forwarded (without
    CORS headers: trusted against forgery is not allowed to read); another
    site's is still refused."""
    response, upstream = send("PUT", "/trust-site" + NAMESPACES + "/default", origin=SIBLING,
                              site="same-site", body="{}")
    forwarded(response, upstream, "same-site PUT when the site is trusted", status=200)
    check(not harness.access_control_headers(response), "CORS headers for a denied sibling",
          response)
    response, upstream = send("PUT", "/trust-site" + NAMESPACES + "/default", origin=EVIL,
                              site="cross-site", body="{}")
    refused(response, upstream, "cross-site PUT when the site is trusted")


def test_star_lets_any_page_read_but_not_forge():
    """K8sCorsAllowOrigin * (credentials off) lets any page read; a form POST from
    any page still carries the user's client certificate, so `*` is no trusted
    origin for the cross-site step."""
    response, upstream = send("POST", "/star" + NAMESPACES, origin=EVIL, site="cross-site",
                              body="a=b")
    refused(response, upstream, "cross-site POST under *")
    response, upstream = send("GET", "/star" + NAMESPACES, origin=EVIL, site="cross-site")
    forwarded(response, upstream, "cross-site GET under *", status=200)
    check(response.header_values("Access-Control-Allow-Origin") == ["*"], "ACAO *", response)


# ---- reads pass --------------------------------------------------------------------


def test_get_from_denied_origin_is_forwarded_without_cors_headers():
    """A cross-site read changes nothing and the browser keeps the answer from
    the page: forwarded as kube-apiserver would, without CORS headers."""
    for method in ("GET", "HEAD"):
        response, upstream = send(method, NAMESPACES, origin=EVIL, site="cross-site")
        forwarded(response, upstream, "cross-site %s" % method, status=200)
        problems = harness.cors_wire_problems(response, harness.CORS_DENIED)
        check(not problems, "; ".join(problems), response)


def test_denied_preflight_is_answered_by_the_gateway():
    response, upstream = send("OPTIONS", NAMESPACES, origin=EVIL, site="cross-site",
                              headers=[("Access-Control-Request-Method", "DELETE")])
    refused(response, upstream, "denied preflight")


# ---- WebSocket ----------------------------------------------------------------------


@harness.http1_only("a raw HTTP/1.1 handshake")
def test_websocket_from_a_cross_site_page_is_refused():
    """exec from a page on another site: a GET, but it opens a shell. Refused
    with its Origin, and without one when Sec-Fetch-Site names another site."""
    for origin in (EVIL, None):
        upgrade = Upgrade(origin=origin, site="cross-site")
        check(upgrade.response.status == 403 and upgrade.upstream == 0 and upgrade.upgrades == 0,
              "cross-site exec (Origin %r): %d, %d upstream" % (origin, upgrade.response.status,
                                                                upgrade.upstream),
              upgrade.response)


@harness.http1_only("a raw HTTP/1.1 handshake")
def test_websocket_from_allowed_origin_and_kubectl_still_open():
    success = harness.upgrade_success_status()
    for origin, site in ((DASHBOARD, "cross-site"), (None, None), (self_origin(), "same-origin")):
        upgrade = Upgrade(origin=origin, site=site)
        check(upgrade.response.status == success and upgrade.upgrades == 1,
              "exec (Origin %r, Sec-Fetch-Site %r): %d" % (origin, site, upgrade.response.status),
              upgrade.response)


@harness.http1_only("a raw HTTP/1.1 handshake")
def test_pass_keeps_kube_apiservers_behaviour_but_never_for_upgrades():
    """pass: the cross-site POST is forwarded (the API server decides, as
    without the gateway); upgrades from denied origins are refused in every mode."""
    response, upstream = send("POST", "/pass" + NAMESPACES, origin=EVIL, site="cross-site",
                              body="a=b")
    forwarded(response, upstream, "cross-site POST under pass")
    response, upstream = send("POST", "/pass" + NAMESPACES, site="cross-site", body="a=b")
    forwarded(response, upstream, "cross-site POST without Origin under pass")
    upgrade = Upgrade(path="/pass" + EXEC_PATH, origin=EVIL, site="cross-site")
    check(upgrade.response.status == 403 and upgrade.upstream == 0,
          "cross-site exec under pass: %d" % upgrade.response.status, upgrade.response)


def test_reject_refuses_reads_too_and_everything_reject_unsafe_does():
    response, upstream = send("GET", "/reject" + NAMESPACES, origin=EVIL, site="cross-site")
    refused(response, upstream, "cross-site GET under reject")
    response, upstream = send("POST", "/reject" + NAMESPACES, site="cross-site", body="a=b")
    refused(response, upstream, "cross-site POST without Origin under reject")


# ---- the Kubernetes client profile ----------------------------------------------------------


def test_profile_answers_impersonation_preflights_with_the_names_asked_for():
    """K8sCorsClientProfile kubernetes with credentials: a PATCH as another user
    (apply-patch+yaml is never a safelisted Content-Type, so the browser asks
    for content-type) is answered with the very names asked for; Authorization
    and impersonation by name, Impersonate-Extra-* by prefix."""
    asked = "authorization,content-type,impersonate-extra-scopes,impersonate-user"
    response, upstream = send("OPTIONS", "/kube" + NAMESPACES + "/default", origin=DASHBOARD,
                              site="cross-site",
                              headers=[("Access-Control-Request-Method", "PATCH"),
                                       ("Access-Control-Request-Headers", asked)])
    check(response.status == 204 and upstream == 0, "profile preflight: %d" % response.status,
          response)
    check(response.header_values("Access-Control-Allow-Headers") == [asked],
          "Access-Control-Allow-Headers", response)
    check("PATCH" in response.header_values("Access-Control-Allow-Methods")[0], "PATCH", response)
    check(response.header_values("Access-Control-Allow-Credentials") == ["true"], "credentials",
          response)
    for refused_header in ("impersonate-extra-", "x-impersonate-user", "impersonate-groups"):
        response, _ = send("OPTIONS", "/kube" + NAMESPACES, origin=DASHBOARD,
                           headers=[("Access-Control-Request-Method", "GET"),
                                    ("Access-Control-Request-Headers", refused_header)])
        check(response.status == 403, "%s allowed by the profile" % refused_header, response)


def test_profile_exposes_kubernetes_response_headers():
    response, upstream = send("PATCH", "/kube" + NAMESPACES + "/default", origin=DASHBOARD,
                              site="cross-site", body="{}",
                              content_type="application/merge-patch+json",
                              headers=[("Impersonate-User", "alice")])
    forwarded(response, upstream, "profile PATCH", status=200)
    exposed = [name.strip().lower()
               for name in response.header_values("Access-Control-Expose-Headers")[0].split(",")]
    for name in ("audit-id", "warning", "retry-after", "x-kubernetes-pf-flowschema-uid",
                 "x-kubernetes-pf-prioritylevel-uid"):
        check(name in exposed, "%s not exposed: %r" % (name, exposed), response)
    check(response.header_values("Audit-Id") and response.header_values("Warning"),
          "the API server's Audit-Id and Warning", response)


def test_new_directives_refuse_bad_values_at_their_line():
    cases = (("K8sCorsClientProfile openshift", "use kubernetes"),
             ("K8sCorsAllowHeaders Auth*", "ends with '-'"),
             ("K8sCorsAllowHeaders *-*", "not a valid header-name prefix"),
             ("K8sCorsExposeHeaders X-Kubernetes-*", "only allowed in K8sCorsAllowHeaders"),
             ("K8sCorsAllowMethods P*", "only allowed in K8sCorsAllowHeaders"),
             ("K8sCorsDeniedOrigin reject-all", "use pass, reject-unsafe or reject"),
             ("K8sCorsTrustSameSite maybe", "use On or Off"))
    for line, phrase in cases:
        server = harness.Httpd(name="cross-site-configtest")
        status, output = server.configtest('<Location "/">\n    K8sCors On\n    %s\n'
                                           '</Location>\n' % line)
        number = server.line_of(line)
        check(status != 0 and ("line %d" % number) in output and phrase in output,
              "%r: status %d, expected line %d and %r in:\n%s" % (line, status, number, phrase,
                                                                   output))
    server = harness.Httpd(name="cross-site-configtest")
    status, output = server.configtest('<Location "/">\n    K8sCors On\n'
                                       '    K8sCorsDeniedOrigin reject-unsafe\n'
                                       '    K8sCorsTrustSameSite Off\n'
                                       '    <K8sCorsOrigin https://a.example.com>\n'
                                       '        K8sCorsClientProfile kubernetes\n'
                                       '    </K8sCorsOrigin>\n</Location>\n')
    check(status == 0, "the new directives refused:\n" + output)


# ---- logged once, counted ---------------------------------------------------------------


def test_refusals_are_logged_once_and_counted():
    before = metrics()
    offset = gateway.error_log_size()
    response, upstream = send("POST", NAMESPACES + "/logged", origin=EVIL, site="cross-site",
                              body="a=b")
    refused(response, upstream, "counted POST")
    response, upstream = send("POST", NAMESPACES + "/logged-no-origin", site="cross-site",
                              body="a=b")
    refused(response, upstream, "counted POST without Origin")
    response, upstream = send("POST", NAMESPACES + "/logged-old", origin=EVIL, body="a=b")
    refused(response, upstream, "counted POST from an older browser")
    after = metrics()
    check(after[CROSS_SITE_BY_SITE] - before[CROSS_SITE_BY_SITE] == 2,
          "sec-fetch-site refusals: %r -> %r" % (before[CROSS_SITE_BY_SITE],
                                                 after[CROSS_SITE_BY_SITE]))
    check(after[CROSS_SITE_BY_ORIGIN] - before[CROSS_SITE_BY_ORIGIN] == 1,
          "origin refusals: %r -> %r" % (before[CROSS_SITE_BY_ORIGIN],
                                         after[CROSS_SITE_BY_ORIGIN]))
    check(after[REFUSED_403] - before[REFUSED_403] == 3, "403 refusals not counted")
    log = gateway.error_log_since(offset)
    for path, expected in (("/logged\"", "cross_site=refused-cross-site fetch_site=cross-site"),
                           ("/logged-no-origin\"", "cross_site=refused-cross-site"),
                           ("/logged-old\"", "cross_site=refused-foreign-origin "
                                             "fetch_site=absent")):
        lines = [line for line in log.splitlines() if "KC0100" in line and path in line]
        check(len(lines) == 1, "%s: %d log lines, expected one:\n%s" % (path, len(lines), log))
        check(expected in lines[0] and "refused CORS" in lines[0],
              "%s: %r not in %r" % (path, expected, lines[0]))


def test_report_only_counts_what_it_would_refuse_and_forwards():
    before = metrics()
    offset = gateway.error_log_size()
    response, upstream = send("POST", "/report" + NAMESPACES, site="cross-site", body="a=b")
    forwarded(response, upstream, "report-only cross-site POST")
    after = metrics()
    check(after[CROSS_SITE_REPORTED] - before[CROSS_SITE_REPORTED] == 1,
          "report-only refusal not counted")
    check(after[REFUSED_403] == before[REFUSED_403], "report-only refused a request")
    log = gateway.error_log_since(offset)
    check("report-only, would deny" in log and "cross_site=refused-cross-site" in log,
          "report-only: no log line:\n" + log)


def test_reads_and_kubectl_are_not_counted_as_refusals():
    before = metrics()
    send("GET", NAMESPACES, origin=EVIL, site="cross-site")
    send("POST", NAMESPACES, body="{}", content_type="application/json")
    after = metrics()
    check(after[CROSS_SITE_BY_SITE] == before[CROSS_SITE_BY_SITE] and
          after[CROSS_SITE_BY_ORIGIN] == before[CROSS_SITE_BY_ORIGIN],
          "a read or kubectl counted as a cross-site refusal")


# ---- the browser's bearer token never shows --------------------------------------------

SECRET = TOKEN  # the API server accepts it: the allowed upgrade opens
SECRET_PROTOCOL = ("base64url.bearer.authorization.k8s.io."
                   + base64.urlsafe_b64encode(SECRET.encode()).decode().rstrip("="))


@harness.http1_only("a raw HTTP/1.1 handshake")
def test_websocket_bearer_subprotocol_is_never_logged_or_counted():
    """Browsers cannot set Authorization on a WebSocket, so kubectl-in-the-browser
    tools send the token as a subprotocol. Whatever the decision (refused from a
    denied or cross-site page, allowed, kubectl), it appears in no line of the
    error log (the module at trace8) or the access log, and in no metric."""
    offset = gateway.error_log_size()
    protocols = "v5.channel.k8s.io, " + SECRET_PROTOCOL
    for origin, site in ((EVIL, "cross-site"), (None, "cross-site"), (DASHBOARD, "cross-site"),
                         (None, None)):
        upgrade = Upgrade(origin=origin, site=site, protocols=protocols, authorization=None)
        check(upgrade.response.status in (101, 403), "upgrade: %d" % upgrade.response.status,
              upgrade.response)
    # What httpd's access log shows is the operator's LogFormat; this one logs
    # the request line and Origin, never Sec-WebSocket-Protocol.
    access_log = gateway.access_log()
    # A hostile client may put the token where the module does log: in
    # Origin, or in a preflight's header list. Redacted there too.
    Upgrade(origin="https://evil.example/" + SECRET_PROTOCOL, protocols=protocols)
    send("OPTIONS", EXEC_PATH, origin=EVIL, site="cross-site",
         headers=[("Access-Control-Request-Method", "GET"),
                  ("Access-Control-Request-Headers", "sec-websocket-protocol")])
    send("OPTIONS", EXEC_PATH, origin=DASHBOARD, site="cross-site",
         headers=[("Access-Control-Request-Method", "GET"),
                  ("Access-Control-Request-Headers", SECRET_PROTOCOL)])
    harness.wait_until(lambda: "KC0100" in gateway.error_log_since(offset), 5)
    log = gateway.error_log_since(offset)
    check(log.count("KC0100") >= 4 and "k8s.io.[redacted]" in log,
          "the refusals were not logged, or not redacted:\n" + log)
    encoded = SECRET_PROTOCOL.rsplit(".", 1)[1]
    for text, where in ((log, "error log"), (access_log, "access log"),
                        (gateway.request("GET", "/k8s-cors-metrics").body.decode(), "metrics")):
        for secret in (SECRET, encoded):
            check(secret not in text, "the token (%s) is in the %s:\n%s" % (secret, where, text))
