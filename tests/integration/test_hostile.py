"""Hostile input through a real httpd with mod_k8s_cors in front of the fake
kube-apiserver. Every request is sent byte for byte over a raw socket
(harness.build_raw_request), so CR, NUL, obs-fold, non-ASCII bytes and
duplicate header lines reach httpd exactly as written.

The policy (the product's decisions, which override the reference checklist
where they differ):
  exact   https://app.example.com, http://[::1]:8080
  pattern https://[a-z0-9-]+\\.dev\\.example\\.com
Scheme and host compare case-insensitively and default ports are normalised
(so https://APP.example.com and https://app.example.com:443 are allowed and
echoed byte for byte); IPv6 literals are normalised; anything that is not
exactly one serialized origin is denied.

Each CASES row states its required outcome; one test per row. Every case
also checks that no response header was injected or carries a raw control or
non-ASCII byte, that the server still answers afterwards, and that the error
log shows no crash (no [core:error], segfault, AH00052 child exit, sanitizer
report).

Over HTTP/2 (K8S_CORS_TEST_PROTOCOL=h2 or h2c) every case sends the same
field bytes in one HEADERS frame, unvalidated (h2client). The outcomes are
the same, except where HTTP/2 itself forbids the bytes: a field with CR, LF
or NUL (RFC 9113 8.2.1; an obs-fold is a CRLF), or one httpd refuses 400 over
HTTP/1.1, must be refused before the module (a 4xx from httpd or the stream
reset) and never reach the API server (H2_REFUSED).
"""

import collections
import concurrent.futures
import re
import time

import harness
from harness import check

TOKEN = "demo-token"
BEARER = "Bearer " + TOKEN
API_PATH = "/api/v1/namespaces"

APP = "https://app.example.com"
IPV6 = "http://[::1]:8080"
DEV = "https://team-1.dev.example.com"

POLICY = """\
    K8sCors On
    K8sCorsAllowOrigin https://app.example.com http://[::1]:8080
    K8sCorsAllowOriginRegex "https://[a-z0-9-]+\\.dev\\.example\\.com"
"""
# An operator pattern with catastrophic backtracking, plain and with an
# in-pattern attempt to raise PCRE2's match limit. PCRE2 10.42 refuses
# (*LIMIT_MATCH=4294967295) itself ("(*VERB) not recognized or malformed"; its
# largest accepted value is 4294967289), so the running server uses the
# largest value PCRE2 accepts and test_limit_match_uint32_max_... covers the
# literal 2^32-1.
EVIL_PATTERN = "^https://([a-z0-9]+)+\\.dev\\.example\\.com$"
LIMIT_MATCH_PATTERN = "(*LIMIT_MATCH=4294967289)" + EVIL_PATTERN
UINT32_MAX_LIMIT_PATTERN = "(*LIMIT_MATCH=4294967295)" + EVIL_PATTERN

# Outcomes.
ALLOW = "allow"              # proxied, one ACAO (the origin verbatim), ACAC, ACEH, Vary: Origin
DENY = "deny"                # proxied, no Access-Control-*, Vary: Origin
NOT_CORS = "not-cors"        # proxied, no Access-Control-* (no Origin to speak of)
PREFLIGHT_OK = "preflight-ok"        # 204 from httpd, full preflight set, upstream not reached
PREFLIGHT_DENIED = "preflight-denied"  # 403 from httpd, no Access-Control-*, upstream not reached
HTTPD_400 = "httpd-400"      # httpd's own 400 before any module runs, upstream not reached
H2_REFUSED = "h2-refused"    # over HTTP/2: a 4xx without Access-Control-*, or the stream
                             # reset, before the module; upstream not reached

Case = collections.namedtuple(
    "Case", "name origin expect why method acrm acrh headers echo max_seconds")


def case(name, origin, expect, why, method=None, acrm=None, acrh=None, headers=(), echo=None,
         max_seconds=None):
    """origin: str/bytes for one Origin line, None for none; headers: extra
    (name, value) lines sent after it; echo: the ACAO an allowed outcome must
    carry (default: the origin itself, byte for byte)."""
    if method is None:
        method = "OPTIONS" if expect.startswith("preflight") or acrm is not None else "GET"
    return Case(name, origin, expect, why, method, acrm, acrh, tuple(headers), echo, max_seconds)


