"""Compare a survey with what the registry holds for its KK and NIKs, and catch duplicates."""

from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from nutera.formatting import rupiah
from nutera.identity import mask_nik
from nutera.models import (
    FLOORS,
    HOUSE_OWNERSHIP,
    PRESENCES,
    ROOFS,
    SENT,
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
from nutera.scoping import visible_to

# Findings that make a survey need a careful look (it cannot be approved in bulk).
FLAG_KINDS = {"nik_elsewhere", "no_nik", "mismatch_confirmed", "kk_elsewhere", "kk_surveyed"}
HOUSING = [
    ("ownership", "Status rumah", HOUSE_OWNERSHIP),
    ("floor", "Lantai", FLOORS),
    ("wall", "Dinding", WALLS),
    ("roof", "Atap", ROOFS),
    ("water_source", "Air minum", WATER_SOURCES),
    ("toilet", "Jamban", TOILETS),
]


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


def compare(session: Session, survey: Survey, viewer: User | None = None) -> Comparison:
    """Differences and duplicates of survey against the registry, in a handful of queries."""
    findings: list[Finding] = []
    household = (
        session.scalar(sa.select(Household).where(Household.kk_number == survey.kk_number))
        if survey.kk_number
        else None
    )
    if household is not None and household.kelurahan_id != survey.kelurahan_id:
        findings.append(Finding("kk_elsewhere", "Nomor KK ini terdaftar di kelurahan lain."))
        household = None
    niks = [m.nik for m in survey.members if m.nik]
    persons = {p.nik: p for p in session.scalars(sa.select(Person).where(Person.nik.in_(niks)))}
    rt_ids = {survey.rt_id} | ({household.rt_id} if household else set())
    rt_labels = {
        rt.id: rt.label
        for rt in session.scalars(
            sa.select(Rt).where(Rt.id.in_(rt_ids)).options(selectinload(Rt.rw))
        )
    }
    if household is None and survey.kk_number:
        findings.append(Finding("new_household", "KK baru: belum ada di registri."))
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
    findings.extend(_kk_surveyed_elsewhere(session, survey))
    _describe_links(session, findings, viewer)
    return Comparison(
        household, _household_rows(survey, household, rt_labels), rows, gone, findings
    )


def _kk_surveyed_elsewhere(session: Session, survey: Survey) -> list[Finding]:
    others = session.execute(
        sa.select(Survey.id, User.full_name)
        .join(User, Survey.volunteer_id == User.id)
        .where(
            Survey.kk_number == survey.kk_number,
            Survey.period == survey.period,
            Survey.id != survey.id,
            Survey.status.in_(SENT),
        )
    ).all()
    return [
        Finding(
            "kk_surveyed",
            f"KK ini sudah didata periode ini oleh {name} (survei #{other_id}).",
            survey_id=other_id,
        )
        for other_id, name in others
    ]


def _describe_links(session: Session, findings: list[Finding], viewer: User | None) -> None:
    """Keep links the viewer may follow; mask the other household otherwise."""
    elsewhere = [f for f in findings if f.kind == "nik_elsewhere"]
    ids = {f.household_id for f in elsewhere} - {None}
    households = {
        h.id: h for h in session.scalars(sa.select(Household).where(Household.id.in_(ids)))
    }
    visible = (
        set(households)
        if viewer is None
        else set(
            session.scalars(
                sa.select(Household.id).where(Household.id.in_(ids), visible_to(Household, viewer))
            )
        )
    )
    for finding in elsewhere:
        other = households.get(finding.household_id)
        nik = finding.text
        if other is not None and finding.household_id in visible:
            finding.text = f"NIK {nik} sudah terdaftar di KK {other.kk_number}."
        else:
            finding.household_id = None
            finding.text = (
                f"NIK {mask_nik(nik)} sudah terdaftar di KK lain di luar wilayah Anda."
                if other
                else f"NIK {mask_nik(nik)} tercatat tanpa KK."
            )
    if viewer is not None:
        survey_ids = {f.survey_id for f in findings if f.survey_id}
        visible_surveys = set(
            session.scalars(
                sa.select(Survey.id).where(Survey.id.in_(survey_ids), visible_to(Survey, viewer))
            )
        )
        for finding in findings:
            if finding.survey_id and finding.survey_id not in visible_surveys:
                finding.survey_id = None
