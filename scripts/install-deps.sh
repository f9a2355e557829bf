#!/bin/sh
# Installs every Debian 12 package mod_k8s_cors needs to build, test and run.
# Idempotent: when everything is present it changes nothing and exits 0.
set -eu

PACKAGES="
  build-essential autoconf automake libtool pkg-config
  apache2 apache2-dev libapr1-dev libaprutil1-dev
  libpcre2-dev libssl-dev libyaml-dev check
  python3 curl openssl ca-certificates valgrind
  clang libclang-rt-14-dev wrk nginx-light chromium fonts-dejavu-core
  debhelper dpkg-dev git python3-yaml
"

missing=""
for pkg in $PACKAGES; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $pkg"
    fi
done

# promtool, from Debian's prometheus package, for the metrics and alert-rule
# tests: extracted, not installed, so no Prometheus server is set up.
PROMTOOL=/usr/local/lib/mod-k8s-cors/bin/promtool

SUDO=""
if [ "$(id -u)" != 0 ]; then
    SUDO="sudo"
fi

if [ -n "$missing" ]; then
    echo "install-deps: installing:$missing"
    $SUDO apt-get update -q
    # Debian's apache2 package may start its own service on port 80; the demo
    # and the tests start their own httpd on other loopback ports.
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $missing
fi

if [ ! -x "$PROMTOOL" ]; then
    echo "install-deps: extracting promtool from Debian's prometheus package"
    work=$(mktemp -d)
    if ! (cd "$work" && apt-get download -q prometheus >/dev/null 2>&1); then
        $SUDO apt-get update -q
        (cd "$work" && apt-get download -q prometheus)
    fi
    dpkg-deb -x "$work"/prometheus_*.deb "$work/root"
    $SUDO install -D -m 0755 "$work/root/usr/bin/promtool" "$PROMTOOL"
    rm -rf "$work"
fi

if [ -z "$missing" ]; then
    echo "install-deps: all packages present"
fi