def preflight(name, origin, expect, why, acrm="GET", acrh=None, **kwargs):
    return case(name, origin, expect, why, method="OPTIONS", acrm=acrm, acrh=acrh, **kwargs)


ALLOWED_NAMES = ("content-type", "authorization", "x-csrf-token", "accept-encoding")


def names_list(count, separator=","):
    return separator.join(ALLOWED_NAMES[i % len(ALLOWED_NAMES)] for i in range(count))


def padded_list(total_bytes):
    """"content-type,<spaces>authorization" of exactly total_bytes bytes (OWS inside)."""
    head, tail = "content-type,", "authorization"
    return head + " " * (total_bytes - len(head) - len(tail)) + tail


CASES = [
    # ---- allowed, including the deliberate normalisations ----
    case("exact_origin", APP, ALLOW, "listed exactly"),
    case("exact_ipv6_origin", IPV6, ALLOW, "listed exactly"),
    case("pattern_origin", DEV, ALLOW, "one label under dev.example.com"),
    case("upper_case_host", "https://APP.example.com", ALLOW,
         "host compares case-insensitively; ACAO echoes the request's bytes"),
    case("upper_case_scheme", "HTTPS://app.example.com", ALLOW, "scheme compares case-insensitively"),
    case("explicit_default_port", "https://app.example.com:443", ALLOW, "default port normalised"),
    case("upper_case_pattern_origin", "https://TEAM-1.DEV.EXAMPLE.COM", ALLOW,
         "patterns match the normalised (lower-case) origin; echo verbatim"),
    case("ipv6_uncompressed", "http://[0:0:0:0:0:0:0:1]:8080", ALLOW,
         "IPv6 literal normalised to [::1]; echo verbatim"),
    case("ipv6_upper_hex_zeros", "http://[0000::0001]:8080", ALLOW, "same address as [::1]"),
    case("trailing_ows_stripped", b"https://app.example.com\t ", ALLOW,
         "trailing SP/HTAB is OWS, not part of the field value (RFC 9110 5.5); httpd strips it, "
         "so the value is exactly one origin", echo=APP),
    case("leading_ows_stripped", b" \thttps://app.example.com", ALLOW,
         "leading OWS is not part of the field value either", echo=APP),

    # ---- look-alikes and other origins ----
    case("suffix_attack", "https://app.example.com.evil.com", DENY, "kube #71669 prefix match"),
    case("dash_prefix", "https://evil-app.example.com", DENY, "go-zero HasSuffix"),
    case("glued_prefix", "https://evilapp.example.com", DENY, "HasSuffix without dot"),
    case("unescaped_dot", "https://appXexample.com", DENY, "an unescaped '.' would allow this"),
    case("scheme_downgrade", "http://app.example.com", DENY, "scheme is part of the origin"),
    case("other_port", "https://app.example.com:8443", DENY, "port is part of the origin"),
    case("pattern_two_labels", "https://a.b.dev.example.com", DENY, "[a-z0-9-]+ is one label"),
    case("pattern_http", "http://team-1.dev.example.com", DENY, "pattern is https only"),
    case("pattern_with_port", "https://team-1.dev.example.com:8443", DENY,
         "pattern matches default port only"),
    case("pattern_underscore", "https://team_1.dev.example.com", DENY, "'_' is not in [a-z0-9-]"),
    case("ipv6_default_port", "http://[::1]", DENY, "[::1]:80 is not [::1]:8080"),
    case("ipv6_https", "https://[::1]:8080", DENY, "scheme differs"),
    case("ipv6_other_address", "http://[::2]:8080", DENY, "another address"),
    case("punycode_not_listed", "https://xn--pp-via.example.com", DENY, "not configured"),
    case("trailing_dot_host", "https://app.example.com.", DENY, "not the listed host"),
    case("nuclei_underscore", "https://app.example.com_.evil.com", DENY, "nuclei CORS set"),
    case("nuclei_backtick", "https://app.example.com%60.evil.com", DENY, "nuclei CORS set"),
    case("nuclei_dollar", "https://app.example.com.$.evil.com", DENY, "nuclei CORS set"),
    case("nuclei_tilde", "https://app.example.com.~.evil.com", DENY, "nuclei CORS set"),
    case("nuclei_comma_label", "https://app.example.com.,.evil.com", DENY, "nuclei CORS set"),

    # ---- the opaque origin ----
    case("null_origin", "null", DENY, "null is never allowed unless configured"),
    case("null_upper", "NULL", DENY, "NULL is not even the opaque origin"),
    case("null_mixed", "Null", DENY, "Null neither"),

    # ---- not exactly one origin ----
    case("trailing_slash", "https://app.example.com/", DENY, "an origin has no path"),
    case("path", "https://app.example.com/api", DENY, "an origin has no path"),
    case("query", "https://app.example.com?x=1", DENY, "an origin has no query"),
    case("fragment", "https://app.example.com#f", DENY, "an origin has no fragment"),
    case("userinfo_suffix", "https://app.example.com@evil.com", DENY, "userinfo: the host is evil.com"),
    case("userinfo_prefix", "https://user:pw@app.example.com", DENY, "an origin has no userinfo"),
    case("backslash_userinfo", "https://evil.com\\@app.example.com", DENY, "backslash"),
    case("comma_list", "https://app.example.com, https://evil.com", DENY, "a list, not one origin"),
    case("comma_list_both_allowed", "https://app.example.com,https://app.example.com", DENY,
         "still a list"),
    case("space_list", "https://app.example.com https://evil.com", DENY, "RFC 6454 origin-list"),
    case("two_origin_lines", None, DENY, "httpd merges two Origin lines into 'a, b': a list",
         headers=[("Origin", APP), ("Origin", "https://evil.com")]),
    case("two_origin_lines_same", None, DENY, "merged 'a, a' is a list too",
         headers=[("Origin", APP), ("Origin", APP)]),
    case("two_origin_lines_mixed_case_names", None, DENY,
         "field names are case-insensitive: 'oRiGiN' and 'Origin' merge into a list",
         headers=[("oRiGiN", "https://evil.com"), ("Origin", APP)]),
    case("inner_tab", b"https://app.\texample.com", DENY, "TAB inside the value"),
    case("tab_then_junk", b"https://app.example.com\tx", DENY, "TAB-separated list"),
    case("obs_fold_injection", b"https://app.example.com\r\n X-Injected: 1", DENY,
         "httpd unfolds obs-fold into one space: a list; nothing is injected"),
    case("obs_fold_tab", b"https://app.example.com\r\n\thttps://evil.com", DENY, "obs-fold again"),
    case("percent_encoded_dot", "https://app%2eexample.com", DENY, "'%' is never in an origin"),
    case("double_quotes", '"https://app.example.com"', DENY, "quoted"),
    case("single_quotes", "'https://app.example.com'", DENY, "quoted"),
    case("angle_brackets", "<https://app.example.com>", DENY, "bracketed"),
    case("utf8_host", "https://äpp.example.com".encode("utf-8"), DENY,
         "raw UTF-8: not ASCII; nothing non-ASCII may come back"),
    case("latin1_host", b"https://\xe4pp.example.com", DENY, "raw 8-bit byte"),
    case("no_scheme", "app.example.com", DENY, "no scheme"),
    case("scheme_relative", "//app.example.com", DENY, "no scheme"),
    case("one_slash", "https:/app.example.com", DENY, "not scheme://"),
    case("empty_host", "https://", DENY, "no host"),
    case("double_dot", "https://app..example.com", DENY, "empty label"),
    case("ipv6_unclosed", "http://[::1", DENY, "unclosed literal"),
    case("ipv6_leading_zero_port", "http://[::1]:08080", DENY, "leading zero port"),
    case("ipv6_junk_after", "http://[::1]x:8080", DENY, "junk after ]"),
    case("port_leading_zero", "https://app.example.com:0443", DENY, "leading zero port"),
    case("port_empty", "https://app.example.com:", DENY, "empty port"),
    case("port_zero", "https://app.example.com:0", DENY, "port 0"),
    case("port_out_of_range", "https://app.example.com:99999", DENY, "port > 65535"),
    case("port_huge", "https://app.example.com:4294967739", DENY, "2^32+443: no wrap-around"),
    case("port_twice", "https://app.example.com:443:443", DENY, "two ports"),
    case("port_sign", "https://app.example.com:+443", DENY, "signed port"),
    case("origin_301_bytes", "https://" + "a" * 276 + ".dev.example.com", DENY,
         "over the module's 300-byte cap"),
    case("ipv6_expansion_at_length_cap", "a" * 280 + "://[::ffff:0:0]:1234", DENY,
         "300 bytes whose IPv6 literal normalizes 4 bytes longer (::ffff:0.0.0.0): denied, and "
         "nothing may be written past the normalized buffer (UBSan reports it under run-asan)"),
    case("origin_8000_bytes", "https://" + "a" * 7992, DENY,
         "fits httpd's field limit, refused by the length cap before any matching",
         max_seconds=1.0),
    case("origin_over_field_limit", "https://" + "a" * 9000, HTTPD_400,
         "over LimitRequestFieldSize 8190: httpd's 400, the module is never reached"),

    # ---- bytes httpd itself refuses ----
    case("nul_in_origin", b"https://app.example.com\x00", HTTPD_400, "NUL in a field value"),
    case("nul_mid_origin", b"https://app\x00.example.com", HTTPD_400, "NUL in a field value"),
    case("bare_cr", b"https://app.example.com\rX-Injected: 1", HTTPD_400, "bare CR"),
    case("bare_lf", b"https://app.example.com\nX-Injected: 1", HTTPD_400,
         "bare LF (HttpProtocolOptions Strict)"),
    case("control_byte", b"https://app\x01.example.com", HTTPD_400, "control byte"),
    case("del_byte", b"https://app\x7f.example.com", HTTPD_400, "DEL"),

    # ---- not a CORS request ----
    case("empty_origin", "", NOT_CORS, "an empty Origin is no Origin: proxied untouched"),
    case("whitespace_origin", " ", NOT_CORS, "OWS only: empty after httpd strips it"),
    case("get_with_acrm", APP, ALLOW, "ACRM on a GET does not make a preflight: an actual request",
         headers=[("Access-Control-Request-Method", "DELETE")]),
    case("options_without_acrm", APP, ALLOW,
         "OPTIONS without Access-Control-Request-Method is not a preflight: proxied",
         method="OPTIONS"),
    case("options_empty_acrm", APP, ALLOW, "an empty ACRM does not make a preflight: proxied",
         method="OPTIONS", headers=[("Access-Control-Request-Method", "")]),

    # ---- preflights ----
    preflight("preflight_allowed", APP, PREFLIGHT_OK, "allowed origin, method and header",
              acrh="authorization"),
    preflight("preflight_normalised_origin", "https://APP.example.com:443", PREFLIGHT_OK,
              "normalised origin, echoed verbatim"),
    preflight("preflight_ipv6_normalised", "http://[0:0:0:0:0:0:0:1]:8080", PREFLIGHT_OK,
              "normalised IPv6, echoed verbatim"),
    preflight("preflight_denied_origin", "https://evil.com", PREFLIGHT_DENIED, "origin not allowed"),
    preflight("preflight_list_origin", "https://app.example.com, https://evil.com", PREFLIGHT_DENIED,
              "list"),
    preflight("preflight_null_origin", "null", PREFLIGHT_DENIED, "null"),
    preflight("acrm_patch_upper", APP, PREFLIGHT_OK, "PATCH is listed", acrm="PATCH"),
    preflight("acrm_patch_lower", APP, PREFLIGHT_DENIED, "methods are case-sensitive", acrm="patch"),
    preflight("acrm_get_lower", APP, PREFLIGHT_DENIED, "no upper-casing of the input", acrm="get"),
    preflight("acrm_list", APP, PREFLIGHT_DENIED, "one method, not a list", acrm="GET, DELETE"),
    preflight("acrm_space", APP, PREFLIGHT_DENIED, "not a token", acrm="GE T"),
    preflight("acrm_unknown", APP, PREFLIGHT_DENIED, "not listed", acrm="CHICKEN"),
    preflight("acrm_two_lines", APP, PREFLIGHT_DENIED, "merged into 'GET, PUT'", acrm=None,
              headers=[("Access-Control-Request-Method", "GET"),
                       ("Access-Control-Request-Method", "PUT")]),
    preflight("acrm_non_ascii", APP, PREFLIGHT_DENIED, "not a token", acrm=b"G\xc3\x89T"),
    preflight("acrm_nul", APP, HTTPD_400, "NUL: httpd's 400", acrm=b"GET\x00"),
    preflight("acrh_ows_case", APP, PREFLIGHT_OK, "case-insensitive names, optional whitespace",
              acrh="Content-Type ,  AUTHORIZATION"),
    preflight("acrh_empty_elements", APP, PREFLIGHT_OK, "empty elements are skipped",
              acrh="content-type,,authorization"),
    preflight("acrh_not_allowed", APP, PREFLIGHT_DENIED, "header not listed",
              acrh="content-type, x-evil"),
    preflight("acrh_wildcard_name", APP, PREFLIGHT_DENIED, "'*' is not a listed name", acrh="*"),
    preflight("acrh_bad_token", APP, PREFLIGHT_DENIED, "';' is not a tchar",
              acrh="content-type;authorization"),
    preflight("acrh_64_names", APP, PREFLIGHT_OK, "64 names: at the bound", acrh=names_list(64)),
    preflight("acrh_65_names", APP, PREFLIGHT_DENIED, "65 names: over the bound",
              acrh=names_list(65)),
    preflight("acrh_2048_bytes", APP, PREFLIGHT_OK, "2048 bytes: at the bound",
              acrh=padded_list(2048)),
    preflight("acrh_2049_bytes", APP, PREFLIGHT_DENIED, "2049 bytes: over the bound",
              acrh=padded_list(2049)),
    preflight("acrh_129_byte_name", APP, PREFLIGHT_DENIED, "a name over 128 bytes",
              acrh="x" * 129),
    preflight("acrh_8k_commas", APP, PREFLIGHT_DENIED, "rs/cors #170: 8000 commas",
              acrh="," * 8000, max_seconds=0.5),
    preflight("acrh_4000_names", APP, PREFLIGHT_DENIED, "4000 names", acrh="a," * 4000,
              max_seconds=0.5),
    preflight("acrh_non_ascii", APP, PREFLIGHT_DENIED, "not a token",
              acrh="content-type, x-\xe4".encode("latin-1")),
    preflight("preflight_obs_fold_acrh", APP, PREFLIGHT_DENIED,
              "unfolded ACRH 'authorization X-Injected: 1' is not a token list",
              acrh=b"authorization\r\n X-Injected: 1"),
]

