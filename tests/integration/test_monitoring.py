"""Monitoring artefacts against the module's real metrics: the policy and
reload metrics (a hash of the K8sCors directives, the configuration
generation, the reloader's status file), the alert rules inside the
PrometheusRule under promtool, and the Grafana dashboard's queries.
"""

import importlib.machinery
import importlib.util
import json
import re
import shutil
import subprocess
from pathlib import Path

import yaml  # python3-yaml

import harness
from harness import check

REPO = Path(__file__).resolve().parents[2]
PROMTOOL = Path("/usr/local/lib/mod-k8s-cors/bin/promtool")
MONITORING = REPO / "conf" / "kubernetes" / "monitoring.yaml"
RULE_TESTS = REPO / "conf" / "prometheus" / "k8s-cors-alerts.test.yml"
DASHBOARD = REPO / "conf" / "grafana" / "k8s-cors-gateway.json"

POLICY = """\
K8sCorsReloadStatusFile {status}
<Location "/">
    {comment}
    K8sCors On
    <K8sCorsOrigin https://dashboard.example.com>
        K8sCorsRuleName dashboard
    </K8sCorsOrigin>
    K8sCorsAllowOriginRegex "https://[a-z0-9-]+\\.apps\\.example\\.com"
</Location>
{metrics}ProxyPass "/" "http://127.0.0.1:{fake}/"
"""
STATUS = ("last_attempt_timestamp_seconds 1764579600\nlast_attempt_success 0\n"
          "applied_total 4\ninvalid_total 2\n")

fake = None
gateway = None
status_path = None


