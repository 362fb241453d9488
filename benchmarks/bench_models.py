"""Model loading: decoded JSON in, typed models out; genai_base beside the seed's pydantic models.

Shapes (``_model_shapes.py``): one chat completion; a page of 1000 items,
each with a nested owner; 100 embeddings of 1536 floats; a stream of 10 000
small typed chunks (the decoded ``data:`` of each SSE event, loaded one by
one as a ``Stream`` does). Contenders, all in this one process:

* strict: ``genai_base.load_as(T, data, strict=True)`` (what ``cast_to``
  parsing with ``_strict_response_validation=True`` calls) against the seed's
  ``validate_type(type_=T, value=data)`` (pydantic-core);
* lenient: ``load_as(T, data, strict=False)`` against the seed's
  ``construct_type(value=data, type_=T)`` (what the seed's client calls when
  it does not validate).

Each figure is the median over alternating rounds of this process's CPU time
per load (``time.process_time``, steadier than the wall clock on a shared
machine). "vs" columns: genai_base's time over pydantic's (strict; lower is
better, the target is <= 3x each and a geometric mean <= 1.5x) and the seed's
``construct_type`` time over genai_base's (lenient; higher is better, the
target is >= 5x). Memory: ``tracemalloc`` size of the loaded page (1000 items
and their owners), the input excluded, genai_base against pydantic.

Needs the seed for its columns: ``pip install -e ".[bench]"`` (google-genai
and pydantic); without it they say ``-``. Run: ``python benchmarks/bench_models.py [--quick]``.
"""

from __future__ import annotations

import gc
import math
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any, Optional

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import header, median, print_table, quick, run_rounds
from _model_shapes import GENAI_TYPES, payloads, seed_models

from genai_base import load_as

SHAPES = {
    "chat": "one chat completion",
    "page": "a page of 1000 items with a nested owner",
    "embeddings": "100 embeddings of 1536 floats",
    "chunks": "10k small typed SSE chunks",
}


def _each(load: Callable[[Any], Any], events: list[Any]) -> Callable[[], None]:
    def run() -> None:
        for event in events:  # a stream's consumer handles each chunk and lets it go
            load(event)

    return run


def _loader(kind: str, shape: str, data: Any, seed: Optional[dict[str, Any]]) -> Optional[Callable[[], Any]]:
    """A no-argument callable that loads ``data`` once (each chunk for ``chunks``); ``None`` without the seed."""
    load: Callable[[Any], Any]
    if kind.startswith("genai_base"):
        tp = GENAI_TYPES[shape]
        strict = kind.endswith("strict")

        def load(value: Any) -> Any:
            return load_as(tp, value, strict=strict)

    elif seed is None:
        return None
    else:
        stp = seed["types"][shape]
        validate, construct = seed["validate_type"], seed["construct_type"]

        if kind == "pydantic strict":

            def load(value: Any) -> Any:
                return validate(type_=stp, value=value)

        else:

            def load(value: Any) -> Any:
                return construct(value=value, type_=stp)

    if shape == "chunks":
        return _each(load, data)
    return lambda: load(data)


def _sampler(fn: Callable[[], Any], budget: float) -> Callable[[], float]:
    """A round: call ``fn`` for about ``budget`` seconds of CPU; the CPU microseconds per call."""
    fn()  # warm: compiled loaders, schemas and pydantic's validators are built on first use

    def sample() -> float:
        count = 0
        start = time.process_time()
        while True:
            fn()
            count += 1
            spent = time.process_time() - start
            if spent >= budget:
                return spent / count * 1e6

    return sample


def _memory(fn: Callable[[], Any]) -> int:
    """Bytes the result of ``fn`` holds (``tracemalloc``, after a warm call; the input is not counted)."""
    fn()
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        result = fn()
        gc.collect()
        size = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    del result
    return size


def _fmt_us(value: Optional[float]) -> str:
    if value is None or value != value:
        return "-"
    if value >= 10_000:
        return f"{value / 1000:,.1f} ms"
    return f"{value:,.1f} us"


