#!/usr/bin/python3
"""Runs the console's browser tests (the integration tests' runner,
tests/integration/main.py --dir tests/browser) in one browser engine, or
in each in turn.

Usage: engines_runner.py [--engine ENGINE] [-k SUBSTRING] [test_module.py ...]
ENGINE is chromium, firefox or webkit (browsers.py); "all" runs the tests
in each of the three in turn, "installed" in each one installed (a SKIP
line names the others). The engine defaults to $K8S_CORS_BROWSER, else
chromium. Prints PASS/FAIL per test and "N passed, N failed" (over every
engine run); exits 1 on a failure.
"""

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

sys.dont_write_bytecode = True
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "integration"))

import browsers  # noqa: E402
import main as integration_main  # noqa: E402 (tests/integration/main.py)

SUMMARY = re.compile(r"(\d+) passed, (\d+) failed(?:, (\d+) skipped)?\n?")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=browsers.ENGINES + ("all", "installed"),
                        default=os.environ.get("K8S_CORS_BROWSER") or "chromium")
    parser.add_argument("-k", dest="name_filter", metavar="SUBSTRING")
    parser.add_argument("modules", nargs="*", metavar="test_module.py")
    arguments = parser.parse_args(argv)
    if arguments.engine in ("all", "installed"):
        return run_engines(arguments)
    os.environ["K8S_CORS_BROWSER"] = arguments.engine
    if browsers.installed(arguments.engine):
        print("engine: %s (%s)" % (arguments.engine, browsers.version(arguments.engine)),
              flush=True)
    rest = ["--dir", str(HERE)] + (["-k", arguments.name_filter] if arguments.name_filter else [])
    return integration_main.main(rest + arguments.modules)


def run_engines(arguments):
    """Runs this runner once per engine, in a process of its own, and adds up
    their summary lines."""
    passed = failed = skipped = 0
    for name in browsers.ENGINES:
        if arguments.engine == "installed" and not browsers.installed(name):
            print("SKIP engine %s: not installed (scripts/install-deps.sh --test installs %s)"
                  % (name, browsers.install_hint(name)), flush=True)
            skipped += 1
            continue
        command = [sys.executable, "-B", str(Path(__file__).resolve()), "--engine", name]
        if arguments.name_filter:
            command += ["-k", arguments.name_filter]
        started = time.monotonic()
        print("== %s" % name, flush=True)
        process = subprocess.Popen(command + arguments.modules, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True)
        summary = None
        for line in process.stdout:
            found = SUMMARY.fullmatch(line)
            if found:
                summary = found
                line = "%s: %s" % (name, line)
            print(line, end="", flush=True)
        status = process.wait()
        if summary is None:
            print("FAIL engine %s: the runner exited %d without a summary" % (name, status))
            failed += 1
        else:
            passed += int(summary.group(1))
            failed += int(summary.group(2)) + (1 if status and not int(summary.group(2)) else 0)
            skipped += int(summary.group(3) or 0)
        print("%s: %.0f s" % (name, time.monotonic() - started), flush=True)
    line = "%d passed, %d failed" % (passed, failed)
    print(line + (", %d skipped" % skipped if skipped else ""), flush=True)
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
