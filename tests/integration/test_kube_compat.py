"""kube-apiserver compatibility of `K8sCorsKubeAllowedOrigins`: the value of
--cors-allowed-origins, matched with kube's semantics (an unanchored search of
the raw Origin value), fed kube's own test vectors from
/work/shared/reference/cors-peers-and-vectors.md section (c):

  c.1 V01-V14  TestCORSAllowedOrigins: which Origin values get CORS headers
  c.2 V15-V21  TestCORSAllowedMethods: what a preflight grants
  c.3 V22-V39  TestValidateCorsAllowedOriginList: start-up validation, which
               the gateway turns into KC0001 warnings (errors under
               K8sCorsStrict), except an empty entry, always an error
  c.4 V40-V46, V55  bypasses kube's validation lets through: the gateway
               gives kube's answer on the wire, and its start-up lint names a
               working attacker origin for each weak pattern

One gateway holds every run-time pattern list, each under its own prefix
(/k-example/, /b40/, ...), all proxied to one fake kube-apiserver; start-up
only vectors use `httpd -t`. Every attacker origin the lint prints for the
running gateway is sent back to it and must really be allowed there: the lint
never claims a bypass that does not work.
"""

import re

import harness
from harness import check

TOKEN = "demo-token"
BEARER = "Bearer " + TOKEN
KUBE_METHODS = "POST, GET, OPTIONS, PUT, DELETE, PATCH"
KUBE_HEADERS = ("Content-Type, Content-Length, Accept-Encoding, X-CSRF-Token, Authorization, "
                "X-Requested-With, If-Modified-Since")

# prefix -> the directives of its <Location> (none: the module is not enabled).
LOCATIONS = {
    "/v01/": [],
    "/k-example/": ['K8sCorsKubeAllowedOrigins "example.com"'],
    "/k-multi/": ['K8sCorsKubeAllowedOrigins "not-matching.com,example.com"'],
    "/k-any/": ['K8sCorsKubeAllowedOrigins ".*"'],
    "/k-pinned/": ['K8sCorsKubeAllowedOrigins "//example.com(:|$)"'],
    "/k-methods/": ['K8sCorsKubeAllowedOrigins ".*"', "K8sCorsAllowMethods GET POST"],
    "/b40/": ['K8sCorsKubeAllowedOrigins "https://example\\.com"'],
    "/b41/": ['K8sCorsKubeAllowedOrigins "^https://dashboard\\.example\\.com"'],
    "/b42/": ['K8sCorsKubeAllowedOrigins "^https://dashboard.example.com$"'],
    "/b43/": ['K8sCorsKubeAllowedOrigins "//api.example.com(:|$)"'],
    "/b44/": ['K8sCorsKubeAllowedOrigins "//example\\.com(:|$)"'],
    "/b54/": ['K8sCorsKubeAllowedOrigins "//dashboard\\.example\\.com(:|$)"'],
    "/b55/": ['K8sCorsKubeAllowedOrigins "(^foo.com$)"'],
    "/own40/": ['K8sCorsAllowOriginRegex "https://example\\.com"'],
    "/own41/": ['K8sCorsAllowOriginRegex "^https://dashboard\\.example\\.com"'],
    "/own42/": ['K8sCorsAllowOriginRegex "^https://dashboard.example.com$"'],
}

fake = None
gateway = None
line_prefix = {}  # configuration line number -> the prefix of its <Location>


def gateway_body(fake_port):
    body = ""
    for prefix, lines in LOCATIONS.items():
        if lines:
            body += '<Location "%s">\n    K8sCors On\n%s</Location>\n' % (
                prefix, "".join("    %s\n" % line for line in lines))
    upstream = "http://127.0.0.1:%d/" % fake_port
    for prefix in LOCATIONS:
        body += 'ProxyPass "%s" "%s"\nProxyPassReverse "%s" "%s"\n' % (prefix, upstream, prefix,
                                                                     upstream)
    return body


def setup_module():
    global fake, gateway
    fake = harness.FakeApiServer(token=TOKEN, name="fake-kube").start()
    gateway = harness.Httpd(name="kube")
    gateway.write_config(gateway_body(fake.port))
    current = None
    for number, line in enumerate(gateway.config_text.splitlines(), start=1):
        match = re.match(r'\s*<Location "([^"]+)">', line)
        if match:
            current = match.group(1)
        elif line.strip() == "</Location>":
            current = None
        elif current is not None:
            line_prefix[number] = current
    gateway.start()


