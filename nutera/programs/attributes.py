"""Turn a household and its members (registry + surveys) into the attributes rules compare."""

from collections.abc import Iterable
from datetime import date
from typing import Any

from nutera.models import PersonStatus


def age_on(birth_date: date, today: date) -> int:
    """Completed years of age on today."""
    return (
        today.year
        - birth_date.year
        - ((today.month, today.day) < (birth_date.month, birth_date.day))
    )


def household_context(household: Any, members: Iterable[Any], today: date) -> dict[str, Any]:
    """Household-level attributes; only living members count, None means not recorded.

    Income per capita is the recorded incomes of living members divided by their number;
    when no living member has an income recorded it is unknown (None), not zero.
    """
    members = list(members)
    living = [m for m in members if m.status == PersonStatus.HIDUP]
    head = next((m for m in living if m.relation == "kepala"), None)
    ages = [age_on(m.birth_date, today) for m in living]
    incomes = [m.monthly_income for m in living if m.monthly_income is not None]
    total = sum(incomes) if incomes else None
    return {
        "member_count": len(living),
        "household_income": total,
        "income_per_capita": round(total / len(living)) if total is not None and living else None,
        "has_asn_tni_polri": any(m.is_asn_tni_polri for m in living),
        "has_disability": any(m.disability for m in living),
        "has_elderly": any(a >= 60 for a in ages),
        "has_school_child": any(6 <= a <= 18 for a in ages),
        "has_toddler": any(a < 5 for a in ages),
        "head_occupation": head.occupation if head else None,
        "head_residence": head.residence if head else None,
        "ownership": household.ownership,
        "floor": household.floor,
        "wall": household.wall,
        "roof": household.roof,
        "water_source": household.water_source,
        "toilet": household.toilet,
        "electricity_va": household.electricity_va,
    }


def person_context(person: Any, household: dict[str, Any], today: date) -> dict[str, Any]:
    """A person's own attributes on top of their household's."""
    return {
        **household,
        "age": age_on(person.birth_date, today),
        "occupation": person.occupation,
        "monthly_income": person.monthly_income,
        "disability": bool(person.disability),
        "is_asn_tni_polri": person.is_asn_tni_polri,
        "has_ktp": person.has_ktp,
        "residence": person.residence,
    }


def inclusion_flags(
    members: Iterable[Any], collector_id: int | None = None, person_id: int | None = None
) -> list[str]:
    """Why an enrolled household or person should be reviewed whatever the rules say."""
    members = list(members)
    flags = []
    if person_id is not None:
        person = next((m for m in members if m.id == person_id), None)
        if person is not None and person.status != PersonStatus.HIDUP:
            flags.append(f"penerima sudah {person.status}")
        return flags
    if members and not any(m.status == PersonStatus.HIDUP for m in members):
        return ["semua anggota keluarga sudah meninggal atau pindah"]
    head = next((m for m in members if m.relation == "kepala"), None)
    if head is not None and head.status != PersonStatus.HIDUP:
        flags.append(f"kepala keluarga sudah {head.status}")
    collector = next((m for m in members if m.id == collector_id), None)
    if collector is not None and collector is not head and collector.status != PersonStatus.HIDUP:
        flags.append(f"pengambil bantuan sudah {collector.status}")
    return flags
