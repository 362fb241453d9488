"""Stream protocols on both shells: openai, anthropic, raw, per client and per Stream class; typed streams; plugins."""

from __future__ import annotations

import importlib
import sys
import textwrap
from pathlib import Path
from typing import Any, Iterator, Literal, Union

import pytest

from genai_base import (
    APIError,
    APIResponseValidationError,
    APIStatusError,
    AsyncStream,
    ClientContainer,
    ConfigurationError,
    InternalServerError,
    Model,
    PluginNotFoundError,
    RateLimitError,
    ServerSentEvent,
    Stream,
    StreamContext,
    StreamProtocol,
    StreamSignal,
    Timeout,
    _plugins,
)
from genai_base.testing import Reply

from .conftest import Shell

E = ServerSentEvent


class MessageStart(Model):
    type: Literal["message_start"]
    id: str


class ContentDelta(Model):
    type: Literal["content_block_delta"]
    index: int
    text: str


class MessageStop(Model):
    type: Literal["message_stop"]


Event = Union[MessageStart, ContentDelta, MessageStop]

ANTHROPIC_EVENTS = [
    E(event="message_start", data='{"type": "message_start", "id": "msg_1"}'),
    E(event="ping", data='{"type": "ping"}'),
    E(event="content_block_delta", data='{"type": "content_block_delta", "index": 0, "text": "Hel"}'),
    E(event="ping", data='{"type": "ping"}'),
    E(event="content_block_delta", data='{"type": "content_block_delta", "index": 0, "text": "lo"}'),
    E(event="message_stop", data='{"type": "message_stop"}'),
]


def overloaded(kind: str = "overloaded_error") -> ServerSentEvent:
    return E(event="error", data=f'{{"type": "error", "error": {{"type": "{kind}", "message": "busy"}}}}')


class MessageStream(Stream[Event]):
    protocol = "anthropic"


class AsyncMessageStream(AsyncStream[Event]):
    protocol = "anthropic"


class Chunk(Model):
    index: int
    text: str


class ChunkStream(Stream[Chunk]):
    pass


class AsyncChunkStream(AsyncStream[Chunk]):
    pass


def stream(shell: Shell, client: Any, path: str, *, cast_to: Any = dict, cls: Any = None, **kwargs: Any) -> Any:
    return shell.run(client.get(path, cast_to=cast_to, stream=True, stream_cls=cls, **kwargs))


def pick(shell: Shell, sync_cls: Any, async_cls: Any) -> Any:
    return async_cls if shell.is_async else sync_cls


def collect_into(shell: Shell, iterable: Any, seen: list[Any]) -> None:
    """Append every item to ``seen`` as it arrives (so a test sees what came before an error)."""
    if shell.is_async:

        async def run() -> None:
            async for item in iterable:
                seen.append(item)

        shell.run(run())
    else:
        for item in iterable:
            seen.append(item)


# -- openai (the default) -----------------------------------------------------------------------


def test_openai_is_the_default_and_skips_events_without_data(shell: Shell) -> None:
    shell.server.script("/s", Reply(events=[E(id="1"), E(retry=5), {"a": 1}, "[DONE]", {"a": 2}]))
    client = shell.client()
    assert type(client._stream_protocol).__name__ == "OpenAIStreamProtocol"
    assert shell.collect(stream(shell, client, "/s")) == [{"a": 1}]


def test_openai_error_event_raises_api_error_with_the_body(shell: Shell) -> None:
    shell.server.script("/s", Reply(events=[{"a": 1}, E(event="error", data='{"message": "bad", "code": 7}')]))
    seen: list[Any] = []
    with pytest.raises(APIError, match="the stream sent an error") as info:
        collect_into(shell, stream(shell, shell.client(), "/s"), seen)
    assert seen == [{"a": 1}]
    assert info.value.body == {"message": "bad", "code": 7}
    assert not isinstance(info.value, APIStatusError)


# -- anthropic ----------------------------------------------------------------------------------


