"""``python -m tests.fuzz --budget N``: the fuzz tests with N inputs per entry point (CI runs 150)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import pytest


def main() -> int:
    """Run tests/fuzz with the budget given."""
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz", description=__doc__)
    parser.add_argument("--budget", type=int, default=10_000, help="inputs per entry point (default 10,000)")
    arguments = parser.parse_args()
    os.environ["GOVERNANCE_FUZZ_EXAMPLES"] = str(arguments.budget)
    return int(pytest.main(["-q", "-p", "no:cacheprovider", str(Path(__file__).resolve().parent)]))


if __name__ == "__main__":
    sys.exit(main())