def teardown_module():
    harness.stop_servers(gateway, fake)


# ---- helpers ---------------------------------------------------------------------


def actual(prefix, origin, method="GET", path="version"):
    headers = [("Authorization", BEARER)]
    if origin is not None:
        headers.insert(0, ("Origin", origin))
    return gateway.request(method, prefix + path, headers, b"{}" if method in (
        "POST", "PUT", "PATCH") else None)


def preflight(prefix, origin, method="GET", path="version"):
    return gateway.request("OPTIONS", prefix + path, [
        ("Origin", origin), ("Access-Control-Request-Method", method),
        ("Access-Control-Request-Headers", "authorization")])


def counted(action):
    before = fake.total_requests()
    result = action()
    return result, fake.total_requests() - before


def problems_of(response, outcome, origin=None):
    return harness.cors_wire_problems(response, outcome, origin)


def kube_answer_problems(prefix, origin, allowed, module_enabled=True):
    """What differs from kube's answer for GET /version and its preflight:
    allowed = ACAO the raw origin verbatim, ACAC true, ACEH Date on the actual
    request, ACAM/ACAH kube's defaults on the preflight; not allowed = no
    Access-Control-* at all. The API server runs the GET exactly once."""
    problems = []
    response, upstream = counted(lambda: actual(prefix, origin))
    if upstream != 1:
        problems.append("GET reached the API server %d times" % upstream)
    if response.status != 200:
        problems.append("GET status %d" % response.status)
    if allowed:
        problems += problems_of(response, harness.CORS_ALLOWED_ACTUAL, origin)
        if response.header_values(harness.ACEH) != ["Date"]:
            problems.append("ACEH %r" % response.header_values(harness.ACEH))
    else:
        problems += problems_of(response, harness.CORS_DENIED if module_enabled and origin
                                else harness.CORS_NONE)
    if origin is None:
        return problems
    response = preflight(prefix, origin)
    if allowed:
        if response.status != 204:
            problems.append("preflight status %d" % response.status)
        problems += ["preflight: " + p for p in problems_of(
            response, harness.CORS_ALLOWED_PREFLIGHT, origin)]
        if response.header_values(harness.ACAM) != [KUBE_METHODS]:
            problems.append("ACAM %r" % response.header_values(harness.ACAM))
        if response.header_values(harness.ACAH) != [KUBE_HEADERS]:
            problems.append("ACAH %r" % response.header_values(harness.ACAH))
    else:
        found = harness.access_control_headers(response)
        if found:
            problems.append("preflight of a denied origin carries %r" % found)
    return problems


def run_table(rows):
    """rows: (id, prefix, origin, allowed); every row is checked, then all
    problems are reported together."""
    problems = []
    for vector, prefix, origin, allowed in rows:
        found = kube_answer_problems(prefix, origin, allowed,
                                     module_enabled=bool(LOCATIONS[prefix]))
        if found:
            problems.append("%s %s Origin %r (kube: %s): %s"
                            % (vector, prefix, origin, "allowed" if allowed else "none",
                               "; ".join(found)))
    check(not problems, "\n".join(problems))


FINDING = re.compile(
    r'\[k8s_cors:(?P<level>\w+)\] .*?KC0001: (?P<file>[^:]+):(?P<line>\d+): '
    r'(?P<severity>info|warning|error): "(?P<subject>.*?)": (?P<message>.*?) '
    r'\[(?P<code>[a-z0-9-]+)\](?:; accepts (?P<attacker>\S+))?'
    r'(?:; suggested: (?P<suggested>\S+))?$')


def findings(text):
    """The KC0001 lint lines of text, parsed (subject with httpd's doubled
    backslashes undone)."""
    found = []
    for line in text.splitlines():
        match = FINDING.search(line)
        if match:
            finding = match.groupdict()
            finding["line"] = int(finding["line"])
            finding["subject"] = finding["subject"].replace("\\\\", "\\")
            finding["text"] = line
            found.append(finding)
    return found


def gateway_findings():
    return findings(gateway.error_log())


def findings_for(prefix):
    return [f for f in gateway_findings() if line_prefix.get(f["line"]) == prefix]


