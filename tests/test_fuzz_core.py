"""Property tests for the request core: query-string encoding and header merging."""

from __future__ import annotations

from urllib.parse import parse_qsl

from hypothesis import given
from hypothesis import strategies as st

from genai_base import FinalRequestOptions, Omit, Querystring, Timeout
from genai_base._request import RequestBuilder
from genai_base._serializers import JSONSerializer

keys = st.text(st.characters(blacklist_characters="[].", blacklist_categories=("Cs",)), min_size=1, max_size=8)
scalars = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=10),
    st.integers(-(10**6), 10**6),
    st.booleans(),
)


def _text(value: object) -> str:
    return {True: "true", False: "false"}.get(value, str(value)) if isinstance(value, bool) else str(value)


# Empty strings are left out of a query, as the seed leaves them out.


@given(st.dictionaries(keys, scalars, max_size=6))
def test_flat_params_round_trip_through_parse_qsl(params: dict[str, object]) -> None:
    encoded = Querystring().stringify(params)
    assert parse_qsl(encoded, keep_blank_values=True) == [(k, _text(v)) for k, v in params.items() if _text(v)]


@given(st.dictionaries(keys, st.lists(scalars, max_size=4), max_size=4))
def test_repeat_arrays_round_trip(params: dict[str, list[object]]) -> None:
    encoded = Querystring(array_format="repeat").stringify(params)
    expected = [(k, _text(v)) for k, values in params.items() for v in values if _text(v)]
    assert parse_qsl(encoded, keep_blank_values=True) == expected


@given(st.dictionaries(keys, st.lists(scalars, max_size=4), max_size=4))
def test_brackets_and_indices_arrays_round_trip(params: dict[str, list[object]]) -> None:
    brackets = parse_qsl(Querystring(array_format="brackets").stringify(params), keep_blank_values=True)
    assert brackets == [(f"{k}[]", _text(v)) for k, values in params.items() for v in values if _text(v)]
    indices = parse_qsl(Querystring(array_format="indices").stringify(params), keep_blank_values=True)
    assert indices == [
        (f"{k}[{i}]", _text(v)) for k, values in params.items() for i, v in enumerate(values) if _text(v)
    ]


@given(st.dictionaries(keys, st.dictionaries(keys, scalars, max_size=3), max_size=3))
def test_nested_mappings_round_trip(params: dict[str, dict[str, object]]) -> None:
    dots = parse_qsl(Querystring(nested_format="dots").stringify(params), keep_blank_values=True)
    assert dots == [(f"{k}.{sk}", _text(v)) for k, sub in params.items() for sk, v in sub.items() if _text(v)]
    brackets = parse_qsl(Querystring(nested_format="brackets").stringify(params), keep_blank_values=True)
    assert brackets == [(f"{k}[{sk}]", _text(v)) for k, sub in params.items() for sk, v in sub.items() if _text(v)]


header_names = st.sampled_from(["Accept", "X-Trace", "User-Agent", "X-Extra", "Content-Type", "X-Genai-Lang"])
casings = st.sampled_from([str.lower, str.upper, str.title, lambda s: s])
header_values = st.one_of(st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=8),
                          st.just(Omit()))


@given(
    st.lists(st.tuples(header_names, casings, header_values), max_size=8),
    st.lists(st.tuples(header_names, casings, header_values), max_size=8),
)
def test_header_merge_is_case_insensitive_and_omit_removes(
    client_headers: list[tuple[str, object, object]], call_headers: list[tuple[str, object, object]]
) -> None:
    defaults = {"Accept": "application/json", "User-Agent": "UA/1"}
    client = {case(name): value for name, case, value in client_headers}  # type: ignore[operator]
    call = {case(name): value for name, case, value in call_headers}  # type: ignore[operator]
    given_defaults = {**defaults, **client}
    builder = RequestBuilder(
        base_url="https://h/",
        default_headers=given_defaults,  # type: ignore[dict-item]
        custom_query={},
        querystring=Querystring(),
        serializer=JSONSerializer(),
        idempotency_header=None,
    )
    sent = builder.build(FinalRequestOptions(method="get", url="/", headers=call), Timeout(1)).headers  # type: ignore[arg-type]
    lowered = [k.lower() for k in sent]
    assert len(lowered) == len(set(lowered)), "a header was sent twice under two casings"
    # Expected: later layers win per lower-cased name; Omit removes.
    expected: dict[str, object] = {}
    # Every request carries its retry count, after the client's defaults.
    for layer in (given_defaults, {"x-genai-retry-count": "0"}, call):
        for name, value in layer.items():
            if isinstance(value, Omit):
                expected.pop(name.lower(), None)
            else:
                expected[name.lower()] = value
    # A GET has no body: it carries a Content-Type only when the call itself sets one.
    if not any(k.lower() == "content-type" and not isinstance(v, Omit) for k, v in call.items()):
        expected.pop("content-type", None)
    assert {k.lower(): v for k, v in sent.items()} == expected