fake = None
gateway = None


def gateway_config(fake_port):
    return f"""\
<Location "/">
{POLICY}</Location>
<Location "/redos/">
    K8sCors On
    K8sCorsAllowOriginRegex "{EVIL_PATTERN}"
</Location>
<Location "/limitmatch/">
    K8sCors On
    K8sCorsAllowOriginRegex "{LIMIT_MATCH_PATTERN}"
</Location>
ProxyPass "/redos/" "http://127.0.0.1:{fake_port}/"
ProxyPass "/limitmatch/" "http://127.0.0.1:{fake_port}/"
ProxyPass "/" "http://127.0.0.1:{fake_port}/"
ProxyPassReverse "/" "http://127.0.0.1:{fake_port}/"
"""


def setup_module():
    global fake, gateway
    fake = harness.FakeApiServer(token=TOKEN, name="fake-hostile").start()
    gateway = harness.Httpd(gateway_config(fake.port), name="hostile")
    gateway.start()


def teardown_module():
    harness.stop_servers(gateway, fake)


# ---- running one case ---------------------------------------------------------------


def request_fields(item):
    headers = []
    if item.origin is not None:
        headers.append(("Origin", item.origin))
    if item.acrm is not None:
        headers.append(("Access-Control-Request-Method", item.acrm))
    if item.acrh is not None:
        headers.append(("Access-Control-Request-Headers", item.acrh))
    headers += list(item.headers)
    headers.append(("Authorization", BEARER))
    return headers


