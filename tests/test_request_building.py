"""The transport-neutral core: URLs, query strings, headers and bodies, with no I/O."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest

from genai_base import FinalRequestOptions, Omit, Querystring, Timeout, make_request_options, omit
from genai_base._redact import redact_url
from genai_base._request import RequestBuilder
from genai_base._serializers import JSONSerializer
from genai_base._transports.requests import requests_timeout


def builder(base_url: str = "https://api.example.com/v1", **kwargs: object) -> RequestBuilder:
    defaults: dict[str, object] = dict(
        base_url=base_url,
        default_headers={"Accept": "application/json", "Content-Type": "application/json", "User-Agent": "X/1"},
        custom_query={},
        querystring=Querystring(),
        serializer=JSONSerializer(),
        idempotency_header=None,
    )
    defaults.update(kwargs)
    return RequestBuilder(**defaults)  # type: ignore[arg-type]


def build(b: RequestBuilder, **options: object):  # type: ignore[no-untyped-def]
    options.setdefault("method", "get")
    options.setdefault("url", "/items")
    return b.build(FinalRequestOptions(**options), Timeout(5))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("base", "path", "expected"),
    [
        ("https://h/v1", "/items", "https://h/v1/items"),
        ("https://h/v1/", "items", "https://h/v1/items"),
        ("https://h/v1/", "/items/1", "https://h/v1/items/1"),
        ("https://h", "/items", "https://h/items"),
        ("https://h/v1", "https://other.example/x", "https://other.example/x"),
        ("https://h/v1", "/go?to=https://other.example/x", "https://h/v1/go?to=https://other.example/x"),
    ],
)
def test_url_joining_keeps_the_base_path(base: str, path: str, expected: str) -> None:
    assert build(builder(base), url=path).url == expected


def test_base_url_gets_a_trailing_slash_and_must_be_absolute() -> None:
    assert builder("https://h/v1").base_url == "https://h/v1/"
    with pytest.raises(ValueError, match="absolute"):
        builder("/relative/only")


def test_query_precedence_custom_then_url_then_params() -> None:
    b = builder(custom_query={"a": "custom", "c": "custom"})
    request = build(b, url="/items?a=url&b=url", params={"b": "param", "d": None, "flag": True})
    pairs = parse_qsl(urlsplit(request.url).query)
    assert dict(pairs) == {"a": "url", "c": "custom", "b": "param", "flag": "true"}


def test_custom_query_is_added_to_every_call() -> None:
    b = builder(custom_query={"tenant": "t1"})
    assert build(b).url.endswith("?tenant=t1")
    assert "tenant=t1" in build(b, url="/x", params={"q": "1"}).url


@pytest.mark.parametrize(
    ("array_format", "expected"),
    [
        ("comma", [("ids", "1,2")]),
        ("repeat", [("ids", "1"), ("ids", "2")]),
        ("indices", [("ids[0]", "1"), ("ids[1]", "2")]),
        ("brackets", [("ids[]", "1"), ("ids[]", "2")]),
    ],
)
def test_array_formats(array_format: str, expected: list[tuple[str, str]]) -> None:
    qs = Querystring(array_format=array_format)  # type: ignore[arg-type]
    assert qs.stringify_items({"ids": [1, 2]}) == expected


def test_nested_formats() -> None:
    value = {"filter": {"owner": {"id": 7}, "open": False}}
    assert Querystring(nested_format="brackets").stringify_items(value) == [
        ("filter[owner][id]", "7"),
        ("filter[open]", "false"),
    ]
    assert Querystring(nested_format="dots").stringify_items(value) == [
        ("filter.owner.id", "7"),
        ("filter.open", "false"),
    ]


def test_bad_querystring_format_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="array_format"):
        Querystring(array_format="semicolon")  # type: ignore[arg-type]


def test_headers_merge_case_insensitively_and_omit_removes() -> None:
    b = builder()
    request = build(b, headers={"user-agent": "Mine/2", "accept": omit, "X-Extra": "1"})
    lowered = {k.lower(): v for k, v in request.headers.items()}
    assert lowered["user-agent"] == "Mine/2"
    assert "accept" not in lowered
    assert lowered["x-extra"] == "1"
    assert len([k for k in request.headers if k.lower() == "user-agent"]) == 1


def test_client_level_omit_removes_a_default() -> None:
    b = builder(default_headers={"Accept": "application/json", "Content-Type": Omit()})
    assert "Content-Type" not in build(b).headers


def test_json_body_merges_extra_json() -> None:
    request = build(builder(), method="post", json_data={"a": 1, "b": 1}, extra_json={"b": 2})
    assert request.content == b'{"a":1,"b":2}'


def test_get_never_carries_a_json_body() -> None:
    assert build(builder()).content is None
    with pytest.raises(ValueError, match="GET request carries no body"):
        build(builder(), json_data={"a": 1})


def test_raw_content_is_sent_as_given() -> None:
    request = build(builder(), method="put", content=b"\x00raw")
    assert request.content == b"\x00raw"


def test_multipart_is_bytes_with_its_boundary_and_bracketed_form_fields() -> None:
    request = build(
        builder(),
        method="post",
        json_data={"purpose": "test", "tags": ["a", "b"], "none": None, "meta": {"a": 1}},
        files={"file": ("a.txt", b"hello", "text/plain")},
    )
    content_type = request.headers["Content-Type"]
    assert content_type.startswith("multipart/form-data; boundary=")
    boundary = content_type.split("boundary=")[1].encode()
    assert len(boundary) == 32
    assert request.content == b"".join(
        [
            b"--" + boundary + b'\r\nContent-Disposition: form-data; name="purpose"\r\n\r\ntest\r\n',
            b"--" + boundary + b'\r\nContent-Disposition: form-data; name="tags[]"\r\n\r\na\r\n',
            b"--" + boundary + b'\r\nContent-Disposition: form-data; name="tags[]"\r\n\r\nb\r\n',
            b"--" + boundary + b'\r\nContent-Disposition: form-data; name="meta[a]"\r\n\r\n1\r\n',
            b"--" + boundary + b'\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n'
            b"Content-Type: text/plain\r\n\r\nhello\r\n",
            b"--" + boundary + b"--\r\n",
        ]
    )
    again = build(builder(), method="post", files={"file": ("a.txt", b"hello", "text/plain")})
    assert again.headers["Content-Type"] != content_type  # a fresh random boundary per request


def test_idempotency_key_only_when_configured_and_not_on_get() -> None:
    assert "Idempotency-Key" not in build(builder(), method="post", json_data={}).headers
    b = builder(idempotency_header="Idempotency-Key")
    post = build(b, method="post", json_data={})
    assert post.headers["Idempotency-Key"].startswith("genai-base-retry-")
    assert "Idempotency-Key" not in build(b).headers
    given = build(b, method="post", json_data={}, idempotency_key="mine")
    assert given.headers["Idempotency-Key"] == "mine"


def test_make_request_options_maps_extras() -> None:
    options = make_request_options(
        extra_headers={"X": "1"}, extra_query={"q": 1}, extra_body={"b": 2}, timeout=3, max_retries=1
    )
    assert options == {"headers": {"X": "1"}, "params": {"q": 1}, "extra_json": {"b": 2}, "timeout": 3,
                       "max_retries": 1}
    assert make_request_options() == {}


def test_timeout_defaults_each_phase_from_the_first_argument() -> None:
    t = Timeout(60, connect=5)
    assert (t.connect, t.read, t.write, t.pool, t.total) == (5, 60, 60, 60, None)
    assert Timeout.coerce(None).read is None
    assert Timeout.coerce(2.5).read == 2.5
    with pytest.raises(ValueError):
        Timeout(-1)


def test_repr_of_options_and_requests_hide_secrets() -> None:
    options = FinalRequestOptions(method="get", url="/x", headers={"Authorization": "Bearer s3cret"})
    assert "s3cret" not in repr(options)
    request = build(builder(), url="/x?key=s3cret", headers={"x-api-key": "s3cret"})
    assert "s3cret" not in repr(request)
    assert "s3cret" not in redact_url("https://h/x?key=s3cret&a=1")
    assert "a=1" in redact_url("https://h/x?key=s3cret&a=1")


def test_construct_alias_and_max_retries_fallback() -> None:
    options = FinalRequestOptions.construct(method="get", url="/x")
    assert options.get_max_retries(4) == 4
    assert options.copy(max_retries=1).get_max_retries(4) == 1


def test_total_caps_the_requests_timeouts() -> None:
    assert requests_timeout(Timeout(60, connect=5, total=2)) == (2, 2)
    assert requests_timeout(Timeout(1, total=10)) == (1, 1)
    assert requests_timeout(Timeout(None)) is None
    assert requests_timeout(Timeout(None, total=3)) == (3, 3)


def test_models_anywhere_in_a_json_body_are_encoded_as_objects() -> None:
    import json

    from genai_base import Model

    class Part(Model):
        text: str

    class Message(Model):
        role: str
        parts: list[Part]

    message = Message(role="user", parts=[Part(text="hi")])
    expected = {"role": "user", "parts": [{"text": "hi"}]}
    # top level (merged with extra_body like a dict), inside a dict, inside a list
    top = build(builder(), method="post", json_data=message, extra_json={"n": 1})
    assert json.loads(top.content) == {**expected, "n": 1}
    nested = build(builder(), method="post", json_data={"messages": [message], "first": message})
    assert json.loads(nested.content) == {"messages": [expected], "first": expected}


def test_a_serializer_without_model_support_gets_plain_data() -> None:
    from genai_base import Model

    class Part(Model):
        text: str

    seen: list[object] = []

    class Recording:
        media_types = ("application/x-test",)

        def dumps(self, data: object) -> bytes:
            seen.append(data)
            return b"x"

        def loads(self, raw: bytes) -> object:
            return raw

    b = builder(serializer=Recording())
    request = build(b, method="post", json_data={"parts": [Part(text="a")]})
    assert seen == [{"parts": [{"text": "a"}]}]
    assert request.headers["Content-Type"] == "application/x-test"


def test_unencodable_values_in_a_json_body_name_their_type() -> None:
    with pytest.raises(TypeError, match="Object of type object is not JSON serializable"):
        build(builder(), method="post", json_data={"x": object()})


def test_serializer_lookup_by_content_type_stays_right_past_its_cache() -> None:
    from genai_base._serializers import SerializerRegistry

    json_serializer = JSONSerializer()
    registry = SerializerRegistry([json_serializer])
    for i in range(200):  # more distinct header values than the lookup keeps
        assert registry.for_content_type(f"application/json; charset=utf-8; v={i}") is json_serializer
        assert registry.for_content_type(f"application/vnd.x{i}+json") is json_serializer
        assert registry.for_content_type(f"text/plain; v={i}") is None
    assert registry.for_content_type(None) is None
    assert registry.for_content_type("APPLICATION/JSON") is json_serializer
    assert len(registry._by_header) <= 64