def describe(found):
    return "\n".join(f["text"] for f in found) or "(none)"


def configtest_kube(value, strict=False):
    """httpd -t with `K8sCorsKubeAllowedOrigins "value"` in <Location />; returns
    (exit status, output, the directive's line, findings at that line)."""
    server = harness.Httpd(name="configtest")
    directive = 'K8sCorsKubeAllowedOrigins "%s"' % value
    body = "K8sCorsStrict On\n" if strict else ""
    body += ('<Location "/">\n    K8sCors On\n    %s\n</Location>\n'
             'ProxyPass "/" "http://127.0.0.1:%d/"\n' % (directive, harness.free_port()))
    status, output = server.configtest(body)
    line = server.line_of(directive)
    at_line = [f for f in findings(output)
               if f["line"] == line and f["file"] == str(server.conf_path)]
    return status, output, server, line, at_line


# ---- c.1 TestCORSAllowedOrigins ----------------------------------------------------------


def test_v01_without_directive_no_cors():
    """V01: without any K8sCors directive (kube: empty list, filter not
    installed) GET /version from Origin example.com is proxied once and gets no
    CORS header."""
    run_table([("V01", "/v01/", "example.com", False)])


def test_v02_to_v14_allowed_origins():
    """V02-V14: kube's TestCORSAllowedOrigins through K8sCorsKubeAllowedOrigins:
    no Origin is untouched; `example.com` (unanchored) admits http://example.com,
    the scheme-less `example.com` and the CVE-2022-1996 look-alikes
    example.com.hacker.org(:8080); the list form and `.*` behave the same; the
    pinned `//example.com(:|$)` refuses the look-alikes. Allowed answers echo
    the raw Origin verbatim with credentials, Expose Date, and kube's ACAM/ACAH
    on the preflight; refused ones carry no Access-Control-* header."""
    run_table([
        ("V02", "/k-example/", None, False),
        ("V03", "/k-example/", "http://example.com", True),
        ("V04", "/k-example/", "example.com", True),
        ("V05", "/k-example/", "http://not-allowed.com", False),
        ("V06", "/k-example/", "not-allowed.com", False),
        ("V07", "/k-multi/", "http://example.com", True),
        ("V08", "/k-multi/", "example.com", True),
        ("V09", "/k-any/", "http://example.com", True),
        ("V10", "/k-any/", "example.com", True),
        ("V11", "/k-example/", "http://example.com.hacker.org", True),
        ("V12", "/k-example/", "http://example.com.hacker.org:8080", True),
        ("V13", "/k-pinned/", "http://example.com.hacker.org", False),
        ("V14", "/k-pinned/", "http://example.com.hacker.org:8080", False),
    ])


# ---- c.2 TestCORSAllowedMethods ---------------------------------------------------------


def test_v15_to_v20_default_methods_are_granted():
    """V15-V20: with `.*` and Origin allowed.com, a preflight for each default
    method (POST, GET, OPTIONS, PUT, DELETE, PATCH) is answered 204 with ACAM
    listing it; the actual request with that method (OPTIONS aside, which
    without Access-Control-Request-Method is no preflight) is proxied with ACAO."""
    problems = []
    for vector, method in (("V15", "POST"), ("V16", "GET"), ("V17", "OPTIONS"), ("V18", "PUT"),
                           ("V19", "DELETE"), ("V20", "PATCH")):
        response = preflight("/k-any/", "allowed.com", method, path="api/v1/namespaces")
        listed = [m.strip() for m in ",".join(response.header_values(harness.ACAM)).split(",")]
        if response.status != 204 or method not in listed:
            problems.append("%s %s preflight: status %d, ACAM %r"
                            % (vector, method, response.status, listed))
        if method == "OPTIONS":
            continue
        response, upstream = counted(lambda: actual("/k-any/", "allowed.com", method,
                                                    "api/v1/namespaces"))
        if upstream != 1 or response.status >= 300 or \
                response.header_values(harness.ACAO) != ["allowed.com"]:
            problems.append("%s actual %s: status %d, upstream %d, ACAO %r"
                            % (vector, method, response.status, upstream,
                               response.header_values(harness.ACAO)))
    check(not problems, "\n".join(problems))


