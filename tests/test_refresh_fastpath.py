"""The fast path for clean rows answers exactly as check_row does, or leaves the row to it."""

from datetime import date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nutera.refresh import reader, rows
from nutera.refresh.fastpath import STAGED, FastCheck, staged_values
from nutera.refresh.validate import DAY_FIRST, MONTH_FIRST, RowContext, check_row
from tests.factories_refresh import DATA, SHARED_DATA

TODAY = date(2026, 11, 22)
COLUMNS = {
    "nik": 1,
    "kk": 2,
    "name": 3,
    "sex": 4,
    "birth_date": 5,
    "address": 6,
    "rt": 7,
    "rw": 8,
    "programs": 9,
}
RTS = {(rw, rt): rw * 10 + rt for rw in (1, 2, 3) for rt in (1, 2, 3)}


def context(columns=COLUMNS) -> RowContext:
    return RowContext(columns=dict(columns), rts=RTS, programs={"PKH", "BST", "BPNT"}, today=TODAY)


def as_text(values: tuple) -> tuple:
    """Staged values as SQLite stores them (the birth date as ISO text)."""
    return (*values[:4], values[4] and values[4].isoformat(), *values[5:])


def assert_same_answer(fast: FastCheck, ctx: RowContext, cells) -> bool:
    """The fast answer, when there is one, is check_row's (and the answer for the rows it
    leaves aside is too); True when the fast path answered."""
    expected, errors = check_row(list(cells), ctx, 1)
    assert set(expected) == set(STAGED)  # staged_values leaves no value of check_row out
    staged = staged_values(expected)
    if fast.dates_as_text:
        staged = as_text(staged)
    values = fast.values(list(cells))
    if values is not None:
        assert (values, []) == (staged, errors), cells
    assert fast.checked(list(cells), 1) == (staged, errors)
    if not errors:  # as staging does: an accepted row's KK needs no check in the next rows
        fast.valid_kks.add(staged[1])
    return values is not None


# Consistent clean rows, then up to three cells swapped for what offices also write: each
# kind of defect the bench and the samples carry, spreadsheet numbers, and look-alikes a
# careless fast path would let through (a date 100 years off, a sex the NIK denies, ...).
CLEAN = [
    [
        "1",
        "3273024501900001",
        "3273020106150001",
        "SITI AMINAH",
        "P",
        "05/01/1990",
        "Jl. X 1",
        "1",
        "1",
        "PKH",
    ],
    [
        "2",
        "3273021703150002",
        "3273020106150002",
        "BUDI",
        "L",
        "17/03/2015",
        "Gg. Y",
        "02",
        "03",
        "",
    ],
    ["3", "3273034512880123", "3273030106150001", "DEWI", "", "", "", "3", "2", "bst, pkh"],
    [
        "4",
        "3273020101790001",
        "3273020106150003",
        "ASEP",
        "L",
        "01/01/1979",
        "Jl. Z",
        "1",
        "1",
        "BPNT",
    ],
    ["5", "3273020101250001", "3273020106150001", "NUR", "1", "1/1/2025", "-", "2", "2", "-"],
]
VARIANTS = {
    1: [
        "3273024501900001",
        "3273021703150002",
        " 3273024501900001 ",
        "'3273024501900001",
        "3273 0245 0190 0001",
        "32.73.02.450190.0001",
        "3.27302E+15",
        "327302450190",
        "32730245019000011",
        "32730245O1900001",
        "",
        "3273024501900000",
        "3273023201900001",
        "3273027201900001",
        "3273024513900001",
        "3273023102900001",
        "3273026902010001",
        "9973024501900001",
        "3299024501900001",
        "3273024512300001",
        "３２７３０２４５０１９００００１",
        "\u0663273024501900001",
        3273024501900001.0,
        3273024501900001,
        3.273024501900001e15,
        None,
        True,
    ],
    2: [
        "3273020106150001",
        " 3273020106150009",
        "32730A",
        "3273020106150000",
        "3273023206150001",
        "",
        "3.27302E+15",
        3273020106150001,
        None,
        "9973020106150001",
    ],
    3: ["  budi   santoso ", "", "   ", None, 12.0, "X" * 130, "siti\taminah"],
    4: [
        "",
        "L",
        "P",
        "l",
        "p",
        "LAKI-LAKI",
        "Perempuan",
        "PR",
        "1",
        "2",
        "X",
        " L ",
        None,
        1.0,
        "Wanita",
        "Laki-laki",
        "laki laki",
        "LK",
        "Lk",
        "pr",
        "PEREMPUAN ",
    ],
    5: [
        "",
        "05/01/1990",
        "17/03/2015",
        "05/12/1988",
        "01/01/1879",
        "01/01/2125",
        "1/1/2025",
        "05-01-1990",
        "1990-01-05",
        "1990-01-05 00:00:00",
        "31/02/1980",
        "05/01/2090",
        "32878",
        "garbage",
        None,
        32878,
        32878.0,
        date(1990, 1, 5),
        "06/01/1990",
        "01/01/1979",
        "05/01/1991",
        "05/02/1990",
        "5 Januari 1990",
        "05 JAN 1990",
        "5-Jan-1990",
        "5 Pebruari 1990",
        "5 Mei 1990",
        "5 Foo 1990",
        "1/5/1990",
        "01/05/1990",
        "05.01.1990",
        "1990/01/05",
        "17/3/2015",
        "3/17/2015",
        datetime(1990, 1, 5),
        date(1990, 1, 6),
    ],
    6: ["Jl. Tamansari No. 1", "  Gg.  Sukamaju  ", "", None, 7.0, "A" * 300],
    7: ["1", "01", " 2 ", "9", "", "a", "\u0663", "001", None, 1.0, 2, "1.0"],
    8: ["1", "02", "3", "9", "", "b", None, 3.0],
    9: [
        "",
        "PKH",
        "pkh, bst",
        "PKH/BPNT",
        "BST;PKH",
        "PKH XYZ",
        "-",
        "0",
        " ; ",
        "PKH,,BST",
        None,
        "bpnt ",
        3.0,
        "XYZ",
    ],
}
ROW = st.tuples(
    st.sampled_from(CLEAN),
    st.lists(st.sampled_from(sorted(VARIANTS)), max_size=3),
    st.one_of(st.just(10), st.integers(min_value=0, max_value=9)),
)


