"""Connecting to a Label Studio server: URL and token from the environment, clear errors.

The token is read from ``CHAINPOLICY_LS_TOKEN`` only and never printed, logged or written into
the repository; error messages name the URL, never the token.
"""

from __future__ import annotations

import contextlib
import json
import os
import urllib.request
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from chainpolicy.errors import ChainpolicyError, InputError

if TYPE_CHECKING:
    from label_studio_sdk import LabelStudio

URL_ENV = "CHAINPOLICY_LS_URL"
TOKEN_ENV = "CHAINPOLICY_LS_TOKEN"
DEFAULT_URL = "http://127.0.0.1:8080"
TIMEOUT = 300  # seconds; snapshot exports of big projects take minutes


def resolve_url(url: str | None) -> str:
    return (url or os.environ.get(URL_ENV) or DEFAULT_URL).rstrip("/")


def health(url: str, timeout: float = 5.0) -> bool:
    """Whether ``/health`` answers ``{"status": "UP"}``."""
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=timeout) as response:
            return json.loads(response.read() or b"{}").get("status") == "UP"
    except (OSError, ValueError):
        return False


def describe(body: Any) -> str:
    """The useful part of an error body (``detail`` and ``validation_errors``), never headers.

    ``str(ApiError)`` includes the response headers, which carry a session cookie: never use it.
    """
    if isinstance(body, dict):
        parts = [str(body.get("detail") or "").strip()]
        errors = body.get("validation_errors")
        if errors:
            parts.append(json.dumps(errors, ensure_ascii=False))
        text = ": ".join(p for p in parts if p)
        if text:
            return text
    text = str(body or "").strip()
    return text[:300] + ("..." if len(text) > 300 else "")


@contextlib.contextmanager
def api_errors(base: str, doing: str) -> Iterator[None]:
    """Turn SDK/HTTP failures during ``doing`` into one ``ChainpolicyError`` naming the URL."""
    import httpx
    from label_studio_sdk.core.api_error import ApiError

    try:
        yield
    except ApiError as exc:
        if exc.status_code in (401, 403):
            raise ChainpolicyError(
                f"{doing} at {base}: the server rejected the token in {TOKEN_ENV} "
                f"(HTTP {exc.status_code}): wrong or expired token"
            ) from None
        raise ChainpolicyError(
            f"{doing} at {base}: HTTP {exc.status_code}: {describe(exc.body)}"
        ) from None
    except httpx.HTTPError as exc:
        raise ChainpolicyError(
            f"{doing} at {base}: {type(exc).__name__}: {exc or 'no answer'}"
        ) from None


def connect(url: str | None = None) -> tuple[LabelStudio, str]:
    """An SDK client for the server, after checking it is up and the token is accepted."""
    from label_studio_sdk import LabelStudio

    base = resolve_url(url)
    token = os.environ.get(TOKEN_ENV)
    if not token:
        raise InputError(
            f"no Label Studio token: set {TOKEN_ENV} (`chainpolicy ls serve` says where to find "
            "it for a local server)"
        )
    if not health(base):
        raise ChainpolicyError(
            f"Label Studio is not reachable at {base} (no healthy answer from {base}/health); "
            f"start it with `chainpolicy ls serve` or set {URL_ENV}/--url"
        )
    client = LabelStudio(base_url=base, api_key=token, timeout=TIMEOUT)
    with api_errors(base, "checking the token with Label Studio"):
        client.users.whoami()
    return client, base
