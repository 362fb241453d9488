"""A fast loopback HTTP/1.1 server for the benchmarks: a plain ``asyncio.Protocol``, keep-alive.

Run as a script it serves on ``127.0.0.1`` and prints ``PORT <n>``; it exits
when its stdin closes (the parent went away) or after ``--max-seconds``.
:class:`LoopbackServer` starts it in a subprocess, so the server never
competes with the measured client for the GIL.

Routes (any method; a request body is read and ignored):

``/sse?kind=mixed|stream|single&mb=<float>[&piece=<bytes>]``
    a ``text/event-stream`` body from :mod:`_sse_data`, Content-Length
    framed, or with ``piece`` chunked (``Transfer-Encoding: chunked`` in
    pieces of that many bytes), as streaming servers send it.
``/trickle?n=<n>&gap=<s>&framing=length|chunked|close``
    ``n`` small events, one every ``gap`` seconds (the first at once), to
    see when a client hands over the first one.
``/hold?key=<k>&n=<n>&delay=<s>``
    held until ``n`` requests with that key arrived (or 30 s passed), then
    all answered, ``delay`` seconds later, with the small JSON body.
``/resumable?mb=<float>&cut=<fraction>``
    numbered events (``id: <n>``, chunked in 16 KB pieces); without
    ``Last-Event-ID`` the connection is closed mid-body after ``cut`` of
    them (``0``: never), with ``Last-Event-ID: <n>`` the events after ``n``
    are sent to the end; ``x-sent-bytes`` says how many event bytes this
    answer carries.
``/limited?rps=<r>&burst=<b>``
    one global limit for every connection (a token bucket of ``b`` refilled
    at ``r`` per second): the small JSON body while a token is left, else a
    429 with ``retry-after`` (seconds to the next token, fractions allowed);
    both carry ``x-ratelimit-limit/remaining/reset-requests``.
    ``/limited/stats?rps=<r>&burst=<b>`` answers ``{"ok": n, "limited": n}``.
anything else
    a small JSON object (about 100 bytes).

Standard library only.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Optional
from urllib.parse import parse_qsl

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _sse_data import numbered_events, payload

HOST = "127.0.0.1"
SMALL_JSON = b'{"id":"item_0123456789","object":"thing","ok":true,"count":3,"items":[1,2,3],"next":null}'
HOLD_LIMIT_SECONDS = 30.0
MAX_HEAD = 64 * 1024


def _response(body: bytes, content_type: bytes = b"application/json", close: bool = False) -> bytes:
    return b"".join(
        (
            b"HTTP/1.1 200 OK\r\nContent-Type: ",
            content_type,
            b"\r\nContent-Length: ",
            str(len(body)).encode(),
            b"\r\nConnection: close\r\n\r\n" if close else b"\r\n\r\n",
            body,
        )
    )


SMALL_RESPONSE = _response(SMALL_JSON)
SMALL_RESPONSE_CLOSE = _response(SMALL_JSON, close=True)
BAD_REQUEST = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"


class _State:
    """Caches and held requests shared by every connection."""

    def __init__(self) -> None:
        self.sse: dict[tuple[str, str, int], bytes] = {}
        self.numbered: dict[str, list[bytes]] = {}
        self.held: dict[str, list[tuple[HTTPProtocol, bool]]] = {}
        self.hold_timers: dict[str, asyncio.TimerHandle] = {}

    def sse_response(self, kind: str, mb: str, piece: int) -> bytes:
        key = (kind, mb, piece)
        cached = self.sse.get(key)
        if cached is None:
            body, _ = payload(kind, float(mb))
            if piece > 0:
                parts = [b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"]
                for i in range(0, len(body), piece):
                    part = body[i : i + piece]
                    parts.append(b"%x\r\n%s\r\n" % (len(part), part))
                parts.append(b"0\r\n\r\n")
                cached = b"".join(parts)
            else:
                cached = _response(body, b"text/event-stream")
            self.sse[key] = cached
        return cached

    def resumable(self, query: dict[str, str], last_event_id: Optional[str]) -> tuple[bytes, bool]:
        """The answer (head and chunked body) for ``/resumable``, and whether it breaks off mid-body."""
        mb = query.get("mb", "1")
        events = self.numbered.get(mb)
        if events is None:
            events = self.numbered[mb] = numbered_events(int(float(mb) * 1024 * 1024))
        cut = float(query.get("cut", "0"))
        if last_event_id is not None:
            start, stop, breaks = int(last_event_id) + 1, len(events), False
        else:
            start, stop = 0, int(len(events) * cut) if cut > 0 else len(events)
            breaks = stop < len(events)
        body = b"".join(events[start:stop])
        head = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n"
        parts = [head + b"x-sent-bytes: %d\r\n\r\n" % len(body)]
        for i in range(0, len(body), 16 * 1024):
            piece = body[i : i + 16 * 1024]
            parts.append(b"%x\r\n%s\r\n" % (len(piece), piece))
        if not breaks:
            parts.append(b"0\r\n\r\n")
        return b"".join(parts), breaks

    def hold(self, proto: HTTPProtocol, query: dict[str, str], close: bool) -> None:
        key = query.get("key", "")
        n = int(query.get("n", "1"))
        delay = float(query.get("delay", "0"))
        waiting = self.held.setdefault(key, [])
        waiting.append((proto, close))
        loop = asyncio.get_running_loop()
        if len(waiting) == 1:
            self.hold_timers[key] = loop.call_later(HOLD_LIMIT_SECONDS, self.release, key)
        if len(waiting) >= n:
            timer = self.hold_timers.pop(key, None)
            if timer is not None:
                timer.cancel()
            loop.call_later(delay, self.release, key)

    def release(self, key: str) -> None:
        self.hold_timers.pop(key, None)
        for proto, close in self.held.pop(key, []):
            proto.answer(SMALL_RESPONSE_CLOSE if close else SMALL_RESPONSE, close)


class _Bucket:
    """The server's own limit: a token bucket, as an API's rate limiter would keep it."""

    def __init__(self, rps: float, burst: int) -> None:
        self.rps, self.burst = rps, burst
        self.tokens = float(burst)
        self.last = time.monotonic()
        self.ok = 0
        self.limited = 0

    def answer(self) -> bytes:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.last) * self.rps)
        self.last = now
        allowed = self.tokens >= 1
        if allowed:
            self.tokens -= 1
            self.ok += 1
        else:
            self.limited += 1
        reset = (self.burst - self.tokens) / self.rps  # until the bucket is full again
        head = (
            b"x-ratelimit-limit-requests: %d\r\nx-ratelimit-remaining-requests: %d\r\n"
            b"x-ratelimit-reset-requests: %.3fs\r\n" % (self.burst, int(self.tokens), reset)
        )
        if allowed:
            return SMALL_RESPONSE.replace(b"\r\n\r\n", b"\r\n" + head + b"\r\n", 1)
        body = b'{"error":{"message":"rate limit exceeded","type":"rate_limit"}}'
        return b"".join(
            (
                b"HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json\r\nContent-Length: ",
                str(len(body)).encode(),
                b"\r\nretry-after: %.3f\r\n" % ((1 - self.tokens) / self.rps),
                head,
                b"\r\n",
                body,
            )
        )


BUCKETS: dict[tuple[float, int], _Bucket] = {}


def _bucket(query_string: str) -> _Bucket:
    query = dict(parse_qsl(query_string))
    key = (float(query.get("rps", "200")), int(query.get("burst", "20")))
    found = BUCKETS.get(key)
    if found is None:
        found = BUCKETS[key] = _Bucket(*key)
    return found


STATE = _State()


class HTTPProtocol(asyncio.Protocol):
    """One keep-alive connection: parse request heads, skip bodies, answer in order."""

    def __init__(self) -> None:
        self.transport: Optional[asyncio.Transport] = None
        self.buffer = bytearray()
        self.waiting = False  # a held request: later pipelined ones wait behind it

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def connection_lost(self, exc: Optional[BaseException]) -> None:
        self.transport = None

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        self.process()

    def process(self) -> None:
        buf = self.buffer
        while not self.waiting and self.transport is not None:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                if len(buf) > MAX_HEAD:
                    self.answer(BAD_REQUEST, True)
                return
            head = bytes(buf[:end]).lower()
            length = 0
            at = head.find(b"\r\ncontent-length:")
            if at >= 0:
                stop = head.find(b"\r\n", at + 2)
                length = int(head[at + 17 : stop if stop >= 0 else len(head)].strip() or b"0")
            if b"\r\ntransfer-encoding:" in head:
                self.answer(BAD_REQUEST, True)  # chunked uploads are not needed here
                return
            total = end + 4 + length
            if len(buf) < total:
                return
            line_end = head.find(b"\r\n")
            request_line = bytes(buf[: line_end if line_end >= 0 else end]).decode("latin-1")
            del buf[:total]
            close = b"\r\nconnection: close" in head
            parts = request_line.split(" ")
            if len(parts) != 3:
                self.answer(BAD_REQUEST, True)
                return
            self.route(parts[1], close, head)

    def route(self, target: str, close: bool, head: bytes = b"") -> None:
        path, _, query_string = target.partition("?")
        if path.endswith("/resumable"):
            at = head.find(b"\r\nlast-event-id:")
            last = head[at + 16 : head.find(b"\r\n", at + 2) if head.find(b"\r\n", at + 2) >= 0 else len(head)]
            answer, breaks = STATE.resumable(dict(parse_qsl(query_string)), last.strip().decode() if at >= 0 else None)
            self.answer(answer, close or breaks)  # breaking off: closed with the body unfinished
        elif path.endswith("/sse"):
            query = dict(parse_qsl(query_string))
            body = STATE.sse_response(query.get("kind", "mixed"), query.get("mb", "1"), int(query.get("piece", "0")))
            self.answer(body, close)
        elif path.endswith("/trickle"):
            self.waiting = True
            self.trickle(dict(parse_qsl(query_string)), close)
        elif path.endswith("/limited"):
            self.answer(_bucket(query_string).answer(), close)
        elif path.endswith("/limited/stats"):
            bucket = _bucket(query_string)
            self.answer(_response(b'{"ok":%d,"limited":%d}' % (bucket.ok, bucket.limited)), close)
        elif path.endswith("/hold"):
            self.waiting = True
            STATE.hold(self, dict(parse_qsl(query_string)), close)
        else:
            self.answer(SMALL_RESPONSE_CLOSE if close else SMALL_RESPONSE, close)

    def trickle(self, query: dict[str, str], close: bool) -> None:
        n = min(int(query.get("n", "3")), 100)
        gap = min(float(query.get("gap", "0.2")), 5.0)
        framing = query.get("framing", "chunked")
        events = [b'data: {"index":%d,"text":"tick"}\n\n' % i for i in range(n)]
        head = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
        if framing == "length":
            head += b"Content-Length: %d\r\n\r\n" % sum(map(len, events))
        elif framing == "close":
            head += b"Connection: close\r\n\r\n"
            close = True
        else:
            head += b"Transfer-Encoding: chunked\r\n\r\n"
            events = [b"%x\r\n%s\r\n" % (len(e), e) for e in events] + [b"0\r\n\r\n"]
        assert self.transport is not None
        self.transport.write(head + events[0])
        loop = asyncio.get_running_loop()
        for i, event in enumerate(events[1:], 1):
            last = i == len(events) - 1
            loop.call_later(gap * min(i, n - 1), self._trickle_part, event, close if last else None)

    def _trickle_part(self, data: bytes, finish: Optional[bool]) -> None:
        if self.transport is None:
            return
        if finish is None:
            self.transport.write(data)
        else:
            self.answer(data, finish)

    def answer(self, response: bytes, close: bool) -> None:
        transport = self.transport
        if transport is None:
            return
        transport.write(response)
        if close:
            transport.close()
            self.transport = None
            return
        if self.waiting:
            self.waiting = False
            if self.buffer:
                self.process()


async def serve(port: int, max_seconds: float) -> None:
    """Serve until stdin closes or ``max_seconds`` pass."""
    loop = asyncio.get_running_loop()
    server = await loop.create_server(HTTPProtocol, HOST, port, backlog=4096, reuse_address=True)
    bound = server.sockets[0].getsockname()[1]
    print(f"PORT {bound}", flush=True)
    stop = loop.create_future()

    def on_stdin() -> None:
        if not os.read(sys.stdin.fileno(), 4096) and not stop.done():
            stop.set_result(None)

    loop.add_reader(sys.stdin.fileno(), on_stdin)
    try:
        await asyncio.wait_for(stop, max_seconds)
    except asyncio.TimeoutError:
        pass
    finally:
        loop.remove_reader(sys.stdin.fileno())
        server.close()


class LoopbackServer:
    """The server in a subprocess of this interpreter; a context manager giving its base URL."""

    def __init__(self, max_seconds: float = 1800.0) -> None:
        self.max_seconds = max_seconds
        self.process: Optional[subprocess.Popen[str]] = None
        self.port = 0

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://{HOST}:{self.port}"

    def start(self) -> str:
        """Start the server and wait for its port; returns the base URL."""
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--max-seconds", str(self.max_seconds)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        deadline = time.monotonic() + 30
        line = ""
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if line.startswith("PORT "):
                self.port = int(line.split()[1])
                return self.base_url
            if not line and self.process.poll() is not None:
                break
        raise RuntimeError(f"the loopback server did not start (last output {line!r})")

    def stop(self) -> None:
        """Close its stdin (it exits), then wait for it."""
        process = self.process
        if process is None:
            return
        self.process = None
        if process.stdin is not None:
            process.stdin.close()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()

    def __enter__(self) -> str:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def main() -> None:
    """Serve on 127.0.0.1 (port 0 picks a free one)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--max-seconds", type=float, default=1800.0)
    args = parser.parse_args()
    try:
        asyncio.run(serve(args.port, args.max_seconds))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
