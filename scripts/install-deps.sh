#!/bin/sh
# Installs every Debian 12 package mod_k8s_cors needs to build, test and run.
# Idempotent: when everything is present it changes nothing and exits 0.
set -eu

PACKAGES="
  build-essential autoconf automake libtool pkg-config
  apache2 apache2-dev libapr1-dev libaprutil1-dev
  libpcre2-dev libssl-dev libyaml-dev check
  python3 curl openssl ca-certificates valgrind
  debhelper dpkg-dev git python3-yaml
"

missing=""
for pkg in $PACKAGES; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $pkg"
    fi
done

if [ -z "$missing" ]; then
    echo "install-deps: all packages present"
    exit 0
fi

SUDO=""
if [ "$(id -u)" != 0 ]; then
    SUDO="sudo"
fi
echo "install-deps: installing:$missing"
$SUDO apt-get update -q
# Debian's apache2 package may start its own service on port 80; the demo
# and the tests start their own httpd on other loopback ports.
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $missing
