"""Retries: the seed client's rules on both shells, the policies themselves, and the retry budget.

Client tests run on both shells against the embedded server with scripted
failures, and count the attempts the server saw. They stay fast: the policy
is swapped for one whose backoff is a millisecond or two, or the server asks
for ``retry-after-ms: 1``. Waits are checked through the ``retry`` hook (and
a seeded ``random.Random`` where exactness matters), never by the clock.
"""

from __future__ import annotations

import asyncio
import email.utils
import math
import random
from typing import Any, Generator, Optional

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from genai_base import (
    APIConnectionError,
    APIResponse,
    APIStatusError,
    APITimeoutError,
    BudgetedRetryPolicy,
    ClientContainer,
    ExponentialRetryPolicy,
    FinalRequestOptions,
    NoRetryPolicy,
    PoolTimeoutError,
    RequestEvent,
    RetryEvent,
    RetryOutcome,
    make_request_options,
)
from genai_base._errors import (
    APIResponseValidationError,
    RetryBudgetExhaustedError,
    StreamInterruptedError,
    TooManyRedirectsError,
)
from genai_base._request import PreparedRequest
from genai_base._retry import RetryBudget, make_budgeted, make_exponential, parse_retry_after
from genai_base.testing import Reply

from .conftest import Shell, attempts, closed_port

RETRIED = [408, 409, 429, 500, 502, 503, 504]
NOT_RETRIED = [400, 401, 403, 404, 422]
TINY: dict[str, Any] = {"initial_delay": 0.001, "max_delay": 0.002}


class Recorder:
    """A hook that keeps every request and retry event."""

    def __init__(self) -> None:
        self.requests: list[RequestEvent] = []
        self.retries: list[RetryEvent] = []

    def on_request(self, event: RequestEvent) -> None:
        self.requests.append(event)

    def on_retry(self, event: RetryEvent) -> None:
        self.retries.append(event)

    @property
    def waits(self) -> list[float]:
        return [event.wait for event in self.retries]


def fast_client(
    shell: Shell,
    *,
    policy: Any = None,
    recorder: Optional[Recorder] = None,
    config: Optional[dict[str, Any]] = None,
    **kwargs: Any,
) -> Any:
    """A client on ``shell`` whose retry policy waits a millisecond or two (unless ``policy`` is given)."""
    container = ClientContainer()
    if config:
        container.config.from_dict(config)
    if policy is not False:
        container.retry_policy.override(policy if policy is not None else ExponentialRetryPolicy(**TINY))
    if recorder is not None:
        container.hooks.override([recorder])
    return shell.client(container=container, **kwargs)


def retry_counts(shell: Shell, path: str) -> list[str]:
    return [r.headers["x-genai-retry-count"] for r in shell.server.requests_to(path)]


def outcome(
    status: Optional[int] = None,
    headers: Optional[dict[str, str]] = None,
    exception: Optional[BaseException] = None,
    retries_taken: int = 0,
) -> RetryOutcome:
    return RetryOutcome(
        retries_taken=retries_taken,
        max_retries=5,
        options=FinalRequestOptions(method="get", url="/x"),
        status_code=status,
        headers=headers,
        exception=exception,
    )


# -- which statuses are retried, on both shells --------------------------------------------


@pytest.mark.parametrize("status", RETRIED)
def test_retried_status_is_tried_max_retries_plus_one_times(shell: Shell, status: int) -> None:
    shell.server.script("/f", Reply(status=status, json={"error": {"message": "busy"}}))
    client = fast_client(shell, max_retries=2)
    with pytest.raises(APIStatusError) as info:
        shell.run(client.get("/f", cast_to=dict))
    assert info.value.status_code == status
    assert attempts(shell, "/f") == 3
    assert info.value.response.retries_taken == 2


@pytest.mark.parametrize("status", NOT_RETRIED)
def test_final_status_is_tried_once(shell: Shell, status: int) -> None:
    shell.server.script("/f", Reply(status=status, json={"error": {"message": "no"}}))
    client = fast_client(shell, max_retries=3)
    with pytest.raises(APIStatusError) as info:
        shell.run(client.get("/f", cast_to=dict))
    assert info.value.status_code == status
    assert attempts(shell, "/f") == 1
    assert info.value.response.retries_taken == 0


