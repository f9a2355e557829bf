"""k8s-cors-lint, the command-line audit built from the module's core: on a
kube-apiserver manifest carrying the seed article's flag values, on bare
flag values, on a cluster's multi-document YAML (the API server's Pod, an
ingress-nginx Ingress, a Gateway API HTTPRoute) in text, json and SARIF, and
on an httpd configuration, where it must report exactly what httpd itself
reports at start-up, and explain decisions as the running gateway makes
them. Also: the gateway's denial lines answer the seed article's grep.
"""

import json
import re
import subprocess
from pathlib import Path

import harness
from harness import check

SEED_FLAG = ("https://dashboard.example.com,https://monitoring.example.com,"
             "https://.*\\.example\\.com,http://dashboard.example.com")

MANIFEST = """\
apiVersion: v1
kind: Pod
metadata:
  name: kube-apiserver
  namespace: kube-system
spec:
  containers:
  - command:
    - kube-apiserver
    - --advertise-address=10.0.0.10
    - --cors-allowed-origins={flag}
    - --etcd-servers=https://127.0.0.1:2379
    image: registry.k8s.io/kube-apiserver:v1.30.0
    name: kube-apiserver
"""

# A policy mixing every kind of rule, with weaknesses of several kinds.
POLICY = """\
<Location "/">
    K8sCors On
    K8sCorsAllowOrigin https://dashboard.example.com http://legacy.example.com
    K8sCorsAllowOriginRegex "https://.*\\.apps\\.example\\.com"
    <K8sCorsOrigin https://readonly-dashboard.example.com>
        K8sCorsAllowMethods GET HEAD
        K8sCorsMaxAge 86400
    </K8sCorsOrigin>
    K8sCorsKubeAllowedOrigins "https://grafana.example.com,//lens\\.example\\.com(:|$)"
</Location>
ProxyPass "/" "http://127.0.0.1:{fake}/"
"""

FINDING_LINE = re.compile(r": (warning|error|info): \"")


def lint_tool():
    return harness.build_dir() / "tools" / "k8s-cors-lint"


