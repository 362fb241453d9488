"""Request encoding and response parsing details, on both shells against the fake server.

DESIGN.md, "Request encoding and response parsing details": bodies resent
from their start, NOT_GIVEN/omit left out, multipart bytes, one JSON
encoder, empty bodies as None, error bodies through the serializers,
checked header values, transport errors kept as the cause, and cookies kept
to their origin.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import io
import os
import threading
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any, AsyncIterator, Iterator

import aiohttp
import pytest
import requests

from genai_base import (
    NOT_GIVEN,
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    Model,
    make_request_options,
    omit,
)
from genai_base._container import ClientContainer
from genai_base._serializers import JSONSerializer, SerializerRegistry
from genai_base.testing import FakeAPIServer, Reply

from .conftest import Shell, closed_port

BUSY = Reply(503, headers={"retry-after-ms": "1"}, json={"error": {"message": "busy"}})
OK = Reply(200, json={"ok": True})


def bodies(server: FakeAPIServer, path: str) -> list[bytes]:
    return [r.body for r in server.requests_to(path)]


# -- 1. a body that is a file object is resent from its start ------------------------------------


def test_a_file_object_body_is_rewound_before_a_retry(shell: Shell) -> None:
    shell.server.script("/upload", [BUSY, BUSY, OK])
    client = shell.client(max_retries=3)
    assert shell.run(client.post("/upload", cast_to=dict, content=io.BytesIO(b"hello"))) == {"ok": True}
    assert bodies(shell.server, "/upload") == [b"hello"] * 3


def test_a_file_object_body_is_resent_from_where_it_started(shell: Shell) -> None:
    shell.server.script("/upload", [BUSY, OK])
    data = io.BytesIO(b"skip:hello")
    data.seek(5)
    shell.run(shell.client(max_retries=2).post("/upload", cast_to=dict, content=data))
    assert bodies(shell.server, "/upload") == [b"hello", b"hello"]


def test_a_real_file_body_is_rewound_before_a_retry(shell: Shell, tmp_path: Path) -> None:
    path = tmp_path / "data.bin"
    path.write_bytes(b"file bytes")
    shell.server.script("/upload", [BUSY, OK])
    with open(path, "rb") as f:
        shell.run(shell.client(max_retries=2).post("/upload", cast_to=dict, content=f))
    assert bodies(shell.server, "/upload") == [b"file bytes", b"file bytes"]


def _chunks(shell: Shell) -> Any:
    if shell.is_async:

        async def agen() -> AsyncIterator[bytes]:
            yield b"he"
            yield b"llo"

        return agen()

    def gen() -> Iterator[bytes]:
        yield b"he"
        yield b"llo"

    return gen()


def test_a_body_that_cannot_be_rewound_is_not_retried_and_the_error_says_why(shell: Shell) -> None:
    shell.server.script("/upload", [BUSY, OK])
    client = shell.client(max_retries=3)
    with pytest.raises(APIStatusError) as caught:
        shell.run(client.post("/upload", cast_to=dict, content=_chunks(shell)))
    assert caught.value.status_code == 503
    assert "cannot be rewound" in str(caught.value)
    assert bodies(shell.server, "/upload") == [b"hello"]  # one attempt, never resent empty


def test_a_redirect_that_resends_the_body_rewinds_it(shell: Shell) -> None:
    client = shell.client()
    answer = shell.run(
        client.post("/redirect", cast_to=dict, content=io.BytesIO(b"hello"),
                    options=make_request_options(extra_query={"status": 307, "to": "/echo"}))
    )
    assert answer["body"] == "hello"
    assert bodies(shell.server, "/redirect") == [b"hello"]
    assert bodies(shell.server, "/echo") == [b"hello"]


def test_a_redirect_that_would_resend_a_spent_iterator_is_not_followed(shell: Shell) -> None:
    client = shell.client()
    with pytest.raises(APIStatusError) as caught:
        shell.run(
            client.post("/redirect", cast_to=dict, content=_chunks(shell),
                        options=make_request_options(extra_query={"status": 308, "to": "/echo"}))
        )
    assert caught.value.status_code == 308
    assert "redirect" in str(caught.value) and "cannot be rewound" in str(caught.value)
    assert shell.server.requests_to("/echo") == []


# -- 2. NOT_GIVEN and omit are left out -----------------------------------------------------------


def test_not_given_and_omit_are_left_out_of_params_headers_and_json(shell: Shell) -> None:
    client = shell.client()
    options = make_request_options(
        extra_query={"a": NOT_GIVEN, "b": 1, "c": omit, "n": {"x": NOT_GIVEN, "y": 2}, "l": [1, omit, 2]},
        extra_headers={"X-Skipped": NOT_GIVEN, "X-Kept": "1"},  # type: ignore[dict-item]
    )
    body = {"a": NOT_GIVEN, "b": [1, omit, 2], "c": {"d": NOT_GIVEN, "e": omit, "f": 1}}
    echo = shell.run(client.post("/echo", cast_to=dict, body=body, options=options))
    assert echo["query"] == {"b": ["1"], "n[y]": ["2"], "l": ["1", "2"]}
    assert "x-skipped" not in echo["headers"] and echo["headers"]["x-kept"] == "1"
    assert echo["json"] == {"b": [1, 2], "c": {"f": 1}}
    assert "NOT_GIVEN" not in echo["body"] and "omit" not in echo["body"]


def test_omit_as_a_param_removes_a_custom_query_value(shell: Shell) -> None:
    client = shell.client(custom_query={"tenant": "t1", "region": "eu"})
    echo = shell.run(client.get("/echo", cast_to=dict, options=make_request_options(extra_query={"tenant": omit})))
    assert echo["query"] == {"region": ["eu"]}


def sent_header_names(shell: Shell, path: str) -> list[str]:
    """The header names (lower case) of the last request the fake server got on ``path``, as they came."""
    return [name.lower() for name, _ in shell.server.requests_to(path)[-1].header_items]


@pytest.mark.parametrize("name", ["Accept", "User-Agent"])
def test_an_omitted_default_header_is_not_sent_at_all(shell: Shell, name: str) -> None:
    # Left to itself the transport would add its own (``Accept: */*``, its own User-Agent).
    client = shell.client()
    for call in (client.get("/echo", cast_to=dict, options=make_request_options(extra_headers={name: omit})),
                 client.post("/echo", cast_to=dict, body={"a": 1}, options=make_request_options(
                     extra_headers={name: omit}))):
        shell.run(call)
        assert name.lower() not in sent_header_names(shell, "/echo")
    shell.run(client.get("/echo", cast_to=dict))  # not omitted: the library's own
    assert name.lower() in sent_header_names(shell, "/echo")


def test_a_request_without_a_body_carries_no_content_type(shell: Shell) -> None:
    client = shell.client(idempotency_header="Idempotency-Key")  # the per-call header path too
    for method in ("get", "delete", "post"):
        shell.run(getattr(client, method)("/echo", cast_to=dict))
        assert "content-type" not in sent_header_names(shell, "/echo"), method
    shell.run(client.get("/echo", cast_to=dict, options=make_request_options(extra_headers={"X-Call": "1"})))
    assert "content-type" not in sent_header_names(shell, "/echo")
    # Set by the caller on the call, it is sent as given; with a body, the body's type is.
    explicit = make_request_options(extra_headers={"Content-Type": "application/x-custom"})
    echo = shell.run(client.get("/echo", cast_to=dict, options=explicit))
    assert echo["headers"]["content-type"] == "application/x-custom"
    echo = shell.run(client.post("/echo", cast_to=dict, body={"a": 1}))
    assert echo["headers"]["content-type"] == "application/json"
    echo = shell.run(client.post("/echo", cast_to=dict, content=b"raw"))
    assert "content-type" in sent_header_names(shell, "/echo")  # raw content keeps the default type


def test_not_given_and_omit_are_left_out_of_form_fields(shell: Shell) -> None:
    client = shell.client()
    echo = shell.run(
        client.post("/echo", cast_to=dict, body={"a": NOT_GIVEN, "b": "1", "c": omit},
                    files={"f": ("a.txt", b"x")})
    )
    assert echo["form"] == {"b": "1"}


# -- 3. multipart ---------------------------------------------------------------------------------


def _part_headers(raw: bytes, field: str) -> str:
    """The header block of the part named ``field`` in a recorded multipart body."""
    for section in raw.split(b"\r\n--"):
        head = section.partition(b"\r\n\r\n")[0].decode()
        if f'name="{field}"' in head:
            return head
    raise AssertionError(f"no part {field!r} in {raw!r}")


def test_a_file_object_is_sent_under_its_base_name_only(shell: Shell, tmp_path: Path) -> None:
    path = tmp_path / "hello.txt"
    path.write_bytes(b"hello")
    with open(path, "rb") as f:
        echo = shell.run(shell.client().post("/echo", cast_to=dict, files={"file": f}))
    (upload,) = echo["files"]
    assert (upload["filename"], upload["text"], upload["content_type"]) == ("hello.txt", "hello", "text/plain")
    assert str(tmp_path) not in shell.server.requests[0].body.decode("utf-8", "replace")


def test_a_path_is_read_and_sent_under_its_base_name(shell: Shell, tmp_path: Path) -> None:
    path = tmp_path / "notes.json"
    path.write_bytes(b'{"a": 1}')
    echo = shell.run(shell.client().post("/echo", cast_to=dict, files={"doc": path}))
    (upload,) = echo["files"]
    assert (upload["name"], upload["filename"], upload["text"]) == ("doc", "notes.json", '{"a": 1}')
    assert upload["content_type"] == "application/json"


class TrackedPath(os.PathLike):  # type: ignore[type-arg]
    """A path that notes which thread opened it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.threads: list[threading.Thread] = []

    def __fspath__(self) -> str:
        self.threads.append(threading.current_thread())
        return str(self.path)


