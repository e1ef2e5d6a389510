"""programs:read and statistics:read: public information, also without a token."""

import sqlalchemy as sa
from flask_smorest import Blueprint

from nutera.api.auth import ApiScope, optional_client
from nutera.api.schemas import ProgramOut, ProgramQuery, StatisticsOut
from nutera.equity.public import public_recipient_counts
from nutera.extensions import db
from nutera.models import Kelurahan
from nutera.programs import rules
from nutera.programs.queries import programs_with_info
from nutera.programs.services import current_rules, settings_for
from nutera.scoping import visible_to_kelurahan

bp = Blueprint("api_programs", __name__, url_prefix="/api/v1", description="Program dan statistik")


def _kelurahan(code: str | None, scope: ApiScope) -> list[Kelurahan]:
    client = optional_client(scope)
    stmt = sa.select(Kelurahan).order_by(Kelurahan.name)
    if client is not None:
        stmt = stmt.where(visible_to_kelurahan(Kelurahan, client.kelurahan_ids))
    if code:
        stmt = stmt.where(Kelurahan.code == code)
    return list(db.session.scalars(stmt.limit(500)))


@bp.get("/programs")
@bp.doc(security=[{}, {"oauth2": [ApiScope.PROGRAMS_READ.value]}])
@bp.arguments(ProgramQuery, location="query")
@bp.response(200, ProgramOut(many=True))
def programs(query: dict):
    """Active programs with their published criteria, per kelurahan."""
    out = []
    for kelurahan in _kelurahan(query.get("kelurahan"), ApiScope.PROGRAMS_READ):
        pairs = programs_with_info(db.session, kelurahan.id)
        rule_by_program = current_rules(db.session, [p.id for p, _ in pairs])
        settings = settings_for(db.session, kelurahan.id)
        for program, info in pairs:
            rule = rule_by_program.get(program.id)
            out.append(
                {
                    "kelurahan": kelurahan.code,
                    "code": program.code,
                    "name": program.name,
                    "target": program.target,
                    "description": program.description,
                    "benefit": info.benefit if info else "",
                    "audience": info.audience if info else "",
                    "criteria": rules.describe(rule.tree, settings) if rule else [],
                    "criteria_html": info.criteria_html if info else "",
                    "schedule": info.schedule if info else "",
                }
            )
    return out


@bp.get("/statistics")
@bp.doc(security=[{}, {"oauth2": [ApiScope.STATISTICS_READ.value]}])
@bp.arguments(ProgramQuery, location="query")
@bp.response(200, StatisticsOut(many=True))
def statistics(query: dict):
    """Active recipients per program and RW (the figures of /statistik): a count below five,
    or one that would reveal such a count by difference, is null."""
    out = []
    for kelurahan in _kelurahan(query.get("kelurahan"), ApiScope.STATISTICS_READ):
        out.append(
            {
                "kelurahan": kelurahan.code,
                "kelurahan_name": kelurahan.name,
                "programs": [
                    {
                        "code": p.code,
                        "name": p.name,
                        "recipients": p.total,
                        "by_rw": {f"{rw:02d}": n for rw, n in p.by_rw.items()},
                    }
                    for p in public_recipient_counts(db.session, kelurahan.id)
                ],
            }
        )
    return out
