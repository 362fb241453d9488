"""Parity with the seed client: the same calls through genai_base and through google-genai's
``_interactions`` base client, against the same fake server, compared by what reached it.

genai_base runs on both shells; the seed runs its sync client (its async one encodes the same
way through httpx). Where DESIGN.md chooses otherwise, the case is listed in ``DIFFERENCES``
with the reason, and is not compared.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from google.genai._interactions import _base_client as seed_base
from google.genai._interactions import _types as seed_types
from google.genai._interactions._qs import Querystring as SeedQuerystring

from genai_base import NOT_GIVEN, Querystring, make_request_options, omit
from genai_base.testing import FakeAPIServer
from genai_base.testing._models import RecordedRequest

from .conftest import Shell

#: Where genai_base differs from the seed on purpose (DESIGN.md), and why. Not compared below.
DIFFERENCES = {
    "query precedence": "DESIGN: custom_query < the URL's own query < params; the seed lets custom_query beat the "
    "URL's own query",
    "nested NOT_GIVEN/omit": "DESIGN: left out anywhere in params, headers, JSON and form fields; the seed strips "
    "them at the top level only (nested ones reach its encoder)",
    "JSON types": "DESIGN: one encoder for date, time, Enum, UUID, Decimal and dataclasses too; the seed encodes "
    "datetime and its models only (TypeError otherwise)",
    "multipart without a Content-Type": "DESIGN: files= alone makes the request multipart; the seed needs the "
    "caller's Content-Type: multipart/form-data (else it labels the form application/json)",
    "tuple filenames": "DESIGN: the filename sent is the base name only, never a local path; the seed sends a "
    "tuple's filename as given",
    "platform and retry headers": "DESIGN: X-Genai-* platform headers and x-genai-retry-count on every attempt; "
    "the seed's base client sends its own names (or none)",
    "Content-Type without a body": "issue 16 review: genai_base sends no Content-Type on any request without a body "
    "unless the call sets one; the seed drops it on a GET even when the call sets it, and keeps it on a bodiless "
    "POST or DELETE",
    "omitted Accept": "issue 16 review: an omitted header is not sent at all; the seed's transport (httpx) puts "
    "Accept: */* back",
}

#: Request headers that are the transports' own business (connection handling, compression).
_TRANSPORT_HEADERS = {"host", "accept-encoding", "connection", "content-length", "user-agent"}
_OURS_ONLY = re.compile(r"^x-genai-")


class QS(seed_base.SyncAPIClient):
    """The seed's client with the query formats under test."""

    array_format = "repeat"
    nested_format = "brackets"

    @property
    def qs(self) -> SeedQuerystring:
        return SeedQuerystring(array_format=self.array_format, nested_format=self.nested_format)  # type: ignore[arg-type]


@pytest.fixture
def seed(fake_api: FakeAPIServer) -> Iterator[Callable[..., QS]]:
    made: list[QS] = []

    def make(array_format: str = "repeat", nested_format: str = "brackets", **kwargs: Any) -> QS:
        client = QS(version="1.0.0", base_url=fake_api.url, _strict_response_validation=False, **kwargs)
        client.array_format, client.nested_format = array_format, nested_format  # type: ignore[misc]
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


def both(shell: Shell, ours: Any, theirs: Any) -> tuple[RecordedRequest, RecordedRequest]:
    """Run one call on each client; what reached the server for each."""
    server = shell.server
    server.clear()
    shell.run(ours())
    (mine,) = server.requests
    server.clear()
    theirs()
    (seeds,) = server.requests
    return mine, seeds


