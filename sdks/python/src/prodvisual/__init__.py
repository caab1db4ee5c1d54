"""ProdVisual: the Python client for the ProdVisual v1 API.

    from prodvisual import ProdVisual

    client = ProdVisual(api_key="pv_live_...", base_url="http://127.0.0.1:8080")
    result = client.generate(image_url="https://example.com/product.jpg", style="lifestyle", platform="amazon")
    print(result.output_url, result.credits_remaining)
"""

from ._client import DEFAULT_BASE_URL, RETRYABLE_STATUSES, ProdVisual, __version__
from ._errors import (
    APIConnectionError,
    APIError,
    AuthenticationError,
    ConflictError,
    FileTooLargeError,
    InsufficientCreditsError,
    InvalidImageError,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
    ProdVisualError,
    RateLimitError,
    ServerError,
    WaitTimeoutError,
    WebhookVerificationError,
)
from ._models import (
    APIKey,
    Batch,
    Credits,
    DailyUsage,
    Generation,
    GenerationError,
    GenerationPage,
    Platform,
    PlatformList,
    Purchase,
    Style,
    StyleList,
    Usage,
    WebhookEvent,
)
from ._webhooks import (
    EVENT_ID_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    compute_signature,
    parse_webhook,
    verify_webhook,
)

__all__ = [
    "ProdVisual",
    "DEFAULT_BASE_URL",
    "RETRYABLE_STATUSES",
    "__version__",
    "ProdVisualError",
    "APIError",
    "APIConnectionError",
    "InvalidRequestError",
    "AuthenticationError",
    "InsufficientCreditsError",
    "NotFoundError",
    "PermissionDeniedError",
    "ConflictError",
    "FileTooLargeError",
    "InvalidImageError",
    "RateLimitError",
    "ServerError",
    "WaitTimeoutError",
    "WebhookVerificationError",
    "Generation",
    "GenerationError",
    "Batch",
    "Credits",
    "Usage",
    "DailyUsage",
    "GenerationPage",
    "APIKey",
    "Purchase",
    "Style",
    "StyleList",
    "Platform",
    "PlatformList",
    "WebhookEvent",
    "verify_webhook",
    "parse_webhook",
    "compute_signature",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "EVENT_ID_HEADER",
]