@settings(max_examples=3000, deadline=None)
@given(st.lists(ROW, min_size=1, max_size=4), st.booleans(), st.booleans(), st.data())
def test_fast_path_gives_check_rows_values_or_steps_aside(rows, dates_as_text, month_first, data):
    ctx = context()
    ctx.date_order = MONTH_FIRST if month_first else DAY_FIRST
    # Shared, so an answer cached for one row is tested on the next.
    fast = FastCheck(ctx, dates_as_text)
    for base, columns, width in rows:
        cells = list(base)
        for column in columns:
            cells[column] = data.draw(st.sampled_from(VARIANTS[column]))
        assert_same_answer(fast, ctx, cells[:width])


def test_each_clean_row_takes_the_fast_path():
    ctx = context()
    assert all(assert_same_answer(FastCheck(ctx), ctx, row) for row in CLEAN)


@pytest.mark.parametrize(
    "columns",
    [
        {
            k: v
            for k, v in COLUMNS.items()
            if k not in ("sex", "birth_date", "address", "programs")
        },
        {**COLUMNS, "sex": 12},
        {k: v for k, v in COLUMNS.items() if k != "kk"},
    ],
)
def test_unmapped_and_missing_columns_agree_too(columns):
    ctx = context(columns)
    fast = FastCheck(ctx)
    row = [
        "1",
        "3273024501900001",
        "3273020106150001",
        "SITI",
        "P",
        "05/01/1990",
        "Jl. X",
        "1",
        "1",
        "PKH",
    ]
    assert_same_answer(fast, ctx, row)


@pytest.mark.parametrize("dates_as_text", [False, True])
def test_clean_text_rows_take_the_fast_path_and_a_warm_cache_changes_nothing(dates_as_text):
    ctx = context()
    fast = FastCheck(ctx, dates_as_text)
    rows = []
    for serial in range(1, 400):
        day, month = serial % 28 + 1, serial % 12 + 1
        sex = "P" if serial % 2 else "L"
        day_digits = day + (40 if sex == "P" else 0)
        nik = f"327302{day_digits:02d}{month:02d}{serial % 90 + 10:02d}{serial:04d}"
        born = f"{day:02d}/{month:02d}/19{serial % 90 + 10:02d}" if serial % 3 else ""
        rows.append(
            [
                str(serial),
                nik,
                f"32730201061{serial % 50 + 1:05d}",
                "NUR LESTARI",
                sex if serial % 5 else "",
                born,
                "Jl. X",
                str(serial % 3 + 1),
                f"0{serial % 3 + 1}",
                ["", "PKH", "bst,pkh"][serial % 3],
            ]
        )
    for _ in range(2):  # the second pass answers from the caches
        assert all(assert_same_answer(fast, ctx, row) for row in rows)