def test_anthropic_skips_pings_and_loads_named_events_into_a_typed_union(shell: Shell) -> None:
    shell.server.script("/m", Reply(events=ANTHROPIC_EVENTS))
    client = shell.client(stream_protocol="anthropic", _strict_response_validation=True)
    cls = pick(shell, Stream[Event], AsyncStream[Event])
    items = shell.collect(stream(shell, client, "/m", cast_to=Event, cls=cls))
    assert [type(i).__name__ for i in items] == ["MessageStart", "ContentDelta", "ContentDelta", "MessageStop"]
    assert "".join(i.text for i in items if isinstance(i, ContentDelta)) == "Hello"
    assert items[0].id == "msg_1"


def test_a_strict_client_refuses_an_event_no_member_of_the_union_fits(shell: Shell) -> None:
    unknown = E(event="message_delta", data='{"type": "message_delta", "usage": {}}')
    shell.server.script("/m", Reply(events=[ANTHROPIC_EVENTS[0], unknown]))
    client = shell.client(stream_protocol="anthropic", _strict_response_validation=True)
    seen: list[Any] = []
    with pytest.raises(APIResponseValidationError, match="type"):
        collect_into(shell, stream(shell, client, "/m", cast_to=Event), seen)
    assert [type(i).__name__ for i in seen] == ["MessageStart"]


@pytest.mark.parametrize(("kind", "status", "cls"), [
    ("overloaded_error", 529, InternalServerError),
    ("rate_limit_error", 429, RateLimitError),
    ("invalid_request_error", 400, APIStatusError),
    ("something_new", 500, InternalServerError),
])
def test_anthropic_error_event_raises_the_status_error_of_its_type(
    shell: Shell, kind: str, status: int, cls: type
) -> None:
    shell.server.script("/m", Reply(events=[*ANTHROPIC_EVENTS[:3], overloaded(kind)]))
    client = shell.client(stream_protocol="anthropic")
    seen: list[Any] = []
    with pytest.raises(cls) as info:
        collect_into(shell, stream(shell, client, "/m", cast_to=Event), seen)
    error = info.value
    assert isinstance(error, APIStatusError) and error.status_code == status
    assert error.body == {"type": "error", "error": {"type": kind, "message": "busy"}}
    assert error.type == kind and kind in str(error) and "busy" in str(error)
    assert error.response.headers["content-type"] == "text/event-stream"
    assert len(seen) == 2  # message_start and the first delta; the ping gave nothing


class AcmeOverloaded(APIStatusError):
    pass


def test_anthropic_errors_go_through_the_sdks_make_status_error(shell: Shell) -> None:
    base = pick(shell, __import__("genai_base").SyncAPIClient, __import__("genai_base").AsyncAPIClient)

    class AcmeClient(base):  # type: ignore[misc, valid-type]
        def _make_status_error(self, err_msg: str, *, body: object, response: Any) -> APIStatusError:
            if response.status_code == 529:
                return AcmeOverloaded(err_msg, response=response, body=body)
            return super()._make_status_error(err_msg, body=body, response=response)

    client = AcmeClient(version="1", base_url=shell.server.url)
    shell._clients.append(client)
    shell.server.script("/m", Reply(events=[overloaded()]))
    with pytest.raises(AcmeOverloaded) as info:
        shell.collect(stream(shell, client, "/m", cls=pick(shell, MessageStream, AsyncMessageStream)))
    assert info.value.status_code == 529


def test_a_stream_class_names_its_own_protocol_over_the_clients(shell: Shell) -> None:
    shell.server.script("/m", Reply(events=ANTHROPIC_EVENTS))
    client = shell.client()  # openai by default; the class says anthropic
    items = shell.collect(stream(shell, client, "/m", cls=pick(shell, MessageStream, AsyncMessageStream)))
    assert [type(i).__name__ for i in items] == ["MessageStart", "ContentDelta", "ContentDelta", "MessageStop"]
    # The same body through the client's protocol: pings are items there.
    assert len(shell.collect(stream(shell, client, "/m"))) == 6


