"""Shared helpers: alternating rounds, medians, tables, and the seed worker subprocess."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, TypeVar

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if importlib.util.find_spec("genai_base") is None:
    sys.path.insert(0, str(ROOT))  # run from a checkout without installing

SEED_PYTHON_ENV = "GENAI_BASE_SEED_PYTHON"
DEFAULT_SEED_PYTHON = "/tmp/seedvenv/bin/python"


def quick() -> bool:
    """True when ``--quick`` was given or ``BENCH_QUICK=1`` (fewer rounds, shorter runs)."""
    return "--quick" in sys.argv or os.environ.get("BENCH_QUICK") == "1"


def median(values: Sequence[float]) -> float:
    """The median, or NaN for no values."""
    return statistics.median(values) if values else float("nan")


def alternate(names: Sequence[str], rounds: int) -> list[list[str]]:
    """The order of each round: A B C, C B A, A B C, ... (drift hits every contender alike)."""
    return [list(names) if r % 2 == 0 else list(reversed(names)) for r in range(rounds)]


@dataclass
class Sample:
    """One contender's figures for one round: items per second (wall clock) and CPU microseconds per item.

    The CPU figure is this process's (or the seed worker's) own CPU time, so
    it is far less disturbed than the wall clock by other load on the machine.
    """

    rate: float
    cpu_us: float


T = TypeVar("T")


def run_rounds(contenders: dict[str, Callable[[], Optional[T]]], rounds: int) -> dict[str, list[T]]:
    """Call each contender once per round in alternating order; collect its samples (None: no figure)."""
    results: dict[str, list[T]] = {name: [] for name in contenders}
    for order in alternate(list(contenders), rounds):
        for name in order:
            sample = contenders[name]()
            if sample is not None:
                results[name].append(sample)
    return results


def medians(samples: dict[str, list[Sample]]) -> dict[str, Sample]:
    """The median rate and median CPU per item of each contender that has samples."""
    return {
        name: Sample(median([s.rate for s in values]), median([s.cpu_us for s in values]))
        for name, values in samples.items()
        if values
    }


def ratio(a: float, b: Optional[float]) -> str:
    """``a / b`` as ``1.23x``, or ``-`` when ``b`` is missing."""
    if b is None or b != b or b == 0 or a != a:
        return "-"
    return f"{a / b:.2f}x"


_NUMERIC = re.compile(r"^(-|[-+]?[\d,]*\.?\d+(e[-+]?\d+)?x?)$")


def print_table(title: str, header: Sequence[str], rows: Sequence[Sequence[Any]], notes: Sequence[str] = ()) -> None:
    """A Markdown table (so it can be pasted into the README as is); numbers right-aligned."""
    cells = [[str(c) for c in header]] + [[_cell(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    numeric = [i > 0 and all(_NUMERIC.match(row[i]) for row in cells[1:]) for i in range(len(header))]

    def line(row: Sequence[str]) -> str:
        padded = (c.rjust(w) if num else c.ljust(w) for c, w, num in zip(row, widths, numeric, strict=True))
        return "| " + " | ".join(padded) + " |"

    print(f"\n### {title}\n")
    print(line(cells[0]))
    rule = ("-" * (w + 1) + ":" if num else "-" * (w + 2) for w, num in zip(widths, numeric, strict=True))
    print("|" + "|".join(rule) + "|")
    for row in cells[1:]:
        print(line(row))
    for note in notes:
        print(f"\n{note}")
    sys.stdout.flush()


def _cell(value: Any) -> str:
    if isinstance(value, float):
        if value != value:
            return "-"
        if abs(value) >= 100:
            return f"{value:,.0f}"
        return f"{value:.2f}"
    return str(value)


def seed_python() -> Optional[str]:
    """An interpreter that can import ``google.genai``: this one, ``$GENAI_BASE_SEED_PYTHON`` or the seed venv."""
    try:
        import google.genai  # noqa: F401

        return sys.executable
    except ImportError:
        pass
    for candidate in (os.environ.get(SEED_PYTHON_ENV), DEFAULT_SEED_PYTHON):
        if candidate and (os.path.exists(candidate) or shutil.which(candidate)):
            return candidate
    return None


class SeedWorker:
    """The seed client in a subprocess (``_seed_worker.py``), driven one JSON line at a time.

    ``available`` is False (and every call returns ``None``) when no
    interpreter has the seed or it failed to start; ``note`` says why.
    """

    def __init__(self, timeout: float = 120.0) -> None:
        self.timeout = timeout
        self.process: Optional[subprocess.Popen[str]] = None
        self.note = ""
        self.info: dict[str, Any] = {}
        python = seed_python()
        if python is None:
            self.note = (
                f"seed client not available (no google.genai here, no ${SEED_PYTHON_ENV}, "
                f"no {DEFAULT_SEED_PYTHON}): seed columns skipped"
            )
            return
        # cwd outside the checkout so that the seed interpreter never picks up genai_base.
        self.process = subprocess.Popen(
            [python, str(HERE / "_seed_worker.py")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd="/",
        )
        info = self.call("ping")
        if info is None:
            self.note = "seed client failed to start: seed columns skipped"
            self.close()
        else:
            self.info = info

    @property
    def available(self) -> bool:
        """True while the worker runs."""
        return self.process is not None

    def call(self, op: str, **args: Any) -> Optional[dict[str, Any]]:
        """Run ``op`` in the worker; ``None`` (and a note) on any failure."""
        process = self.process
        if process is None or process.stdin is None or process.stdout is None:
            return None
        try:
            process.stdin.write(json.dumps({"op": op, **args}) + "\n")
            process.stdin.flush()
            line = _readline(process, self.timeout)
        except (OSError, TimeoutError) as exc:
            self.note = f"seed worker failed ({exc}): seed columns incomplete"
            self.close()
            return None
        if not line:
            self.note = "seed worker exited: seed columns incomplete"
            self.close()
            return None
        reply: dict[str, Any] = json.loads(line)
        if "error" in reply:
            self.note = f"seed {op} failed: {reply['error']}"
            return None
        return reply

    def close(self) -> None:
        """Stop the worker."""
        process = self.process
        if process is None:
            return
        self.process = None
        try:
            if process.stdin is not None:
                process.stdin.close()
            process.wait(timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            process.kill()
            process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()

    def __enter__(self) -> SeedWorker:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _readline(process: subprocess.Popen[str], timeout: float) -> str:
    import selectors

    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        if not selector.select(timeout):
            raise TimeoutError(f"no answer within {timeout:g}s")
    return process.stdout.readline()


def time_bounded(n: int, max_seconds: float, step: Callable[[], Any], check_every: int = 50) -> Sample:
    """Run ``step`` up to ``n`` times or until ``max_seconds`` pass."""
    count = 0
    cpu = time.process_time()
    start = time.perf_counter()
    stop_at = start + max_seconds
    while count < n:
        step()
        count += 1
        if not count % check_every and time.perf_counter() > stop_at:
            break
    wall = time.perf_counter() - start
    return Sample(count / wall, (time.process_time() - cpu) / count * 1e6)


def sample_of(reply: Optional[dict[str, Any]], key: str = "count") -> Optional[Sample]:
    """A :class:`Sample` from a seed worker reply (``count``/``seconds``/``cpu``)."""
    if not reply or not reply.get(key):
        return None
    return Sample(reply[key] / reply["seconds"], reply["cpu"] / reply[key] * 1e6)


def header(name: str) -> None:
    """Print what ran where."""
    import platform

    spec = importlib.util.find_spec("genai_base")
    where = Path(spec.origin).parent if spec and spec.origin else "?"
    print(
        f"# {name}: Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs; "
        f"genai_base from {where}"
    )
