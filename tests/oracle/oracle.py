#!/usr/bin/python3
"""The browser as the oracle: generated policies and requests, each request
a real fetch() in a real browser against a real httpd with the module, and
the browser's verdict compared with the product's own prediction (the
console's explain endpoint: the module's decision and the console's
browser expectation).

Usage: oracle.py [--seed N] [--cases N] [--engines LIST] [--per-httpd N]
                 [--no-regressions] [--no-save]

LIST: engines separated by commas (chromium, firefox, webkit), or
"installed" for each one installed; each judges every case on its own, and
its verdicts are compared with explain's prediction (one for every engine:
none has differed from it).

For each group of policies one httpd runs, over TLS with a test CA:
  - the gateway https://api.oracle.test:G: each policy in its own
    <Location "/pK/"> in front of the fake kube-apiserver, and the console
    CGI's explain endpoint for each (K8sCorsExportPolicy /pK/);
  - the pages: https on two ports (P, Q) and http (H), any host name; the
    engine maps every name the cases use to 127.0.0.1.
Each case is one fetch() to a URL of its own (no preflight cache sharing)
from a page on its origin, or from a null-origin frame in one. The fake
API server says whether the request reached it. Any disagreement is
printed with the policy, the request, the gateway's raw answer and both
verdicts, and saved under tests/oracle/regressions/, which every run
replays first.

Prints "N cases, N policies, N disagreements" with the runtime, then
"N passed, N failed"; exits 1 on a disagreement.
"""

import argparse
import concurrent.futures
import http.client
import ipaddress
import json
import os
import ssl
import sys
import threading
import time
import traceback
import urllib.parse
from pathlib import Path

sys.dont_write_bytecode = True
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "integration"))
sys.path.insert(0, str(HERE.parent / "browser"))

import harness  # noqa: E402
import console_fixtures as fx  # noqa: E402
import browsers  # noqa: E402
import engines  # noqa: E402
import generate  # noqa: E402

REGRESSIONS = HERE / "regressions"
PAGE = "/oracle-page.html"
FRAME_HOST = "frames." + generate.DOMAIN
EXPLAIN_THREADS = 4


# ---- the servers ------------------------------------------------------------------