def test_retried_until_success_reports_retries_taken_and_retry_counts(shell: Shell) -> None:
    shell.server.script("/f", [Reply(status=503), Reply(status=429), Reply(status=500), Reply(json={"ok": True})])
    client = fast_client(shell)
    response = shell.run(client.get("/f", cast_to=APIResponse[dict]))
    assert response.status_code == 200
    assert response.retries_taken == 3
    assert shell.run(response.parse()) == {"ok": True}
    assert retry_counts(shell, "/f") == ["0", "1", "2", "3"]


def test_retry_count_header_on_a_call_that_fails_for_good(shell: Shell) -> None:
    shell.server.script("/f", Reply(status=502))
    client = fast_client(shell, max_retries=4)
    with pytest.raises(APIStatusError):
        shell.run(client.post("/f", cast_to=dict, body={"a": 1}))
    assert retry_counts(shell, "/f") == ["0", "1", "2", "3", "4"]
    assert all(r.json() == {"a": 1} for r in shell.server.requests_to("/f"))


def test_a_retry_count_the_call_sets_is_counted_on_from(shell: Shell) -> None:
    # What a stream's reconnect relies on: the retries go on from the count the request was built with
    # (a caller's own x-genai-retry-count once restarted at 1 on the first retry).
    shell.server.script("/f", [Reply(status=503), Reply(status=503), Reply(json={})])
    client = fast_client(shell)
    options = make_request_options(extra_headers={"X-Genai-Retry-Count": "5"})
    shell.run(client.get("/f", cast_to=dict, options=options))
    assert retry_counts(shell, "/f") == ["5", "6", "7"]


def test_should_retry_header_overrides_the_status_rule(shell: Shell) -> None:
    shell.server.script("/yes", Reply(status=400, headers={"x-should-retry": "true"}))
    shell.server.script("/no", Reply(status=503, headers={"x-should-retry": "false"}))
    shell.server.script("/other", Reply(status=400, headers={"x-should-retry": "maybe"}))
    client = fast_client(shell, max_retries=2)
    for path in ("/yes", "/no", "/other"):
        with pytest.raises(APIStatusError):
            shell.run(client.get(path, cast_to=dict))
    assert (attempts(shell, "/yes"), attempts(shell, "/no"), attempts(shell, "/other")) == (3, 1, 1)


# -- max_retries -----------------------------------------------------------------------------


def test_max_retries_zero_disables_retries(shell: Shell) -> None:
    shell.server.script("/f", Reply(status=503))
    client = fast_client(shell, max_retries=0)
    with pytest.raises(APIStatusError):
        shell.run(client.get("/f", cast_to=dict))
    assert attempts(shell, "/f") == 1


def test_per_call_max_retries_wins_both_ways(shell: Shell) -> None:
    shell.server.script("/more", Reply(status=503))
    shell.server.script("/none", Reply(status=503))
    client = fast_client(shell, max_retries=1)
    with pytest.raises(APIStatusError):
        shell.run(client.get("/more", cast_to=dict, options=make_request_options(max_retries=3)))
    with pytest.raises(APIStatusError):
        shell.run(client.get("/none", cast_to=dict, options=make_request_options(max_retries=0)))
    assert (attempts(shell, "/more"), attempts(shell, "/none")) == (4, 1)


def test_default_is_five_retries(shell: Shell) -> None:
    shell.server.script("/f", Reply(status=503, headers={"retry-after-ms": "1"}))
    client = shell.client()
    assert client.max_retries == 5
    with pytest.raises(APIStatusError):
        shell.run(client.get("/f", cast_to=dict))
    assert attempts(shell, "/f") == 6


def test_max_retries_none_is_a_type_error(shell: Shell) -> None:
    with pytest.raises(TypeError, match="max_retries"):
        shell.client(max_retries=None)


# -- waits -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after-ms": "7"}, 0.007),
        ({"retry-after": "0.005"}, 0.005),
        ({"retry-after-ms": "3", "retry-after": "0.009"}, 0.003),
    ],
)
def test_server_asked_wait_is_honoured(shell: Shell, headers: dict[str, str], expected: float) -> None:
    shell.server.script("/f", [Reply(status=503, headers=headers), Reply(json={})])
    recorder = Recorder()
    client = fast_client(shell, recorder=recorder)
    shell.run(client.get("/f", cast_to=dict))
    assert recorder.waits == [pytest.approx(expected)]


