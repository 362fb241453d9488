"""``import genai_base`` time against ``import requests, aiohttp``, and what the import loads.

Each measurement is a fresh interpreter that times the import statement
itself (``perf_counter`` around it, so interpreter start-up is left out),
in alternating order; medians are reported. The seed row times
``import google.genai._interactions`` in its own interpreter.

Bytecode: installed packages ship compiled ``.pyc`` files, but an editable
checkout run with ``PYTHONDONTWRITEBYTECODE=1`` (as here) recompiles
genai_base on every start. So the children run with bytecode writing on and
``PYTHONPYCACHEPREFIX`` pointing at a temporary directory (nothing is
written into the checkout), after one warm-up import; one extra row shows
genai_base without any bytecode cache.

The checks, in one more fresh interpreter: after ``import genai_base`` no
``yaml`` module is loaded, no module of a third-party plugin (a
``genai_base.*`` entry point of another distribution, or a package under
``plugins/``) is loaded, and the entry points have not been scanned yet
(``_plugins.discover`` not called). Run: ``python benchmarks/bench_import.py [--quick]``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Optional

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import ROOT, header, median, print_table, quick, ratio, seed_python

TIMER = "import time; t = time.perf_counter(); import {modules}; print(time.perf_counter() - t)"
CONTENDERS = {"genai_base": "genai_base", "requests, aiohttp": "requests, aiohttp"}
SEED_MODULES = "google.genai._interactions"

CHECK = r"""
import json, sys
before = set(sys.modules)
import genai_base
loaded = sorted(set(sys.modules) - before)
from importlib.metadata import entry_points
from genai_base import _plugins
scanned = None
info = getattr(_plugins.discover, "cache_info", None)
if info is not None:
    scanned = info().currsize > 0
plugin_modules = set()
for group in getattr(_plugins, "GROUPS", ()):
    for ep in entry_points(group="genai_base." + group):
        dist = ep.dist.metadata["Name"] if ep.dist is not None else "?"
        if dist.lower().replace("_", "-") != "genai-base":
            plugin_modules.add(ep.value.split(":")[0].split(".")[0])
for name in sys.argv[1:]:
    plugin_modules.add(name)
print(json.dumps({
    "loaded": loaded,
    "yaml": [m for m in loaded if m == "yaml" or m.startswith("yaml.")],
    "plugins": sorted(m for m in loaded if m.split(".")[0] in plugin_modules),
    "plugin_modules": sorted(plugin_modules),
    "scanned": scanned,
}))
"""


def _time_import(
    python: str, modules: str, cwd: Optional[str] = "/", env: Optional[dict[str, str]] = None
) -> Optional[float]:
    # cwd "/": ``python -c`` puts the working directory first on sys.path, which must not decide
    # which genai_base is imported (the installed one, or the one $PYTHONPATH names).
    try:
        proc = subprocess.run(
            [python, "-c", TIMER.format(modules=modules)], capture_output=True, text=True, timeout=60, cwd=cwd, env=env
        )
    except subprocess.TimeoutExpired:
        return None
    if proc.returncode != 0:
        return None
    return float(proc.stdout.strip().splitlines()[-1])


def _plugin_packages() -> list[str]:
    """Top-level module names of the packages under ``plugins/``."""
    names = []
    plugins = ROOT / "plugins"
    if plugins.is_dir():
        for dist in plugins.iterdir():
            for candidate in [*dist.glob("*/__init__.py"), *dist.glob("src/*/__init__.py")]:
                if candidate.parent.name not in ("tests", "test"):
                    names.append(candidate.parent.name)
    return sorted(set(names))


def check() -> dict[str, Any]:
    """What ``import genai_base`` loads (fresh interpreter)."""
    proc = subprocess.run(
        [sys.executable, "-c", CHECK, *_plugin_packages()], capture_output=True, text=True, timeout=60, cwd="/"
    )
    if proc.returncode != 0:
        return {"error": proc.stderr.strip()[-500:]}
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def main() -> dict[str, Any]:
    """Time the imports and run the checks."""
    header("bench_import")
    runs = 5 if quick() else 9
    seed = seed_python()
    names = [*CONTENDERS, "genai_base (no bytecode cache)"] + (["seed"] if seed else [])
    times: dict[str, list[float]] = {name: [] for name in names}
    with tempfile.TemporaryDirectory(prefix="genai-base-pycache-") as cache:
        cached = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        cached["PYTHONPYCACHEPREFIX"] = cache
        uncached = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
        uncached.pop("PYTHONPYCACHEPREFIX", None)
        for modules in CONTENDERS.values():  # warm-up: writes the bytecode cache
            _time_import(sys.executable, modules, env=cached)
        if seed:
            _time_import(seed, SEED_MODULES, env=cached)
        for r in range(runs):
            for name in names if r % 2 == 0 else list(reversed(names)):
                if name == "seed":
                    assert seed is not None
                    value = _time_import(seed, SEED_MODULES, env=cached)
                elif name.endswith("(no bytecode cache)"):
                    value = _time_import(sys.executable, "genai_base", env=uncached)
                else:
                    value = _time_import(sys.executable, CONTENDERS[name], env=cached)
                if value is not None:
                    times[name].append(value)
    med = {name: median(values) for name, values in times.items() if values}
    raw = med.get("requests, aiohttp")
    seed_time = med.get("seed")
    labels = {**{k: f"import {v}" for k, v in CONTENDERS.items()}, "seed": f"import {SEED_MODULES} (seed)"}
    rows = [
        [labels.get(name, f"import {name}"), value * 1000, ratio(value, raw), ratio(value, seed_time)]
        for name, value in med.items()
    ]
    notes = []
    if "genai_base" in med and raw:
        notes.append(f"genai_base / (requests, aiohttp) = {med['genai_base'] / raw:.2f}x (target <= 1.2x)")
    if not seed:
        notes.append("seed client not available: seed row skipped")
    found = check()
    if "error" in found:
        notes.append(f"import check failed to run: {found['error']}")
    else:
        top = sorted({m.split(".")[0] for m in found["loaded"] if not m.startswith("_")})
        yaml = f"YES {found['yaml'][:3]}" if found["yaml"] else "no"
        notes.append(f"yaml loaded by `import genai_base`: {yaml}")
        notes.append(
            "plugin modules loaded: "
            + (", ".join(found["plugins"]) if found["plugins"] else "none")
            + f" (plugins known: {', '.join(found['plugin_modules']) or 'none'})"
        )
        notes.append(f"entry points scanned during import: {found['scanned']}")
        notes.append(f"top-level packages the import loads ({len(top)}): {', '.join(top)}")
    print_table(
        f"import time, fresh interpreters (median of {runs}; lower is better)",
        ["statement", "ms", "vs requests+aiohttp", "vs seed"],
        rows,
        notes,
    )
    return {"times": med, "check": found}


if __name__ == "__main__":
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    main()