def for_seed(value: Any) -> Any:
    """``value`` with genai_base's NOT_GIVEN/omit replaced by the seed's own sentinels."""
    if value is NOT_GIVEN:
        return seed_types.not_given
    if value is omit:
        return seed_types.omit
    if isinstance(value, dict):
        return {k: for_seed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [for_seed(v) for v in value]
    return value


def caller_headers(record: RecordedRequest) -> dict[str, str]:
    return {
        k: v for k, v in record.headers.items() if k not in _TRANSPORT_HEADERS and not _OURS_ONLY.match(k)
    }


# -- query strings -------------------------------------------------------------------------------


QUERIES = [
    {"ids": [1, 2, 3]},
    {"ids": []},
    {"ids": [1, None, 2]},
    {"filter": {"owner": {"id": 7}, "open": False}},
    {"items": [{"a": 1}, {"a": 2}]},
    {"q": "", "r": "x", "s": " spaced & odd=chars/é"},
    {"n": None, "m": 1},
    {"t": True, "f": False, "flags": [True, False]},
    {"a": NOT_GIVEN, "b": 1},
    {"deep": {"list": [1, 2], "more": {"x": ""}}},
]


@pytest.mark.parametrize("array_format", ["comma", "repeat", "indices", "brackets"])
@pytest.mark.parametrize("nested_format", ["brackets", "dots"])
@pytest.mark.parametrize("params", QUERIES, ids=range(len(QUERIES)))
def test_query_strings_match(shell: Shell, seed: Any, array_format: str, nested_format: str, params: Any) -> None:
    qs = Querystring(array_format=array_format, nested_format=nested_format)  # type: ignore[arg-type]
    client = shell.client(querystring=qs)
    theirs = seed(array_format, nested_format)
    options = make_request_options(extra_query=params)
    mine, seeds = both(
        shell,
        lambda: client.get("/echo", cast_to=dict, options=options),
        lambda: theirs.get(
            "/echo", cast_to=object, options=seed_base.make_request_options(extra_query=for_seed(params))
        ),
    )
    assert mine.query == seeds.query
    if not shell.is_async:  # the same bytes; aiohttp's URL type (yarl) unescapes "," and "/" in a query
        assert mine.query_string == seeds.query_string


def test_url_query_params_and_custom_query_merge_alike(shell: Shell, seed: Any) -> None:
    client = shell.client(custom_query={"tenant": "t1", "drop": "x"})
    theirs = seed(custom_query={"tenant": "t1", "drop": "x"})
    # Only keys that do not clash with the URL's own (see DIFFERENCES["query precedence"]).
    mine, seeds = both(
        shell,
        lambda: client.get("/echo?x=1", cast_to=dict, options={"params": {"y": 2, "drop": omit}}),
        lambda: theirs.get("/echo?x=1", cast_to=object, options={"params": for_seed({"y": 2, "drop": omit})}),
    )
    assert sorted(mine.query) == sorted(seeds.query) == [("tenant", "t1"), ("x", "1"), ("y", "2")]


# -- headers ---------------------------------------------------------------------------------


def test_headers_merge_alike(shell: Shell, seed: Any) -> None:
    custom = {"X-Tenant": "t1", "X-Override-Me": "client"}
    client = shell.client(custom_headers=custom)
    theirs = seed(custom_headers=custom)
    # omit removes a default (not Accept here: see DIFFERENCES["omitted Accept"])
    extra = {"x-override-me": "call", "X-Tenant": omit, "X-Call": "1", "X-Skip": NOT_GIVEN}
    mine, seeds = both(
        shell,
        lambda: client.post("/echo", cast_to=dict, body={"a": 1}, options=make_request_options(extra_headers=extra)),
        lambda: theirs.post(
            "/echo",
            cast_to=object,
            body={"a": 1},
            options=seed_base.make_request_options(extra_headers=for_seed(extra)),
        ),
    )
    assert caller_headers(mine) == caller_headers(seeds)
    assert caller_headers(mine) == {
        "accept": "application/json",
        "x-override-me": "call",
        "x-call": "1",
        "content-type": "application/json",
    }
    expected_agent = f"{'Async' if shell.is_async else 'Sync'}APIClient/Python 1.0.0"  # the class name, as the seed
    assert (mine.headers["user-agent"], seeds.headers["user-agent"]) == (expected_agent, "QS/Python 1.0.0")


def test_a_get_without_a_body_carries_no_content_type_alike(shell: Shell, seed: Any) -> None:
    client, theirs = shell.client(), seed()
    mine, seeds = both(
        shell, lambda: client.get("/echo", cast_to=dict), lambda: theirs.get("/echo", cast_to=object)
    )
    assert "content-type" not in mine.headers and "content-type" not in seeds.headers
    assert caller_headers(mine) == caller_headers(seeds) == {"accept": "application/json"}


def test_idempotency_key_header_alike(shell: Shell, seed: Any) -> None:
    client = shell.client(idempotency_header="Idempotency-Key")
    theirs = seed()
    theirs._idempotency_header = "Idempotency-Key"
    mine, seeds = both(
        shell,
        lambda: client.post("/echo", cast_to=dict, body={}, options=make_request_options(idempotency_key="k-1")),
        lambda: theirs.post("/echo", cast_to=object, body={}, options=seed_base.make_request_options(
            idempotency_key="k-1")),
    )
    assert mine.headers["idempotency-key"] == seeds.headers["idempotency-key"] == "k-1"


# -- JSON bodies -----------------------------------------------------------------------------


BODIES = [
    {"text": "héllo \u2603", "n": 1, "f": 1.5, "none": None, "t": True, "list": [1, "a", None, {"deep": [[]]}]},
    {"when": dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc), "nested": {"at": dt.datetime(2024, 1, 1)}},
    [1, 2, 3],
    {},
]