def request_bytes(item):
    return harness.build_raw_request(item.method, API_PATH, request_fields(item))


def _latin1(value):
    return value if isinstance(value, bytes) else value.encode("latin-1")


def expectation(item):
    """The case's outcome in the suite's protocol (see the module's docstring)."""
    if not gateway.http2:
        return item.expect
    forbidden = any(byte in _latin1(value) for _, value in request_fields(item)
                    for byte in b"\r\n\x00")
    return H2_REFUSED if forbidden or item.expect == HTTPD_400 else item.expect


def http2_request(item):
    """The case over HTTP/2: a Response whose raw_head is rebuilt from the
    fields as received, or None when the server reset the stream."""
    import h2client
    connection = h2client.Connection(gateway.port, tls=gateway.protocol == harness.H2)
    try:
        stream_id = connection.start(item.method, API_PATH, request_fields(item))
        try:
            status, headers = connection.head(stream_id)
            body = connection.read_to_end(stream_id)
        except h2client.StreamReset:
            return None
    finally:
        connection.close()
    raw_head = b"".join(_latin1(name) + b": " + _latin1(value) + b"\r\n"
                        for name, value in headers) + b"\r\n"
    return harness.RawResponse(status, h2client.reason_of(status), headers, body,
                               b"HTTP/2 %d\r\n" % status + raw_head)


