"""Webhooks: thin change notices signed per the Standard Webhooks spec, delivered and retried
with backoff outside the request, each attempt recorded for the client's owner to see.

A delivery carries up to BATCH changes (kind, id, version): never personal data; the client
fetches what its scopes allow. queue() turns new feed entries into deliveries per subscribed
client; deliver_due() sends what is due. Both are run by `flask api webhooks` (a loop or a
scheduler calling it), never by a web request.
"""

import json
import secrets
import urllib.error
import urllib.request
from base64 import b64encode
from collections.abc import Callable
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session
from standardwebhooks.webhooks import Webhook

from nutera.api.resources.changes import kinds_for
from nutera.changes import publish
from nutera.models.api import ApiClient, ChangeEvent, WebhookDelivery
from nutera.models.base import as_utc, utcnow

BATCH = 500
MAX_ATTEMPTS = 8
BACKOFF = [timedelta(seconds=s) for s in (30, 120, 600, 1800, 3600, 3 * 3600, 6 * 3600)]


class DeliveryStatus:
    PENDING = "menunggu"
    SENT = "terkirim"
    FAILED = "gagal"


def new_secret() -> str:
    """A Standard Webhooks signing secret (whsec_ + base64 of 32 random bytes)."""
    return "whsec_" + b64encode(secrets.token_bytes(32)).decode()


def subscribe(session: Session, client: ApiClient, url: str, kinds: list[str]) -> str:
    """Send client's changes of these kinds to url; returns the signing secret (shown once)."""
    if not url.startswith(("https://", "http://")):
        raise ValueError("Alamat webhook harus diawali https://")
    client.webhook_url = url
    client.webhook_kinds = " ".join(sorted(set(kinds)))
    client.webhook_secret = new_secret()
    publish(session)
    last = session.scalar(sa.select(sa.func.max(ChangeEvent.position)))
    client.webhook_position = last or 0  # notify about what changes from now on
    session.flush()
    return client.webhook_secret


def queue(session: Session) -> int:
    """Publish the feed and queue one delivery per BATCH new changes per subscribed client."""
    publish(session)
    table = ChangeEvent.__table__
    created = 0
    subscribers = session.scalars(
        sa.select(ApiClient).where(ApiClient.webhook_url != "", ApiClient.revoked_at.is_(None))
    ).all()
    for client in subscribers:
        kinds = [k for k in client.webhook_kinds.split() if k in kinds_for(client.scope_set)]
        stmt = sa.select(table.c.position, table.c.kind, table.c.entity_id, table.c.id).where(
            table.c.position > client.webhook_position, table.c.kind.in_(kinds)
        )
        if client.kelurahan_ids is not None:
            stmt = stmt.where(table.c.kelurahan_id.in_(client.kelurahan_ids))
        rows = session.execute(stmt.order_by(table.c.position).limit(BATCH * 20)).all()
        for start in range(0, len(rows), BATCH):
            chunk = rows[start : start + BATCH]
            session.add(
                WebhookDelivery(
                    client_pk=client.id,
                    message_id="msg_" + secrets.token_hex(12),
                    payload={
                        "type": "nutera.changes",
                        "data": [{"kind": k, "id": e, "version": v} for _, k, e, v in chunk],
                    },
                )
            )
            created += 1
        if rows:
            client.webhook_position = rows[-1][0]
    session.flush()
    return created


Sender = Callable[[str, bytes, dict[str, str]], int]


def http_post(url: str, body: bytes, headers: dict[str, str]) -> int:
    """POST body to url (10 s timeout); the HTTP status, raising on network errors."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (admin-set)
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def signed_headers(client: ApiClient, delivery: WebhookDelivery, body: str) -> dict[str, str]:
    """The Standard Webhooks headers for one attempt."""
    now = utcnow()
    signature = Webhook(client.webhook_secret).sign(delivery.message_id, now, body)
    return {
        "Content-Type": "application/json",
        "webhook-id": delivery.message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature,
    }


def deliver_due(session: Session, send: Sender = http_post, limit: int = 100) -> int:
    """Attempt the deliveries that are due; success ends them, failure backs off."""
    now = utcnow()
    due = session.scalars(
        sa.select(WebhookDelivery)
        .where(
            WebhookDelivery.status == DeliveryStatus.PENDING,
            WebhookDelivery.next_attempt_at <= now,
        )
        .order_by(WebhookDelivery.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    for delivery in due:
        client = session.get(ApiClient, delivery.client_pk)
        body = json.dumps(delivery.payload, separators=(",", ":"))
        delivery.attempts += 1
        try:
            status = send(
                client.webhook_url, body.encode(), signed_headers(client, delivery, body)
            )
            delivery.last_status_code, delivery.last_error = status, ""
            ok = 200 <= status < 300
        except OSError as error:
            delivery.last_error, ok = str(error)[:500], False
        if ok:
            delivery.status = DeliveryStatus.SENT
        elif delivery.attempts >= MAX_ATTEMPTS or client.revoked_at is not None:
            delivery.status = DeliveryStatus.FAILED
        else:
            wait = BACKOFF[min(delivery.attempts - 1, len(BACKOFF) - 1)]
            delivery.next_attempt_at = as_utc(now) + wait
    session.flush()
    return len(due)
