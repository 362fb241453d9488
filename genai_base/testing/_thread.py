"""Run an ``aiohttp.web`` application in a daemon thread with its own event loop."""

from __future__ import annotations

import asyncio
import ssl
import threading
from collections.abc import Callable

from aiohttp import web

__all__ = ["ServerThread"]

_STARTUP_TIMEOUT = 10.0
_JOIN_TIMEOUT = 10.0


class ServerThread:
    """Serve the app built by ``app_factory`` on ``host:port`` from a background thread."""

    def __init__(
        self,
        app_factory: Callable[[], web.Application],
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        ssl_context: ssl.SSLContext | None = None,
        shutdown_timeout: float = 0.1,
    ) -> None:
        self._app_factory = app_factory
        self._host = host
        self._requested_port = port
        self._ssl_context = ssl_context
        self._shutdown_timeout = shutdown_timeout
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._port: int | None = None

    @property
    def port(self) -> int | None:
        """The bound port while running, else None."""
        return self._port

    @property
    def running(self) -> bool:
        """Whether the serving thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> int:
        """Start serving; return the bound port. Raises if startup fails or hangs."""
        with self._lock:
            if self.running and self._port is not None:
                return self._port
            self._ready = threading.Event()
            self._error = None
            self._port = None
            thread = threading.Thread(target=self._run, name=f"fake-api-server-{self._host}", daemon=True)
            self._thread = thread
            thread.start()
            if not self._ready.wait(_STARTUP_TIMEOUT):
                self._request_stop()
                raise RuntimeError("fake API server did not start within 10 seconds")
            if self._error is not None:
                thread.join(_JOIN_TIMEOUT)
                self._thread = None
                raise RuntimeError(f"fake API server failed to start: {self._error!r}") from self._error
            assert self._port is not None
            return self._port

    def stop(self) -> None:
        """Stop serving and join the thread (idempotent)."""
        with self._lock:
            thread = self._thread
            if thread is None:
                return
            self._request_stop()
            thread.join(_JOIN_TIMEOUT)
            if thread.is_alive():
                raise RuntimeError("fake API server thread did not stop within 10 seconds")
            self._thread = None
            self._port = None

    def _request_stop(self) -> None:
        """Ask the loop (if running) to stop."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(loop.stop)
            except RuntimeError:  # closed in between
                pass

    def _run(self) -> None:
        """Thread body: start, serve until stopped, then clean everything up."""
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self._loop = loop
        try:
            try:
                loop.run_until_complete(self._startup())
            except BaseException as exc:  # reported to the starting thread
                self._error = exc
                return
            finally:
                self._ready.set()
            loop.run_forever()
        finally:
            try:
                loop.run_until_complete(self._cleanup())
                _cancel_leftover_tasks(loop)
                loop.run_until_complete(loop.shutdown_asyncgens())
                loop.run_until_complete(loop.shutdown_default_executor())
            finally:
                asyncio.set_event_loop(None)
                self._loop = None
                loop.close()

    async def _startup(self) -> None:
        """Set up the runner and the TCP site, and read the bound port."""
        runner = web.AppRunner(
            self._app_factory(),
            shutdown_timeout=self._shutdown_timeout,
            handler_cancellation=True,
            access_log=None,
        )
        self._runner = runner
        await runner.setup()
        site = web.TCPSite(runner, self._host, self._requested_port, ssl_context=self._ssl_context)
        await site.start()
        addresses = runner.addresses
        if not addresses:
            raise RuntimeError("the site bound no socket")
        self._port = int(addresses[0][1])

    async def _cleanup(self) -> None:
        """Close the sites and connections; cancel handlers still running."""
        runner = self._runner
        self._runner = None
        if runner is None:
            return
        for site in list(runner.sites):
            await site.stop()  # no new connections from here on
        server = runner.server
        handlers = server.connections if server is not None else []
        transports = [handler.transport for handler in handlers if handler.transport is not None]
        await runner.cleanup()
        # A TLS connection whose peer left without close_notify waits ~30 s for it;
        # drop such leftovers now so no socket outlives the loop.
        for transport in transports:
            try:
                transport.abort()
            except Exception:  # already torn down
                pass
        for _ in range(3):
            await asyncio.sleep(0)


def _cancel_leftover_tasks(loop: asyncio.AbstractEventLoop) -> None:
    """Cancel and await every task still pending on ``loop``."""
    pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
    if not pending:
        return
    for task in pending:
        task.cancel()
    loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
