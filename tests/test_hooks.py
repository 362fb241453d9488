"""Hooks on both clients: event records per attempt, the logging hook, failing hooks, GENAI_BASE_LOG."""

from __future__ import annotations

import dataclasses
import logging
import os
from typing import Any, Iterator

import pytest

from genai_base import (
    ClientContainer,
    ErrorEvent,
    InternalServerError,
    LoggingHook,
    RequestEvent,
    ResponseEvent,
    RetryEvent,
    SyncAPIClient,
)
from genai_base._hooks import HookRunner, configure_logging
from genai_base.testing import Reply

from .conftest import Shell

RETRY_NOW = {"retry-after-ms": "1"}


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("GENAI_BASE_"):
            monkeypatch.delenv(name)


@pytest.fixture
def restore_logger() -> Iterator[logging.Logger]:
    logger = logging.getLogger("genai_base")
    level, handlers = logger.level, list(logger.handlers)
    yield logger
    logger.setLevel(level)
    for handler in logger.handlers:
        if handler not in handlers:
            logger.removeHandler(handler)


class Recorder:
    """A hook that keeps every event, by kind."""

    def __init__(self) -> None:
        self.events: list[tuple[str, Any]] = []

    def on_request(self, event: RequestEvent) -> None:
        self.events.append(("request", event))

    def on_response(self, event: ResponseEvent) -> None:
        self.events.append(("response", event))

    def on_retry(self, event: RetryEvent) -> None:
        self.events.append(("retry", event))

    def on_error(self, event: ErrorEvent) -> None:
        self.events.append(("error", event))

    def kinds(self) -> list[str]:
        return [kind for kind, _ in self.events]


class Exploding:
    def on_request(self, event: Any) -> None:
        raise RuntimeError("hook bug")

    def on_response(self, event: Any) -> None:
        raise KeyError("also a bug")


def with_hooks(*hooks: Any) -> ClientContainer:
    container = ClientContainer()
    container.hooks.override(list(hooks))
    return container


def test_events_of_a_retried_call(shell: Shell) -> None:
    recorder = Recorder()
    shell.server.script("/flaky", [Reply(status=503, headers=RETRY_NOW), Reply(json={"ok": 1})])
    made = shell.client(container=with_hooks(recorder), custom_headers={"Authorization": "Bearer hidden"})
    shell.run(made.get("/flaky?page=2", cast_to=dict))
    assert recorder.kinds() == ["request", "response", "retry", "request", "response"]
    first, retry, last = recorder.events[0][1], recorder.events[2][1], recorder.events[4][1]
    assert (first.method, first.attempt) == ("GET", 0)
    assert first.url == shell.server.url + "/flaky?page=2"
    assert first.headers["Authorization"] == "<redacted>"
    assert (retry.attempt, retry.reason, retry.wait) == (0, "status 503", pytest.approx(0.001))
    assert (last.status_code, last.attempt) == (200, 1)
    assert last.elapsed.total_seconds() >= 0


def test_events_of_a_failed_call(shell: Shell) -> None:
    recorder = Recorder()
    shell.server.script("/down", Reply(status=500, json={"error": {"message": "boom"}}))
    made = shell.client(container=with_hooks(recorder), max_retries=1)
    with pytest.raises(InternalServerError):
        shell.run(made.get("/down", cast_to=dict))
    assert recorder.kinds() == ["request", "response", "retry", "request", "response", "error"]
    error = recorder.events[-1][1]
    assert isinstance(error.exception, InternalServerError) and error.attempt == 1


