"""Run every benchmark, one after another, each in its own interpreter; print all their tables.

``python benchmarks/run_all.py`` takes a few minutes on 2 cores;
``--quick`` (or ``BENCH_QUICK=1``) runs fewer rounds. ``--only sync,sse``
picks scripts; ``--profile`` adds ``profile_calls.py``. Each script is
bounded in count and time and only talks to 127.0.0.1; a script that fails
or overruns its time limit is reported and the others still run.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPTS = {
    "sync": "bench_sync.py",
    "async": "bench_async.py",
    "sse": "bench_sse.py",
    "memory": "bench_memory.py",
    "import": "bench_import.py",
    "models": "bench_models.py",
    "instructions": "bench_instructions.py",  # needs valgrind (says so without it)
}
LIMIT_SECONDS = 600


def main() -> int:
    """Run the selected scripts; the exit status is the number that failed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds")
    parser.add_argument("--only", default="", help=f"comma-separated subset of {', '.join(SCRIPTS)}")
    parser.add_argument("--profile", action="store_true", help="also run profile_calls.py")
    args = parser.parse_args()
    chosen = [name.strip() for name in args.only.split(",") if name.strip()] or list(SCRIPTS)
    unknown = [name for name in chosen if name not in SCRIPTS]
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}")
    scripts = [SCRIPTS[name] for name in chosen] + (["profile_calls.py"] if args.profile else [])
    env = dict(os.environ)
    if args.quick:
        env["BENCH_QUICK"] = "1"
    print(f"# genai_base benchmarks: {time.strftime('%Y-%m-%d %H:%M')}, {platform.platform()}, {os.cpu_count()} CPUs")
    print(f"# load average before: {_load()}", flush=True)
    failed = 0
    started = time.monotonic()
    for script in scripts:
        t0 = time.monotonic()
        try:
            proc = subprocess.run([sys.executable, str(HERE / script)], env=env, timeout=LIMIT_SECONDS)
            status = "ok" if proc.returncode == 0 else f"FAILED (exit {proc.returncode})"
        except subprocess.TimeoutExpired:
            status = f"TIMED OUT after {LIMIT_SECONDS}s"
        if status != "ok":
            failed += 1
        print(f"\n# {script}: {status} in {time.monotonic() - t0:.0f}s (load average {_load()})", flush=True)
    print(f"\n# all done in {time.monotonic() - started:.0f}s; {failed} failed")
    return failed


def _load() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "?"


if __name__ == "__main__":
    sys.exit(main())
