"""genai-base-msgpack end to end: selected by name from every source, on both clients, against the fake server."""

from __future__ import annotations

import asyncio
import datetime
import enum
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any, Callable

import msgpack
import pytest
from genai_base_msgpack import MsgpackDecodeError, MsgpackSerializer

from genai_base import (
    APIResponseValidationError,
    AsyncAPIClient,
    ClientContainer,
    PluginNotFoundError,
    SyncAPIClient,
)
from genai_base.testing import FakeAPIServer


def call(kind: str, fn: Callable[[Any], Any], **kwargs: Any) -> Any:
    """Build a client of ``kind``, run ``fn(client)`` (awaited on the async client), close it."""
    kwargs.setdefault("version", "1.0.0")
    if kind == "sync":
        with SyncAPIClient(**kwargs) as client:
            return fn(client)

    async def main() -> Any:
        async with AsyncAPIClient(**kwargs) as client:
            return await fn(client)

    return asyncio.run(main())


@pytest.fixture(params=["sync", "async"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def msgpack_container() -> ClientContainer:
    container = ClientContainer()
    container.config.from_dict({"serializer": "msgpack"})
    return container


# -- the serializer on its own ---------------------------------------------------------------


class Color(enum.Enum):
    RED = "red"


def test_round_trip_keeps_bytes_and_nesting() -> None:
    serializer = MsgpackSerializer()
    data = {"name": "é", "blob": b"\x00\xff", "n": [1, 2.5, None, True], "nested": {"k": {"x": -1}}}
    assert serializer.loads(serializer.dumps(data)) == data


def test_plain_shapes_for_dates_enums_sets_and_models() -> None:
    class Thing:
        def to_dict(self) -> dict[str, Any]:
            return {"id": "1"}

    serializer = MsgpackSerializer()
    packed = serializer.dumps(
        {"when": datetime.date(2024, 1, 2), "color": Color.RED, "tags": {"a"}, "thing": Thing()}
    )
    assert serializer.loads(packed) == {"when": "2024-01-02", "color": "red", "tags": ["a"], "thing": {"id": "1"}}
    with pytest.raises(TypeError, match="object"):
        serializer.dumps({"x": object()})


@pytest.mark.parametrize("raw", [b"", b"\xc1", b"\x92\x01", msgpack.packb(1) + msgpack.packb(2), b"\xa2\xff\xfe"])
def test_malformed_input_raises_value_error(raw: bytes) -> None:
    with pytest.raises(MsgpackDecodeError) as info:
        MsgpackSerializer().loads(raw)
    assert isinstance(info.value, ValueError)


def test_media_types() -> None:
    assert MsgpackSerializer().media_types[:2] == ("application/msgpack", "application/x-msgpack")


# -- end to end ------------------------------------------------------------------------------


def test_body_sent_and_answer_decoded_as_msgpack(kind: str, fake_api: FakeAPIServer) -> None:
    body = {"a": 1, "blob": b"\x00\x01", "list": ["x", {"y": None}]}
    echo = call(
        kind,
        lambda c: c.post("/msgpack/echo", cast_to=dict, body=body),
        base_url=fake_api.url,
        container=msgpack_container(),
    )
    assert echo["content_type"] == "application/msgpack"
    assert echo["body"] == body
    (received,) = fake_api.requests_to("/msgpack/echo")
    assert received.headers["content-type"] == "application/msgpack"
    assert msgpack.unpackb(received.body) == body


def test_x_msgpack_answers_and_json_answers_both_decode(kind: str, fake_api: FakeAPIServer) -> None:
    async_or_sync_calls = (
        lambda c: c.get("/msgpack/echo?as=x-msgpack", cast_to=dict),
        lambda c: c.get("/echo", cast_to=dict),  # a JSON answer while the body serializer is msgpack
    )
    for fn in async_or_sync_calls:
        answer = call(kind, fn, base_url=fake_api.url, container=msgpack_container())
        assert answer["method"] == "GET"


def test_extra_serializer_decodes_msgpack_while_bodies_stay_json(kind: str, fake_api: FakeAPIServer) -> None:
    container = ClientContainer()
    container.config.from_dict({"serializers": ["msgpack"]})
    echo = call(
        kind, lambda c: c.post("/msgpack/echo", cast_to=dict, body={"a": 1}), base_url=fake_api.url, container=container
    )
    assert echo["content_type"] == "application/json"
    assert echo["body"] == '{"a":1}'


def test_a_malformed_msgpack_answer_is_a_validation_error(kind: str, fake_api: FakeAPIServer) -> None:
    with pytest.raises(APIResponseValidationError):
        call(
            kind,
            lambda c: c.get("/msgpack/echo?broken=1", cast_to=dict),
            base_url=fake_api.url,
            container=msgpack_container(),
        )


# -- selection by name from every source -----------------------------------------------------


def _post_through(container: ClientContainer, server: FakeAPIServer) -> str:
    with SyncAPIClient(version="1", base_url=server.url, container=container) as client:
        echo = client.post("/msgpack/echo", cast_to=dict, body={"k": "v"})
    assert echo["body"] == {"k": "v"}
    return str(echo["content_type"])


def test_selected_by_environment(fake_api: FakeAPIServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GENAI_BASE_SERIALIZER", "msgpack")
    assert _post_through(ClientContainer(), fake_api) == "application/msgpack"


def test_selected_by_yaml(fake_api: FakeAPIServer, tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("serializer: msgpack\n")
    container = ClientContainer()
    container.config.from_yaml(str(path), required=True)
    assert _post_through(container, fake_api) == "application/msgpack"


def test_selected_by_ini(fake_api: FakeAPIServer, tmp_path: Path) -> None:
    path = tmp_path / "config.ini"
    path.write_text("[genai_base]\nserializer = genai-base-msgpack:msgpack\n")
    container = ClientContainer()
    container.config.from_ini(str(path), required=True)
    assert _post_through(container, fake_api) == "application/msgpack"


def test_selected_by_override(fake_api: FakeAPIServer) -> None:
    container = ClientContainer()
    with container.serializer.override("msgpack"):
        assert _post_through(container, fake_api) == "application/msgpack"


def test_unknown_and_disabled(monkeypatch: pytest.MonkeyPatch) -> None:
    container = ClientContainer()
    container.config.from_dict({"serializer": "msgpak"})
    with pytest.raises(PluginNotFoundError, match=r"msgpak.*available:.*msgpack"):
        SyncAPIClient(version="1", base_url="http://127.0.0.1:9", container=container)
    monkeypatch.setenv("GENAI_BASE_DISABLE_PLUGINS", "genai-base-msgpack")
    with pytest.raises(PluginNotFoundError, match="disabled"):
        SyncAPIClient(version="1", base_url="http://127.0.0.1:9", container=msgpack_container())


def test_imported_only_when_selected() -> None:
    script = textwrap.dedent(
        """
        import sys
        from genai_base import ClientContainer, SyncAPIClient
        SyncAPIClient(version="1", base_url="http://127.0.0.1:9").close()
        assert "genai_base_msgpack" not in sys.modules and "msgpack" not in sys.modules, "imported too early"
        container = ClientContainer()
        container.config.from_dict({"serializer": "msgpack"})
        SyncAPIClient(version="1", base_url="http://127.0.0.1:9", container=container).close()
        assert "genai_base_msgpack" in sys.modules
        print("ok")
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