def test_records_are_frozen() -> None:
    event = RequestEvent("GET", "http://x/", {}, 0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.attempt = 1  # type: ignore[misc]


def test_a_raising_hook_is_logged_and_ignored(shell: Shell, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="genai_base")
    recorder = Recorder()
    made = shell.client(container=with_hooks(Exploding(), recorder))
    assert shell.run(made.get("/echo", cast_to=dict))["method"] == "GET"
    assert recorder.kinds() == ["request", "response"]  # later hooks still run
    messages = [r.getMessage() for r in caplog.records if r.name == "genai_base"]
    assert any("Exploding raised RuntimeError in on_request; ignored" in m for m in messages)
    assert any("raised KeyError in on_response" in m for m in messages)


def test_logging_hook_debug_per_attempt_warning_per_retry(shell: Shell, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="genai_base")
    shell.server.script("/flaky", [Reply(status=503, headers=RETRY_NOW), Reply(json={})])
    made = shell.client(auth=None, custom_headers={"X-Api-Key": "k-hidden"})
    shell.run(made.get("/flaky", cast_to=dict))
    records = [r for r in caplog.records if r.name == "genai_base"]
    debug = [r.getMessage() for r in records if r.levelno == logging.DEBUG]
    warnings = [r.getMessage() for r in records if r.levelno == logging.WARNING]
    assert sum(m.startswith("request GET") for m in debug) == 2
    assert sum(m.startswith("response GET") for m in debug) == 2
    assert len(warnings) == 1 and warnings[0].startswith("retrying GET")
    assert "k-hidden" not in caplog.text


def test_logging_hook_counts_attempts_from_1_as_errors_and_the_cli_do(
    shell: Shell, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="genai_base")
    shell.server.script("/flaky", [Reply(status=503, headers=RETRY_NOW), Reply(json={})])
    recorder = Recorder()
    made = shell.client(container=with_hooks(LoggingHook(), recorder))
    shell.run(made.get("/flaky", cast_to=dict))
    messages = [r.getMessage() for r in caplog.records if r.name == "genai_base"]
    requests = [m for m in messages if m.startswith("request GET")]
    responses = [m for m in messages if m.startswith("response GET")]
    assert [" attempt=1 " in requests[0], " attempt=2 " in requests[1]] == [True, True], requests
    assert " status=503 " in responses[0] and " attempt=1 " in responses[0]
    assert " status=200 " in responses[1] and " attempt=2 " in responses[1]
    retry = next(m for m in messages if m.startswith("retrying GET"))
    assert "(attempt 1 failed: " in retry, retry
    # The records themselves keep counting from 0 (the x-genai-retry-count header's numbering).
    assert [e.attempt for kind, e in recorder.events if kind == "request"] == [0, 1]


def test_logging_hook_is_the_default_and_can_be_turned_off(monkeypatch: pytest.MonkeyPatch) -> None:
    made = SyncAPIClient(version="1", base_url="http://127.0.0.1:9")
    assert [type(h) for h in made._hooks.hooks] == [LoggingHook]
    made.close()
    monkeypatch.setenv("GENAI_BASE_HOOKS", "")
    made = SyncAPIClient(version="1", base_url="http://127.0.0.1:9")
    assert made._hooks.hooks == []
    assert not made._hooks.listening("on_request")
    made.close()


@pytest.mark.parametrize("value, level", [("debug", logging.DEBUG), ("INFO", logging.INFO)])
def test_genai_base_log_sets_up_the_logger(
    monkeypatch: pytest.MonkeyPatch, restore_logger: logging.Logger, value: str, level: int
) -> None:
    restore_logger.setLevel(logging.NOTSET)
    monkeypatch.setenv("GENAI_BASE_LOG", value)
    SyncAPIClient(version="1", base_url="http://127.0.0.1:9").close()
    assert restore_logger.level == level


def test_configure_logging_adds_a_handler_only_when_none_exists(restore_logger: logging.Logger) -> None:
    root = logging.getLogger()
    saved = list(root.handlers)
    for handler in saved:
        root.removeHandler(handler)
    try:
        configure_logging("debug")
        configure_logging("debug")
        ours = [h for h in restore_logger.handlers if isinstance(h, logging.StreamHandler)]
        assert len(ours) == 1 and ours[0].level == logging.DEBUG
        configure_logging("bogus")  # ignored
        assert restore_logger.level == logging.DEBUG
    finally:
        for handler in saved:
            root.addHandler(handler)


def test_importing_the_package_does_not_touch_logging() -> None:
    import subprocess
    import sys

    script = (
        "import logging, genai_base; "
        "assert logging.getLogger('genai_base').level == logging.NOTSET; "
        "assert not logging.getLogger('genai_base').handlers; print('ok')"
    )
    env = {**os.environ, "GENAI_BASE_LOG": "debug"}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=60)
    assert done.stdout.strip() == "ok", done.stderr


def test_runner_without_hooks_listens_to_nothing() -> None:
    empty = HookRunner([])
    assert not any(empty.listening(name) for name in ("on_request", "on_response", "on_retry", "on_error"))
    recorder = HookRunner([Recorder()])
    assert all(recorder.listening(name) for name in ("on_request", "on_response", "on_retry", "on_error"))


def test_gates_are_asked_when_the_event_happens(caplog: pytest.LogCaptureFixture) -> None:
    # The logging hook's gate follows its logger's level at the moment of each event.
    runner = HookRunner([LoggingHook()])
    caplog.set_level(logging.WARNING, logger="genai_base")
    assert not runner.listening("on_request") and runner.listening("on_retry")
    caplog.set_level(logging.DEBUG, logger="genai_base")
    assert runner.listening("on_request")
    caplog.set_level(logging.ERROR, logger="genai_base")
    assert not runner.listening("on_retry") and not runner.listening("on_error")


def test_a_level_change_between_calls_is_heard(shell: Shell, caplog: pytest.LogCaptureFixture) -> None:
    made = shell.client()
    caplog.set_level(logging.WARNING, logger="genai_base")
    shell.run(made.get("/echo", cast_to=dict))
    assert not [r for r in caplog.records if r.name == "genai_base" and r.levelno == logging.DEBUG]
    caplog.set_level(logging.DEBUG, logger="genai_base")
    shell.run(made.get("/echo", cast_to=dict))
    debug = [r.getMessage() for r in caplog.records if r.name == "genai_base" and r.levelno == logging.DEBUG]
    assert any(m.startswith("request GET") for m in debug) and any(m.startswith("response GET") for m in debug)


def test_every_event_of_a_call_carries_its_call_id(shell: Shell) -> None:
    recorder = Recorder()
    shell.server.script("/flaky", [Reply(status=503, headers=RETRY_NOW), Reply(json={})])
    made = shell.client(container=with_hooks(recorder))
    shell.run(made.get("/flaky", cast_to=dict))
    shell.run(made.get("/echo", cast_to=dict))
    ids = [event.call_id for _, event in recorder.events]
    assert None not in ids
    assert len(set(ids[:5])) == 1 and ids[5] == ids[6] != ids[0]


def test_a_lone_gated_hook_answers_as_the_generic_check(caplog: pytest.LogCaptureFixture) -> None:
    runner = HookRunner([LoggingHook()])
    for level in (logging.DEBUG, logging.INFO, logging.WARNING, logging.ERROR):
        caplog.set_level(level, logger="genai_base")
        for name in ("on_request", "on_response", "on_retry", "on_error"):
            assert runner.listening(name) == HookRunner.listening(runner, name)

    class OnlyRequests:
        def enabled(self, name: str) -> bool:
            return True

        def on_request(self, event: Any) -> None:
            pass

    partial = HookRunner([OnlyRequests()])
    assert partial.listening("on_request") and not partial.listening("on_retry")
