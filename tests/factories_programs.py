"""Builders for program pages, rules and households with surveyed attributes."""

from datetime import date

from sqlalchemy.orm import Session

from nutera.models import AidProgram, Household, Rt
from nutera.programs import services
from tests import factories

TODAY = date(2026, 11, 1)
UMR = 1_300_000
POOR_NOT_ASN = {
    "all": [
        {"attr": "income_per_capita", "op": "le", "value": {"setting": "umr"}},
        {"attr": "has_asn_tni_polri", "op": "eq", "value": False},
    ]
}


def program_with_rule(
    session: Session,
    kelurahan,
    code: str = "BPNT",
    tree: dict | None = None,
    target: str = "household",
    umr: int | None = UMR,
) -> AidProgram:
    """A program with a public page and one rule version; sets the kelurahan UMR."""
    program = factories.make_program(session, kelurahan, code, target=target)
    services.save_program(
        session,
        program,
        {
            "benefit": f"Manfaat {code}",
            "audience": "Keluarga rentan",
            "criteria_html": "<ul><li>Penghasilan rendah</li></ul>",
            "documents_html": "<p>KTP</p>",
            "schedule": "Tiap bulan",
            "contact": "Kantor kelurahan",
        },
    )
    services.save_rule(session, program, tree or POOR_NOT_ASN, None, "awal")
    if umr is not None:
        services.set_umr(session, kelurahan.id, umr)
    return program


def surveyed_household(session: Session, rt: Rt, members: list[dict], **housing) -> Household:
    """A household whose members carry survey attributes (income, occupation, ...).

    members: dicts of make_person arguments plus Person attributes such as
    monthly_income, occupation, disability, is_asn_tni_polri, has_ktp.
    """
    person_keys = {"name", "sex", "birth_date", "relation", "status", "nik"}
    household = factories.make_household(
        session, rt, [{k: v for k, v in m.items() if k in person_keys} for m in members]
    )
    for person, spec in zip(household.members, members, strict=False):
        for key, value in spec.items():
            if key not in person_keys:
                setattr(person, key, value)
    for key, value in housing.items():
        setattr(household, key, value)
    session.flush()
    return household
