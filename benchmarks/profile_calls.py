"""Where a genai_base call spends its time: per-call costs, then cProfile of both shells.

Part 1 times, without the network, the pieces of work the per-request path
does (or could do) on every call, each in isolation (best of 5 repeats of a
timed loop), and says whether the call needs it. Part 2 runs cProfile over
real calls to the loopback server and lists the functions with the most
own time, for the sync and the async shell. Run:
``python benchmarks/profile_calls.py [--quick]``.

Pieces that do not exist in the genai_base being profiled (the library is
changing) are reported as ``n/a`` rather than failing.
"""

from __future__ import annotations

import asyncio
import cProfile
import io
import json
import pstats
import sys
import time
import timeit
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import aiohttp
import requests
from _common import header, print_table, quick
from _server import LoopbackServer

PATH = "/v1/items/abc"


def _us(fn: Callable[[], Any], number: int = 2000) -> float:
    """Best-of-5 microseconds per call of ``fn``."""
    try:
        fn()
    except Exception:
        return float("nan")
    return min(timeit.repeat(fn, number=number, repeat=5)) / number * 1e6


def per_call_costs(url: str) -> list[list[Any]]:
    """Rows: piece of work, us per call, needed per call?, note."""
    import genai_base
    from genai_base import _request
    from genai_base._options import FinalRequestOptions, Timeout

    client = genai_base.SyncAPIClient(version="1.0.0", base_url=url)
    rows: list[list[Any]] = []

    def add(what: str, cost: float, needed: str, note: str = "") -> None:
        rows.append([what, cost, needed, note])

    options = FinalRequestOptions(method="get", url=PATH)
    try:
        from genai_base._call import Call

        call = Call(client, options)
        request = call.next_request()
    except Exception as exc:  # the core changed shape: skip what depends on it
        add("Call / next_request", float("nan"), "-", f"n/a ({type(exc).__name__})")
        return rows

    add("FinalRequestOptions(method, url)", _us(lambda: FinalRequestOptions(method="get", url=PATH)), "yes")
    add("Call(client, options) incl. RequestBuilder.build", _us(lambda: Call(client, options)), "yes")
    add(
        "Call.next_request (first attempt: the request as built; hook gates)",
        _us(call.next_request),
        "partly",
        "retries copy it with their retry count; records only when a hook listens",
    )
    add(
        "PreparedRequest.with_headers (one header added)",
        _us(lambda: request.with_headers(**{"x-genai-retry-count": "0"})),
        "yes",
        "dataclasses.replace() here would cost ~3x more",
    )
    hooks = getattr(client, "_hooks", None)
    if hooks is not None:
        from genai_base._hooks import RequestEvent
        from genai_base._options import redact_headers

        add(
            f"building + emitting one request record (hooks: {[type(h).__name__ for h in hooks.hooks]})",
            _us(
                lambda: hooks.emit(
                    "on_request",
                    RequestEvent(request.method, _request.redact_url(request.url), redact_headers(request.headers), 0),
                )
            ),
            "no, with logging off",
            "what a call pays per event when records are built for a hook that drops them",
        )
        bind = getattr(hooks, "bind", None)
        if bind is not None:
            add(
                "HookRunner.bind() per call",
                _us(bind),
                "partly",
                "one small object; gates are asked per event, the call id is made on first use",
            )
    try:
        from genai_base._parse import is_raw_response_type

        add("is_raw_response_type(dict)", _us(lambda: is_raw_response_type(dict)), "no", "cacheable per cast_to")
    except ImportError:
        pass
    add("uuid4() (idempotency key; POST only when configured)", _us(uuid.uuid4), "only non-GET", "skipped on GET")
    add("Timeout.coerce(client timeout)", _us(lambda: Timeout.coerce(client.timeout)), "yes")

    import backoff

    def one() -> int:
        return 1

    wrapped = backoff.on_predicate(
        backoff.runtime, predicate=lambda _: False, value=lambda _: 0, jitter=None, max_tries=None, logger=None
    )(one)
    add(
        "backoff.on_predicate wrapper around a successful attempt",
        _us(wrapped) - _us(one),
        "no",
        "not paid: the first attempt runs outside the loop, backoff takes over after a failure",
    )

    session = client._shared.session if hasattr(client, "_shared") else requests.Session()
    headers = dict(request.headers)

    def prepare() -> Any:
        return session.prepare_request(requests.Request(request.method, request.url, headers=headers))

    add(
        f"requests Session.prepare_request ({len(headers)} headers, trust_env={session.trust_env})",
        _us(prepare, 500),
        "no",
        "merges cookies/hooks/params/netrc; runtime-Protocol isinstance checks in requests 2.34",
    )

    def direct() -> Any:
        p = requests.PreparedRequest()
        p.method = request.method
        p.url = request.url
        merged = requests.structures.CaseInsensitiveDict(session.headers)
        merged.update(headers)
        p.headers = merged
        p.body = None
        p._cookies = requests.cookies.RequestsCookieJar()  # type: ignore[attr-defined]
        return p

    add("direct requests.PreparedRequest (headers merged, URL already prepared)", _us(direct), "yes")
    add(
        "requests PreparedRequest.prepare_url",
        _us(lambda: requests.PreparedRequest().prepare_url(request.url, None)),
        "cacheable",
        "same URL string -> same result",
    )
    add(
        "requests get_netrc_auth(url) (trust_env, inside prepare_request)",
        _us(lambda: requests.utils.get_netrc_auth(request.url), 500),
        "no",
        "once per origin is enough",
    )
    add(
        "requests Session.merge_environment_settings",
        _us(lambda: session.merge_environment_settings(request.url, {}, None, None, None), 500),
        "no",
        "genai_base already caches it per origin",
    )
    add(
        "aiohttp.ClientTimeout(...) creation",
        _us(lambda: aiohttp.ClientTimeout(total=None, connect=65, sock_connect=5, sock_read=60)),
        "no",
        "cached per Timeout already (client_timeout)",
    )
    try:
        from genai_base import _plugins

        info = _plugins.discover.cache_info()
        for _ in range(50):
            client.get(PATH, cast_to=dict)
        after = _plugins.discover.cache_info()
        add(
            "entry-point scan (_plugins.discover) during 50 calls",
            float(after.hits + after.misses - info.hits - info.misses),
            "no",
            "count of discover() calls, not us: 0 means none per call",
        )
    except (ImportError, AttributeError):
        pass
    from importlib.metadata import entry_points

    add(
        "importlib.metadata.entry_points(group=...) if it were per call",
        _us(lambda: entry_points(group="genai_base.hooks"), 20),
        "no",
        "for scale",
    )
    client.close()
    return rows