def test_the_async_client_reads_path_files_off_the_event_loop(shell: Shell, tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_bytes(b"aaa")
    tracked = TrackedPath(tmp_path / "a.txt")
    echo = shell.run(shell.client().post("/echo", cast_to=dict, files={"f": ("a.txt", tracked)}))
    assert echo["files"][0]["text"] == "aaa"
    assert tracked.threads
    if shell.is_async:
        assert threading.main_thread() not in tracked.threads  # the loop runs on the main thread here
    else:
        assert tracked.threads == [threading.current_thread()]


def test_files_as_a_sequence_of_pairs_repeat_a_field(shell: Shell) -> None:
    files = [("f", ("a.txt", b"1")), ("f", ("b.txt", b"2", "text/csv"))]
    echo = shell.run(shell.client().post("/echo", cast_to=dict, files=files))
    assert [(u["name"], u["filename"], u["text"], u["content_type"]) for u in echo["files"]] == [
        ("f", "a.txt", "1", "text/plain"),
        ("f", "b.txt", "2", "text/csv"),
    ]


def test_a_tuple_file_with_per_part_headers(shell: Shell) -> None:
    files = {"f": ("../../etc/a.bin", b"\x00\x01", "application/x-thing", {"X-Part": "1"})}
    echo = shell.run(shell.client().post("/echo", cast_to=dict, files=files))
    (upload,) = echo["files"]
    assert (upload["filename"], upload["content_type"], upload["size"]) == ("a.bin", "application/x-thing", 2)
    head = _part_headers(shell.server.requests[0].body, "f")
    assert "X-Part: 1" in head.split("\r\n")


def test_nested_form_fields_next_to_files_use_brackets(shell: Shell) -> None:
    body = {"meta": {"a": 1, "b": [1, 2]}, "tags": ["x", "y"], "flag": True, "when": dt.date(2024, 5, 1)}
    shell.run(shell.client().post("/echo", cast_to=dict, body=body, files={"f": b"data"}))
    raw = shell.server.requests[0].body
    names = [
        section.split(b'name="', 1)[1].split(b'"', 1)[0].decode()
        for section in raw.split(b"Content-Disposition: form-data; ")[1:]
    ]
    assert names == ["meta[a]", "meta[b][]", "meta[b][]", "tags[]", "tags[]", "flag", "when", "f"]
    assert b"{'a'" not in raw and b"\r\n\r\ntrue\r\n" in raw and b"\r\n\r\n2024-05-01\r\n" in raw
    assert 'filename="upload"' in _part_headers(raw, "f")


def test_an_explicit_multipart_content_type_without_files_sends_form_fields(shell: Shell) -> None:
    options = make_request_options(extra_headers={"Content-Type": "multipart/form-data"})
    echo = shell.run(shell.client().post("/echo", cast_to=dict, body={"a": "1", "n": 2}, options=options))
    assert echo["content_type"].startswith("multipart/form-data; boundary=")
    assert echo["form"] == {"a": "1", "n": "2"}
    assert echo["json"] is None


def test_a_given_boundary_is_used(shell: Shell) -> None:
    options = make_request_options(extra_headers={"Content-Type": "multipart/form-data; boundary=my-boundary-1"})
    echo = shell.run(shell.client().post("/echo", cast_to=dict, files={"f": ("a", b"x")}, options=options))
    assert echo["content_type"] == "multipart/form-data; boundary=my-boundary-1"
    assert echo["files"][0]["text"] == "x"


def test_both_shells_send_the_same_multipart_bytes(shell: Shell) -> None:
    options = make_request_options(extra_headers={"Content-Type": "multipart/form-data; boundary=fixed"})
    shell.run(shell.client().post("/echo", cast_to=dict, body={"a": "1"}, files={"f": ("a.txt", b"x")},
                                  options=options))
    assert shell.server.requests[0].body == (
        b'--fixed\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n'
        b'--fixed\r\nContent-Disposition: form-data; name="f"; filename="a.txt"\r\nContent-Type: text/plain\r\n'
        b"\r\nx\r\n--fixed--\r\n"
    )


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"body": {"a": 1}, "content": b"raw"}, "body= .* or content="),
        ({"files": {"f": b"x"}, "content": b"raw"}, "files= or content="),
        ({"files": {"f": "a string"}}, "ambiguous"),
        ({"files": {"f": io.StringIO("text")}}, "text mode"),
        ({"files": {"f": ("a", b"x", None, {"X-Bad": "a\r\nb"})}}, "CR, LF or NUL"),
        ({"files": [("f",)]}, r"\(field, file\) pairs"),
        ({"files": 42}, "mapping or a sequence"),
    ],
)
def test_bad_body_arguments_are_type_errors_before_sending(shell: Shell, kwargs: Any, match: str) -> None:
    with pytest.raises((TypeError, ValueError), match=match):
        shell.run(shell.client().post("/echo", cast_to=dict, **kwargs))
    assert shell.server.requests == []


