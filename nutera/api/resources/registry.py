"""recipients:read and registry:read: personal data, scoped to the client's kelurahan,
each read audited with its stated purpose (X-Purpose)."""

from typing import Any

import sqlalchemy as sa
from flask_smorest import Blueprint, abort
from sqlalchemy.orm import aliased

from nutera.api.auth import ApiScope, client_required, current_client, require_purpose
from nutera.api.paging import keyset_page
from nutera.api.reads import record_read
from nutera.api.schemas import (
    HouseholdOut,
    ListQuery,
    PersonOut,
    RecipientOut,
    RecipientQuery,
    page_of,
)
from nutera.extensions import db
from nutera.models import (
    AidProgram,
    Enrollment,
    Household,
    Kelurahan,
    Person,
    Rt,
    Rw,
    SandingRow,
)
from nutera.models.sanding import ROW_STATUSES, RowStatus
from nutera.scoping import visible_to_kelurahan

bp = Blueprint("api_registry", __name__, url_prefix="/api/v1", description="Penerima dan registri")
_PURPOSE = {
    "name": "X-Purpose",
    "in": "header",
    "required": True,
    "schema": {"type": "string"},
    "description": "Tujuan pengambilan data pribadi (dicatat di log audit).",
}


def _security(scope: ApiScope) -> dict:
    return {"security": [{"oauth2": [scope.value]}], "parameters": [_PURPOSE]}


def _filters(stmt: sa.Select, model: Any, query: dict, rw_column: Any) -> sa.Select:
    stmt = stmt.where(visible_to_kelurahan(model, current_client().kelurahan_ids))
    if query.get("kelurahan"):
        stmt = stmt.where(Kelurahan.code == query["kelurahan"])
    if query.get("rw") is not None:
        stmt = stmt.where(rw_column == query["rw"])
    if query.get("updated_since") is not None:
        stmt = stmt.where(model.updated_at >= query["updated_since"])
    return stmt


_beneficiary = aliased(Person)
_collector = aliased(Person)
_household = aliased(Household)
_RECIPIENTS = (
    sa.select(
        Enrollment.id,
        Kelurahan.code.label("kelurahan"),
        AidProgram.code.label("program"),
        _beneficiary.nik,
        _beneficiary.name,
        _household.kk_number,
        Rt.number.label("rt"),
        Rw.number.label("rw"),
        _collector.name.label("collector_name"),
        Enrollment.status,
        Enrollment.period_start,
        Enrollment.period_end,
        Enrollment.status_reason.label("reason"),
        Enrollment.updated_at,
        # The recipient-list row it was enrolled from (sanding), as the sanding pages show it.
        SandingRow.refresh_id.label("validation_list"),
        SandingRow.status.label("validation_status"),
        sa.case(ROW_STATUSES, value=SandingRow.status).label("validation_label"),
        SandingRow.reason.label("validation_reason"),
    )
    .join(Kelurahan, Kelurahan.id == Enrollment.kelurahan_id)
    .join(AidProgram, AidProgram.id == Enrollment.program_id)
    .outerjoin(_beneficiary, _beneficiary.id == Enrollment.person_id)
    .outerjoin(
        _household,
        _household.id == sa.func.coalesce(Enrollment.household_id, _beneficiary.household_id),
    )
    .outerjoin(_collector, _collector.id == Enrollment.collector_id)
    .outerjoin(Rt, Rt.id == _household.rt_id)
    .outerjoin(Rw, Rw.id == Rt.rw_id)
    .outerjoin(
        SandingRow,
        sa.and_(
            SandingRow.id == Enrollment.sanding_row_id,
            SandingRow.kelurahan_id == Enrollment.kelurahan_id,
        ),
    )
)
_VALIDATED = SandingRow.status == RowStatus.VALID.value
_NOT_VALIDATED = sa.or_(SandingRow.status.is_(None), SandingRow.status != RowStatus.VALID.value)


