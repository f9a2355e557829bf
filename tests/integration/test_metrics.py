"""Metrics: a known mix of requests sent concurrently through an httpd with
several child processes, then every counter of the k8s-cors-metrics handler
checked against the expected count; the exposition passes promtool, and so
do the alert rules in conf/prometheus/.
"""

import concurrent.futures
import re
import subprocess
from pathlib import Path

import harness
from harness import check

PROMTOOL = Path("/usr/local/lib/mod-k8s-cors/bin/promtool")
RULES_DIR = Path(__file__).resolve().parents[2] / "conf" / "prometheus"

POLICY = """\
<Location "/">
    K8sCors On
    K8sCorsAllowOrigin https://dashboard.example.com
    <K8sCorsOrigin https://readonly.example.com>
        K8sCorsAllowMethods GET HEAD
        K8sCorsRuleName readonly
    </K8sCorsOrigin>
    K8sCorsAllowOriginRegex "https://[a-z0-9-]+\\.apps\\.example\\.com"
    K8sCorsAllowOriginRegex "^https://([a-z0-9]+)+\\.slow\\.example\\.com$"
</Location>
<Location "/report/">
    K8sCors report-only
</Location>
LogFormat "%{{K8S_CORS_DECISION}}e %{{K8S_CORS_RULE}}e %m %U" k8scors_decisions
CustomLog "logs/decisions_log" k8scors_decisions
{metrics}ProxyPass "/report/" "http://127.0.0.1:{fake}/"
ProxyPass "/" "http://127.0.0.1:{fake}/"
"""

# Several child processes, few threads each: counters must add up across them.
MPM = ["StartServers 4", "ServerLimit 4", "MinSpareThreads 4", "MaxSpareThreads 16",
       "ThreadsPerChild 4", "ThreadLimit 4", "MaxRequestWorkers 16"]

AUTH = {"Authorization": "Bearer demo-token"}
NS = "/api/v1/namespaces"
SLOW_ORIGIN = "https://" + "a" * 28 + "-.slow.example.com"

# (count, method, path, headers): the mix, and what each request counts as.
MIX = [
    (40, "GET", NS, {"Origin": "https://dashboard.example.com"}),
    (30, "OPTIONS", NS, {"Origin": "https://dashboard.example.com",
                         "Access-Control-Request-Method": "PUT"}),
    (20, "GET", NS, {"Origin": "https://evil.example"}),
    (15, "OPTIONS", NS, {"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"}),
    (10, "DELETE", NS, {"Origin": "https://readonly.example.com"}),
    (12, "GET", NS, {"Origin": "https://readonly.example.com"}),
    (8, "OPTIONS", NS, {"Origin": "https://dashboard.example.com",
                        "Access-Control-Request-Method": "GET",
                        "Access-Control-Request-Headers": "x-not-allowed"}),
    (25, "GET", NS, {}),
    (9, "GET", NS, {"Origin": "https://team1.apps.example.com"}),
    (5, "GET", NS, {"Origin": SLOW_ORIGIN}),
    (6, "GET", "/report/api/v1/namespaces", {"Origin": "https://evil.example"}),
    (4, "GET", "/report/api/v1/namespaces", {}),
]

EXPECTED = {
    'k8s_cors_requests_total{decision="allowed",kind="actual",mode="enforce"}': 40 + 12 + 9,
    'k8s_cors_requests_total{decision="allowed",kind="preflight",mode="enforce"}': 30,
    'k8s_cors_requests_total{decision="denied_origin",kind="actual",mode="enforce"}': 20 + 5,
    'k8s_cors_requests_total{decision="denied_origin",kind="preflight",mode="enforce"}': 15,
    'k8s_cors_requests_total{decision="denied_method",kind="actual",mode="enforce"}': 10,
    'k8s_cors_requests_total{decision="denied_method",kind="preflight",mode="enforce"}': 0,
    'k8s_cors_requests_total{decision="denied_header",kind="preflight",mode="enforce"}': 8,
    'k8s_cors_requests_total{decision="no_origin",kind="none",mode="enforce"}': 25,
    'k8s_cors_requests_total{decision="same_origin",kind="none",mode="enforce"}': 0,
    'k8s_cors_requests_total{decision="denied_origin",kind="actual",mode="report-only"}': 6,
    'k8s_cors_requests_total{decision="no_origin",kind="none",mode="report-only"}': 4,
    'k8s_cors_preflights_answered_total{result="allowed"}': 30,
    'k8s_cors_preflights_answered_total{result="denied"}': 15 + 8,
    'k8s_cors_requests_refused_total{status="405"}': 10,
    'k8s_cors_requests_refused_total{status="403"}': 0,
    'k8s_cors_regex_limit_total': 5,
    'k8s_cors_rule_hits_total{rule="https://dashboard.example.com"}': 40 + 30,
    'k8s_cors_rule_hits_total{rule="readonly"}': 12,
    'k8s_cors_rule_hits_total{rule="https://[a-z0-9-]+\\\\.apps\\\\.example\\\\.com"}': 9,
}

