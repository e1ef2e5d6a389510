"""check_row's answer for a clean all-text row from a few cached look-ups (no app needed).

A city extract repeats the same few thousand RT/RW pairs, program lists, birth dates and
KK numbers, so a clean row needs no parsing of its own. The fast path only ever answers
"this row is valid and these are its values"; anything it is not sure of (a number cell,
a messy NIK, a mismatch, an unknown code) returns None and goes through check_row, which
alone writes the messages. tests/test_refresh_fastpath.py proves both give the same values.
"""

import sys
from datetime import date, datetime
from typing import Any

from nutera.identity import (
    _NO_SERIAL,
    is_known_region,
    is_plain_number,
    is_valid_kk_issue,
    nik_birth_facts,
)
from nutera.refresh.validate import (
    RowContext,
    check_row,
    place_date_text,
    program_list,
    read_date,
    rt_rw_numbers,
    sex_code,
    whole_number,
)

_ORDER = ("nik", "kk", "name", "sex", "birth_date", "address", "rt", "rw", "programs")
# The order of the staged values of a row (as refresh_row's insert takes them).
STAGED = ("nik", "kk", "name", "sex", "birth_date", "address", "rt_id", "programs", "desil")
_DESILS = {str(n): n for n in range(1, 11)}
_CACHE_LIMIT = 100_000  # per look-up table; a file of all-distinct values just stays slow
_UNSURE = object()


