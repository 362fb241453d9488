"""The ``genai-base`` command: ``demo``, ``serve``, ``plugins``, ``config`` and ``request``.

``main(argv)`` returns the exit status instead of exiting: 0 on success, 1
when the command ran and failed (an API error, a bad configuration), 2 on a
usage error. Errors are one line on stderr (a usage error the parser finds
comes after the usage of the command it is about); ``--debug`` adds the
traceback and turns on debug logging of every attempt.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import traceback
from typing import Callable, NoReturn, Optional, Sequence

from .._version import __version__
from ._common import PROG, UsageError, describe_error

__all__ = ["main", "build_parser"]


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are raised, not printed with an exit."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(message, self.prog, self.format_usage())


def _add_debug(parser: argparse.ArgumentParser, default: object) -> None:
    parser.add_argument(
        "--debug",
        action="store_true",
        default=default,
        help="show tracebacks and log every attempt on stderr",
    )


def build_parser() -> argparse.ArgumentParser:
    """The ``genai-base`` argument parser and its subcommands."""
    from . import _config_cmd, _demo, _plugins_cmd, _request_cmd, _serve_cmd

    parser = _Parser(
        prog=PROG,
        description=(
            "Try genai_base: run the demo, serve the fake API server, list plugins, show the configuration, "
            "or make one call."
        ),
        epilog="Run 'genai-base COMMAND --help' for a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    _add_debug(parser, False)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for module in (_demo, _serve_cmd, _plugins_cmd, _config_cmd, _request_cmd):
        sub = module.add_parser(commands)
        # SUPPRESS: "--debug" after the command must not reset one given before it.
        _add_debug(sub, argparse.SUPPRESS)
        sub.set_defaults(run=module.run, command_parser=sub)
    return parser


def _print_usage_error(exc: UsageError) -> None:
    if exc.usage:
        sys.stderr.write(exc.usage if exc.usage.endswith("\n") else exc.usage + "\n")
    print(exc.line(), file=sys.stderr)


def _parse(parser: argparse.ArgumentParser, argv: Optional[Sequence[str]]) -> argparse.Namespace:
    words = list(sys.argv[1:] if argv is None else argv)
    args, extras = parser.parse_known_args(words)
    if extras:
        # An unknown option after a command is that command's mistake: show its usage, not the top level's.
        owner: argparse.ArgumentParser = parser
        command = getattr(args, "command", None)
        if command in words and words.index(extras[0]) > words.index(command):
            owner = getattr(args, "command_parser", parser)
        owner.error(f"unrecognized arguments: {' '.join(extras)}")
    return args


class _StderrHandler(logging.Handler):
    """Writes ``genai-base: warning: ...`` lines to whatever ``sys.stderr`` is at the time (tests swap it)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stderr.write(f"{PROG}: {record.levelname.lower()}: {record.getMessage()}\n")
            sys.stderr.flush()
        except Exception:  # pragma: no cover - logging must never break the command
            self.handleError(record)


def _log_level(debug: bool) -> int:
    if debug:
        return logging.DEBUG
    wanted = os.environ.get("GENAI_BASE_LOG", "").strip().lower()
    return {"debug": logging.DEBUG, "info": logging.INFO}.get(wanted, logging.WARNING)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run ``genai-base`` with ``argv`` (default: ``sys.argv[1:]``); return the exit status."""
    parser = build_parser()
    try:
        args = _parse(parser, argv)
    except UsageError as exc:
        _print_usage_error(exc)
        return 2
    except SystemExit as exc:  # --help and --version
        return exc.code if isinstance(exc.code, int) else 0
    debug = bool(getattr(args, "debug", False))
    run: Optional[Callable[[argparse.Namespace], int]] = getattr(args, "run", None)
    if run is None:
        print(f"{PROG}: error: choose a command: demo, serve, plugins, config or request (see '{PROG} --help')",
              file=sys.stderr)
        return 2

    logger = logging.getLogger("genai_base")
    handler = _StderrHandler()
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(_log_level(debug))
    try:
        return run(args)
    except UsageError as exc:
        _print_usage_error(exc)
        return 2
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (e.g. piped into head): not worth a message.
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return 1
    except Exception as exc:
        if debug:
            traceback.print_exc()
        print(f"{PROG}: error: {describe_error(exc)}", file=sys.stderr)
        return 1
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
