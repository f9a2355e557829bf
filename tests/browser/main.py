#!/usr/bin/python3
"""Runs the console's browser tests: every test_*.py module in this
directory (or the ones named), with the integration harness's runner, in
one browser engine.

Usage: main.py [--engine chromium|firefox|webkit] [-k SUBSTRING] [test_module.py ...]
The engine defaults to $K8S_CORS_BROWSER, else chromium (engines.py).
Prints PASS/FAIL per test and "N passed, N failed"; exits 1 on a failure.
Needs Debian's chromium, firefox-esr, or webkit2gtk-driver with xvfb
(scripts/install-deps.sh --test); $CHROMIUM, $FIREFOX, $WEBKIT_WEBDRIVER
and $WEBKIT_MINIBROWSER override the binaries.
"""

import argparse
import importlib
import os
import sys
import traceback
from pathlib import Path

sys.dont_write_bytecode = True
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "integration"))

import harness  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=("chromium", "firefox", "webkit"),
                        default=os.environ.get("K8S_CORS_BROWSER") or "chromium")
    parser.add_argument("-k", dest="name_filter", metavar="SUBSTRING")
    parser.add_argument("modules", nargs="*", metavar="test_module.py")
    arguments = parser.parse_args(argv)
    os.environ["K8S_CORS_BROWSER"] = arguments.engine
    import engines
    if engines.installed(arguments.engine):
        print("engine: %s (%s)" % (arguments.engine, engines.version(arguments.engine)), flush=True)
    paths = [HERE / Path(name).name for name in arguments.modules] or sorted(HERE.glob("test_*.py"))
    modules, failures = [], 0
    for path in paths:
        try:
            modules.append(importlib.import_module(path.stem))
        except Exception:
            print("FAIL %s: the module could not be imported" % path.stem)
            print("    " + traceback.format_exc().rstrip().replace("\n", "\n    "))
            failures += 1
    return harness.run_all(modules, arguments.name_filter, failed_before=failures)


if __name__ == "__main__":
    sys.exit(main())