def aiohttp_trust_env(url: str, n: int) -> list[list[Any]]:
    """Raw aiohttp GETs with trust_env False/True and with a trace config: us per request (CPU)."""

    async def run() -> list[list[Any]]:
        rows = []
        for label, kwargs in (
            ("raw aiohttp, trust_env=False", {}),
            ("raw aiohttp, trust_env=True (netrc + proxy lookups in a thread, per request)", {"trust_env": True}),
            ("raw aiohttp, one TraceConfig with 3 callbacks", {"trace_configs": [_trace_config()]}),
        ):
            async with aiohttp.ClientSession(**kwargs) as session:
                for _ in range(50):
                    async with session.get(url + PATH) as resp:
                        await resp.read()
                best = float("inf")
                for _ in range(3):
                    cpu = time.process_time()
                    for _ in range(n):
                        async with session.get(url + PATH) as resp:
                            json.loads(await resp.read())
                    best = min(best, (time.process_time() - cpu) / n * 1e6)
                rows.append([label, best, "-", "client CPU us per request over loopback"])
        return rows

    return asyncio.run(run())


def _trace_config() -> aiohttp.TraceConfig:
    async def noop(*_: Any) -> None:
        return None

    config = aiohttp.TraceConfig()
    config.on_connection_queued_start.append(noop)
    config.on_connection_queued_end.append(noop)
    config.on_connection_create_start.append(noop)
    return config


def _top(profile: cProfile.Profile, n: int, calls: int) -> list[list[Any]]:
    stats = pstats.Stats(profile, stream=io.StringIO())
    rows = []
    entries = sorted(stats.stats.items(), key=lambda kv: kv[1][2], reverse=True)  # type: ignore[attr-defined]
    for (filename, line, func), (_cc, ncalls, tottime, cumtime, _callers) in entries[:n]:
        where = filename.split("site-packages/")[-1].split("/lib/python3")[-1]
        where = where.replace(str(Path(__file__).resolve().parent.parent) + "/", "")
        rows.append([f"{where}:{line}({func})", ncalls / calls, tottime / calls * 1e6, cumtime / calls * 1e6])
    return rows


def profiles(url: str, calls: int) -> tuple[list[list[Any]], list[list[Any]]]:
    """cProfile of ``calls`` sync and async GETs: top functions by own time."""
    import genai_base

    client = genai_base.SyncAPIClient(version="1.0.0", base_url=url)
    for _ in range(100):
        client.get(PATH, cast_to=dict)
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(calls):
        client.get(PATH, cast_to=dict)
    profile.disable()
    client.close()
    sync_rows = _top(profile, 25, calls)

    async def run() -> cProfile.Profile:
        aclient = genai_base.AsyncAPIClient(version="1.0.0", base_url=url)
        for _ in range(100):
            await aclient.get(PATH, cast_to=dict)
        prof = cProfile.Profile()
        prof.enable()
        for _ in range(calls):
            await aclient.get(PATH, cast_to=dict)
        prof.disable()
        await aclient.close()
        return prof

    async_rows = _top(asyncio.run(run()), 25, calls)
    return sync_rows, async_rows


def main() -> None:
    """Print the per-call cost table and the two profiles."""
    header("profile_calls")
    calls = 500 if quick() else 2000
    with LoopbackServer() as url:
        rows = per_call_costs(url)
        rows += aiohttp_trust_env(url, calls // 2)
        print_table(
            "per-call pieces of work (us per call, best of 5; no network unless noted)",
            ["piece of work", "us/call", "needed per call?", "note"],
            rows,
        )
        sync_rows, async_rows = profiles(url, calls)
    headers = ["function", "calls/request", "own us/request", "cumulative us/request"]
    note = ["cProfile adds its own overhead (about 2x on Python-heavy code): compare rows, not totals."]
    print_table(f"cProfile, sync SyncAPIClient.get ({calls} calls): top by own time", headers, sync_rows, note)
    print_table(f"cProfile, async AsyncAPIClient.get ({calls} calls): top by own time", headers, async_rows, note)


if __name__ == "__main__":
    main()
