"""Deterministic SSE payloads shared by the benchmarks, the loopback server and the seed worker.

Standard library only: the seed worker imports it from another virtualenv.
"""

from __future__ import annotations

import json

MB = 1024 * 1024

_KINDS = (
    b'data: {"candidates":[{"content":{"parts":[{"text":"Hello, world %d"}]}}]}\n\n',
    b'event: delta\ndata: {"index":%d,"delta":{"text":"some more text"}}\n\n',
    b'id: %d\ndata: {"text":"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 unicode"}\n\n',
    b': keep-alive\n\ndata: {"multi":true,\ndata: "line":%d,\ndata: "x":[1,2,3]}\n\n',
)


# The same shapes without ``id:``: the seed decoder, once it has seen an id,
# turns every later empty line (after a comment) into an event with empty
# data, which its ``Stream`` then fails to parse as JSON.
_KINDS_NO_ID = (
    _KINDS[0],
    _KINDS[1],
    b'data: {"index":%d,"text":"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 unicode"}\n\n',
    _KINDS[3],
)


def mixed_events(total: int, kinds: tuple[bytes, ...] = _KINDS) -> tuple[bytes, int]:
    """About ``total`` bytes of mixed ~70-byte JSON events (LF endings); returns (bytes, event count).

    Four shapes rotate: a bare ``data:`` event, one with ``event:``, one with
    ``id:`` and non-ASCII text, and a comment followed by a three-line
    ``data`` event. Every event's data is valid JSON.
    """
    parts: list[bytes] = []
    size = 0
    i = 0
    while size < total:
        part = kinds[i % len(kinds)] % (i,)
        parts.append(part)
        size += len(part)
        i += 1
    return b"".join(parts), i


def numbered_events(total: int) -> list[bytes]:
    """About ``total`` bytes of ~80-byte JSON events, each with its own ``id: <n>`` (a resumable stream)."""
    events: list[bytes] = []
    size = 0
    while size < total:
        n = len(events)
        event = b'id: %d\ndata: {"index":%d,"delta":{"text":"some generated text"}}\n\n' % (n, n)
        if n == 0:
            event = b"retry: 0\n" + event  # reconnect at once: the benchmark times the resume, not a wait
        events.append(event)
        size += len(event)
    return events


def single_event(payload_size: int) -> bytes:
    """One ``data:`` event whose JSON line is about ``payload_size`` bytes."""
    text = "x" * (payload_size - 20)
    return b"data: " + json.dumps({"text": text}).encode() + b"\n\n"


def chunked(data: bytes, size: int) -> list[bytes]:
    """``data`` split into ``size``-byte chunks."""
    return [data[i : i + size] for i in range(0, len(data), size)]


def payload(kind: str, size_mb: float) -> tuple[bytes, int]:
    """(bytes, events) for ``kind`` ``mixed``, ``stream`` (mixed, no ids) or ``single``, about ``size_mb`` MB."""
    total = int(size_mb * MB)
    if kind == "mixed":
        return mixed_events(total)
    if kind == "stream":
        return mixed_events(total, _KINDS_NO_ID)
    if kind == "single":
        return single_event(total), 1
    raise ValueError(f"unknown SSE payload kind {kind!r}")
