"""Every /v1 endpoint through the client, against the real server (test plan: API-*)."""

from __future__ import annotations

import uuid

import pytest

from prodvisual import Batch, Credits, Generation, ProdVisual, StyleList, WaitTimeoutError


def test_styles_lists_the_documented_styles(client: ProdVisual) -> None:
    styles = client.styles()
    assert isinstance(styles, StyleList)
    assert styles.total == 22 == len(styles)
    ids = styles.ids()
    for documented in ("lifestyle", "white_bg", "mockup", "infographic", "social_square", "hero_banner", "comparison"):
        assert documented in ids
    lifestyle = next(s for s in styles if s.id == "lifestyle")
    assert lifestyle.name and lifestyle.description and lifestyle.scenes


def test_platforms_and_credits(client: ProdVisual) -> None:
    platforms = client.platforms()
    assert "amazon" in [p.id for p in platforms]
    amazon = next(p for p in platforms if p.id == "amazon")
    assert amazon.default_dimensions and 0 < amazon.product_fill <= 1
    credits = client.credits()
    assert isinstance(credits, Credits)
    assert credits.credits_remaining >= 0
    assert credits.raw["credits_remaining"] == credits.credits_remaining


def test_generate_synchronously_returns_the_documented_fields(client: ProdVisual, sources) -> None:
    before = client.credits().credits_remaining
    result = client.generate(image_url=sources.url(0), style="white_bg", platform="amazon", dimensions="400x400", format="jpeg")
    assert isinstance(result, Generation)
    assert result.id.startswith("gen_")
    assert result.status == "completed"
    assert result.output_url and result.output_url.startswith(client.base_url + "/output/")
    assert (result.style, result.platform, result.dimensions, result.format) == ("white_bg", "amazon", "400x400", "jpeg")
    assert result.credits_used == 1
    assert result.credits_remaining == before - 1
    assert result.file_size and result.file_size > 0
    assert result.generation_time_ms is not None and result.created_at and result.expires_at
    assert result.compliance is not None
    assert not result.idempotent_replayed
    image = client.download(result)
    assert image[:3] == b"\xff\xd8\xff" and len(image) == result.file_size
    looked_up = client.get_generation(result.id)
    assert isinstance(looked_up, Generation) and looked_up.status == "completed"
    assert looked_up.credits_remaining is None  # only on the call that spent it


def test_an_explicit_idempotency_key_replays_and_charges_once(client: ProdVisual, sources) -> None:
    key = str(uuid.uuid4())
    first = client.generate(idempotency_key=key, **sources.item(1))
    again = client.generate(idempotency_key=key, **sources.item(1))
    assert not first.idempotent_replayed and again.idempotent_replayed
    assert again.id == first.id and again.credits_remaining == first.credits_remaining
    assert client.credits().credits_remaining == first.credits_remaining
    # A batch whose items list their fields in another order is the same request.
    items = [sources.item(0), sources.item(1)]
    batch = client.generate_batch(items, idempotency_key=key + "-batch")
    reordered = [dict(reversed(list(item.items()))) for item in items]
    replayed = client.generate_batch(reordered, idempotency_key=key + "-batch")
    assert replayed.idempotent_replayed and replayed.batch_id == batch.batch_id
    client.wait_for_completion(batch, timeout=120, poll_interval=0.25)


def test_each_post_gets_its_own_idempotency_key(client: ProdVisual, sources) -> None:
    # Two identical calls without a key are two generations, not a replay.
    one = client.generate(**sources.item(2))
    two = client.generate(**sources.item(2))
    assert one.id != two.id and not two.idempotent_replayed
    assert two.credits_remaining == one.credits_remaining - 1


def test_generate_with_a_webhook_is_queued_then_waited_for(client: ProdVisual, sources, receiver) -> None:
    pending = client.generate(webhook_url=receiver.url, **sources.item(0))
    assert pending.status == "pending" and pending.output_url is None
    done = client.wait_for_completion(pending.id, timeout=60, poll_interval=0.2)
    assert isinstance(done, Generation)
    assert done.status == "completed" and done.output_url


def test_batch_then_wait_for_completion(client: ProdVisual, sources) -> None:
    before = client.credits().credits_remaining
    batch = client.generate_batch([sources.item(i) for i in range(3)])
    assert isinstance(batch, Batch)
    assert batch.batch_id.startswith("batch_") and batch.id == batch.batch_id
    assert batch.status in ("pending", "processing")
    assert batch.total_items == 3 and len(batch.items) == 3
    assert batch.credits_used == 3 and batch.credits_remaining == before - 3
    assert batch.estimated_time_ms is not None
    assert batch.results_url and batch.results_url.endswith("/v1/generations/" + batch.batch_id)
    done = client.wait_for_completion(batch, timeout=120, poll_interval=0.25)
    assert isinstance(done, Batch)
    assert done.status == "completed"
    assert done.completed_items == 3 and done.failed_items == 0
    assert [item.status for item in done.items] == ["completed"] * 3
    assert all(item.output_url and item.batch_id == batch.batch_id for item in done.items)
    assert isinstance(client.get_generation(batch.batch_id), Batch)
    assert client.get_batch(batch.batch_id).batch_id == batch.batch_id


def test_wait_for_completion_times_out(client: ProdVisual, sources, receiver) -> None:
    pending = client.generate(webhook_url=receiver.url, **sources.item(0, image_url=sources.slow_url(3)))
    with pytest.raises(WaitTimeoutError) as raised:
        client.wait_for_completion(pending, timeout=0.3, poll_interval=0.1)
    assert raised.value.last is not None and raised.value.last.status in ("pending", "processing")
    assert client.wait_for_completion(pending, timeout=60, poll_interval=0.2).status == "completed"