def run_lint(*args):
    completed = subprocess.run([str(lint_tool()), *args], stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    return (completed.returncode, completed.stdout.decode("utf-8"),
            completed.stderr.decode("utf-8"))


def write(name, text):
    path = harness.work_dir() / name
    path.write_text(text, encoding="utf-8")
    return path


def test_manifest_with_seed_flags_prints_findings_and_fixes():
    """The seed's flag values in a manifest: every weakness is reported with
    its attacker origin, and a fixed flag value is suggested; exit 1."""
    manifest = write("kube-apiserver.yaml", MANIFEST.format(flag=SEED_FLAG))
    status, out, err = run_lint("--manifest", str(manifest))
    check(status == 1, "exit %d, want 1 (warnings)\n%s%s" % (status, out, err))
    for expected in ("accepts https://dashboard.example.com.evil.example",
                     "accepts https://dashboardxexample.com",
                     "accepts https://evil.attacker.example.com",
                     "[plain-http]; accepts http://dashboard.example.com",
                     "suggested: ^https://dashboard\\.example\\.com$"):
        check(expected in out, "missing %r in:\n%s" % (expected, out))
    check("%s:11: warning" % manifest in out, "findings do not name the manifest line:\n" + out)
    suggested = [line for line in out.splitlines() if line.startswith("suggested: --cors")]
    check(len(suggested) == 1, "no suggested flag line:\n" + out)
    check("^https://monitoring\\.example\\.com$" in suggested[0], suggested[0])
    check(re.search(r"^\d+ errors, \d+ warnings, \d+ notes$", out, re.M), out)


def test_strict_makes_warnings_errors():
    """--strict reports the same findings as errors, and exits 2."""
    status, out, _ = run_lint("--strict", "--flag", "https://*")
    check(status == 2, "exit %d, want 2\n%s" % (status, out))
    check('error: "https://*"' in out and "[match-all]" in out, out)


def test_clean_flag_exits_zero():
    """A correctly anchored, escaped pattern has nothing to report."""
    status, out, _ = run_lint("--flag", "--cors-allowed-origins=^https://dashboard\\.example\\.com$")
    check(status == 0, "exit %d\n%s" % (status, out))
    check("0 errors, 0 warnings" in out, out)


def test_json_output_is_machine_readable():
    """--format json: findings with severity, code, attacker and suggestion; the
    attacker origins it names are real origins."""
    status, out, _ = run_lint("--format", "json", "--flag", "^https://dashboard.example.com$")
    check(status == 1, "exit %d" % status)
    document = json.loads(out)
    codes = {f["code"]: f for f in document["findings"]}
    check("unescaped-dot" in codes, out)
    finding = codes["unescaped-dot"]
    check(finding["severity"] == "warning", finding)
    check(finding["attacker"] == "https://dashboardxexample.com", finding)
    check(finding["suggestion"] == "^https://dashboard\\.example\\.com$", finding)
    check(document["summary"]["warnings"] >= 1, document)


def test_bad_input_exits_two():
    """Unusable input is an error with a message, never a silent pass."""
    manifest = write("broken.yaml", "spec: [unclosed\n")
    status, _, err = run_lint("--manifest", str(manifest))
    check(status == 2 and "not valid YAML" in err, "exit %d: %s" % (status, err))
    status, _, err = run_lint("--flag", "https://a.example.com,,https://b.example.com")
    check(status == 2 and "empty value" in err, "exit %d: %s" % (status, err))
    status, _, err = run_lint("--flag", "https://(")
    check(status == 2 and "invalid regular expression" in err, "exit %d: %s" % (status, err))


def module_findings(output):
    """The KC0001 lines of httpd -t, as k8s-cors-lint prints them (httpd's error
    log doubles backslashes)."""
    lines = set()
    for line in output.splitlines():
        if "KC0001: " in line:
            lines.add(line.split("KC0001: ", 1)[1].replace("\\\\", "\\"))
    return lines


def test_module_and_tool_agree():
    """The same configuration gives the same findings from httpd -t and from
    k8s-cors-lint --httpd-config, line for line."""
    gateway = harness.Httpd(name="lint-agree", log_level="warn k8s_cors:info")
    status, output = gateway.configtest(POLICY.format(fake=harness.free_port()))
    check(status == 0, "httpd -t failed:\n" + output)
    from_httpd = module_findings(output)
    check(len(from_httpd) >= 5, "httpd reported too little:\n" + output)
    _, out, err = run_lint("--httpd-config", str(gateway.conf_path))
    from_tool = {line for line in out.splitlines() if FINDING_LINE.search(line)}
    check(from_httpd == from_tool,
          "httpd only: %s\ntool only: %s\n%s" % (sorted(from_httpd - from_tool),
                                                 sorted(from_tool - from_httpd), err))


def test_module_and_tool_agree_under_strict():
    """With K8sCorsStrict On, httpd -t fails and the tool exits 2 with the same
    error lines."""
    gateway = harness.Httpd(name="lint-strict", log_level="warn k8s_cors:info")
    status, output = gateway.configtest(
        "K8sCorsStrict On\n" + POLICY.format(fake=harness.free_port()))
    check(status != 0, "httpd -t passed under strict:\n" + output)
    from_httpd = {line for line in module_findings(output) if ": error: " in line}
    tool_status, out, _ = run_lint("--httpd-config", str(gateway.conf_path))
    from_tool = {line for line in out.splitlines() if ": error: " in line}
    check(tool_status == 2, "tool exit %d" % tool_status)
    check(from_httpd and from_httpd == from_tool,
          "httpd: %s\ntool: %s" % (sorted(from_httpd), sorted(from_tool)))


def test_explain_matches_the_running_gateway():
    """--explain gives the decision the running gateway applies: the read-only
    dashboard's DELETE is refused 405 with its Allow list, a suffix attacker is
    denied, a kube entry's bypass is allowed (as kube-apiserver would)."""
    fake = harness.FakeApiServer(name="lint-fake")
    fake.start()
    gateway = harness.Httpd(POLICY.format(fake=fake.port), name="lint-explain")
    try:
        gateway.start()
        cases = [
            ("https://readonly-dashboard.example.com", "DELETE"),
            ("https://dashboard.example.com.evil.com", "GET"),
            ("https://grafana.example.com.evil.com", "GET"),
            ("https://team.apps.example.com", "GET"),
        ]
        for origin, method in cases:
            _, out, _ = run_lint("--format", "json", "--httpd-config", str(gateway.conf_path),
                                 "--explain", origin, "--method", method)
            decision = json.loads(out)["explain"]
            response = gateway.request(method, "/api/v1/namespaces",
                                       {"Origin": origin, "Authorization": "Bearer demo-token"})
            expected_origin = decision["headers"].get("Access-Control-Allow-Origin")
            got = response.header_values("Access-Control-Allow-Origin")
            check(got == ([expected_origin] if expected_origin else []),
                  "%s %s: explain says %s, gateway sent %s" % (method, origin, decision, got))
            if decision["refuse_status"]:
                check(response.status == decision["refuse_status"],
                      "%s %s: explain %d, gateway %d" % (method, origin,
                                                         decision["refuse_status"],
                                                         response.status))
                allow = decision["headers"].get("Allow")
                if allow:
                    check(response.header_values("Allow") == [allow], response.describe())
            else:
                check(response.status == 200, response.describe())
    finally:
        gateway.stop()
        fake.stop()


def test_help_and_man_page():
    """--help documents every input; the man page exists and renders."""
    status, out, _ = run_lint("--help")
    check(status == 0, "exit %d" % status)
    for option in ("FILE...", "--manifest", "--flag", "--httpd-config", "text|json|sarif",
                   "--explain", "--strict"):
        check(option in out, "%s missing from --help" % option)
    man = Path(__file__).resolve().parents[2] / "tools" / "k8s-cors-lint.1"
    check(man.exists(), "no man page at %s" % man)
    text = man.read_text(encoding="utf-8")
    check(".SH EXIT STATUS" in text and "--manifest" in text.replace("\\-", "-"), "man page")
    for section in (".SH INPUTS", ".SH MATCHING RULES", "ingress-nginx", "HTTPCORSFilter",
                    "sarif", "port-prefix"):
        check(section in text, "%s missing from the man page" % section)


def test_denial_lines_answer_the_seed_grep():
    """The seed article's `grep "origin not allowed"` finds the gateway's denial
    lines for an origin no rule allows (a simple GET and a preflight), each still
    tagged KC0100 with its reason= field; denials for other reasons (a method the
    origin may not use) are not counted as origin denials."""
    fake = harness.FakeApiServer(name="lint-grep-fake")
    fake.start()
    gateway = harness.Httpd(POLICY.format(fake=fake.port), name="lint-grep")
    evil = "https://not-allowed-%d.evil.example" % harness.free_port()
    try:
        gateway.start()
        gateway.request("GET", "/api/v1/namespaces", {"Origin": evil})
        gateway.request("OPTIONS", "/api/v1/namespaces",
                        {"Origin": evil, "Access-Control-Request-Method": "DELETE"})
        gateway.request("DELETE", "/api/v1/namespaces",
                        {"Origin": "https://readonly-dashboard.example.com",
                         "Authorization": "Bearer demo-token"})
        harness.wait_until(lambda: harness.read_text(gateway.error_log_path).count(evil) >= 2, 10)
        grep = subprocess.run(["grep", "origin not allowed", str(gateway.error_log_path)],
                              stdout=subprocess.PIPE, timeout=30)
        found = grep.stdout.decode("utf-8").splitlines()
        check(grep.returncode == 0 and len(found) == 2,
              "grep found %d lines:\n%s\nlog:\n%s" % (len(found), "\n".join(found),
                                                       harness.read_text(gateway.error_log_path)))
        for line in found:
            check(evil in line and "KC0100" in line and "reason=origin-not-allowed" in line,
                  "denial line: " + line)
        check(any("CORS preflight" in line for line in found), "\n".join(found))
        log = harness.read_text(gateway.error_log_path)
        check("reason=method-not-allowed" in log, "no method denial logged:\n" + log)
    finally:
        gateway.stop()
        fake.stop()


def test_section_closers_must_match():
    """`</K8sCorsOriginRegex>` does not close `<K8sCorsOrigin>` (nor `</Directory>` a
    `<Location>`): httpd -t refuses the configuration, and so does the tool, with the
    file and line of the wrong closer."""
    for body, closer in (
            ("<Location \"/\">\n    K8sCors On\n    <K8sCorsOrigin https://a.example.com>\n"
             "        K8sCorsAllowMethods GET\n    </K8sCorsOriginRegex>\n</Location>\n",
             "</K8sCorsOriginRegex>"),
            ("<Location \"/\">\n    K8sCors On\n</Directory>\n", "</Directory>")):
        gateway = harness.Httpd(name="lint-closer", log_level="warn k8s_cors:info")
        status, output = gateway.configtest(body)
        check(status != 0, "httpd -t accepted %s:\n%s" % (closer, output))
        tool_status, out, err = run_lint("--httpd-config", str(gateway.conf_path))
        line = gateway.line_of(closer)
        check(tool_status == 2 and "%s:%d:" % (gateway.conf_path, line) in err
              and closer in err, "tool exit %d for %s:\n%s%s\nhttpd said:\n%s"
              % (tool_status, closer, out, err, output))


# A Helm render: the API server's static pod, an ingress-nginx Ingress and a
# Gateway API HTTPRoute, in one multi-document file.
CLUSTER = """\
# Source: control-plane/templates/kube-apiserver.yaml
apiVersion: v1
kind: Pod
metadata:
  name: kube-apiserver
  namespace: kube-system
spec:
  containers:
  - command:
    - kube-apiserver
    - --cors-allowed-origins=https://dashboard.example.com,http://legacy.example.com,http://localhost:3000
    image: registry.k8s.io/kube-apiserver:v1.30.0
    name: kube-apiserver
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: dashboard
  namespace: monitoring
  annotations:
    nginx.ingress.kubernetes.io/enable-cors: "true"
    nginx.ingress.kubernetes.io/cors-allow-origin: "https://dashboard.example.com, https://grafana.example.com,"
spec:
  ingressClassName: nginx
  rules:
  - host: k8s-api.example.com
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: k8s-api
  namespace: gateway
spec:
  parentRefs:
  - name: public
  rules:
  - filters:
    - type: CORS
      cors:
        allowOrigins:
        - https://dashboard.example.com
        - https://*.example.com
        allowCredentials: true
    backendRefs:
    - name: kubernetes
      port: 443
"""


def cluster_file():
    path = write("cluster-render.out", CLUSTER)  # no .yaml: told by its first lines
    lines = CLUSTER.splitlines()

    def line_of(fragment):
        return next(n for n, text in enumerate(lines, start=1) if fragment in text)
    return path, line_of


def ingress_nginx_accepts(value, origin):
    """ingress-nginx's test for cors-allow-origin (no `*` entry), written from its
    template: `$http_origin ~* ((E1)|(E2))$`, each entry regexp-quoted with its
    first `*` one label, the separator after every non-empty entry but the last."""
    entries = [entry.strip() for entry in value.split(",")]
    regex = ""
    for index, entry in enumerate(entries):
        if entry:
            regex += "(" + re.escape(entry).replace("\\*", "[A-Za-z0-9\\-]+", 1) + ")"
            if index != len(entries) - 1:
                regex += "|"
    return re.search("(" + regex + ")$", origin, re.I) is not None


def test_cluster_yaml_as_argument_in_text():
    """A multi-document YAML given as a positional argument: the API server's flag
    (an http entry kept http but anchored and escaped; the port-prefix bypass), the
    Ingress (a trailing comma opens it to every origin under ingress-nginx's own
    regex) and the HTTPRoute (`*` matching any depth), each finding at its line,
    naming the object; the suggestions are linted again and clean."""
    path, line_of = cluster_file()
    status, out, err = run_lint(str(path))
    check(status == 1, "exit %d, want 1\n%s%s" % (status, out, err))
    flag_line = line_of("--cors-allowed-origins")
    ingress_line = line_of("cors-allow-origin")
    route_line = line_of("https://*.example.com")
    for expected in (
            "%s:%d: warning: \"http://localhost:3000\"" % (path, flag_line),
            "[port-prefix]; accepts http://localhost:30001",
            "%s:%d: warning: " % (path, ingress_line),
            "Ingress monitoring/dashboard: an empty last entry",
            "%s:%d: warning: \"https://*.example.com\": HTTPRoute gateway/k8s-api" % (path, route_line),
            "[wildcard-host]; accepts https://evil.attacker.example.com"):
        check(expected in out, "missing %r in:\n%s" % (expected, out))
    value = CLUSTER.split('cors-allow-origin: "', 1)[1].split('"', 1)[0]
    check(ingress_nginx_accepts(value, "https://evil.example"),
          "ingress-nginx would not accept the reported attacker")
    suggested = [line for line in out.splitlines() if line.startswith("suggested: --cors")]
    check(len(suggested) == 1, out)
    flag = suggested[0].split("=", 1)[1].split(" (for ", 1)[0]
    check(flag == "^https://dashboard\\.example\\.com$,^http://legacy\\.example\\.com$,"
          "^http://localhost:3000$", suggested[0])
    # The suggestion, linted in turn: nothing left but plain http.
    status, again, _ = run_lint("--format", "json", "--flag", flag)
    codes = {f["code"] for f in json.loads(again)["findings"] if f["severity"] != "info"}
    check(codes == {"plain-http"}, "the suggested flag still has %s" % sorted(codes))
    annotation = [line for line in out.splitlines()
                  if line.startswith("suggested: nginx.ingress.kubernetes.io/cors-allow-origin")]
    check(annotation and '"https://dashboard.example.com,https://grafana.example.com"'
          in annotation[0], out)
    check(not ingress_nginx_accepts("https://dashboard.example.com,https://grafana.example.com",
                                    "https://evil.example"), "the fix still accepts the attacker")


def test_cluster_yaml_in_json():
    """--format json: the same findings with source, code, attacker; the whole
    settings rewritten in "suggestions"."""
    path, line_of = cluster_file()
    status, out, _ = run_lint("--format", "json", str(path))
    check(status == 1, "exit %d" % status)
    document = json.loads(out)
    by_code = {}
    for finding in document["findings"]:
        by_code.setdefault(finding["code"], []).append(finding)
    check(any(f["attacker"] == "http://localhost:30001" for f in by_code.get("port-prefix", [])),
          out)
    check(any(f["source"] == "%s:%d" % (path, line_of("cors-allow-origin"))
              and f["attacker"] == "https://evil.example" for f in by_code.get("match-all", [])),
          out)
    check(any(f["subject"] == "https://*.example.com" for f in by_code.get("wildcard-host", [])),
          out)
    settings = {s["setting"] for s in document["suggestions"]}
    check(settings == {"--cors-allowed-origins", "nginx.ingress.kubernetes.io/cors-allow-origin"},
          document["suggestions"])
    check(document["summary"]["warnings"] == sum(
        1 for f in document["findings"] if f["severity"] == "warning"), document["summary"])


def test_cluster_yaml_in_sarif():
    """--format sarif: a SARIF 2.1.0 log with the fields the schema requires
    (version, runs[].tool.driver.name, results[].message.text) and those CI
    annotations read (ruleId, level, physicalLocation.artifactLocation.uri,
    region.startLine), one result per finding of the json output."""
    path, line_of = cluster_file()
    status, out, err = run_lint("--format", "sarif", str(path))
    check(status == 1, "exit %d\n%s" % (status, err))
    log = json.loads(out)
    check(log.get("version") == "2.1.0", log.get("version"))
    check(isinstance(log.get("runs"), list) and len(log["runs"]) == 1, "runs")
    run = log["runs"][0]
    check(run["tool"]["driver"]["name"] == "k8s-cors-lint", run["tool"])
    rules = {rule["id"] for rule in run["tool"]["driver"].get("rules", [])}
    results = run["results"]
    _, json_out, _ = run_lint("--format", "json", str(path))
    findings = json.loads(json_out)["findings"]
    check(len(results) == len(findings), "%d results for %d findings" % (len(results),
                                                                         len(findings)))
    for result in results:
        check(isinstance(result["message"]["text"], str) and result["message"]["text"], result)
        check(result["ruleId"] in rules, "rule %s not described" % result["ruleId"])
        check(result["level"] in ("none", "note", "warning", "error"), result)
        location = result["locations"][0]["physicalLocation"]
        check(location["artifactLocation"]["uri"] == str(path).lstrip("/") or
              location["artifactLocation"]["uri"] == "file://" + str(path), location)
        check(isinstance(location["region"]["startLine"], int)
              and location["region"]["startLine"] >= 1, location)
    lines = {(r["ruleId"], r["locations"][0]["physicalLocation"]["region"]["startLine"])
             for r in results}
    for expected in (("port-prefix", line_of("--cors-allowed-origins")),
                     ("match-all", line_of("cors-allow-origin")),
                     ("wildcard-host", line_of("https://*.example.com"))):
        check(expected in lines, "no %s result at line %d: %s" % (expected + (sorted(lines),)))
    levels = {r["level"] for r in results}
    check("warning" in levels and "note" in levels, levels)


def test_kubectl_list_and_mixed_inputs():
    """A `kubectl get -o yaml` List holding the objects, given with an httpd
    configuration and a --flag in one run: every input is linted, the exit
    status is the worst over all, and an unreadable file is an error that does
    not hide the others' findings."""
    items = "".join("- " + doc.replace("\n", "\n  ").rstrip() + "\n"
                    for doc in CLUSTER.split("---\n"))
    listing = write("dump.yaml", "apiVersion: v1\nkind: List\nitems:\n" + items)
    site = write("site.conf", "<Location />\n    K8sCors On\n"
                 "    K8sCorsAllowOriginRegex \"https://.*\\.example\\.com\"\n</Location>\n")
    status, out, err = run_lint(str(listing), str(site), "--flag", "^https://a\\.example\\.com$")
    check(status == 1, "exit %d\n%s%s" % (status, out, err))
    for expected in ("[port-prefix]", "Ingress monitoring/dashboard", "HTTPRoute gateway/k8s-api",
                     "%s:3: warning: \"https://.*\\.example\\.com\"" % site):
        check(expected in out, "missing %r in:\n%s" % (expected, out))
    status, out, err = run_lint(str(listing), str(harness.work_dir() / "missing.yaml"))
    check(status == 2 and "cannot read" in err and "[port-prefix]" in out,
          "exit %d\n%s%s" % (status, out, err))