def test_v21_method_outside_allowed_methods_is_not_granted():
    """V21: with K8sCorsAllowMethods GET POST, a PATCH preflight from allowed.com
    does not grant PATCH (the browser-visible outcome kube also gives; the
    gateway answers 403 where kube sends 204 with ACAM lacking PATCH), and the
    actual PATCH is refused at the gateway 405 with Allow: GET, POST and ACAO
    (a deliberate difference: kube would serve it)."""
    response = preflight("/k-methods/", "allowed.com", "PATCH", path="api/v1/namespaces")
    listed = [m.strip() for m in ",".join(response.header_values(harness.ACAM)).split(",")]
    check(response.status != 204 or "PATCH" not in listed,
          "PATCH granted: status %d, ACAM %r" % (response.status, listed), response)
    check(not (200 <= response.status < 300 and response.header_values(harness.ACAO) and
               "PATCH" in listed), "the browser would send the PATCH", response)
    response = preflight("/k-methods/", "allowed.com", "POST", path="api/v1/namespaces")
    check(response.status == 204 and response.header_values(harness.ACAM) == ["GET, POST"],
          "POST preflight", response)
    response, upstream = counted(lambda: actual("/k-methods/", "allowed.com", "PATCH",
                                                "api/v1/namespaces"))
    check(response.status == 405 and upstream == 0, "actual PATCH: status %d, upstream %d"
          % (response.status, upstream), response)
    check(sorted(m.strip() for m in ",".join(response.header_values("Allow")).split(",")) ==
          ["GET", "POST"], "Allow", response)
    check(response.header_values(harness.ACAO) == ["allowed.com"], "ACAO on the 405", response)


# ---- c.3 start-up validation ------------------------------------------------------------

VALID = (("V23", "^http://foo.com$"), ("V24", "^http://foo.com"), ("V25", "://foo.com$"),
         ("V26", "//foo.com$"), ("V27", "^http://foo.com(:|$)"), ("V28", "://foo.com(:|$)"),
         ("V29", "//foo.com(:|$)"), ("V30", "(^foo.com$)"),
         ("V31", "^http://foo.com$,//bar.com(:|$)"), ("V39", "https://example\\.com"))
INVALID = (("V33", "^foo.com", "^foo.com"), ("V34", "//foo.com", "//foo.com"),
           ("V35", "foo.com$", "foo.com$"), ("V36", "foo.com(:|$)", "foo.com(:|$)"),
           ("V37", "^http://foo.com$,^foo.com", "^foo.com"), ("V38", ".*", ".*"))


def test_v22_empty_list_is_valid():
    """V22: an empty --cors-allowed-origins is valid for kube (pflag gives an
    empty list: CORS disabled). The same empty value given to
    K8sCorsKubeAllowedOrigins, and K8sCors On without the directive, pass httpd
    -t, also under strict."""
    for strict in (False, True):
        status, output, _, _, _ = configtest_kube("", strict)
        check(status == 0, "strict=%s: httpd -t exit %d:\n%s" % (strict, status, output))
        server = harness.Httpd(name="configtest")
        status, output = server.configtest(
            ("K8sCorsStrict On\n" if strict else "") +
            '<Location "/">\n    K8sCors On\n</Location>\n'
            'ProxyPass "/" "http://127.0.0.1:%d/"\n' % harness.free_port())
        check(status == 0, "strict=%s, no directive: httpd -t exit %d:\n%s"
              % (strict, status, output))


def test_v23_to_v31_and_v39_kube_valid_patterns_start_without_kube_validation_warning():
    """V23-V31, V39: patterns kube-apiserver's validation accepts pass httpd -t
    (strict off) and draw no [kube-validation] finding (other lint findings may
    exist: `foo.com` has unescaped dots)."""
    problems = []
    for vector, value in VALID:
        status, output, _, _, at_line = configtest_kube(value)
        kube_validation = [f for f in at_line if f["code"] == "kube-validation"]
        if status != 0 or kube_validation:
            problems.append("%s %r: exit %d, kube-validation findings:\n%s\n%s"
                            % (vector, value, status, describe(kube_validation), output))
    check(not problems, "\n".join(problems))