def head_problems(response):
    """Injected headers, raw control or 8-bit bytes, or folded lines in the head."""
    problems = []
    if response.header_values("X-Injected"):
        problems.append("an X-Injected header came back")
    folded = [value for name, value in response.headers if name == ""]
    if folded:
        problems.append("folded or malformed header lines in the response: %r" % folded)
    body_of_head = response.raw_head[:-4]
    bad = sorted({byte for byte in body_of_head.replace(b"\r\n", b"")
                  if byte < 0x20 and byte != 0x09 or byte >= 0x7f})
    if bad:
        problems.append("raw bytes %s in the response head" % ["0x%02x" % byte for byte in bad])
    return problems


def expected_echo(item):
    value = item.echo if item.echo is not None else item.origin
    return value.decode("latin-1") if isinstance(value, bytes) else value


def assert_outcome(item, response, upstream):
    expect = expectation(item)
    if expect == H2_REFUSED:
        check(upstream == 0, "the request reached the API server (%d requests)" % upstream,
              response)
        if response is None:
            return  # the stream was reset
        check(400 <= response.status < 500, "status %d, expected httpd's 4xx or a reset"
              % response.status, response)
        outcome = harness.CORS_NONE
        problems = harness.cors_wire_problems(response, outcome)
        check(not problems, "; ".join(problems), response)
        return
    check(response is not None, "the server reset the stream")
    if expect in (ALLOW, DENY, NOT_CORS):
        if item.method == "OPTIONS":
            # The fake answers an authenticated OPTIONS with 405 (kube does too).
            check(response.status == 405, "status %d, expected the upstream's 405" % response.status,
                  response)
        else:
            check(response.status == 200, "status %d, expected the upstream's 200" % response.status,
                  response)
        check(upstream == 1, "the request reached the API server %d times, expected once" % upstream,
              response)
        outcome = {ALLOW: harness.CORS_ALLOWED_ACTUAL, DENY: harness.CORS_DENIED,
                   NOT_CORS: harness.CORS_NONE}[expect]
    elif expect in (PREFLIGHT_OK, PREFLIGHT_DENIED):
        wanted = 204 if expect == PREFLIGHT_OK else 403
        check(response.status == wanted, "status %d, expected %d" % (response.status, wanted),
              response)
        check(upstream == 0, "the preflight reached the API server (%d requests)" % upstream,
              response)
        outcome = harness.CORS_ALLOWED_PREFLIGHT if expect == PREFLIGHT_OK else harness.CORS_DENIED
    elif expect == HTTPD_400:
        check(response.status == 400, "status %d, expected httpd's 400" % response.status, response)
        check(upstream == 0, "the request reached the API server (%d requests)" % upstream, response)
        outcome = harness.CORS_NONE
    else:
        raise ValueError(expect)
    problems = harness.cors_wire_problems(response, outcome, expected_echo(item))
    check(not problems, "; ".join(problems), response)


