"""Typed results, with the API document's snake_case attribute names.

Every object keeps the decoded JSON it was made from in ``raw``, so fields this version of the
package does not know yet are still reachable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, Iterator, List, Optional

#: Statuses after which a generation or a batch no longer changes.
TERMINAL_STATUSES = frozenset({"completed", "failed"})


@dataclass
class GenerationError:
    """Why a generation failed: ``code`` and ``message``, as in the API's error envelope."""

    code: str
    message: str

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> "GenerationError":
        return cls(code=str(data.get("code", "")), message=str(data.get("message", "")))


@dataclass
class Generation:
    """One generation: the answer of ``generate``, an item of a batch, or a status look-up.

    ``credits_remaining`` is only set on the answer of the call that spent the credit.
    ``output_url`` is None until the generation completes, and after the output expires.
    """

    id: str
    status: str
    output_url: Optional[str] = None
    style: Optional[str] = None
    platform: Optional[str] = None
    dimensions: Optional[str] = None
    format: Optional[str] = None
    file_size: Optional[int] = None
    credits_used: Optional[int] = None
    credits_remaining: Optional[int] = None
    generation_time_ms: Optional[int] = None
    created_at: Optional[str] = None
    expires_at: Optional[str] = None
    error: Optional[GenerationError] = None
    compliance: Optional[Dict[str, Any]] = None
    batch_id: Optional[str] = None
    webhook: Optional[Dict[str, Any]] = None
    #: True when the server replayed the first answer to this Idempotency-Key.
    idempotent_replayed: bool = False
    raw: Dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def is_done(self) -> bool:
        """True once the status is ``completed`` or ``failed``."""
        return self.status in TERMINAL_STATUSES

    @classmethod
    def from_dict(cls, data: Dict[str, Any], *, idempotent_replayed: bool = False) -> "Generation":
        error = data.get("error")
        return cls(
            id=str(data.get("id", "")),
            status=str(data.get("status", "")),
            output_url=data.get("output_url"),
            style=data.get("style"),
            platform=data.get("platform"),
            dimensions=data.get("dimensions"),
            format=data.get("format"),
            file_size=data.get("file_size"),
            credits_used=data.get("credits_used"),
            credits_remaining=data.get("credits_remaining"),
            generation_time_ms=data.get("generation_time_ms"),
            created_at=data.get("created_at"),
            expires_at=data.get("expires_at"),
            error=GenerationError.from_dict(error) if isinstance(error, dict) else None,
            compliance=data.get("compliance"),
            batch_id=data.get("batch_id"),
            webhook=data.get("webhook"),
            idempotent_replayed=idempotent_replayed,
            raw=data,
        )


@dataclass
class Batch:
    """A batch: the answer of ``generate_batch`` or a look-up of its ``batch_id``.

    ``credits_remaining`` and ``estimated_time_ms`` are only in the answer of ``generate_batch``;
    ``completed_items`` and ``failed_items`` count finished items; ``items`` are Generations in
    request order.
    """

    batch_id: str
    status: str
    total_items: int = 0
    completed_items: Optional[int] = None
    failed_items: Optional[int] = None
    credits_used: Optional[int] = None
    credits_remaining: Optional[int] = None
    estimated_time_ms: Optional[int] = None
    results_url: Optional[str] = None
    created_at: Optional[str] = None
    completed_at: Optional[str] = None
    items: List[Generation] = field(default_factory=list)
    webhook: Optional[Dict[str, Any]] = None
    idempotent_replayed: bool = False
    raw: Dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def id(self) -> str:
        """The batch id (``batch_...``), which ``get_generation`` and ``wait_for_completion`` take."""
        return self.batch_id

    @property
    def is_done(self) -> bool:
        return self.status in TERMINAL_STATUSES

    @classmethod
    def from_dict(cls, data: Dict[str, Any], *, idempotent_replayed: bool = False) -> "Batch":
        return cls(
            batch_id=str(data.get("batch_id", "")),
            status=str(data.get("status", "")),
            total_items=int(data.get("total_items") or 0),
            completed_items=data.get("completed_items"),
            failed_items=data.get("failed_items"),
            credits_used=data.get("credits_used"),
            credits_remaining=data.get("credits_remaining"),
            estimated_time_ms=data.get("estimated_time_ms"),
            results_url=data.get("results_url"),
            created_at=data.get("created_at"),
            completed_at=data.get("completed_at"),
            items=[Generation.from_dict(item) for item in data.get("items") or [] if isinstance(item, dict)],
            webhook=data.get("webhook"),
            idempotent_replayed=idempotent_replayed,
            raw=data,
        )


