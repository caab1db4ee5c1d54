"""Webhook verification with signatures made by the server (test plan: HOOK-*)."""

from __future__ import annotations

import json
import time

import pytest

from prodvisual import Batch, ProdVisual, WebhookVerificationError, compute_signature, parse_webhook, verify_webhook


def test_a_generation_webhook_verifies_with_the_key_that_made_it(client: ProdVisual, server, sources, receiver) -> None:
    pending = client.generate(webhook_url=receiver.url, **sources.item(2))
    delivery = receiver.wait_for("generation.completed", pending.id)
    signature = delivery.headers["X-ProdVisual-Signature"]
    timestamp = delivery.headers["X-ProdVisual-Timestamp"]

    assert verify_webhook(delivery.body, signature, server.live_key)
    assert verify_webhook(delivery.body, signature, server.live_key, timestamp=timestamp)
    assert ProdVisual.verify_webhook(delivery.body, signature, server.live_key, timestamp)
    assert signature == compute_signature(delivery.body, server.live_key)

    # Anything else fails: another key, a changed body, a truncated or missing signature, an old delivery.
    assert not verify_webhook(delivery.body, signature, server.test_key)
    tampered = delivery.body.replace(b"completed", b"failed", 1)
    assert tampered != delivery.body and not verify_webhook(tampered, signature, server.live_key)
    assert not verify_webhook(delivery.body, signature[:-2], server.live_key)
    assert not verify_webhook(delivery.body, "", server.live_key)
    assert not verify_webhook(delivery.body, signature, server.live_key, timestamp=str(int(time.time()) - 3600))
    assert not verify_webhook(delivery.body, signature, server.live_key, timestamp="not a number")

    event = parse_webhook(delivery.body, delivery.headers, server.live_key)
    assert event.event == "generation.completed"
    assert event.data["id"] == pending.id and event.event_id == delivery.headers["X-ProdVisual-Event-Id"]
    generation = event.generation
    assert generation is not None and generation.output_url and generation.status == "completed"
    with pytest.raises(WebhookVerificationError):
        parse_webhook(tampered, delivery.headers, server.live_key)


def test_a_batch_webhook_verifies(client: ProdVisual, server, sources, receiver) -> None:
    batch = client.generate_batch([sources.item(0), sources.item(1)], webhook_url=receiver.url)
    done = client.wait_for_completion(batch.batch_id, timeout=120, poll_interval=0.25)
    assert isinstance(done, Batch) and done.status == "completed"
    delivery = receiver.wait_for("batch.completed", batch.batch_id)
    event = parse_webhook(delivery.body, delivery.headers, server.live_key)
    assert event.batch is not None and event.batch.batch_id == batch.batch_id
    assert [item.status for item in event.batch.items] == ["completed", "completed"]
    assert json.loads(delivery.body)["event"] == "batch.completed"


def test_signature_is_the_hex_hmac_of_the_body() -> None:
    # RFC 4231, test case 2.
    mac = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    assert compute_signature(b"what do ya want for nothing?", "Jefe") == mac
    assert verify_webhook("what do ya want for nothing?", mac.upper(), "Jefe")
    assert verify_webhook(b"what do ya want for nothing?", "sha256=" + mac, "Jefe")
    assert not verify_webhook(b"what do ya want for nothing?", mac, "Jefe", timestamp=1000, now=1301)
    assert verify_webhook(b"what do ya want for nothing?", mac, "Jefe", timestamp=1000, now=1300)
    assert not verify_webhook(b"x", "\u00e9" * 64, "Jefe")
