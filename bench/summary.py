"""``make bench``: run every benchmark target one after another, then one PASS/MISS summary.

Each benchmark prints its own figures and, for each of its targets, a line with the measured
value and ``PASS`` or ``MISS`` (the targets are ratios or budgets against references
measured in the same run; see each script). This runner shows every target's output as it
runs, keeps the verdict lines, and ends with a table: benchmark, verdict line, and a count.
A benchmark that fails without printing a verdict is listed as ``ERROR`` (exit status), never
silently skipped; one that exits non-zero after its verdicts (some do on a MISS) keeps them.

    uv run python bench/summary.py bench-model bench-flows ...   (make bench passes BENCH_TARGETS)
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time

VERDICT = re.compile(r"\b(PASS|MISS|MISSED)\b")


def run(target: str) -> tuple[int, list[str], float]:
    """Run ``make <target>``, echoing its output; returns (exit status, verdict lines, seconds)."""
    started = time.monotonic()
    proc = subprocess.Popen(
        ["make", "--no-print-directory", target],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
    )
    assert proc.stdout is not None
    verdicts: list[str] = []
    for line in proc.stdout:
        sys.stdout.write(line)
        if VERDICT.search(line):
            verdicts.append(" ".join(line.split()))
    return proc.wait(), verdicts, time.monotonic() - started


def main(targets: list[str]) -> int:
    rows: list[tuple[str, str]] = []
    for target in targets:
        print(f"\n===== {target} =====", flush=True)
        status, verdicts, seconds = run(target)
        if status != 0 and not verdicts:
            rows.append((target, f"ERROR: make {target} exited with {status} after {seconds:.0f}s"))
        elif not verdicts:
            rows.append((target, "(no PASS/MISS line printed)"))
        elif status != 0:  # some benchmarks exit non-zero on a MISS: their verdicts say why
            print(f"(make {target} exited with {status}; its verdict lines are kept)", flush=True)
        rows.extend((target, line) for line in verdicts)
    print("\n===== summary: each target beside its measured value =====")
    width = max((len(t) for t, _ in rows), default=10)
    for target, line in rows:
        print(f"{target:<{width}}  {line}")
    passed = sum(1 for _, line in rows if re.search(r"\bPASS\b", line))
    missed = sum(1 for _, line in rows if re.search(r"\bMISS(ED)?\b", line))
    errors = sum(1 for _, line in rows if line.startswith("ERROR"))
    load = os.getloadavg()
    print(f"{passed} PASS, {missed} MISS, {errors} ERROR")
    print(
        f"(machine: {os.cpu_count()} CPUs, load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} "
        "at the end; figures from a loaded machine vary between runs)"
    )
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
