"""Tell a CMS when a recording's analysis changed, so it can refresh its suggestions.

A POST of a small JSON document to `RIDEALONG_WEBHOOK_URL`, signed like GitHub's webhooks:
`X-Ridealong-Signature: sha256=<HMAC-SHA256 of the body with RIDEALONG_WEBHOOK_SECRET>`.
The receiver recomputes the HMAC over the raw body and compares in constant time. Delivery
is tried three times with a growing pause; a receiver that stays down is logged, and the
recording itself is never affected.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time
from typing import Any

import httpx

from api.settings import Settings
from transcribe.types import Transcript

logger = logging.getLogger(__name__)

__all__ = ["ANALYSED", "analysed_payload", "notify", "notify_in_background", "signature"]

ANALYSED = "recording.analysed"
_TRIES = 3
_TIMEOUT_S = 5.0


def signature(secret: str, body: bytes) -> str:
    """The value of the X-Ridealong-Signature header for `body`."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def notify(settings: Settings, event: str, payload: dict[str, Any]) -> bool:
    """POST the event to the configured webhook; True when it was delivered (2xx)."""
    if not settings.webhook_url:
        return False
    body = json.dumps({"event": event, **payload}, ensure_ascii=False).encode()
    headers = {"Content-Type": "application/json", "X-Ridealong-Event": event}
    if settings.webhook_secret:
        headers["X-Ridealong-Signature"] = signature(settings.webhook_secret, body)
    for attempt in range(1, _TRIES + 1):
        try:
            response = httpx.post(
                settings.webhook_url, content=body, headers=headers, timeout=_TIMEOUT_S
            )
            if response.is_success:
                return True
            problem = f"HTTP {response.status_code}"
        except httpx.HTTPError as e:
            problem = str(e) or type(e).__name__
        logger.warning("webhook %s try %d/%d failed: %s", event, attempt, _TRIES, problem)
        if attempt < _TRIES:
            time.sleep(0.5 * 2**attempt)
    return False


def notify_in_background(settings: Settings, event: str, payload: dict[str, Any]) -> None:
    """`notify` on its own thread, so a slow receiver never holds up a person's request."""
    if settings.webhook_url:
        threading.Thread(
            target=notify, args=(settings, event, payload), name="webhook", daemon=True
        ).start()


def analysed_payload(recording_id: str, transcript: Transcript) -> dict[str, Any]:
    """What the webhook says about a finished analysis: enough to decide what to fetch."""
    return {
        "recording_id": recording_id,
        "status": "done",
        "language": transcript.language,
        "duration_s": round(transcript.duration_s, 3),
        "speakers": [s.to_dict() for s in transcript.speakers],
        "links": {
            "recording": f"/api/v1/recordings/{recording_id}",
            "terms": f"/api/v1/terms?recording_id={recording_id}",
            "questions": f"/api/v1/questions?recording_id={recording_id}",
        },
    }