class FastCheck:
    """Staged values (in STAGED order) of rows of one sheet that are certainly valid, else None."""

    def __init__(
        self, ctx: RowContext, dates_as_text: bool = False, valid_kks: set[str] | None = None
    ):
        self.ctx = ctx
        # KK numbers already accepted (staging's set of the file's KKs): a family's next
        # member needs no check of its KK.
        self.valid_kks = valid_kks if valid_kks is not None else set()
        self.today = ctx.today
        self.dates_as_text = dates_as_text  # SQLite stores dates as ISO text
        columns = ctx.columns
        index = [columns.get(name) for name in _ORDER]
        # Combined columns: the RT/RW cell stands at both RT and RW, the Tempat/Tgl lahir
        # cell at the birth date, exactly where check_row reads them.
        self.combined_rt = not ("rt" in columns and "rw" in columns) and "rt_rw" in columns
        if self.combined_rt:
            index[6] = index[7] = columns["rt_rw"]
        self.place_date = "birth_date" not in columns and "birth_place_date" in columns
        if self.place_date:
            index[4] = columns["birth_place_date"]
        self.index = tuple(index)
        self.i_desil = ctx.columns.get("desil")
        mapped = [i for i in self.index if i is not None]
        # Without the required columns every row has an error: nothing to speed up.
        enabled = all(self.index[i] is not None for i in (0, 1, 2, 6, 7))
        self.width = max(mapped) + 1 if mapped and enabled else sys.maxsize
        self._sex: dict[str, Any] = {}
        self._region: dict[str, bool] = {}
        self._kk_issue: dict[str, bool] = {}
        self._birth: dict[tuple[str, Any], Any] = {}
        self._dates: dict[Any, Any] = {}
        self._rt: dict[tuple[str, str], Any] = {}
        self._programs: dict[str, Any] = {}
        # The last row's household cells and their answer (_family_values).
        self._family: tuple = (_UNSURE,) * 5 + (None,)

    def values(self, cells: list[Any]) -> tuple | None:  # noqa: C901 (hot path, inlined)
        """The staged values check_row would give this row with no error, or None."""
        # Runs per row: cache hits are looked up inline and misses go to the helpers.
        if len(cells) < self.width:
            return None
        i_nik, i_kk, i_name, i_sex, i_born, i_address, i_rt, i_rw, i_programs = self.index
        nik, name = cells[i_nik], cells[i_name]
        if type(nik) is not str or type(name) is not str:
            return None
        nik = nik.strip()
        # is_plain_number, inlined (a call per row is a tenth of this method's time).
        if len(nik) != 16 or not nik.isdigit() or not nik.isascii() or nik[12:] == _NO_SERIAL:
            return None
        region = self._region
        known = region.get(nik[:4])
        if known is None:
            known = _remember(region, nik[:4], is_known_region(nik[:4]))
        if not known:
            return None
        # The family's cells repeat on each member's row (the file lists a KK's members
        # together): the previous row's answer for the same five cells is taken as it is.
        kk, rt, rw = cells[i_kk], cells[i_rt], cells[i_rw]
        address = cells[i_address] if i_address is not None else ""
        listed = cells[i_programs] if i_programs is not None else ""
        last = self._family
        if (
            kk == last[0]
            and rt == last[1]
            and rw == last[2]
            and address == last[3]
            and listed == last[4]
        ):
            family = last[5]
        else:
            family = self._family_values(kk, rt, rw, address, listed)
            self._family = (kk, rt, rw, address, listed, family)
        if family is None:
            return None
        # Sex and birth date from the NIK, checked against the birth date column at once.
        key = nik[6:12], (cells[i_born] if i_born is not None else "")
        facts = self._birth.get(key, _UNSURE)
        if facts is _UNSURE:
            facts = _remember(self._birth, key, self._birth_facts(*key))
        if facts is None:
            return None
        nik_sex, born = facts
        if i_sex is not None:
            sex = cells[i_sex]
            if sex != nik_sex and not self._sex_agrees(sex, nik_sex):
                return None
        name = " ".join(name.split()).upper()
        if not name:
            return None
        desil = None
        if self.i_desil is not None and self.i_desil < len(cells) and cells[self.i_desil]:
            desil = _DESILS.get(cells[self.i_desil])
            if desil is None:
                return None
        kk, rt_id, programs, address = family
        # A tuple, not a dict: staging unpacks it straight into the insert (1M rows).
        return nik, kk, name[:120], nik_sex, born, address, rt_id, programs, desil

    def _family_values(self, kk, rt, rw, address, listed) -> tuple | None:
        """(KK, RT id, programs, address) as staged from a row's household cells, when
        check_row would find no error in them; else None."""
        if not (type(kk) is str and type(rt) is str and type(rw) is str):
            return None
        kk = kk.strip()
        if kk not in self.valid_kks and not self._valid_kk(kk):
            return None
        rt_id = self._rt.get((rt, rw), _UNSURE)
        if rt_id is _UNSURE:
            rt_id = self._rt_id(rt, rw)
        if rt_id is None:
            return None
        programs = ""
        if listed:
            programs = self._programs.get(listed, _UNSURE)
            if programs is _UNSURE:
                programs = self._program_text(listed)
            if programs is None:
                return None
        if type(address) is not str:
            return None
        return kk, rt_id, programs, " ".join(address.split())[:255]

    def checked(self, cells: list[Any], row_number: int) -> tuple[tuple, list[tuple[str, str]]]:
        """check_row's values (in STAGED order, dates as staged) and errors, for any row."""
        values, errors = check_row(cells, self.ctx, row_number)
        staged = staged_values(values)
        if self.dates_as_text and staged[4] is not None:
            staged = (*staged[:4], staged[4].isoformat(), *staged[5:])
        return staged, errors

    def _valid_kk(self, kk: str) -> bool:
        """Whether a stripped KK cell is one parse_kk accepts as written."""
        if not is_plain_number(kk):
            return False
        known = self._region.get(kk[:4])
        if known is None:
            known = _remember(self._region, kk[:4], is_known_region(kk[:4]))
        issued = self._kk_issue.get(kk[6:12])
        if issued is None:
            issued = _remember(self._kk_issue, kk[6:12], is_valid_kk_issue(kk[6:12], self.today))
        return known and issued

    def _birth_facts(self, digits: str, raw: Any) -> tuple[str, Any] | None:
        """(sex, birth date as staged) when the NIK's date digits agree with the column."""
        # An empty birth date column takes the NIK's date.
        facts = nik_birth_facts(digits, self.today)
        if facts is None:
            return None
        if type(raw) is date or type(raw) is datetime:  # a date cell of a workbook
            raw = raw.date() if type(raw) is datetime else raw
        elif type(raw) is not str:
            return None
        elif self.place_date:
            raw = place_date_text(raw).strip()
        else:
            raw = raw.strip()
        nik_sex, nik_born = facts
        born = nik_born
        if raw:
            born = self._plausible_date(raw)
            if born is None or (born.day, born.month, born.year % 100) != (
                nik_born.day,
                nik_born.month,
                nik_born.year % 100,
            ):
                return None
        return nik_sex, born.isoformat() if self.dates_as_text else born

    def _sex_agrees(self, raw: Any, nik_sex: str) -> bool:
        if type(raw) is not str:
            return False
        raw = raw.strip()
        if not raw:
            return True
        sex = self._sex.get(raw, _UNSURE)
        if sex is _UNSURE:
            sex = _remember(self._sex, raw, sex_code(raw))
        return sex == nik_sex

    def _plausible_date(self, raw: str | date):
        # Per distinct text: a date is read once, whichever NIKs (either sex) it is checked
        # against (read_date's votes are sets of distinct texts: the same with one call).
        born = self._dates.get(raw, _UNSURE)
        if born is _UNSURE:
            born = _remember(self._dates, raw, self._read_plausible(raw))
        return born

    def _read_plausible(self, raw: str | date):
        try:
            born = read_date(raw, self.ctx)
        except ValueError:
            return None
        return None if born > self.ctx.today or born.year < 1880 else born

    def _rt_id(self, rt: str, rw: str) -> int | None:
        if self.combined_rt:
            rt_number, rw_number = rt_rw_numbers(rt) or (None, None)
        else:
            rt_number, rw_number = whole_number(rt.strip()), whole_number(rw.strip())
        rt_id = (
            None
            if rt_number is None or rw_number is None
            else self.ctx.rts.get((rw_number, rt_number))
        )
        return _remember(self._rt, (rt, rw), rt_id)

    def _program_text(self, raw: Any) -> str | None:
        text = None
        if type(raw) is str:
            upper = raw.strip().upper()
            codes, unknown = program_list(upper, self.ctx.programs) if upper else ("", [])
            text = None if unknown else codes
        return _remember(self._programs, raw, text)


def _remember(cache: dict, key, value):
    if len(cache) >= _CACHE_LIMIT:
        cache.clear()
    cache[key] = value
    return value


def staged_values(values: dict) -> tuple:
    """check_row's values in STAGED order."""
    return tuple(values[name] for name in STAGED)
