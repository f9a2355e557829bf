"""`*` in K8sCorsAllowMethods and K8sCorsAllowHeaders, in a real headless
browser (the engine of the run, browsers.py), with and without credentials.

One httpd serves, over TLS on loopback (certificates from a test CA made
here; the browser maps the names to 127.0.0.1):
  - a blank page on https://dashboard.example.com:P, the allowed origin;
  - two gateways in front of the fake kube-apiserver, each with the console
    CGI: https://api-cred.example.com:C (`*` methods and headers, credentials
    on, the default) and https://api-nocred.example.com:N (the same with
    K8sCorsAllowCredentials Off).

For each gateway, credentials mode and request, the page's fetch() verdict
(the engine's own CORS checks) must equal the console's explain verdict (the
module's decision code) and what this file expects from Fetch:
  - without credentials `*` is a wildcard, except for Authorization;
  - a credentialed request reads `*` as a literal name, so with credentials
    on the gateway answers with the names asked for: allowed, Authorization
    aside;
  - a credentialed request to the gateway without credentials is blocked.
"""

import http.client
import json
import ssl
import urllib.parse

import harness
import browsers
import console_fixtures as fx

PAGE_NAME = "dashboard.example.com"
GATEWAYS = {"cred": "api-cred.example.com", "nocred": "api-nocred.example.com"}
PATH = "/api/v1/namespaces"
# (method, request header names the script sets)
REQUESTS = (
    ("PATCH", ()),
    ("PUT", ("X-Custom",)),
    ("DELETE", ("X-Custom", "X-Other")),
    ("PURGE", ()),
    ("GET", ("Authorization",)),
    ("POST", ("X-Custom", "Authorization")),
)
state = {}


def setup_module():
    engine = browsers.selected()
    if not browsers.installed(engine):
        raise harness.HarnessError("%s is not installed (scripts/install-deps.sh --test installs "
                                   "%s)" % (engine, browsers.install_hint(engine)))
    cgi = fx.cgi_binary()
    certs = fx.Certificates(harness.make_private_dir("certs"))
    cert, key = certs.issue("web", ",".join("DNS:" + name for name in
                                            (PAGE_NAME,) + tuple(GATEWAYS.values())))
    fake = harness.FakeApiServer().start()
    httpd = harness.Httpd(name="wildcard-e2e")
    httpd.write_file("htdocs/blank.html", "<!doctype html><title>blank</title>\n")
    ports = {name: harness.free_port() for name in ("page", "cred", "nocred")}
    page = "https://%s:%d" % (PAGE_NAME, ports["page"])
    ssl_common = 'SSLEngine on\n    SSLCertificateFile "%s"\n    SSLCertificateKeyFile "%s"\n' % (
        cert, key)
    body = (fx.load_module_lines(fx.CONSOLE_MODULES + fx.SSL_MODULES) + fx.cgid_lines(httpd)
            + 'SSLSessionCache "shmcb:%s(512000)"\n' % (httpd.root / "run" / "ssl_scache")
            + "".join("Listen 127.0.0.1:%d\n" % port for port in ports.values())
            + "<VirtualHost 127.0.0.1:%d>\n    ServerName %s\n    %s" % (ports["page"], PAGE_NAME,
                                                                       ssl_common)
            + '    DocumentRoot "%s"\n</VirtualHost>\n' % (httpd.root / "htdocs"))
    for name, host in GATEWAYS.items():
        body += ("<VirtualHost 127.0.0.1:%d>\n    ServerName %s\n    %s" % (ports[name], host,
                                                                           ssl_common)
                 + """    <Location "/">
        K8sCors On
        K8sCorsAllowMethods *
        K8sCorsAllowHeaders *
        K8sCorsAllowOrigin %s
%s    </Location>
""" % (page, "        K8sCorsAllowCredentials Off\n" if name == "nocred" else "")
                 + fx.gateway_console_include(cgi)
                 + '    ProxyPass "/" "http://127.0.0.1:%d/"\n</VirtualHost>\n' % fake.port)
    httpd.write_config(body)
    httpd.start()
    state.update(httpd=httpd, fake=fake, page=page, ports=ports, ca=certs.ca)
    state["engine"] = browsers.open_engine(engine, (PAGE_NAME,) + tuple(GATEWAYS.values()),
                                          harness.work_dir())
    state["tab"] = state["engine"].page
    state["tab"].navigate(page + "/blank.html")


def teardown_module():
    if state.get("engine") is not None:
        state["engine"].close()
    harness.stop_servers(state.get("httpd"), state.get("fake"))


def gateway_origin(name):
    return "https://%s:%d" % (GATEWAYS[name], state["ports"][name])


def browser_verdict(name, method, headers, credentials, case):
    """fetch() from the page: "allowed" when the script can read the response."""
    url = "%s%s?case=%d" % (gateway_origin(name), PATH, case)  # one preflight cache entry each
    init = {"method": method, "credentials": credentials, "cache": "no-store",
            "headers": {header: "Bearer x" if header == "Authorization" else "1"
                        for header in headers}}
    return state["tab"].evaluate(
        "(async () => { try { const r = await fetch(%s, %s); return 'allowed ' + r.status; }"
        " catch (e) { return 'blocked'; } })()" % (json.dumps(url), json.dumps(init)),
        timeout=30).split(" ")[0]


def explain_verdict(name, method, headers, credentials):
    """The console's explain for the same fetch(), from the module's decision code."""
    context = ssl.create_default_context(cafile=str(state["ca"]))
    context.check_hostname = False  # the certificate names the gateways, we dial 127.0.0.1
    query = urllib.parse.urlencode({"origin": state["page"], "method": method,
                                    "headers": ",".join(headers), "credentials": credentials})
    connection = http.client.HTTPSConnection("127.0.0.1", state["ports"][name], timeout=30,
                                             context=context)
    try:
        connection.request("GET", "/k8s-cors-console/api/explain?" + query,
                           headers={"Host": "%s:%d" % (GATEWAYS[name], state["ports"][name])})
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()
    assert response.status == 200, (response.status, body[:500])
    return json.loads(body)["explain"]["expect"]["verdict"]


def fetch_expects(name, headers, credentials):
    """Fetch's rules, independently of the module and the console."""
    if name == "nocred" and credentials == "include":
        return "blocked"  # no Access-Control-Allow-Credentials
    if "Authorization" in headers:
        return "blocked"  # never covered by `*`, and not listed
    return "allowed"


def check_gateway(name):
    problems, case = [], 0
    for credentials in ("omit", "include"):
        for method, headers in REQUESTS:
            case += 1
            browser = browser_verdict(name, method, headers, credentials, case)
            explain = explain_verdict(name, method, headers, credentials)
            wanted = fetch_expects(name, headers, credentials)
            if not browser == explain == wanted:
                problems.append("%s %s %s credentials=%s: browser %s, explain %s, Fetch %s"
                                % (name, method, ",".join(headers) or "-", credentials, browser,
                                   explain, wanted))
    assert not problems, "\n".join(problems)


def test_star_with_credentials_browser_agrees_with_explain():
    """Credentials on: every method and header but Authorization, in both
    credentials modes; the browser, explain and Fetch agree."""
    check_gateway("cred")


def test_star_without_credentials_browser_agrees_with_explain():
    """Credentials off: `*` is a wildcard for requests without credentials
    (Authorization aside); credentialed ones are blocked. The browser, explain
    and Fetch agree."""
    check_gateway("nocred")