def test_v33_to_v38_kube_invalid_patterns_warn_then_fail_under_strict():
    """V33-V38: patterns kube-apiserver >= 1.27 refuses (no '^'/'//' or no
    '$'/':', including the once-common `.*`) start with strict off but draw a
    [kube-validation] warning for the offending entry at the directive's
    file:line; under K8sCorsStrict On httpd -t fails with that finding as an
    error."""
    problems = []
    for vector, value, offending in INVALID:
        for strict in (False, True):
            status, output, _, _, at_line = configtest_kube(value, strict)
            severity = "error" if strict else "warning"
            hits = [f for f in at_line if f["code"] == "kube-validation"
                    and f["severity"] == severity and f["subject"] == offending]
            if (status == 0) == strict or not hits:
                problems.append("%s %r strict=%s: exit %d, %s findings for %r: %d\n%s"
                                % (vector, value, strict, status, severity, offending,
                                   len(hits), output))
    check(not problems, "\n".join(problems))


def test_v32_empty_entry_fails_always():
    """V32: an empty entry (`^http://foo.com$,`) fails httpd -t with "empty value",
    naming the file and line, with or without strict."""
    for strict in (False, True):
        status, output, server, line, _ = configtest_kube("^http://foo.com$,", strict)
        check(status != 0, "strict=%s: httpd -t accepted an empty entry:\n%s" % (strict, output))
        check("empty value" in output, "no 'empty value' in:\n%s" % output)
        check("line %d of %s" % (line, server.conf_path) in output
              or "%s:%d" % (server.conf_path, line) in output,
              "file and line %d not named:\n%s" % (line, output))


def test_invalid_regex_fails_with_file_and_line():
    """An entry that does not compile stops httpd -t at the directive's line, as
    kube-apiserver refuses to start."""
    status, output, server, line, _ = configtest_kube("^https://(dashboard$")
    check(status != 0, "httpd -t accepted an invalid regex:\n%s" % output)
    check("line %d of %s" % (line, server.conf_path) in output, "line not named:\n%s" % output)


# ---- c.4 bypasses: kube's answer on the wire, and a lint that names the attacker ------


def test_v40_to_v46_and_v55_gateway_gives_kubes_answer():
    """V40-V46, V55 on the wire: the weak-but-kube-valid patterns admit exactly
    what kube admits (suffix domain, unescaped-dot look-alikes, plain http, any
    port), the help-text form `//example\\.com(:|$)` refuses the suffix attack,
    and `(^foo.com$)` never matches a real origin."""
    run_table([
        ("V40", "/b40/", "https://example.com.evil.com", True),
        ("V41", "/b41/", "https://dashboard.example.com.evil.com", True),
        ("V42", "/b42/", "https://dashboardxexample.com", True),
        ("V43", "/b43/", "https://apixexample.com", True),
        ("V44", "/b44/", "http://example.com", True),
        ("V45", "/b44/", "https://example.com:8443", True),
        ("V46", "/b44/", "https://example.com.evil.com", False),
        ("V55", "/b55/", "https://foo.com", False),
    ])


def expect_finding(prefix, code, attacker=None, severity="warning"):
    found = findings_for(prefix)
    hits = [f for f in found if f["code"] == code and f["severity"] == severity
            and (attacker is None or f["attacker"] == attacker)]
    check(hits, "%s: no %s [%s] finding%s; the findings there:\n%s"
          % (prefix, severity, code, " accepting %s" % attacker if attacker else "",
             describe(found)))
    return hits


def test_bypass_warnings_name_the_attacker():
    """The start-up lint explains each bypass with a concrete attacker origin, at
    the directive's line: V40 `https://example\\.com` accepts
    https://example.com.evil.example (unanchored-end), V41 likewise, V42
    `^https://dashboard.example.com$` accepts https://dashboardxexample.com
    (unescaped-dot), V43 an unescaped-dot look-alike, V44 plain http
    http://example.com, V45 another port (info any-port), V55 never-matches;
    and the help-text form (V46) is not accused of a suffix attack."""
    expect_finding("/b40/", "unanchored-end", "https://example.com.evil.example")
    expect_finding("/b41/", "unanchored-end", "https://dashboard.example.com.evil.example")
    expect_finding("/b42/", "unescaped-dot", "https://dashboardxexample.com")
    hits = expect_finding("/b43/", "unescaped-dot")
    check(all(f["attacker"] for f in hits), "unescaped-dot without an attacker:\n%s"
          % describe(hits))
    expect_finding("/b44/", "plain-http", "http://example.com")
    expect_finding("/b44/", "any-port", "https://example.com:8443", severity="info")
    expect_finding("/b55/", "never-matches")
    wrong = [f for f in findings_for("/b44/") if f["code"] in ("unanchored-end",
                                                                "unanchored-start")]
    check(not wrong, "the help-text pattern is accused of a suffix attack:\n%s" % describe(wrong))


