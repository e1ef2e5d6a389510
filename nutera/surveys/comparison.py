"""Compare a survey with what the registry holds for its KK and NIKs, and catch duplicates."""

from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from nutera.audit import Actor
from nutera.formatting import rupiah
from nutera.identity import mask_nik
from nutera.models import (
    FLOORS,
    HOUSE_OWNERSHIP,
    PRESENCES,
    ROOFS,
    TOILETS,
    WALLS,
    WATER_SOURCES,
    Household,
    Person,
    PersonStatus,
    Residence,
    Rt,
    Survey,
    SurveyMember,
    User,
)
from nutera.surveys.findings import (
    ACTIVE_STATUSES,
    FLAG_KINDS,
    Finding,
    describe_links,
    kk_elsewhere_id,
    log_elsewhere,
    registry_household,
    surveyed_elsewhere,
    visible_ids,
)

__all__ = ["ACTIVE_STATUSES", "FLAG_KINDS", "Comparison", "Finding", "MemberRow", "compare"]

HOUSING = [
    ("ownership", "Status rumah", HOUSE_OWNERSHIP),
    ("floor", "Lantai", FLOORS),
    ("wall", "Dinding", WALLS),
    ("roof", "Atap", ROOFS),
    ("water_source", "Air minum", WATER_SOURCES),
    ("toilet", "Jamban", TOILETS),
]


@dataclass
class MemberRow:
    """A surveyed member next to the registry person with the same NIK."""

    member: SurveyMember
    person: Person | None
    changed: set[str] = field(default_factory=set)


@dataclass
class Comparison:
    """Everything staff need to judge a survey against the registry."""

    household: Household | None
    household_rows: list[tuple[str, str, str, bool]]
    members: list[MemberRow]
    gone: list[Person]
    findings: list[Finding]

    @property
    def flag_count(self) -> int:
        return sum(f.is_flag for f in self.findings)


def _presence_of(person: Person) -> str:
    if person.status != PersonStatus.HIDUP:
        return person.status
    return "pendatang" if person.residence == Residence.PENDATANG else "tinggal"


def _label(mapping: dict, value) -> str:
    return mapping.get(value, value) if value else "-"


def _household_rows(
    survey: Survey, household: Household | None, rt_labels: dict[int, str]
) -> list[tuple[str, str, str, bool]]:
    rows = [
        (
            "RT/RW",
            rt_labels.get(household.rt_id, "") if household else "-",
            rt_labels.get(survey.rt_id, ""),
        )
    ]
    rows.append(("Alamat", household.address if household else "-", survey.address))
    for key, label, mapping in HOUSING:
        rows.append(
            (
                label,
                _label(mapping, getattr(household, key, None)),
                _label(mapping, getattr(survey, key)),
            )
        )
    rows.append(
        (
            "Listrik (VA)",
            str(household.electricity_va)
            if household and household.electricity_va is not None
            else "-",
            str(survey.electricity_va) if survey.electricity_va is not None else "-",
        )
    )
    return [
        (label, before, after, household is not None and before != after)
        for label, before, after in rows
    ]


def _member_row(
    member: SurveyMember, person: Person | None, household_id: int | None, findings: list[Finding]
) -> MemberRow:
    row = MemberRow(member, person)
    who = member.name
    if person is None:
        findings.append(Finding("new_member", f"Anggota baru: {who}."))
        return row
    if person.household_id != household_id:
        findings.append(Finding("nik_elsewhere", person.nik or "", person.household_id))
        if household_id is not None:
            findings.append(Finding("new_member", f"Anggota baru di KK ini: {who}."))
    if person.name.strip().upper() != member.name.strip().upper():
        row.changed.add("name")
        findings.append(Finding("name_changed", f"Nama berubah: {person.name} → {member.name}."))
    if (person.sex, person.birth_date) != (member.sex, member.birth_date):
        row.changed.add("birth")
        findings.append(
            Finding(
                "identity_changed", f"Jenis kelamin/tanggal lahir {who} berbeda dengan registri."
            )
        )
    if person.monthly_income != member.monthly_income:
        row.changed.add("income")
        findings.append(
            Finding(
                "income_changed",
                f"Penghasilan {who} berubah: "
                f"{rupiah(person.monthly_income)} → {rupiah(member.monthly_income)}.",
            )
        )
    if _presence_of(person) != member.presence:
        row.changed.add("presence")
        kinds = {PersonStatus.PINDAH: "moved", PersonStatus.MENINGGAL: "deceased"}
        findings.append(
            Finding(
                kinds.get(member.presence, "presence_changed"),
                f"{who}: {PRESENCES[member.presence]} (registri: "
                f"{PRESENCES[_presence_of(person)]}).",
            )
        )
    return row


