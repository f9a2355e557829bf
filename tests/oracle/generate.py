"""Seeded generation of policies (in the module's own directives) and of
browser requests against them.

Nothing here knows what the gateway or the browser will do with a case:
the generator only picks shapes that exercise the policy language and the
Fetch rules (origins that match, look alike or differ in scheme, port or
depth; methods in any case; credentials modes; safelisted and unsafe
headers; content types; exposed headers the script reads).

Ports are not known when a case is generated: origins carry placeholders
that the runner resolves when its servers are up:
  {P}  the pages' https port       {Q}  a second https port for pages
  {H}  the pages' http port        {G}  the gateway's https port
so a saved case replays the same on every run.
"""

import random

DOMAIN = "oracle.test"
GATEWAY_HOST = "api." + DOMAIN

# Page host names. Exact origins come from NAMES; APPS labels sit under
# apps.oracle.test, where the patterns point.
NAMES = ("dash", "mon", "lens", "grafana-a1", "grafana-b2", "ops")
APPS = ("web", "tools", "x-1", "blue")

METHODS_SAFE = ("GET", "HEAD", "POST")
METHODS_OTHER = ("PUT", "DELETE", "PATCH", "OPTIONS")
METHODS_LOWER = ("get", "post", "put", "delete", "patch", "head", "options", "Delete", "Patch")
METHODS_ODD = ("PURGE", "REPORT", "Purge")
POLICY_METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "PURGE", "patch")
POLICY_HEADERS = ("Authorization", "Content-Type", "X-Requested-With", "X-Oracle-A",
                  "X-CSRF-Token", "Accept", "Content-Language")
POLICY_EXPOSE = ("Date", "Server", "Audit-Id", "X-Oracle-Never", "Content-Length", "Allow")
# Response headers the script reads: each is on every answer the gateway
# gives (httpd's Date and Server; Content-Type on bodies), or Allow on a 405.
READABLE = ("Date", "Server", "Content-Type", "Allow", "Content-Length")

SAFE_CONTENT_TYPES = ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data",
                      "text/plain;charset=UTF-8", "Text/Plain; charset=utf-8")
UNSAFE_CONTENT_TYPES = ("application/json", "application/merge-patch+json",
                        "application/strategic-merge-patch+json", "text/html", "text/plain+x",
                        # safelisted essences with a CORS-unsafe byte (", :, @, {...)
                        'text/plain; charset="utf-8"', "text/plain; x={1}",
                        "multipart/form-data; boundary=a@b")


def origin(name, port="{P}", scheme="https"):
    return "%s://%s:%s" % (scheme, name, port)


def named(name):
    return name + "." + DOMAIN


