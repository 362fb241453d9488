"""One Redis URL: its connections (per thread, and per event loop) and what a failure means.

Every command is bounded by ``timeout`` and by what the call has left
(sync: socket connect and read timeouts that each fit in half of it; async:
one timer around the whole command; redis-py's own retries are off), so a
slow or unreachable Redis never holds a call past its deadline, and never
hangs. After a failure the store does not ask
Redis again for ``recheck`` seconds (calls meanwhile are let through or
refused at once, as ``fail_open`` says), then tries again: it recovers by
itself. One warning is logged per outage, and a line when it is over.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import threading
import time
import weakref
from typing import Any, AsyncGenerator, Optional, Sequence
from urllib.parse import urlsplit

import redis
import redis.asyncio
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import NoBackoff
from redis.exceptions import AskError, ClusterError, NoScriptError
from redis.retry import Retry

from genai_base import ConfigurationError, RateLimiterUnavailableError

from ._wire import AsyncWire, SyncWire, pack, timeout_step, within

__all__ = ["RedisStore", "redact", "check_url", "logger", "FAILURES", "reject_cluster", "cut_short"]

logger = logging.getLogger("genai_base.redis")
_FAILURES = (redis.RedisError, OSError)
FAILURES = _FAILURES


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

    scheme = url.partition("://")[0].lower()
    if "sentinel" in scheme or "cluster" in scheme:
        raise ConfigurationError(
            f"invalid value for {key!r}: {shown!r} (Redis Sentinel and Redis Cluster are not supported; "
            f"give the redis:// URL of the primary that holds the limits)"
        )
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


async def _closing(state: "_LoopState") -> AsyncGenerator[None, None]:
    # An async generator the running loop knows of: ``loop.shutdown_asyncgens()`` (run by
    # asyncio.run and pytest-asyncio when a loop ends) closes it, and so this loop's connections,
    # while the loop can still do so.
    try:
        yield
    finally:
        await state.close()





class RedisStore:
    """The connections to one Redis URL, the scripts run there, and the outage state."""

    def __init__(self, url: str, *, timeout: float, fail_open: bool, what: str, recheck: float = 1.0) -> None:
        self.url = check_url(url)
        self.shown_url = redact(url)
        self.timeout = timeout
        self.fail_open = fail_open
        self.what = what
        self.recheck = recheck
        options: dict[str, Any] = {
            "socket_timeout": timeout,
            "socket_connect_timeout": timeout,
            "retry": Retry(NoBackoff(), 0),  # a failure is reported at once; the store decides what next
            "health_check_interval": 0,
        }
        self.wire = SyncWire(url, options)
        # On the async side every command is bounded by one timer of the store's (``within``):
        # redis.asyncio's socket timeout would arm one for the send and another for the read.
        self._async_options = {**options, "socket_timeout": None, "retry": AsyncRetry(NoBackoff(), 0)}
        #: name -> (script, its SHA1 as EVALSHA wants it)
        self.scripts: dict[str, tuple[str, bytes]] = {}
        self._by_loop: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopState]"
        self._by_loop = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()
        self._down_until = 0.0
        self._down = False
        self._last_error = ""
        self.outages = 0  # how many times Redis went away (for tests and monitoring)

    def register(self, name: str, script: str) -> None:
        """Make ``script`` runnable as ``name`` (EVALSHA; loaded again when Redis lost it)."""
        self.scripts[name] = (script, hashlib.sha1(script.encode()).hexdigest().encode())

    def command(self, name: str, keys: Sequence[bytes], args: Sequence[bytes]) -> list[bytes]:
        """The words of an EVALSHA of script ``name``."""
        return [b"EVALSHA", self.scripts[name][1], b"%d" % len(keys), *keys, *args]

    # -- running a script --------------------------------------------------------------------

    def run(self, name: str, words: list[bytes], left: Optional[float] = None) -> Optional[Any]:
        """The reply to ``words`` (see :meth:`command`); ``None`` when Redis is unavailable and calls may go.

        ``left``: what the call has left; the command's connect and read
        timeouts each get at most half of it (and at most ``timeout``).
        """
        if not self.asking():
            return self.unavailable(None)
        step = timeout_step(self.timeout, left)
        if step is None:  # under 2 ms left: no time to ask
            return self.unavailable(None, cut=left)
        try:
            reply = self.wire.call(pack(words), step, self.scripts[name][0])
        except _FAILURES as exc:
            reject_cluster(exc, self)
            return self.unavailable(exc, cut=cut_short(exc, left, step < self.timeout))
        self.reachable()
        return reply

    async def run_async(self, name: str, words: list[bytes], left: Optional[float] = None) -> Optional[Any]:
        """:meth:`run` on the running loop's connection pool, bounded by ``left`` as well."""
        if not self.asking():
            return self.unavailable(None)
        limit = self.timeout if left is None else max(min(left, self.timeout), 0.0)
        state = await self.loop_state()
        try:
            reply = await within(limit, state.client.execute_command(*words))
        except NoScriptError:
            try:
                await within(limit, state.client.script_load(self.scripts[name][0]))
                reply = await within(limit, state.client.execute_command(*words))
            except (*_FAILURES, asyncio.TimeoutError) as exc:
                return self.unavailable(exc, cut=cut_short(exc, left, limit < self.timeout))
        except (*_FAILURES, asyncio.TimeoutError) as exc:
            reject_cluster(exc, self)
            return self.unavailable(exc, cut=cut_short(exc, left, limit < self.timeout))
        self.reachable()
        return reply

    async def loop_state(self) -> "_LoopState":
        """The running loop's connections (made on first use, closed when the loop shuts down)."""
        loop = asyncio.get_running_loop()
        state = self._by_loop.get(loop)
        if state is None:
            state = _LoopState(self.url, self._async_options)
            await state.guard.__anext__()  # now the loop tracks it
            self._by_loop[loop] = state
        return state

    # -- outages -------------------------------------------------------------------------------

    def asking(self) -> bool:
        """False while Redis is known to be down (until the next recheck)."""
        return not self._down or time.monotonic() >= self._down_until

    def unavailable(self, exc: Optional[BaseException], cut: Optional[float] = None) -> Optional[Any]:
        """Note an outage (``exc``; ``None``: still in one); raise unless ``fail_open`` (then: ``None``).

        ``cut``: the command was bounded by what the call had left (these
        seconds), not by ``timeout``: a failure to answer that soon is not
        an outage, and only this call is let through or refused.
        """
        if exc is not None and cut is None:
            self.note(exc)
        if self.fail_open:
            return None
        if cut is not None:
            reason = f"no answer within the {cut:.3g}s the call had left"
            if exc is not None:
                reason += f": {_describe(exc)}"
        else:
            reason = self._last_error
        raise RateLimiterUnavailableError(
            f"{self.what}: Redis at {self.shown_url} is unavailable ({reason}) and rate_limit.fail_open "
            f"is false; nothing was sent"
        ) from exc

    def note(self, exc: BaseException) -> None:
        """Note that Redis failed (``exc``): not asked again for ``recheck`` s; one warning per outage."""
        with self._lock:
            self._down_until = time.monotonic() + self.recheck
            first = not self._down
            self._down = True
            self._last_error = _describe(exc)
            if first:
                self.outages += 1
        if first:
            then = "calls go through unlimited" if self.fail_open else "calls fail"
            logger.warning(
                "%s: Redis at %s is unavailable (%s); rate_limit.fail_open is %s, so %s until it is back "
                "(asked again every %gs)",
                self.what, self.shown_url, self._last_error, str(self.fail_open).lower(), then, self.recheck,
            )

    def reachable(self) -> None:
        """Note that Redis answered (logs the end of an outage)."""
        if self._down:
            with self._lock:
                was_down, self._down = self._down, False
            if was_down:
                logger.info("%s: Redis at %s is back", self.what, self.shown_url)

    # -- closing -------------------------------------------------------------------------------

    def close(self) -> None:
        """Close the sync connections (they are opened again on the next use)."""
        self.wire.close()

    async def aclose(self) -> None:
        """Close the running loop's connections (others are made on the next use)."""
        state = self._by_loop.pop(asyncio.get_running_loop(), None)
        if state is not None:
            await state.guard.aclose()

    def __repr__(self) -> str:
        return f"RedisStore({self.shown_url!r}, timeout={self.timeout:g}, fail_open={self.fail_open})"