def test_http_date_retry_after_is_honoured(shell: Shell) -> None:
    date = "Wed, 21 Oct 2015 07:28:00 GMT"
    moment = email.utils.mktime_tz(email.utils.parsedate_tz(date))  # type: ignore[arg-type]
    # The policy's clock reads 4 ms before the date the server names.
    policy = ExponentialRetryPolicy(**TINY, clock=lambda: moment - 0.004)
    shell.server.script("/f", [Reply(status=429, headers={"retry-after": date}), Reply(json={})])
    recorder = Recorder()
    shell.run(fast_client(shell, policy=policy, recorder=recorder).get("/f", cast_to=dict))
    assert recorder.waits == [pytest.approx(0.004, abs=1e-6)]


@pytest.mark.parametrize(
    "headers",
    [
        {"retry-after": "120"},  # above the 60 s ceiling
        {"retry-after": "0"},
        {"retry-after": "-3"},
        {"retry-after": "inf"},
        {"retry-after": "nan"},
        {"retry-after": "soon"},
        {"retry-after-ms": "-1"},
        {"retry-after-ms": "1e12"},
        {"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"},  # in the past
        {"retry-after": "Fri, 31 Dec 9999 23:59:59 GMT"},  # far future
    ],
)
def test_out_of_range_or_garbage_retry_after_falls_back_to_backoff(shell: Shell, headers: dict[str, str]) -> None:
    shell.server.script("/f", [Reply(status=503, headers=headers), Reply(status=503, headers=headers), Reply(json={})])
    recorder = Recorder()
    shell.run(fast_client(shell, recorder=recorder).get("/f", cast_to=dict))
    first, second = recorder.waits
    assert 0.00075 <= first <= 0.001  # 0.001 * 2**0, jittered
    assert 0.0015 <= second <= 0.002  # 0.001 * 2**1, jittered


def test_retry_after_above_a_configured_ceiling_falls_back_to_backoff(shell: Shell) -> None:
    policy = ExponentialRetryPolicy(**TINY, retry_after_ceiling=0.004)
    shell.server.script("/f", [*[Reply(status=503, headers={"retry-after-ms": ms}) for ms in ("5", "4")], Reply()])
    recorder = Recorder()
    shell.run(fast_client(shell, policy=policy, recorder=recorder).get("/f", cast_to=None))
    assert recorder.waits[0] <= 0.001
    assert recorder.waits[1] == pytest.approx(0.004)  # exactly at the ceiling: honoured


def test_seeded_jitter_gives_exact_waits(shell: Shell) -> None:
    shell.server.script("/f", Reply(status=500))
    recorder = Recorder()
    policy = ExponentialRetryPolicy(initial_delay=0.001, max_delay=0.004, rng=random.Random(1234))
    client = fast_client(shell, policy=policy, recorder=recorder, max_retries=4)
    with pytest.raises(APIStatusError):
        shell.run(client.get("/f", cast_to=dict))
    draws = random.Random(1234)
    expected = [min(0.001 * 2**n, 0.004) * (1 - 0.25 * draws.random()) for n in range(4)]
    assert recorder.waits == expected
    assert [event.attempt for event in recorder.retries] == [0, 1, 2, 3]


# -- idempotency keys ----------------------------------------------------------------------------


def test_one_idempotency_key_per_call_reused_by_every_retry(shell: Shell) -> None:
    shell.server.script("/f", [Reply(status=503), Reply(status=503), Reply(json={})])
    client = fast_client(shell, idempotency_header="Idempotency-Key")
    shell.run(client.post("/f", cast_to=dict, body={}))
    keys = {r.headers["idempotency-key"] for r in shell.server.requests_to("/f")}
    assert len(keys) == 1
    (key,) = keys
    assert key.startswith("genai-base-retry-") and len(key) > len("genai-base-retry-") + 30
    shell.server.clear()
    shell.run(client.post("/echo", cast_to=dict, body={}))
    assert shell.server.requests_to("/echo")[0].headers["idempotency-key"] != key  # a new call, a new key


def test_per_call_idempotency_key_wins(shell: Shell) -> None:
    shell.server.script("/f", [Reply(status=503), Reply(json={})])
    client = fast_client(shell, idempotency_header="Idempotency-Key")
    shell.run(client.put("/f", cast_to=dict, body={}, options=make_request_options(idempotency_key="mine-1")))
    assert [r.headers["idempotency-key"] for r in shell.server.requests_to("/f")] == ["mine-1", "mine-1"]


