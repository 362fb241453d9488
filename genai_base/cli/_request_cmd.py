"""``genai-base request METHOD URL``: one call through the full stack, for trying an API by hand."""

from __future__ import annotations

import argparse
import json
import re
import sys
from typing import Any, Optional
from urllib.parse import urlsplit, urlunsplit

from ._common import PROG, UsageError, missing_feature, to_json

__all__ = ["add_parser", "run", "parse_header", "split_url"]

_METHOD = re.compile(r"^[A-Za-z]+$")
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_USAGE_PROG = f"{PROG} request"


def add_parser(commands: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = commands.add_parser(
        "request",
        help="make one call through the full stack and print the response",
        description=(
            "Send one request with SyncAPIClient (base URL: the URL's origin), using the configuration from "
            "the environment (retries, timeout, auth, serializer, hooks), and pretty-print the JSON response, "
            "or with --stream each server-sent event as it arrives. An error status exits 1."
        ),
        epilog=(
            "examples:\n"
            "  genai-base request GET https://api.example.com/v1/models\n"
            "  genai-base request POST http://127.0.0.1:8000/echo -H 'X-Trace: 1' -d '{\"a\": 1}'\n"
            "  genai-base request GET 'http://127.0.0.1:8000/sse?count=3' --stream"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("method", metavar="METHOD", help="GET, POST, PUT, PATCH, DELETE, ...")
    parser.add_argument("url", metavar="URL", help="an absolute http:// or https:// URL")
    parser.add_argument(
        "-H", "--header", action="append", default=[], metavar="'NAME: VALUE'", help="add a header (repeatable)"
    )
    parser.add_argument(
        "-d", "--data", metavar="DATA",
        help="request body: JSON is sent through the configured serializer, anything else as is; "
             "@FILE reads it from a file, @- from stdin",
    )
    parser.add_argument("--stream", action="store_true", help="print server-sent events as they arrive")
    parser.add_argument("-i", "--include", action="store_true", help="also print the status line and headers")
    parser.add_argument("--max-retries", type=_non_negative_int, metavar="N", help="retries (default: configuration)")
    parser.add_argument("--timeout", type=_seconds, metavar="SECONDS", help="timeout (default: configuration)")
    return parser


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError("must be >= 0")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError("must be > 0")
    return value


def parse_header(text: str) -> tuple[str, str]:
    """``("Name", "value")`` from ``"Name: value"``; a usage error otherwise."""
    name, sep, value = text.partition(":")
    name = name.strip()
    if not sep or not _HEADER_NAME.match(name):
        raise UsageError(f"a header is written 'Name: value', got {text!r}", _USAGE_PROG)
    return name, value.strip()


def split_url(url: str) -> tuple[str, str]:
    """The origin (the client's base URL) and the rest (path and query) of an absolute URL."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"URL must be absolute, like https://host/path; got {url!r}", _USAGE_PROG)
    try:
        parts.port  # noqa: B018 - validates the port
    except ValueError as exc:
        raise UsageError(f"bad URL {url!r}: {exc}", _USAGE_PROG) from None
    origin = urlunsplit((parts.scheme, parts.netloc, "", "", ""))
    rest = urlunsplit(("", "", parts.path or "/", parts.query, ""))
    return origin, rest


def _read_data(data: str) -> str:
    if data == "@-":
        return sys.stdin.read()
    if data.startswith("@"):
        try:
            with open(data[1:], encoding="utf-8") as f:
                return f.read()
        except OSError as exc:
            raise UsageError(f"cannot read {data[1:]!r}: {exc.strerror}", _USAGE_PROG) from None
    return data


def _body(data: Optional[str], headers: dict[str, str]) -> dict[str, Any]:
    """``json_data=`` for JSON text, else ``content=`` with a text Content-Type unless one was given."""
    if data is None:
        return {}
    text = _read_data(data)
    try:
        return {"json_data": json.loads(text)}
    except ValueError:
        if not any(name.lower() == "content-type" for name in headers):
            headers["Content-Type"] = "text/plain; charset=utf-8"
        return {"content": text.encode("utf-8")}


def _print_head(response: Any) -> None:
    print(f"HTTP {response.status_code}")
    for name, value in response.headers.items():
        print(f"{name}: {value}")
    print()


def _print_body(data: Any) -> None:
    if data is None or data == "":
        return
    if isinstance(data, str):
        sys.stdout.write(data if data.endswith("\n") else data + "\n")
    else:
        print(to_json(data))


def run(args: argparse.Namespace) -> int:
    from .._options import FinalRequestOptions
    from .._response import APIResponse
    from .._sync import SyncAPIClient
    from .._version import __version__

    if not _METHOD.match(args.method):
        raise UsageError(f"METHOD must be a word like GET or POST, got {args.method!r}", _USAGE_PROG)
    origin, path = split_url(args.url)
    headers = dict(parse_header(h) for h in args.header)
    body = _body(args.data, headers)
    if args.stream:
        reason = missing_feature("streaming")
        if reason is not None:
            raise RuntimeError(f"--stream is not available yet in this genai_base: {reason}")
    per_call: dict[str, Any] = {}
    if args.max_retries is not None:
        per_call["max_retries"] = args.max_retries
    if args.timeout is not None:
        per_call["timeout"] = args.timeout
    options = FinalRequestOptions(method=args.method.lower(), url=path, headers=headers, **body, **per_call)

    with SyncAPIClient(version=__version__, base_url=origin) as client:
        if args.stream:
            return _stream(client, options, args.include)
        response = client.request(APIResponse[object], options)
        if not response.is_success:  # a 3xx, when redirects are not followed
            raise RuntimeError(f"{response.status_code} answer ({args.method.upper()} {args.url})")
        if args.include:
            _print_head(response)
        if response.read():  # a 204 or an empty 200 prints nothing
            _print_body(response.parse())
    return 0


def _stream(client: Any, options: Any, include: bool) -> int:
    stream = client.request(object, options, stream=True)
    try:
        if include:
            response = getattr(stream, "response", None)
            if response is not None:
                _print_head(response)
        for event in stream:
            if isinstance(event, str):
                print(event, flush=True)
            else:
                print(to_json(event, indent=None), flush=True)
    finally:
        close = getattr(stream, "close", None)
        if callable(close):
            close()
    return 0
