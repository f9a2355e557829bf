#!/bin/sh
# Runs every test of mod_k8s_cors: the policy core's unit tests (plain, then
# under AddressSanitizer/UBSan, then under valgrind) and the integration
# suite, which starts a real httpd with the module in front of a local fake
# kube-apiserver on loopback ports.
#
# It installs what testing needs first (scripts/install-deps.sh --test, apt-get
# through sudo when not root) and builds with warnings as errors.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
scripts/install-deps.sh --test
scripts/build.sh --enable-werror
echo "== formatting (clang-format, the project's .clang-format)"
make check-format
echo "== unit tests and integration tests (make check)"
make check
echo "== integration tests over HTTP/2 (h2 over TLS, then h2c with prior knowledge)"
for protocol in h2 h2c; do
    K8S_CORS_TEST_PROTOCOL=$protocol tests/integration/run-integration \
        test_gateway.py test_policy_language.py test_hostile.py test_upgrade.py test_faults.py
done
echo "== unit tests under AddressSanitizer and UBSan"
make check-asan
echo "== unit tests under valgrind"
make check-valgrind
echo "== the operators' console in headless Chromium, Firefox and WebKit (each one installed)"
tests/browser/run-browser-tests --engine installed
echo "== the browser oracle in each installed engine (seed 1, 500 cases and the saved ones)"
make check-oracle SEED=1 CASES=500 ENGINES=installed
echo "== integration tests against an ASan/UBSan build of the module"
make check-asan-integration
echo "== fuzzing: each libFuzzer target for 60 s"
make fuzz
echo "== Kubernetes manifests (offline)"
tests/package/check-manifests
if [ "$(id -u)" = 0 ] || sudo -n true 2>/dev/null; then
    echo "== Debian package: build, install into this machine's apache2, test"
    tests/package/run-package-test
fi