def assert_still_serving(offset):
    """The gateway answers a plain allowed request, and nothing crashed since offset."""
    if gateway.http2:
        response = gateway.request("GET", "/version", [("Origin", APP)], timeout=10.0)
    else:
        response = gateway.raw_request(harness.build_raw_request(
            "GET", "/version", [("Origin", APP)]), timeout=10.0)
    problems = harness.cors_wire_problems(response, harness.CORS_ALLOWED_ACTUAL, APP)
    check(response.status == 200 and not problems,
          "the gateway no longer answers normally: %s" % problems, response)
    crashes = gateway.crash_lines(offset)
    check(not crashes, "crash lines in the error log:\n" + "\n".join(crashes))


def run_case(item):
    offset = gateway.error_log_size()
    before = fake.total_requests()
    started = time.monotonic()
    if gateway.http2:
        response = http2_request(item)
    else:
        response = gateway.raw_request(request_bytes(item))
    elapsed = time.monotonic() - started
    upstream = fake.total_requests() - before
    problems = head_problems(response) if response is not None else []
    check(not problems, "; ".join(problems), response)
    assert_outcome(item, response, upstream)
    if item.max_seconds is not None:
        check(elapsed < item.max_seconds, "took %.3f s, budget %.3f s" % (elapsed, item.max_seconds))
    assert_still_serving(offset)


