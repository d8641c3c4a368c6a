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
import queue
import threading
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx

from api.settings import Settings
from transcribe.types import Transcript

logger = logging.getLogger(__name__)

__all__ = [
    "ANALYSED",
    "DELETED",
    "FAILED",
    "analysed_payload",
    "deleted_payload",
    "failed_payload",
    "notify",
    "notify_in_background",
    "signature",
]

ANALYSED = "recording.analysed"  # done, or corrected (speakers, names): fetch its terms again
FAILED = "recording.failed"  # the job gave up: show the error, stop waiting
DELETED = "recording.deleted"  # gone with its terms: drop what was shown of it
_TRIES = 3
_TIMEOUT_S = 5.0


def signature(secret: str, body: bytes) -> str:
    """The value of the X-Ridealong-Signature header for `body`."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def notify(settings: Settings, event: str, payload: dict[str, Any]) -> bool:
    """POST the event to the configured webhook; True when it was delivered (2xx).

    Each event has its own `event_id` (also the X-Ridealong-Delivery header, the same on
    every try, so a receiver can drop a repeat) and `sent_at` (UTC, ISO 8601; with the
    signature, a receiver can refuse an old body replayed)."""
    if not settings.webhook_url:
        return False
    event_id = uuid.uuid4().hex
    sent_at = datetime.now(UTC).isoformat(timespec="seconds")
    envelope = {"event": event, "event_id": event_id, "sent_at": sent_at, **payload}
    body = json.dumps(envelope, ensure_ascii=False).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "ridealong-webhook",
        "X-Ridealong-Event": event,
        "X-Ridealong-Delivery": event_id,
    }
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


_outbox: queue.Queue[tuple[Settings, str, dict[str, Any]]] = queue.Queue()
_sender_lock = threading.Lock()
_sender: threading.Thread | None = None


def _send_in_order() -> None:
    while True:
        settings, event, payload = _outbox.get()
        try:
            notify(settings, event, payload)
        except Exception:  # a bad URL or the like: log it, keep sending the rest
            logger.exception("webhook %s could not be sent", event)
        finally:
            _outbox.task_done()


def notify_in_background(settings: Settings, event: str, payload: dict[str, Any]) -> None:
    """`notify` off the request's thread, so a slow receiver never holds up a person's
    request; one sender thread a process, so events go out in the order they happened (a
    rename, then a deletion, never the other way round)."""
    global _sender
    if not settings.webhook_url:
        return
    with _sender_lock:
        if _sender is None or not _sender.is_alive():
            _sender = threading.Thread(target=_send_in_order, name="webhooks", daemon=True)
            _sender.start()
    _outbox.put((settings, event, payload))


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


def failed_payload(recording_id: str, error: str) -> dict[str, Any]:
    """What the webhook says about a job that gave up (`error`: the API's English text)."""
    return {
        "recording_id": recording_id,
        "status": "failed",
        "error": error,
        "links": {"recording": f"/api/v1/recordings/{recording_id}"},
    }


def deleted_payload(recording_id: str) -> dict[str, Any]:
    """What the webhook says about a deleted recording: its quotes and counts are gone."""
    return {"recording_id": recording_id, "status": "deleted"}
