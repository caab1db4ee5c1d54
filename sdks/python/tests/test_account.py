"""Usage, the account's history and its API keys, against the real server (test plan: ACCT-*)."""

from __future__ import annotations

import datetime

import pytest

from prodvisual import (
    APIKey,
    AuthenticationError,
    Batch,
    Generation,
    GenerationPage,
    PermissionDeniedError,
    ProdVisual,
    Usage,
)


def test_usage_counts_today(client: ProdVisual, sources) -> None:
    client.generate(**sources.item(0))
    usage = client.usage(days=7)
    assert isinstance(usage, Usage) and len(usage) == 7
    today = datetime.datetime.now(datetime.timezone.utc).date().isoformat()
    assert usage.days[-1].date == today == usage.date_to
    assert usage.days[-1].credits_used >= 1 and usage.days[-1].generations >= 1
    assert usage.credits_used == sum(day.credits_used for day in usage)
    assert client.usage().raw["days"] == 30


def test_generations_are_listed_newest_first_a_page_at_a_time(client: ProdVisual, sources) -> None:
    first = client.generate(**sources.item(0))
    second = client.generate(**sources.item(1))
    page = client.list_generations(limit=1)
    assert isinstance(page, GenerationPage) and page.has_more
    assert [entry.id for entry in page] == [second.id]
    following = client.list_generations(limit=1, starting_after=page.last_id)
    assert [entry.id for entry in following] == [first.id]
    walked = list(client.iter_generations(page_size=2))
    ids = [entry.id for entry in walked]
    assert ids[:2] == [second.id, first.id]
    assert len(ids) == len(set(ids)), "every entry once"
    assert all(isinstance(entry, (Generation, Batch)) for entry in walked)


def test_a_live_key_creates_and_revokes_a_key(client: ProdVisual, server) -> None:
    created = client.create_key(name="sdk test", mode="test")
    assert isinstance(created, APIKey)
    assert created.secret and created.secret.startswith("pv_test_") and created.secret.endswith(created.hint)
    assert (created.name, created.mode, created.prefix, created.revoked_at) == ("sdk test", "test", "pv_test_", None)
    ProdVisual(api_key=created.secret, base_url=server.base_url).credits()
    listed = client.list_keys()
    assert listed[0].id == created.id and listed[0].secret is None and listed[0].last_used_at
    revoked = client.revoke_key(created.id)
    assert revoked.is_revoked
    with pytest.raises(AuthenticationError) as refused:
        ProdVisual(api_key=created.secret, base_url=server.base_url, max_retries=0).credits()
    assert refused.value.status == 401


def test_a_test_key_may_not_manage_keys(server) -> None:
    sandbox = ProdVisual(api_key=server.test_key, base_url=server.base_url, max_retries=0)
    with pytest.raises(PermissionDeniedError) as refused:
        sandbox.list_keys()
    assert refused.value.status == 403 and refused.value.code == "unauthorized"
    assert isinstance(refused.value, AuthenticationError)
