"""Webhook verification: ``X-ProdVisual-Signature`` is the hex HMAC-SHA256 of the raw request
body keyed by the API key that made the request; ``X-ProdVisual-Timestamp`` is the unix time of
the delivery attempt, checked against a tolerance to refuse replays."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any, Mapping, Optional, Union

from ._errors import WebhookVerificationError
from ._models import WebhookEvent

SIGNATURE_HEADER = "X-ProdVisual-Signature"
TIMESTAMP_HEADER = "X-ProdVisual-Timestamp"
EVENT_ID_HEADER = "X-ProdVisual-Event-Id"

#: Seconds a delivery's timestamp may differ from now.
DEFAULT_TOLERANCE = 300


def compute_signature(payload: Union[bytes, str], api_key: str) -> str:
    """The signature the server puts on ``payload``: lowercase hex HMAC-SHA256 keyed by ``api_key``."""
    body = payload.encode("utf-8") if isinstance(payload, str) else bytes(payload)
    return hmac.new(api_key.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify_webhook(
    payload: Union[bytes, str],
    signature: Optional[str],
    api_key: str,
    timestamp: Optional[Union[str, int]] = None,
    tolerance: Optional[float] = DEFAULT_TOLERANCE,
    *,
    now: Optional[float] = None,
) -> bool:
    """True when ``signature`` is the HMAC-SHA256 of the raw ``payload`` under ``api_key``.

    Pass the body exactly as received (bytes, before any JSON parsing). The comparison takes
    constant time. When ``timestamp`` (the ``X-ProdVisual-Timestamp`` header) is given, it must
    also be within ``tolerance`` seconds of now (``tolerance=None`` skips that check).
    """
    if not signature or not api_key:
        return False
    expected = compute_signature(payload, api_key)
    given = signature.strip().lower()
    if given.startswith("sha256="):
        given = given[len("sha256=") :]
    # compare_digest wants both sides ASCII (str) or bytes; anything else is not ours.
    try:
        matches = hmac.compare_digest(expected.encode("ascii"), given.encode("ascii"))
    except UnicodeEncodeError:
        return False
    if not matches:
        return False
    if timestamp is not None and tolerance is not None:
        try:
            sent = float(timestamp)
        except (TypeError, ValueError):
            return False
        current = time.time() if now is None else now
        if abs(current - sent) > tolerance:
            return False
    return True


def _header(headers: Mapping[str, Any], name: str) -> Optional[str]:
    for key, value in headers.items():
        if key.lower() == name.lower():
            return str(value)
    return None


def parse_webhook(
    payload: Union[bytes, str],
    headers: Mapping[str, Any],
    api_key: str,
    tolerance: Optional[float] = DEFAULT_TOLERANCE,
) -> WebhookEvent:
    """Verifies a delivery from its raw body and request headers, and returns the event.

    Raises WebhookVerificationError when the signature is missing or wrong, or the timestamp
    is missing or outside ``tolerance``.
    """
    signature = _header(headers, SIGNATURE_HEADER)
    timestamp = _header(headers, TIMESTAMP_HEADER)
    if signature is None:
        raise WebhookVerificationError(f"The {SIGNATURE_HEADER} header is missing.")
    if tolerance is not None and timestamp is None:
        raise WebhookVerificationError(f"The {TIMESTAMP_HEADER} header is missing.")
    if not verify_webhook(payload, signature, api_key):
        raise WebhookVerificationError("The signature does not match the body.")
    if not verify_webhook(payload, signature, api_key, timestamp=timestamp, tolerance=tolerance):
        raise WebhookVerificationError(f"The {TIMESTAMP_HEADER} is more than {tolerance} s from now.")
    body = payload.decode("utf-8") if isinstance(payload, (bytes, bytearray)) else payload
    document = json.loads(body)
    if not isinstance(document, dict):
        raise WebhookVerificationError("The body is not a JSON object.")
    data = document.get("data")
    return WebhookEvent(
        event=str(document.get("event", "")),
        data=data if isinstance(data, dict) else {},
        timestamp=document.get("timestamp"),
        event_id=_header(headers, EVENT_ID_HEADER),
        raw=document,
    )
