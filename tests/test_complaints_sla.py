"""The service-level clock counts working days only (fixed dates, weekends and holidays)."""

from datetime import date

from nutera.complaints import sla

# November 2026: the 20th is a Friday, 21-22 the weekend, 23 a Monday.
FRI, SAT, SUN, MON = date(2026, 11, 20), date(2026, 11, 21), date(2026, 11, 22), date(2026, 11, 23)


def test_verify_deadline_skips_the_weekend():
    assert sla.verify_deadline(MON) == date(2026, 11, 26)  # Thu
    assert sla.verify_deadline(FRI) == date(2026, 11, 25)  # Mon, Tue, Wed
    assert sla.verify_deadline(SAT) == date(2026, 11, 25)
    assert sla.verify_deadline(SUN) == date(2026, 11, 25)


def test_answer_deadline_is_five_working_days_after_verification():
    assert sla.answer_deadline(MON) == date(2026, 11, 30)  # Tue..Fri + next Mon
    assert sla.answer_deadline(FRI) == date(2026, 11, 27)
    assert sla.answer_deadline(date(2026, 11, 25)) == date(2026, 12, 2)


def test_holidays_do_not_count():
    christmas = date(2026, 12, 25)  # a Friday
    assert sla.verify_deadline(date(2026, 12, 23)) == date(2026, 12, 28)
    assert sla.verify_deadline(date(2026, 12, 23), {christmas}) == date(2026, 12, 29)


def test_working_days_between_counts_both_ways():
    assert sla.working_days_between(FRI, MON) == 1
    assert sla.working_days_between(FRI, SUN) == 0
    assert sla.working_days_between(MON, FRI) == -1
    assert sla.working_days_between(MON, date(2026, 12, 7)) == 10


def test_is_working_day():
    assert sla.is_working_day(FRI) and sla.is_working_day(MON)
    assert not sla.is_working_day(SAT) and not sla.is_working_day(SUN)
    assert not sla.is_working_day(MON, {MON})


def test_parse_holidays_ignores_rubbish():
    assert sla.parse_holidays("2026-12-25, 2026-12-31\nbukan-tanggal 2027-01-01") == {
        date(2026, 12, 25),
        date(2026, 12, 31),
        date(2027, 1, 1),
    }