def test_every_attacker_the_lint_prints_is_really_allowed():
    """The lint never lies: every origin a KC0001 finding of the running gateway
    says a pattern `accepts` is sent to that pattern's location and gets ACAO
    (its own value) and credentials. `null` (matches-null: what kube would
    accept) is the one deliberate exception: the gateway must refuse it."""
    checked, problems = [], []
    for finding in gateway_findings():
        prefix = line_prefix.get(finding["line"])
        attacker = finding["attacker"]
        if prefix is None or not attacker:
            continue
        if finding["code"] == "matches-null":
            response = actual(prefix, "null")
            if harness.access_control_headers(response):
                problems.append("%s: null allowed: %r" % (prefix,
                                                          harness.access_control_headers(response)))
            continue
        response = actual(prefix, attacker)
        found = problems_of(response, harness.CORS_ALLOWED_ACTUAL, attacker)
        checked.append((prefix, finding["code"], attacker))
        if found:
            problems.append("%s [%s] claims %s is accepted, the gateway says: %s\n  %s"
                            % (prefix, finding["code"], attacker, "; ".join(found),
                               finding["text"]))
    check(len(checked) >= 10, "only %d attacker origins printed:\n%s"
          % (len(checked), describe(gateway_findings())))
    check(not problems, "\n".join(problems))


def test_own_regex_anchors_the_same_pattern_text():
    """The same pattern text given to K8sCorsAllowOriginRegex (whole-origin match)
    does not admit the suffix attackers kube's semantics admit (V40, V41): the
    intended origin is allowed, https://example.com.evil.com and
    https://example.com.evil.example are not, and no unanchored-end finding is
    printed for it. The unescaped dot (V42) still matches any character there
    too, and the lint says so."""
    run_table([
        ("V40/own", "/own40/", "https://example.com", True),
        ("V40/own", "/own40/", "https://example.com.evil.com", False),
        ("V40/own", "/own40/", "https://example.com.evil.example", False),
        ("V41/own", "/own41/", "https://dashboard.example.com", True),
        ("V41/own", "/own41/", "https://dashboard.example.com.evil.com", False),
        ("V42/own", "/own42/", "https://dashboard.example.com", True),
        ("V42/own", "/own42/", "https://dashboardxexample.com", True),
    ])
    for prefix in ("/own40/", "/own41/"):
        wrong = [f for f in findings_for(prefix) if f["code"] == "unanchored-end"]
        check(not wrong, "%s: unanchored-end for an anchored match:\n%s" % (prefix,
                                                                            describe(wrong)))
    expect_finding("/own42/", "unescaped-dot", "https://dashboardxexample.com")


def test_v52_to_v54_kube_entries_never_match_null_lists_or_overlong_values():
    """V52-V54 (deliberate safety divergence): even `.*` never admits the opaque
    origin `null`, a comma-joined list, or an over-long value; and two Origin
    lines (merged by httpd into "a, b") do not let `//dashboard\\.example\\.com(:|$)`
    admit the list although an unanchored search of the merged value matches."""
    problems = []
    for origin in ("null", "https://a.example, https://b.example",
                   "https://" + "a" * 400 + ".example"):
        response = actual("/k-any/", origin)
        if harness.access_control_headers(response):
            problems.append("%r: %r" % (origin[:60], harness.access_control_headers(response)))
    response = gateway.request("GET", "/b54/version", [
        ("Origin", "https://evil.example"), ("Origin", "https://dashboard.example.com")])
    if harness.access_control_headers(response):
        problems.append("two Origin lines: %r" % harness.access_control_headers(response))
    response = actual("/b54/", "https://dashboard.example.com")
    problems += ["control: " + p for p in problems_of(
        response, harness.CORS_ALLOWED_ACTUAL, "https://dashboard.example.com")]
    check(not problems, "\n".join(problems))
