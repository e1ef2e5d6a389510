"""What a survey's viewer may be told about records elsewhere: scoped lookups and findings.

A record the viewer may not see lends no value to what they are shown; staff told that a
KK or NIK is registered in another kelurahan leave a trace in the audit log.
"""

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from nutera.audit import Actor, audit_bulk
from nutera.identity import mask_nik
from nutera.models import Household, Person, Survey, User
from nutera.scoping import visible_to

# Findings that make a survey need a careful look (it cannot be approved in bulk).
FLAG_KINDS = {"nik_elsewhere", "no_nik", "mismatch_confirmed", "kk_elsewhere", "kk_surveyed"}
ACTIVE_STATUSES = ("submitted", "returned", "verified")


@dataclass
class Finding:
    """One difference or duplicate, in words, with the record it points at."""

    kind: str
    text: str
    household_id: int | None = None  # link target in the registry, when visible
    survey_id: int | None = None  # link target among surveys, when visible

    @property
    def is_flag(self) -> bool:
        return self.kind in FLAG_KINDS


def registry_household(session: Session, survey: Survey) -> Household | None:
    """The household with the survey's KK in the survey's kelurahan."""
    if not survey.kk_number:
        return None
    return session.scalar(
        sa.select(Household).where(
            Household.kk_number == survey.kk_number,
            Household.kelurahan_id == survey.kelurahan_id,
        )
    )


def kk_elsewhere_id(session: Session, survey: Survey) -> int | None:
    """Id of a household of another kelurahan holding the survey's KK."""
    if not survey.kk_number:
        return None
    return session.scalar(
        sa.select(Household.id).where(
            Household.kk_number == survey.kk_number,
            Household.kelurahan_id != survey.kelurahan_id,
        )
    )


def visible_ids(session: Session, model, ids: set[int], viewer: User | None) -> set[int]:
    """The ids among ids the viewer may see (all of them when there is no viewer)."""
    ids = ids - {None}
    if viewer is None or not ids:
        return ids
    return set(
        session.scalars(sa.select(model.id).where(model.id.in_(ids), visible_to(model, viewer)))
    )


def log_elsewhere(
    session: Session,
    survey: Survey,
    viewer: User,
    actor: Actor,
    household_id: int | None,
    persons: list[Person],
) -> None:
    """Staff were told a KK or NIK is registered outside their scope: keep who and when."""
    if household_id is None and not persons:
        return
    audit_bulk(
        session,
        actor,
        "lihat",
        "survey",
        survey.id,
        viewer.kelurahan_id,
        {
            "event": "registered_elsewhere",
            "kk_household_id": household_id,
            "person_ids": [p.id for p in persons],
        },
    )


def surveyed_elsewhere(
    session: Session, survey: Survey, viewer: User | None = None
) -> list[Finding]:
    """Other active surveys of this KK this period; named only to those who may see them."""
    others = session.execute(
        sa.select(Survey.id, User.full_name)
        .join(User, Survey.volunteer_id == User.id)
        .where(
            Survey.kk_number == survey.kk_number,
            Survey.period == survey.period,
            Survey.id != survey.id,
            Survey.status.in_(ACTIVE_STATUSES),
        )
    ).all()
    visible = visible_ids(session, Survey, {other_id for other_id, _ in others}, viewer)
    if viewer is not None and viewer.is_volunteer:
        own = set(
            session.scalars(
                sa.select(Survey.id).where(
                    Survey.id.in_(visible), Survey.volunteer_id == viewer.id
                )
            )
        )
        return [
            Finding(
                "kk_surveyed",
                f"KK ini sudah Anda data periode ini (survei #{other_id}).",
                survey_id=other_id,
            )
            for other_id, _ in others
            if other_id in own
        ]
    return [
        Finding(
            "kk_surveyed",
            f"KK ini sudah didata periode ini oleh {name} (survei #{other_id}).",
            survey_id=other_id,
        )
        if other_id in visible
        else Finding("kk_surveyed", "KK ini sudah didata periode ini di kelurahan lain.")
        for other_id, name in others
    ]


def describe_links(session: Session, findings: list[Finding], viewer: User | None) -> None:
    """Name the viewer's own households of NIKs found elsewhere; keep links they may follow."""
    elsewhere = [f for f in findings if f.kind == "nik_elsewhere" and f.household_id]
    households = {
        h.id: h
        for h in session.scalars(
            sa.select(Household).where(Household.id.in_({f.household_id for f in elsewhere}))
        )
    }
    for finding in elsewhere:
        other = households.get(finding.household_id)
        if other is not None:
            finding.text = f"NIK {finding.text} sudah terdaftar di KK {other.kk_number}."
    for finding in findings:
        if finding.kind == "nik_elsewhere" and not finding.household_id and finding.text.isdigit():
            finding.text = f"NIK {mask_nik(finding.text)} tercatat tanpa KK."
    if viewer is not None:
        survey_ids = {f.survey_id for f in findings if f.survey_id}
        visible_surveys = visible_ids(session, Survey, survey_ids, viewer)
        for finding in findings:
            if finding.survey_id and finding.survey_id not in visible_surveys:
                finding.survey_id = None
