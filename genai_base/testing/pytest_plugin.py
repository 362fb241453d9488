"""pytest plugin providing the ``fake_api`` fixture (one server per test session)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from . import FakeAPIServer

__all__ = ["fake_api"]


@pytest.fixture(scope="session")
def _genai_base_fake_api_server() -> Iterator[FakeAPIServer]:
    """One fake API server shared by the whole test session."""
    with FakeAPIServer() as server:
        yield server


@pytest.fixture
def fake_api(_genai_base_fake_api_server: FakeAPIServer) -> Iterator[FakeAPIServer]:
    """The session's fake API server, with no scripts and no recorded requests."""
    server = _genai_base_fake_api_server
    server.clear()
    yield server
    server.clear()
