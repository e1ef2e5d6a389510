"""NIK and KK rules, by example and by property."""

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nutera.identity import (
    IdentityError,
    is_known_region,
    is_plain_number,
    is_valid_kk_issue,
    mask_name,
    mask_nik,
    nik_birth_facts,
    parse_kk,
    parse_nik,
)

TODAY = date(2026, 11, 22)


def test_valid_female_nik_is_decoded():
    info = parse_nik("3273024501900001", today=TODAY)
    assert info.nik == "3273024501900001"
    assert (info.province_code, info.regency_code, info.district_code) == ("32", "73", "02")
    assert info.birth_date == date(1990, 1, 5)
    assert info.sex == "P"
    assert info.serial == "0001"
    assert info.region_name == "Kota Bandung, Jawa Barat"


def test_valid_male_nik_born_this_century():
    info = parse_nik("3273021703150002", today=TODAY)
    assert info.sex == "L"
    assert info.birth_date == date(2015, 3, 17)


@pytest.mark.parametrize(
    "pasted",
    [
        "'3273024501900001",
        "3273 0245 0190 0001",
        "32.73.02.450190.0001",
        "3273-0245-0190-0001",
        "  3273024501900001  ",
        "\u20193273024501900001",
    ],
)
def test_separators_and_excel_apostrophe_are_accepted(pasted):
    assert parse_nik(pasted, today=TODAY).nik == "3273024501900001"


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("3.27301E+15", "notasi ilmiah"),
        ("3,27302E+15", "notasi ilmiah"),
        ("3273024501900", "harus 16 digit, yang tertulis 13"),
        ("32730245019000011", "harus 16 digit, yang tertulis 17"),
        ("32730245O1900001", "hanya boleh berisi angka"),
        ("", "wajib diisi"),
        (None, "wajib diisi"),
        ("3273023201900001", "angka hari 32"),
        ("3273027201900001", "angka hari 72"),
        ("3273020001900001", "angka hari 00"),
        ("3273024513900001", "bulan 13"),
        ("3273023102900001", "tidak ada di kalender"),  # 31 February
        ("3273026902010001", "tidak ada di kalender"),  # 29 February 2001 (woman)
        ("9973024501900001", "Kode provinsi 99"),
        ("3299024501900001", "Kode kabupaten/kota 32.99"),
        ("3273024501900000", "0000"),
    ],
)
def test_bad_nik_is_rejected_with_indonesian_reason(text, fragment):
    with pytest.raises(IdentityError) as error:
        parse_nik(text, today=TODAY)
    assert fragment in str(error.value)
    assert isinstance(error.value, ValueError)


def test_scientific_notation_message_explains_lost_digits():
    with pytest.raises(IdentityError, match="Excel sudah menghilangkan digit"):
        parse_nik("3.27301E+15")


def test_leap_day_resolves_to_a_leap_year():
    assert parse_nik("3273022902000001", today=TODAY).birth_date == date(2000, 2, 29)


def test_future_year_falls_back_to_last_century():
    # '30' would be 2030 (future), so it is 1930.
    assert parse_nik("3273020101300001", today=TODAY).birth_date == date(1930, 1, 1)


def test_kk_is_validated():
    info = parse_kk("3273021201150003", today=TODAY)
    assert info.kk == "3273021201150003"
    assert info.issued_on == date(2015, 1, 12)
    for bad, fragment in [
        ("32730212011500AB", "hanya boleh berisi angka"),
        ("327302120115000", "16 digit"),
        ("3273023501150003", "Tanggal terbit"),
        ("3273021201150000", "0000"),
        ("9973021201150003", "Kode provinsi"),
    ]:
        with pytest.raises(IdentityError, match=fragment):
            parse_kk(bad, today=TODAY)
    with pytest.raises(IdentityError, match="Nomor KK"):
        parse_kk("3.27302E+15")


