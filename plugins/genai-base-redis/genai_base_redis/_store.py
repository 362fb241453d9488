"""One Redis URL: its clients (sync, and one async client per event loop) and what a failure means.

Every command is bounded by ``timeout`` (socket connect and read timeouts
on the sync client, one timer around the whole command on the async one,
which the call's own deadline may cut shorter; redis-py's own retries are
off), so a slow or unreachable Redis costs at most that, never a hang. After a failure the store does not ask
Redis again for ``recheck`` seconds (calls meanwhile are let through or
refused at once, as ``fail_open`` says), then tries again: it recovers by
itself. One warning is logged per outage, and a line when it is over.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
import time
import weakref
from typing import Any, AsyncIterator, Awaitable, Optional, Sequence
from urllib.parse import urlsplit

import redis
import redis.asyncio
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import NoBackoff
from redis.retry import Retry

from genai_base import ConfigurationError, RateLimiterUnavailableError

__all__ = ["RedisStore", "redact", "check_url", "logger"]

logger = logging.getLogger("genai_base.redis")
_FAILURES = (redis.RedisError, OSError)


def redact(url: str) -> str:
    """``url`` with its user info (a password) replaced by ``<redacted>``."""
    try:
        parts = urlsplit(url)
        if parts.username is None and parts.password is None:
            return url
        netloc = parts.netloc.rpartition("@")[2]
    except ValueError:
        return "<redacted>"
    return parts._replace(netloc=f"<redacted>@{netloc}").geturl()


def check_url(url: Optional[str], key: str = "rate_limit.url") -> str:
    """``url`` if redis-py can use it (redis://, rediss://, unix://, with a host and a numeric db)."""
    if not url:
        raise ConfigurationError(f"{key!r} is required: the Redis URL, e.g. redis://127.0.0.1:6379/0")
    shown = redact(url)

    def invalid(reason: str) -> ConfigurationError:
        password = _password(url)
        if password:
            reason = reason.replace(password, "<redacted>")
        return ConfigurationError(f"invalid value for {key!r}: {shown!r} ({reason})")

    try:
        redis.Redis.from_url(url)  # parses only: redis-py connects on the first command
        parts = urlsplit(url)
    except ValueError as exc:
        raise invalid(str(exc)) from None
    if parts.scheme in ("redis", "rediss"):
        if not parts.hostname:
            raise invalid("no host")
        db = parts.path.strip("/")
        if db and not db.isdigit():
            raise invalid(f"the database must be a number, not {db!r}")
    return url


def _password(url: str) -> Optional[str]:
    try:
        return urlsplit(url).password
    except ValueError:
        return None


if sys.version_info >= (3, 11):

    async def _within(seconds: float, awaitable: Awaitable[Any]) -> Any:
        """``await awaitable``, cancelled after ``seconds`` (redis.asyncio then drops that connection)."""
        async with asyncio.timeout(seconds):
            return await awaitable

else:  # asyncio.timeout is new in 3.11; wait_for costs a task more

    async def _within(seconds: float, awaitable: Awaitable[Any]) -> Any:
        """``await awaitable``, cancelled (``TimeoutError``) after ``seconds``."""
        return await asyncio.wait_for(awaitable, seconds)


async def _closing(client: "redis.asyncio.Redis") -> AsyncIterator[None]:
    # An async generator the running loop knows of: ``loop.shutdown_asyncgens()`` (run by
    # asyncio.run and pytest-asyncio when a loop ends) closes it, and so this loop's connections,
    # while the loop can still do so.
    try:
        yield
    finally:
        await client.aclose()


class RedisStore:
    """The clients for one Redis URL, the scripts registered on them, and the outage state."""

    def __init__(self, url: str, *, timeout: float, fail_open: bool, what: str, recheck: float = 1.0) -> None:
        self.url = check_url(url)
        self.shown_url = redact(url)
        self.timeout = timeout
        self.fail_open = fail_open
        self.what = what
        self.recheck = recheck
        self._options: dict[str, Any] = {
            "socket_timeout": timeout,
            "socket_connect_timeout": timeout,
            "retry": Retry(NoBackoff(), 0),  # a failure is reported at once; the store decides what next
            "health_check_interval": 0,
        }
        self._sync = redis.Redis.from_url(url, **self._options)
        # The async client bounds each whole command with one timer of its own (see run_async):
        # redis.asyncio's socket timeout would arm one for the send and another for the read.
        self._async_options = {**self._options, "socket_timeout": None, "retry": AsyncRetry(NoBackoff(), 0)}
        self._scripts: dict[str, str] = {}
        self._sync_scripts: dict[str, Any] = {}
        self._by_loop: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, tuple[Any, dict[str, Any], Any]]"
        self._by_loop = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()
        self._down_until = 0.0
        self._down = False
        self._last_error = ""
        self.outages = 0  # how many times Redis went away (for tests and monitoring)

    def register(self, name: str, script: str) -> None:
        """Make ``script`` runnable as ``name`` (EVALSHA, loaded again after a Redis restart)."""
        self._scripts[name] = script
        self._sync_scripts[name] = self._sync.register_script(script)

    # -- running a script --------------------------------------------------------------------

    def run(self, name: str, keys: Sequence[str], args: Sequence[Any]) -> Optional[Any]:
        """The script's reply; ``None`` when Redis is unavailable and calls may go through."""
        if not self._asking():
            self._unavailable(None)  # raises unless calls may go through
            return None
        try:
            reply = self._sync_scripts[name](keys=list(keys), args=list(args))
        except _FAILURES as exc:
            self._unavailable(exc)
            return None
        self._reachable()
        return reply

    async def run_async(
        self, name: str, keys: Sequence[str], args: Sequence[Any], bound: Optional[float] = None
    ) -> Optional[Any]:
        """:meth:`run` on the running loop's client; ``bound`` cuts the wait below ``timeout``."""
        if not self._asking():
            self._unavailable(None)
            return None
        limit = self.timeout if bound is None else max(min(bound, self.timeout), 0.0)
        try:
            script = await self._loop_script(name)
            reply = await _within(limit, script(keys=list(keys), args=list(args)))
        except (*_FAILURES, asyncio.TimeoutError) as exc:
            self._unavailable(exc)
            return None
        self._reachable()
        return reply

    async def _loop_script(self, name: str) -> Any:
        loop = asyncio.get_running_loop()
        entry = self._by_loop.get(loop)
        if entry is None:
            client = redis.asyncio.Redis.from_url(self.url, **self._async_options)
            guard = _closing(client)
            await guard.__anext__()  # now the loop tracks it
            entry = (client, {n: client.register_script(s) for n, s in self._scripts.items()}, guard)
            self._by_loop[loop] = entry
        return entry[1][name]

    # -- outages -------------------------------------------------------------------------------

    def _asking(self) -> bool:
        return not self._down or time.monotonic() >= self._down_until

    def _unavailable(self, exc: Optional[BaseException]) -> None:
        """Note an outage (``exc``; ``None``: still in one); raise unless ``fail_open``."""
        if exc is not None:
            with self._lock:
                self._down_until = time.monotonic() + self.recheck
                first = not self._down
                self._down = True
                self._last_error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                if first:
                    self.outages += 1
            if first:
                then = "calls go through unlimited" if self.fail_open else "calls fail"
                logger.warning(
                    "%s: Redis at %s is unavailable (%s); rate_limit.fail_open is %s, so %s until it is back "
                    "(asked again every %gs)",
                    self.what, self.shown_url, self._last_error, str(self.fail_open).lower(), then, self.recheck,
                )
        if self.fail_open:
            return
        raise RateLimiterUnavailableError(
            f"{self.what}: Redis at {self.shown_url} is unavailable ({self._last_error}) and rate_limit.fail_open "
            f"is false; nothing was sent"
        ) from exc

    def _reachable(self) -> None:
        if self._down:
            with self._lock:
                was_down, self._down = self._down, False
            if was_down:
                logger.info("%s: Redis at %s is back", self.what, self.shown_url)

    # -- closing -------------------------------------------------------------------------------

    def close(self) -> None:
        """Close the sync client's connections (they are opened again on the next use)."""
        self._sync.close()

    async def aclose(self) -> None:
        """Close the running loop's async client (another is made on the next use)."""
        entry = self._by_loop.pop(asyncio.get_running_loop(), None)
        if entry is not None:
            await entry[2].aclose()

    def __repr__(self) -> str:
        return f"RedisStore({self.shown_url!r}, timeout={self.timeout:g}, fail_open={self.fail_open})"