def load_check_manifests():
    """tests/package/check-manifests, for its PromQL metric-name reader."""
    path = REPO / "tests" / "package" / "check-manifests"
    loader = importlib.machinery.SourceFileLoader("check_manifests", str(path))
    spec = importlib.util.spec_from_loader("check_manifests", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def config(comment="# the policy"):
    return POLICY.format(status=status_path, fake=fake.port, comment=comment,
                         metrics=harness.METRICS_ENDPOINT)


def setup_module():
    global fake, gateway, status_path
    fake = harness.FakeApiServer(name="monitoring-fake").start()
    status_dir = harness.make_private_dir("reload-status")
    status_path = status_dir / "k8s-cors-reload.status"
    gateway = harness.Httpd(name="monitoring")
    gateway.write_config(config())
    gateway.start()


def teardown_module():
    harness.stop_servers(gateway, fake)


def write_status(text):
    status_path.write_text(text, encoding="utf-8")
    status_path.chmod(0o644)


def scrape():
    response = gateway.request("GET", "/k8s-cors-metrics")
    check(response.status == 200, response.describe())
    return response.body.decode("utf-8")


def samples(text):
    values = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            values[name] = float(value)
    return values


def metric_names(text):
    return set(re.findall(r"^# TYPE (\S+) ", text, re.MULTILINE))


def promtool(*arguments, cwd=None, stdin=None):
    check(PROMTOOL.exists(), "promtool is missing: run scripts/install-deps.sh")
    completed = subprocess.run([str(PROMTOOL), *arguments], cwd=cwd, input=stdin,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
    return completed.returncode, completed.stdout.decode("utf-8", "replace")


def test_reload_status_is_exported_from_the_status_file():
    write_status(STATUS)
    values = samples(scrape())
    check(values.get("k8s_cors_policy_reload_last_attempt_timestamp_seconds") == 1764579600, str(values))
    check(values.get("k8s_cors_policy_reload_last_attempt_success") == 0, str(values))
    check(values.get('k8s_cors_policy_reloads_total{result="applied"}') == 4, str(values))
    check(values.get('k8s_cors_policy_reloads_total{result="invalid"}') == 2, str(values))
    check(values.get("k8s_cors_config_generation", -1) >= 0, str(values))
    hashes = [name for name in values if name.startswith("k8s_cors_policy_info{")]
    check(len(hashes) == 1 and re.fullmatch(r'k8s_cors_policy_info\{hash="[0-9a-f]{16}"\}', hashes[0]),
          str(hashes))
    status, output = promtool("check", "metrics", stdin=scrape().encode())
    check(status == 0, "promtool check metrics: " + output)


def test_a_missing_or_hostile_status_file_exports_nothing_from_it():
    status_path.unlink(missing_ok=True)
    text = scrape()
    check("k8s_cors_policy_reload" not in text and "k8s_cors_policy_info{" in text, text)
    write_status('last_attempt_timestamp_seconds 12"} 1\nevil 1\n'
                 "last_attempt_success 7\napplied_total -1\ninvalid_total 1e9\n"
                 + "x" * 5000)
    text = scrape()
    check("k8s_cors_policy_reload" not in text and "evil" not in text, text)
    status, output = promtool("check", "metrics", stdin=text.encode())
    check(status == 0, "promtool check metrics: " + output)
    # Longer than the handler reads (1 KiB): a line cut short is not read.
    write_status("x" * 980 + "\nlast_attempt_timestamp_seconds 123456789012345\n")
    text = scrape()
    check("k8s_cors_policy_reload_last_attempt_timestamp_seconds" not in text, text)
    write_status(STATUS)


def test_policy_hash_follows_the_directives_not_their_layout():
    first = samples(scrape())
    hash_of = lambda values: [n for n in values if n.startswith("k8s_cors_policy_info{")]  # noqa: E731

    def restart(body):
        generation = samples(scrape())["k8s_cors_config_generation"]
        gateway.write_config(body)
        status, output = gateway.graceful()
        check(status == 0, output)
        check(harness.wait_until(
            lambda: samples(scrape())["k8s_cors_config_generation"] == generation + 1, 20),
            "no new generation after a graceful restart")
        return samples(scrape())

    same = restart(config("# only a comment changed"))
    check(hash_of(same) == hash_of(first), "a comment changed the hash: %s %s"
          % (hash_of(first), hash_of(same)))
    other = restart(config("K8sCorsAllowOrigin https://newcomer.example.com"))
    check(hash_of(other) != hash_of(first), "a new origin left the hash as it was")


def rule_from_manifest(directory):
    """The PrometheusRule's spec, as a Prometheus rule file."""
    with open(MONITORING, encoding="utf-8") as handle:
        rules = [d for d in yaml.safe_load_all(handle) if d and d.get("kind") == "PrometheusRule"]
    check(len(rules) == 1, "one PrometheusRule in %s, found %d" % (MONITORING, len(rules)))
    path = directory / "k8s-cors-prometheusrule.yml"
    path.write_text(yaml.safe_dump({"groups": rules[0]["spec"]["groups"]}, sort_keys=False),
                    encoding="utf-8")
    return path


def test_prometheusrule_passes_promtool():
    directory = harness.make_private_dir("promtool")
    rule_file = rule_from_manifest(directory)
    tests = yaml.safe_load(RULE_TESTS.read_text(encoding="utf-8"))
    tests["rule_files"] = [rule_file.name]
    (directory / "tests.yml").write_text(yaml.safe_dump(tests, sort_keys=False), encoding="utf-8")
    status, output = promtool("check", "rules", rule_file.name, cwd=directory)
    check(status == 0 and "SUCCESS" in output, "promtool check rules: " + output)
    status, output = promtool("test", "rules", "tests.yml", cwd=directory)
    check(status == 0 and "SUCCESS" in output, "promtool test rules: " + output)
    shutil.rmtree(directory, ignore_errors=True)


def test_prometheusrule_alerts_use_exported_metrics():
    write_status(STATUS)
    exported = metric_names(scrape())
    reader = load_check_manifests()
    rule_file = rule_from_manifest(harness.make_private_dir("rules"))
    for group in yaml.safe_load(rule_file.read_text())["groups"]:
        for rule in group["rules"]:
            used = reader.promql_metric_names(rule["expr"])
            check(used and used <= exported, "%s uses %s; the module exports %s"
                  % (rule["alert"], sorted(used), sorted(exported)))


def test_dashboard_is_importable_and_uses_exported_metrics():
    write_status(STATUS)
    gateway.request("GET", "/api/v1/namespaces", {"Origin": "https://dashboard.example.com"})
    exported = metric_names(scrape())
    reader = load_check_manifests()
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    check(dashboard.get("uid") and dashboard.get("title") and dashboard.get("id") is None,
          "uid, title, and no id (Grafana assigns one on import)")
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    check(variables.get("datasource", {}).get("type") == "datasource"
          and variables["datasource"].get("query") == "prometheus",
          "a datasource variable of type prometheus")
    query = variables["instance"]["query"]["query"]
    match = re.fullmatch(r"label_values\((\w+), *(\w+)\)", query)
    check(match and match.group(1) in exported, "the instance variable's metric: " + query)
    panels = dashboard["panels"]
    check(len(panels) >= 10, "%d panels" % len(panels))
    check(len({p["id"] for p in panels}) == len(panels), "panel ids are unique")
    used_everywhere = set()
    for panel in panels:
        name = panel.get("title") or "(untitled)"
        check(bool(panel.get("title")), "a panel has no title: %s" % panel)
        check(bool(panel.get("fieldConfig", {}).get("defaults", {}).get("unit")),
              "panel %r has no unit" % name)
        check(panel.get("datasource", {}).get("uid") == "${datasource}", "panel %r datasource" % name)
        check(panel.get("targets"), "panel %r has no query" % name)
        for target in panel["targets"]:
            check(target.get("datasource", {}).get("uid") == "${datasource}",
                  "panel %r query datasource" % name)
            used = reader.promql_metric_names(target["expr"])
            check(used, "panel %r query %r names no metric" % (name, target["expr"]))
            check(used <= exported, "panel %r uses %s, not exported by the module (it exports %s)"
                  % (name, sorted(used - exported), sorted(exported)))
            used_everywhere |= used
    wanted = {"k8s_cors_requests_total", "k8s_cors_preflights_answered_total",
              "k8s_cors_requests_refused_total", "k8s_cors_upstream_headers_removed_total",
              "k8s_cors_regex_limit_total", "k8s_cors_rule_hits_total",
              "k8s_cors_cross_site_refused_total",
              "k8s_cors_policy_reload_last_attempt_success", "k8s_cors_policy_info"}
    check(wanted <= used_everywhere, "panels missing for %s" % sorted(wanted - used_everywhere))