def _make_case_test(number, item):
    def test():
        run_case(item)
    test.__name__ = "test_case_%03d_%s" % (number, item.name)
    test.__qualname__ = test.__name__
    test.__doc__ = "%s -> %s: %s" % (item.name, item.expect, item.why)
    return test


for _number, _item in enumerate(CASES, start=1):
    _test = _make_case_test(_number, _item)
    globals()[_test.__name__] = _test
del _number, _item, _test


def test_case_table_is_large_and_unique():
    """The table holds at least 50 cases with unique names."""
    names = [item.name for item in CASES]
    check(len(names) >= 50, "only %d cases" % len(names))
    duplicates = sorted({name for name in names if names.count(name) > 1})
    check(not duplicates, "duplicate case names: %s" % duplicates)


# ---- ReDoS ---------------------------------------------------------------------------

REDOS_LENGTHS = (30, 62, 100, 250, 1000, 5000)
# A DNS label holds at most 63 bytes, so N a's + '-' reaches the pattern for N <= 62;
# longer runs are malformed hosts (and over 283 a's, over the 300-byte cap).
REGEX_REACHED = (30, 62)
# Preflights are answered by httpd itself: their time is the module's time.
REDOS_BUDGET_SECONDS = 0.25


def evil_origin(count, tail):
    return "https://" + "a" * count + tail


def timed_preflight(path, origin, server=None):
    server = server or gateway
    fields = [("Origin", origin), ("Access-Control-Request-Method", "GET")]
    started = time.monotonic()
    if server.http2:
        response = server.request("OPTIONS", path, fields)
    else:
        response = server.raw_request(harness.build_raw_request("OPTIONS", path, fields))
    return response, time.monotonic() - started


def run_redos(path, tail, expect_limit_for, server=None):
    """Sends evil origins of every REDOS_LENGTHS length to path; each must be
    refused 403 within the budget and leave exactly one KC0100 denial line:
    [k8s_cors:warn] reason=regex-limit for the lengths in expect_limit_for,
    reason=origin-malformed for the others; the server must keep answering."""
    gateway = server or globals()["gateway"]
    offset = gateway.error_log_size()
    for count in REDOS_LENGTHS:
        origin = evil_origin(count, tail)
        before = gateway.error_log_size()
        response, elapsed = timed_preflight(path, origin, gateway)
        check(response.status == 403, "%d a's: status %d" % (count, response.status), response)
        problems = harness.cors_wire_problems(response, harness.CORS_DENIED)
        check(not problems, "%d a's: %s" % (count, problems), response)
        check(elapsed < REDOS_BUDGET_SECONDS, "%d a's took %.3f s" % (count, elapsed))
        # The denial is logged before the response is sent.
        lines = [line for line in gateway.error_log_since(before).splitlines() if "KC0100" in line]
        check(len(lines) == 1, "%d a's: %d KC0100 lines:\n%s" % (count, len(lines), "\n".join(lines)))
        if count in expect_limit_for:
            check("[k8s_cors:warn]" in lines[0] and "reason=regex-limit" in lines[0],
                  "%d a's: expected a [k8s_cors:warn] regex-limit line, got:\n%s" % (count, lines[0]))
        else:
            check("reason=origin-malformed" in lines[0],
                  "%d a's: expected reason=origin-malformed, got:\n%s" % (count, lines[0]))
        response = gateway.request("GET", "/version")
        check(response.status == 200, "the gateway stopped answering after %d a's" % count, response)
    crashes = gateway.crash_lines(offset)
    check(not crashes, "crash lines:\n" + "\n".join(crashes))