# -- 4. one JSON encoder --------------------------------------------------------------------------


class Color(enum.Enum):
    RED = "red"


@dataclasses.dataclass
class Point:
    x: int
    when: dt.date


class Tag(Model):
    name: str
    color: Color


def test_json_bodies_encode_dates_enums_uuids_decimals_dataclasses_and_models(shell: Shell) -> None:
    when = dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)
    ident = uuid.UUID("12345678-1234-5678-1234-567812345678")
    body = {
        "when": when,
        "day": dt.date(2024, 1, 2),
        "at": dt.time(3, 4),
        "color": Color.RED,
        "id": ident,
        "price": Decimal("1.10"),
        "point": Point(1, dt.date(2024, 1, 3)),
        "nested": [{"tag": Tag(name="t", color=Color.RED), "ids": (ident,)}],
    }
    echo = shell.run(shell.client().post("/echo", cast_to=dict, body=body))
    assert echo["json"] == {
        "when": "2024-01-02T03:04:05+00:00",
        "day": "2024-01-02",
        "at": "03:04:00",
        "color": "red",
        "id": "12345678-1234-5678-1234-567812345678",
        "price": "1.10",
        "point": {"x": 1, "when": "2024-01-03"},
        "nested": [{"tag": {"name": "t", "color": "red"}, "ids": ["12345678-1234-5678-1234-567812345678"]}],
    }


