"""Cross-site request protection and the Kubernetes client profile in real
headless Chromium: what the browser itself sends decides.

One httpd serves, over TLS on loopback (certificates from a test CA made
here; Chromium maps the names to 127.0.0.1):
  - a blank page on https://evil.example.net:E, an origin the policy denies;
  - a blank page on https://dashboard.example.org:D, the allowed origin
    (another site than the gateway's too, so both pages are cross-site);
  - the gateway https://api.example.com:G in front of the fake
    kube-apiserver: K8sCorsDeniedOrigin reject-unsafe and
    K8sCorsClientProfile kubernetes on "/", K8sCorsDeniedOrigin pass on
    "/pass/", kube-apiserver's default lists on "/plain/".

A real <form method=post> and a real fetch(..., {mode: "no-cors", method:
"POST"}) from the denied page never reach the API server (its request
counter), and the gateway's log shows it read Chromium's Sec-Fetch-Site;
the same from the allowed page goes through. With the profile, the allowed
page sends Impersonate-User and Impersonate-Extra-Scopes with credentials
and reads Audit-Id and Warning; without it, the same fetch is blocked.
"""

import json
import shutil

import harness
import cdp
import console_fixtures as fx

EVIL_NAME = "evil.example.net"
PAGE_NAME = "dashboard.example.org"
GATEWAY_NAME = "api.example.com"
TOKEN = "demo-token"
PATH = "/api/v1/namespaces"
state = {}


def setup_module():
    if not shutil.which(cdp.chromium_binary()):
        raise harness.HarnessError("chromium is not installed (scripts/install-deps.sh installs "
                                   "Debian's chromium)")
    certs = fx.Certificates(harness.make_private_dir("certs"))
    names = (EVIL_NAME, PAGE_NAME, GATEWAY_NAME)
    cert, key = certs.issue("web", ",".join("DNS:" + name for name in names))
    fake = harness.FakeApiServer(token=TOKEN).start()
    httpd = harness.Httpd(name="cross-site-e2e")
    httpd.write_file("htdocs/blank.html", "<!doctype html><title>blank</title>\n")
    ports = {name: harness.free_port() for name in ("evil", "page", "gateway")}
    origins = {"evil": "https://%s:%d" % (EVIL_NAME, ports["evil"]),
               "page": "https://%s:%d" % (PAGE_NAME, ports["page"])}
    ssl_common = 'SSLEngine on\n    SSLCertificateFile "%s"\n    SSLCertificateKeyFile "%s"\n' % (
        cert, key)
    body = (fx.load_module_lines(fx.SSL_MODULES)
            + 'SSLSessionCache "shmcb:%s(512000)"\n' % (httpd.root / "run" / "ssl_scache")
            + "".join("Listen 127.0.0.1:%d\n" % port for port in ports.values()))
    for name, host in (("evil", EVIL_NAME), ("page", PAGE_NAME)):
        body += ("<VirtualHost 127.0.0.1:%d>\n    ServerName %s\n    %s" % (ports[name], host,
                                                                           ssl_common)
                 + '    DocumentRoot "%s"\n</VirtualHost>\n' % (httpd.root / "htdocs"))
    body += ("<VirtualHost 127.0.0.1:%d>\n    ServerName https://%s:%d\n    %s"
             % (ports["gateway"], GATEWAY_NAME, ports["gateway"], ssl_common)
             + """    <Location "/">
        K8sCors On
        K8sCorsDeniedOrigin reject-unsafe
        K8sCorsClientProfile kubernetes
        K8sCorsAllowOrigin %s
    </Location>
    <Location "/pass/">
        K8sCorsDeniedOrigin pass
    </Location>
    <Location "/plain/">
        K8sCorsAllowMethods GET HEAD POST PUT PATCH DELETE
        K8sCorsAllowHeaders Content-Type Authorization
        K8sCorsExposeHeaders Date
    </Location>
    ProxyPass "/pass/" "http://127.0.0.1:%d/"
    ProxyPass "/plain/" "http://127.0.0.1:%d/"
    ProxyPass "/" "http://127.0.0.1:%d/"
</VirtualHost>
""" % (origins["page"], fake.port, fake.port, fake.port))
    httpd.write_config(body)
    httpd.start()
    state.update(httpd=httpd, fake=fake, origins=origins,
                 gateway="https://%s:%d" % (GATEWAY_NAME, ports["gateway"]))
    rules = ", ".join("MAP %s 127.0.0.1" % host for host in names)
    state["chromium"] = cdp.Chromium(rules, harness.work_dir())
    state["tab"] = state["chromium"].page()


def teardown_module():
    chromium = state.get("chromium")
    if chromium is not None:
        chromium.stop()
    harness.stop_servers(state.get("httpd"), state.get("fake"))


def on_page(name):
    tab = state["tab"]
    tab.navigate(state["origins"][name] + "/blank.html")
    return tab


def submit_form(tab, url):
    """A real <form method=post> into a frame, as a forging page would; resolves
    when the frame has loaded the answer (the gateway's 403 or the API's)."""
    return tab.evaluate("""new Promise(resolve => {
        const frame = document.createElement('iframe');
        frame.name = 'sink' + Date.now();
        document.body.appendChild(frame);  /* its about:blank has loaded by now */
        frame.onload = () => resolve('loaded');
        const form = document.createElement('form');
        form.method = 'post';
        form.action = %s;
        form.target = frame.name;
        form.enctype = 'text/plain';
        const field = document.createElement('input');
        field.name = '{"metadata":{"name":"forged","x":"';
        field.value = '"}}';
        form.appendChild(field);
        document.body.appendChild(form);
        form.submit();
    })""" % json.dumps(url), timeout=30)