@dataclass
class Style:
    id: str
    name: str
    description: str
    #: Parameters the style uses (e.g. ``scene``, ``text.headline``).
    parameters: List[str] = field(default_factory=list)
    #: Fields it cannot render without; one of them suffices.
    requires: List[str] = field(default_factory=list)
    #: Named variants accepted by ``scene``; None for styles without scenes.
    scenes: Optional[List[str]] = None
    raw: Dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> "Style":
        return cls(
            id=str(data.get("id", "")),
            name=str(data.get("name", "")),
            description=str(data.get("description", "")),
            parameters=list(data.get("parameters") or []),
            requires=list(data.get("requires") or []),
            scenes=data.get("scenes"),
            raw=data,
        )


@dataclass
class StyleList:
    """``styles`` and their ``total``; iterable over the styles."""

    styles: List[Style]
    total: int
    raw: Dict[str, Any] = field(default_factory=dict, repr=False)

    def __iter__(self) -> Iterator[Style]:
        return iter(self.styles)

    def __len__(self) -> int:
        return len(self.styles)

    def ids(self) -> List[str]:
        return [style.id for style in self.styles]

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> "StyleList":
        styles = [Style.from_dict(s) for s in data.get("styles") or []]
        return cls(styles=styles, total=int(data.get("total", len(styles))), raw=data)


@dataclass
class Platform:
    id: str
    name: str
    default_dimensions: str
    product_fill: float
    background: str
    default_format: str
    formats: List[str] = field(default_factory=list)
    max_file_size: Optional[int] = None
    min_longest_side: Optional[int] = None
    raw: Dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> "Platform":
        return cls(
            id=str(data.get("id", "")),
            name=str(data.get("name", "")),
            default_dimensions=str(data.get("default_dimensions", "")),
            product_fill=float(data.get("product_fill") or 0),
            background=str(data.get("background", "")),
            default_format=str(data.get("default_format", "")),
            formats=list(data.get("formats") or []),
            max_file_size=data.get("max_file_size"),
            min_longest_side=data.get("min_longest_side"),
            raw=data,
        )


@dataclass
class PlatformList:
    platforms: List[Platform]
    total: int
    raw: Dict[str, Any] = field(default_factory=dict, repr=False)

    def __iter__(self) -> Iterator[Platform]:
        return iter(self.platforms)

    def __len__(self) -> int:
        return len(self.platforms)

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> "PlatformList":
        platforms = [Platform.from_dict(p) for p in data.get("platforms") or []]
        return cls(platforms=platforms, total=int(data.get("total", len(platforms))), raw=data)


@dataclass
class Purchase:
    amount: int
    date: str


@dataclass
class Credits:
    """The account's balance and usage: ``GET /v1/account/credits``."""

    credits_remaining: int
    credits_used_total: int = 0
    credits_used_today: int = 0
    last_purchase: Optional[Purchase] = None
    raw: Dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> "Credits":
        purchase = data.get("last_purchase")
        return cls(
            credits_remaining=int(data.get("credits_remaining") or 0),
            credits_used_total=int(data.get("credits_used_total") or 0),
            credits_used_today=int(data.get("credits_used_today") or 0),
            last_purchase=Purchase(amount=int(purchase.get("amount") or 0), date=str(purchase.get("date", "")))
            if isinstance(purchase, dict)
            else None,
            raw=data,
        )


