#!/bin/sh
# Configures and builds mod_k8s_cors in the source tree. Arguments go to
# ./configure (e.g. --enable-werror, --with-apxs=/opt/httpd/bin/apxs); the
# tree is configured again whenever they differ from the last configuration.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
if [ ! -x configure ] || [ configure.ac -nt configure ]; then
    autoreconf -fi
fi
wanted=$(printf "'%s' " "$@")
[ $# -eq 0 ] && wanted=""
current=""
if [ -x config.status ]; then
    current=$(./config.status --config)
fi
if [ ! -f Makefile ] || [ configure -nt Makefile ] || [ "$current" != "${wanted% }" ]; then
    ./configure -q "$@"
fi
make -j"$(nproc)"
