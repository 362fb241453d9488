"""Quick throughput check for ``genai_base._sse`` (prints MB/s and events/s).

Run: ``python benchmarks/sse_decode_quick.py`` from the repository root.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from genai_base._sse import SSEDecoder

MB = 1024 * 1024


def small_events_stream(total: int) -> tuple[bytes, int]:
    """About ``total`` bytes of mixed ~100-byte events; returns (bytes, count)."""
    kinds = [
        b'data: {"candidates":[{"content":{"parts":[{"text":"Hello, world %d"}]}}]}\n\n',
        b'event: delta\ndata: {"index":%d,"delta":{"text":"some more text"}}\n\n',
        b'id: %d\ndata: {"text":"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 unicode"}\n\n',
        b': keep-alive\n\ndata: {"multi":true,\ndata: "line":%d,\ndata: "x":[1,2,3]}\n\n',
    ]
    parts: list[bytes] = []
    size = 0
    count = 0
    i = 0
    while size < total:
        part = kinds[i % len(kinds)] % (i,)
        parts.append(part)
        size += len(part)
        count += 1
        i += 1
    return b"".join(parts), count


def json_events_stream(total: int) -> tuple[bytes, int]:
    """About ``total`` bytes of ~100-byte ``data: {json}`` events."""
    parts: list[bytes] = []
    size = 0
    while size < total:
        part = b'data: {"candidates":[{"content":{"parts":[{"text":"token %d"}],"role":"model"}}]}\n\n' % len(parts)
        parts.append(part)
        size += len(part)
    return b"".join(parts), len(parts)


def single_event_stream(payload_size: int) -> bytes:
    """One JSON event whose ``data:`` line is about ``payload_size`` bytes."""
    text = "x" * (payload_size - 20)
    return b"data: " + json.dumps({"text": text}).encode() + b"\n\n"


def chunked(data: bytes, size: int) -> list[bytes]:
    """Split ``data`` into ``size``-byte chunks."""
    return [data[i : i + size] for i in range(0, len(data), size)]


def decode_all(chunks: list[bytes]) -> int:
    """Feed every chunk to a fresh decoder; return the number of events."""
    decoder = SSEDecoder()
    feed = decoder.feed
    n = 0
    for chunk in chunks:
        n += len(feed(chunk))
    return n + len(decoder.end())


def bench(name: str, data: bytes, chunk_size: int, expected: int, repeat: int = 5) -> None:
    """Time ``decode_all`` (best of ``repeat``) and print the figures."""
    chunks = chunked(data, chunk_size)
    best = float("inf")
    run: Callable[[list[bytes]], int] = decode_all
    for _ in range(repeat):
        start = time.perf_counter()
        n = run(chunks)
        best = min(best, time.perf_counter() - start)
        assert n == expected, (n, expected)
    print(f"{name:<42} {len(data) / MB / best:9.1f} MB/s {n / best:12.0f} events/s ({best * 1000:.1f} ms)")


def main() -> None:
    """Run all benchmarks."""
    print(f"Python {sys.version.split()[0]}")
    small, count = small_events_stream(20 * MB)
    bench("20 MB mixed small events, 64 KB chunks", small, 64 * 1024, count)
    small, count = json_events_stream(20 * MB)
    bench("20 MB data-only JSON events, 64 KB chunks", small, 64 * 1024, count)
    big = single_event_stream(4 * MB)
    for size in (1024, 16 * 1024, 64 * 1024):
        bench(f"4 MB single event, {size // 1024} KB chunks", big, size, 1)


if __name__ == "__main__":
    main()