def test_no_idempotency_key_on_get_or_without_a_header_name(shell: Shell) -> None:
    shell.server.script("/f", [Reply(status=503), Reply(json={})])
    client = fast_client(shell, idempotency_header="Idempotency-Key")
    shell.run(client.get("/f", cast_to=dict))
    assert all("idempotency-key" not in r.headers for r in shell.server.requests_to("/f"))
    plain = fast_client(shell)
    shell.run(plain.post("/echo", cast_to=dict, body={}))
    headers = shell.server.requests_to("/echo")[0].headers
    assert not any(value.startswith("genai-base-retry-") for value in headers.values())


# -- connection errors, auth and cleanup between attempts --------------------------------------




def test_connection_refused_is_retried_then_raised(shell: Shell) -> None:
    recorder = Recorder()
    client = fast_client(shell, recorder=recorder, base_url=f"http://127.0.0.1:{closed_port()}", max_retries=3)
    with pytest.raises(APIConnectionError) as info:
        shell.run(client.get("/x", cast_to=dict))
    assert not isinstance(info.value, APITimeoutError)
    assert [event.attempt for event in recorder.requests] == [0, 1, 2, 3]
    assert len(recorder.retries) == 3


class CountingAuth:
    """Signs every attempt with a fresh serial number."""

    sensitive_headers: frozenset[str] = frozenset({"x-signature"})
    sensitive_query_params: frozenset[str] = frozenset()

    def __init__(self) -> None:
        self.signed = 0

    def auth_flow(self, request: PreparedRequest) -> Generator[PreparedRequest, Any, None]:
        self.signed += 1
        yield request.with_headers(**{"x-signature": f"sig-{self.signed}"})


def test_auth_signs_every_attempt_again(shell: Shell) -> None:
    shell.server.script("/f", [Reply(status=503), Reply(status=503), Reply(json={})])
    auth = CountingAuth()
    shell.run(fast_client(shell, auth=auth).get("/f", cast_to=dict))
    assert [r.headers["x-signature"] for r in shell.server.requests_to("/f")] == ["sig-1", "sig-2", "sig-3"]


def test_failed_attempt_body_is_read_and_released_before_the_next(shell: Shell) -> None:
    # One pooled connection: if a failed attempt kept it, the retry would time out waiting for the pool.
    body = {"error": {"message": "x" * 50_000}}
    shell.server.script("/f", [Reply(status=503, json=body), Reply(status=500, json=body), Reply(json={"ok": 1})])
    client = fast_client(shell, config={"pool_size": 1, "pool_keepalive": 1}, timeout=2.0)
    response = shell.run(client.get("/f", cast_to=APIResponse[dict], stream=True))
    assert response.retries_taken == 2
    assert shell.run(response.parse()) == {"ok": 1}
    assert shell.run(client.get("/echo", cast_to=dict))["method"] == "GET"


def test_a_cut_body_is_retried(shell: Shell) -> None:
    shell.server.script("/f", [Reply(json={"a": "b" * 1000}, reset="mid_body"), Reply(json={"a": 1})])
    assert shell.run(fast_client(shell).get("/f", cast_to=dict)) == {"a": 1}
    assert attempts(shell, "/f") == 2


# -- the retry budget, on both shells ---------------------------------------------------------


def test_budget_runs_out_under_an_outage_and_is_shared_by_copies(shell: Shell) -> None:
    shell.server.script("/down", Reply(status=503, headers={"retry-after-ms": "1"}))
    recorder = Recorder()
    client = fast_client(
        shell,
        policy=False,
        recorder=recorder,
        config={"retry_policy": "budgeted", "retry_budget": {"capacity": 10}},
        max_retries=5,
    )
    assert isinstance(client._retry_policy, BudgetedRetryPolicy)
    with pytest.raises(APIStatusError) as info:
        shell.run(client.get("/down", cast_to=dict))
    assert attempts(shell, "/down") == 3  # two retries of 5 tokens each, then the bucket is empty
    assert "retry budget is spent" in str(info.value)
    assert info.value.status_code == 503
    assert [event.budget for event in recorder.retries] == [5, 0]

    copy = client.copy(max_retries=5)
    with pytest.raises(APIStatusError, match="retry budget is spent"):
        shell.run(copy.get("/down", cast_to=dict))
    assert attempts(shell, "/down") == 4  # the copy shares the empty bucket: no retry at all


