"""Write docs/_inventories/*.inv: the intersphinx inventories the docs build reads instead of downloading.

The build runs where there is no network (CI, developers' machines), so
Sphinx cannot fetch ``objects.inv`` from docs.python.org, requests or
aiohttp. These small inventories hold one entry for each outside name the
docs refer to (in type hints and in the guide's text), each pointing at its
real page on the project's public docs. Referring to a new outside name:
add it below and run ``python docs/_tools/make_inventories.py``
(``tests/test_docs_reference.py`` checks that the files match this list).

The format is Sphinx's inventory version 2: four header lines, then
zlib-compressed lines of ``name domain:role priority uri display-name``.
"""

from __future__ import annotations

import sys
import zlib
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "_inventories"

# (name, role, page): the anchor on the page is the name itself, as in the projects' own inventories.
PYTHON = {
    "project": "Python",
    "version": "3",
    "entries": [
        *((name, "class", "library/stdtypes.html") for name in ("str", "bytes", "bytearray", "dict", "list",
                                                                "tuple", "set", "frozenset", "memoryview")),
        *((name, "class", "library/functions.html") for name in ("int", "float", "bool", "object", "type")),
        ("None", "data", "library/constants.html"),
        ("NotImplemented", "data", "library/constants.html"),
        ("Ellipsis", "data", "library/constants.html"),
        *((name, "exception", "library/exceptions.html") for name in (
            "BaseException", "Exception", "ValueError", "TypeError", "KeyError", "RuntimeError", "OSError",
            "ConnectionError", "TimeoutError", "RecursionError", "UnicodeError", "ResourceWarning",
            "KeyboardInterrupt", "StopIteration", "StopAsyncIteration", "AttributeError", "ImportError")),
        *((f"typing.{name}", "data", "library/typing.html") for name in (
            "Any", "Optional", "Union", "Literal", "ClassVar", "Final")),
        *((f"typing.{name}", "class", "library/typing.html") for name in (
            "Protocol", "Generic", "TypeVar", "Mapping", "MutableMapping", "Sequence", "Iterable", "Iterator",
            "AsyncIterator", "AsyncIterable", "Generator", "AsyncGenerator", "Callable", "Awaitable",
            "Coroutine", "NamedTuple", "TypedDict", "Type", "Dict", "List", "Tuple", "IO", "TextIO", "BinaryIO")),
        *((f"typing.{name}", "function", "library/typing.html") for name in (
            "overload", "cast", "get_type_hints", "assert_type", "dataclass_transform", "runtime_checkable",
            "reveal_type")),
        ("typing", "module", "library/typing.html#module-typing"),
        *((f"collections.abc.{name}", "class", "library/collections.abc.html") for name in (
            "Mapping", "MutableMapping", "Sequence", "Iterable", "Iterator", "AsyncIterator", "AsyncIterable",
            "Generator", "AsyncGenerator", "Callable", "Awaitable", "Coroutine")),
        *((f"datetime.{name}", "class", "library/datetime.html") for name in (
            "timedelta", "datetime", "date", "time", "timezone")),
        ("enum.Enum", "class", "library/enum.html"),
        ("uuid.UUID", "class", "library/uuid.html"),
        ("decimal.Decimal", "class", "library/decimal.html"),
        ("pathlib.Path", "class", "library/pathlib.html"),
        ("os.PathLike", "class", "library/os.html"),
        ("os.environ", "data", "library/os.html"),
        ("os.fork", "function", "library/os.html"),
        ("ssl.SSLContext", "class", "library/ssl.html"),
        ("logging.Logger", "class", "library/logging.html"),
        ("logging.getLogger", "function", "library/logging.html"),
        ("logging", "module", "library/logging.html#module-logging"),
        ("json.loads", "function", "library/json.html"),
        ("json.dumps", "function", "library/json.html"),
        ("json", "module", "library/json.html#module-json"),
        ("asyncio.run", "function", "library/asyncio-runner.html"),
        ("asyncio.gather", "function", "library/asyncio-task.html"),
        ("asyncio.sleep", "function", "library/asyncio-task.html"),
        ("asyncio.AbstractEventLoop", "class", "library/asyncio-eventloop.html"),
        ("asyncio", "module", "library/asyncio.html#module-asyncio"),
        ("contextlib.contextmanager", "function", "library/contextlib.html"),
        ("contextlib.asynccontextmanager", "function", "library/contextlib.html"),
        ("dataclasses.dataclass", "function", "library/dataclasses.html"),
        ("dataclasses.field", "function", "library/dataclasses.html"),
        ("functools.partial", "function", "library/functools.html"),
        ("inspect.signature", "function", "library/inspect.html"),
        ("importlib.metadata.entry_points", "function", "library/importlib.metadata.html"),
        ("importlib.metadata.EntryPoint", "class", "library/importlib.metadata.html"),
        ("importlib.metadata", "module", "library/importlib.metadata.html#module-importlib.metadata"),
        ("threading.Thread", "class", "library/threading.html"),
        ("signal.SIGINT", "data", "library/signal.html"),
        ("signal.SIGTERM", "data", "library/signal.html"),
        ("types.TracebackType", "class", "library/types.html"),
        ("io.BytesIO", "class", "library/io.html"),
        ("random.Random", "class", "library/random.html"),
        ("io.IOBase", "class", "library/io.html"),
    ],
}

