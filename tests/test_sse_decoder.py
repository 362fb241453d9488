"""Tests for the incremental server-sent-events decoder (genai_base._sse)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from genai_base._sse import ServerSentEvent, SSEDecoder, aiter_events, iter_events

E = ServerSentEvent
BOM = b"\xef\xbb\xbf"


def decode(chunks: Iterable[bytes]) -> list[ServerSentEvent]:
    """Feed ``chunks`` to a fresh decoder, then end it; return all events."""
    decoder = SSEDecoder()
    events: list[ServerSentEvent] = []
    for chunk in chunks:
        events.extend(decoder.feed(chunk))
    events.extend(decoder.end())
    return events


def bytewise(data: bytes) -> list[bytes]:
    """Split ``data`` into one-byte chunks."""
    return [data[i : i + 1] for i in range(len(data))]


# --- ServerSentEvent ----------------------------------------------------------


def test_event_defaults_and_json() -> None:
    ev = ServerSentEvent()
    assert (ev.event, ev.data, ev.id, ev.retry) == (None, "", None, None)
    assert ServerSentEvent(data='{"a": [1, 2]}').json() == {"a": [1, 2]}
    assert ServerSentEvent("e", "d", "i", 5) == E(event="e", data="d", id="i", retry=5)


# --- Field rules --------------------------------------------------------------


def test_basic_event() -> None:
    assert decode([b"data: hello\n\n"]) == [E(data="hello")]


def test_all_fields() -> None:
    stream = b"event: update\ndata: x\nid: 42\nretry: 1500\n\n"
    assert decode([stream]) == [E("update", "x", "42", 1500)]


def test_multiple_data_lines_joined_with_newline() -> None:
    stream = b"data: a\ndata: b\ndata:\ndata: c\n\n"
    assert decode([stream]) == [E(data="a\nb\n\nc")]


def test_only_one_leading_space_removed() -> None:
    stream = b"data:  two\ndata:none\ndata:\tx\n\n"
    assert decode([stream]) == [E(data=" two\nnone\n\tx")]


def test_line_without_colon_is_field_with_empty_value() -> None:
    assert decode([b"data\ndata\n\n"]) == [E(data="\n")]
    assert decode([b"event\ndata: x\n\n"]) == [E(None, "x")]


def test_value_may_contain_colons() -> None:
    assert decode([b"data: a: b:c\n\n"]) == [E(data="a: b:c")]


def test_comments_are_ignored() -> None:
    stream = b": comment\ndata: a\n:another\n: data: no\n\n:\n\n"
    assert decode([stream]) == [E(data="a")]


def test_unknown_fields_are_ignored() -> None:
    stream = b"foo: bar\nData: x\ndata : y\ndata: z\n\n"
    assert decode([stream]) == [E(data="z")]


def test_empty_event_field_means_none() -> None:
    assert decode([b"event:\ndata: x\n\n"]) == [E(None, "x")]
    assert decode([b"event: a\nevent:\ndata: x\n\n"]) == [E(None, "x")]


def test_event_type_and_data_reset_after_dispatch() -> None:
    stream = b"event: a\ndata: 1\nretry: 7\n\ndata: 2\n\n"
    assert decode([stream]) == [E("a", "1", None, 7), E(None, "2", None, None)]


def test_id_persists_across_events() -> None:
    stream = b"id: 1\ndata: a\n\ndata: b\n\nid: 2\ndata: c\n\nid:\ndata: d\n\n"
    assert decode([stream]) == [
        E(None, "a", "1"),
        E(None, "b", "1"),
        E(None, "c", "2"),
        E(None, "d", ""),
    ]


def test_id_with_nul_is_ignored() -> None:
    stream = b"id: 1\ndata: a\n\nid: 2\x003\ndata: b\n\n"
    assert decode([stream]) == [E(None, "a", "1"), E(None, "b", "1")]


def test_last_event_id_property() -> None:
    decoder = SSEDecoder()
    assert decoder.last_event_id is None
    decoder.feed(b"id: abc\n")
    assert decoder.last_event_id == "abc"
    decoder.feed(b"id: x\x00y\n")
    assert decoder.last_event_id == "abc"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (b"0", 0),
        (b"1500", 1500),
        (b"007", 7),
        (b"", None),
        (b"-1", None),
        (b"+1", None),
        (b"1.5", None),
        (b"1_000", None),
        (b"1 ", None),
        (b" 1", None),  # "retry:  1": only one space is removed
        (b"abc", None),
        ("\u0661\u0662".encode(), None),  # Arabic-Indic digits are not ASCII
        ("\u00b2".encode(), None),  # superscript two: isdigit() but not ASCII
    ],
)
def test_retry_only_ascii_digits(value: bytes, expected: int | None) -> None:
    events = decode([b"data: x\nretry: " + value + b"\n\n"])
    assert events == [E(None, "x", None, expected)]


def test_retry_huge_value_does_not_raise() -> None:
    events = decode([b"data: x\nretry: " + b"9" * 10_000 + b"\n\n"])
    assert events == [E(data="x")]


def test_invalid_retry_keeps_previous_value_in_same_event() -> None:
    assert decode([b"retry: 5\nretry: x\n\n"]) == [E(retry=5)]


# --- Dispatch rule ------------------------------------------------------------


def test_empty_line_without_fields_dispatches_nothing() -> None:
    assert decode([b"\n\n\n: ping\n\n\r\n\r"]) == []


@pytest.mark.parametrize(
    ("stream", "expected"),
    [
        (b"data:\n\n", [E(data="")]),
        (b"event: e\n\n", [E(event="e")]),
        (b"id: 3\n\n", [E(id="3")]),
        (b"retry: 3\n\n", [E(retry=3)]),
        (b"event:\n\n", []),
        (b"id:\n\n", []),
        (b"retry: no\n\n", []),
        (b"id: a\x00\n\n", []),
        (b"foo: bar\n\n", []),
    ],
)
def test_dispatch_when_any_field_was_set(stream: bytes, expected: list[ServerSentEvent]) -> None:
    assert decode([stream]) == expected


def test_persistent_id_alone_does_not_dispatch() -> None:
    # The seed decoder would emit a second, empty event here (its quirk).
    stream = b"id: 1\ndata: a\n\n: keep-alive\n\n\n"
    assert decode([stream]) == [E(None, "a", "1")]


# --- Line endings ---------------------------------------------------------------

SAMPLE_LINES = [
    b": stream start",
    b"event: first",
    b"data: one",
    b"data: two",
    b"id: 1",
    b"",
    b"data: caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
    b"retry: 250",
    b"",
    b"",
    b"data",
    b"",
    b'data: {"json": true}',
    b"",
]
SAMPLE_EVENTS = [
    E("first", "one\ntwo", "1"),
    E(None, "caf\u00e9 \u20ac \U0001f600", "1", 250),
    E(None, "", "1"),
    E(None, '{"json": true}', "1"),
]


@pytest.mark.parametrize("eol", [b"\n", b"\r\n", b"\r"], ids=["LF", "CRLF", "CR"])
def test_framings(eol: bytes) -> None:
    stream = b"".join(line + eol for line in SAMPLE_LINES)
    assert decode([stream]) == SAMPLE_EVENTS
    assert decode(bytewise(stream)) == SAMPLE_EVENTS


def mixed_stream() -> bytes:
    """SAMPLE_LINES with LF, CRLF and CR endings in turn (no CR before LF)."""
    eols = [b"\n", b"\r\n", b"\r"]
    return b"".join(line + eols[i % 3] for i, line in enumerate(SAMPLE_LINES))


def test_mixed_framing() -> None:
    assert decode([mixed_stream()]) == SAMPLE_EVENTS


def test_double_cr_is_two_line_endings() -> None:
    assert decode([b"data: a\r\rdata: b\r\r\n"]) == [E(data="a"), E(data="b")]
    assert decode([b"data: a\r\r\ndata: b\n\r"]) == [E(data="a"), E(data="b")]


def test_every_two_chunk_split_matches_whole() -> None:
    for stream in (mixed_stream(), b"".join(x + b"\r\n" for x in SAMPLE_LINES)):
        for i in range(len(stream) + 1):
            assert decode([stream[:i], stream[i:]]) == SAMPLE_EVENTS, i


def test_one_byte_at_a_time_matches_whole() -> None:
    assert decode(bytewise(mixed_stream())) == SAMPLE_EVENTS


def test_crlf_split_across_chunks_is_one_line_ending() -> None:
    # If the LF were taken as a second line ending, "a" would be dispatched alone.
    assert decode([b"data: a\r", b"\ndata: b\r\n\r\n"]) == [E(data="a\nb")]
    assert decode([b"data: a\r", b"", b"\n", b"data: b\n\n"]) == [E(data="a\nb")]


def test_cr_at_chunk_end_followed_by_cr() -> None:
    assert decode([b"data: a\r", b"\r\n"]) == [E(data="a")]
    assert decode([b"data: a\r", b"\r", b"\n"]) == [E(data="a")]


def test_lf_after_cr_is_only_skipped_once() -> None:
    assert decode([b"data: a\r", b"\n\n"]) == [E(data="a")]
    assert decode([b"data: a\r", b"\n", b"\n"]) == [E(data="a")]


def test_feed_returns_events_completed_by_chunk() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\n") == []
    assert decoder.feed(b"\ndata: b\n\nda") == [E(data="a"), E(data="b")]
    assert decoder.feed(b"ta: c\n") == []
    assert decoder.feed(b"\n") == [E(data="c")]
    assert decoder.feed(b"") == []
    assert decoder.end() == []


def test_pending_fields_carry_into_next_chunk() -> None:
    # The chunk after the first looks like plain data-only events.
    assert decode([b"event: x\n", b"data: a\n\ndata: b\n\n"]) == [
        E("x", "a"),
        E(None, "b"),
    ]
    assert decode([b"data: a\n", b"data: b\n\ndata: c\n\n"]) == [
        E(data="a\nb"),
        E(data="c"),
    ]
    assert decode([b"id: 7\n", b"data: a\n\ndata: b\n\n"]) == [
        E(None, "a", "7"),
        E(None, "b", "7"),
    ]
    assert decode([b"retry: 9\n", b"data: a\n\n"]) == [E(None, "a", None, 9)]


def test_data_only_streams_with_irregular_shapes() -> None:
    assert decode([b"data: a\n\n\ndata: b\n\n"]) == [E(data="a"), E(data="b")]
    assert decode([b"data: a\ndata: b\n\ndata: c\n\n"]) == [
        E(data="a\nb"),
        E(data="c"),
    ]
    assert decode([b"data: a\n\ndata: b\n"]) == [E(data="a")]
    assert decode([b"data: a\n\ndata:b\n\n"]) == [E(data="a"), E(data="b")]
    assert decode([b"data: a\n\ndata: b\nevent: e\n\n"]) == [
        E(data="a"),
        E("e", "b"),
    ]


def test_unicode_line_separators_are_not_line_endings() -> None:
    text = "a\x0bb\x0cc\x1cd\x1de\x1ef\x85g\u2028h\u2029i"
    assert decode([f"data: {text}\n\n".encode()]) == [E(data=text)]
    assert decode([f"data: {text}\ndata: x\n\n".encode()]) == [E(data=text + "\nx")]


# --- UTF-8 and BOM ----------------------------------------------------------------


def test_multibyte_char_split_across_chunks() -> None:
    stream = "data: \u00e9\u20ac\U0001f600\n\n".encode()
    expected = [E(data="\u00e9\u20ac\U0001f600")]
    for i in range(len(stream) + 1):
        assert decode([stream[:i], stream[i:]]) == expected
    assert decode(bytewise(stream)) == expected


@pytest.mark.parametrize(
    "stream",
    [
        b"data: \xff\xfe\n\n",
        b"data: \xe2\x82\n\n",
        b"data: \xc3\n\n",
        b"data: \xed\xa0\x80\n\n",  # encoded surrogate
        b"\xc3\n\ndata: ok\n\n",
        b"data: \xe2\x82",  # truncated at end of stream
    ],
)
def test_invalid_utf8_does_not_raise(stream: bytes) -> None:
    whole = decode([stream])
    assert decode(bytewise(stream)) == whole
    for ev in whole:
        assert "\ufffd" in ev.data or ev.data == "ok"


def test_invalid_utf8_is_replaced() -> None:
    assert decode([b"data: a\xffb\n\n"]) == [E(data="a\ufffdb")]


def test_bom_is_skipped_at_start() -> None:
    stream = BOM + b"data: x\n\n"
    assert decode([stream]) == [E(data="x")]
    for i in range(len(stream) + 1):
        assert decode([stream[:i], stream[i:]]) == [E(data="x")]
    assert decode(bytewise(stream)) == [E(data="x")]


def test_bom_makes_first_line_a_field_name() -> None:
    # Without skipping, the first field would be "\ufeffdata" and be ignored.
    assert decode([BOM + b"data: x\n\n"]) == [E(data="x")]


def test_bom_only_at_start() -> None:
    stream = b"data: x\n\n" + BOM + b"data: y\n\n"
    assert decode([stream]) == [E(data="x")]
    assert decode([b"data: " + BOM + b"\n\n"]) == [E(data="\ufeff")]


def test_only_one_bom_is_skipped() -> None:
    assert decode([BOM + BOM + b"data: x\n\n\n"]) == []
    assert decode([BOM + b"\n" + BOM + b"data: x\n\n"]) == []


def test_partial_bom_prefix_is_data() -> None:
    assert decode([b"\xef\xbb", b"data: x\n\n"]) == []  # "\ufffddata" field
    assert decode([b"\xef", b"\n", b"data: x\n\n"]) == [E(data="x")]
    assert decode([b"\xef\xbb"]) == []  # flushed at end() as a junk line


# --- end() ---------------------------------------------------------------------


def test_end_does_not_dispatch_unterminated_event() -> None:
    # Seed behaviour (and WHATWG): pending data without an empty line is dropped.
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\n\ndata: b\n") == [E(data="a")]
    assert decoder.end() == []
    assert decode([b"data: a\n\ndata: b"]) == [E(data="a")]


def test_end_flushes_final_line_without_terminator() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\n\nid: 9") == [E(data="a")]
    assert decoder.last_event_id is None
    assert decoder.end() == []
    assert decoder.last_event_id == "9"


def test_decoder_is_reusable_after_end() -> None:
    decoder = SSEDecoder()
    decoder.feed(b"id: 1\nevent: e\ndata: partial")
    assert decoder.end() == []
    assert decoder.feed(BOM + b"data: b\n\n") == [E(None, "b", "1")]
    assert decoder.end() == []


# --- iter_events / aiter_events ---------------------------------------------------


def test_iter_events() -> None:
    chunks = [b"data: a\r", b"\n\r\nevent: e\ndata: b", b"\n\ndata: c"]
    assert list(iter_events(chunks)) == [E(data="a"), E("e", "b")]
    assert list(iter_events(iter(bytewise(mixed_stream())))) == SAMPLE_EVENTS
    assert list(iter_events([])) == []


def test_aiter_events() -> None:
    async def source(chunks: list[bytes]) -> AsyncIterator[bytes]:
        for chunk in chunks:
            await asyncio.sleep(0)
            yield chunk

    async def collect(chunks: list[bytes]) -> list[ServerSentEvent]:
        return [ev async for ev in aiter_events(source(chunks))]

    assert asyncio.run(collect(bytewise(mixed_stream()))) == SAMPLE_EVENTS
    assert asyncio.run(collect([b"data: a\n\ndata: b"])) == [E(data="a")]
    assert asyncio.run(collect([])) == []


# --- Linearity --------------------------------------------------------------------


def test_huge_single_line_event_in_small_chunks() -> None:
    # Quadratic buffering would make this take minutes; it must finish quickly.
    size = 5 * 1024 * 1024
    stream = b"data: " + b"x" * size + b"\n\n"
    events = list(iter_events(stream[i : i + 1024] for i in range(0, len(stream), 1024)))
    assert len(events) == 1
    assert len(events[0].data) == size


def test_huge_multi_line_event_in_small_chunks() -> None:
    line = b"data: " + b"y" * 1000 + b"\r\n"
    stream = line * 5000 + b"\r\n"
    events = list(iter_events(stream[i : i + 1000] for i in range(0, len(stream), 1000)))
    assert len(events) == 1
    assert len(events[0].data) == 5000 * 1001 - 1


def test_many_small_events() -> None:
    stream = b"".join(b'data: {"i": %d}\n\n' % i for i in range(100_000))
    events = list(iter_events(stream[i : i + 65536] for i in range(0, len(stream), 65536)))
    assert [ev.json()["i"] for ev in events] == list(range(100_000))


# --- Property test ----------------------------------------------------------------

line_text = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\r\n"))
name_text = line_text.filter(bool)
id_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters="\r\n\x00"),
    min_size=1,
)


@st.composite
def event_specs(draw: st.DrawFn) -> tuple[str | None, list[str], str | None, int | None]:
    """An event to encode: (event type, data lines, id, retry)."""
    return (
        draw(st.none() | name_text),
        draw(st.lists(line_text, max_size=4)),
        draw(st.none() | id_text),
        draw(st.none() | st.integers(min_value=0, max_value=10**12)),
    )


def encode_lines(
    specs: list[tuple[str | None, list[str], str | None, int | None]],
    comments: list[bool],
) -> list[str]:
    """The lines (without endings) of a stream carrying ``specs``."""
    lines: list[str] = []
    for (event, data, id_, retry), comment in zip(specs, comments, strict=True):
        if comment:
            lines.append(": comment")
        if event is not None:
            lines.append(f"event: {event}")
        # "data:<d>" (no space) is only exact when ``d`` has no leading space.
        lines.extend(f"data:{d}" if d[:1] not in ("", " ") and len(d) % 2 else f"data: {d}" for d in data)
        if id_ is not None:
            lines.append(f"id: {id_}")
        if retry is not None:
            lines.append(f"retry: {retry}")
        lines.append("")
    return lines


def expected_events(
    specs: list[tuple[str | None, list[str], str | None, int | None]],
) -> list[ServerSentEvent]:
    """The events that decoding the encoded ``specs`` must produce."""
    out: list[ServerSentEvent] = []
    last_id: str | None = None
    for event, data, id_, retry in specs:
        if id_ is not None:
            last_id = id_
        if event is not None or data or id_ is not None or retry is not None:
            out.append(ServerSentEvent(event, "\n".join(data), last_id, retry))
    return out


@settings(max_examples=300, deadline=None)
@given(
    specs=st.lists(event_specs(), max_size=8),
    data=st.data(),
)
def test_property_roundtrip_with_random_endings_and_splits(
    specs: list[tuple[str | None, list[str], str | None, int | None]],
    data: st.DataObject,
) -> None:
    comments = data.draw(st.lists(st.booleans(), min_size=len(specs), max_size=len(specs)))
    lines = encode_lines(specs, comments)
    parts: list[bytes] = []
    prev_cr = False
    for line in lines:
        # A CR followed by an empty line ending in LF would read as one CRLF.
        choices = ["\n", "\r\n", "\r"] if line or not prev_cr else ["\r\n", "\r"]
        eol = data.draw(st.sampled_from(choices))
        prev_cr = eol == "\r"
        parts.append((line + eol).encode())
    stream = b"".join(parts)
    if data.draw(st.booleans()):
        stream = BOM + stream
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=12)))
    chunks = [stream[a:b] for a, b in zip([0, *cuts], [*cuts, len(stream)], strict=True)]

    expected = expected_events(specs)
    assert decode(chunks) == expected
    assert decode([stream]) == expected


def reference_decode(stream: bytes) -> tuple[list[ServerSentEvent], str | None]:
    """A slow, line-at-a-time decoder written straight from the rules."""
    if stream.startswith(BOM):
        stream = stream[3:]
    out: list[ServerSentEvent] = []
    event: str | None = None
    data: list[str] = []
    last_id: str | None = None
    retry: int | None = None
    id_seen = False
    for raw in stream.splitlines(keepends=True):
        line = raw.rstrip(b"\r\n").decode("utf-8", errors="replace")
        if line == raw.decode("utf-8", errors="replace"):
            dispatch_allowed = False  # final line without a line ending
        else:
            dispatch_allowed = True
        if not line:
            if dispatch_allowed and (data or event or retry is not None or id_seen):
                out.append(ServerSentEvent(event, "\n".join(data), last_id, retry))
                event, data, retry, id_seen = None, [], None, False
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "data":
            data.append(value)
        elif name == "event":
            event = value or None
        elif name == "id" and "\0" not in value:
            last_id = value
            id_seen = value != ""
        elif name == "retry" and value and all(c in "0123456789" for c in value):
            retry = int(value)
    return out, last_id


TOKENS = [
    b"data",
    b"data:",
    b"data: ",
    b"event:",
    b"event: e",
    b"id:",
    b"id: 7",
    b"retry:",
    b"retry: 12",
    b":",
    b": c",
    b"x",
    b" ",
    b"1",
    b"\x00",
    b"\r",
    b"\n",
    b"\r\n",
    b"\n\n",
    b"\r\n\r\n",
    BOM,
    b"\xef",
    b"\xbb",
    b"\xc3",
    b"\xa9",
    b"\xff",
    "\u20ac\u2028\x85".encode(),
]


@settings(max_examples=500, deadline=None)
@given(tokens=st.lists(st.sampled_from(TOKENS), max_size=60), data=st.data())
def test_property_matches_reference_decoder(tokens: list[bytes], data: st.DataObject) -> None:
    stream = b"".join(tokens)
    expected, expected_id = reference_decode(stream)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=10)))
    decoder = SSEDecoder()
    events: list[ServerSentEvent] = []
    for a, b in zip([0, *cuts], [*cuts, len(stream)], strict=True):
        events.extend(decoder.feed(stream[a:b]))
    events.extend(decoder.end())
    assert events == expected
    assert decoder.last_event_id == expected_id


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


def _outcome(parse: Any, data: Any) -> tuple[str, Any]:
    try:
        return "value", parse(data)
    except ValueError as exc:
        return type(exc).__name__, str(exc)


@given(
    st.one_of(
        _json_values.map(json.dumps),
        st.tuples(_json_values.map(json.dumps), st.sampled_from(["", " ", "\n", "\t ", " x", "{", ",1"])).map(
            lambda parts: parts[0] + parts[1]
        ),
        st.tuples(st.sampled_from([" ", "\t", "\ufeff"]), _json_values.map(json.dumps)).map("".join),
        st.text(max_size=30),
    )
)
def test_event_json_matches_json_loads(data: str) -> None:
    # The event's own JSON parse skips json.loads' wrappers; its answers and errors must not differ.
    event = ServerSentEvent(data=data)
    assert _outcome(lambda d: event.json(), data) == _outcome(json.loads, data)


@given(
    st.one_of(
        _json_values.map(json.dumps),
        _json_values.map(lambda v: json.dumps(v, ensure_ascii=False)),
        st.text(max_size=30),
    ),
    st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-32", "latin-1"]),
)
def test_json_bodies_load_as_json_loads_would(text: str, encoding: str) -> None:
    from genai_base._serializers import loads_json_bytes

    try:
        raw = text.encode(encoding)
    except UnicodeEncodeError:
        return  # not representable in that encoding: nothing to compare
    assert _outcome(loads_json_bytes, raw) == _outcome(json.loads, raw)