class _LoopState:
    """One event loop's connections: the hot path's own (``wire``) and a pool for the rest (``client``)."""

    __slots__ = ("client", "guard", "tasks", "wire")

    def __init__(self, url: str, options: dict[str, Any]) -> None:
        self.wire = AsyncWire(url, options)
        self.client = redis.asyncio.Redis.from_url(url, **options)
        self.guard = _closing(self)
        self.tasks: set["asyncio.Task[Any]"] = set()  # the batches in flight (held, so they are not collected)

    async def close(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        await self.wire.close()
        await self.client.aclose()


def cut_short(exc: BaseException, left: Optional[float], shortened: bool) -> Optional[float]:
    """``left`` when ``exc`` is a timeout of a command the call's deadline ``shortened``, else ``None``.

    Only such a failure is the call's alone; a refused connection, an error
    reply or a timeout at the full ``redis_timeout`` is an outage.
    """
    if shortened and isinstance(exc, (redis.TimeoutError, TimeoutError, asyncio.TimeoutError)):
        return left
    return None


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def reject_cluster(exc: BaseException, store: RedisStore) -> None:
    """A Redis Cluster node's redirect is a setting to fix, not an outage to ride out."""
    if isinstance(exc, (ClusterError, AskError)) or (
        isinstance(exc, redis.ResponseError) and str(exc).split(" ", 1)[0] in ("MOVED", "ASK", "CLUSTERDOWN")
    ):
        raise ConfigurationError(
            f"invalid value for 'rate_limit.url': {store.shown_url!r} is a Redis Cluster node ({exc}); "
            "Redis Cluster is not supported: give the redis:// URL of a standalone primary"
        ) from None