def test_budget_refunds_on_success(shell: Shell) -> None:
    policy = BudgetedRetryPolicy(ExponentialRetryPolicy(**TINY), capacity=10, retry_cost=5, success_refund=1)
    shell.server.script("/f", [Reply(status=503), Reply(json={})])
    client = fast_client(shell, policy=policy)
    shell.run(client.get("/f", cast_to=dict))
    assert policy.available_tokens == 6  # 10 - 5 for the retry + 1 for the success
    shell.run(client.get("/echo", cast_to=dict))
    assert policy.available_tokens == 7


def test_a_fresh_client_gets_a_fresh_budget(shell: Shell) -> None:
    config = {"retry_policy": "budgeted", "retry_budget": {"capacity": 10}}
    first = fast_client(shell, policy=False, config=config)
    second = fast_client(shell, policy=False, config=config)
    assert first._retry_policy is not second._retry_policy
    assert first.copy()._retry_policy is first._retry_policy


# -- parse_retry_after (pure) ---------------------------------------------------------------------

NOW = 1_700_000_000.0


def http_date(seconds_from_now: float) -> str:
    return email.utils.formatdate(NOW + seconds_from_now, usegmt=True)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (None, None),
        ({}, None),
        ({"retry-after-ms": "1500"}, 1.5),
        ({"retry-after-ms": "2.5"}, 0.0025),
        ({"retry-after-ms": "100", "retry-after": "9"}, 0.1),
        ({"retry-after-ms": "junk", "retry-after": "9"}, 9.0),
        ({"retry-after": "3"}, 3.0),
        ({"retry-after": "1.25"}, 1.25),
        ({"retry-after": " 4 "}, 4.0),
        ({"retry-after": "0"}, 0.0),
        ({"retry-after": "-2"}, -2.0),
        ({"retry-after": http_date(30)}, 30.0),
        ({"retry-after": http_date(-30)}, -30.0),
        ({"retry-after": "inf"}, None),
        ({"retry-after": "-inf"}, None),
        ({"retry-after": "nan"}, None),
        ({"retry-after-ms": "nan", "retry-after": "5"}, None),  # as the seed: a number in -ms is final
        ({"retry-after-ms": "1e400"}, None),
        ({"retry-after": "tomorrow"}, None),
        ({"retry-after": ""}, None),
        ({"Retry-After": "7"}, 7.0),  # a plain dict is read case-insensitively
        ({"RETRY-AFTER-MS": "20"}, 0.02),
    ],
)
def test_parse_retry_after(headers: Any, expected: Optional[float]) -> None:
    assert parse_retry_after(headers, now=lambda: NOW) == (None if expected is None else pytest.approx(expected))


def test_parse_retry_after_reads_case_insensitive_mappings() -> None:
    from multidict import CIMultiDict
    from requests.structures import CaseInsensitiveDict

    assert parse_retry_after(CIMultiDict({"Retry-After-Ms": "10"})) == pytest.approx(0.01)
    assert parse_retry_after(CaseInsensitiveDict({"Retry-After": "2"})) == 2.0


header_values = st.one_of(
    st.text(max_size=40),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.floats(min_value=-1e9, max_value=1e11).map(lambda s: email.utils.formatdate(NOW + s, usegmt=True)),
    st.sampled_from(["Mon, 32 Foo 99999 99:99:99 GMT", "Sun, 06 Nov 1994 08:49:37 GMT", "1e309", "0x10", "١٢"]),
)
retry_headers = st.dictionaries(
    st.sampled_from(["retry-after", "retry-after-ms", "Retry-After", "x-should-retry"]), header_values, max_size=3
)


@settings(max_examples=400, deadline=None)
@given(headers=retry_headers)
def test_parse_retry_after_never_raises_and_is_finite(headers: dict[str, str]) -> None:
    value = parse_retry_after(headers)
    assert value is None or math.isfinite(value)