def compare(
    session: Session, survey: Survey, viewer: User | None = None, actor: Actor | None = None
) -> Comparison:
    """Differences and duplicates of survey against the registry, in a handful of queries.

    Only records the viewer may see lend their values: a KK or NIK outside a volunteer's
    RTs reads as new to them (the same words as a KK nobody registered), and a record of
    another kelurahan is, even for staff, only named as being there. Staff are told about
    those (and each telling is logged with actor); without a viewer (at submission) the
    comparison sees everything, for the stored flags.
    """
    findings: list[Finding] = []
    volunteer = viewer is not None and viewer.is_volunteer
    household = registry_household(session, survey)
    if household is not None and household.id not in visible_ids(
        session, Household, {household.id}, viewer
    ):
        household = None
    elsewhere_id = None if volunteer else kk_elsewhere_id(session, survey)
    if elsewhere_id is not None and household is None:
        findings.append(Finding("kk_elsewhere", "Nomor KK ini terdaftar di kelurahan lain."))
    niks = [m.nik for m in survey.members if m.nik]
    everyone = list(session.scalars(sa.select(Person).where(Person.nik.in_(niks))))
    visible = visible_ids(session, Person, {p.id for p in everyone}, viewer)
    persons = {p.nik: p for p in everyone if p.id in visible}
    foreign = [] if volunteer else [p for p in everyone if p.id not in visible]
    rt_ids = {survey.rt_id} | ({household.rt_id} if household else set())
    rt_labels = {
        rt.id: rt.label
        for rt in session.scalars(
            sa.select(Rt).where(Rt.id.in_(rt_ids)).options(selectinload(Rt.rw))
        )
    }
    if household is None and survey.kk_number:
        findings.append(
            Finding(
                "new_household",
                "KK baru: belum ada di registri wilayah Anda."
                if volunteer
                else "KK baru: belum ada di registri.",
            )
        )
    elif household is not None and household.rt_id != survey.rt_id:
        findings.append(
            Finding(
                "rt_changed",
                f"Beda RT: registri {rt_labels[household.rt_id]}, "
                f"survei {rt_labels[survey.rt_id]}.",
            )
        )
    household_id = household.id if household else None
    rows = [
        _member_row(m, persons.get(m.nik) if m.nik else None, household_id, findings)
        for m in survey.members
    ]
    for person in foreign:
        findings.append(
            Finding(
                "nik_elsewhere",
                f"NIK {mask_nik(person.nik or '')} terdaftar di kelurahan lain.",
            )
        )
    for member in survey.members:
        if not member.nik:
            findings.append(Finding("no_nik", f"{member.name} tercatat tanpa KTP/NIK."))
        elif member.mismatch_confirmed:
            findings.append(
                Finding(
                    "mismatch_confirmed",
                    f"{member.name}: tanggal lahir/jenis kelamin dikonfirmasi berbeda dengan NIK.",
                )
            )
    surveyed = set(niks)
    gone = (
        list(
            session.scalars(
                sa.select(Person)
                .where(Person.household_id == household.id, Person.status == PersonStatus.HIDUP)
                .order_by(Person.id)
            )
        )
        if household
        else []
    )
    nikless = {m.name.upper() for m in survey.members if not m.nik}
    gone = [p for p in gone if (p.nik not in surveyed if p.nik else p.name.upper() not in nikless)]
    for person in gone:
        findings.append(
            Finding("member_gone", f"Anggota di registri tidak ada di survei: {person.name}.")
        )
    findings.extend(surveyed_elsewhere(session, survey, viewer))
    describe_links(session, findings, viewer)
    if viewer is not None and not volunteer and actor is not None:
        told_kk = elsewhere_id if household is None else None
        log_elsewhere(session, survey, viewer, actor, told_kk, foreign)
    return Comparison(
        household, _household_rows(survey, household, rt_labels), rows, gone, findings
    )