class Generator:
    def __init__(self, seed):
        self.seed = seed
        self.random = random.Random(seed)

    # ---- policies ---------------------------------------------------------

    def pick(self, values, low=1, high=None):
        high = len(values) if high is None else min(high, len(values))
        return self.random.sample(values, self.random.randint(low, high))

    def settings(self, inner):
        """Directives of a location or an origin section (a few, or none)."""
        r = self.random
        lines = []
        if r.random() < (0.4 if inner else 0.5):
            methods = self.pick(POLICY_METHODS, 2, 6)
            if r.random() < 0.1:
                methods = ["*"]
            lines.append("K8sCorsAllowMethods " + " ".join(methods))
        if r.random() < (0.4 if inner else 0.5):
            headers = self.pick(POLICY_HEADERS, 1, 5)
            if r.random() < 0.15:
                headers = ["*"] if r.random() < 0.5 else ["*", "Authorization"]
            lines.append("K8sCorsAllowHeaders " + " ".join(headers))
        if r.random() < (0.4 if inner else 0.6):
            expose = self.pick(POLICY_EXPOSE, 1, 3)
            if r.random() < 0.12:
                expose = ["*"]
            lines.append("K8sCorsExposeHeaders " + " ".join(expose))
        if r.random() < 0.35:
            lines.append("K8sCorsAllowCredentials " + r.choice(("On", "Off")))
        if r.random() < 0.3:
            lines.append("K8sCorsMaxAge %d" % r.choice((0, 5, 600, 7200)))
        return lines

    def policy(self, index):
        """A policy: the directives of one <Location>, and the page origins
        its cases are drawn from (matching or not, as the shapes say)."""
        r = self.random
        mode = r.choices(("On", "report-only", "Off"), (92, 5, 3))[0]
        body = ["K8sCors " + mode]
        body += self.settings(inner=False)
        exact = [origin(named(n), port) for n, port in
                 zip(self.pick(NAMES, 1, 3), (r.choice(("{P}", "{P}", "{Q}")) for _ in range(3)))]
        if r.random() < 0.15:
            exact.append(origin(named(r.choice(NAMES)), "{H}", "http"))
        if r.random() < 0.1:
            # a developer's dashboard on this machine
            exact.append(r.choice((origin("localhost", "{H}", "http"), origin("127.0.0.1", "{P}"))))
        body.append("K8sCorsAllowOrigin " + " ".join(exact))
        patterns = []
        if r.random() < 0.45:
            pattern = r.choice((
                r"https://[a-z0-9-]+\.apps\.oracle\.test:{P}",
                r"https://(web|tools)\.apps\.oracle\.test:({P}|{Q})",
                r"https?://[a-z0-9.-]+\.apps\.oracle\.test:[0-9]+",
                r"https://grafana-[a-z0-9]+\.oracle\.test:{P}",
            ))
            body.append('K8sCorsAllowOriginRegex "%s"' % pattern)
            patterns.append(pattern)
        section = origin(named(r.choice(NAMES)), r.choice(("{P}", "{Q}")))
        if r.random() < 0.5 and section not in exact:
            settings = self.settings(inner=True)
            body.append("<K8sCorsOrigin %s>" % section)
            body += ["    " + line for line in settings]
            body.append("</K8sCorsOrigin>")
        if r.random() < 0.35:
            pattern = r.choice((r"https://[a-z]+\.apps\.oracle\.test:{P}",
                                r"https://ops\.oracle\.test:({P}|{Q})"))
            body.append('<K8sCorsOriginRegex "%s">' % pattern)
            body += ["    " + line for line in self.settings(inner=True)]
            body.append("</K8sCorsOriginRegex>")
        if r.random() < 0.3:
            # kube's unanchored searches, weaknesses and all.
            value = r.choice((
                r"//mon\.oracle\.test(:|$)",
                r"https://lens\.oracle\.test",
                r"^https://web\.apps\.oracle\.test:{P}$",
                r"//dash\.oracle\.test:{P}$,//ops\.oracle\.test",
                r"apps.oracle.test",
            ))
            body.append('K8sCorsKubeAllowedOrigins "%s"' % value)
        wildcard = r.random() < 0.12
        null = r.random() < 0.12
        if wildcard or null:
            # `*` and `null` only admit requests without credentials.
            body = [line for line in body if not line.startswith("K8sCorsAllowCredentials")]
            body = [line for line in body if not line.strip().startswith("K8sCorsAllowCredentials")]
            body.insert(1, "K8sCorsAllowCredentials Off")
            body.append("K8sCorsAllowOrigin " + " ".join(
                (["*"] if wildcard else []) + (["null"] if null else [])))
        if r.random() < 0.4:
            body.append("K8sCorsDeniedOrigin " + r.choice(("pass", "reject")))
        if r.random() < 0.3:
            body.append("K8sCorsDeniedMethodStatus " + r.choice(("405", "403")))
        return {"id": "s%d-p%d" % (self.seed, index), "directives": body}

    # ---- requests ---------------------------------------------------------

    def page_origin(self, policy):
        """(origin, frame): where the script runs. frame is top (a page on
        the origin), sandbox (a sandboxed iframe: origin null) or data (a
        data: iframe: origin null)."""
        r = self.random
        text = "\n".join(policy["directives"])
        listed = [word for line in policy["directives"] for word in line.split()
                  if word.startswith("http") and "://" in word and "\\" not in word]
        listed = [word.rstrip(">") for word in listed]
        shape = r.choices(
            ("listed", "app", "lookalike", "scheme", "port", "deeper", "other", "null", "self",
             "local"),
            (30, 14, 10, 6, 8, 7, 6, 7, 4, 3))[0]
        if shape == "listed" and listed:
            return r.choice(listed), "top"
        if shape == "app" or (shape == "listed" and not listed):
            return origin("%s.apps.%s" % (r.choice(APPS), DOMAIN), r.choice(("{P}", "{P}", "{Q}"))), "top"
        base = named(r.choice(NAMES))
        if shape == "lookalike":
            host = r.choice((base + ".evil.test", "evil-" + base, base.replace(".", "x", 1),
                             "web.apps.oracle.test.evil.test", "appsxoracle.test",
                             "x" + base, base + ".",  # a trailing dot: another origin
                             # "dаsh" with a Cyrillic а, as the browser sends it
                             "xn--dsh-6cd.oracle.test"))
            return origin(host, "{P}"), "top"
        if shape == "scheme":
            return origin(r.choice(listed).split("://", 1)[1].rsplit(":", 1)[0] if listed else base,
                          "{H}", "http"), "top"
        if shape == "port":
            return origin(base, r.choice(("{P}", "{Q}"))), "top"
        if shape == "deeper":
            return origin(r.choice(("a.", "a.b.")) + r.choice((base, "web.apps." + DOMAIN)),
                          "{P}"), "top"
        if shape == "null" or ("null" in text.split() and r.random() < 0.3):
            return "null", r.choice(("sandbox", "data"))
        if shape == "local":
            return r.choice((origin("localhost", "{H}", "http"), origin("127.0.0.1", "{P}"),
                             origin("localhost", "{P}"))), "top"
        if shape == "self":
            return origin(GATEWAY_HOST, "{G}"), "top"
        return origin("other." + DOMAIN, r.choice(("{P}", "{H}"))).replace(
            "https://other.oracle.test:{H}", "http://other.oracle.test:{H}"), "top"

    def method(self):
        r = self.random
        kind = r.choices(("safe", "other", "lower", "odd"), (50, 25, 17, 8))[0]
        return r.choice({"safe": METHODS_SAFE, "other": METHODS_OTHER, "lower": METHODS_LOWER,
                         "odd": METHODS_ODD}[kind])

    def headers(self):
        """[name, value] pairs the script sets."""
        r = self.random
        pairs = []
        table = "application/json;as=Table;v=v1;g=meta.k8s.io"
        if r.random() < 0.25:
            pairs.append(["Accept", r.choice((
                "application/json", "*/*", table,
                # kubectl's Table Accept: 111 bytes, then over 128
                table + "," + table.replace("v=v1", "v=v1beta1") + ",application/json",
                table + "," + table.replace("v=v1", "v=v1beta1") + ",application/json;q=0.9,text/plain;q=0.5,*/*",
                'application/json; q="1"', "application/json; profile=urn:k8s"))])
        if r.random() < 0.12:
            pairs.append(["Accept-Language", r.choice(("en", "de-CH, en;q=0.5", "en_US",
                                                       "en-" + "x" * 130))])
        if r.random() < 0.08:
            pairs.append(["Content-Language", r.choice(("en", "de/CH", "en, fr"))])
        if r.random() < 0.4:
            roll = r.random()
            if roll < 0.45:
                value = r.choice(SAFE_CONTENT_TYPES)
            elif roll < 0.85:
                value = r.choice(UNSAFE_CONTENT_TYPES)
            else:
                # Safelisted essence, but over 128 bytes: no longer safelisted.
                value = "text/plain; charset=utf-8; x=" + "a" * r.choice((60, 99, 100, 140))
            pairs.append(["Content-Type", value])
        if r.random() < 0.3:
            pairs.append(["Authorization", "Bearer demo-token"])
        if r.random() < 0.2:
            pairs.append([r.choice(("X-Requested-With", "X-Oracle-A", "X-CSRF-Token", "x-oracle-b")),
                          "1"])
        if r.random() < 0.02:
            # A page may set many headers: past the gateway's limit of 64
            # names in Access-Control-Request-Headers, or not.
            pairs += [["X-Oracle-%d" % n, "1"] for n in range(r.choice((20, 40, 63, 70)))]
        return pairs

    def case(self, policy, index):
        r = self.random
        page, frame = self.page_origin(policy)
        method = self.method()
        headers = self.headers()
        body = None
        if method.upper() not in ("GET", "HEAD") and r.random() < 0.7:
            body = '{"kind":"Oracle"}'
        if body is None:
            headers = [pair for pair in headers if pair[0] != "Content-Type" or r.random() < 0.5]
        return {
            "id": "%s-c%d" % (policy["id"], index),
            "page": page,
            "frame": frame,
            "method": method,
            "credentials": r.choices(("omit", "same-origin", "include"), (25, 25, 50))[0],
            "headers": headers,
            "body": body,
            "read": self.pick(READABLE, 1, 2),
        }

    def run(self, cases, per_policy=(15, 35)):
        """[(policy, [case, ...]), ...] with cases cases in all."""
        out = []
        made = 0
        index = 0
        while made < cases:
            policy = self.policy(index)
            count = min(cases - made, self.random.randint(*per_policy))
            out.append((policy, [self.case(policy, i) for i in range(count)]))
            made += count
            index += 1
        return out