def test_redos_brief_input_is_denied_promptly():
    """https:// + 30..5000 'a' + '!.dev.example.com' against the evil pattern: every
    preflight is refused 403 within 0.25 s and the server keeps answering. '!' is
    not a host character, so the module refuses these as malformed before the
    pattern ever runs (logged reason=origin-malformed)."""
    run_redos("/redos/version", "!.dev.example.com", expect_limit_for=())


def test_redos_pattern_hits_match_limit():
    """Origins that parse (https:// + N 'a' + '-.dev.example.com', '-' being a host
    character the pattern's [a-z0-9] lacks) do reach the evil pattern: each is
    refused within 0.25 s, N = 30 and 62 (a 63-byte label, the longest) each leave
    exactly one [k8s_cors:warn] line with reason=regex-limit, longer runs are
    refused as malformed before the regex, and the server keeps answering."""
    run_redos("/redos/version", "-.dev.example.com", expect_limit_for=REGEX_REACHED)


def test_redos_limit_match_in_pattern_cannot_raise_the_limit():
    """A pattern beginning (*LIMIT_MATCH=4294967295) is still bounded by the module's
    match limit: same inputs, same prompt refusals and regex-limit lines."""
    run_redos("/limitmatch/version", "-.dev.example.com", expect_limit_for=REGEX_REACHED)


def test_limit_match_uint32_max_is_refused_or_bounded():
    """(*LIMIT_MATCH=4294967295): either httpd -t refuses the pattern, naming it and
    PCRE2's error (PCRE2 10.42), or, where PCRE2 accepts it, the running server
    still refuses the evil origins promptly with regex-limit."""
    server = harness.Httpd(name="limit-max")
    body = ('<Location "/">\n    K8sCors On\n    K8sCorsAllowOriginRegex "%s"\n</Location>\n'
            'ProxyPass "/" "http://127.0.0.1:%d/"\n' % (UINT32_MAX_LIMIT_PATTERN, fake.port))
    status, output = server.configtest(body)
    if status != 0:
        line = server.line_of("LIMIT_MATCH")
        check("Syntax error on line %d of %s" % (line, server.conf_path) in output
              and "invalid regular expression" in output,
              "httpd -t failed without naming the pattern's line and error:\n" + output)
        return
    server.start()
    try:
        run_redos("/version", "-.dev.example.com", expect_limit_for=REGEX_REACHED, server=server)
    finally:
        server.stop()


def test_redos_under_concurrency_keeps_server_responsive():
    """200 evil preflights from 8 threads while a watcher times plain requests:
    every evil one is refused 403, and the plain requests stay under 1 s."""
    origin = evil_origin(28, "-.dev.example.com")
    offset = gateway.error_log_size()
    statuses = []

    def evil(_):
        response, _elapsed = timed_preflight("/redos/version", origin)
        return response.status

    latencies = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        futures = [pool.submit(evil, index) for index in range(200)]
        while not all(future.done() for future in futures):
            started = time.monotonic()
            response = gateway.request("GET", "/version", timeout=10.0)
            latencies.append(time.monotonic() - started)
            check(response.status == 200, "plain request failed during the flood", response)
        statuses = [future.result() for future in futures]
    check(statuses.count(403) == 200, "statuses: %r" % collections.Counter(statuses))
    check(max(latencies) < 1.0, "a plain request took %.3f s during the flood" % max(latencies))
    crashes = gateway.crash_lines(offset)
    check(not crashes, "crash lines:\n" + "\n".join(crashes))


def test_error_log_clean_after_all_cases():
    """After every hostile input the whole error log holds no crash, no child exit,
    no core error and no sanitizer report."""
    crashes = gateway.crash_lines(0)
    check(not crashes, "crash lines:\n" + "\n".join(crashes))
    check(re.search(r"AH00052|exit signal", gateway.error_log()) is None, "a child died")