@settings(max_examples=400, deadline=None)
@given(
    headers=retry_headers,
    retries_taken=st.integers(min_value=0, max_value=10**6),
    ceiling=st.floats(min_value=0, max_value=120),
    status=st.sampled_from([408, 429, 500, 503]),
)
def test_policy_wait_is_never_negative_nor_above_the_ceiling(
    headers: dict[str, str], retries_taken: int, ceiling: float, status: int
) -> None:
    policy = ExponentialRetryPolicy(retry_after_ceiling=ceiling)
    wait = policy.wait(outcome(status, headers, retries_taken=retries_taken))
    assert math.isfinite(wait)
    assert 0 <= wait <= max(ceiling, policy.max_delay)
    default = ExponentialRetryPolicy().wait(outcome(status, headers, retries_taken=retries_taken))
    assert 0 <= default <= 60


# -- the policies (pure) ----------------------------------------------------------------------------


@pytest.mark.parametrize("status", [*RETRIED, 501, 599])
def test_exponential_retries_the_seed_statuses(status: int) -> None:
    assert ExponentialRetryPolicy().should_retry(outcome(status, {}))


@pytest.mark.parametrize("status", [*NOT_RETRIED, 200, 302, 418])
def test_exponential_does_not_retry_other_statuses(status: int) -> None:
    assert not ExponentialRetryPolicy().should_retry(outcome(status, {}))


def test_exponential_obeys_x_should_retry() -> None:
    policy = ExponentialRetryPolicy()
    assert policy.should_retry(outcome(400, {"x-should-retry": "true"}))
    assert not policy.should_retry(outcome(503, {"x-should-retry": "false"}))
    assert policy.should_retry(outcome(503, {"x-should-retry": "TRUE?"}))  # not exactly true/false: status rule


@pytest.mark.parametrize(
    ("error", "retried"),
    [
        (APIConnectionError("refused"), True),
        (APITimeoutError("slow"), True),
        (PoolTimeoutError("pool"), True),
        (StreamInterruptedError("cut"), True),
        (TooManyRedirectsError("loop"), False),
        (APIResponseValidationError("bad"), False),
    ],
)
def test_exponential_retries_connection_errors_and_timeouts(error: BaseException, retried: bool) -> None:
    assert ExponentialRetryPolicy().should_retry(outcome(exception=error)) is retried


def test_backoff_doubles_up_to_the_maximum_within_the_jitter() -> None:
    policy = ExponentialRetryPolicy()
    for n, base in enumerate([0.5, 1, 2, 4, 8, 8, 8]):
        for _ in range(20):
            assert 0.75 * base <= policy.wait(outcome(503, {}, retries_taken=n)) <= base
    assert 6 <= policy.wait(outcome(503, {}, retries_taken=10**9)) <= 8  # no overflow


def test_jitter_extremes() -> None:
    class Fixed(random.Random):
        def __init__(self, value: float) -> None:
            super().__init__()
            self.value = value

        def random(self) -> float:
            return self.value

    assert ExponentialRetryPolicy(rng=Fixed(0.0)).wait(outcome(503)) == 0.5
    assert ExponentialRetryPolicy(rng=Fixed(0.999999)).wait(outcome(503)) == pytest.approx(0.375, abs=1e-6)


def test_wait_honours_retry_after_within_zero_and_the_ceiling() -> None:
    policy = ExponentialRetryPolicy(rng=random.Random(0))
    assert policy.wait(outcome(429, {"retry-after": "60"})) == 60
    assert policy.wait(outcome(429, {"retry-after": "0.2"})) == 0.2
    assert policy.wait(outcome(429, {"retry-after-ms": "1"})) == 0.001
    assert 0.375 <= policy.wait(outcome(429, {"retry-after": "60.5"})) <= 0.5
    assert 0.375 <= policy.wait(outcome(429, {"retry-after": "0"})) <= 0.5
    date = email.utils.formatdate(NOW + 12, usegmt=True)
    assert ExponentialRetryPolicy(clock=lambda: NOW).wait(outcome(429, {"retry-after": date})) == 12


def test_policy_rejects_nonsense_numbers() -> None:
    for bad in ({"initial_delay": -1}, {"max_delay": float("nan")}, {"retry_after_ceiling": float("inf")}):
        with pytest.raises(ValueError):
            ExponentialRetryPolicy(**bad)
    with pytest.raises(ValueError):
        BudgetedRetryPolicy(capacity=-5)


def test_no_retry_policy() -> None:
    policy = NoRetryPolicy()
    assert not policy.should_retry(outcome(503))
    assert not policy.should_retry(outcome(exception=APIConnectionError()))
    assert policy.wait(outcome(503)) == 0