def test_a_value_the_encoder_cannot_take_names_its_type(shell: Shell) -> None:
    with pytest.raises(TypeError, match="Object of type set is not JSON serializable"):
        shell.run(shell.client().post("/echo", cast_to=dict, body={"s": {1}}))
    assert shell.server.requests == []


# -- 5. empty and non-JSON bodies -----------------------------------------------------------------


def test_cast_to_object_or_none_on_204_or_an_empty_body_is_none(shell: Shell) -> None:
    client = shell.client(_strict_response_validation=True)
    assert shell.run(client.delete("/status/204", cast_to=object)) is None
    assert shell.run(client.delete("/status/204", cast_to=None)) is None
    shell.server.script("/empty", Reply(200, body=b"", content_type="application/json"))
    assert shell.run(client.get("/empty", cast_to=object)) is None


def test_lenient_mode_reads_a_non_json_body_as_text(shell: Shell) -> None:
    shell.server.script("/text", Reply(200, body="plain words", content_type="text/plain"))
    shell.server.script("/mislabelled", Reply(200, body="not json", content_type="application/json"))
    lenient = shell.client()
    assert shell.run(lenient.get("/text", cast_to=object)) == "plain words"
    assert shell.run(lenient.get("/text", cast_to=str)) == "plain words"
    assert shell.run(lenient.get("/mislabelled", cast_to=object)) == "not json"
    strict = shell.client(_strict_response_validation=True)
    with pytest.raises(APIResponseValidationError):
        shell.run(strict.get("/mislabelled", cast_to=object))


# -- 6. error bodies through the serializers ------------------------------------------------------


class KeyValueSerializer:
    """``a=1;b=2`` bodies: a media type the JSON decoder cannot read."""

    media_types = ("application/x-kv",)

    def dumps(self, data: Any) -> bytes:
        return ";".join(f"{k}={v}" for k, v in data.items()).encode()

    def loads(self, raw: bytes) -> Any:
        return dict(pair.split("=", 1) for pair in raw.decode().split(";"))


