"""Check one extract row with nutera.identity and turn it into staged values (no app needed)."""

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from nutera.identity import IdentityError, KkInfo, parse_kk, parse_nik
from nutera.refresh.reader import FIELDS
from nutera.timeutil import local_today

EXACT_FLOAT_LIMIT = 2**53  # above this a number cell has already lost digits
_EXCEL_EPOCH = date(1899, 12, 30)
_NUMERIC_DATE = re.compile(r"^(\d{1,2})\s*[/\-.]\s*(\d{1,2})\s*[/\-.]\s*(\d{4})(?:\s+\d.*)?$")
_ISO_DATE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:$|[ T])")
_NAMED_DATE = re.compile(r"^(\d{1,2})[\s\-./,]*([A-Za-z]+)\.?[\s\-./,]*(\d{4})$")
# Indonesian month names and the abbreviations offices write (and English ones Excel shows).
MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("JANUARI", "JAN", "JANUARY"),
            ("FEBRUARI", "PEBRUARI", "FEB", "PEB", "FEBRUARY"),
            ("MARET", "MAR", "MARCH"),
            ("APRIL", "APR"),
            ("MEI", "MAY"),
            ("JUNI", "JUN", "JUNE"),
            ("JULI", "JUL", "JULY"),
            ("AGUSTUS", "AGU", "AGT", "AGS", "AGUST", "AUG", "AUGUST"),
            ("SEPTEMBER", "SEP", "SEPT"),
            ("OKTOBER", "OKT", "OCT", "OCTOBER"),
            ("NOVEMBER", "NOPEMBER", "NOV", "NOP"),
            ("DESEMBER", "DES", "DEC", "DECEMBER"),
        ),
        start=1,
    )
    for name in names
}
# "003/005", "3/5", "RT 003 RW 005", "RT.03/RW.05", "RT 3 / RW 5", "003-005".
_RT_RW = re.compile(
    r"^\s*(?:RT\.?\s*(?:NO\.?)?\s*)?0*(\d{1,3})\s*(?:[/\\\-.,]|\s)\s*"
    r"(?:RW\.?\s*(?:NO\.?)?\s*)?0*(\d{1,3})\s*$",
    re.IGNORECASE,
)
# "BANDUNG, 03-03-2008", "Bandung / 3 Maret 2008", "BANDUNG 03/03/2008": place, then date.
_PLACE_DATE = re.compile(r"^\s*([^\d]*?)[\s,;/]*(\d.*?)\s*$")
DAY_FIRST, MONTH_FIRST = "dmy", "mdy"
DATE_RULES = {DAY_FIRST: "hari/bulan/tahun", MONTH_FIRST: "bulan/hari/tahun"}
_NOT_ALNUM = re.compile(r"[^A-Z0-9]")
_PROGRAM_SEPARATORS = re.compile(r"[,;/\s]+")
_SEX_VALUES = {
    "L": "L",
    "LAKILAKI": "L",
    "LAKI": "L",
    "LELAKI": "L",
    "LK": "L",
    "PRIA": "L",
    "1": "L",
    "P": "P",
    "PR": "P",
    "PEREMPUAN": "P",
    "WANITA": "P",
    "2": "P",
}


@dataclass
class RowContext:
    """What validating a row needs to know about the kelurahan and the file so far."""

    columns: dict[str, int]
    rts: dict[tuple[int, int], int]  # (rw number, rt number) -> rt id
    programs: set[str]
    today: date = field(default_factory=local_today)
    # How a date such as 03/04/2008 is read; the dates that can be read one way only vote
    # for the file's own order (distinct texts, so a repeated date counts once).
    date_order: str = DAY_FIRST
    date_votes: dict[str, set[str]] = field(
        default_factory=lambda: {DAY_FIRST: set(), MONTH_FIRST: set(), "ambiguous": set()}
    )
    seen_niks: dict[int, int] = field(default_factory=dict)  # NIK -> sheet * 10^9 + row
    sheets: list[str] = field(default_factory=list)
    districts: set[str] = field(default_factory=set)  # district digits of accepted NIKs
    _kk_cache: dict[str, KkInfo | str] = field(default_factory=dict)

    def kk(self, text: str) -> KkInfo:
        """parse_kk, remembered per number (members of a family share it)."""
        cached = self._kk_cache.get(text)
        if cached is None:
            try:
                cached = parse_kk(text, self.today)
            except IdentityError as error:
                cached = str(error)
            if len(self._kk_cache) > 200_000:
                self._kk_cache.clear()
            self._kk_cache[text] = cached
        if isinstance(cached, str):
            raise IdentityError(cached)
        return cached