def test_budget_costs_refunds_and_refusal() -> None:
    policy = BudgetedRetryPolicy(capacity=20, retry_cost=5, timeout_retry_cost=10, success_refund=1)
    assert policy.should_retry(outcome(503))
    assert policy.available_tokens == 15
    assert policy.should_retry(outcome(exception=APITimeoutError()))
    assert policy.available_tokens == 5
    assert not policy.should_retry(outcome(400))  # not retryable: costs nothing
    assert policy.available_tokens == 5
    with pytest.raises(RetryBudgetExhaustedError, match="retry budget is spent"):
        policy.should_retry(outcome(exception=PoolTimeoutError()))  # a pool timeout costs a timeout's 10
    assert policy.available_tokens == 5
    assert policy.should_retry(outcome(500))
    assert policy.available_tokens == 0
    for _ in range(30):
        policy.on_success(outcome(200))
    assert policy.available_tokens == 20  # refunds stop at capacity
    assert 0.375 <= policy.wait(outcome(503)) <= 0.5  # the inner policy's wait


def test_budget_bucket_is_thread_safe() -> None:
    import threading

    bucket = RetryBudget(capacity=1000)
    taken: list[bool] = []

    def take() -> None:
        for _ in range(100):
            taken.append(bucket.acquire(1))

    threads = [threading.Thread(target=take) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert taken.count(True) == 1000 and bucket.available == 0


def test_factories_read_their_settings() -> None:
    container = ClientContainer()
    container.config.from_dict(
        {"retry_after_ceiling": 5, "retry_budget": {"capacity": 42, "retry_cost": 7, "timeout_retry_cost": 11}}
    )
    settings_ = container.settings()
    assert make_exponential(settings_).retry_after_ceiling == 5
    budgeted = make_budgeted(settings_)
    assert (budgeted.budget.capacity, budgeted.retry_cost, budgeted.timeout_retry_cost, budgeted.success_refund) == (
        42,
        7,
        11,
        1,
    )
    assert isinstance(budgeted.inner, ExponentialRetryPolicy) and budgeted.inner.retry_after_ceiling == 5
    assert make_exponential().retry_after_ceiling == 60
    assert make_budgeted().budget.capacity == 500


def test_retry_policy_chosen_by_configuration() -> None:
    for name, cls in (
        ("exponential", ExponentialRetryPolicy),
        ("budgeted", BudgetedRetryPolicy),
        ("none", NoRetryPolicy),
    ):
        container = ClientContainer()
        container.config.from_dict({"retry_policy": name})
        assert isinstance(container.retry_policy(), cls)


# -- a policy whose verdict needs I/O: awaited on the async client ------------------------------


class AwaitedPolicy(ExponentialRetryPolicy):
    """Retries once; its async verdict yields to the loop, as a round trip to a shared store would."""

    def __init__(self) -> None:
        super().__init__(**TINY)
        self.sync_verdicts: list[Optional[float]] = []
        self.async_verdicts: list[Optional[float]] = []

    def should_retry(self, outcome: RetryOutcome) -> bool:
        self.sync_verdicts.append(outcome.time_left)
        return outcome.retries_taken == 0

    async def should_retry_async(self, outcome: RetryOutcome) -> bool:
        await asyncio.sleep(0)
        self.async_verdicts.append(outcome.time_left)
        if outcome.retries_taken > 0:
            raise RetryBudgetExhaustedError("the shared budget is spent; not retrying")
        return True


def test_should_retry_async_is_awaited_on_the_async_client_only(shell: Shell) -> None:
    shell.server.script("/f", Reply(status=503, json={"error": {"message": "busy"}}))
    policy = AwaitedPolicy()
    client = fast_client(shell, policy=policy, max_retries=3, deadline=30.0)
    with pytest.raises(APIStatusError) as info:
        shell.run(client.get("/f", cast_to=dict))
    assert attempts(shell, "/f") == 2  # one retry, then the policy said no
    asked = policy.async_verdicts if shell.is_async else policy.sync_verdicts
    assert (policy.sync_verdicts if shell.is_async else policy.async_verdicts) == []
    assert len(asked) == 2 and all(left is not None and 29.0 < left <= 30.0 for left in asked)
    if shell.is_async:
        assert "the shared budget is spent" in str(info.value)  # a refusal raised there reads as one
