from __future__ import annotations

import sys
import threading
import time
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from harness import ServerProcess, SourceServer, WebhookReceiver  # noqa: E402

from prodvisual import ProdVisual, RateLimitError  # noqa: E402


@pytest.fixture(scope="session")
def server() -> Iterator[ServerProcess]:
    """One server for the suite: its limits are too high to be hit by the tests."""
    process = ServerProcess()
    yield process
    process.stop()


@pytest.fixture(scope="session")
def sources() -> Iterator[SourceServer]:
    source = SourceServer()
    yield source
    source.stop()


@pytest.fixture(scope="session")
def receiver() -> Iterator[WebhookReceiver]:
    hook = WebhookReceiver()
    yield hook
    hook.stop()


@pytest.fixture
def client(server: ServerProcess) -> ProdVisual:
    return ProdVisual(api_key=server.live_key, base_url=server.base_url)


class RateLimitProbe:
    """Runs, on its own thread and its own server limited to 2 requests a minute, the calls that
    must meet a 429, so that waiting for the clock-aligned window to roll (up to 60 s) overlaps
    the rest of the suite instead of adding to it."""

    def __init__(self) -> None:
        self.results: Dict[str, Any] = {}
        self.failure: BaseException | None = None
        self.server: ServerProcess | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            self.server = ServerProcess(rate_limit_per_minute=2)
            key, base_url = self.server.live_key, self.server.base_url
            no_retry = ProdVisual(api_key=key, base_url=base_url, max_retries=0)
            # Spend the window: the first refused call carries the server's Retry-After.
            for _ in range(6):
                try:
                    no_retry.credits()
                except RateLimitError as error:
                    self.results["refused"] = error
                    break
            # A Retry-After longer than max_retry_wait is not waited for: raised at once.
            impatient = ProdVisual(api_key=key, base_url=base_url, max_retries=3, max_retry_wait=0.5)
            impatient_retries: List[Any] = []
            impatient.on_retry = lambda *retry: impatient_retries.append(retry)
            try:
                impatient.credits()
            except RateLimitError as error:
                self.results["impatient"] = (error, impatient_retries)
            # Retries on: the call waits for Retry-After and then succeeds.
            patient = ProdVisual(api_key=key, base_url=base_url, max_retries=2, max_retry_wait=61)
            retries: List[Any] = []
            patient.on_retry = lambda attempt, wait, error: retries.append((attempt, wait, error, time.monotonic()))
            start = time.monotonic()
            self.results["credits"] = patient.credits()
            self.results["elapsed"] = time.monotonic() - start
            self.results["retries"] = retries
            self.results["start"] = start
        except BaseException as error:  # reported by the test that reads the results
            self.failure = error

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()


@pytest.fixture(scope="session")
def rate_limit_probe() -> Iterator[RateLimitProbe]:
    probe = RateLimitProbe()
    yield probe
    probe.thread.join(timeout=5)
    probe.stop()


@pytest.fixture(scope="session", autouse=True)
def _start_rate_limit_probe_early(request: pytest.FixtureRequest) -> None:
    """Starts the probe with the first test when a selected test needs it."""
    if any("rate_limit_probe" in getattr(item, "fixturenames", ()) for item in request.session.items):
        request.getfixturevalue("rate_limit_probe")


def pytest_collection_modifyitems(items: List[pytest.Item]) -> None:
    """The rate-limit cases go last, so that their wait for the window to roll overlaps the rest."""
    items.sort(key=lambda item: "rate_limit_probe" in getattr(item, "fixturenames", ()))
