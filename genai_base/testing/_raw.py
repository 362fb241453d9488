"""A loopback TCP server that answers each connection with a script of raw steps.

:class:`FakeAPIServer` speaks correct HTTP through ``aiohttp.web``; some
misbehaviour cannot be produced that way (bad framing, a ``103`` before the
final status, a body that trickles in a byte at a time, a server that stops
reading an upload, a bare CR inside a header, a negative chunk size).
:class:`RawSocketServer` sends exactly the bytes a test scripts::

    from genai_base.testing import RawSocketServer, ReadRequest, Delay

    script = [
        ReadRequest(),
        b"HTTP/1.1 103 Early Hints\\r\\nLink: </a.css>\\r\\n\\r\\n",
        Delay(0.01),
        b"HTTP/1.1 200 OK\\r\\nContent-Length: 2\\r\\n\\r\\n{}",
    ]
    with RawSocketServer(script) as server:
        ...  # point a client at server.url; server.requests holds what it read

A script is a sequence of steps run in order on one connection; after the
last step the connection is closed. ``RawSocketServer(first, second, ...)``
runs the first script on the first connection, the second on the second,
and the last one on every later connection.
"""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Optional, Union

__all__ = [
    "Close",
    "Delay",
    "Hold",
    "RawConnection",
    "RawRequest",
    "RawSocketServer",
    "Read",
    "ReadHead",
    "ReadRequest",
    "Reset",
    "Step",
    "Trickle",
    "Tunnel",
]

_JOIN_TIMEOUT = 5.0
_MAX_HEAD = 1 << 20


@dataclass(frozen=True)
class RawRequest:
    """One request as the raw server read it: the head as sent, parsed a little, and the body."""

    #: The request line and header lines as read, up to and including the blank line.
    head: bytes
    #: The body (``ReadRequest`` only: a ``ReadHead`` leaves it unread).
    body: bytes = b""

    @property
    def request_line(self) -> str:
        """``GET /path HTTP/1.1``."""
        return self.head.split(b"\r\n", 1)[0].decode("latin-1")

    @property
    def method(self) -> str:
        """The request's method."""
        return self.request_line.split(" ", 1)[0]

    @property
    def target(self) -> str:
        """The request target as sent (``/path?query``, or ``host:port`` for a ``CONNECT``)."""
        parts = self.request_line.split(" ")
        return parts[1] if len(parts) > 1 else ""

    @property
    def headers(self) -> list[tuple[str, str]]:
        """The header fields in order, names as sent."""
        pairs = []
        for line in self.head.split(b"\r\n")[1:]:
            if not line:
                continue
            name, _, value = line.decode("latin-1").partition(":")
            pairs.append((name.strip(), value.strip()))
        return pairs

    def header(self, name: str) -> Optional[str]:
        """The first value of header ``name`` (case-insensitive), or ``None``."""
        lower = name.lower()
        return next((value for key, value in self.headers if key.lower() == lower), None)


# -- steps -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Delay:
    """Wait ``seconds`` before the next step."""

    #: How long to wait.
    seconds: float


@dataclass(frozen=True)
class Trickle:
    """Send ``data`` ``size`` bytes at a time, waiting ``every`` seconds before each piece."""

    #: What to send, in all.
    data: bytes
    #: The wait before each piece, in seconds.
    every: float
    #: Bytes per piece.
    size: int = 1


@dataclass(frozen=True)
class ReadHead:
    """Read a request's head (up to the blank line) and record it, leaving its body unread."""


@dataclass(frozen=True)
class ReadRequest:
    """Read one whole request (head, then a ``Content-Length`` or chunked body) and record it."""


@dataclass(frozen=True)
class Read:
    """Read exactly ``size`` bytes (or until the peer closes) and discard them."""

    #: How many bytes to read.
    size: int


@dataclass(frozen=True)
class Hold:
    """Stop reading and keep the connection open: for ``seconds``, or until the server stops."""

    #: How long to hold; ``None``: until the server stops.
    seconds: Optional[float] = None


@dataclass(frozen=True)
class Tunnel:
    """Act as an HTTPS proxy: read a ``CONNECT host:port`` (recorded), connect there, answer 200, relay.

    The bytes inside the tunnel (TLS, for an HTTPS origin) pass through
    unread, as through a real proxy, until either side closes.
    """


@dataclass(frozen=True)
class Close:
    """Close the connection (a FIN) now."""


@dataclass(frozen=True)
class Reset:
    """Drop the connection with a TCP reset now."""