def _extract(cells: list[Any], columns: dict[str, int]) -> dict[str, Any]:
    """field -> the row's cell (stripped text, or the spreadsheet's number/date)."""
    size = len(cells)
    found = dict.fromkeys(FIELDS)
    for name, index in columns.items():
        if index < size:
            value = cells[index]
            found[name] = value.strip() if isinstance(value, str) else value
    return found


def identity_text(value: Any, label: str) -> str:
    """The text of a NIK/KK cell; numbers are exact below 2^53 and never trusted above."""
    if isinstance(value, bool):
        raise IdentityError(f"{label} tidak valid.")
    if isinstance(value, (int, float)):
        if value >= EXACT_FLOAT_LIMIT or (isinstance(value, float) and not value.is_integer()):
            raise IdentityError(
                f"{label} tersimpan sebagai angka di Excel ({value:.0f}); angka sebesar ini sudah "
                "kehilangan digit terakhirnya. "
                f"Format kolom {label} sebagai Teks lalu ketik ulang."
            )
        return str(int(value))
    return "" if value is None else str(value)


def parse_date(value: Any, order: str = DAY_FIRST) -> date:
    """A date from a date cell, an Excel serial, 03-03-2008, 3/3/2008, 2008-03-03 or
    3 Maret 2008; a date readable both ways (03/04/2008) follows order; else ValueError."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if not 1 <= value < 80_000:
            raise ValueError
        return _EXCEL_EPOCH + timedelta(days=int(value))
    text = str(value or "").strip()
    if len(text) == 10 and text[2] == "/" and text[5] == "/" and text[:2].isdigit():
        first, second, year = int(text[:2]), int(text[3:5]), int(text[6:])  # dd/mm/yyyy
    elif match := _NUMERIC_DATE.match(text):
        first, second, year = (int(g) for g in match.groups())
    elif match := _ISO_DATE.match(text):
        year, month, day = (int(g) for g in match.groups())
        return date(year, month, day)
    elif match := _NAMED_DATE.match(text):
        month = MONTHS.get(match.group(2).upper())
        if month is None:
            raise ValueError
        return date(int(match.group(3)), month, int(match.group(1)))
    elif text.isdigit():
        return parse_date(int(text))
    else:
        raise ValueError
    if first > 12 or (order == DAY_FIRST and second <= 12):
        return date(year, second, first)
    return date(year, first, second)


def date_order_of(text: str) -> str | None:
    """The order a numeric date text can only be read in ('dmy'/'mdy'), 'ambiguous' when it
    reads both ways, None for other forms."""
    match = _NUMERIC_DATE.match(text)
    if match is None:
        return None
    first, second = int(match.group(1)), int(match.group(2))
    if first > 12 and second <= 12:
        return DAY_FIRST
    if second > 12 and first <= 12:
        return MONTH_FIRST
    return "ambiguous" if first <= 12 and second <= 12 and first != second else None


def read_date(raw: Any, ctx: RowContext) -> date:
    """parse_date in the file's order, counting the order the text votes for."""
    if isinstance(raw, str):
        vote = date_order_of(raw.strip())
        if vote is not None:
            ctx.date_votes[vote].add(raw.strip())
    return parse_date(raw, ctx.date_order)


