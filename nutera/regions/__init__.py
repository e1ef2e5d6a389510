"""Kemendagri region codes from the vendored idn-area-data list (loaded once, no app needed).

Codes are handled as digits only ("3273", "327309", "3273091002"); the list writes them
with dots. See data/README.md for the version, the source and the retired codes.
"""

import csv
import gzip
import io
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).parent / "data"

# Time zones by province (Permen/Keppres 41/1987): WITA for Bali, Nusa Tenggara, South, East
# and North Kalimantan and Sulawesi; WIT for Maluku and Papua; WIB elsewhere.
WITA_PROVINCES = frozenset(
    {"51", "52", "53", "63", "64", "65", "71", "72", "73", "74", "75", "76"}
)
WIT_PROVINCES = frozenset({"81", "82", "91", "92", "93", "94", "95", "96"})
TIME_ZONES = {"Asia/Jakarta": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}


@dataclass(frozen=True)
class Regency:
    """A regency (kabupaten) or city (kota) and its province."""

    code: str
    name: str
    province_code: str
    province_name: str
    retired: bool = False

    @property
    def label(self) -> str:
        """'Kota Tarakan, Kalimantan Utara'."""
        return f"{self.name}, {self.province_name}"


@dataclass(frozen=True)
class Village:
    """A kelurahan or desa with the names of its district, regency and province."""

    code: str
    name: str
    district: str
    regency: str
    province: str

    @property
    def province_code(self) -> str:
        return self.code[:2]

    @property
    def kind(self) -> str:
        """Kelurahan (urban, serial 1xxx) or desa (2xxx), as Kemendagri numbers them."""
        return "Kelurahan" if self.code[6:7] == "1" else "Desa"


def _rows(name: str) -> list[list[str]]:
    path = DATA / name
    if name.endswith(".gz"):
        text = gzip.decompress(path.read_bytes()).decode("utf-8")
    else:
        text = path.read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    return rows[1:]  # the header


def _digits(code: str) -> str:
    return code.replace(".", "")


@lru_cache(maxsize=1)
def provinces() -> dict[str, str]:
    """Province code -> name."""
    return {code: name for code, name in _rows("provinces.csv")}


@lru_cache(maxsize=1)
def regencies() -> dict[str, Regency]:
    """Four-digit regency/city code -> Regency, the current ones and the retired ones."""
    names = provinces()
    found = {
        _digits(code): Regency(_digits(code), name, province, names[province])
        for code, province, name in _rows("regencies.csv")
    }
    for code, successor, _name, _law in _rows("retired_regencies.csv"):
        current = found[_digits(successor)]
        found[_digits(code)] = Regency(
            _digits(code), current.name, current.province_code, current.province_name, True
        )
    return found


@lru_cache(maxsize=1)
def districts() -> dict[str, str]:
    """Six-digit district (kecamatan) code -> name."""
    return {_digits(code): name for code, _regency, name in _rows("districts.csv")}


@lru_cache(maxsize=1)
def _villages() -> dict[str, tuple[str, str]]:
    return {_digits(code): (name, _digits(d)) for code, d, name in _rows("villages.csv.gz")}


def regency(code: str) -> Regency | None:
    """The regency or city of a four-digit code (retired codes name their successor)."""
    return regencies().get(code[:4])


def district_name(code: str) -> str | None:
    """Name of the district coded by six digits, or None when the list has no such district."""
    return districts().get(code[:6])


def has_districts(regency_code: str) -> bool:
    """Whether the list has districts for this regency (retired codes have none of their own)."""
    return regency_code[:4] in _regencies_with_districts()


@lru_cache(maxsize=1)
def _regencies_with_districts() -> frozenset[str]:
    return frozenset(code[:4] for code in districts())


def village(code: str) -> Village | None:
    """The kelurahan/desa of a 10-digit code ('32.73.09.1002' or '3273091002'), or None."""
    code = _digits(code.strip())
    found = _villages().get(code)
    if found is None:
        return None
    name, district = found
    place = regencies()[code[:4]]
    return Village(code, name, districts()[district], place.name, place.province_name)


def province_time_zone(province_code: str) -> str:
    """The IANA time zone of a province: Asia/Jakarta, Asia/Makassar or Asia/Jayapura."""
    if province_code[:2] in WITA_PROVINCES:
        return "Asia/Makassar"
    if province_code[:2] in WIT_PROVINCES:
        return "Asia/Jayapura"
    return "Asia/Jakarta"
