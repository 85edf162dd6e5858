"""Benchmarks: ``make bench`` (or ``python -m tests.bench [data_layer|catalog|turns|scale|cold_start|whatsapp|bridge]``).

Figures are medians over repeated runs (these machines are noisy); they are reported, never
asserted. Needs the local Postgres (or EMBEDDED=1 for the embedded one), like the tests.
"""

from __future__ import annotations

import importlib
import sys

SUITES = ("data_layer", "catalog", "turns", "scale", "cold_start", "whatsapp", "bridge")


def main(argv: list[str]) -> None:
    for name in argv or SUITES:
        if name not in SUITES:
            raise SystemExit(f"unknown benchmark {name!r}; choose from {', '.join(SUITES)}")
        importlib.import_module(f"tests.bench.{name}").main()


if __name__ == "__main__":
    main(sys.argv[1:])
