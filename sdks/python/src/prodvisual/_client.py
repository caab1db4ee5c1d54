"""The ProdVisual client: one method per /v1 endpoint, retries, idempotency keys and polling."""

from __future__ import annotations

import base64
import http.client
import json
import os
import random
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from typing import Any, BinaryIO, Callable, Dict, Iterable, Iterator, List, Mapping, Optional, Tuple, Union

from ._errors import (
    APIConnectionError,
    APIError,
    ProdVisualError,
    RateLimitError,
    WaitTimeoutError,
    error_from_response,
    parse_retry_after,
)
from ._models import APIKey, Batch, Credits, Generation, GenerationPage, PlatformList, StyleList, Usage
from ._webhooks import parse_webhook, verify_webhook

__version__ = "1.0.0"

DEFAULT_BASE_URL = "https://api.prodvisual.com"

#: Answers worth another attempt: 409 (the same Idempotency-Key is still in flight), 429 and 5xx.
RETRYABLE_STATUSES = frozenset({409, 429, 500, 502, 503, 504})

ImageSource = Union[bytes, bytearray, str, "os.PathLike[str]", BinaryIO]


class _Response:
    __slots__ = ("status", "headers", "body")

    def __init__(self, status: int, headers: Dict[str, str], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body

    def json(self) -> Any:
        if not self.body:
            return None
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return None


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """The API never redirects; a redirect (e.g. http to https) must not turn a POST into a GET."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        return None


class ProdVisual:
    """A client for the ProdVisual v1 API.

    ``api_key`` defaults to the ``PRODVISUAL_API_KEY`` environment variable; ``base_url`` to
    ``PRODVISUAL_BASE_URL``, then ``https://api.prodvisual.com`` (a trailing ``/v1`` is
    accepted). Failed requests are retried up to ``max_retries`` times: connection errors,
    409 (same Idempotency-Key in flight), 429 and 5xx. A 429's ``Retry-After`` is honoured when
    it is at most ``max_retry_wait`` seconds (longer waits raise RateLimitError at once); the
    others back off exponentially from ``backoff_base`` up to ``backoff_max`` seconds, with
    jitter. Every POST carries an ``Idempotency-Key`` (a new UUID per call unless one is
    given), the same on each retry, so a retried POST is never charged twice.
    """

    def __init__(
        self,
        api_key: Optional[str] = None,
        base_url: Optional[str] = None,
        *,
        timeout: float = 120.0,
        max_retries: int = 3,
        max_retry_wait: float = 60.0,
        backoff_base: float = 0.5,
        backoff_max: float = 8.0,
        user_agent: Optional[str] = None,
    ) -> None:
        key = api_key if api_key is not None else os.environ.get("PRODVISUAL_API_KEY")
        if not key:
            raise ValueError("An API key is required: ProdVisual(api_key=...) or PRODVISUAL_API_KEY.")
        self.api_key: str = key
        url = base_url or os.environ.get("PRODVISUAL_BASE_URL") or DEFAULT_BASE_URL
        self.base_url: str = self._normalise_base_url(url)
        self.timeout = float(timeout)
        self.max_retries = max(0, int(max_retries))
        self.max_retry_wait = float(max_retry_wait)
        self.backoff_base = float(backoff_base)
        self.backoff_max = float(backoff_max)
        self.user_agent = user_agent or f"prodvisual-python/{__version__}"
        self._opener = urllib.request.build_opener(_NoRedirect)
        #: Called before each retry with (attempt number from 1, seconds to wait, the error).
        self.on_retry: Optional[Callable[[int, float, ProdVisualError], None]] = None
        self._sleep: Callable[[float], None] = time.sleep

    def __repr__(self) -> str:
        return f"ProdVisual(base_url={self.base_url!r}, api_key='{self.api_key[:8]}…')"

    @staticmethod
    def _normalise_base_url(url: str) -> str:
        url = url.strip().rstrip("/")
        if url.endswith("/v1"):
            url = url[: -len("/v1")]
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"base_url must be an http(s) URL, got {url!r}")
        return url

    # MARK: Endpoints

    def generate(
        self,
        image_url: Optional[str] = None,
        style: Optional[str] = None,
        platform: Optional[str] = None,
        *,
        dimensions: Optional[str] = None,
        background: Optional[str] = None,
        format: Optional[str] = None,
        quality: Optional[int] = None,
        webhook_url: Optional[str] = None,
        image_base64: Optional[str] = None,
        image: Optional[ImageSource] = None,
        text: Optional[Mapping[str, Any]] = None,
        scene: Optional[str] = None,
        seed: Optional[int] = None,
        compare_style: Optional[str] = None,
        colors: Optional[Iterable[str]] = None,
        idempotency_key: Optional[str] = None,
        **extra: Any,
    ) -> Generation:
        """``POST /v1/generate``: one product visual.

        Without ``webhook_url`` the call renders synchronously and returns the completed
        Generation (``output_url``, ``credits_remaining``, ...). With ``webhook_url`` it returns
        at once with status ``pending``; use ``wait_for_completion`` or the webhook.

        The source is ``image_url``, or ``image_base64``, or ``image`` (bytes, a file path or a
        binary file object, sent inline as base64). Any further keyword is sent as is.
        """
        params = self._generation_params(
            image_url=image_url,
            style=style,
            platform=platform,
            dimensions=dimensions,
            background=background,
            format=format,
            quality=quality,
            webhook_url=webhook_url,
            image_base64=image_base64,
            image=image,
            text=text,
            scene=scene,
            seed=seed,
            compare_style=compare_style,
            colors=colors,
            **extra,
        )
        if "style" not in params:
            raise TypeError("generate() needs a style, e.g. style='white_bg'")
        response = self._request("POST", "/v1/generate", body=params, idempotency_key=idempotency_key)
        return Generation.from_dict(self._object(response), idempotent_replayed=self._replayed(response))

    def generate_batch(
        self,
        items: Iterable[Mapping[str, Any]],
        webhook_url: Optional[str] = None,
        *,
        idempotency_key: Optional[str] = None,
    ) -> Batch:
        """``POST /v1/generate/batch``: up to 50 generations queued as one batch (status 202).

        Each item takes the parameters of ``generate`` as a dict (``image_url``, ``style``, ...;
        ``image`` is encoded as ``image_base64``). Returns the Batch: ``batch_id``, ``status``,
        ``total_items``, ``credits_used``, ``credits_remaining``, ``estimated_time_ms``,
        ``results_url`` and ``items``. Wait for it with ``wait_for_completion(batch)``.
        """
        body: Dict[str, Any] = {"items": [self._generation_params(**dict(item)) for item in items]}
        if webhook_url is not None:
            body["webhook_url"] = webhook_url
        response = self._request("POST", "/v1/generate/batch", body=body, idempotency_key=idempotency_key)
        return Batch.from_dict(self._object(response), idempotent_replayed=self._replayed(response))

    def styles(self) -> StyleList:
        """``GET /v1/styles``: every style, with the parameters it uses and its scenes."""
        return StyleList.from_dict(self._object(self._request("GET", "/v1/styles")))

    def platforms(self) -> PlatformList:
        """``GET /v1/platforms``: the platform presets (size, fill, background rule, formats)."""
        return PlatformList.from_dict(self._object(self._request("GET", "/v1/platforms")))

    def credits(self) -> Credits:
        """``GET /v1/account/credits``: balance, usage in total and today, last purchase."""
        return Credits.from_dict(self._object(self._request("GET", "/v1/account/credits")))

    def usage(self, days: int = 30) -> Usage:
        """``GET /v1/account/usage``: credits used (net of refunds) and generations per UTC day,
        for the last ``days`` days (1–90), today included, oldest first."""
        return Usage.from_dict(self._object(self._request("GET", f"/v1/account/usage?days={int(days)}")))

    def list_generations(self, limit: Optional[int] = None, starting_after: Optional[str] = None) -> GenerationPage:
        """``GET /v1/generations``: one page of the account's generations and batches, newest
        first (``limit`` 1–100, default 20). The next page starts after ``page.last_id`` while
        ``page.has_more``; ``iter_generations`` walks every page."""
        query: Dict[str, Any] = {}
        if limit is not None:
            query["limit"] = int(limit)
        if starting_after is not None:
            query["starting_after"] = starting_after
        path = "/v1/generations" + ("?" + urllib.parse.urlencode(query) if query else "")
        return GenerationPage.from_dict(self._object(self._request("GET", path)))

    def iter_generations(self, page_size: int = 20, starting_after: Optional[str] = None) -> Iterator[Union[Generation, Batch]]:
        """Every generation and batch of the account, newest first, fetched a page at a time."""
        cursor = starting_after
        while True:
            page = self.list_generations(limit=page_size, starting_after=cursor)
            yield from page.data
            if not page.has_more or not page.data:
                return
            cursor = page.last_id

    def list_keys(self) -> List[APIKey]:
        """``GET /v1/keys``: the account's API keys, revoked ones included, newest first (live
        keys only: a test key raises PermissionDeniedError)."""
        data = self._object(self._request("GET", "/v1/keys"))
        return [APIKey.from_dict(entry) for entry in data.get("data") or [] if isinstance(entry, dict)]

    def create_key(self, name: Optional[str] = None, mode: str = "live") -> APIKey:
        """``POST /v1/keys``: a new key for the account; its ``secret`` is in this answer only.
        Not idempotent on the server: a retry after a lost answer may create a second key."""
        body: Dict[str, Any] = {"mode": mode}
        if name is not None:
            body["name"] = name
        return APIKey.from_dict(self._object(self._request("POST", "/v1/keys", body=body)))

    def revoke_key(self, id: str) -> APIKey:
        """``DELETE /v1/keys/{id}``: revokes one of the account's keys and returns it."""
        return APIKey.from_dict(self._object(self._request("DELETE", "/v1/keys/" + urllib.parse.quote(id, safe=""))))

    def get_generation(self, id: str) -> Union[Generation, Batch]:
        """``GET /v1/generations/{id}``: a generation (``gen_...``) or a batch (``batch_...``)."""
        data = self._object(self._request("GET", "/v1/generations/" + urllib.parse.quote(id, safe="")))
        if "batch_id" in data and "id" not in data:
            return Batch.from_dict(data)
        return Generation.from_dict(data)

    def get_batch(self, batch_id: str) -> Batch:
        """``GET /v1/generations/{batch_id}``, typed as a Batch."""
        result = self.get_generation(batch_id)
        if not isinstance(result, Batch):
            raise TypeError(f"{batch_id} is a generation, not a batch")
        return result

    def wait_for_completion(
        self,
        target: Union[str, Generation, Batch],
        timeout: float = 300.0,
        poll_interval: float = 1.0,
    ) -> Union[Generation, Batch]:
        """Polls ``GET /v1/generations/{id}`` until the generation or batch is ``completed`` or
        ``failed``, and returns it (a failed one is returned, not raised: see ``.error``).

        ``target`` is an id, a Generation or a Batch; one already finished is returned as is.
        Raises WaitTimeoutError after ``timeout`` seconds.
        """
        if isinstance(target, (Generation, Batch)):
            if target.is_done:
                return target
            target_id = target.id
        else:
            target_id = target
        deadline = time.monotonic() + timeout
        last: Optional[Union[Generation, Batch]] = None
        while True:
            last = self.get_generation(target_id)
            if last.is_done:
                return last
            left = deadline - time.monotonic()
            if left <= 0:
                raise WaitTimeoutError(
                    f"{target_id} was still {last.status} after {timeout:g} s", last=last
                )
            self._sleep(min(max(poll_interval, 0.01), left))

    def download(self, output: Union[str, Generation]) -> bytes:
        """The rendered image's bytes, from a Generation or its ``output_url``."""
        url = output.output_url if isinstance(output, Generation) else output
        if not url:
            raise ValueError("This generation has no output_url (not completed, or expired).")
        return self._request("GET", url).body

    # Webhook helpers, also importable from the package itself.
    verify_webhook = staticmethod(verify_webhook)
    parse_webhook = staticmethod(parse_webhook)

    # MARK: Parameters

    @staticmethod
    def _encode_image(image: ImageSource) -> str:
        if isinstance(image, (bytes, bytearray)):
            data = bytes(image)
        elif isinstance(image, (str, os.PathLike)):
            with open(image, "rb") as handle:
                data = handle.read()
        else:
            data = image.read()
        return base64.b64encode(data).decode("ascii")

    def _generation_params(self, image: Optional[ImageSource] = None, **params: Any) -> Dict[str, Any]:
        result = {key: value for key, value in params.items() if value is not None}
        if image is not None:
            result["image_base64"] = self._encode_image(image)
        if "colors" in result and not isinstance(result["colors"], list):
            result["colors"] = list(result["colors"])
        if "text" in result:
            result["text"] = dict(result["text"])
        return result

    # MARK: Transport

    @staticmethod
    def _object(response: _Response) -> Dict[str, Any]:
        data = response.json()
        if not isinstance(data, dict):
            raise APIError(
                f"Expected a JSON object, got {response.body[:200]!r}",
                code="invalid_response",
                status=response.status,
                headers=response.headers,
            )
        return data

    @staticmethod
    def _replayed(response: _Response) -> bool:
        return response.headers.get("idempotent-replayed", "").lower() == "true"

    def _request(
        self,
        method: str,
        path_or_url: str,
        *,
        body: Optional[Dict[str, Any]] = None,
        idempotency_key: Optional[str] = None,
    ) -> _Response:
        url = path_or_url if path_or_url.startswith(("http://", "https://")) else self.base_url + path_or_url
        headers = {"Accept": "application/json", "User-Agent": self.user_agent}
        if url.startswith(self.base_url + "/"):
            # The key goes to this API only, never to another host an output URL may name.
            headers["Authorization"] = f"Bearer {self.api_key}"
        data = None
        if body is not None:
            # Sorted keys: the same request is the same bytes, which is how the server
            # recognises a repeated Idempotency-Key.
            data = json.dumps(body, separators=(",", ":"), sort_keys=True).encode("utf-8")
            headers["Content-Type"] = "application/json"
        if method == "POST":
            # One key for the whole call: every retry is the same request to the server.
            headers["Idempotency-Key"] = idempotency_key or str(uuid.uuid4())

        attempt = 0
        while True:
            try:
                response = self._send(method, url, headers, data)
            except _TransportError as failure:
                error: ProdVisualError = APIConnectionError(f"{method} {url}: {failure}")
                wait = self._backoff(attempt) if attempt < self.max_retries else None
            else:
                if response.status < 400:
                    return response
                error = error_from_response(response.status, response.headers, response.json())
                wait = self._retry_wait(error, attempt)
            if wait is None:
                raise error
            attempt += 1
            if self.on_retry is not None:
                self.on_retry(attempt, wait, error)
            self._sleep(wait)

    def _retry_wait(self, error: ProdVisualError, attempt: int) -> Optional[float]:
        """Seconds to wait before retrying after ``error``, or None to give up."""
        if attempt >= self.max_retries or error.status not in RETRYABLE_STATUSES:
            return None
        retry_after = parse_retry_after(error.headers.get("retry-after"))
        if retry_after is not None:
            if retry_after > self.max_retry_wait:
                return None
            # At least what the server asked, plus a little jitter so clients do not stampede.
            return retry_after + random.uniform(0, min(0.25, retry_after * 0.1 + 0.05))
        if isinstance(error, RateLimitError):
            # No Retry-After: wait until X-RateLimit-Reset when it is near, else back off.
            if error.reset is not None:
                until_reset = error.reset - time.time()
                if 0 < until_reset <= self.max_retry_wait:
                    return until_reset + random.uniform(0, 0.25)
        return self._backoff(attempt)

    def _backoff(self, attempt: int) -> float:
        ceiling = min(self.backoff_max, self.backoff_base * float(2**attempt))
        return ceiling * random.uniform(0.5, 1.0)

    def _send(self, method: str, url: str, headers: Dict[str, str], data: Optional[bytes]) -> _Response:
        request = urllib.request.Request(url, data=data, headers=headers, method=method)
        try:
            with self._opener.open(request, timeout=self.timeout) as reply:
                return _Response(reply.status, _lower(reply.headers.items()), reply.read())
        except urllib.error.HTTPError as reply:
            try:
                body = reply.read()
            except (OSError, http.client.HTTPException):
                body = b""
            finally:
                reply.close()
            return _Response(reply.code, _lower(reply.headers.items() if reply.headers else []), body)
        except (urllib.error.URLError, http.client.HTTPException, socket.timeout, OSError) as failure:
            reason = getattr(failure, "reason", failure)
            raise _TransportError(str(reason) or type(failure).__name__) from failure


class _TransportError(Exception):
    pass


def _lower(items: Iterable[Tuple[str, str]]) -> Dict[str, str]:
    return {name.lower(): value for name, value in items}


__all__: List[str] = ["ProdVisual", "DEFAULT_BASE_URL", "RETRYABLE_STATUSES"]
