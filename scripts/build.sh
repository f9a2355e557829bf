#!/bin/sh
# Configures (on first use) and builds mod_k8s_cors in the source tree.
# Extra arguments go to ./configure, e.g. --with-apxs=/opt/httpd/bin/apxs.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
if [ ! -x configure ]; then
    autoreconf -fi
fi
if [ ! -f Makefile ] || [ configure -nt Makefile ]; then
    ./configure -q "$@"
fi
make -j"$(nproc)"