fake = None
gateway = None


def setup_module():
    global fake, gateway
    fake = harness.FakeApiServer(name="metrics-fake")
    fake.start()
    gateway = harness.Httpd(POLICY.format(fake=fake.port, metrics=harness.METRICS_ENDPOINT),
                            name="metrics", mpm_lines=MPM)
    gateway.start()


def teardown_module():
    harness.stop_servers(gateway, fake)


def scrape():
    response = gateway.request("GET", "/k8s-cors-metrics")
    check(response.status == 200, response.describe())
    check(response.header_values("Content-Type")[0].startswith("text/plain; version=0.0.4"),
          response.describe())
    return response.body.decode("utf-8")


def samples(text):
    values = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            values[name] = int(value)
    return values


def test_counters_add_up_across_children():
    """A concurrent mix through 4 child processes: every counter equals the
    number of requests of its kind, summed over all children."""
    before = samples(scrape())
    jobs = []
    for count, method, path, headers in MIX:
        jobs += [(method, path, dict(headers, **AUTH))] * count
    with concurrent.futures.ThreadPoolExecutor(max_workers=12) as pool:
        statuses = list(pool.map(lambda job: gateway.request(*job).status, jobs))
    check(all(status in (200, 204, 403, 405) for status in statuses), sorted(set(statuses)))
    children = gateway.child_pids()
    check(len(children) >= 2, "expected several child processes, got %s" % children)
    after = samples(scrape())
    for name, expected in EXPECTED.items():
        got = after.get(name, 0) - before.get(name, 0)
        check(got == expected, "%s: %d, expected %d\n%s" % (name, got, expected, scrape()))


def test_upstream_headers_removed_is_counted():
    """Responses whose CORS headers came from the API server are counted."""
    before = samples(scrape()).get("k8s_cors_upstream_headers_removed_total", 0)
    fake.set_cors([".*"])
    try:
        for _ in range(3):
            gateway.request("GET", NS, dict(AUTH, Origin="https://dashboard.example.com"))
    finally:
        fake.set_cors([])
    after = samples(scrape())["k8s_cors_upstream_headers_removed_total"]
    check(after - before == 3, "removed %d, expected 3" % (after - before))


def test_labels_stay_bounded():
    """Client-chosen Origin values never become labels."""
    for i in range(20):
        gateway.request("GET", NS, {"Origin": "https://random-%d.evil.example" % i})
    text = scrape()
    check("random-" not in text, "an Origin value leaked into the metrics")
    check(len(samples(text)) < 40, "too many series: %d" % len(samples(text)))


def test_promtool_check_metrics():
    """promtool (Debian's prometheus package) accepts the exposition: exit 0."""
    check(PROMTOOL.exists(), "promtool is missing: run scripts/install-deps.sh")
    completed = subprocess.run([str(PROMTOOL), "check", "metrics"], input=scrape().encode(),
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
    check(completed.returncode == 0, completed.stdout.decode())


def test_metrics_handler_methods():
    """The handler serves GET only."""
    response = gateway.request("POST", "/k8s-cors-metrics", body=b"x")
    check(response.status == 405, response.describe())


def test_decision_available_to_logformat():
    """K8S_CORS_DECISION and K8S_CORS_RULE reach the access log."""
    gateway.request("DELETE", NS, dict(AUTH, Origin="https://readonly.example.com"))
    gateway.request("GET", NS, dict(AUTH, Origin="https://team2.apps.example.com"))
    log = gateway.root / "logs" / "decisions_log"
    wanted = ("method-not-allowed readonly DELETE", "allowed https://[a-z0-9-]+")
    check(harness.wait_until(lambda: all(w in harness.read_text(log) for w in wanted), 5),
          harness.read_text(log)[-2000:])


def test_alert_rules():
    """promtool check rules and promtool test rules pass on conf/prometheus/."""
    check(PROMTOOL.exists(), "promtool is missing: run scripts/install-deps.sh")
    for command in (["check", "rules", "k8s-cors-alerts.yml"],
                    ["test", "rules", "k8s-cors-alerts.test.yml"]):
        completed = subprocess.run([str(PROMTOOL), *command], cwd=RULES_DIR,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
        output = completed.stdout.decode()
        check(completed.returncode == 0 and re.search("SUCCESS", output),
              "promtool %s: %s" % (" ".join(command), output))
