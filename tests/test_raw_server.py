"""genai_base.testing.RawSocketServer itself: scripts per connection, what it records, how it stops."""

from __future__ import annotations

import socket
import time

import pytest

from genai_base.testing import (
    Close,
    Delay,
    Hold,
    RawConnection,
    RawSocketServer,
    Read,
    ReadHead,
    ReadRequest,
    Reset,
    Trickle,
)


def talk(server: RawSocketServer, data: bytes, timeout: float = 2.0) -> bytes:
    """Send ``data`` on a new connection and read until the server closes it."""
    received = b""
    try:
        with socket.create_connection(("127.0.0.1", server.port), timeout=timeout) as sock:
            sock.sendall(data)
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    return received
                received += chunk
    except ConnectionResetError:  # a Reset step (it may come while still connecting)
        return received


def test_each_connection_runs_its_script_and_the_last_repeats() -> None:
    with RawSocketServer([ReadRequest(), b"first"], [ReadRequest(), b"second"]) as server:
        answers = [talk(server, b"GET /%d HTTP/1.1\r\nHost: x\r\n\r\n" % i) for i in range(3)]
        assert answers == [b"first", b"second", b"second"]
        assert server.connections == 3
        assert [r.target for r in server.requests] == ["/0", "/1", "/2"]


def test_a_request_is_read_whole_and_parsed_a_little() -> None:
    with RawSocketServer([ReadRequest(), b"ok"]) as server:
        talk(server, b"POST /up?x=1 HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nX-A: b\r\n\r\nhello")
        (request,) = server.requests
    assert (request.method, request.target, request.body) == ("POST", "/up?x=1", b"hello")
    assert request.header("x-a") == "b" and request.header("missing") is None
    assert request.request_line == "POST /up?x=1 HTTP/1.1"


def test_a_chunked_request_body_is_read() -> None:
    with RawSocketServer([ReadRequest(), b"ok"]) as server:
        talk(server, b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n")
        assert server.requests[0].body == b"abcde"


def test_read_head_leaves_the_body_and_read_discards_bytes() -> None:
    with RawSocketServer([ReadHead(), Read(3), b"done"]) as server:
        assert talk(server, b"POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc") == b"done"
        assert server.requests[0].body == b""


def test_delay_and_trickle_take_their_time() -> None:
    with RawSocketServer([Delay(0.1), Trickle(b"abcd", every=0.05, size=2)]) as server:
        started = time.monotonic()
        assert talk(server, b"") == b"abcd"
        assert time.monotonic() - started >= 0.2


def test_hold_keeps_the_connection_open_until_the_server_stops() -> None:
    server = RawSocketServer([Hold()]).start()
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=2)
    with pytest.raises(socket.timeout):
        sock.settimeout(0.1)
        sock.recv(1)
    started = time.monotonic()
    server.stop()  # wakes the held connection and closes it
    sock.settimeout(2)
    assert sock.recv(1) == b""
    assert time.monotonic() - started < 2
    sock.close()


def test_close_reset_and_callable_steps() -> None:
    def shout(connection: RawConnection) -> None:
        connection.send(connection.read(2).upper())

    with RawSocketServer([shout, Close()], [Reset()]) as server:
        assert talk(server, b"hi") == b"HI"
        assert talk(server, b"") == b""  # reset: the client sees the end at once


def test_a_step_that_fails_is_kept_for_the_test() -> None:
    with RawSocketServer([42]) as server:  # type: ignore[list-item]
        talk(server, b"")
        deadline = time.monotonic() + 2
        while not server.errors and time.monotonic() < deadline:
            time.sleep(0.01)
    assert isinstance(server.errors[0], TypeError)


def test_it_needs_a_script_and_says_when_it_is_not_running() -> None:
    with pytest.raises(ValueError):
        RawSocketServer()
    server = RawSocketServer([b"x"])
    with pytest.raises(RuntimeError):
        _ = server.port
    assert "stopped" in repr(server)