def rt_rw_numbers(value: Any) -> tuple[int, int] | None:
    """(RT, RW) from a combined cell such as 003/005 or RT.03/RW.05, else None."""
    match = _RT_RW.match(str(value or ""))
    return (int(match.group(1)), int(match.group(2))) if match else None


def place_date_text(value: Any) -> Any:
    """The date part of a Tempat/Tgl lahir cell ('BANDUNG, 03-03-2008' -> '03-03-2008');
    a date cell stays as it is."""
    if not isinstance(value, str):
        return value
    match = _PLACE_DATE.match(value)
    return match.group(2) if match else value


def whole_number(value: Any) -> int | None:
    """An RT/RW-style whole number from a text or number cell, else None."""
    if isinstance(value, str) and value.isdigit():
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, int):
        return value
    text = str(value or "").strip()
    return int(text) if text.isdigit() else None


def check_row(
    cells: list[Any], ctx: RowContext, row_number: int, sheet: str = ""
) -> tuple[dict, list[tuple[str, str]]]:
    """Staged values of a row and its problems as (column, Indonesian message) pairs."""
    errors: list[tuple[str, str]] = []
    values: dict[str, Any] = {
        "nik": None,
        "kk": None,
        "sex": None,
        "birth_date": None,
        "rt_id": None,
        "programs": "",
        "desil": None,
    }
    nik_info = None
    cells = _extract(cells, ctx.columns)
    try:
        nik_info = parse_nik(identity_text(cells["nik"], "NIK"), ctx.today)
        values["nik"] = nik_info.nik
    except IdentityError as error:
        errors.append((FIELDS["nik"], str(error)))
    try:
        values["kk"] = ctx.kk(identity_text(cells["kk"], "Nomor KK")).kk
    except IdentityError as error:
        errors.append((FIELDS["kk"], str(error)))
    name = " ".join(str(cells["name"] or "").split()).upper()
    if not name:
        errors.append((FIELDS["name"], "Nama wajib diisi."))
    values["name"] = name[:120]
    values["address"] = " ".join(str(cells["address"] or "").split())[:255]
    _check_sex(cells, ctx, nik_info, values, errors)
    _check_birth_date(cells, ctx, nik_info, values, errors)
    _check_region(cells, ctx, values, errors)
    _check_programs(cells, ctx, values, errors)
    _check_desil(cells, values, errors)
    return values, errors


def _check_desil(cells, values, errors) -> None:
    """The DTSEN welfare decile, 1-10, when the file has one."""
    raw = cells.get("desil")
    if raw is None or str(raw).strip() == "":
        return
    desil = whole_number(raw)
    if desil is None or not 1 <= desil <= 10:
        errors.append((FIELDS["desil"], f"Desil harus angka 1 sampai 10, bukan {raw}."))
        return
    values["desil"] = desil


def sheet_code(ctx: RowContext, sheet: str) -> int:
    """What is added to a row number of this sheet to remember where a NIK was first seen."""
    if not ctx.sheets or ctx.sheets[-1] != sheet:
        ctx.sheets.append(sheet)
    return (len(ctx.sheets) - 1) * 10**9


def duplicate_nik_message(ctx: RowContext, first: int) -> str:
    """The message for a NIK first seen at `first` (sheet code + row number; negative: a
    row unchanged since the source's last import, which an incremental import did not stage)."""
    if first < 0:
        return "NIK yang sama sudah ada di baris lain berkas ini (baris yang tidak berubah)."
    sheet_index, first_row = divmod(first, 10**9)
    where = f"baris {first_row}" + (
        f" lembar {ctx.sheets[sheet_index]}" if ctx.sheets[sheet_index] else ""
    )
    return f"NIK yang sama sudah ada di {where} berkas ini."


