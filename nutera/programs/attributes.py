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


# Age bands of the composition facts, in completed years (inclusive). School ages follow
# the usual entry ages: SD 7-12, SMP 13-15, SMA/SMK 16-18; early childhood is 0-6.
AGE_BANDS = {
    "has_child_0_6": (0, 6),
    "has_child_sd": (7, 12),
    "has_child_smp": (13, 15),
    "has_child_sma": (16, 18),
}
SCHOOL_AGES = (7, 18)
ELDERLY_AGE, PKH_ELDERLY_AGE = 60, 70


def _any_known(values: list[bool | None]) -> bool | None:
    """True if any is true; None if none is true but some are unknown; else False."""
    if any(v is True for v in values):
        return True
    return None if any(v is None for v in values) else False


def composition(living: list[Any], ages: list[int]) -> dict[str, Any]:
    """The composition facts program criteria ask about (PKH components), per household.

    Pregnancy and disability not recorded count as absent, as the registry has always
    treated disability; school attendance and disability severity not recorded are
    unknown, so a school-age child whose attendance nobody asked gives no verdict.
    """
    facts: dict[str, Any] = {
        name: any(low <= a <= high for a in ages) for name, (low, high) in AGE_BANDS.items()
    }
    low, high = SCHOOL_AGES
    facts["has_student"] = _any_known(
        [
            getattr(m, "in_school", None)
            for m, a in zip(living, ages, strict=True)
            if low <= a <= high
        ]
    )
    facts["has_pregnant"] = any(getattr(m, "maternity", None) for m in living)
    facts["has_elderly_70"] = any(a >= PKH_ELDERLY_AGE for a in ages)
    facts["has_severe_disability"] = _any_known(
        [
            None
            if getattr(m, "disability_severity", None) is None
            else m.disability_severity == "berat"
            for m in living
            if m.disability
        ]
    )
    return facts


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
        "has_elderly": any(a >= ELDERLY_AGE for a in ages),
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
        "desil": getattr(household, "desil", None),
        **composition(living, ages),
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
