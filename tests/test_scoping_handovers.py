"""A volunteer sees the handovers of their own RTs only: receipts and photos of others are 404."""

import sqlalchemy as sa

from nutera.extensions import db
from nutera.models import Handover
from tests.test_offline import (
    HANDOVER_FIELDS,
    jpeg_bytes,
    put_blob,
    send,
    sha,
    volunteer_event,  # noqa: F401  (a fixture)
)


def test_volunteer_cannot_open_receipts_or_photos_outside_their_rts(
    client,
    login_as,
    app,
    world,
    volunteer_event,  # noqa: F811
):
    event_id, recipients = volunteer_event
    other_rt = recipients[world.person_ids["unassigned"]]
    login_as("staff")
    photo = jpeg_bytes()
    put_blob(client, photo)
    ids = {"event_id": event_id, "recipient_id": other_rt}
    sent = send(
        client,
        "s" * 32,
        HANDOVER_FIELDS + [["thumbprint", "y"]],
        {"photo": sha(photo)},
        kind="handover",
        **ids,
    )
    assert sent.status_code == 201, sent.get_json()
    with app.app_context():
        handover_id = db.session.scalar(sa.select(Handover.id))
    client.post("/logout")
    login_as("volunteer")
    # The recipient itself is out of the volunteer's scope ...
    assert client.get(f"/penyaluran/{event_id}/serah-terima/{other_rt}").status_code == 404
    # ... a replay of the staff member's key for it is refused (no cross-user result) ...
    replay = send(client, "s" * 32, HANDOVER_FIELDS, {}, kind="handover", **ids)
    assert replay.status_code == 422, replay.get_json()
    # ... and so are the handover's receipt (name, NIK) and photo, whose ids run in sequence.
    receipt = client.get(f"/penyaluran/catatan/{handover_id}/tanda-terima.pdf")
    thumb = client.get(f"/penyaluran/catatan/{handover_id}/foto-kecil")
    assert (receipt.status_code, thumb.status_code) == (404, 404), (
        receipt.status_code,
        thumb.status_code,
    )
