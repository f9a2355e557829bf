#!/usr/bin/python3
"""Runs the mod_k8s_cors integration tests: every test_*.py module in this
directory (or in --dir, as tests/browser/run-browser-tests does for the
console's browser tests), or the ones named on the command line.

Usage: main.py [--dir DIR] [-k SUBSTRING] [test_module.py ...]

Prints PASS/FAIL per test and ends with "N passed, N failed"; exits 1 when
any test failed. See harness.py for the environment it reads.
"""

import argparse
import importlib
import sys
import traceback
from pathlib import Path

sys.dont_write_bytecode = True  # keep the source tree clean (it may be read-only)
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import harness  # noqa: E402 (needs the path above)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-k", dest="name_filter", metavar="SUBSTRING",
                        help="run only the tests whose name contains SUBSTRING")
    parser.add_argument("--dir", default=str(HERE), metavar="DIR",
                        help="where the test modules are (default: this directory)")
    parser.add_argument("modules", nargs="*", metavar="test_module.py",
                        help="test modules to run (default: every test_*.py in DIR)")
    arguments = parser.parse_args(argv)

    directory = Path(arguments.dir).resolve()
    if directory != HERE:
        sys.path.insert(0, str(directory))  # the modules' own helpers
    paths = ([directory / Path(name).name for name in arguments.modules]
             or sorted(directory.glob("test_*.py")))
    modules, import_failures = [], 0
    for path in paths:
        try:
            modules.append(importlib.import_module(path.stem))
        except Exception:
            print("FAIL %s: the module could not be imported" % path.stem)
            print("    " + traceback.format_exc().rstrip().replace("\n", "\n    "))
            import_failures += 1
    return harness.run_all(modules, arguments.name_filter, failed_before=import_failures)


if __name__ == "__main__":
    sys.exit(main())
