"""A throwaway ``redis-server`` on a free loopback port, for the fleet and limiter benchmarks."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from typing import Optional


class RedisProcess:
    """A context manager: a redis-server (no persistence) on a free loopback port; ``None`` if none is installed."""

    def __init__(self) -> None:
        self.binary = shutil.which("redis-server")
        self.process: Optional[subprocess.Popen[bytes]] = None
        self.dir = tempfile.mkdtemp(prefix="bench-redis-")
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = int(sock.getsockname()[1])

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def cpu_seconds(self) -> float:
        """The server's CPU time so far (user + system, from /proc; 0 where there is none)."""
        if self.process is None:
            return 0.0
        try:
            with open(f"/proc/{self.process.pid}/stat") as stat:
                fields = stat.read().rpartition(")")[2].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def __enter__(self) -> Optional[str]:
        if self.binary is None:
            return None
        import redis

        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", self.dir], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        with redis.Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=0.2, socket_timeout=0.2) as client:
            for _ in range(500):
                try:
                    client.ping()
                    return self.url
                except (redis.ConnectionError, redis.TimeoutError):
                    time.sleep(0.01)
        raise RuntimeError("redis-server did not start")

    def __exit__(self, *exc_info: object) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
        shutil.rmtree(self.dir, ignore_errors=True)
