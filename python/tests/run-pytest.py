"""Runs the Python module's pytest suite for ctest: exits 77 (skipped) when pytest or numpy is missing."""

import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree

try:
    import numpy  # noqa: F401
    import pytest
except ImportError as e:
    print(f"test_python: skipped, {e.name} is missing (Debian: python3-pytest, python3-numpy)")
    sys.exit(77)

code = pytest.main(["-q", "-p", "no:cacheprovider", *sys.argv[1:]])
# 5 is "no tests collected": a suite that ran nothing has not passed.
sys.exit(1 if code == 5 else int(code))
