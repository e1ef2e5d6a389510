"""Builders for distribution tests: images, signatures, an event with recipients."""

import io
from datetime import date

from PIL import Image, ImageDraw
from sqlalchemy.orm import Session

from nutera.distribution.services import create_event
from nutera.models import AidProgram, Household, User
from tests import factories


def jpeg_bytes(size=(320, 240), color=(40, 120, 200)) -> bytes:
    """A small JPEG photo."""
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "JPEG")
    return out.getvalue()


def signature_png(drawn: bool = True) -> bytes:
    """A transparent PNG like the signature pad's, with a scribble unless drawn is False."""
    image = Image.new("RGBA", (600, 200), (0, 0, 0, 0))
    if drawn:
        draw = ImageDraw.Draw(image)
        draw.line(
            [(40, 150), (120, 40), (200, 160), (320, 50), (520, 140)], fill=(0, 0, 0, 255), width=4
        )
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def make_event(
    session: Session, world, households=("assigned", "unassigned"), volunteer_ids=()
) -> int:
    """A PKH event in Tamansari inviting the given world households; returns its id."""
    program = session.get(AidProgram, _program_id(session, world))
    for key in households:
        factories.enroll(session, program, session.get(Household, world.household_ids[key]))
    staff = session.get(User, world.user_ids["staff"])
    event = create_event(
        session,
        staff,
        program,
        period="Tahap 4 2026",
        event_date=date(2026, 11, 22),
        place="Aula Kelurahan Tamansari",
        goods="Beras 10 kg",
        amount=None,
        volunteer_ids=list(volunteer_ids),
    )
    return event.id


def _program_id(session: Session, world) -> int:
    from nutera.models import Kelurahan

    return factories.make_program(session, session.get(Kelurahan, world.kelurahan_id)).id


def handover_form(
    key: str = "k" * 32, photo: bytes | None = None, signature: bytes | None = None, **fields
) -> dict:
    """Multipart data as the capture script posts it."""
    data = {
        "idempotency_key": key,
        "identity_checked": "y",
        "latitude": "-6.901234",
        "longitude": "107.612345",
        "gps_accuracy_m": "12",
        **fields,
    }
    data["photo"] = (io.BytesIO(photo if photo is not None else jpeg_bytes()), "foto.jpg")
    if signature is not False:
        data["signature"] = (io.BytesIO(signature or signature_png()), "tanda-tangan.png")
    return data
