"""``genai-base request METHOD URL``: one call through the full stack, for trying an API by hand."""

from __future__ import annotations

import argparse
import json
import re
import sys
from typing import TYPE_CHECKING, Any, Optional

from .._hooks import LoggingHook
from .._options import FinalRequestOptions
from .._response import APIResponse
from .._sync import SyncAPIClient
from .._version import __version__
from ._common import PROG, UsageError, to_json
from ._narrate import CommandHook
from ._url import parse_target, shown

if TYPE_CHECKING:
    from .._container import ClientContainer

__all__ = ["add_parser", "run", "parse_header", "INTERACTIVE_MAX_RETRIES"]

# A person at a terminal wants a quick answer: one retry unless asked for more.
INTERACTIVE_MAX_RETRIES = 1

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
            "or with --stream each server-sent event as it arrives. An error status exits 1. Credentials in the "
            "URL (https://user:password@host/...) are sent as basic auth (an Authorization header) and taken out "
            "of the URL."
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
    parser.add_argument(
        "--stream", action="store_true",
        help="print server-sent events as they arrive (a response that is not an event stream: its body)",
    )
    parser.add_argument("-i", "--include", action="store_true", help="also print the status line and headers")
    parser.add_argument(
        "--max-retries", type=_non_negative_int, metavar="N",
        help=f"retries after the first attempt (default: {INTERACTIVE_MAX_RETRIES} for interactive use, "
             "unless the configuration sets max_retries)",
    )
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


def _max_retries(args: argparse.Namespace, container: "ClientContainer") -> int:
    """``--max-retries``, else the configuration's ``max_retries`` when it sets one, else 1 (for a person waiting)."""
    if args.max_retries is not None:
        return int(args.max_retries)
    settings = container.settings()
    return int(settings["max_retries"]) if settings.is_set("max_retries") else INTERACTIVE_MAX_RETRIES


def _narrate_with(container: "ClientContainer", narrator: CommandHook) -> None:
    """The configured hooks, with this command's narrator in place of the ``logging`` hook."""
    hooks = [hook for hook in container.hooks() if not isinstance(hook, LoggingHook)]
    container.hooks.override([*hooks, narrator])


def run(args: argparse.Namespace) -> int:
    if not _METHOD.match(args.method):
        raise UsageError(f"METHOD must be a word like GET or POST, got {args.method!r}", _USAGE_PROG)
    target = parse_target(args.url, _USAGE_PROG)
    headers = dict(parse_header(h) for h in args.header)
    if target.authorization is not None:
        if any(name.lower() == "authorization" for name in headers):
            raise UsageError("the URL has credentials and -H gives an Authorization header: use one of them",
                             _USAGE_PROG)
        headers["Authorization"] = target.authorization
    body = _body(args.data, headers)
    # Imported here: dependency_injector is not needed for "genai-base --help" (genai_base loads it lazily too).
    from .._container import ClientContainer

    container = ClientContainer()
    max_retries = _max_retries(args, container)
    per_call: dict[str, Any] = {"max_retries": max_retries}
    if args.timeout is not None:
        per_call["timeout"] = args.timeout
    options = FinalRequestOptions(method=args.method.lower(), url=target.path, headers=headers, **body, **per_call)

    _narrate_with(container, CommandHook(sys.stderr, attempts=max_retries + 1))
    with SyncAPIClient(version=__version__, base_url=target.origin, container=container) as client:
        if args.stream:
            return _stream(client, options, args.include)
        response = client.request(APIResponse[object], options)
        if not response.is_success:  # a 3xx, when redirects are not followed
            raise RuntimeError(f"{response.status_code} answer ({args.method.upper()} {shown(args.url)})")
        _print_response(response, args.include)
    return 0


def _print_response(response: APIResponse[object], include: bool) -> None:
    if include:
        _print_head(response)
    if response.read():  # a 204 or an empty 200 prints nothing
        _print_body(response.parse(to=object))


def _stream(client: SyncAPIClient, options: FinalRequestOptions, include: bool) -> int:
    stream = client.request(object, options, stream=True)
    try:
        response = stream.response
        media_type = (response.headers.get("content-type") or "").partition(";")[0].strip().lower()
        if media_type != "text/event-stream":
            # Not an event stream: what there is to see is the body.
            _print_response(response, include)
            return 0
        if include:
            _print_head(response)
        for event in stream:
            if isinstance(event, str):
                print(event, flush=True)
            else:
                print(to_json(event, indent=None), flush=True)
    finally:
        stream.close()
    return 0
