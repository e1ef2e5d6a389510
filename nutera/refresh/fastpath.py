"""check_row's answer for a clean all-text row from a few cached look-ups (no app needed).

A city extract repeats the same few thousand RT/RW pairs, program lists, birth dates and
KK numbers, so a clean row needs no parsing of its own. The fast path only ever answers
"this row is valid and these are its values"; anything it is not sure of (a number cell,
a messy NIK, a mismatch, an unknown code) returns None and goes through check_row, which
alone writes the messages. tests/test_refresh_fastpath.py proves both give the same values.
"""
from datetime import date
from typing import Any

from nutera.identity import is_plain_valid_kk, plain_nik_facts
from nutera.refresh.validate import (
    RowContext, check_row, parse_date, program_list, sex_code, whole_number,
)

_ORDER = ("nik", "kk", "name", "sex", "birth_date", "address", "rt", "rw", "programs")
# The order of the staged values of a row (as refresh_row's insert takes them).
STAGED = ("nik", "kk", "name", "sex", "birth_date", "address", "rt_id", "programs")
_CACHE_LIMIT = 100_000  # per look-up table; a file of all-distinct values just stays slow
_UNSURE = object()


class FastCheck:
    """Staged values (in STAGED order) of rows of one sheet that are certainly valid, else None."""

    def __init__(self, ctx: RowContext):
        self.ctx = ctx
        self.today = ctx.today
        self.index = tuple(ctx.columns.get(name) for name in _ORDER)
        mapped = [i for i in self.index if i is not None]
        # Without the required columns every row has an error: nothing to speed up.
        self.enabled = all(self.index[i] is not None for i in (0, 1, 2, 6, 7))
        self.width = max(mapped) + 1 if mapped else 0
        self._sex: dict[str, Any] = {}
        self._born: dict[str, Any] = {}
        self._region: dict[tuple[str, str], Any] = {}
        self._programs: dict[str, Any] = {}

    def values(self, cells: list[Any]) -> tuple | None:
        """The staged values check_row would give this row with no error, or None."""
        # Cache hits are looked up inline and misses go to the helpers: this runs per row.
        if not self.enabled or len(cells) < self.width:
            return None
        i_nik, i_kk, i_name, i_sex, i_born, i_address, i_rt, i_rw, i_programs = self.index
        nik, kk, rt, rw = cells[i_nik], cells[i_kk], cells[i_rt], cells[i_rw]
        if not (type(nik) is str and type(kk) is str and type(rt) is str and type(rw) is str):
            return None
        nik = nik.strip()
        facts = plain_nik_facts(nik, self.today)
        if facts is None:
            return None
        nik_sex, nik_born = facts
        kk = kk.strip()
        name = cells[i_name]
        if type(name) is not str or not is_plain_valid_kk(kk, self.today):
            return None
        name = " ".join(name.split()).upper()
        if not name:
            return None
        if i_sex is not None:
            sex = cells[i_sex]
            if sex != nik_sex and (type(sex) is not str or not self._sex_agrees(sex, nik_sex)):
                return None
        born = nik_born
        if i_born is not None:
            born = self._birth_date(cells[i_born], nik_born)
            if born is None:
                return None
        rt_id = self._region.get((rt, rw), _UNSURE)
        if rt_id is _UNSURE:
            rt_id = self._rt_id(rt, rw)
        if rt_id is None:
            return None
        programs = ""
        if i_programs is not None and cells[i_programs]:
            programs = self._programs.get(cells[i_programs], _UNSURE)
            if programs is _UNSURE:
                programs = self._program_text(cells[i_programs])
            if programs is None:
                return None
        address = ""
        if i_address is not None:
            address = cells[i_address]
            if type(address) is not str:
                return None
            address = " ".join(address.split())[:255]
        # A tuple, not a dict: staging unpacks it straight into the insert (1M rows).
        return nik, kk, name[:120], nik_sex, born, address, rt_id, programs

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

    def _birth_date(self, raw: Any, nik_born):
        if type(raw) is not str:
            return None
        raw = raw.strip()
        if not raw:
            return nik_born
        born = self._born.get(raw, _UNSURE)
        if born is _UNSURE:
            born = _remember(self._born, raw, self._plausible_date(raw))
        if born is None or (born.day, born.month, born.year % 100) != (
                nik_born.day, nik_born.month, nik_born.year % 100):
            return None
        return born

    def _plausible_date(self, raw: str):
        try:
            born = parse_date(raw)
        except ValueError:
            return None
        return None if born > self.ctx.today or born.year < 1880 else born

    def _rt_id(self, rt: str, rw: str) -> int | None:
        rt_number, rw_number = whole_number(rt.strip()), whole_number(rw.strip())
        rt_id = None if rt_number is None or rw_number is None else \
            self.ctx.rts.get((rw_number, rt_number))
        return _remember(self._region, (rt, rw), rt_id)

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


def validate_chunk(ctx: RowContext, fast: FastCheck,
                   rows: list[tuple[int, list[Any]]]) -> list[tuple[tuple, list]]:
    """(staged values, errors) for a chunk of (row number, cells): the fast path, else
    check_row."""
    checked = []
    for number, cells in rows:
        values = fast.values(cells)
        if values is None:
            values, errors = check_row(cells, ctx, number)
            checked.append((staged_values(values), errors))
        else:
            checked.append((values, []))
    return checked


_worker: tuple[RowContext, FastCheck] | None = None


def init_worker(columns: dict[str, int], rts: dict, programs: set[str], today: date) -> None:
    """Process-pool initializer: the context every chunk of this worker is checked against."""
    global _worker
    ctx = RowContext(columns=columns, rts=rts, programs=programs, today=today)
    _worker = ctx, FastCheck(ctx)


def validate_in_worker(rows: list[tuple[int, list[Any]]]) -> list[tuple[tuple, list]]:
    """validate_chunk with the worker's own context."""
    return validate_chunk(*_worker, rows)
