#!/bin/sh
# Installs what mod_k8s_cors needs to build and run (no test tools), builds
# it, and runs the gateway on 127.0.0.1:8080 in front of the bundled fake
# kube-apiserver (127.0.0.1:16443), with the policy of
# conf/examples/seed-scenario.conf.
#
#   scripts/demo.sh          install, build, start (prints curl commands)
#   scripts/demo.sh stop     stop the gateway and the fake API server
#
# Ports: K8S_CORS_DEMO_PORT (gateway), K8S_CORS_DEMO_API_PORT (fake API).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
root="$top/demo"
gateway_port=${K8S_CORS_DEMO_PORT:-8080}
api_port=${K8S_CORS_DEMO_API_PORT:-16443}
control_port=$((api_port + 1))
httpd=${HTTPD:-/usr/sbin/apache2}

stop_pidfile() {
    if [ -f "$1" ]; then
        pid=$(cat "$1")
        if kill "$pid" 2>/dev/null; then
            echo "demo: stopped $2 (pid $pid)"
        fi
        rm -f "$1"
    fi
}

stop() {
    stop_pidfile "$root/run/httpd.pid" "gateway"
    stop_pidfile "$root/run/fake-apiserver.pid" "fake kube-apiserver"
}

if [ "${1:-start}" = stop ]; then
    stop
    exit 0
fi

# What building and running the gateway needs, no test tools (apt-get runs
# through sudo when not root).
"$top/scripts/install-deps.sh"
"$top/scripts/build.sh"
stop

mkdir -p "$root/conf" "$root/logs" "$root/run"
chmod 0755 "$root" "$root/conf" "$root/logs" "$root/run"
user_group=""
if [ "$(id -u)" = 0 ]; then
    user_group="User www-data
Group www-data"
fi
modules=$(apxs -q LIBEXECDIR)
sed -e "s|@ROOT@|$root|g" -e "s|@SRCDIR@|$top|g" -e "s|@MODULES@|$modules|g" \
    -e "s|@MODULE@|$top/mod_k8s_cors/.libs/mod_k8s_cors.so|g" \
    -e "s|@GATEWAY@|127.0.0.1:$gateway_port|g" -e "s|@UPSTREAM@|127.0.0.1:$api_port|g" \
    "$top/conf/demo/httpd.conf.in" |
    awk -v ug="$user_group" '{ if ($0 == "@USER_GROUP@") print ug; else print }' \
        >"$root/conf/httpd.conf"

python3 "$top/tests/integration/fake_apiserver.py" --port "$api_port" \
    --control-port "$control_port" --pidfile "$root/run/fake-apiserver.pid" \
    >"$root/logs/fake-apiserver.log" 2>&1 &
# Recorded now, not when the server gets round to it, so that a quick
# "demo.sh stop" finds it.
echo $! >"$root/run/fake-apiserver.pid"
if ! "$httpd" -d "$root" -f "$root/conf/httpd.conf" -k start; then
    stop
    exit 1
fi

# Wait until both answer.
tries=0
until curl -s -o /dev/null "http://127.0.0.1:$gateway_port/version" &&
    curl -s -o /dev/null "http://127.0.0.1:$api_port/version"; do
    tries=$((tries + 1))
    if [ "$tries" -gt 50 ]; then
        echo "demo: the gateway did not come up; see $root/logs/error_log" >&2
        stop
        exit 1
    fi
    sleep 0.2
done

gw="http://127.0.0.1:$gateway_port"
cat <<MSG

mod_k8s_cors demo is running:
  gateway            $gw   (config: $root/conf/httpd.conf)
  fake API server    http://127.0.0.1:$api_port   (bearer token: demo-token)
  logs               $root/logs/error_log (denials at k8s_cors:info)

Try the seed article's checks:

  # preflight from an allowed dashboard: 204 with Access-Control-Allow-*
  curl -i -X OPTIONS $gw/api/v1/namespaces \\
    -H "Origin: https://dashboard.example.com" \\
    -H "Access-Control-Request-Method: GET" \\
    -H "Access-Control-Request-Headers: Authorization"

  # preflight from another site: 403, no Access-Control-Allow-Origin
  curl -i -X OPTIONS $gw/api/v1/namespaces \\
    -H "Origin: https://malicious.com" \\
    -H "Access-Control-Request-Method: GET"

  # actual request: the API server's answer with exactly one set of CORS headers
  curl -i $gw/api/v1/namespaces \\
    -H "Origin: https://dashboard.example.com" \\
    -H "Authorization: Bearer demo-token"

  # the classic bypass of an unanchored kube pattern: refused here
  curl -i $gw/api/v1/namespaces \\
    -H "Origin: https://dashboard.example.com.evil.com" \\
    -H "Authorization: Bearer demo-token"

Stop it with: scripts/demo.sh stop
MSG
