"""The seed client's side of the benchmarks, run in its own interpreter (it needs ``google.genai``).

The seed (google-genai's ``_interactions`` base client, on httpx) is only a
comparison, never a dependency of genai_base, so it runs in a subprocess
under an interpreter that has it (see ``_common.seed_python``). The parent
sends one JSON object per line on stdin and reads one JSON object per line
back; each operation is bounded in count and in time. ``--memory`` runs the
one-shot memory measurement instead (a fresh process per measurement).

Imports only the standard library, :mod:`_sse_data` and the seed.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any, Dict

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _sse_data import chunked, payload

JSON_DICT = Dict[str, object]


class Worker:
    """Holds warm seed clients between operations."""

    def __init__(self) -> None:
        from google.genai._interactions._base_client import AsyncAPIClient, SyncAPIClient

        self._sync_cls = SyncAPIClient
        self._async_cls = AsyncAPIClient
        self.loop = asyncio.new_event_loop()
        self.sync_clients: dict[str, Any] = {}
        self.async_clients: dict[str, Any] = {}
        self.sse_chunks: dict[tuple[str, float, int], tuple[list[bytes], int]] = {}

    def sync_client(self, url: str) -> Any:
        client = self.sync_clients.get(url)
        if client is None:
            client = self._sync_cls(version="1.0.0", base_url=url, _strict_response_validation=False)
            self.sync_clients[url] = client
        return client

    def async_client(self, url: str) -> Any:
        client = self.async_clients.get(url)
        if client is None:
            client = self._async_cls(version="1.0.0", base_url=url, _strict_response_validation=False)
            self.async_clients[url] = client
        return client

    # -- operations ----------------------------------------------------------

    def op_ping(self) -> dict[str, Any]:
        import google.genai

        return {"version": getattr(google.genai, "__version__", "?"), "python": sys.version.split()[0]}

    def op_sync(self, url: str, path: str, n: int, max_seconds: float, body: Any = None) -> dict[str, Any]:
        client = self.sync_client(url)
        get, post = client.get, client.post
        count = 0
        cpu = time.process_time()
        start = time.perf_counter()
        stop_at = start + max_seconds
        while count < n:
            if body is None:
                get(path, cast_to=JSON_DICT)
            else:
                post(path, cast_to=JSON_DICT, body=body)
            count += 1
            if not count % 50 and time.perf_counter() > stop_at:
                break
        return {"count": count, "seconds": time.perf_counter() - start, "cpu": time.process_time() - cpu}

    def op_async(self, url: str, path: str, n: int, concurrency: int, max_seconds: float) -> dict[str, Any]:
        client = self.async_client(url)

        async def run() -> dict[str, Any]:
            done = 0
            stop_at = time.perf_counter() + max_seconds

            async def worker() -> None:
                nonlocal done
                while done < n and time.perf_counter() < stop_at:
                    done += 1
                    await client.get(path, cast_to=JSON_DICT)

            cpu = time.process_time()
            start = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(concurrency)))
            return {"count": done, "seconds": time.perf_counter() - start, "cpu": time.process_time() - cpu}

        return self.loop.run_until_complete(run())

    def op_sse_mem(self, kind: str, mb: float, chunk: int, parse_json: bool) -> dict[str, Any]:
        from google.genai._interactions._streaming import SSEDecoder

        key = (kind, mb, chunk)
        if key not in self.sse_chunks:
            data, _ = payload(kind, mb)
            self.sse_chunks[key] = (chunked(data, chunk), len(data))
        chunks, size = self.sse_chunks[key]
        loads = json.loads
        events = 0
        start = time.process_time()  # CPU time, as the parent measures its own decoder
        if parse_json:
            for event in SSEDecoder().iter_bytes(iter(chunks)):
                if event.data:  # the seed's spurious empty events (see _sse_data) are skipped
                    loads(event.data)
                events += 1
        else:
            for _event in SSEDecoder().iter_bytes(iter(chunks)):
                events += 1
        return {"bytes": size, "events": events, "seconds": time.process_time() - start}

    def op_sse_e2e(self, url: str, path: str) -> dict[str, Any]:
        from google.genai._interactions._streaming import Stream

        client = self.sync_client(url)
        events = 0
        start = time.perf_counter()
        stream = client.get(path, cast_to=object, stream=True, stream_cls=Stream[object])
        for _item in stream:
            events += 1
        return {"events": events, "seconds": time.perf_counter() - start}

    def op_first_event(self, url: str, path: str) -> dict[str, Any]:
        from google.genai._interactions._streaming import Stream

        client = self.sync_client(url)
        start = time.perf_counter()
        first = None
        for _item in client.get(path, cast_to=object, stream=True, stream_cls=Stream[object]):
            if first is None:
                first = time.perf_counter() - start
        return {"first": first, "total": time.perf_counter() - start}

    def close(self) -> None:
        for client in self.sync_clients.values():
            client.close()
        for client in self.async_clients.values():
            self.loop.run_until_complete(client.close())
        self.loop.close()


def serve() -> None:
    """Answer JSON-line requests until stdin closes or a ``close`` op arrives."""
    worker = Worker()
    try:
        for line in sys.stdin:
            request = json.loads(line)
            op = request.pop("op")
            if op == "close":
                break
            try:
                reply = getattr(worker, f"op_{op}")(**request)
            except Exception as exc:  # reported to the parent, which skips the seed column
                reply = {"error": f"{type(exc).__name__}: {exc}"}
            sys.stdout.write(json.dumps(reply) + "\n")
            sys.stdout.flush()
    finally:
        worker.close()


def memory(url: str, n: int, mode: str) -> None:
    """Print the memory ``n`` concurrent seed async requests hold (see bench_memory)."""
    import resource
    import tracemalloc

    from google.genai._interactions._base_client import AsyncAPIClient

    async def run() -> dict[str, Any]:
        import httpx

        # The seed's default pool (httpx) allows fewer connections than requests in flight here;
        # raise it as the other contenders' pools are raised.
        http_client = httpx.AsyncClient(
            limits=httpx.Limits(max_connections=2 * n, max_keepalive_connections=2 * n),
            timeout=httpx.Timeout(60.0, connect=5.0),
        )
        client = AsyncAPIClient(
            version="1.0.0", base_url=url, _strict_response_validation=False, http_client=http_client
        )
        for _ in range(3):
            await client.get("/warm", cast_to=JSON_DICT)
        if mode == "tracemalloc":
            tracemalloc.start()
            base = tracemalloc.get_traced_memory()[0]
        else:
            base = _rss()
        key = f"seed-{time.monotonic_ns()}"
        path = f"/hold?key={key}&n={n}&delay=0.3"
        results = await asyncio.wait_for(asyncio.gather(*(client.get(path, cast_to=JSON_DICT) for _ in range(n))), 60)
        if mode == "tracemalloc":
            peak = tracemalloc.get_traced_memory()[1] - base
            tracemalloc.stop()
        else:
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - base
        await client.close()
        return {"peak_bytes": peak, "count": len(results)}

    print(json.dumps(asyncio.run(run())))


def _rss() -> int:
    with open("/proc/self/statm") as f:
        import os

        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--memory":
        memory(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    else:
        serve()
