"""``genai-base serve``: the embedded fake API server in the foreground, until Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
import ipaddress
import os
import signal
import sys
import threading
from types import FrameType
from typing import TYPE_CHECKING, Any, Optional

from ._common import PROG, UsageError
from ._term import Terminal

if TYPE_CHECKING:
    from ..testing import FakeAPIServer

__all__ = ["add_parser", "run", "routes", "serve"]

_USAGE_PROG = f"{PROG} serve"
DEFAULT_PORT = 8000


def add_parser(commands: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = commands.add_parser(
        "serve",
        help="run the embedded fake API server until Ctrl-C",
        description=(
            "Run genai_base.testing.FakeAPIServer in the foreground: print its URL and its routes, then serve "
            "until Ctrl-C (SIGINT) or SIGTERM, and exit 0. The server answers like a typical JSON API (echo, "
            "statuses, paging, server-sent events, redirects) with no authentication: keep it on a loopback "
            "address."
        ),
        epilog=(
            "examples:\n"
            "  genai-base serve                  # http://127.0.0.1:8000\n"
            "  genai-base serve --port 0         # any free port (the URL is printed)\n"
            "  genai-base request GET http://127.0.0.1:8000/echo   # from another terminal"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--port", type=_port, default=DEFAULT_PORT, metavar="N",
                        help=f"TCP port (default: {DEFAULT_PORT}; 0: any free port)")
    parser.add_argument("--host", default="127.0.0.1", metavar="HOST", help="address to listen on (default: 127.0.0.1)")
    return parser


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number, got {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 0 to 65535, got {value}")
    return value


def routes() -> list[tuple[str, str, str]]:
    """``(path, methods, what it does)`` for every route of the fake server, in the order they are matched."""
    # Imported here, as in run(): aiohttp.web costs half a second that "genai-base --help" need not pay.
    from ..testing._server import ServerState, build_app

    app = build_app(ServerState())
    methods: dict[str, list[str]] = {}
    docs: dict[str, str] = {}
    for route in app.router.routes():
        info = route.resource.get_info() if route.resource is not None else {}
        path = str(info.get("path") or info.get("formatter") or "?")
        methods.setdefault(path, []).append("any" if route.method == "*" else route.method)
        doc = (getattr(route.handler, "__doc__", None) or "").strip().splitlines()
        docs.setdefault(path, doc[0].strip().replace("``", "") if doc else "")
    return [(path, ", ".join(found), docs[path]) for path, found in methods.items()]


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(server: "FakeAPIServer", stop: threading.Event) -> None:
    """Start ``server``, describe it on stdout, and wait for ``stop``; the server is stopped on every path."""
    with server:
        print(f"{PROG} serve: the fake API server is listening on {server.url}", flush=True)
        listed = routes()
        path_w = max(len(path) for path, _, _ in listed)
        methods_w = max(len(methods) for _, methods, _ in listed)
        term = Terminal(sys.stdout)
        term.line("routes:")
        columns = path_w + methods_w + 4
        for path, methods, doc in listed:
            if columns <= term.width // 2:
                # Descriptions wrap under themselves, so the columns stay readable.
                term.line(f"{path:<{path_w}}  {methods:<{methods_w}}  {doc}".rstrip(), indent=2, hang=columns)
            else:  # a narrow terminal: the description under its route
                term.line(f"{path}  ({methods})", indent=2)
                term.line(doc, indent=6, hang=0)
        term.line("Each route's parameters are described in the guide's testing page; faults are scripted from "
                  "Python (FakeAPIServer.script and .fail). Press Ctrl-C to stop.")
        # wait() with a timeout: a signal handler then runs promptly on every platform.
        while not stop.wait(0.2):
            pass
    print(f"{PROG} serve: stopped", flush=True)


def run(args: argparse.Namespace) -> int:
    from ..testing import FakeAPIServer  # see routes()

    if not _is_loopback(args.host):
        print(f"{PROG}: warning: {args.host} is not a loopback address: anyone who can reach it can use the "
              "fake server, which has no authentication", file=sys.stderr)
    try:
        server = FakeAPIServer(host=args.host, port=args.port)
    except ValueError as exc:
        raise UsageError(f"cannot serve on {args.host!r}: {exc}", _USAGE_PROG) from None
    stop = threading.Event()

    def on_signal(signum: int, frame: Optional[FrameType]) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        try:
            serve(server, stop)
        except RuntimeError as exc:  # the port is taken, the host cannot be bound
            if "failed to start" not in str(exc):
                raise
            cause = exc.__cause__
            # The errno's own words: the OSError's text repeats the address in the event loop's wording.
            if isinstance(cause, OSError) and cause.errno and cause.errno > 0:
                why = os.strerror(cause.errno).lower()
            else:
                why = (cause.strerror if isinstance(cause, OSError) else None) or str(cause or exc)
            print(f"{PROG}: error: cannot listen on {args.host}:{args.port}: {why}", file=sys.stderr)
            return 1
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0