@pytest.mark.parametrize(
    "path",
    [
        SHARED_DATA / "dtks_tamansari_semicolon.csv",
        DATA / "penerima_cp1252_comma.csv",
        DATA / "warga_dua_lembar.xlsx",
        SHARED_DATA / "warga_tamansari.xlsx",
    ],
)
def test_every_row_of_the_sample_files_gets_check_rows_answer(path):
    info = reader.inspect_file(path, path.name)
    mapping = reader.propose_mapping(info.sheets[0].headers)
    rts = {(rw, rt): rw * 10 + rt for rw in range(1, 6) for rt in range(1, 6)}
    answered = 0
    for _, columns, numbers, chunk in rows.data_chunks(path, info, mapping, 7):
        ctx = RowContext(columns=columns, rts=rts, programs={"PKH", "BST", "BPNT"}, today=TODAY)
        fast = FastCheck(ctx)
        for number, cells in zip(numbers, chunk, strict=False):
            values, errors = check_row(cells, ctx, number)
            assert fast.checked(cells, number) == (staged_values(values), errors)
            answered += assert_same_answer(fast, ctx, cells)
    if path.suffix == ".csv":
        assert answered > 0  # text files are what the fast path is for


# The layouts with combined columns: RT/RW in column 7 (column 8 left empty) and
# Tempat/Tgl lahir in column 5.
COMBINED_COLUMNS = {
    **{k: v for k, v in COLUMNS.items() if k not in ("rt", "rw", "birth_date")},
    "rt_rw": 7,
    "birth_place_date": 5,
}
COMBINED_CLEAN = [
    [*row[:5], f"BANDUNG, {row[5]}" if row[5] else "", row[6], f"{row[7]}/{row[8]}", "", row[9]]
    for row in CLEAN
]
COMBINED_VARIANTS = {
    **VARIANTS,
    5: [
        "",
        "BANDUNG, 05/01/1990",
        "Bandung / 5 Januari 1990",
        "BANDUNG 05-01-1990",
        "KAB. BANDUNG,05/01/1990",
        "BANDUNG, 1990-01-05",
        "BANDUNG,",
        "BANDUNG",
        "05/01/1990",
        "BANDUNG, 06/01/1990",
        "BANDUNG, 01/05/1990",
        "BANDUNG, 17/03/2015",
        "BANDUNG, 1 Januari 1979",
        None,
        date(1990, 1, 5),
        32878,
    ],
    7: [
        "001/001",
        "1/1",
        "RT 001 RW 001",
        "RT.01/RW.01",
        "rt 2 / rw 3",
        "02/03",
        "3/2",
        "2-2",
        "RT 1",
        "1/9",
        "",
        "x/y",
        None,
        "1/1/1",
        "٣/1",
    ],
    8: ["", "1"],
}
COMBINED_ROW = st.tuples(
    st.sampled_from(COMBINED_CLEAN),
    st.lists(st.sampled_from(sorted(COMBINED_VARIANTS)), max_size=3),
)


@settings(max_examples=2000, deadline=None)
@given(st.lists(COMBINED_ROW, min_size=1, max_size=4), st.booleans(), st.booleans(), st.data())
def test_fast_path_agrees_on_combined_rt_rw_and_place_date_columns(
    rows, dates_as_text, month_first, data
):
    ctx = context(COMBINED_COLUMNS)
    ctx.date_order = MONTH_FIRST if month_first else DAY_FIRST
    fast = FastCheck(ctx, dates_as_text)
    for base, columns in rows:
        cells = list(base)
        for column in columns:
            cells[column] = data.draw(st.sampled_from(COMBINED_VARIANTS[column]))
        assert_same_answer(fast, ctx, cells)


def test_clean_combined_rows_take_the_fast_path():
    ctx = context(COMBINED_COLUMNS)
    assert all(assert_same_answer(FastCheck(ctx), ctx, row) for row in COMBINED_CLEAN)