def _check_sex(cells, ctx, nik_info, values, errors) -> None:
    raw = cells["sex"]
    if raw in (None, ""):
        values["sex"] = nik_info.sex if nik_info else None
        return
    sex = sex_code(raw)
    if sex is None:
        errors.append((FIELDS["sex"], f"Jenis kelamin tidak dikenal: {raw} (isi L atau P)."))
    elif nik_info is not None and nik_info.sex != sex:
        errors.append(
            (
                FIELDS["sex"],
                f"Jenis kelamin {sex} tidak sesuai dengan NIK (NIK menunjukkan {nik_info.sex}).",
            )
        )
    values["sex"] = sex or (nik_info.sex if nik_info else None)


def _check_birth_date(cells, ctx, nik_info, values, errors) -> None:
    column = "birth_date" if "birth_date" in ctx.columns else "birth_place_date"
    raw = cells[column]
    if column == "birth_place_date":
        raw = place_date_text(raw)
    if raw in (None, ""):
        values["birth_date"] = nik_info.birth_date if nik_info else None
        return
    label = FIELDS[column]
    try:
        born = read_date(raw, ctx)
    except ValueError:
        errors.append(
            (
                label,
                f"Tanggal lahir tidak dapat dibaca: {raw} "
                "(gunakan mis. 03/03/2008, 2008-03-03 atau 3 Maret 2008).",
            )
        )
        return
    rule = ""
    if isinstance(raw, str) and date_order_of(raw.strip()) == "ambiguous":
        rule = f" ({raw.strip()} dibaca {DATE_RULES[ctx.date_order]}, urutan tanggal berkas ini)"
    if born > ctx.today or born.year < 1880:
        errors.append((label, f"Tanggal lahir tidak mungkin: {born:%d/%m/%Y}{rule}."))
    elif nik_info is not None and (born.day, born.month, born.year % 100) != (
        nik_info.birth_date.day,
        nik_info.birth_date.month,
        nik_info.birth_date.year % 100,
    ):
        errors.append(
            (
                label,
                f"Tanggal lahir {born:%d/%m/%Y} tidak sesuai "
                f"dengan NIK ({nik_info.birth_date:%d/%m/%y}){rule}.",
            )
        )
    values["birth_date"] = born


def _check_region(cells, ctx, values, errors) -> None:
    if "rt" in ctx.columns and "rw" in ctx.columns:
        label = FIELDS["rt"]
        rt, rw = whole_number(cells["rt"]), whole_number(cells["rw"])
    else:
        label = "RT/RW"
        rt, rw = rt_rw_numbers(cells["rt_rw"]) or (None, None)
        if rt is None:
            errors.append(
                (
                    label,
                    f"RT/RW tidak dapat dibaca: {cells['rt_rw'] or '(kosong)'} "
                    "(tulis mis. 003/005 atau RT 003 RW 005).",
                )
            )
            return
    if rt is None or rw is None:
        errors.append((label, "RT dan RW wajib diisi dengan angka."))
        return
    values["rt_id"] = ctx.rts.get((rw, rt))
    if values["rt_id"] is None:
        errors.append((label, f"RT {rt:02d}/RW {rw:02d} tidak ada di kelurahan ini."))


def _check_programs(cells, ctx, values, errors) -> None:
    raw = str(cells["programs"] or "").upper()
    if not raw:
        return
    programs, unknown = program_list(raw, ctx.programs)
    if unknown:
        errors.append((FIELDS["programs"], f"Program tidak dikenal: {', '.join(unknown)}."))
    values["programs"] = programs


def sex_code(raw: object) -> str | None:
    """L or P for the ways offices write sex, else None."""
    return _SEX_VALUES.get(str(raw).upper()) or _SEX_VALUES.get(
        _NOT_ALNUM.sub("", str(raw).upper())
    )


def program_list(raw: str, known: set[str]) -> tuple[str, list[str]]:
    """Upper-case program codes as the staged ",PKH,BST," text, and the unknown ones."""
    codes = [c for c in _PROGRAM_SEPARATORS.split(raw) if c and c not in ("-", "0")]
    unknown = [c for c in codes if c not in known]
    return ("," + ",".join(sorted(set(codes))) + ",") if codes else "", unknown
