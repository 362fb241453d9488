"""SSE decoding: MB/s and events/s in memory, and end to end over loopback.

In memory (no I/O; the chunks are made up front; timed by CPU time, see ``CPU_CLOCK``):

* ``genai_base`` -- ``genai_base._sse.SSEDecoder.feed`` over the chunks, then ``end()``;
* ``seed`` -- the seed client's ``SSEDecoder.iter_bytes`` in its own interpreter;
* ``floor`` -- not a decoder: ``b"".join`` + one UTF-8 decode + ``split("\\n\\n")``
  (and ``json.loads`` per event for "+JSON"), for scale.

Payloads (``_sse_data.py``): 20 MB of mixed small events (data-only, with
``event:``, with ``id:`` and non-ASCII text, multi-line data after a comment)
in 64 KB chunks, and one 4 MB event in 1 KB, 16 KB and 64 KB chunks. Each is
decoded alone and with every event's data parsed as JSON ("+JSON"), each
library its own way: ``ServerSentEvent.json()`` for genai_base (what its
``Stream`` calls per event), ``json.loads`` for the seed (what its ``Stream``
calls) and for the floor. Empty data is skipped, which only the seed
produces: after an ``id:`` it turns each comment's empty line into an event.

End to end (sync): ``SyncAPIClient.get(..., stream=True)`` iterated to the
end (decode + JSON + the stream's event handling) against raw ``requests``
reading the same body with ``iter_content(None)`` (no decoding at all), and
the seed's ``Stream``; the async twin against raw ``aiohttp`` ``iter_any()``.
The stream payload has no ``id:`` lines, which the seed's ``Stream`` cannot
parse (see above).

Resumption (both shells): a 4 MB stream of numbered events (``id: <n>``)
read to the end, against the same stream broken off mid-body at half way
and resumed with ``Last-Event-ID``: requests made, event bytes the server
sent over the size of the stream (1.00x: nothing was sent twice; a replay
from the start would be 1.50x), events yielded, and wall time.

Run: ``python benchmarks/bench_sse.py [--quick]``.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

sys.path.insert(0, str(Path(__file__).resolve().parent))

import aiohttp
import requests
from _common import SeedWorker, header, median, print_table, quick, ratio, run_rounds
from _server import LoopbackServer
from _sse_data import MB, chunked, numbered_events, payload

MEMORY_CASES = (
    ("20 MB mixed small events, 64 KB chunks", "mixed", 20.0, 64 * 1024),
    ("4 MB single event, 1 KB chunks", "single", 4.0, 1024),
    ("4 MB single event, 16 KB chunks", "single", 4.0, 16 * 1024),
    ("4 MB single event, 64 KB chunks", "single", 4.0, 64 * 1024),
)
E2E_CASES = (("20 MB mixed small events (no ids)", "stream", 20.0), ("4 MB single event", "single", 4.0))
E2E_PIECE = 16 * 1024  # the server sends Transfer-Encoding: chunked in 16 KB pieces
TRICKLE = "/trickle?n=3&gap=0.25&framing="
# In memory the work is all CPU in one thread: time it by this process's CPU clock, which other
# load on the machine disturbs far less than the wall clock (the seed worker does the same).
CPU_CLOCK = time.process_time


@dataclass
class Throughput:
    """One pass: MB/s and events/s (NaN when the contender does not count events)."""

    mb_s: float
    events_s: float


def _medians(results: dict[str, list[Throughput]]) -> dict[str, Throughput]:
    return {
        name: Throughput(median([v.mb_s for v in values]), median([v.events_s for v in values]))
        for name, values in results.items()
        if values
    }


def _timed(fn: Callable[[], int], size: int, clock: Callable[[], float] = time.perf_counter) -> Throughput:
    start = clock()
    events = fn()
    seconds = clock() - start
    return Throughput(size / MB / seconds, events / seconds if events >= 0 else float("nan"))


def _decode(chunks: list[bytes], parse_json: bool) -> int:
    from genai_base._sse import SSEDecoder

    decoder = SSEDecoder()
    feed = decoder.feed
    events = 0
    if parse_json:
        for chunk in chunks:
            for event in feed(chunk):
                if event.data:
                    event.json()
                events += 1
        for event in decoder.end():
            if event.data:
                event.json()
            events += 1
        return events
    for chunk in chunks:
        events += len(feed(chunk))
    return events + len(decoder.end())


def _floor(chunks: list[bytes], parse_json: bool) -> int:
    blocks = b"".join(chunks).decode("utf-8", "replace").split("\n\n")
    if parse_json:
        loads = json.loads
        for block in blocks:
            at = block.find("data: ")
            if at >= 0:
                loads(block[at + 6 :].replace("\ndata: ", "\n"))
    return len(blocks) - 1


def bench_memory(seed: SeedWorker, rounds: int) -> tuple[list[list[Any]], list[str]]:
    """Rows of the in-memory table, and the target lines."""
    rows: list[list[Any]] = []
    targets: list[str] = []
    for label, kind, mb, chunk_size in MEMORY_CASES:
        data, expected = payload(kind, mb)
        chunks = chunked(data, chunk_size)
        size = len(data)
        for parse_json in (False, True):
            assert _decode(chunks, parse_json) == expected

            def seed_run(
                pj: bool = parse_json, k: str = kind, m: float = mb, c: int = chunk_size
            ) -> Optional[Throughput]:
                reply = seed.call("sse_mem", kind=k, mb=m, chunk=c, parse_json=pj)
                if not reply:
                    return None
                return Throughput(reply["bytes"] / MB / reply["seconds"], reply["events"] / reply["seconds"])

            contenders: dict[str, Callable[[], Optional[Throughput]]] = {
                "genai_base": lambda c=chunks, pj=parse_json, n=size: _timed(lambda: _decode(c, pj), n, CPU_CLOCK),
                "floor": lambda c=chunks, pj=parse_json, n=size: _timed(lambda: _floor(c, pj), n, CPU_CLOCK),
            }
            if seed.available:
                contenders["seed"] = seed_run
            figures = _medians(run_rounds(contenders, rounds))
            gb = figures["genai_base"]
            sd = figures.get("seed")
            fl = figures.get("floor")
            mode = "decode+JSON" if parse_json else "decode"
            rows.append(
                [
                    f"{label}, {mode}",
                    gb.mb_s,
                    gb.events_s,
                    sd.mb_s if sd else float("nan"),
                    ratio(gb.mb_s, sd.mb_s if sd else None),
                    fl.mb_s if fl else float("nan"),
                    ratio(gb.mb_s, fl.mb_s if fl else None),
                ]
            )
            if sd:
                targets.append(f"{label}, {mode}: {gb.mb_s / sd.mb_s:.2f}x the seed (target >= 2x)")
            if kind == "single":
                targets.append(f"{label}, {mode}: {gb.mb_s:.0f} MB/s (target >= 200 MB/s)")
    return rows, targets


def _e2e_sync(url: str, seed: SeedWorker, rounds: int) -> list[list[Any]]:
    from genai_base import SyncAPIClient

    client = SyncAPIClient(version="1.0.0", base_url=url)
    session = requests.Session()
    rows: list[list[Any]] = []
    for label, kind, mb in E2E_CASES:
        path = f"/sse?kind={kind}&mb={mb}&piece={E2E_PIECE}"
        size = len(payload(kind, mb)[0])

        def gb_run(p: str = path, s: int = size) -> Throughput:
            return _timed(lambda: sum(1 for _ in client.get(p, cast_to=dict, stream=True)), s)

        def raw_run(p: str = path, s: int = size) -> Throughput:
            def read() -> int:
                with session.get(url + p, stream=True) as resp:
                    got = sum(len(chunk) for chunk in resp.iter_content(chunk_size=None))
                assert got == s
                return -1

            return _timed(read, s)

        def seed_run(p: str = path, s: int = size) -> Optional[Throughput]:
            reply = seed.call("sse_e2e", url=url, path=p)
            if not reply:
                return None
            return Throughput(s / MB / reply["seconds"], reply["events"] / reply["seconds"])

        contenders: dict[str, Callable[[], Optional[Throughput]]] = {"genai_base": gb_run, "raw requests": raw_run}
        if seed.available:
            contenders["seed"] = seed_run
        run_rounds(contenders, 1)  # warm-up (the server builds and caches the body)
        figures = _medians(run_rounds(contenders, rounds))
        rows.extend(_e2e_rows(f"sync: {label}", figures, "raw requests"))
    client.close()
    session.close()
    return rows


async def _e2e_async(url: str, rounds: int) -> list[list[Any]]:
    from genai_base import AsyncAPIClient

    client = AsyncAPIClient(version="1.0.0", base_url=url)
    session = aiohttp.ClientSession()
    rows: list[list[Any]] = []
    try:
        for label, kind, mb in E2E_CASES:
            path = f"/sse?kind={kind}&mb={mb}&piece={E2E_PIECE}"
            size = len(payload(kind, mb)[0])

            async def gb_run(p: str = path, s: int = size) -> Throughput:
                start = time.perf_counter()
                events = 0
                async for _ in await client.get(p, cast_to=dict, stream=True):
                    events += 1
                wall = time.perf_counter() - start
                return Throughput(s / MB / wall, events / wall)

            async def raw_run(p: str = path, s: int = size) -> Throughput:
                start = time.perf_counter()
                got = 0
                async with session.get(url + p) as resp:
                    async for chunk in resp.content.iter_any():
                        got += len(chunk)
                wall = time.perf_counter() - start
                assert got == s
                return Throughput(s / MB / wall, float("nan"))

            results: dict[str, list[Throughput]] = {"genai_base": [], "raw aiohttp": []}
            await gb_run()
            await raw_run()
            for r in range(rounds):
                order = ["genai_base", "raw aiohttp"] if r % 2 == 0 else ["raw aiohttp", "genai_base"]
                for name in order:
                    results[name].append(await (gb_run() if name == "genai_base" else raw_run()))
            rows.extend(_e2e_rows(f"async: {label}", _medians(results), "raw aiohttp"))
    finally:
        await client.close()
        await session.close()
    return rows


def first_events(url: str, seed: SeedWorker) -> list[list[Any]]:
    """Seconds until the first of three events spaced 0.25 s apart is handed over, per framing."""
    from genai_base import AsyncAPIClient, SyncAPIClient

    client = SyncAPIClient(version="1.0.0", base_url=url)

    def sync_first(path: str) -> tuple[float, float]:
        start = time.perf_counter()
        first = float("nan")
        for _ in client.get(path, cast_to=dict, stream=True):
            if first != first:
                first = time.perf_counter() - start
        return first, time.perf_counter() - start

    async def async_first(path: str) -> tuple[float, float]:
        async with AsyncAPIClient(version="1.0.0", base_url=url) as aclient:
            start = time.perf_counter()
            first = float("nan")
            async for _ in await aclient.get(path, cast_to=dict, stream=True):
                if first != first:
                    first = time.perf_counter() - start
            return first, time.perf_counter() - start

    rows: list[list[Any]] = []
    for framing in ("chunked", "length", "close"):
        path = TRICKLE + framing
        gb_sync = sync_first(path)
        gb_async = asyncio.run(async_first(path))
        reply = seed.call("first_event", url=url, path=path)
        seed_first = reply["first"] if reply and reply.get("first") is not None else float("nan")
        rows.append([framing, gb_sync[0] * 1000, gb_async[0] * 1000, seed_first * 1000])
    client.close()
    return rows


class _Counter:
    """A hook counting the requests of a stream and the event bytes each answer carried."""

    def __init__(self) -> None:
        self.requests = 0
        self.sent = 0

    def on_request(self, event: Any) -> None:
        self.requests += 1

    def on_response(self, event: Any) -> None:
        self.sent += int(event.headers.get("x-sent-bytes", "0"))


RESUME_MB = 4.0


def resumption(url: str, rounds: int) -> list[list[Any]]:
    """One stream read whole, and the same stream cut at half way and resumed: what each cost."""
    from genai_base import AsyncAPIClient, ClientContainer, SyncAPIClient

    events = numbered_events(int(RESUME_MB * MB))
    size = sum(map(len, events))
    counter = _Counter()
    container = ClientContainer()
    container.hooks.override([counter])

    def sync_run(path: str) -> tuple[float, int, int]:
        with SyncAPIClient(version="1.0.0", base_url=url, container=container) as client:
            start = time.perf_counter()
            stream = client.get(path, cast_to=dict, stream=True)
            n = sum(1 for _ in stream)
            return time.perf_counter() - start, n, stream.reconnects

    async def async_run(path: str) -> tuple[float, int, int]:
        async with AsyncAPIClient(version="1.0.0", base_url=url, container=container) as client:
            start = time.perf_counter()
            stream = await client.get(path, cast_to=dict, stream=True)
            n = 0
            async for _ in stream:
                n += 1
            return time.perf_counter() - start, n, stream.reconnects

    rows: list[list[Any]] = []
    for shell in ("sync", "async"):
        uncut_seconds = float("nan")
        for label, cut in (("read whole", 0.0), ("cut at 50%, resumed", 0.5)):
            path = f"/resumable?mb={RESUME_MB}&cut={cut}"
            runs = []
            for _ in range(rounds + 1):  # the first is a warm-up
                counter.requests = counter.sent = 0
                seconds, n, reconnects = sync_run(path) if shell == "sync" else asyncio.run(async_run(path))
                assert n == len(events), f"{shell} {label}: {n} events, expected {len(events)}"
                runs.append((seconds, counter.requests, counter.sent, reconnects))
            seconds = median([r[0] for r in runs[1:]])
            _, requests_made, sent, reconnects = runs[-1]
            if cut == 0:
                uncut_seconds = seconds
            sent_ratio = f"{sent / size:.2f}x"
            speed = ratio(uncut_seconds, seconds)
            mb_s = size / MB / seconds
            rows.append([f"{shell}: {label}", requests_made, reconnects, sent_ratio, len(events), mb_s, speed])
    return rows


def _e2e_rows(label: str, figures: dict[str, Throughput], raw_name: str) -> list[list[Any]]:
    raw = figures.get(raw_name)
    seed = figures.get("seed")
    rows = []
    for name, f in figures.items():
        rows.append(
            [
                f"{label} -- {name}",
                f.mb_s,
                f.events_s,
                ratio(f.mb_s, raw.mb_s if raw else None),
                ratio(f.mb_s, seed.mb_s if seed else None),
            ]
        )
    return rows


def main() -> dict[str, list[list[Any]]]:
    """Run the in-memory and the end-to-end tables."""
    header("bench_sse")
    rounds = 3 if quick() else 5
    out: dict[str, list[list[Any]]] = {}
    with SeedWorker() as seed:
        out["memory"], targets = bench_memory(seed, rounds)
        notes = [
            "The seed yields extra empty events on the mixed payload (see the docstring); ratios compare MB/s.",
            *targets,
        ]
        if seed.note:
            notes.append(seed.note)
        print_table(
            "SSE decode in memory (medians)",
            ["payload", "genai_base MB/s", "genai_base events/s", "seed MB/s", "vs seed", "floor MB/s", "vs floor"],
            out["memory"],
            notes,
        )
        with LoopbackServer() as url:
            e2e_rounds = 3 if quick() else 4
            out["e2e"] = _e2e_sync(url, seed, e2e_rounds)
            out["e2e"] += asyncio.run(_e2e_async(url, e2e_rounds))
            out["first"] = first_events(url, seed)
            out["resume"] = resumption(url, 3 if quick() else 5)
        print_table(
            "SSE end to end over loopback (medians)",
            ["case -- contender", "MB/s", "events/s", "vs raw transport", "vs seed"],
            out["e2e"],
            [
                "The body is sent with Transfer-Encoding: chunked in 16 KB pieces. Raw transport rows only read "
                "the bytes (no decoding, no JSON); genai_base and the seed parse every event's JSON."
            ],
        )
        print_table(
            "SSE milliseconds to the first event (3 events, 250 ms apart; lower is better)",
            ["response framing", "genai_base sync", "genai_base async", "seed sync"],
            out["first"],
            ["A client that waits for the end of the body before handing over events shows ~500 ms here."],
        )
        print_table(
            f"SSE resumption: a {RESUME_MB:g} MB stream of numbered events, whole vs cut at half way (medians)",
            ["case", "requests", "reconnects", "event bytes sent / stream", "events", "MB/s", "speed vs whole"],
            out["resume"],
            [
                "Resumed with Last-Event-ID after the last event handled (retry: 0, so no wait): one more request, "
                "and the server sends each event once (a replay from the start would send 1.50x)."
            ],
        )
    return out


if __name__ == "__main__":
    main()
