"""NIK and KK number rules: the one place that decides whether an identity number is valid.

A NIK is PPKKCC DDMMYY SSSS: province, regency/city and district codes, the birth date
(40 added to the day for women) and a serial. A KK number has the same region prefix,
then the issue date DDMMYY and a serial.
"""

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from nutera import regions
from nutera.timeutil import local_today


class IdentityError(ValueError):
    """An identity number that cannot be accepted; the message is Indonesian and says why."""


@dataclass(frozen=True)
class NikInfo:
    """A valid NIK and what it encodes."""

    nik: str
    province_code: str
    regency_code: str
    district_code: str
    birth_date: date
    sex: str  # "L" or "P"
    serial: str
    region_name: str

    @property
    def district_warning(self) -> str | None:
        """A message when the district digits name no kecamatan in the list (not a refusal)."""
        return district_warning(self.nik, "NIK")


@dataclass(frozen=True)
class KkInfo:
    """A valid KK (Kartu Keluarga) number and what it encodes."""

    kk: str
    province_code: str
    regency_code: str
    district_code: str
    issued_on: date | None
    serial: str
    region_name: str

    @property
    def district_warning(self) -> str | None:
        """A message when the district digits name no kecamatan in the list (not a refusal)."""
        return district_warning(self.kk, "Nomor KK")


_NO_SERIAL = "0000"
_SCIENTIFIC = re.compile(r"^[+-]?\d+([.,]\d+)?[eE][+-]?\d+$")
_SEPARATORS = re.compile(r"[\s.\-]")


def _digits(text: object, label: str) -> str:
    """Strip what spreadsheets and people add around an identity number, or raise."""
    if text is None:
        raise IdentityError(f"{label} wajib diisi.")
    raw = str(text).strip().lstrip("'\u2018\u2019`").strip()
    if not raw:
        raise IdentityError(f"{label} wajib diisi.")
    if _SCIENTIFIC.match(raw):
        raise IdentityError(
            f"{label} tertulis dalam notasi ilmiah ({raw}): Excel sudah menghilangkan digit "
            f"terakhirnya. Format kolom {label} sebagai Teks lalu ketik ulang "
            "dari dokumen aslinya."
        )
    number = _SEPARATORS.sub("", raw)
    if not number.isdigit():
        raise IdentityError(f"{label} hanya boleh berisi angka (tertulis: {raw}).")
    if len(number) != 16:
        raise IdentityError(f"{label} harus 16 digit, yang tertulis {len(number)} digit.")
    return number


def _region_name(number: str, label: str) -> str:
    """'Kota Tarakan, Kalimantan Utara' for the first four digits, or raise."""
    place = regions.regency(number[:4])
    if place is None:
        if number[:2] not in regions.provinces():
            raise IdentityError(f"Kode provinsi {number[:2]} pada {label} tidak dikenal.")
        raise IdentityError(
            f"Kode kabupaten/kota {number[:2]}.{number[2:4]} pada {label} tidak dikenal "
            f"di provinsi {regions.provinces()[number[:2]]}."
        )
    return place.label


def district_warning(number: str, label: str) -> str | None:
    """A warning when digits 5-6 name no district of the regency in the Kemendagri list."""
    # Only where the list has districts for the regency: a retired code's districts are
    # filed under its successor's code, so they cannot be checked.
    if not regions.has_districts(number[:4]) or regions.district_name(number[:6]):
        return None
    return (
        f"Kode kecamatan {number[:2]}.{number[2:4]}.{number[4:6]} pada {label} tidak ada di "
        "daftar Kemendagri. Periksa kembali; bila KTP/KK memang tertulis demikian, konfirmasi."
    )


def _two_digit_year(yy: int, month: int, day: int, today: date) -> date:
    """Resolve a two-digit year to the most recent past date with that day and month."""
    for century in (2000, 1900):
        year = century + yy
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue
        if candidate <= today:
            return candidate
    raise ValueError


def parse_nik(text: object, today: date | None = None) -> NikInfo:
    """Return the normalised NIK with what it encodes, or raise IdentityError."""
    today = today or local_today()
    nik = _digits(text, "NIK")
    region, sex, birth_date = _nik_facts(nik, today)
    return NikInfo(nik, nik[:2], nik[2:4], nik[4:6], birth_date, sex, nik[12:], region)


def is_plain_number(text: str) -> bool:
    """Whether text is exactly 16 ASCII digits with a serial other than 0000."""
    # Such a NIK or KK number is one parse_nik / parse_kk accept with no clean-up once its
    # region (is_known_region) and date digits (nik_birth_facts, is_valid_kk_issue) are
    # valid. Bulk imports cache these parts; tests/test_identity.py composes them.
    return len(text) == 16 and text.isascii() and text.isdigit() and text[12:] != _NO_SERIAL