def _x(a: Optional[float], b: Optional[float]) -> str:
    if a is None or b is None or a != a or b != b or b == 0:
        return "-"
    return f"{a / b:.2f}x"


def _check_equal_work(data: dict[str, Any], seed: Optional[dict[str, Any]]) -> None:
    """Both sides load the same thing: spot checks on the results (fail loudly if a model is wrong)."""
    for shape, tp in GENAI_TYPES.items():
        sample = data[shape][0] if shape == "chunks" else data[shape]
        for strict in (True, False):
            loaded = load_as(tp, sample, strict=strict)
            assert isinstance(loaded, tp), (shape, strict)
    page = load_as(GENAI_TYPES["page"], data["page"], strict=True)
    assert page.data[5].owner.name == "Owner 5" and page.data[5].created_at.year == 2024
    if seed is not None:
        spage = seed["validate_type"](type_=seed["types"]["page"], value=data["page"])
        assert spage.data[5].owner.name == page.data[5].owner.name
        assert spage.data[5].created_at == page.data[5].created_at
        assert spage.data[5].status is page.data[5].status


def main() -> None:
    header("bench_models")
    rounds, budget = (3, 0.15) if quick() else (5, 0.4)
    data = payloads()
    seed = seed_models()
    _check_equal_work(data, seed)
    kinds = ("genai_base strict", "pydantic strict", "genai_base lenient", "seed construct_type")
    figures: dict[str, dict[str, Optional[float]]] = {}
    for shape in SHAPES:
        contenders = {}
        for kind in kinds:
            fn = _loader(kind, shape, data[shape], seed)
            if fn is not None:
                contenders[kind] = _sampler(fn, budget)
        samples = run_rounds(contenders, rounds)
        figures[shape] = {kind: median(samples[kind]) if samples.get(kind) else None for kind in kinds}

    rows = []
    strict_ratios = []
    for shape, title in SHAPES.items():
        f = figures[shape]
        gs, ps, gl, sl = (f[k] for k in kinds)
        if gs is not None and ps is not None:
            strict_ratios.append(gs / ps)
        rows.append([title, _fmt_us(gs), _fmt_us(ps), _x(gs, ps), _fmt_us(gl), _fmt_us(sl), _x(sl, gl)])
    geomean = math.exp(sum(map(math.log, strict_ratios)) / len(strict_ratios)) if strict_ratios else None
    notes = [
        "CPU time per load, median of alternating rounds. strict `vs`: genai_base / pydantic (lower is better; "
        "target <= 3x); lenient `vs`: seed / genai_base (higher is better; target >= 5x)."
    ]
    if geomean is not None:
        notes.append(f"Strict geometric mean over the shapes: {geomean:.2f}x pydantic (target <= 1.5x).")
    if seed is None:
        notes.append("The seed (google-genai) is not importable here: its columns are `-` (pip install -e '.[bench]').")
    print_table(
        "Model loading (decoded JSON in, typed models out)",
        [
            "shape",
            "genai_base strict",
            "pydantic validate_type",
            "vs",
            "genai_base lenient",
            "seed construct_type",
            "vs",
        ],
        rows,
        notes,
    )

    mem_rows = []
    for kind in kinds:
        fn = _loader(kind, "page", data["page"], seed)
        mem_rows.append([kind, "-" if fn is None else f"{_memory(fn) / 1024:,.0f} KiB"])
    sizes = {row[0]: row[1] for row in mem_rows}
    print_table(
        "Memory of a loaded page (1000 items + owners, tracemalloc, input excluded)",
        ["loaded by", "size"],
        mem_rows,
        [f"genai_base strict / pydantic: {_ratio_text(sizes['genai_base strict'], sizes['pydantic strict'])}"
         " (target <= 1.5x)"],
    )


def _ratio_text(a: str, b: str) -> str:
    try:
        return f"{float(a.split()[0].replace(',', '')) / float(b.split()[0].replace(',', '')):.2f}x"
    except (ValueError, ZeroDivisionError):
        return "-"


if __name__ == "__main__":
    main()
