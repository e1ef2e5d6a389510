"""The fairness indicators on a small hand-made kelurahan whose answers are worked out here."""

from datetime import UTC, date, datetime, timedelta

import pytest

from nutera.equity.indicators import program_indicators, recent_cutoff
from nutera.equity.measures import gini
from nutera.extensions import db
from nutera.programs.services import save_rule
from tests import factories
from tests.factories_programs import surveyed_household

NOW = datetime(2026, 11, 15, 3, 0, tzinfo=UTC)
TODAY = date(2026, 11, 15)
LOW_DECILE_NOT_ASN = {
    "all": [
        {"attr": "desil", "op": "le", "value": 4},
        {"attr": "has_asn_tni_polri", "op": "eq", "value": False},
    ]
}
ADULT = {"name": "KEPALA", "relation": "kepala", "birth_date": date(1980, 1, 1)}


def _household(rt, desil, *, asn=False, status="hidup", verified=None, confirmed=None):
    household = surveyed_household(
        db.session, rt, [{**ADULT, "is_asn_tni_polri": asn, "status": status}]
    )
    household.desil = desil
    household.verified_at = verified
    household.refresh_confirmed_at = confirmed
    return household


@pytest.fixture
def small_kelurahan(app_ctx):
    """RW 01: A-E, RW 02: F-I; one BPNT rule: desil 1-4 and no ASN/TNI/POLRI member."""
    kelurahan = factories.make_kelurahan(db.session, "3273021099", "Uji", rts_per_rw=(1, 1))
    program = factories.make_program(db.session, kelurahan, "BPNT")
    save_rule(db.session, program, LOW_DECILE_NOT_ASN, None)
    rw1, rw2 = factories.rt_of(kelurahan, 1, 1), factories.rt_of(kelurahan, 2, 1)
    month = timedelta(days=30)
    a = _household(rw1, 2, verified=NOW - month)  # eligible, receiving
    _household(rw1, 3, verified=NOW - 8 * month)  # eligible, not receiving (data stale)
    c = _household(rw1, 7)  # receiving, not eligible
    _household(rw1, None)  # unknown: no decile
    _household(rw1, 1, asn=True)  # ASN member: not eligible
    f = _household(rw2, 1, confirmed=NOW - 2 * month)  # eligible, receiving
    g = _household(rw2, 4)  # eligible, receiving
    h = _household(rw2, 2, status="meninggal")  # receiving, nobody living: wrongly included
    _household(rw2, 9)  # not eligible, not receiving
    for household in (a, c, f, g, h):
        factories.enroll(db.session, program, household)
    factories.enroll(db.session, program, _household(rw2, 8), status="berakhir")  # ended
    db.session.commit()
    return kelurahan, program


def test_each_indicator_on_a_hand_made_kelurahan(small_kelurahan):
    kelurahan, program = small_kelurahan
    [bpnt] = program_indicators(db.session, kelurahan.id, TODAY, NOW)
    rw1, rw2 = bpnt.rws
    # RW 01: households A-E; eligible A, B; receiving A, C; covered A; C wrongly; D unknown.
    assert (rw1.counts.households, rw1.counts.eligible, rw1.counts.recipients) == (5, 2, 2)
    assert (rw1.counts.covered, rw1.counts.wrongly_included, rw1.counts.unknown) == (1, 1, 1)
    # RW 02: F, G, I living (+ J ended); eligible F, G; receiving F, G, H; H has nobody living.
    assert (rw2.counts.households, rw2.counts.eligible, rw2.counts.recipients) == (4, 2, 3)
    assert (rw2.counts.covered, rw2.counts.wrongly_included, rw2.counts.unknown) == (2, 1, 0)
    total = bpnt.total
    assert total.coverage == pytest.approx(3 / 4)  # A, F, G of A, B, F, G
    assert total.exclusion_error == pytest.approx(1 / 4)  # B
    assert total.inclusion_error == pytest.approx(2 / 5)  # C, H of A, C, F, G, H
    # Coverage RW 01 = 1/2, RW 02 = 2/2; Gini = (2 x 0.5) / (2 x 2^2 x 0.75) = 1/6.
    assert bpnt.gini == pytest.approx(1 / 6)
    assert bpnt.lowest_rw == (1, 0.5) and bpnt.highest_rw == (2, 1.0)
    # Recent data: A (survey 1 month ago) and F (refresh 2 months ago) of 9 living households.
    assert total.households == 9 and total.recent == 2
    assert total.recent_share == pytest.approx(2 / 9)


def test_gini_of_equal_and_of_concentrated_coverage():
    assert gini([0.6, 0.6, 0.6]) == 0
    # One RW of four has everything: G = (n - 1) / n = 0.75.
    assert gini([0, 0, 0, 1.0]) == pytest.approx(0.75)
    assert gini([]) is None


def test_recent_cutoff_is_six_calendar_months():
    assert recent_cutoff(datetime(2026, 8, 31, tzinfo=UTC)) == datetime(2026, 2, 28, tzinfo=UTC)
    assert recent_cutoff(datetime(2026, 3, 15, tzinfo=UTC)) == datetime(2025, 9, 15, tzinfo=UTC)


def test_a_person_program_counts_households_through_their_members(app_ctx):
    from nutera.models import Enrollment

    kelurahan = factories.make_kelurahan(db.session, "3273021097", "Uji", rts_per_rw=(1,))
    program = factories.make_program(db.session, kelurahan, "ASLUT", target="person")
    save_rule(db.session, program, {"all": [{"attr": "age", "op": "ge", "value": 60}]}, None)
    rt = factories.rt_of(kelurahan, 1, 1)
    old = {"name": "LANSIA", "relation": "kepala", "birth_date": date(1960, 1, 1)}
    young = {"name": "MUDA", "relation": "kepala", "birth_date": date(1996, 1, 1)}
    a = surveyed_household(db.session, rt, [old])  # eligible, the elder receives
    surveyed_household(db.session, rt, [old, young])  # eligible, nobody receives
    c = surveyed_household(db.session, rt, [young])  # receives, not eligible
    for household in (a, c):
        db.session.add(
            Enrollment(
                kelurahan_id=kelurahan.id,
                program_id=program.id,
                person_id=household.members[0].id,
                period_start=date(2026, 1, 1),
            )
        )
    db.session.commit()
    [aslut] = program_indicators(db.session, kelurahan.id, TODAY, NOW)
    t = aslut.total
    assert (t.households, t.eligible, t.recipients, t.covered, t.wrongly_included) == (
        3,
        2,
        2,
        1,
        1,
    )


def test_a_person_attribute_in_a_household_rule_is_unknown_not_an_error(small_kelurahan):
    kelurahan, program = small_kelurahan
    save_rule(db.session, program, {"all": [{"attr": "age", "op": "ge", "value": 60}]}, None)
    db.session.commit()
    [bpnt] = program_indicators(db.session, kelurahan.id, TODAY, NOW)
    assert bpnt.total.eligible == 0 and bpnt.total.unknown == bpnt.total.households == 9
