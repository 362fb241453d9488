"""Sync requests/s on one thread: genai_base's SyncAPIClient against the ``requests`` it runs on.

Contenders (GET of a ~100-byte JSON object, body parsed into a dict; all
over keep-alive to the loopback server, in alternating rounds):

* ``genai_base`` -- ``SyncAPIClient.get(path, cast_to=dict)`` with default settings;
* ``requests Session.request`` -- ``session.request("GET", url)`` + ``json.loads``;
* ``prepared Session.send`` -- one ``PreparedRequest`` made up front, sent with
  ``Session.send`` on a ``trust_env=False`` session + ``json.loads``: the floor;
* ``seed (httpx)`` -- the seed client's ``get(path, cast_to=Dict[str, object])``
  in its own interpreter (see ``_seed_worker.py``), when available.

The same is run for a POST with a small JSON body. Run:
``python benchmarks/bench_sync.py [--quick]``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, Optional

sys.path.insert(0, str(Path(__file__).resolve().parent))

import requests
from _common import (
    Sample,
    SeedWorker,
    header,
    medians,
    print_table,
    quick,
    ratio,
    run_rounds,
    sample_of,
    time_bounded,
)
from _server import LoopbackServer

PATH = "/v1/items/abc"
BODY = {"model": "m-1", "input": "Hello there", "options": {"temperature": 0.5, "n": 1}}
TIMEOUT = (5.0, 60.0)


def _contenders(
    url: str, seed: SeedWorker, budget: dict[str, Any], post: bool
) -> dict[str, Callable[[], Optional[Sample]]]:
    from genai_base import SyncAPIClient

    client = SyncAPIClient(version="1.0.0", base_url=url)
    session = requests.Session()
    bare = requests.Session()
    bare.trust_env = False
    full_url = url + PATH
    loads = json.loads
    if post:
        prepared = bare.prepare_request(requests.Request("POST", full_url, json=BODY))

        def gb_step() -> Any:
            return client.post(PATH, cast_to=dict, body=BODY)

        def session_step() -> Any:
            return loads(session.request("POST", full_url, json=BODY, timeout=TIMEOUT).content)
    else:
        prepared = bare.prepare_request(requests.Request("GET", full_url))

        def gb_step() -> Any:
            return client.get(PATH, cast_to=dict)

        def session_step() -> Any:
            return loads(session.request("GET", full_url, timeout=TIMEOUT).content)

    send = bare.send

    def send_step() -> Any:
        return loads(send(prepared, timeout=TIMEOUT).content)

    def rate(step: Callable[[], Any]) -> Callable[[], Optional[Sample]]:
        def run() -> Optional[Sample]:
            return time_bounded(budget["n"], budget["seconds"], step)

        return run

    def seed_rate() -> Optional[Sample]:
        reply = seed.call(
            "sync", url=url, path=PATH, n=budget["n"], max_seconds=budget["seconds"], body=BODY if post else None
        )
        return sample_of(reply)

    contenders: dict[str, Callable[[], Optional[Sample]]] = {
        "genai_base": rate(gb_step),
        "requests Session.request": rate(session_step),
        "prepared Session.send": rate(send_step),
    }
    if seed.available:
        contenders["seed (httpx)"] = seed_rate
    return contenders


def bench(url: str, seed: SeedWorker, post: bool) -> dict[str, Sample]:
    """Median req/s and CPU per request of each contender, for GET (or POST)."""
    rounds, n, max_seconds = (3, 400, 0.6) if quick() else (5, 1500, 1.5)
    budget: dict[str, Any] = {"n": 100, "seconds": 0.5}
    contenders = _contenders(url, seed, budget, post)
    run_rounds(contenders, 1)  # warm-up: connections, caches, lazy imports
    budget.update(n=n, seconds=max_seconds)
    return medians(run_rounds(contenders, rounds))


def report(figures: dict[str, Sample], method: str, seed_note: str) -> None:
    """Print the table for one method."""
    raw = figures.get("requests Session.request")
    floor = figures.get("prepared Session.send")
    seed = figures.get("seed (httpx)")
    rows = []
    for name, f in figures.items():
        over_wall = (1 / f.rate - 1 / floor.rate) * 1e6 if floor else float("nan")
        over_cpu = f.cpu_us - floor.cpu_us if floor else float("nan")
        rows.append(
            [
                name,
                f.rate,
                1e6 / f.rate,
                f.cpu_us,
                over_wall,
                over_cpu,
                ratio(f.rate, raw.rate if raw else None),
                ratio(f.rate, floor.rate if floor else None),
                ratio(f.rate, seed.rate if seed else None),
            ]
        )
    gb = figures["genai_base"]
    notes = []
    if floor:
        notes.append(
            f"genai_base over prepared Session.send: {(1 / gb.rate - 1 / floor.rate) * 1e6:.0f} us/request wall, "
            f"{gb.cpu_us - floor.cpu_us:.0f} us/request client CPU (target <= 60 us)"
        )
    if seed:
        notes.append(
            f"genai_base vs seed: {gb.rate / seed.rate:.2f}x req/s, {seed.cpu_us / gb.cpu_us:.2f}x less CPU "
            "per request (target >= 1.3x)"
        )
    if seed_note:
        notes.append(seed_note)
    print_table(
        f"sync {method} (medians)",
        [
            "contender",
            "req/s",
            "wall us/req",
            "CPU us/req",
            "wall us over send",
            "CPU us over send",
            "vs Session.request",
            "vs prepared send",
            "vs seed",
        ],
        rows,
        notes,
    )


def main() -> dict[str, dict[str, Sample]]:
    """Run GET then POST; return the medians."""
    header("bench_sync")
    out: dict[str, dict[str, Sample]] = {}
    with LoopbackServer() as url, SeedWorker() as seed:
        for method in ("GET", "POST"):
            out[method] = bench(url, seed, post=method == "POST")
            report(out[method], method, seed.note)
    return out


if __name__ == "__main__":
    main()
