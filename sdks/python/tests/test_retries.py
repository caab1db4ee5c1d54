"""Automatic retries on the real server (test plan: RETRY-*)."""

from __future__ import annotations

from typing import Any, List

from test_errors import broken_outputs

from prodvisual import APIConnectionError, ConflictError, Credits, ProdVisual, RateLimitError, ServerError


def test_5xx_is_retried_until_the_server_recovers(server, sources) -> None:
    client = ProdVisual(api_key=server.live_key, base_url=server.base_url, max_retries=3, backoff_base=0.2)
    before = client.credits().credits_remaining
    retries: List[Any] = []
    with broken_outputs(server) as outputs:

        def on_retry(attempt: int, wait: float, error: Exception) -> None:
            retries.append((attempt, wait, error))
            outputs.restore()  # the server recovers before the next attempt

        client.on_retry = on_retry
        result = client.generate(**sources.item(0))
    assert result.status == "completed"
    assert len(retries) == 1 and isinstance(retries[0][2], ServerError)
    assert 0.1 <= retries[0][1] <= 0.2  # exponential backoff from backoff_base, with jitter
    assert result.credits_remaining == before - 1  # the failed attempt was refunded


def test_a_timed_out_post_is_retried_with_the_same_idempotency_key(server, sources) -> None:
    """The first attempt outlives the client's time-out; the retries carry the same key, so the
    server answers 409 while it still runs, then replays its answer: one generation, one credit."""
    client = ProdVisual(api_key=server.live_key, base_url=server.base_url, timeout=1.0, max_retries=8, backoff_base=0.4, backoff_max=1.0)
    before = client.credits().credits_remaining
    errors: List[Exception] = []
    client.on_retry = lambda attempt, wait, error: errors.append(error)
    result = client.generate(**sources.item(1, image_url=sources.slow_url(2.5, 1)))
    assert result.status == "completed"
    assert isinstance(errors[0], APIConnectionError)
    assert any(isinstance(e, ConflictError) for e in errors)
    assert result.idempotent_replayed
    assert client.credits().credits_remaining == before - 1


def test_429_is_raised_with_retry_after_when_retries_are_off(rate_limit_probe) -> None:
    rate_limit_probe.thread.join(timeout=90)
    assert rate_limit_probe.failure is None, repr(rate_limit_probe.failure)
    refused = rate_limit_probe.results["refused"]
    assert isinstance(refused, RateLimitError)
    assert (refused.code, refused.status) == ("rate_limited", 429)
    assert refused.retry_after is not None and 1 <= refused.retry_after <= 60
    assert refused.limit == 2 and refused.remaining == 0 and refused.reset
    impatient, retries = rate_limit_probe.results["impatient"]
    # Retry-After beyond max_retry_wait: raised at once rather than slept on.
    assert isinstance(impatient, RateLimitError) and retries == []


def test_429_is_retried_after_retry_after(rate_limit_probe) -> None:
    rate_limit_probe.thread.join(timeout=90)
    assert rate_limit_probe.failure is None, repr(rate_limit_probe.failure)
    results = rate_limit_probe.results
    assert isinstance(results["credits"], Credits)
    retries = results["retries"]
    assert len(retries) == 1
    attempt, wait, error, when = retries[0]
    assert isinstance(error, RateLimitError)
    # It waited what the server asked, not a short backoff, and then got through.
    assert wait >= error.retry_after
    assert results["elapsed"] >= error.retry_after - 1