# -- raw ----------------------------------------------------------------------------------------


def test_raw_yields_every_event_as_it_came(shell: Shell) -> None:
    shell.server.script("/r", Reply(events=[E(event="error", id="7", data="not json"), E(retry=30), "[DONE]", "x"]))
    client = shell.client(stream_protocol="raw")
    items = shell.collect(stream(shell, client, "/r"))
    assert items == [E("error", "not json", "7", None), E(None, "", "7", 30), E(None, "[DONE]", "7"), E(None, "x", "7")]


# -- typed streams ------------------------------------------------------------------------------


def test_a_concrete_stream_subclass_yields_its_type_argument(shell: Shell) -> None:
    client = shell.client()
    cls = pick(shell, ChunkStream, AsyncChunkStream)
    items = shell.collect(stream(shell, client, "/sse?count=2", cast_to=dict, cls=cls))  # cast_to does not win
    assert [type(i) for i in items] == [Chunk, Chunk] and items[1].text == "event 1"
    made = stream(shell, client, "/sse?count=1", cls=cls)
    assert isinstance(made, cls)
    shell.run(made.close())


def test_a_generic_subclass_takes_its_argument_at_the_call(shell: Shell) -> None:
    from typing import TypeVar

    T = TypeVar("T")

    class Mine(Stream[T]):  # type: ignore[misc]
        pass

    class AsyncMine(AsyncStream[T]):  # type: ignore[misc]
        pass

    cls = pick(shell, Mine, AsyncMine)
    assert [type(i) for i in shell.collect(stream(shell, shell.client(), "/sse?count=1", cls=cls[Chunk]))] == [Chunk]
    assert shell.collect(stream(shell, shell.client(), "/sse?count=1", cast_to=dict, cls=cls)) == [
        {"index": 0, "text": "event 0"}
    ]


def test_item_type_is_read_through_several_levels_of_subclassing() -> None:
    class Base(ChunkStream):
        pass

    class Leaf(Base):
        protocol = "raw"

    assert Leaf._item_type is Chunk and Base._item_type is Chunk
    assert Stream._item_type is not Chunk


# -- overriding ---------------------------------------------------------------------------------


def test_overriding_handle_event_is_used_and_can_ask_the_protocol(shell: Shell) -> None:
    calls: list[str] = []

    def handle(self: Any, event: ServerSentEvent) -> Any:
        calls.append(event.data)
        if event.data == "skip me":
            return StreamSignal.SKIP
        item = super(type(self), self).handle_event(event)
        return item if isinstance(item, StreamSignal) else {"wrapped": item}

    cls = type("Wrapping", (pick(shell, Stream, AsyncStream),), {"handle_event": handle})
    shell.server.script("/s", Reply(events=[{"a": 1}, "skip me", {"a": 2}, "[DONE]"]))
    items = shell.collect(stream(shell, shell.client(), "/s", cls=cls))
    assert items == [{"wrapped": {"a": 1}}, {"wrapped": {"a": 2}}]
    assert len(calls) == 4


def test_overrides_genai_base_would_not_call_are_refused_when_the_class_is_made() -> None:
    with pytest.raises(TypeError, match=r"__stream__.*never call.*handle_event"):
        class SeedStyle(Stream[dict]):  # type: ignore[type-arg]
            def __stream__(self) -> Iterator[Any]:
                yield from ()

    with pytest.raises(TypeError, match="_iter_events"):
        class Other(AsyncStream[dict]):  # type: ignore[type-arg]
            def _iter_events(self) -> Any:
                return None


def test_a_protocol_attribute_that_is_not_a_protocol_is_refused() -> None:
    from genai_base import AnthropicStreamProtocol

    with pytest.raises(TypeError, match="a class; give an instance"):
        class ByClass(Stream[dict]):  # type: ignore[type-arg]
            protocol = AnthropicStreamProtocol  # type: ignore[assignment]

    with pytest.raises(TypeError, match="got a int"):
        class ByNumber(Stream[dict]):  # type: ignore[type-arg]
            protocol = 3  # type: ignore[assignment]

    class ByObject(Stream[dict]):  # type: ignore[type-arg]
        protocol = AnthropicStreamProtocol()

    assert isinstance(ByObject.protocol, StreamProtocol)


