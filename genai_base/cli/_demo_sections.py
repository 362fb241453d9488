"""The demo's five parts, once per shell; what they check and print is written once, below."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from ._common import to_json
from ._demo import UI, DemoHook, NotAvailable, Part, Stats, demo_container, run_async_parts, run_parts

__all__ = ["run_sync", "run_async", "FLAKY", "SSE", "LISTING", "LISTING_TOTAL", "PLUGIN", "PLUGIN_DISTRIBUTION"]

FLAKY = "/flaky"
SSE = "/sse?count=5&delay_ms=50"
# Each page takes a moment on the server, as a real API's would: long enough to see the progress display.
PAGE_DELAY_MS = 150
LISTING = f"/items/cursor?total=300&limit=50&delay_ms={PAGE_DELAY_MS}"
LISTING_TOTAL = 300
PLUGIN = "msgpack"
PLUGIN_DISTRIBUTION = "genai-base-msgpack"
PLUGIN_PATH = "/echo/plugin"
PAYLOAD = {"model": "demo", "prompt": "Say hello", "temperature": 0.5, "stop": ["\n"], "stream": False}
CONCURRENT = 10


def _flaky_replies() -> list[Any]:
    from ..testing import Reply

    return [
        Reply(status=503, headers={"retry-after-ms": "50"}, json={"error": {"message": "overloaded, retry soon"}}),
        Reply(status=503, json={"error": {"message": "still overloaded"}}),
        Reply(json={"ok": True, "answer": 42}),
    ]


def _client_kwargs(server: Any, container: Any) -> dict[str, Any]:
    from .._version import __version__

    return {"version": __version__, "base_url": server.url, "container": container}


def _millis(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


# -- what each part shows (shared by both shells) ---------------------------


def _report_plain(ui: UI, response: Any, body: dict[str, Any]) -> None:
    ui.line(
        f"{response.status_code} in {_millis(response.elapsed.total_seconds())}, "
        f"request id {response.headers.get('x-request-id')}"
    )
    headers = body.get("headers", {})
    ui.line(f"the server saw {body.get('method')} {body.get('path')} with User-Agent: {headers.get('user-agent')}")


def _report_retried(ui: UI, response: Any, body: Any) -> None:
    ui.line(f"{response.status_code} after {response.retries_taken} retries: {to_json(body, indent=None)}")


def _report_event(ui: UI, stats: Stats, started: float, event: Any) -> None:
    stats.events += 1
    shown = event if isinstance(event, str) else to_json(event, indent=None)
    ui.line(f"+{time.monotonic() - started:.3f} s  {shown}")


def _check_item(item: Any, position: int) -> None:
    index = item.get("index") if isinstance(item, dict) else getattr(item, "index", None)
    if index != position:
        raise AssertionError(f"item {position} of the listing came back as {item!r}")


class _ListingTally:
    """What both demo listings do per item and at the end; the loops differ only by ``async for``."""

    def __init__(self, ui: UI, stats: Stats) -> None:
        self.ui, self.stats = ui, stats
        self.started, self.calls_before, self.count = time.monotonic(), stats.calls, 0
        self.progress = ui.progress("items", LISTING_TOTAL)

    def add(self, item: Any) -> None:
        _check_item(item, self.count)
        self.count += 1
        self.stats.items += 1
        self.progress.update(self.count, f"page {self.stats.calls - self.calls_before}")

    def __enter__(self) -> "_ListingTally":
        return self

    def __exit__(self, exc_type: Any, *_: Any) -> None:
        self.progress.finish()
        if exc_type is None:
            pages = self.stats.calls - self.calls_before
            self.ui.line(f"{self.count} items in {pages} pages, {time.monotonic() - self.started:.2f} s")


def _plugin_info() -> Any:
    from .. import _plugins

    offered = _plugins.discover().get("serializers", ())
    found = [info for info in offered if info.name == PLUGIN]
    if not found:
        names = ", ".join(info.name for info in offered) or "none"
        raise NotAvailable(
            f"not installed: no distribution offers a {PLUGIN!r} serializer (installed serializers: {names}); "
            f"'pip install {PLUGIN_DISTRIBUTION}' adds it"
        )
    disabled = _plugins.disabled_specs()
    enabled = [info for info in found if not _plugins.is_disabled(info, disabled)]
    if not enabled:
        raise NotAvailable(
            f"installed but disabled by {_plugins.DISABLE_ENV}: {found[0].label}; "
            f"take it out of {_plugins.DISABLE_ENV} to see this part"
        )
    return enabled[0]


def _plugin_spec(ui: UI, info: Any) -> str:
    """``msgpack``, or ``distribution:msgpack`` when several distributions offer that name."""
    from .. import _plugins

    offered = [other for other in _plugins.discover().get("serializers", ()) if other.name == PLUGIN]
    if len(offered) == 1:
        return PLUGIN
    spec = f"{info.distribution}:{PLUGIN}"
    others = ", ".join(f"{other.distribution} {other.version}" for other in offered)
    ui.line(f"{PLUGIN!r} is offered by several distributions ({others}); choosing {spec!r}")
    return spec


def _plugin_container(ui: UI, hook: DemoHook, info: Any) -> Any:
    return demo_container(hook, {"serializer": _plugin_spec(ui, info), "serializers": ["json"]})


def _not_usable(info: Any, exc: Exception) -> NotAvailable:
    return NotAvailable(f"installed but not usable here: {type(exc).__name__}: {exc}")


def _report_plugin(ui: UI, info: Any, server: Any, container: Any, echo: Any) -> None:
    sent = server.requests_to(PLUGIN_PATH)[-1]
    as_json = json.dumps(PAYLOAD, separators=(",", ":")).encode()
    ui.line(f"serializer {PLUGIN!r} is {info.value} from {info.distribution} {info.version}")
    ui.line(
        f"POST {PLUGIN_PATH} sent {len(sent.body)} bytes of {sent.headers.get('content-type')} "
        f"(as JSON: {len(as_json)} bytes):"
    )
    ui.hex_line("bytes:", sent.body, indent=4)
    back = container.serializer().loads(sent.body)
    same = "the same data" if back == PAYLOAD else repr(back)
    echoed = echo.get("content_type") if isinstance(echo, dict) else None
    ui.line(f"the server got {echoed}; the plugin decodes the bytes back to {same}")


# -- sync -------------------------------------------------------------------


def run_sync(ui: UI, stats: Stats, server: Any, hook: DemoHook, debug: bool) -> None:
    """The five parts with :class:`~genai_base.SyncAPIClient`."""
    from .._sync import SyncAPIClient

    with SyncAPIClient(**_client_kwargs(server, demo_container(hook))) as client:
        parts: list[Part] = [
            (1, "GET /echo", lambda: _plain(ui, client)),
            (2, f"GET {FLAKY} answers 503, 503, then 200", lambda: _retried(ui, server, hook, client)),
            (3, f"GET {SSE}, printed as it arrives", lambda: _streamed(ui, stats, client)),
            (4, f"GET {LISTING} with the cursor paginator", lambda: _listing(ui, stats, client)),
            (5, f"the {PLUGIN!r} serializer", lambda: _plugin(ui, server, hook)),
        ]
        run_parts(ui, stats, "sync", parts, debug)


def _plain(ui: UI, client: Any) -> None:
    from .._response import APIResponse

    response = client.get("/echo", cast_to=APIResponse[dict[str, Any]])
    _report_plain(ui, response, response.parse())


def _retried(ui: UI, server: Any, hook: DemoHook, client: Any) -> None:
    from .._response import APIResponse

    server.script(FLAKY, _flaky_replies())
    hook.narrate = True
    try:
        response = client.get(FLAKY, cast_to=APIResponse[dict[str, Any]])
    finally:
        hook.narrate = False
    _report_retried(ui, response, response.parse())


def _streamed(ui: UI, stats: Stats, client: Any) -> None:
    started = time.monotonic()
    stream = client.get(SSE, cast_to=dict, stream=True)
    count = 0
    try:
        for event in stream:
            count += 1
            _report_event(ui, stats, started, event)
    finally:
        stream.close()
    ui.line(f"{count} events in {time.monotonic() - started:.2f} s")


def _listing(ui: UI, stats: Stats, client: Any) -> None:
    with _ListingTally(ui, stats) as tally:
        for item in client.get_api_list(LISTING, model=dict, paginator="cursor"):
            tally.add(item)


def _plugin(ui: UI, server: Any, hook: DemoHook) -> None:
    from .._errors import ConfigurationError
    from .._sync import SyncAPIClient

    info = _plugin_info()
    container = _plugin_container(ui, hook, info)
    try:
        client = SyncAPIClient(**_client_kwargs(server, container))
    except ConfigurationError as exc:
        raise _not_usable(info, exc) from exc
    with client:
        echo = client.post(PLUGIN_PATH, cast_to=dict, body=PAYLOAD)
    _report_plugin(ui, info, server, container, echo)


# -- async ------------------------------------------------------------------


async def run_async(ui: UI, stats: Stats, server: Any, hook: DemoHook, debug: bool) -> None:
    """The five parts with :class:`~genai_base.AsyncAPIClient`."""
    from .._async import AsyncAPIClient

    async with AsyncAPIClient(**_client_kwargs(server, demo_container(hook))) as client:
        parts: list[Part] = [
            (1, f"GET /echo, then {CONCURRENT} at once", lambda: _aplain(ui, client)),
            (2, f"GET {FLAKY} answers 503, 503, then 200", lambda: _aretried(ui, server, hook, client)),
            (3, f"GET {SSE}, printed as it arrives", lambda: _astreamed(ui, stats, client)),
            (4, f"GET {LISTING} with the cursor paginator", lambda: _alisting(ui, stats, client)),
            (5, f"the {PLUGIN!r} serializer", lambda: _aplugin(ui, server, hook)),
        ]
        await run_async_parts(ui, stats, "async", parts, debug)


async def _aplain(ui: UI, client: Any) -> None:
    from .._options import make_request_options
    from .._response import APIResponse

    response = await client.get("/echo", cast_to=APIResponse[dict[str, Any]])
    _report_plain(ui, response, await response.parse())
    started = time.monotonic()
    answers = await asyncio.gather(
        *(
            client.get("/echo", cast_to=dict, options=make_request_options(extra_query={"n": n}))
            for n in range(CONCURRENT)
        )
    )
    seen = sorted(int(answer["query"]["n"][0]) for answer in answers)
    if seen != list(range(CONCURRENT)):
        raise AssertionError(f"concurrent calls came back as {seen}")
    ui.line(f"{len(answers)} calls at once with asyncio.gather: all answered in {_millis(time.monotonic() - started)}")


async def _aretried(ui: UI, server: Any, hook: DemoHook, client: Any) -> None:
    from .._response import APIResponse

    server.script(FLAKY, _flaky_replies())
    hook.narrate = True
    try:
        response = await client.get(FLAKY, cast_to=APIResponse[dict[str, Any]])
    finally:
        hook.narrate = False
    _report_retried(ui, response, await response.parse())


async def _astreamed(ui: UI, stats: Stats, client: Any) -> None:
    started = time.monotonic()
    stream = await client.get(SSE, cast_to=dict, stream=True)
    count = 0
    try:
        async for event in stream:
            count += 1
            _report_event(ui, stats, started, event)
    finally:
        await stream.close()
    ui.line(f"{count} events in {time.monotonic() - started:.2f} s")


async def _alisting(ui: UI, stats: Stats, client: Any) -> None:
    with _ListingTally(ui, stats) as tally:
        async for item in client.get_api_list(LISTING, model=dict, paginator="cursor"):
            tally.add(item)


async def _aplugin(ui: UI, server: Any, hook: DemoHook) -> None:
    from .._async import AsyncAPIClient
    from .._errors import ConfigurationError

    info = _plugin_info()
    container = _plugin_container(ui, hook, info)
    try:
        client = AsyncAPIClient(**_client_kwargs(server, container))
    except ConfigurationError as exc:
        raise _not_usable(info, exc) from exc
    async with client:
        echo = await client.post(PLUGIN_PATH, cast_to=dict, body=PAYLOAD)
    _report_plugin(ui, info, server, container, echo)
