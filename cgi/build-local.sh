#!/bin/sh
# Builds cgi/k8s-cors-console (and, with "check", the CGI's unit tests)
# without automake, against the policy core's sources: for use until the
# Makefile.am rules are merged, and by the console tests when the build tree
# has no CGI. Usage: cgi/build-local.sh [OUTDIR] [check]
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$top/cgi}
mkdir -p "$out"
CC=${CC:-cc}
CFLAGS=${CFLAGS:--O2 -g}
WARN="-std=c11 -Wall -Wextra -Werror -Wshadow -Wpointer-arith -Wstrict-prototypes -Wmissing-prototypes -Wformat=2"
CPPFLAGS="-D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -I$top/mod_k8s_cors -I$top/cgi $(pkg-config --cflags apr-1 libpcre2-8 openssl)"
LIBS="$(pkg-config --libs apr-1 libpcre2-8 openssl)"
core=$(ls "$top"/mod_k8s_cors/cors_*.c)
cgi="$top/cgi/console_request.c $top/cgi/console_response.c $top/cgi/console_policy.c
     $top/cgi/console_expect.c $top/cgi/console_target.c $top/cgi/console_probe.c
     $top/cgi/console_endpoints.c"
# shellcheck disable=SC2086
$CC $WARN $CFLAGS $CPPFLAGS -o "$out/k8s-cors-console" $core $cgi "$top/cgi/console_main.c" $LIBS
if [ "${2:-}" = check ]; then
    # shellcheck disable=SC2086
    $CC $WARN $CFLAGS $CPPFLAGS $(pkg-config --cflags check) -I"$top/tests/unit" \
        -o "$out/check_cgi_console" $core $cgi "$top"/tests/unit/test_cgi_*.c \
        $LIBS $(pkg-config --libs check)
fi
