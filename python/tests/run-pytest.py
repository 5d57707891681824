"""Runs the Python module's pytest suite for ctest: exits 77 (skipped) when pytest or numpy is missing.

Usage: run-pytest.py [--require MODULE ...] PYTEST_ARGS...: a required module that is missing skips too.
"""

import importlib
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree

DEBIAN = {"numpy": "python3-numpy", "pytest": "python3-pytest", "nbclient": "python3-nbclient",
          "ipykernel": "python3-ipykernel"}
args = sys.argv[1:]
required = ["numpy", "pytest"]
while len(args) >= 2 and args[0] == "--require":
    required.append(args[1])
    args = args[2:]
for name in required:
    try:
        importlib.import_module(name)
    except ImportError:
        print(f"skipped: {name} is missing (Debian: {DEBIAN.get(name, name)})")
        sys.exit(77)
import pytest  # noqa: E402

code = pytest.main(["-q", "-p", "no:cacheprovider", *args])
# 5 is "no tests collected": a suite that ran nothing has not passed.
sys.exit(1 if code == 5 else int(code))