@bp.get("/recipients")
@client_required(ApiScope.RECIPIENTS_READ)
@bp.doc(**_security(ApiScope.RECIPIENTS_READ))
@bp.arguments(RecipientQuery, location="query")
@bp.response(200, page_of(RecipientOut, "RecipientPage"))
def recipients(query: dict):
    """Enrollments per program and kelurahan with the beneficiary, by id; each with the
    validation (sanding) of the recipient-list row it was enrolled from, if any."""
    purpose = require_purpose()
    stmt = _filters(_RECIPIENTS, Enrollment, query, Rw.number)
    if query.get("program"):
        stmt = stmt.where(AidProgram.code == query["program"].upper())
    if query.get("status"):
        stmt = stmt.where(Enrollment.status == query["status"])
    if query.get("validated") is not None:
        # Not validated: enrolled without a list row, or its row is no longer valid.
        stmt = stmt.where(
            _VALIDATED if query["validated"] else ~sa.func.coalesce(_VALIDATED, False)
        )
    page = keyset_page(stmt, Enrollment.id, query)
    record_read((r["nik"] for r in page["items"]), len(page["items"]), purpose)
    return page


_PERSONS = (
    sa.select(
        Person.id,
        Kelurahan.code.label("kelurahan"),
        Person.nik,
        Person.name,
        Person.sex,
        Person.birth_date,
        Person.relation,
        Person.status,
        Household.kk_number,
        Rt.number.label("rt"),
        Rw.number.label("rw"),
        Person.updated_at,
    )
    .join(Kelurahan, Kelurahan.id == Person.kelurahan_id)
    .outerjoin(Household, Household.id == Person.household_id)
    .outerjoin(Rt, Rt.id == Household.rt_id)
    .outerjoin(Rw, Rw.id == Rt.rw_id)
)


@bp.get("/persons")
@client_required(ApiScope.REGISTRY_READ)
@bp.doc(**_security(ApiScope.REGISTRY_READ))
@bp.arguments(ListQuery, location="query")
@bp.response(200, page_of(PersonOut, "PersonPage"))
def persons(query: dict):
    """Residents of the client's kelurahan, by id, with filters."""
    purpose = require_purpose()
    page = keyset_page(_filters(_PERSONS, Person, query, Rw.number), Person.id, query)
    record_read((r["nik"] for r in page["items"]), len(page["items"]), purpose)
    return page


@bp.get("/persons/<string:nik>")
@client_required(ApiScope.REGISTRY_READ)
@bp.doc(**_security(ApiScope.REGISTRY_READ))
@bp.response(200, PersonOut)
def person(nik: str):
    """One resident by NIK (404 when not in the client's kelurahan)."""
    purpose = require_purpose()
    row = None
    if len(nik) == 16 and nik.isdigit():
        row = (
            db.session.execute(
                _PERSONS.where(
                    Person.nik == nik,
                    visible_to_kelurahan(Person, current_client().kelurahan_ids),
                )
            )
            .mappings()
            .first()
        )
    record_read([nik], 1 if row else 0, purpose)
    if row is None:
        abort(404, message="NIK tidak ditemukan di kelurahan yang boleh dilihat klien ini.")
    return row


_MEMBERS = (
    sa.select(sa.func.count(Person.id))
    .where(Person.household_id == Household.id)
    .correlate(Household)
    .scalar_subquery()
)
_HOUSEHOLDS = (
    sa.select(
        Household.id,
        Kelurahan.code.label("kelurahan"),
        Household.kk_number,
        Household.address,
        Rt.number.label("rt"),
        Rw.number.label("rw"),
        Household.kode_pos,
        _MEMBERS.label("members"),
        Household.updated_at,
    )
    .join(Kelurahan, Kelurahan.id == Household.kelurahan_id)
    .join(Rt, Rt.id == Household.rt_id)
    .join(Rw, Rw.id == Rt.rw_id)
)


@bp.get("/households")
@client_required(ApiScope.REGISTRY_READ)
@bp.doc(**_security(ApiScope.REGISTRY_READ))
@bp.arguments(ListQuery, location="query")
@bp.response(200, page_of(HouseholdOut, "HouseholdPage"))
def households(query: dict):
    """Households (KK) of the client's kelurahan, by id, with filters."""
    purpose = require_purpose()
    stmt = _filters(_HOUSEHOLDS, Household, query, Rw.number)
    page = keyset_page(stmt, Household.id, query)
    record_read((), len(page["items"]), purpose)
    return page
