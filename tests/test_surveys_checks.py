"""Checks that need no database: NIK against birth date and sex, duplicates, periods."""

from datetime import date

from nutera.surveys.checks import duplicate_niks, member_problems, period_label, period_of
from tests.factories import make_nik


def test_matching_nik_has_no_problem():
    nik = make_nik(date(1990, 5, 17), "P")
    assert member_problems({"nik": nik, "sex": "P", "birth_date": date(1990, 5, 17)}) == {}


def test_birth_date_differing_from_nik_is_an_error_on_the_birth_date():
    nik = make_nik(date(1990, 5, 17), "L")
    problems = member_problems({"nik": nik, "sex": "L", "birth_date": date(1990, 5, 18)})
    assert set(problems) == {"birth_date"}
    assert "17-05-1990" in problems["birth_date"]


def test_sex_differing_from_nik_is_an_error_on_the_sex():
    nik = make_nik(date(1990, 5, 17), "P")
    problems = member_problems({"nik": nik, "sex": "L", "birth_date": date(1990, 5, 17)})
    assert problems == {"sex": problems["sex"]} and "perempuan" in problems["sex"]


def test_confirmed_mismatch_is_accepted():
    nik = make_nik(date(1990, 5, 17), "L")
    assert (
        member_problems(
            {"nik": nik, "sex": "P", "birth_date": date(1991, 1, 1), "confirm_mismatch": True}
        )
        == {}
    )


def test_invalid_nik_says_why_in_indonesian():
    assert "16 digit" in member_problems({"nik": "12345"})["nik"]
    assert "tidak mungkin" in member_problems({"nik": "3273029913850001"})["nik"]


def test_nik_may_be_left_out_only_for_someone_without_ktp():
    assert "wajib diisi" in member_problems({"nik": ""})["nik"]
    assert member_problems({"nik": "", "no_ktp": True}) == {}


def test_same_nik_twice_is_reported_on_the_later_row():
    nik = make_nik()
    duplicates = duplicate_niks([{"nik": nik}, {"nik": ""}, {"nik": nik}])
    assert list(duplicates) == [2] and "anggota ke-1" in duplicates[2]


def test_periods_are_calendar_quarters():
    assert period_of(date(2026, 11, 22)) == "2026-Q4"
    assert period_of(date(2026, 1, 1)) == "2026-Q1"
    assert period_label("2026-Q4") == "Triwulan IV 2026"


def test_birth_date_is_checked_even_before_sex_is_chosen():
    nik = make_nik(date(1985, 3, 14), "L")
    assert set(member_problems({"nik": nik, "sex": "", "birth_date": date(1985, 3, 15)})) == {
        "birth_date"
    }


def test_unknown_district_is_a_warning_the_volunteer_can_confirm():
    member = {"nik": "3273994501900001", "birth_date": date(1990, 1, 5), "sex": "P"}
    problems = member_problems(member, today=date(2026, 11, 22))
    assert "Kode kecamatan 32.73.99" in problems["nik"]
    assert member_problems({**member, "confirm_mismatch": True}, today=date(2026, 11, 22)) == {}
