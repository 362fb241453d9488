"""Instructions per request under valgrind: the steady measure of a client's own cost.

Wall-clock and CPU-time figures on a shared 2-core machine move by 10-40 %
between runs; the number of instructions the client process executes per
request does not (within about 1 %). Each contender (``_instr_worker.py``)
runs twice under ``valgrind --tool=callgrind``, with a small and a large
request count; the difference over the difference in requests is what one
request costs, start-up and warm-up cancelled out. Only the client process
is counted (the loopback server is another process).

Needs ``valgrind`` on PATH (the script says so and exits 0 without it); the
seed rows need an interpreter with ``google.genai`` (as the other scripts).
Run: ``python benchmarks/bench_instructions.py [--quick]`` (~10 minutes;
``--quick`` uses fewer requests).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Optional

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import header, print_table, quick, seed_python
from _server import LoopbackServer

WORKER = str(Path(__file__).resolve().parent / "_instr_worker.py")
_COLLECTED = re.compile(r"Collected\s*:\s*([\d,]+)")

ASYNC = ("genai_base async GET", "raw aiohttp GET", "raw aiohttp GET, same headers")
#: The async pair again with 16 and 64 coroutines at once (the loop's own work is shared among them).
CONCURRENT = tuple(f"{name} (c={c})" for c in (16, 64) for name in ("genai_base async GET", "raw aiohttp GET"))
SYNC = ("genai_base sync GET", "requests GET", "seed GET", "genai_base sync POST", "requests POST", "seed POST")


def instructions(python: str, contender: str, n: int, url: str) -> int:
    """Instructions the client process executed for ``n`` requests (start-up included)."""
    done = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", python, WORKER, contender, str(n), url],
        capture_output=True,
        text=True,
        timeout=900,
    )
    found = _COLLECTED.search(done.stderr)
    if done.returncode != 0 or found is None:
        raise RuntimeError(f"{contender}: valgrind run failed ({done.stderr.strip().splitlines()[-1:]})")
    return int(found.group(1).replace(",", ""))


def per_request(python: str, contender: str, url: str) -> float:
    """Instructions per request: the difference of a short and a long run."""
    few, many = (50, 300) if quick() else (100, 600)
    return (instructions(python, contender, many, url) - instructions(python, contender, few, url)) / (many - few)


def main() -> None:
    """Every contender once; two tables with ratios."""
    header("bench_instructions.py")
    if shutil.which("valgrind") is None:
        print("valgrind is not on PATH: nothing measured (install it to count instructions)")
        return
    seed = seed_python()
    figures: dict[str, Optional[float]] = {}
    with LoopbackServer() as url:
        for contender in ASYNC + CONCURRENT + SYNC:
            python = seed if contender.startswith("seed") else sys.executable
            figures[contender] = None if python is None else per_request(python, contender, url)
    raw = figures["raw aiohttp GET"]
    same = figures["raw aiohttp GET, same headers"]
    ours = figures["genai_base async GET"]
    assert raw is not None and same is not None and ours is not None
    print_table(
        "async GET: instructions per request (client process)",
        ["contender", "instructions", "raw aiohttp / this"],
        [[name, f"{figures[name]:,.0f}", f"{raw / figures[name]:.2f}x"] for name in ASYNC],  # type: ignore[operator]
        [
            f"genai_base / raw aiohttp = {raw / ours:.3f}x (target >= 0.85x); "
            f"/ raw aiohttp sending the same headers = {same / ours:.3f}x"
        ],
    )
    concurrent_rows = []
    for c in (16, 64):
        gb_c, raw_c = figures[f"genai_base async GET (c={c})"], figures[f"raw aiohttp GET (c={c})"]
        assert gb_c is not None and raw_c is not None
        concurrent_rows.append([f"c={c}", f"{gb_c:,.0f}", f"{raw_c:,.0f}", f"{raw_c / gb_c:.3f}x"])
    print_table(
        "async GET at concurrency: instructions per request (client process)",
        ["concurrency", "genai_base", "raw aiohttp", "raw aiohttp / genai_base (target >= 0.85x)"],
        concurrent_rows,
    )
    rows = []
    notes = []
    for verb in ("GET", "POST"):
        gb, req, sd = (figures[f"genai_base sync {verb}"], figures[f"requests {verb}"], figures[f"seed {verb}"])
        assert gb is not None and req is not None
        for name, value in ((f"genai_base sync {verb}", gb), (f"requests {verb}", req), (f"seed {verb}", sd)):
            rows.append([name, "-" if value is None else f"{value:,.0f}", "-" if sd is None or value is None
                         else f"{sd / value:.2f}x"])
        if sd is not None:
            notes.append(f"{verb}: seed / genai_base = {sd / gb:.2f}x fewer instructions (target >= 1.3x)")
    print_table("sync: instructions per request (client process)", ["contender", "instructions", "seed / this"],
                rows, notes)


if __name__ == "__main__":
    main()
