"""The complaint desk's pages for accounts across kelurahan: names of their kelurahan, and a
complaint as a read-only account (dinas, kecamatan) sees it."""

from datetime import date

from flask import render_template

from nutera.audit import current_actor
from nutera.complaints import queries, services
from nutera.complaints.reading import log_reader_view, reader_copy
from nutera.extensions import db
from nutera.models import Complaint, Kelurahan, User
from nutera.scoping import visible_kelurahans


def kelurahan_names(viewer: User) -> dict[int, str]:
    """Names of the kelurahan a viewer across kelurahan sees (empty for kelurahan staff)."""
    if viewer.kelurahan_id is not None:
        return {}
    return dict(
        db.session.execute(
            visible_kelurahans(viewer)
            .with_only_columns(Kelurahan.id, Kelurahan.name)
            .order_by(Kelurahan.name)
        ).all()
    )


def render_for_reader(complaint: Complaint, viewer: User, today: date) -> str:
    """The complaint for a dinas or kecamatan account: masked, without any action, logged."""
    log_reader_view(db.session, current_actor(db.session), viewer, complaint=complaint)
    page = render_template(
        "complaints/detail_read.html",
        complaint=complaint,
        masked=reader_copy(complaint),
        kelurahan=db.session.get(Kelurahan, complaint.kelurahan_id),
        overdue=queries.is_overdue(complaint, today),
        days_left=queries.working_days_left(
            complaint, today, services.holidays_for(db.session, complaint.kelurahan_id)
        ),
        notes=queries.notes_of(complaint),
    )
    db.session.commit()  # the reading is logged
    return page