class Servers:
    """One httpd for a group of policies: pages and gateway."""

    def __init__(self, group, cert, key, fake, cgi, http2):
        self.group = group
        self.http2 = http2  # the gateway and the pages offer h2, as production gateways do
        self.fake = fake
        self.httpd = harness.Httpd(name="oracle", protocol=harness.HTTP1,
                                   log_level="warn k8s_cors:warn")
        self.ports = {"H": self.httpd.port, "P": harness.free_port(), "Q": harness.free_port(),
                      "G": harness.free_port()}
        self.gateway = "https://%s:%d" % (generate.GATEWAY_HOST, self.ports["G"])
        self.httpd.write_file("htdocs" + PAGE, "<!doctype html><title>oracle</title><p>oracle\n")
        self.cert, self.key, self.cgi = cert, key, cgi

    def resolve(self, text):
        for name, port in self.ports.items():
            text = text.replace("{%s}" % name, str(port))
        return text

    def location(self, index, policy):
        lines = [self.resolve(line) for line in policy["directives"]]
        return ('<Location "/p%d/">\n' % index + "".join("    %s\n" % line for line in lines)
                + "</Location>\n")

    def config(self, policies):
        ssl_lines = ('    SSLEngine on\n    SSLCertificateFile "%s"\n'
                     '    SSLCertificateKeyFile "%s"\n' % (self.cert, self.key))
        # A short Timeout: at the end of a group httpd stops at once instead
        # of waiting for the browser's idle (preconnected) sockets.
        modules = fx.CONSOLE_MODULES + fx.SSL_MODULES + (harness.HTTP2_MODULES if self.http2 else ())
        body = ("Timeout 3\n" + fx.load_module_lines(modules)
                + ("Protocols h2 http/1.1\n" if self.http2 else "")
                + fx.cgid_lines(self.httpd)
                + 'SSLSessionCache "shmcb:%s(512000)"\n' % (self.httpd.root / "run" / "ssl_scache")
                + "".join("Listen 127.0.0.1:%d\n" % self.ports[p] for p in "PQG"))
        for port in "PQ":
            body += ("<VirtualHost 127.0.0.1:%d>\n    ServerName pages.oracle.test\n" % self.ports[port]
                     + ssl_lines + '    DocumentRoot "%s"\n' % (self.httpd.root / "htdocs")
                     + "</VirtualHost>\n")
        body += ("<VirtualHost 127.0.0.1:%d>\n    ServerName https://%s:%d\n"
                 % (self.ports["G"], generate.GATEWAY_HOST, self.ports["G"]) + ssl_lines
                 + '    DocumentRoot "%s"\n' % (self.httpd.root / "htdocs")
                 + '    ProxyPass "%s" !\n' % PAGE)
        for index, policy in policies:
            body += ('    ScriptAlias "/oracle-explain/p%d" "%s"\n' % (index, self.cgi)
                     + '    <Location "/oracle-explain/p%d">\n' % index
                     + "        K8sCorsExportPolicy /p%d/\n    </Location>\n" % index)
            body += "".join("    " + line + "\n"
                            for line in self.location(index, policy).splitlines())
            body += '    ProxyPass "/p%d/" "http://127.0.0.1:%d/p%d/"\n' % (index, self.fake.port,
                                                                           index)
        body += "</VirtualHost>\n"
        return body

    def start(self):
        """Starts httpd with the group's policies; returns the policies
        httpd refused (each with its error), which are left out."""
        policies = list(enumerate(p for p, _ in self.group))
        status, output = self.httpd.configtest(self.config(policies))
        refused = []
        if status != 0:
            kept = []
            for index, policy in policies:
                alone, text = self.httpd.configtest(self.config([(index, policy)]))
                if alone == 0:
                    kept.append((index, policy))
                else:
                    refused.append((index, policy, text.strip()))
            self.httpd.write_config(self.config(kept))
        self.httpd.start()
        return refused

    def stop(self):
        self.httpd.stop()

    def crash_lines(self):
        return self.httpd.crash_lines()


# ---- the prediction: the console's explain endpoint ----------------------------------


class Explainer:
    """Asks the gateway's explain endpoint, one keep-alive connection per
    thread, as an operator's tool would (no Origin: the console answers)."""

    def __init__(self, servers):
        self.servers = servers
        self.local = threading.local()
        self.connections = []
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        self.context.check_hostname = False
        self.context.verify_mode = ssl.CERT_NONE

    def _connection(self):
        if getattr(self.local, "connection", None) is None:
            self.local.connection = http.client.HTTPSConnection(
                "127.0.0.1", self.servers.ports["G"], context=self.context, timeout=30)
            self.connections.append(self.local.connection)
        return self.local.connection

    def close(self):
        for connection in self.connections:
            connection.close()

    def explain_or_error(self, index, params):
        """explain's answer, or {"error": why} when it refused the request."""
        try:
            return self.explain(index, params)
        except RuntimeError as error:
            return {"error": str(error)}

    def explain(self, index, params):
        path = "/oracle-explain/p%d/explain?%s" % (index, urllib.parse.urlencode(params))
        host = "%s:%d" % (generate.GATEWAY_HOST, self.servers.ports["G"])
        for attempt in range(2):
            connection = self._connection()
            try:
                connection.request("GET", path, headers={"Host": host})
                response = connection.getresponse()
                body = response.read()
                break
            except (OSError, http.client.HTTPException):
                connection.close()
                self.local.connection = None
                if attempt:
                    raise
        if response.status != 200:
            raise RuntimeError("explain answered %d: %s" % (response.status, body[:300]))
        return json.loads(body)["explain"]


def explain_params(case, origin):
    names = [name for name, _ in case["headers"]]
    params = {"origin": origin, "method": case["method"], "credentials": case["credentials"],
              "read": ",".join(case["read"])}
    if names:
        params["headers"] = ",".join(names)
    for name, value in case["headers"]:
        if name.lower() in ("content-type", "accept", "accept-language", "content-language"):
            params[name.lower().replace("-", "_")] = value
    return params


