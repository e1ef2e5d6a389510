"""Region codes from the vendored Kemendagri list, and how NIK and KK checks use them."""

import csv
from datetime import date
from pathlib import Path

import pytest

from nutera import regions
from nutera.identity import IdentityError, is_known_region, parse_kk, parse_nik

TODAY = date(2026, 11, 22)
DATA = Path(regions.__file__).parent / "data"


def _current_regencies() -> list[tuple[str, str, str]]:
    with open(DATA / "regencies.csv", encoding="utf-8") as handle:
        return [(r["code"], r["province_code"], r["name"]) for r in csv.DictReader(handle)]


def test_vendored_list_is_the_current_one():
    assert (DATA / "VERSION").read_text().strip() == "idn-area-data 4.0.1"
    assert len(regions.provinces()) == 38
    assert len(_current_regencies()) == 514
    assert regions.regency("6571").label == "Kota Tarakan, Kalimantan Utara"
    assert regions.regency("3218").label == "Kabupaten Pangandaran, Jawa Barat"
    assert regions.regency("6411").label == "Kabupaten Mahakam Ulu, Kalimantan Timur"


@pytest.mark.parametrize("code, province, name", _current_regencies())
def test_a_nik_and_kk_of_every_regency_and_city_are_accepted(code, province, name):
    prefix = code.replace(".", "")
    # District 01 exists in every regency; a woman born 05-01-1990; KK issued 06-04-2017.
    nik = parse_nik(f"{prefix}014501900001", today=TODAY)
    kk = parse_kk(f"{prefix}010604170001", today=TODAY)
    expected = f"{name}, {regions.provinces()[province]}"
    assert nik.region_name == expected
    assert kk.region_name == expected
    assert is_known_region(prefix)


@pytest.mark.parametrize(
    "number, fragment",
    [("9901014501900001", "Kode provinsi 99"), ("1957014501900001", "Kode kabupaten/kota 19.57")],
)
def test_codes_naming_no_regency_are_refused_with_the_code(number, fragment):
    with pytest.raises(IdentityError, match=fragment):
        parse_nik(number, today=TODAY)
    with pytest.raises(IdentityError, match=fragment.replace("NIK", "KK")):
        parse_kk(number[:6] + "060417" + number[12:], today=TODAY)
    assert not is_known_region(number[:4])


def test_retired_codes_stay_valid_and_name_their_successor():
    with open(DATA / "retired_regencies.csv", encoding="utf-8") as handle:
        retired = list(csv.DictReader(handle))
    current = {code for code, _, _ in _current_regencies()}
    assert retired
    for row in retired:
        assert row["code"] not in current  # a gap in today's list
        assert row["successor_code"] in current
        successor = regions.regency(row["successor_code"].replace(".", ""))
        assert successor.name.replace("Fak Fak", "Fakfak") == row["name"]
    # An older NIK of Tarakan, issued when it was in East Kalimantan (64.73).
    info = parse_nik("6473014501900001", today=TODAY)
    assert info.region_name == "Kota Tarakan, Kalimantan Utara"
    assert parse_nik("9101014501900001", today=TODAY).region_name.endswith("Papua Selatan")


def test_unknown_district_is_a_warning_not_a_refusal():
    info = parse_nik("3273994501900001", today=TODAY)
    assert info.district_warning is not None
    assert "32.73.99" in info.district_warning
    assert parse_nik("3273094501900001", today=TODAY).district_warning is None
    kk = parse_kk("3273990604170001", today=TODAY)
    assert "32.73.99" in kk.district_warning


def test_village_by_code():
    tamansari = regions.village("3273091002")
    assert (tamansari.name, tamansari.district, tamansari.regency) == (
        "Taman Sari",
        "Bandung Wetan",
        "Kota Bandung",
    )
    assert tamansari.kind == "Kelurahan"
    assert regions.village("32.73.09.1002") == tamansari
    assert regions.village("3273099999") is None


@pytest.mark.parametrize(
    "province, zone",
    [("32", "Asia/Jakarta"), ("64", "Asia/Makassar"), ("51", "Asia/Makassar"),
     ("91", "Asia/Jayapura"), ("81", "Asia/Jayapura"), ("61", "Asia/Jakarta")],
)  # fmt: skip
def test_time_zone_follows_the_province(province, zone):
    assert regions.province_time_zone(province) == zone
