#!/bin/sh
# Installs the Debian 12 packages mod_k8s_cors needs, at one of two levels:
#
#   scripts/install-deps.sh            build the module, the console and the
#                                      lint tool, and run the gateway
#                                      (scripts/demo.sh runs this itself)
#   scripts/install-deps.sh --package  that, plus what dpkg-buildpackage needs
#   scripts/install-deps.sh --test     all of that, plus what the tests,
#                                      fuzzing, the benchmarks and the browser
#                                      tests add (scripts/test.sh runs this)
#
# Idempotent: when everything is present it changes nothing and exits 0. Runs
# apt-get through sudo when not root. While it installs, Debian's packages are
# kept from starting their services (a policy-rc.d that refuses, removed
# afterwards); on a machine run by systemd, the apache2 and nginx services it
# newly installed are also disabled, so nothing is left listening on port 80.
set -eu

RUN_PACKAGES="
  build-essential autoconf automake libtool pkg-config
  apache2 apache2-dev libapr1-dev libaprutil1-dev
  libpcre2-dev libssl-dev libyaml-dev
  python3 curl openssl ca-certificates
"
PACKAGE_PACKAGES="
  debhelper dpkg-dev
"
TEST_PACKAGES="
  check valgrind clang libclang-rt-14-dev clang-format
  wrk nginx-light nghttp2-client python3-h2 python3-yaml
  chromium firefox-esr webkit2gtk-driver xvfb fonts-dejavu-core git
"
# Services these packages would start, disabled again if this run installed them.
SERVICES="apache2 nginx"

level=run
case "${1:-}" in
    "") ;;
    --package) level=package ;;
    --test) level=test ;;
    *)
        echo "usage: $0 [--package | --test]" >&2
        exit 2
        ;;
esac

case "$level" in
    run) packages=$RUN_PACKAGES ;;
    package) packages="$RUN_PACKAGES $PACKAGE_PACKAGES" ;;
    test) packages="$RUN_PACKAGES $PACKAGE_PACKAGES $TEST_PACKAGES" ;;
esac

installed() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}

missing=""
for pkg in $packages; do
    installed "$pkg" || missing="$missing $pkg"
done

# promtool, from Debian's prometheus package, for the metrics and alert-rule
# tests: extracted, not installed, so no Prometheus server is set up.
PROMTOOL=/usr/local/lib/mod-k8s-cors/bin/promtool

SUDO=""
if [ "$(id -u)" != 0 ]; then
    SUDO="sudo"
fi

POLICY_RC=/usr/sbin/policy-rc.d
guard_installed=no
remove_guard() {
    if [ "$guard_installed" = yes ]; then
        $SUDO rm -f "$POLICY_RC"
        guard_installed=no
    fi
}

if [ -n "$missing" ]; then
    echo "install-deps ($level): installing:$missing"
    newly_installed_services=""
    for service in $SERVICES; do
        case " $missing " in
            *" $service "* | *" $service-light "*) newly_installed_services="$newly_installed_services $service" ;;
        esac
    done
    if [ ! -e "$POLICY_RC" ]; then
        trap remove_guard EXIT
        trap 'remove_guard; exit 130' INT TERM
        printf '#!/bin/sh\n# install-deps.sh: no service starts while it installs.\nexit 101\n' |
            $SUDO tee "$POLICY_RC" >/dev/null
        $SUDO chmod 0755 "$POLICY_RC"
        guard_installed=yes
    fi
    $SUDO apt-get update -q
    # shellcheck disable=SC2086 # the package list splits on purpose
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $missing
    remove_guard
    if [ -d /run/systemd/system ]; then
        for service in $newly_installed_services; do
            if systemctl list-unit-files "$service.service" >/dev/null 2>&1; then
                echo "install-deps: disabling the $service service it installed (the gateway and tests start their own)"
                $SUDO systemctl disable --now "$service.service" >/dev/null 2>&1 || true
            fi
        done
    fi
fi

if [ "$level" = test ] && [ ! -x "$PROMTOOL" ]; then
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
    echo "install-deps ($level): all packages present"
fi