@lru_cache(maxsize=4096)
def is_known_region(prefix: str) -> bool:
    """Whether four digits code a province and regency/city parse_nik and parse_kk accept."""
    try:
        _region_name(prefix, "")
    except IdentityError:
        return False
    return True


def nik_birth_facts(digits: str, today: date) -> tuple[str, date] | None:
    """(sex, birth date) of the DDMMYY digits of a NIK, or None when parse_nik rejects them."""
    try:
        return _nik_birth(digits, today)
    except IdentityError:
        return None


def is_valid_kk_issue(digits: str, today: date) -> bool:
    """Whether the DDMMYY issue date digits of a KK number are ones parse_kk accepts."""
    try:
        _kk_issue_date(digits, today)
    except IdentityError:
        return False
    return True


def _nik_facts(nik: str, today: date) -> tuple[str, str, date]:
    """Region name, sex and birth date of 16 digits, or raise IdentityError.

    Only the region (first four digits), the date digits and the serial decide; an unknown
    district code is a warning (district_warning), not a refusal."""
    region = _region_name(nik, "NIK")
    sex, birth_date = _nik_birth(nik[6:12], today)
    if nik[12:] == _NO_SERIAL:
        raise IdentityError("Nomor urut NIK (4 digit terakhir) tidak boleh 0000.")
    return region, sex, birth_date


@lru_cache(maxsize=1 << 17)
def _nik_birth(digits: str, today: date) -> tuple[str, date]:
    """Sex and birth date from the DDMMYY digits of a NIK (cached: bulk imports repeat them)."""
    day, month, yy = int(digits[0:2]), int(digits[2:4]), int(digits[4:6])
    if 1 <= day <= 31:
        sex = "L"
    elif 41 <= day <= 71:
        sex, day = "P", day - 40
    else:
        raise IdentityError(
            f"Tanggal lahir pada NIK tidak mungkin: angka hari {digits[0:2]} "
            "(laki-laki 01-31, perempuan 41-71)."
        )
    if not 1 <= month <= 12:
        raise IdentityError(f"Tanggal lahir pada NIK tidak mungkin: bulan {digits[2:4]}.")
    try:
        birth_date = _two_digit_year(yy, month, day, today)
    except ValueError:
        raise IdentityError(
            f"Tanggal lahir pada NIK tidak ada di kalender: {day:02d}-{month:02d}-{digits[4:6]}."
        ) from None
    return sex, birth_date


def parse_kk(text: object, today: date | None = None) -> KkInfo:
    """Return the normalised KK number with what it encodes, or raise IdentityError."""
    today = today or local_today()
    kk = _digits(text, "Nomor KK")
    region, issued_on = _kk_facts(kk, today)
    return KkInfo(kk, kk[:2], kk[2:4], kk[4:6], issued_on, kk[12:], region)


@lru_cache(maxsize=1 << 15)
def _kk_issue_date(digits: str, today: date) -> date:
    """The issue date coded by the DDMMYY digits of a KK number, or raise IdentityError."""
    day, month, yy = int(digits[0:2]), int(digits[2:4]), int(digits[4:6])
    try:
        return _two_digit_year(yy, month, day, today)
    except ValueError:
        raise IdentityError(
            "Tanggal terbit pada Nomor KK tidak mungkin: "
            f"{digits[0:2]}-{digits[2:4]}-{digits[4:6]}."
        ) from None


def _kk_facts(kk: str, today: date) -> tuple[str, date]:
    """Region name and issue date of 16 digits, or raise IdentityError (an unknown district
    is a warning, as for a NIK)."""
    region = _region_name(kk, "Nomor KK")
    issued_on = _kk_issue_date(kk[6:12], today)
    if kk[12:] == _NO_SERIAL:
        raise IdentityError("Nomor urut KK (4 digit terakhir) tidak boleh 0000.")
    return region, issued_on


def is_valid_nik(text: object) -> bool:
    """Whether text is an acceptable NIK."""
    try:
        parse_nik(text)
    except IdentityError:
        return False
    return True


def mask_name(name: str) -> str:
    """Mask a name for public display: 'SITI AMINAH' -> 'SIT* AMI***'."""
    masked = []
    for word in name.split():
        keep = max(1, min(3, len(word) - 1)) if len(word) > 1 else 1
        masked.append(word[:keep] + "*" * (len(word) - keep))
    return " ".join(masked)


def mask_nik(nik: str) -> str:
    """Mask a NIK for display where the full number is not needed."""
    return nik[:6] + "*" * 6 + nik[12:] if len(nik) == 16 else "*" * len(nik)