#: A step: bytes to send, a step object, or a callable given the :class:`RawConnection`.
Step = Union[
    bytes, Delay, Trickle, ReadHead, ReadRequest, Read, Hold, Tunnel, Close, Reset, Callable[["RawConnection"], None]
]


class RawConnection:
    """One accepted connection, as script steps (and callable steps) see it."""

    def __init__(self, sock: socket.socket, server: "RawSocketServer") -> None:
        #: The accepted socket.
        self.sock = sock
        self._server = server
        self._buffer = b""

    def send(self, data: bytes) -> None:
        """Send ``data`` as is."""
        self.sock.sendall(data)

    def read(self, size: int) -> bytes:
        """Up to ``size`` bytes: fewer only when the peer closed."""
        while len(self._buffer) < size:
            chunk = self.sock.recv(65536)
            if not chunk:
                break
            self._buffer += chunk
        data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data

    def read_until(self, marker: bytes, limit: int = _MAX_HEAD) -> bytes:
        """Bytes up to and including ``marker`` (what was read if the peer closed first)."""
        while marker not in self._buffer and len(self._buffer) < limit:
            chunk = self.sock.recv(65536)
            if not chunk:
                data, self._buffer = self._buffer, b""
                return data
            self._buffer += chunk
        end = self._buffer.find(marker)
        end = len(self._buffer) if end < 0 else end + len(marker)
        data, self._buffer = self._buffer[:end], self._buffer[end:]
        return data

    def read_head(self) -> RawRequest:
        """Read and record a request head."""
        request = RawRequest(self.read_until(b"\r\n\r\n"))
        self._server._record(request)
        return request

    def read_request(self) -> RawRequest:
        """Read and record a whole request."""
        head = RawRequest(self.read_until(b"\r\n\r\n"))
        body = b""
        length = head.header("content-length")
        if length is not None and length.isdigit():
            body = self.read(int(length))
        elif (head.header("transfer-encoding") or "").lower() == "chunked":
            while True:
                size_line = self.read_until(b"\r\n")
                try:
                    size = int(size_line.split(b";")[0].strip() or b"0", 16)
                except ValueError:
                    break
                chunk = self.read(size + 2)[:size]
                if size == 0 or not size_line:
                    break
                body += chunk
        request = RawRequest(head.head, body)
        self._server._record(request)
        return request

    def hold(self, seconds: Optional[float]) -> None:
        """Keep the connection open without reading, until ``seconds`` pass or the server stops."""
        self._server._stopping.wait(seconds)

    def tunnel(self) -> None:
        """Serve one ``CONNECT``: connect to its target, answer 200, relay bytes both ways until one side closes."""
        request = self.read_head()
        host, _, port = request.target.rpartition(":")
        try:
            upstream = socket.create_connection((host.strip("[]"), int(port)), timeout=5)
        except (OSError, ValueError):
            self.send(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            return
        upstream.settimeout(None)
        self.send(b"HTTP/1.1 200 Connection established\r\n\r\n")
        if self._buffer:
            upstream.sendall(self._buffer)
            self._buffer = b""

        def pump(source: socket.socket, target: socket.socket) -> None:
            try:
                while True:
                    data = source.recv(65536)
                    if not data:
                        break
                    target.sendall(data)
            except OSError:
                pass
            finally:
                for sock in (source, target):
                    try:
                        sock.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass

        back = threading.Thread(target=pump, args=(upstream, self.sock), daemon=True)
        back.start()
        pump(self.sock, upstream)
        back.join(_JOIN_TIMEOUT)
        upstream.close()

    def close(self) -> None:
        """Close the connection (idempotent)."""
        try:
            self.sock.close()
        except OSError:
            pass

    def reset(self) -> None:
        """Close with a TCP reset."""
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        self.close()

    def run(self, script: Sequence[Step]) -> None:
        """Run ``script``'s steps in order."""
        for step in script:
            if self._server._stopping.is_set():
                return
            if isinstance(step, (bytes, bytearray)):
                self.send(bytes(step))
            elif isinstance(step, Delay):
                self._server._stopping.wait(step.seconds)
            elif isinstance(step, Trickle):
                for start in range(0, len(step.data), step.size):
                    if self._server._stopping.wait(step.every):
                        return
                    self.send(step.data[start : start + step.size])
            elif isinstance(step, ReadHead):
                self.read_head()
            elif isinstance(step, ReadRequest):
                self.read_request()
            elif isinstance(step, Read):
                self.read(step.size)
            elif isinstance(step, Hold):
                self.hold(step.seconds)
            elif isinstance(step, Tunnel):
                self.tunnel()
            elif isinstance(step, Close):
                self.close()
                return
            elif isinstance(step, Reset):
                self.reset()
                return
            elif callable(step):
                step(self)
            else:
                raise TypeError(f"not a raw server step: {step!r}")


@dataclass
class _Live:
    threads: list[threading.Thread] = field(default_factory=list)
    connections: list[RawConnection] = field(default_factory=list)


class RawSocketServer:
    """A TCP server on ``127.0.0.1`` that runs a script of raw steps on each connection it accepts.

    Use it as a context manager (or ``start()`` / ``stop()``). ``requests``
    holds what :class:`ReadHead` / :class:`ReadRequest` steps read, in order;
    ``connections`` counts the connections accepted.
    """

    def __init__(self, *scripts: Sequence[Step], host: str = "127.0.0.1") -> None:
        if not scripts:
            raise ValueError("RawSocketServer needs at least one script")
        self._scripts = [list(script) for script in scripts]
        self._host = host
        self._listener: Optional[socket.socket] = None
        self._acceptor: Optional[threading.Thread] = None
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._live = _Live()
        self._requests: list[RawRequest] = []
        #: How many connections were accepted so far.
        self.connections = 0
        #: Errors raised by steps (a peer that went away is not one).
        self.errors: list[BaseException] = []

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> "RawSocketServer":
        """Start accepting (no-op when running); return ``self``."""
        if self._listener is not None:
            return self
        self._stopping.clear()
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((self._host, 0))
        listener.listen(64)
        listener.settimeout(0.05)  # the accept loop looks at the stop flag this often
        self._listener = listener
        self._acceptor = threading.Thread(target=self._accept_loop, name="raw-socket-server", daemon=True)
        self._acceptor.start()
        return self

    def stop(self) -> None:
        """Stop accepting, close every connection and join the threads (idempotent)."""
        listener, self._listener = self._listener, None
        if listener is None:
            return
        self._stopping.set()
        if self._acceptor is not None:
            self._acceptor.join(_JOIN_TIMEOUT)
        listener.close()
        with self._lock:
            connections, threads = list(self._live.connections), list(self._live.threads)
        for connection in connections:
            try:
                connection.sock.shutdown(socket.SHUT_RDWR)  # wakes a thread blocked in recv
            except OSError:
                pass
            connection.close()
        for thread in threads:
            thread.join(_JOIN_TIMEOUT)

    def __enter__(self) -> "RawSocketServer":
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()

    # -- what a test reads ----------------------------------------------------------------

    @property
    def port(self) -> int:
        """The bound port."""
        if self._listener is None:
            raise RuntimeError("the raw socket server is not running")
        return int(self._listener.getsockname()[1])

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` (no trailing slash)."""
        return f"http://{self._host}:{self.port}"

    @property
    def requests(self) -> list[RawRequest]:
        """The requests read so far (a copy)."""
        with self._lock:
            return list(self._requests)

    def wait_for_requests(self, count: int, timeout: float = 5.0) -> list[RawRequest]:
        """The requests, once at least ``count`` were read (or ``timeout`` passed)."""
        ends = time.monotonic() + timeout
        while len(self.requests) < count and time.monotonic() < ends:
            time.sleep(0.005)
        return self.requests

    def _record(self, request: RawRequest) -> None:
        with self._lock:
            self._requests.append(request)

    # -- serving --------------------------------------------------------------------------

    def _accept_loop(self) -> None:
        listener = self._listener
        assert listener is not None
        while not self._stopping.is_set():
            try:
                sock, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            sock.settimeout(None)
            with self._lock:
                script = self._scripts[min(self.connections, len(self._scripts) - 1)]
                self.connections += 1
                connection = RawConnection(sock, self)
                thread = threading.Thread(target=self._serve, args=(connection, script), daemon=True)
                self._live.connections.append(connection)
                self._live.threads.append(thread)
            thread.start()

    def _serve(self, connection: RawConnection, script: Sequence[Step]) -> None:
        try:
            connection.run(script)
        except OSError:
            pass  # the client went away: that is what many scripts provoke
        except BaseException as exc:  # kept for the test to look at
            self.errors.append(exc)
        finally:
            connection.close()

    def __repr__(self) -> str:
        where = self.url if self._listener is not None else "stopped"
        return f"<RawSocketServer {where}>"