@pytest.mark.parametrize("body", BODIES, ids=range(len(BODIES)))
def test_json_bodies_match(shell: Shell, seed: Any, body: Any) -> None:
    client, theirs = shell.client(), seed()
    mine, seeds = both(
        shell,
        lambda: client.post("/echo", cast_to=dict, body=body),
        lambda: theirs.post("/echo", cast_to=object, body=body),
    )
    assert mine.body == seeds.body  # the same bytes: compact separators, UTF-8 as is
    assert mine.headers["content-type"] == seeds.headers["content-type"] == "application/json"


def test_extra_body_merges_alike(shell: Shell, seed: Any) -> None:
    client, theirs = shell.client(), seed()
    mine, seeds = both(
        shell,
        lambda: client.post("/echo", cast_to=dict, body={"a": 1, "b": 1},
                            options=make_request_options(extra_body={"b": 2, "c": 3})),
        lambda: theirs.post("/echo", cast_to=object, body={"a": 1, "b": 1},
                            options=seed_base.make_request_options(extra_body={"b": 2, "c": 3})),
    )
    assert mine.json() == seeds.json() == {"a": 1, "b": 2, "c": 3}


# -- multipart -------------------------------------------------------------------------------

MULTIPART = {"Content-Type": "multipart/form-data"}  # the seed needs it (DIFFERENCES)


def parts(record: RecordedRequest) -> list[tuple[str, bytes]]:
    """Each part's header block and content, boundary cut away."""
    content_type = record.headers["content-type"]
    boundary = content_type.split("boundary=", 1)[1].encode()
    out = []
    for section in record.body.split(b"--" + boundary)[1:]:
        if section.startswith(b"--"):
            break
        head, _, content = section.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        out.append((head.decode(), content.removesuffix(b"\r\n")))
    assert record.body.endswith(b"--" + boundary + b"--\r\n")
    return out


def test_multipart_parts_match(shell: Shell, seed: Any, tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(b"from a path")
    fields = {"purpose": "fine-tune", "meta": {"a": 1, "b": [1, 2]}, "tags": ["x", "y"], "flag": True,
              "none": None, "empty": ""}

    opened: list[Any] = []

    def files() -> list[tuple[str, Any]]:  # fresh file objects for each client
        opened.append(open(path, "rb"))  # closed at the end of the test
        return [
            ("doc", ("data.jsonl", b'{"x": 1}\n', "application/jsonl")),
            ("doc", ("b.csv", io.BytesIO(b"a,b"))),
            ("raw", b"\x00bytes"),
            ("path", path),
            ("obj", opened[-1]),
            ("hdr", ("h.bin", b"h", "application/x-h", {"X-Part": "1"})),
        ]

    client, theirs = shell.client(), seed()
    mine, seeds = both(
        shell,
        lambda: client.post("/echo", cast_to=dict, body=fields, files=files(),
                            options=make_request_options(extra_headers=MULTIPART)),
        lambda: theirs.post("/echo", cast_to=object, body=fields, files=files(),
                            options=seed_base.make_request_options(extra_headers=MULTIPART)),
    )
    for f in opened:
        f.close()
    assert parts(mine) == parts(seeds)
    names = [head.split('name="', 1)[1].split('"', 1)[0] for head, _ in parts(mine)]
    assert names == ["purpose", "meta[a]", "meta[b][]", "meta[b][]", "tags[]", "tags[]", "flag",
                     "doc", "doc", "raw", "path", "obj", "hdr"]
    assert mine.headers["content-type"].startswith("multipart/form-data; boundary=")
    assert seeds.headers["content-type"].startswith("multipart/form-data; boundary=")


def test_multipart_form_fields_without_files_match(shell: Shell, seed: Any) -> None:
    client, theirs = shell.client(), seed()
    body = {"a": "1", "list": [1, 2], "nested": {"k": "v"}}
    mine, seeds = both(
        shell,
        lambda: client.post("/echo", cast_to=dict, body=body, options=make_request_options(extra_headers=MULTIPART)),
        lambda: theirs.post("/echo", cast_to=object, body=body,
                            options=seed_base.make_request_options(extra_headers=MULTIPART)),
    )
    assert parts(mine) == parts(seeds)
    assert len(parts(mine)) == 4


def test_differences_are_each_explained() -> None:
    assert all(len(reason) > 40 for reason in DIFFERENCES.values())