def test_masking():
    assert mask_name("SITI AMINAH") == "SIT* AMI***"
    assert mask_name("Siti  Aminah Binti Ali") == "Sit* Ami*** Bin** Al*"
    assert mask_nik("3273024501900001") == "327302******0001"


# --- properties -------------------------------------------------------------------------

births = st.dates(min_value=TODAY - timedelta(days=365 * 99), max_value=TODAY)
regions = st.sampled_from(["327302", "317101", "110101", "520101", "917101"])


@st.composite
def niks(draw):
    birth, sex, region = draw(births), draw(st.sampled_from("LP")), draw(regions)
    serial = draw(st.integers(1, 9999))
    day = birth.day + (40 if sex == "P" else 0)
    return f"{region}{day:02d}{birth:%m%y}{serial:04d}", birth, sex


@given(niks())
def test_every_valid_nik_round_trips(generated):
    nik, birth, sex = generated
    info = parse_nik(nik, today=TODAY)
    assert info.nik == nik
    assert info.sex == sex
    assert info.birth_date == birth


@given(niks(), st.lists(st.sampled_from([" ", ".", "-"]), min_size=1, max_size=5), st.data())
def test_separators_never_change_the_result(generated, separators, data):
    nik = generated[0]
    positions = sorted(
        data.draw(st.lists(st.integers(1, 15), min_size=len(separators), max_size=len(separators)))
    )
    decorated = nik
    for offset, (pos, sep) in enumerate(zip(positions, separators, strict=False)):
        decorated = decorated[: pos + offset] + sep + decorated[pos + offset :]
    assert parse_nik(decorated, today=TODAY).nik == nik


@given(st.text(alphabet="0123456789", max_size=30).filter(lambda s: len(s) != 16))
def test_wrong_length_is_always_rejected(digits):
    with pytest.raises(IdentityError):
        parse_nik(digits, today=TODAY)


@given(st.text(max_size=40))
def test_arbitrary_text_never_crashes(text):
    try:
        info = parse_nik(text, today=TODAY)
    except IdentityError as error:
        assert str(error)
    else:
        assert len(info.nik) == 16 and info.nik.isdigit()


# Region prefixes that exist and that do not, dates that are valid and that are not.
SIXTEEN_DIGITS = st.builds(
    lambda region, district, day, month, yy, serial: f"{region}{district}{day}{month}{yy}{serial}",
    st.sampled_from(["3273", "3204", "3100", "9973", "3299", "1101"]),
    st.sampled_from(["01", "02", "00", "99"]),
    st.sampled_from([f"{d:02d}" for d in (0, 1, 5, 17, 29, 30, 31, 32, 41, 45, 69, 70, 71, 72)]),
    st.sampled_from([f"{m:02d}" for m in (0, 1, 2, 6, 12, 13)]),
    st.sampled_from(["00", "01", "25", "26", "27", "88", "99"]),
    st.sampled_from(["0000", "0001", "9999"]),
)


@settings(max_examples=2000)
@given(SIXTEEN_DIGITS)
def test_bulk_shortcuts_agree_with_parse_nik_and_parse_kk(number):
    # The parts the refresh fast path composes, composed as it does.
    plain = is_plain_number(number) and is_known_region(number[:4])
    nik_facts = nik_birth_facts(number[6:12], TODAY) if plain else None
    valid_kk = bool(plain and is_valid_kk_issue(number[6:12], TODAY))
    try:
        info = parse_nik(number, today=TODAY)
        expected = (info.sex, info.birth_date)
    except IdentityError:
        expected = None
    assert nik_facts == expected
    try:
        parse_kk(number, today=TODAY)
        accepted = True
    except IdentityError:
        accepted = False
    assert valid_kk is accepted


def test_bulk_shortcuts_take_only_plain_digits():
    for text in (" 3273024501900001", "3273 0245 0190 0001", "'3273024501900001"):
        assert parse_nik(text, today=TODAY)
        assert not is_plain_number(text)
    assert is_plain_number("3273020106150001") and not is_plain_number("3273020106150000")