@dataclass
class WebhookEvent:
    """A verified webhook delivery: ``event`` (``generation.completed``, ``generation.failed``,
    ``batch.completed``), its ``data`` and ``timestamp``, and the delivery's ``event_id``."""

    event: str
    data: Dict[str, Any]
    timestamp: Optional[str] = None
    event_id: Optional[str] = None
    raw: Dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def generation(self) -> Optional[Generation]:
        """``data`` as a Generation, for ``generation.*`` events."""
        return Generation.from_dict(self.data) if self.event.startswith("generation.") else None

    @property
    def batch(self) -> Optional[Batch]:
        """``data`` as a Batch, for ``batch.*`` events."""
        return Batch.from_dict(self.data) if self.event.startswith("batch.") else None


@dataclass
class DailyUsage:
    """One UTC day: credits used net of refunds, and generations created (live and test)."""

    date: str
    credits_used: int = 0
    generations: int = 0


@dataclass
class Usage:
    """``GET /v1/account/usage``: every day of the period, oldest first."""

    days: List[DailyUsage]
    credits_used: int = 0
    generations: int = 0
    date_from: Optional[str] = None
    date_to: Optional[str] = None
    raw: Dict[str, Any] = field(default_factory=dict, repr=False)

    def __iter__(self) -> Iterator[DailyUsage]:
        return iter(self.days)

    def __len__(self) -> int:
        return len(self.days)

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> "Usage":
        return cls(
            days=[
                DailyUsage(
                    date=str(day.get("date", "")),
                    credits_used=int(day.get("credits_used") or 0),
                    generations=int(day.get("generations") or 0),
                )
                for day in data.get("data") or []
            ],
            credits_used=int(data.get("credits_used") or 0),
            generations=int(data.get("generations") or 0),
            date_from=data.get("from"),
            date_to=data.get("to"),
            raw=data,
        )


def history_entry(data: Dict[str, Any]) -> Any:
    """A list entry of ``GET /v1/generations``: a Batch when it has ``batch_id`` and no ``id``."""
    if "batch_id" in data and "id" not in data:
        return Batch.from_dict(data)
    return Generation.from_dict(data)


@dataclass
class GenerationPage:
    """A page of ``GET /v1/generations``: Generations and Batches, newest first."""

    data: List[Any]
    has_more: bool = False
    raw: Dict[str, Any] = field(default_factory=dict, repr=False)

    def __iter__(self) -> Iterator[Any]:
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.data)

    @property
    def last_id(self) -> Optional[str]:
        """The id to pass as ``starting_after`` for the next page."""
        return self.data[-1].id if self.data else None

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> "GenerationPage":
        return cls(
            data=[history_entry(entry) for entry in data.get("data") or [] if isinstance(entry, dict)],
            has_more=bool(data.get("has_more")),
            raw=data,
        )


@dataclass
class APIKey:
    """An API key of the account. ``secret`` is set only on the answer of ``create_key``."""

    id: str
    name: str
    mode: str
    prefix: str
    hint: str
    created_at: Optional[str] = None
    last_used_at: Optional[str] = None
    revoked_at: Optional[str] = None
    secret: Optional[str] = field(default=None, repr=False)
    raw: Dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def redacted(self) -> str:
        """``pv_live_…abcd``: enough to tell keys apart."""
        return f"{self.prefix}…{self.hint}"

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> "APIKey":
        return cls(
            id=str(data.get("id", "")),
            name=str(data.get("name", "")),
            mode=str(data.get("mode", "")),
            prefix=str(data.get("prefix", "")),
            hint=str(data.get("hint", "")),
            created_at=data.get("created_at"),
            last_used_at=data.get("last_used_at"),
            revoked_at=data.get("revoked_at"),
            secret=data.get("secret"),
            raw=data,
        )