def no_cors_post(tab, url):
    return tab.evaluate("""fetch(%s, {mode: 'no-cors', method: 'POST', credentials: 'include',
        body: '{"metadata":{"name":"forged"}}', headers: {'Content-Type': 'text/plain'}})
        .then(r => 'opaque ' + r.type, e => 'failed ' + e)""" % json.dumps(url), timeout=30)


def upstream_during(action):
    before = state["fake"].total_requests()
    result = action()
    return result, state["fake"].total_requests() - before


def test_denied_pages_form_post_never_reaches_the_api_server():
    tab = on_page("evil")
    offset = state["httpd"].error_log_size()
    result, upstream = upstream_during(lambda: submit_form(tab, state["gateway"] + PATH + "?f=1"))
    assert result == "loaded", result
    assert upstream == 0, "the API server saw %d requests from the forged form" % upstream
    log = state["httpd"].error_log_since(offset)
    # Chromium's own Sec-Fetch-Site, read by the gateway.
    assert "cross_site=refused-cross-site fetch_site=cross-site" in log, log


def test_denied_pages_no_cors_post_never_reaches_the_api_server():
    tab = on_page("evil")
    result, upstream = upstream_during(lambda: no_cors_post(tab, state["gateway"] + PATH + "?f=2"))
    # An opaque answer either way: the page cannot tell, the API server never saw it.
    assert result == "opaque opaque", result
    assert upstream == 0, "the API server saw %d requests from the no-cors POST" % upstream


def test_under_pass_the_same_form_and_fetch_reach_the_api_server():
    """kube-apiserver's behaviour (K8sCorsDeniedOrigin pass), for contrast: the
    forged requests arrive, with whatever credentials the browser attached."""
    tab = on_page("evil")
    base = state["gateway"] + "/pass" + PATH
    result, upstream = upstream_during(lambda: submit_form(tab, base + "?f=6"))
    assert result == "loaded" and upstream == 1, (result, upstream)
    result, upstream = upstream_during(lambda: no_cors_post(tab, base + "?f=7"))
    assert result == "opaque opaque" and upstream == 1, (result, upstream)


def test_allowed_pages_form_post_and_no_cors_post_go_through():
    tab = on_page("page")
    result, upstream = upstream_during(lambda: submit_form(tab, state["gateway"] + PATH + "?f=3"))
    assert result == "loaded" and upstream == 1, (result, upstream)
    result, upstream = upstream_during(lambda: no_cors_post(tab, state["gateway"] + PATH + "?f=4"))
    assert result == "opaque opaque" and upstream == 1, (result, upstream)


def test_denied_pages_reads_are_forwarded_and_unreadable():
    """A cross-site GET changes nothing: forwarded, and CORS keeps the answer
    from the page."""
    tab = on_page("evil")
    result, upstream = upstream_during(lambda: tab.evaluate(
        "fetch(%s).then(r => 'read ' + r.status, e => 'blocked')"
        % json.dumps(state["gateway"] + PATH + "?f=5"), timeout=30))
    assert result == "blocked" and upstream == 1, (result, upstream)


def impersonating_fetch(tab, url):
    return tab.evaluate("""fetch(%s, {method: 'POST', credentials: 'include', cache: 'no-store',
        headers: {'Authorization': 'Bearer %s', 'Content-Type': 'application/json',
                  'Impersonate-User': 'alice', 'Impersonate-Extra-Scopes': 'view'},
        body: '{}'})
        .then(async r => JSON.stringify({status: r.status, audit: r.headers.get('Audit-Id'),
                                         warning: r.headers.get('Warning'),
                                         body: await r.json()}),
              e => 'blocked')""" % (json.dumps(url), TOKEN), timeout=30)


def test_profile_lets_the_allowed_page_impersonate_and_read_kubernetes_headers():
    tab = on_page("page")
    result, upstream = upstream_during(lambda: impersonating_fetch(tab, state["gateway"] + PATH))
    assert result != "blocked", "the profile's preflight or response was blocked"
    answer = json.loads(result)
    assert answer["status"] == 201, answer
    assert answer["audit"] and answer["audit"].startswith("fake-audit-"), answer
    assert answer["warning"] == '299 - "impersonation requested"', answer
    # The API server received the impersonation headers the page set.
    assert answer["body"]["impersonation"] == {"impersonate-user": "alice",
                                               "impersonate-extra-scopes": "view"}, answer
    assert upstream == 1, upstream  # the preflight was answered by the gateway


def test_without_the_profile_the_same_fetch_is_blocked():
    tab = on_page("page")
    result, upstream = upstream_during(lambda: impersonating_fetch(
        tab, state["gateway"] + "/plain" + PATH))
    assert result == "blocked" and upstream == 0, (result, upstream)


def test_profile_allows_every_patch_content_type():
    """The four PATCH bodies of the API are not CORS-safelisted Content-Types:
    each PATCH is preflighted, and each is allowed."""
    tab = on_page("page")
    for content_type in ("application/json-patch+json", "application/merge-patch+json",
                         "application/strategic-merge-patch+json",
                         "application/apply-patch+yaml"):
        result = tab.evaluate("""fetch(%s, {method: 'PATCH', credentials: 'include',
            headers: {'Authorization': 'Bearer %s', 'Content-Type': %s}, body: '{}'})
            .then(async r => r.status + ' ' + (await r.json()).contentType, e => 'blocked')"""
                              % (json.dumps(state["gateway"] + PATH + "/default"), TOKEN,
                                 json.dumps(content_type)), timeout=30)
        assert result == "200 " + content_type, (content_type, result)
