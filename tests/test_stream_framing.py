"""Events arrive as they are sent, however the response body is framed."""

from __future__ import annotations

import socket
import threading
from typing import Iterator

import pytest

from .conftest import Shell

FIRST = b'data: {"n": 1}\n\n'
REST = b'data: {"n": 2}\n\ndata: [DONE]\n\n'


class HeldBackServer:
    """Sends the first event of a Content-Length (or close-delimited) body, then waits for the client."""

    def __init__(self, framing: str) -> None:
        self.framing = framing
        self.client_saw_first = threading.Event()
        self.waited_in_vain = False
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        conn, _ = self.sock.accept()
        with conn:
            data = b""
            while b"\r\n\r\n" not in data:
                data += conn.recv(65536)
            length = f"Content-Length: {len(FIRST) + len(REST)}\r\n" if self.framing == "length" else ""
            conn.sendall(
                f"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n{length}Connection: close\r\n\r\n".encode()
                + FIRST
            )
            self.waited_in_vain = not self.client_saw_first.wait(5)
            conn.sendall(REST)

    def close(self) -> None:
        self.client_saw_first.set()
        self.thread.join(5)
        self.sock.close()


@pytest.fixture(params=["length", "close"])
def held_back(request: pytest.FixtureRequest) -> Iterator[HeldBackServer]:
    server = HeldBackServer(request.param)
    yield server
    server.close()


def test_first_event_arrives_before_the_body_ends(shell: Shell, held_back: HeldBackServer) -> None:
    client = shell.client(base_url=held_back.url, max_retries=0, timeout=10)
    seen: list[int] = []

    async def consume_async() -> None:
        async for event in await client.get("/sse", cast_to=dict, stream=True):
            seen.append(event["n"])
            held_back.client_saw_first.set()

    if shell.is_async:
        shell.run(consume_async())
    else:
        for event in client.get("/sse", cast_to=dict, stream=True):
            seen.append(event["n"])
            held_back.client_saw_first.set()
    assert seen == [1, 2]
    assert not held_back.waited_in_vain, "the first event was held back until the whole body arrived"