REQUESTS = {
    "project": "Requests",
    "version": "2",
    "entries": [
        ("requests.Session", "class", "api/"),
        ("requests.Session.request", "method", "api/"),
        ("requests.Session.mount", "method", "api/"),
        ("requests.Session.close", "method", "api/"),
        ("requests.Response", "class", "api/"),
        ("requests.Response.iter_content", "method", "api/"),
        ("requests.Response.raw", "attribute", "api/"),
        ("requests.Request", "class", "api/"),
        ("requests.PreparedRequest", "class", "api/"),
        ("requests.request", "function", "api/"),
        ("requests.adapters.HTTPAdapter", "class", "api/"),
        ("requests.adapters.HTTPAdapter.send", "method", "api/"),
        ("requests.auth.AuthBase", "class", "api/"),
        ("requests.auth.HTTPBasicAuth", "class", "api/"),
        *((f"requests.{name}", "exception", "api/") for name in (
            "RequestException", "ConnectionError", "HTTPError", "URLRequired", "TooManyRedirects",
            "ConnectTimeout", "ReadTimeout", "Timeout", "JSONDecodeError")),
        ("requests", "module", "api/#module-requests"),
    ],
}

AIOHTTP = {
    "project": "aiohttp",
    "version": "3",
    "entries": [
        ("aiohttp.ClientSession", "class", "client_reference.html"),
        ("aiohttp.ClientSession.request", "method", "client_reference.html"),
        ("aiohttp.ClientSession.close", "method", "client_reference.html"),
        ("aiohttp.ClientResponse", "class", "client_reference.html"),
        ("aiohttp.ClientResponse.content", "attribute", "client_reference.html"),
        ("aiohttp.ClientTimeout", "class", "client_reference.html"),
        ("aiohttp.TCPConnector", "class", "client_reference.html"),
        ("aiohttp.BaseConnector", "class", "client_reference.html"),
        ("aiohttp.CookieJar", "class", "client_reference.html"),
        ("aiohttp.FormData", "class", "client_reference.html"),
        ("aiohttp.StreamReader", "class", "streams.html"),
        ("aiohttp.TraceConfig", "class", "tracing_reference.html"),
        *((f"aiohttp.{name}", "exception", "client_reference.html") for name in (
            "ClientError", "ClientConnectionError", "ClientOSError", "ClientConnectorError",
            "ClientResponseError", "ClientPayloadError", "ServerDisconnectedError", "ServerTimeoutError",
            "ConnectionTimeoutError", "SocketTimeoutError", "TooManyRedirects", "InvalidURL")),
        ("aiohttp.web.Application", "class", "web_reference.html"),
        ("aiohttp.web.Request", "class", "web_reference.html"),
        ("aiohttp.web.Response", "class", "web_reference.html"),
        ("aiohttp.web.StreamResponse", "class", "web_reference.html"),
        ("aiohttp.web.AppRunner", "class", "web_reference.html"),
        ("aiohttp", "module", "client_reference.html#module-aiohttp"),
    ],
}

INVENTORIES = {"python": PYTHON, "requests": REQUESTS, "aiohttp": AIOHTTP}


def render(inventory: dict[str, object]) -> bytes:
    """The inventory file's bytes (the same input always gives the same bytes)."""
    header = (
        "# Sphinx inventory version 2\n"
        f"# Project: {inventory['project']}\n"
        f"# Version: {inventory['version']}\n"
        "# The remainder of this file is compressed using zlib.\n"
    )
    lines = []
    entries = inventory["entries"]
    assert isinstance(entries, list)
    for name, role, page in sorted(set(entries)):
        # "$" at the end of a URI stands for the name: the page's anchor for the object.
        uri = page if "#" in page else f"{page}#$"
        lines.append(f"{name} py:{role} 1 {uri} -\n")
    return header.encode("utf-8") + zlib.compress("".join(lines).encode("utf-8"), 9)


def main(argv: list[str]) -> int:
    """Write every inventory; ``--check`` only reports (exit 1) those that differ from this list."""
    check = "--check" in argv
    stale = []
    OUT.mkdir(exist_ok=True)
    for name, inventory in INVENTORIES.items():
        path = OUT / f"{name}.inv"
        data = render(inventory)
        if path.exists() and path.read_bytes() == data:
            continue
        stale.append(path.name)
        if not check:
            path.write_bytes(data)
    if check and stale:
        print(f"out of date: {', '.join(stale)} (run python docs/_tools/make_inventories.py)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
