"""Composition facts in the rule engine, and the SQL rules agreeing with the Python ones."""

from datetime import UTC, date, datetime
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from nutera.equity import sqlrules
from nutera.extensions import db
from nutera.models import Household
from nutera.programs import rules
from nutera.programs.attributes import household_context
from nutera.programs.services import DEFAULTS
from tests import factories
from tests.factories_programs import surveyed_household

TODAY = date(2026, 11, 15)


def _member(born, **extra):
    return SimpleNamespace(
        status="hidup",
        relation=extra.pop("relation", "anak"),
        birth_date=born,
        monthly_income=extra.pop("monthly_income", None),
        is_asn_tni_polri=extra.pop("is_asn_tni_polri", False),
        disability=extra.pop("disability", None),
        occupation=None,
        residence="tetap",
        maternity=extra.pop("maternity", None),
        in_school=extra.pop("in_school", None),
        disability_severity=extra.pop("disability_severity", None),
    )


def _context(members, desil=None):
    household = SimpleNamespace(
        ownership=None,
        floor=None,
        wall=None,
        roof=None,
        water_source=None,
        toilet=None,
        electricity_va=None,
        desil=desil,
    )
    return household_context(household, members, TODAY)


HEAD = _member(date(1980, 1, 1), relation="kepala")


def test_age_bands_count_completed_years():
    context = _context(
        [
            HEAD,
            _member(date(2019, 11, 16)),  # 6 until tomorrow: early childhood
            _member(date(2014, 11, 15)),  # 12 today: SD age
            _member(date(2010, 11, 16), in_school=True),  # 15: SMP age, in school
            _member(date(2007, 11, 16)),  # 18: SMA age
            _member(date(1956, 11, 15)),  # 70 today
        ]
    )
    assert context["has_child_0_6"] and context["has_child_sd"] and context["has_child_smp"]
    assert context["has_child_sma"] and context["has_elderly_70"] and context["has_elderly"]
    assert context["has_student"] is True


def test_school_attendance_not_asked_is_unknown_and_out_of_school_is_false():
    assert _context([HEAD, _member(date(2015, 1, 1))])["has_student"] is None
    assert _context([HEAD, _member(date(2015, 1, 1), in_school=False)])["has_student"] is False
    assert _context([HEAD])["has_student"] is False  # no school-age child at all


def test_pregnancy_and_severe_disability():
    assert _context([HEAD, _member(date(1995, 1, 1), maternity="nifas")])["has_pregnant"]
    assert not _context([HEAD])["has_pregnant"]
    severe = _member(date(1990, 1, 1), disability="fisik", disability_severity="berat")
    mild = _member(date(1990, 1, 1), disability="netra", disability_severity="ringan")
    unsure = _member(date(1990, 1, 1), disability="netra")
    assert _context([HEAD, severe])["has_severe_disability"] is True
    assert _context([HEAD, mild])["has_severe_disability"] is False
    assert _context([HEAD, unsure])["has_severe_disability"] is None


def test_pkh_default_rule_needs_low_decile_and_a_component():
    tree = DEFAULTS["PKH"]["tree"]
    pregnant = _member(date(1995, 1, 1), maternity="hamil")
    assert rules.evaluate(tree, _context([HEAD, pregnant], desil=3)).eligible is True
    assert rules.evaluate(tree, _context([HEAD, pregnant], desil=6)).eligible is False
    assert rules.evaluate(tree, _context([HEAD], desil=1)).eligible is False  # no component
    verdict = rules.evaluate(tree, _context([HEAD, pregnant]))
    assert verdict.eligible is None and "desil" in verdict.explanation
    asn = _member(date(1985, 1, 1), is_asn_tni_polri=True)
    assert rules.evaluate(tree, _context([HEAD, pregnant, asn], desil=2)).eligible is False


def test_defaults_cite_their_legal_basis():
    assert "Permensos No. 1 Tahun 2018" in DEFAULTS["PKH"]["criteria_html"]
    assert "desil 1 sampai 4" in DEFAULTS["BPNT"]["criteria_html"]
    assert "Kepmensos" in DEFAULTS["BST"]["criteria_html"]


SPECS = [
    (2, [{"maternity": "hamil", "sex": "P", "birth_date": date(1996, 4, 1)}]),
    (2, [{"birth_date": date(2015, 3, 1)}]),  # SD age, attendance not asked: unknown
    (3, [{"birth_date": date(2015, 3, 1), "in_school": True}]),
    (4, [{"birth_date": date(2010, 3, 1), "in_school": False}]),
    (1, [{"birth_date": date(1950, 3, 1)}]),  # 76
    (1, [{"birth_date": date(1960, 3, 1)}]),  # 66: elderly but not 70
    (2, [{"disability": "fisik", "disability_severity": "berat"}]),
    (2, [{"disability": "fisik"}]),  # severity not recorded: unknown
    (5, [{"maternity": "hamil", "sex": "P", "birth_date": date(1996, 4, 1)}]),
    (None, [{"birth_date": date(2022, 1, 1)}]),
    (1, [{"birth_date": date(2022, 1, 1), "is_asn_tni_polri": True}]),
    (1, []),
]


@pytest.mark.parametrize("code", ["PKH", "BPNT", "BST"])
def test_sql_verdicts_equal_the_python_verdicts(app_ctx, code):
    kelurahan = factories.make_kelurahan(db.session, "3273021098", "Uji")
    rt = factories.rt_of(kelurahan, 1, 1)
    households = []
    for desil, others in SPECS:
        head = {
            "name": "KEPALA",
            "relation": "kepala",
            "birth_date": date(1980, 5, 5),
            "occupation": "buruh harian",
            "monthly_income": 1_500_000,
        }
        members = [head] + [{"name": "ANGGOTA", **m} for m in others]
        household = surveyed_household(db.session, rt, members)
        household.desil = desil
        households.append(household)
    db.session.flush()
    tree = DEFAULTS[code]["tree"]
    facts = sqlrules.household_facts(TODAY, [kelurahan.id])
    verdict = sqlrules.verdict(
        sqlrules.condition(tree, sqlrules.household_attributes(facts), {"umr": 4_000_000}, TODAY)
    )
    found = dict(
        db.session.execute(
            sa.select(Household.id, verdict)
            .join(facts, facts.c.household_id == Household.id)
            .where(Household.kelurahan_id == kelurahan.id)
        ).all()
    )
    for household in households:
        expected = rules.evaluate(
            tree, household_context(household, household.members, TODAY), {"umr": 4_000_000}
        ).eligible
        assert found[household.id] == {True: 1, False: 0, None: None}[expected], household.desil
    assert datetime.now(UTC)
