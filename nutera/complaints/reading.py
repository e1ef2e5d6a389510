"""What a read-only account (dinas, kecamatan) is shown of a complaint, and the trace it leaves.

A reader at city level follows the complaint's handling; they need neither the reporter's
identity nor full identity numbers. The reporter of an *anonim* or *rahasia* complaint is
never shown to them (a reader is never the assigned staff member); of any other complaint
only a masked name and phone. NIKs are masked. Each list page and complaint they open is
written to the audit log, with the kelurahan it belongs to, so that kelurahan's staff can
see who read their desk.
"""

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from nutera.audit import Actor
from nutera.identity import mask_name, mask_nik
from nutera.models import AuditLog, Complaint, User
from nutera.timeutil import utcnow


@dataclass(frozen=True)
class ReaderCopy:
    """The personal data of one complaint as a read-only account sees it."""

    reporter: str | None  # None: not shown at all (anonim or rahasia)
    subject_nik: str
    person_nik: str


def mask_phone(phone: str) -> str:
    """Keep a phone number's first four and last two digits: '0812******90'."""
    digits = phone.strip()
    if len(digits) <= 6:
        return "*" * len(digits)
    return digits[:4] + "*" * (len(digits) - 6) + digits[-2:]


def reader_copy(complaint: Complaint) -> ReaderCopy:
    """The complaint's reporter and NIKs, masked for a reader at city or kecamatan level."""
    reporter = None
    if not complaint.anonymous and not complaint.confidential:
        name = mask_name(complaint.reporter_name) if complaint.reporter_name else "(tanpa nama)"
        phone = mask_phone(complaint.reporter_phone) if complaint.reporter_phone else ""
        reporter = f"{name} · {phone}" if phone else name
    person = complaint.person
    return ReaderCopy(
        reporter=reporter,
        subject_nik=mask_nik(complaint.subject_nik) if complaint.subject_nik else "",
        person_nik=mask_nik(person.nik) if person is not None and person.nik else "",
    )


def log_reader_view(
    session: Session,
    actor: Actor,
    viewer: User,
    complaint: Complaint | None = None,
    listed: list[Complaint] | None = None,
) -> None:
    """Record that a read-only account opened a complaint, or a page of the desk's list."""
    if not viewer.is_read_only:
        return
    if complaint is not None:
        entries = [(complaint.kelurahan_id, complaint.id, {"event": "desk_read"})]
    else:
        by_kelurahan: dict[int, list[int]] = {}
        for item in listed or []:
            by_kelurahan.setdefault(item.kelurahan_id, []).append(item.id)
        # One row per kelurahan shown, so each kelurahan's staff see who read their desk.
        entries = [
            (kelurahan_id, None, {"event": "desk_list", "complaint_ids": ids})
            for kelurahan_id, ids in sorted(by_kelurahan.items())
        ] or [(None, None, {"event": "desk_list", "complaint_ids": []})]
    now = utcnow()
    session.execute(
        sa.insert(AuditLog),
        [
            {
                "at": now,
                "user_id": actor.user_id,
                "kelurahan_id": kelurahan_id,
                "action": "lihat",
                "entity": "complaint",
                "entity_id": entity_id,
                "changes": {**changes, "role": viewer.role},
                "ip": actor.ip,
            }
            for kelurahan_id, entity_id, changes in entries
        ],
    )