# ---- the gateway's raw answer, for a disagreement's report -------------------------------


def raw_answer(servers, case, url_path, origin, explained):
    """What the gateway answers to the case's preflight (when the browser
    sends one) and actual request, sent again from here to a fresh path."""
    port = servers.ports["G"]
    host = "%s:%d" % (generate.GATEWAY_HOST, port)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    exchanges = []
    method = explained["method"]  # as fetch() sends it
    path = url_path + "-replay"
    requests = []
    if explained.get("preflight_needed"):
        headers = {"Origin": origin, "Access-Control-Request-Method": method}
        if explained.get("request_headers"):
            headers["Access-Control-Request-Headers"] = explained["request_headers"]
        requests.append(("OPTIONS", headers, None))
    headers = dict(case["headers"])
    headers["Origin"] = origin
    requests.append((method, headers, case["body"]))
    for method_sent, headers, body in requests:
        connection = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=15)
        try:
            headers = dict(headers, Host=host)
            connection.request(method_sent, path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            exchanges.append({"request": "%s %s" % (method_sent, path),
                              "request_headers": headers, "status": response.status,
                              "headers": response.getheaders()})
        except (OSError, http.client.HTTPException) as error:
            exchanges.append({"request": "%s %s" % (method_sent, path), "error": str(error)})
        finally:
            connection.close()
    return exchanges


# ---- the comparison ----------------------------------------------------------------


def compare(seen, expect, reached):
    """The differences between the browser's verdict (seen, reached) and
    the prediction (explain's expect), as strings; [] when they agree. A
    header predicted readable but hidden may just be absent from the
    response: absent_headers_only() settles that from the raw answer."""
    problems = []
    blocked = expect["verdict"] == "blocked"
    if seen["network_error"] != blocked:
        problems.append("verdict: browser %s, predicted %s"
                        % ("blocked" if seen["network_error"] else "allowed", expect["verdict"]))
    if not seen["network_error"] and not blocked:
        if expect["status"] is not None and seen["status"] != expect["status"]:
            problems.append("status: browser %s, predicted %s" % (seen["status"], expect["status"]))
    if reached != expect["reaches_api_server"]:
        problems.append("API server: %s, predicted %s" % (
            "reached" if reached else "not reached",
            "reached" if expect["reaches_api_server"] else "not reached"))
    if not seen["network_error"] and not blocked:
        readable = {name.lower() for name in expect["readable"] or []}
        for name, visible in seen["read"].items():
            if visible and name.lower() not in readable:
                problems.append("header %s: readable in the browser, predicted hidden" % name)
            if not visible and name.lower() in readable:
                problems.append("header %s: hidden in the browser, predicted readable" % name)
    return problems


def absent_headers_only(problems, exchanges, seen):
    """A "hidden, predicted readable" header that was not on the response
    at all is no disagreement: drop those."""
    if not exchanges or "headers" not in exchanges[-1]:
        return problems
    present = {name.lower() for name, _ in exchanges[-1]["headers"]}
    return [p for p in problems if not (p.startswith("header ") and p.endswith("predicted readable")
                                        and p.split()[1].rstrip(":").lower() not in present)]


# ---- one group ---------------------------------------------------------------------


class Run:
    def __init__(self, arguments):
        self.arguments = arguments
        self.nonce = "%x" % int(time.time() * 1000)
        self.counter = 0
        self.cases = self.policies = self.disagreements = self.failed = 0
        self.refused = 0
        self.saved = []
        self.tally = {}
        self.reasons = {}
        self.timings = {"httpd": 0.0, "explain": 0.0, "browser": 0.0}

    def url_path(self, index):
        self.counter += 1
        return "/p%d/api/v1/namespaces/o%s-%d" % (index, self.nonce, self.counter)

    def run_group(self, engine, group, cert, key, fake, cgi, http2):
        servers = Servers(group, cert, key, fake, cgi, http2)
        clock = time.monotonic()
        refused = servers.start()
        self.timings["httpd"] += time.monotonic() - clock
        refused_indexes = {index for index, _, _ in refused}
        for index, policy, text in refused:
            count = len(group[index][1])
            self.failed += count
            self.refused += 1
            print("FAIL %s: httpd refused the generated policy (%d cases not run):\n    %s\n%s"
                  % (policy["id"], count, "\n    ".join(policy["directives"]),
                     "    " + text.replace("\n", "\n    ")), flush=True)
        try:
            self._run_servers(engine, servers, group, refused_indexes)
        finally:
            crashes = servers.crash_lines()
            clock = time.monotonic()
            servers.stop()
            self.timings["httpd"] += time.monotonic() - clock
            if crashes:
                self.failed += 1
                print("FAIL httpd logged trouble:\n    " + "\n    ".join(crashes), flush=True)

    def _run_servers(self, engine, servers, group, refused):
        explainer = Explainer(servers)
        work = []  # (index, policy, case, origin, url_path)
        for index, (policy, cases) in enumerate(group):
            if index in refused:
                continue
            self.policies += 1
            for case in cases:
                work.append((index, policy, case, servers.resolve(case["page"]),
                             self.url_path(index)))
        clock = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(EXPLAIN_THREADS) as pool:
            predictions = list(pool.map(
                lambda item: explainer.explain_or_error(item[0], explain_params(item[2], item[3])),
                work))
        explainer.close()
        self.timings["explain"] += time.monotonic() - clock
        clock = time.monotonic()
        by_page = {}
        for item in work:
            _, _, case, origin, url_path = item
            page = origin if case["frame"] == "top" else "https://%s:%d" % (
                FRAME_HOST, servers.ports["P"])
            by_page.setdefault((page, case["frame"]), []).append(item)
        seen = {}
        for (page, frame), items in by_page.items():
            script_cases = [{"id": str(i), "url": servers.gateway + item[4],
                             "method": item[2]["method"], "credentials": item[2]["credentials"],
                             "headers": item[2]["headers"], "body": item[2]["body"],
                             "read": item[2]["read"]} for i, item in enumerate(items)]
            try:
                opened = time.monotonic()
                engine.open(page + PAGE)
                ran = time.monotonic()
                results = json.loads(engine.run(engines.page_script(script_cases, frame),
                                                timeout=300))
                if self.arguments.verbose:
                    print("page %s %s: %d cases, open %.2f s, run %.2f s" % (
                        page, frame, len(items), ran - opened, time.monotonic() - ran))
            except Exception as error:  # noqa: BLE001 - the cases say what went wrong
                print("page %s (%s frame) failed: %s" % (page, frame, error), flush=True)
                results = []
            for result in results:
                seen[id(items[int(result["id"])])] = result
        self.timings["browser"] += time.monotonic() - clock
        stats = servers.fake.stats()["by_request"]
        for item, prediction in zip(work, predictions):
            index, policy, case, origin, url_path = item
            self.cases += 1
            result = seen.get(id(item))
            if result is None:
                # The page did not run (reported above): a failure of the
                # run, not a disagreement to keep.
                self.failed += 1
                print("FAIL %s: the browser returned no result" % case["id"], flush=True)
                continue
            if "error" in prediction:
                # A request a page can make that explain cannot explain.
                problems = ["no prediction: " + prediction["error"]]
                prediction = {"method": case["method"], "preflight_needed": None,
                              "request_headers": None, "expect": {"verdict": None}}
                reached = any(line.split(" ", 1)[1] == url_path and not line.endswith(")")
                              for line in stats)
                self.disagreements += 1
                self.failed += 1
                self.report(engine, servers, index, policy, case, origin, url_path, prediction,
                            result, reached, raw_answer(servers, case, url_path, origin,
                                                        prediction), problems)
                continue
            # The request as the browser sent it (explain's method is
            # fetch()'s); a preflight is another request line.
            reached = stats.get("%s %s" % (prediction["method"], url_path), 0) > 0
            problems = compare(result, prediction["expect"], reached)
            expect = prediction["expect"]
            for key, counted in (("allowed", not result.get("network_error", True)),
                                 ("preflighted", prediction["preflight_needed"]),
                                 ("reached the API server", reached),
                                 ("refused by the gateway", expect["status"] is not None),
                                 ("null origin", origin == "null"),
                                 ("a header read", any(result.get("read", {}).values()))):
                self.tally[key] = self.tally.get(key, 0) + bool(counted)
            reason = "%s/%s" % (expect["verdict"], expect["reason"])
            self.reasons[reason] = self.reasons.get(reason, 0) + 1
            if self.arguments.verbose:
                print("case %s %s %s %s from %s: browser %s reached=%s; predicted %s %s reaches=%s "
                      "readable=%s" % (case["id"], case["method"], case["credentials"],
                                       case["headers"], origin, json.dumps(result), reached,
                                       prediction["expect"]["verdict"],
                                       prediction["expect"]["status"],
                                       prediction["expect"]["reaches_api_server"],
                                       prediction["expect"]["readable"]))
            exchanges = None
            if problems:
                exchanges = raw_answer(servers, case, url_path, origin, prediction)
                problems = absent_headers_only(problems, exchanges, result)
            if not problems:
                continue
            self.disagreements += 1
            self.failed += 1
            self.report(engine, servers, index, policy, case, origin, url_path, prediction,
                        result, reached, exchanges, problems)

    def report(self, engine, servers, index, policy, case, origin, url_path, prediction, result,
               reached, exchanges, problems):
        print("DISAGREEMENT %s (%s): %s" % (case["id"], engine.name, "; ".join(problems)))
        print("  policy <Location \"/p%d/\">:" % index)
        for line in policy["directives"]:
            print("      " + servers.resolve(line))
        print("  request: fetch(%s, %s) from %s%s" % (
            servers.gateway + url_path, json.dumps({
                "method": case["method"], "credentials": case["credentials"],
                "headers": case["headers"], "body": case["body"]}), origin,
            "" if case["frame"] == "top" else " (%s frame)" % case["frame"]))
        print("  script reads: %s" % ", ".join(case["read"]))
        print("  browser: %s; API server %s" % (json.dumps(result),
                                               "reached" if reached else "not reached"))
        print("  predicted: %s" % json.dumps(prediction["expect"]))
        for exchange in exchanges or []:
            print("  gateway answer to %s:" % exchange["request"])
            if "error" in exchange:
                print("      error: " + exchange["error"])
                continue
            print("      %d" % exchange["status"])
            for name, value in exchange["headers"]:
                print("      %s: %s" % (name, value))
        sys.stdout.flush()
        if self.arguments.save and not policy["id"].startswith("regression "):
            REGRESSIONS.mkdir(exist_ok=True)
            path = REGRESSIONS / ("%s.json" % case["id"])
            number = 1
            while path.exists():
                number += 1
                path = REGRESSIONS / ("%s-%d.json" % (case["id"], number))
            path.write_text(json.dumps({
                "engine": engine.name, "engine_version": engine.version(),
                "problems": problems, "policy": policy, "cases": [case],
                "browser": result, "reached": reached, "predicted": prediction["expect"],
            }, indent=2) + "\n")
            self.saved.append(path)


def engine_names(text):
    if text.strip() == "installed":
        names = []
        for name in engines.ENGINES:
            if browsers.installed(name):
                names.append(name)
            else:
                print("SKIP engine %s: not installed (scripts/install-deps.sh --test installs %s)"
                      % (name, browsers.install_hint(name)), flush=True)
        return names
    return [name.strip() for name in text.split(",") if name.strip()]


def host_names(units):
    """Every host name a case's page or fetch() uses: the names Firefox and
    WebKit resolve to loopback."""
    names = {generate.GATEWAY_HOST, FRAME_HOST}
    for _, cases in units:
        for case in cases:
            if case["page"] == "null":
                continue
            host = urllib.parse.urlsplit(case["page"].replace("{", "").replace("}", "")).hostname
            try:
                ipaddress.ip_address(host)
                continue  # an address needs no name
            except ValueError:
                pass
            # As the browser looks it up: A-labels, with and without the
            # trailing dot.
            if not host.isascii():
                try:
                    host = host.encode("idna").decode()
                except UnicodeError:
                    pass  # not a name a browser would look up either
            names.update((host, host.rstrip(".")))
    return names


def load_regressions():
    units = []
    for path in sorted(REGRESSIONS.glob("*.json")):
        data = json.loads(path.read_text())
        policy = dict(data["policy"], id="regression " + path.stem)
        units.append((policy, data["cases"]))
    return units


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cases", type=int, default=500)
    parser.add_argument("--engines", default="chromium")
    parser.add_argument("--per-httpd", type=int, default=25, help="policies per httpd")
    parser.add_argument("--no-regressions", dest="regressions", action="store_false")
    parser.add_argument("--no-save", dest="save", action="store_false",
                        help="do not save disagreements as regression cases")
    parser.add_argument("--protocols", default="h2,http/1.1",
                        help="what the servers offer, one httpd after the other: h2 (with "
                             "http/1.1), http/1.1 or both in turn")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every case")
    arguments = parser.parse_args(argv)
    arguments.protocols = [name.strip() == "h2" for name in arguments.protocols.split(",")]
    started = time.monotonic()
    units = (load_regressions() if arguments.regressions else [])
    regression_cases = sum(len(cases) for _, cases in units)
    units += generate.Generator(arguments.seed).run(arguments.cases)
    groups = [units[i:i + arguments.per_httpd] for i in range(0, len(units), arguments.per_httpd)]
    print("oracle: seed %d, %d generated cases, %d regression cases, %d httpd runs"
          % (arguments.seed, arguments.cases, regression_cases, len(groups)), flush=True)
    harness.begin_work_dir("oracle")
    total_failed = total_passed = total_cases = total_policies = total_disagreements = 0
    failed_run = False
    try:
        certificates = fx.Certificates(harness.make_private_dir("certs"))
        cert, key = certificates.issue("oracle", "DNS:*.oracle.test,DNS:*.apps.oracle.test,"
                                       "DNS:oracle.test")
        cgi = fx.cgi_binary()
        fake = harness.FakeApiServer(name="oracle-fake")
        fake.start()
        for engine_name in engine_names(arguments.engines):
            engine_started = time.monotonic()
            run = Run(arguments)
            engine = engines.start_engine(engine_name.strip(), harness.work_dir(),
                                          host_names(units))
            run.timings["engine start"] = time.monotonic() - engine_started
            try:
                print("engine: %s" % engine.version(), flush=True)
                for number, group in enumerate(groups, 1):
                    try:
                        run.run_group(engine, group, cert, key, fake, cgi,
                                      http2=arguments.protocols[number % len(arguments.protocols)])
                    except Exception:
                        run.failed += sum(len(cases) for _, cases in group)
                        print("FAIL group %d: %s" % (number, traceback.format_exc()), flush=True)
            finally:
                engine.stop()
            print("%s: %d cases, %d policies, %d disagreements (%s, %.1f s)" % (
                engine_name, run.cases, run.policies, run.disagreements, engine.version(),
                time.monotonic() - engine_started), flush=True)
            print("time: %s" % ", ".join("%s %.1f s" % pair for pair in run.timings.items()))
            print("cases: %s" % ", ".join("%d %s" % (count, key)
                                         for key, count in run.tally.items()))
            print("predictions: %s" % ", ".join("%d %s" % (count, key) for key, count in
                                                sorted(run.reasons.items(), key=lambda x: -x[1])))
            for path in run.saved:
                print("saved %s" % path)
            total_failed += run.failed
            total_passed += run.cases - run.disagreements
            total_cases += run.cases
            total_policies += run.policies
            total_disagreements += run.disagreements
    except Exception:
        traceback.print_exc()
        failed_run = True
        total_failed += 1
    finally:
        harness.stop_all_servers()
        harness.end_work_dir(keep=total_failed > 0)
    print("%d cases, %d policies, %d disagreements in %.1f s" % (
        total_cases, total_policies, total_disagreements, time.monotonic() - started))
    print("%d passed, %d failed" % (total_passed, total_failed), flush=True)
    return 1 if total_failed or failed_run else 0


if __name__ == "__main__":
    sys.exit(main())