def test_error_bodies_are_decoded_by_their_content_type(shell: Shell) -> None:
    container = ClientContainer()
    container.serializers.override(SerializerRegistry([JSONSerializer(), KeyValueSerializer()]))
    shell.server.script("/kv", Reply(400, body=b"code=bad;detail=nope", content_type="application/x-kv"))
    shell.server.script("/json", Reply(404, json={"error": "gone"}))
    shell.server.script("/text", Reply(500, body="{not json", content_type="text/plain"))
    client = shell.client(container=container, max_retries=0)
    expected = {"/kv": {"code": "bad", "detail": "nope"}, "/json": {"error": "gone"}, "/text": "{not json"}
    for path, body in expected.items():
        with pytest.raises(APIStatusError) as caught:
            shell.run(client.get(path, cast_to=dict))
        assert caught.value.body == body


# -- 7. header names and values are checked before sending ----------------------------------------


@pytest.mark.parametrize("value", ["a\r\nX-Injected: 1", "a\nb", "a\rb", "a\x00b"])
def test_a_header_value_with_cr_lf_or_nul_is_refused_naming_the_header(shell: Shell, value: str) -> None:
    client = shell.client()
    options = make_request_options(extra_headers={"X-Secret-Thing": value})
    with pytest.raises(ValueError, match="'X-Secret-Thing'") as caught:
        shell.run(client.get("/echo", cast_to=dict, options=options))
    assert value not in str(caught.value) and "Injected" not in str(caught.value)
    assert shell.server.requests == []


def test_default_headers_are_checked_when_the_client_is_built(shell: Shell) -> None:
    with pytest.raises(ValueError, match="'X-Tenant'"):
        shell.client(custom_headers={"X-Tenant": "a\r\nb"})


@pytest.mark.parametrize(
    ("headers", "error", "match"),
    [
        ({"X-None": None}, TypeError, "'X-None' must have a str value, got NoneType"),
        ({"X-Bytes": b"v"}, TypeError, "'X-Bytes' must have a str value, got bytes"),
        ({"Bad Name": "v"}, ValueError, "'Bad Name' is not a valid HTTP header name"),
        ([("X-A", "1")], TypeError, "headers must be a mapping"),
    ],
)
def test_bad_headers_are_clear_errors_at_the_call_site(shell: Shell, headers: Any, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        shell.run(shell.client().get("/echo", cast_to=dict, options={"headers": headers}))
    assert shell.server.requests == []


def test_params_that_are_not_a_mapping_are_a_type_error(shell: Shell) -> None:
    with pytest.raises(TypeError, match="params must be a mapping, got list"):
        shell.run(shell.client().get("/echo", cast_to=dict, options={"params": [("a", "1")]}))  # type: ignore[typeddict-item]
    assert shell.server.requests == []


# -- 8. connection errors keep the transport's exception ------------------------------------------


def test_a_connection_error_keeps_the_transport_exception_as_its_cause(shell: Shell) -> None:
    client = shell.client(base_url=f"http://127.0.0.1:{closed_port()}", max_retries=0)
    with pytest.raises(APIConnectionError) as caught:
        shell.run(client.get("/x", cast_to=dict))
    expected = aiohttp.ClientError if shell.is_async else requests.RequestException
    assert isinstance(caught.value.__cause__, expected)


# -- 10. cookies stay with their origin -----------------------------------------------------------


@pytest.fixture
def other_server() -> Iterator[FakeAPIServer]:
    with FakeAPIServer() as server:
        yield server


def test_a_cookie_is_never_sent_to_another_origin_on_the_same_host(shell: Shell, other_server: FakeAPIServer) -> None:
    # "localhost", not an IP address: the transports' own jars keep cookies for a host name.
    here = f"http://localhost:{shell.server.port}"
    there = f"http://localhost:{other_server.port}"
    shell.server.script("/login", Reply(302, headers={"Set-Cookie": "sid=s3cret; Path=/", "Location": f"{there}/echo"}))
    client = shell.client(base_url=here)
    echoed = shell.run(client.post("/login", cast_to=dict))
    assert "cookie" not in echoed["headers"]  # the redirect went to another port
    shell.run(client.get(f"{there}/echo", cast_to=dict))
    shell.run(client.get("/echo", cast_to=dict))
    assert [r.headers.get("cookie") for r in other_server.requests] == [None, None]
    assert shell.server.requests_to("/echo")[-1].headers.get("cookie") == "sid=s3cret"  # its own origin: sent