@pytest.mark.parametrize("base", [Stream, AsyncStream])
def test_a_misnamed_class_protocol_fails_when_the_class_is_made(base: Any) -> None:
    with pytest.raises(TypeError) as raised:

        class Typo(base[dict]):  # type: ignore[misc,valid-type]
            protocol = "anthropc"

    message = str(raised.value)
    assert "Typo.protocol = 'anthropc' names no installed stream protocol; " in message
    assert "genai_base.stream_protocols offers: " in message
    assert all(name in message for name in ("anthropic", "openai", "raw"))

    class ByDistribution(base[dict]):  # type: ignore[misc,valid-type]
        protocol = "genai-base:anthropic"  # distribution:name is a known protocol too

    assert ByDistribution.protocol == "genai-base:anthropic"


def test_a_class_protocol_disabled_at_call_time_fails_the_call_and_frees_the_connection(
    shell: Shell, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Named(Stream[dict]):  # type: ignore[type-arg]
        protocol = "anthropic"

    class AsyncNamed(AsyncStream[dict]):  # type: ignore[type-arg]
        protocol = "anthropic"

    container = ClientContainer()
    container.config.from_dict({"pool_size": 1})
    client = shell.client(container=container, timeout=Timeout(5, pool=1))
    monkeypatch.setenv("GENAI_BASE_DISABLE_PLUGINS", "stream_protocols:anthropic")
    for _ in range(3):  # a connection left open would block the second call on the one-connection pool
        with pytest.raises(PluginNotFoundError, match=r"'anthropic' in group genai_base\.stream_protocols.*disabled"):
            stream(shell, client, "/sse?count=50", cls=pick(shell, Named, AsyncNamed))
    assert shell.run(client.get("/echo", cast_to=dict))["method"] == "GET"


# -- selection and validation -------------------------------------------------------------------


def test_the_setting_comes_from_argument_configuration_or_environment(
    shell: Shell, monkeypatch: pytest.MonkeyPatch
) -> None:
    shell.server.script("/r", Reply(events=["[1]"]))
    monkeypatch.setenv("GENAI_BASE_STREAM_PROTOCOL", "raw")
    assert shell.collect(stream(shell, shell.client(), "/r")) == [E(data="[1]")]
    container = ClientContainer()
    container.config.from_dict({"stream_protocol": "openai"})
    by_config = shell.client(container=container)
    assert shell.collect(stream(shell, by_config, "/r")) == [[1]]  # configuration beats the environment...
    assert by_config._settings.source("stream_protocol") == "configuration"
    by_argument = shell.client(container=container, stream_protocol="raw")  # ... and an argument beats both
    assert by_argument._settings.source("stream_protocol") == "argument"
    assert type(by_argument.copy()._stream_protocol).__name__ == "RawStreamProtocol"
    assert type(by_argument.copy(stream_protocol="openai")._stream_protocol).__name__ == "OpenAIStreamProtocol"


def test_an_unknown_protocol_fails_when_the_client_is_built(shell: Shell, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(PluginNotFoundError) as info:
        shell.client(stream_protocol="gemini")
    message = str(info.value)
    assert "'gemini'" in message and "genai_base.stream_protocols" in message
    assert "anthropic, openai, raw" in message
    monkeypatch.setenv("GENAI_BASE_STREAM_PROTOCOL", "nope")
    with pytest.raises(PluginNotFoundError, match="'nope'"):
        shell.client()


def test_a_protocol_object_is_used_as_is_and_a_misfit_is_refused(shell: Shell) -> None:
    class Upper:
        def handle(self, event: ServerSentEvent, context: StreamContext) -> Any:
            return event.data.upper() if event.data else StreamSignal.END

    shell.server.script("/u", Reply(events=["ab", "cd", E(id="1"), "ef"]))
    assert shell.collect(stream(shell, shell.client(stream_protocol=Upper()), "/u")) == ["AB", "CD"]
    with pytest.raises(ConfigurationError, match="not a valid stream_protocols component"):
        shell.client(stream_protocol=object())


def test_the_protocol_can_load_items_and_make_errors_through_the_context(shell: Shell) -> None:
    class Strict:
        def handle(self, event: ServerSentEvent, context: StreamContext) -> Any:
            data = event.json()
            if data.get("fail"):
                raise context.error("it failed", body=data)
            return context.load(data)

    shell.server.script("/c", Reply(events=[{"index": 1, "text": "a"}, {"fail": True}]))
    client = shell.client(stream_protocol=Strict())
    seen: list[Any] = []
    with pytest.raises(APIError, match="the stream sent an error: it failed") as info:
        collect_into(shell, stream(shell, client, "/c", cast_to=Chunk), seen)
    assert seen == [Chunk(index=1, text="a")] and info.value.body == {"fail": True}
    assert info.value.request is not None and info.value.request.url.endswith("/c")


# -- a third-party protocol plugin --------------------------------------------------------------

PLUGIN = '''
    from genai_base import StreamSignal


    class InteractionsProtocol:
        """Gemini-Interactions style: an error event is an item of the stream, not an exception."""

        def handle(self, event, context):
            if event.data == "[DONE]":
                return StreamSignal.END
            data = event.json()
            return context.load({"kind": event.event or "message", **data})
'''


@pytest.fixture
def protocol_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A real distribution on sys.path offering ``genai_base.stream_protocols: interactions``."""
    (tmp_path / "gbt_streams.py").write_text(textwrap.dedent(PLUGIN))
    info = tmp_path / "gbt_streams-0.3.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: gbt-streams\nVersion: 0.3\n")
    (info / "entry_points.txt").write_text(
        "[genai_base.stream_protocols]\ninteractions = gbt_streams:InteractionsProtocol\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    _plugins.discover.cache_clear()
    try:
        yield "gbt-streams"
    finally:
        sys.modules.pop("gbt_streams", None)
        monkeypatch.undo()
        importlib.invalidate_caches()
        _plugins.discover.cache_clear()


def test_a_third_party_protocol_is_discovered_and_selected_by_name(
    shell: Shell, protocol_plugin: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    offered = {p.name: p for p in _plugins.discover()["stream_protocols"]}
    assert offered["interactions"].distribution == protocol_plugin and not offered["interactions"].builtin
    assert {"openai", "anthropic", "raw"} <= set(offered) and all(offered[n].builtin for n in ("openai", "raw"))
    events = [E(event="delta", data='{"text": "a"}'), E(event="error", data='{"code": 3}'), "[DONE]", {"late": 1}]
    shell.server.script("/i", Reply(events=events))
    client = shell.client(stream_protocol="interactions")
    assert shell.collect(stream(shell, client, "/i")) == [{"kind": "delta", "text": "a"}, {"kind": "error", "code": 3}]
    # By distribution-qualified name, and per Stream class, too.
    assert len(shell.collect(stream(shell, shell.client(stream_protocol="gbt-streams:interactions"), "/i"))) == 2
    # Disabled: the same discovery error as any plugin, saying why.
    monkeypatch.setenv("GENAI_BASE_DISABLE_PLUGINS", "stream_protocols:interactions")
    with pytest.raises(PluginNotFoundError, match=r"'interactions'.*disabled by GENAI_BASE_DISABLE_PLUGINS"):
        shell.client(stream_protocol="interactions")


def test_unknown_names_list_the_installed_third_party_protocols_too(shell: Shell, protocol_plugin: str) -> None:
    with pytest.raises(PluginNotFoundError, match=r"available: anthropic, interactions, openai, raw"):
        shell.client(stream_protocol="interaction")
