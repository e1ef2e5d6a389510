"""distribution:read: events and handovers with the evidence digests (not the images)."""

import sqlalchemy as sa
from flask_smorest import Blueprint

from nutera.api.auth import ApiScope, client_required, current_client
from nutera.api.paging import keyset_page
from nutera.api.reads import record_read
from nutera.api.schemas import EventOut, HandoverOut, PageQuery, page_of
from nutera.models import AidProgram, DistributionEvent, Handover, Kelurahan, User
from nutera.scoping import visible_to_kelurahan

bp = Blueprint(
    "api_distribution", __name__, url_prefix="/api/v1/distribution", description="Penyaluran"
)
_SECURITY = [{"oauth2": [ApiScope.DISTRIBUTION_READ.value]}]


@bp.get("/events")
@client_required(ApiScope.DISTRIBUTION_READ)
@bp.doc(security=_SECURITY)
@bp.arguments(PageQuery, location="query")
@bp.response(200, page_of(EventOut, "EventPage"))
def events(query: dict):
    """Distribution events of the client's kelurahan."""
    stmt = (
        sa.select(
            DistributionEvent.id,
            Kelurahan.code.label("kelurahan"),
            AidProgram.code.label("program"),
            DistributionEvent.period.label("name"),
            DistributionEvent.place,
            DistributionEvent.event_date.label("starts_on"),
            sa.literal("terjadwal").label("status"),
        )
        .join(Kelurahan, Kelurahan.id == DistributionEvent.kelurahan_id)
        .join(AidProgram, AidProgram.id == DistributionEvent.program_id)
        .where(visible_to_kelurahan(DistributionEvent, current_client().kelurahan_ids))
    )
    page = keyset_page(stmt, DistributionEvent.id, query)
    return page


@bp.get("/events/<int:event_id>/handovers")
@client_required(ApiScope.DISTRIBUTION_READ)
@bp.doc(security=_SECURITY)
@bp.arguments(PageQuery, location="query")
@bp.response(200, page_of(HandoverOut, "HandoverPage"))
def handovers(query: dict, event_id: int):
    """Handovers of one event in record order, so another system can check the chain."""
    stmt = (
        sa.select(
            Handover.id,
            Handover.event_id,
            Handover.recipient_id,
            Handover.received_at,
            User.full_name.label("officer"),
            Handover.proxy_name.is_not(None).label("proxy"),
            Handover.proxy_relation,
            Handover.latitude,
            Handover.longitude,
            Handover.gps_accuracy_m,
            Handover.photo_sha256,
            Handover.signature_sha256,
            Handover.thumbprint,
            Handover.corrects_id,
        )
        .join(User, User.id == Handover.officer_id)
        .where(
            Handover.event_id == event_id,
            visible_to_kelurahan(Handover, current_client().kelurahan_ids),
        )
    )
    page = keyset_page(stmt, Handover.id, query)
    record_read((), len(page["items"]), "penyaluran")
    return page
