"""Each error class, provoked on the real server (test plan: ERR-*)."""

from __future__ import annotations

import threading
import time
import uuid
from typing import Type

import pytest

from prodvisual import (
    AuthenticationError,
    ConflictError,
    FileTooLargeError,
    InsufficientCreditsError,
    InvalidImageError,
    InvalidRequestError,
    NotFoundError,
    ProdVisual,
    ProdVisualError,
    ServerError,
)


def check(error: ProdVisualError, cls: Type[ProdVisualError], code: str, status: int) -> None:
    assert type(error) is cls
    assert isinstance(error, ProdVisualError)
    assert (error.code, error.status) == (code, status)
    assert error.message and error.message in str(error)


def test_invalid_request(client: ProdVisual, sources) -> None:
    with pytest.raises(InvalidRequestError) as raised:
        client.generate(image_url=sources.url(0), style="no_such_style")
    check(raised.value, InvalidRequestError, "invalid_request", 400)
    assert "style" in raised.value.message.lower()


def test_unauthorized(server) -> None:
    client = ProdVisual(api_key="pv_live_not_a_real_key", base_url=server.base_url)
    with pytest.raises(AuthenticationError) as raised:
        client.credits()
    check(raised.value, AuthenticationError, "unauthorized", 401)


def test_insufficient_credits(server, sources) -> None:
    broke = ProdVisual(api_key=server.create_key(credits=0), base_url=server.base_url)
    with pytest.raises(InsufficientCreditsError) as raised:
        broke.generate(**sources.item(0))
    check(raised.value, InsufficientCreditsError, "insufficient_credits", 402)


def test_not_found(client: ProdVisual) -> None:
    with pytest.raises(NotFoundError) as raised:
        client.get_generation("gen_doesnotexist")
    check(raised.value, NotFoundError, "not_found", 404)


def test_conflict_while_the_same_idempotency_key_is_in_flight(client: ProdVisual, sources) -> None:
    key = str(uuid.uuid4())
    params = sources.item(0, image_url=sources.slow_url(2))
    first: dict = {}
    thread = threading.Thread(target=lambda: first.setdefault("result", client.generate(idempotency_key=key, **params)))
    thread.start()
    time.sleep(0.7)
    no_retry = ProdVisual(api_key=client.api_key, base_url=client.base_url, max_retries=0)
    with pytest.raises(ConflictError) as raised:
        no_retry.generate(idempotency_key=key, **params)
    check(raised.value, ConflictError, "conflict", 409)
    thread.join(timeout=60)
    assert first["result"].status == "completed"


def test_file_too_large(client: ProdVisual, sources) -> None:
    with pytest.raises(FileTooLargeError) as raised:
        client.generate(image_url=sources.base_url + "/too-large.jpg", style="white_bg")
    check(raised.value, FileTooLargeError, "file_too_large", 413)


def test_invalid_image(client: ProdVisual, sources) -> None:
    with pytest.raises(InvalidImageError) as raised:
        client.generate(image_url=sources.base_url + "/not-an-image.jpg", style="white_bg")
    check(raised.value, InvalidImageError, "invalid_image", 422)


def test_server_error_without_retries(server, sources) -> None:
    """The server cannot store outputs (its outputs folder is replaced by a file): 500."""
    client = ProdVisual(api_key=server.live_key, base_url=server.base_url, max_retries=0)
    with broken_outputs(server):
        with pytest.raises(ServerError) as raised:
            client.generate(**sources.item(0))
    check(raised.value, ServerError, "server_error", 500)


class broken_outputs:
    """Replaces the server's outputs folder with a file, so that storing a render fails."""

    def __init__(self, server) -> None:
        self.outputs = server.outputs_dir
        self.aside = self.outputs.with_name("outputs.aside")

    def __enter__(self) -> "broken_outputs":
        self.outputs.rename(self.aside)
        self.outputs.write_bytes(b"not a folder")
        return self

    def restore(self) -> None:
        if self.aside.exists():
            self.outputs.unlink()
            self.aside.rename(self.outputs)

    def __exit__(self, *exc: object) -> None:
        self.restore()
