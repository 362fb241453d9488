"""One contender's request loop, run under valgrind by ``bench_instructions.py``.

``python _instr_worker.py <contender> <n> <base_url>`` makes ``n`` requests
(after building its client) and exits. Each contender is what the wall-clock
benchmarks time, one request at a time, or for an async one named
``... (c=N)`` by ``N`` coroutines at once; the seed contenders need an
interpreter that has ``google.genai``.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from typing import Any, Dict

GET_PATH = "/v1/items/abc"
POST_PATH = "/v1/items"
BODY = {"name": "x", "count": 3}


async def _concurrently(get: Callable[[], Awaitable[Any]], n: int, concurrency: int) -> None:
    started = 0

    async def worker() -> None:
        nonlocal started
        while started < n:
            started += 1
            await get()

    await asyncio.gather(*(worker() for _ in range(concurrency)))


async def _async_loop(contender: str, n: int, url: str) -> None:
    import aiohttp

    contender, _, rest = contender.partition(" (c=")
    concurrency = int(rest.rstrip(")")) if rest else 1
    if contender == "genai_base async GET":
        from genai_base import AsyncAPIClient

        async with AsyncAPIClient(version="1.0.0", base_url=url, max_retries=0) as client:
            if concurrency > 1:
                await _concurrently(lambda: client.get(GET_PATH, cast_to=dict), n, concurrency)
                return
            for _ in range(n):
                await client.get(GET_PATH, cast_to=dict)
        return
    headers: Any = None
    if contender == "raw aiohttp GET, same headers":
        from genai_base import AsyncAPIClient
        from genai_base._options import DEFAULT_TIMEOUT, FinalRequestOptions

        made = AsyncAPIClient(version="1.0.0", base_url=url)
        headers = dict(made._builder.build(FinalRequestOptions(method="get", url=GET_PATH), DEFAULT_TIMEOUT).headers)
    async with aiohttp.ClientSession() as session:
        if concurrency > 1:

            async def get() -> None:
                async with session.get(url + GET_PATH, headers=headers) as resp:
                    json.loads(await resp.read())

            await _concurrently(get, n, concurrency)
            return
        for _ in range(n):
            async with session.get(url + GET_PATH, headers=headers) as resp:
                json.loads(await resp.read())


def _sync_loop(contender: str, n: int, url: str) -> None:
    post = contender.endswith("POST")
    if contender.startswith("genai_base"):
        from genai_base import SyncAPIClient

        client = SyncAPIClient(version="1.0.0", base_url=url, max_retries=0)
        for _ in range(n):
            if post:
                client.post(POST_PATH, cast_to=dict, body=BODY)
            else:
                client.get(GET_PATH, cast_to=dict)
    elif contender.startswith("seed"):
        from google.genai._interactions._base_client import SyncAPIClient as SeedClient

        seed = SeedClient(version="1.0.0", base_url=url, _strict_response_validation=False)
        for _ in range(n):
            if post:
                seed.post(POST_PATH, cast_to=Dict[str, object], body=BODY)
            else:
                seed.get(GET_PATH, cast_to=Dict[str, object])
    else:
        import requests

        session = requests.Session()
        for _ in range(n):
            if post:
                session.request("POST", url + POST_PATH, json=BODY).json()
            else:
                session.request("GET", url + GET_PATH).json()


def main() -> None:
    contender, n, url = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    if "aiohttp" in contender or "async" in contender:
        asyncio.run(_async_loop(contender, n, url))
    else:
        _sync_loop(contender, n, url)


if __name__ == "__main__":
    main()
