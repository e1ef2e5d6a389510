"""Reading messy kelurahan files, validating rows, and the preview (dry run) counts."""

from datetime import date

import pytest
import sqlalchemy as sa

from nutera.extensions import db
from nutera.identity import IdentityError
from nutera.models import Household, Person, Refresh, RefreshRow, Setting
from nutera.refresh import details, diff, reader, staging
from nutera.refresh.validate import identity_text, parse_date
from tests import factories
from tests.factories_refresh import DATA, copy_sample, make_sample_kelurahan, write_csv

DTKS_DEFECTS = {
    5: "notasi ilmiah",
    17: "16 digit",
    42: "tidak mungkin",
    77: "sudah ada di baris 76",
    120: "Nama wajib diisi",
    150: "hanya boleh berisi angka",
    222: "tidak sesuai dengan NIK",
}


@pytest.fixture
def kelurahan(app_ctx):
    kelurahan = make_sample_kelurahan(db.session)
    db.session.commit()
    return kelurahan


def analyse_file(kelurahan, path, source="DTKS Kemensos", mapping=None):
    refresh = staging.create_refresh(db.session, kelurahan.id, None, source, path, path.name)
    if mapping:
        refresh.mapping = mapping
    counts = staging.analyse(db.session, refresh)
    db.session.commit()
    return refresh, counts


def rejected(refresh):
    return {
        (r.sheet, r.row_number): r.error
        for r in db.session.scalars(
            sa.select(RefreshRow).where(
                RefreshRow.refresh_id == refresh.id, RefreshRow.error.is_not(None)
            )
        )
    }


def test_shared_dtks_sample_reports_exactly_its_seven_defects(kelurahan, tmp_path):
    path = copy_sample("dtks_tamansari_semicolon.csv", tmp_path)
    info = reader.inspect_file(path, path.name)
    assert (info.encoding, info.delimiter, info.sheets[0].header_index) == ("utf-8-sig", ";", 2)
    refresh, counts = analyse_file(kelurahan, path)
    errors = {number: message for (_, number), message in rejected(refresh).items()}
    assert set(errors) == set(DTKS_DEFECTS)
    for number, fragment in DTKS_DEFECTS.items():
        assert fragment in errors[number], (number, errors[number])
    assert errors[5].startswith("NIK:") and errors[150].startswith("Nomor KK:")
    assert counts["rows"] == 300 and counts["rejected"] == 7 and counts["persons_new"] == 293


def test_shared_xlsx_sample_reads_numeric_niks_and_skips_the_jumlah_footer(kelurahan, tmp_path):
    path = copy_sample("warga_tamansari.xlsx", tmp_path)
    refresh, counts = analyse_file(kelurahan, path, source="Data kependudukan kelurahan")
    assert refresh.mapping["nik"] == "No. NIK" and refresh.mapping["name"] == "Nama Lengkap"
    assert counts["rows"] == 200 and counts["rejected"] == 0
    # Row 3 stored its NIK as a number below 2^53: exact, so accepted as the same digits.
    assert (
        db.session.scalar(
            sa.select(RefreshRow.nik).where(
                RefreshRow.refresh_id == refresh.id, RefreshRow.row_number == 3
            )
        )
        == "3273052611028523"
    )


def test_xlsx_with_several_sheets_serial_dates_and_numbers_above_2_pow_53(kelurahan):
    refresh, counts = analyse_file(kelurahan, DATA / "warga_dua_lembar.xlsx")
    assert [s["name"] for s in refresh.layout["sheets"]] == ["RW 01", "RW 02"]
    errors = rejected(refresh)
    assert set(errors) == {("RW 01", 3), ("RW 02", 2)}
    assert "tersimpan sebagai angka" in errors[("RW 01", 3)]
    assert "RT 09/RW 01 tidak ada" in errors[("RW 02", 2)]
    rows = {
        r.name: r
        for r in db.session.scalars(
            sa.select(RefreshRow).where(
                RefreshRow.refresh_id == refresh.id, RefreshRow.error.is_(None)
            )
        )
    }
    assert rows["AHMAD FAUZI"].birth_date == date(1975, 3, 12)  # Excel serial 27465
    assert rows["DEDI KURNIAWAN"].kk == "3273020106150102"  # KK stored as a number
    assert counts["households_new"] == 2 and counts["persons_new"] == 3


def test_cp1252_comma_csv_with_title_row_and_total_footer(kelurahan):
    path = DATA / "penerima_cp1252_comma.csv"
    info = reader.inspect_file(path, path.name)
    assert (info.encoding, info.delimiter) == ("cp1252", ",")
    refresh, counts = analyse_file(kelurahan, path)
    assert refresh.mapping["programs"] == "Program"
    assert counts["rows"] == 10  # the TOTAL footer is not a person
    assert list(rejected(refresh)) == [("", 5)]
    assert (
        db.session.scalar(
            sa.select(RefreshRow.name).where(
                RefreshRow.refresh_id == refresh.id, RefreshRow.row_number == 1
            )
        )
        == "JOSÉ ANDRÉ"
    )


@pytest.mark.parametrize(
    "headers",
    [
        ["NIK", "NO KK", "NAMA", "RT", "RW"],
        ["No. NIK", "No. KK", "Nama Lengkap", "RT", "RW"],
        ["NOMOR INDUK KEPENDUDUKAN", "NOMOR KK", "NAMA", "RT", "RW"],
    ],
)
def test_header_spellings_are_recognised(headers):
    mapping = reader.propose_mapping(headers)
    assert [mapping[f] for f in ("nik", "kk", "name", "rt", "rw")] == headers


def test_remembered_mapping_wins_over_aliases(kelurahan, tmp_path):
    staging.remember_mapping(db.session, kelurahan.id, "Posyandu", {"name": "NAMA IBU"})
    db.session.commit()
    path = write_csv(
        tmp_path / "p.csv", [], header=["NO", "NIK", "NO KK", "NAMA", "NAMA IBU", "RT", "RW"]
    )
    refresh = staging.create_refresh(db.session, kelurahan.id, None, "Posyandu", path, path.name)
    assert refresh.mapping["name"] == "NAMA IBU"
    assert db.session.scalar(sa.select(sa.func.count(Setting.id))) == 1


def test_file_without_a_header_is_refused_in_indonesian(kelurahan, tmp_path):
    path = tmp_path / "kosong.csv"
    path.write_text("a;b\n1;2\n")
    with pytest.raises(reader.ReadError, match="judul kolom"):
        staging.create_refresh(db.session, kelurahan.id, None, "X", path, path.name)


def test_numeric_identity_cells_are_exact_below_2_pow_53_and_flagged_above():
    assert identity_text(3273052611028523.0, "NIK") == "3273052611028523"
    with pytest.raises(IdentityError, match="kehilangan digit"):
        identity_text(9171014501900012.0, "NIK")


def test_dates_in_the_forms_offices_use():
    assert parse_date("05/07/1980") == date(1980, 7, 5)
    assert parse_date(27465) == date(1975, 3, 12)
    assert parse_date("1980-07-05") == date(1980, 7, 5)
    with pytest.raises(ValueError):
        parse_date("31/02/1980")


def test_preview_counts_changes_moves_absences_and_nothing_is_written(kelurahan, tmp_path):
    rt = factories.rt_of(kelurahan, 1, 1)
    kk_old = factories.make_kk(serial=9001)
    household = factories.make_household(
        db.session,
        rt,
        kk_number=kk_old,
        members=[
            {
                "name": "LAMA NAMA",
                "sex": "L",
                "birth_date": date(1970, 1, 2),
                "relation": "kepala",
            },
            {"name": "ANAK TETAP", "sex": "P", "birth_date": date(2001, 2, 3)},
            {"name": "SUDAH PINDAH", "sex": "L", "birth_date": date(1999, 4, 5)},
        ],
    )
    head, child, gone = household.members
    db.session.commit()
    kk_new = factories.make_kk(serial=9002)
    path = write_csv(
        tmp_path / "w.csv",
        [
            [head.nik, kk_old, "NAMA BARU", "L", "02/01/1970", "Jl. Baru 1", "001", "001", ""],
            [child.nik, kk_new, "ANAK TETAP", "P", "03/02/2001", "Jl. Lain 2", "002", "001", ""],
            [
                factories.make_nik(date(1990, 6, 7), "P"),
                kk_new,
                "WARGA BARU",
                "P",
                "07/06/1990",
                "Jl. Lain 2",
                "002",
                "001",
                "",
            ],
        ],
    )
    before = db.session.scalar(sa.select(sa.func.count(Person.id)))
    refresh, counts = analyse_file(kelurahan, path)
    assert counts["persons_new"] == 1 and counts["persons_changed"] == 2
    assert counts["fields"] == {"name": 1, "sex": 0, "birth_date": 0, "household_id": 1}
    assert counts["households_new"] == 1 and counts["households_changed"] == 1
    assert counts["absent"] == 1 and counts["no_change"] is False
    # A dry run: the registry is untouched.
    assert db.session.scalar(sa.select(sa.func.count(Person.id))) == before
    assert db.session.get(Person, head.id).name == "LAMA NAMA"
    assert db.session.scalar(sa.select(sa.func.count(Household.id))) == 1


def test_possible_duplicates_are_counted_not_merged(kelurahan, tmp_path):
    rt = factories.rt_of(kelurahan, 1, 1)
    existing = factories.make_household(
        db.session,
        rt,
        members=[
            {
                "name": "SRI WAHYUNI",
                "sex": "P",
                "birth_date": date(1988, 8, 8),
                "relation": "kepala",
            }
        ],
    )
    db.session.commit()
    path = write_csv(
        tmp_path / "d.csv",
        [
            [
                factories.make_nik(date(1988, 8, 8), "P"),
                factories.make_kk(),
                "SRI WAHYUNI",
                "P",
                "08/08/1988",
                "Jl. X",
                "001",
                "001",
                "",
            ]
        ],
    )
    refresh, counts = analyse_file(kelurahan, path)
    assert counts["duplicates"] == 1 and counts["persons_new"] == 1
    assert existing.members[0].nik != db.session.scalar(
        sa.select(RefreshRow.nik).where(diff.staged(refresh.id))
    )


def test_same_name_and_birth_date_under_two_niks_in_the_file_is_a_possible_duplicate(
    kelurahan, tmp_path
):
    born = date(1990, 4, 5)
    row = lambda nik, kk, birth: [nik, kk, "RINA LESTARI", "P", birth, "Jl. Y", "001", "001", ""]  # noqa: E731
    path = write_csv(
        tmp_path / "twins.csv",
        [
            row(
                factories.make_nik(born, "P", serial=11),
                factories.make_kk(serial=11),
                "05/04/1990",
            ),
            row(
                factories.make_nik(born, "P", serial=12),
                factories.make_kk(serial=12),
                "05/04/1990",
            ),
            row(
                factories.make_nik(date(1991, 4, 5), "P", serial=13),
                factories.make_kk(serial=13),
                "05/04/1991",
            ),
        ],
    )
    refresh, counts = analyse_file(kelurahan, path)
    assert counts["duplicates"] == 1 and counts["persons_new"] == 3
    page = details.detail_page(db.session, refresh, "duplikat")
    assert [(r["row_number"], r["note"]) for r in page.rows] == [
        (1, "(di berkas ini)"),
        (2, "(di berkas ini)"),
    ]


def test_staged_rows_are_exactly_the_refresh_s_own_when_stagings_interleave(kelurahan):
    one, two = (
        Refresh(
            kelurahan_id=kelurahan.id,
            source=s,
            filename="x.csv",
            stored_path="x",
            sha256=s,
            layout={},
            mapping={},
            status="analisis",
        )
        for s in "ab"
    )
    db.session.add_all([one, two])
    db.session.flush()
    owners = [one, two, one, one, two, two, one, two]
    db.session.execute(
        sa.insert(RefreshRow),
        [
            {
                "refresh_id": r.id,
                "row_number": n,
                "name": f"R{n}",
                "error": "x" if n == 4 else None,
            }
            for n, r in enumerate(owners, start=1)
        ],
    )
    ids = db.session.scalars(sa.select(RefreshRow.id).order_by(RefreshRow.id)).all()
    for refresh in (one, two):  # the ranges staging records: each spans the other's rows
        own = [i for i, r in zip(ids, owners, strict=False) if r is refresh]
        refresh.first_row_id, refresh.last_row_id = own[0], own[-1]
    db.session.flush()
    for refresh in (one, two):
        staged = set(
            db.session.scalars(sa.select(RefreshRow.row_number).where(diff.staged(refresh.id)))
        )
        valid = set(
            db.session.scalars(sa.select(RefreshRow.row_number).where(diff.valid_rows(refresh.id)))
        )
        mine = {n for n, r in enumerate(owners, start=1) if r is refresh}
        assert staged == mine and valid == mine - {4}
    assert db.session.scalar(sa.select(sa.func.count()).where(diff.staged(two.id + 1))) == 0


def test_analysing_again_replaces_the_staged_rows_and_their_range(kelurahan, tmp_path):
    path = copy_sample("dtks_tamansari_semicolon.csv", tmp_path)
    refresh, _ = analyse_file(kelurahan, path)
    staging.analyse(db.session, refresh)  # e.g. after the staff changed the mapping
    db.session.commit()
    count = sa.select(sa.func.count()).select_from(RefreshRow)
    assert db.session.scalar(count.where(RefreshRow.refresh_id == refresh.id)) == 300
    assert db.session.scalar(count.where(diff.staged(refresh.id))) == 300


def test_an_analysis_that_died_half_way_leaves_no_rows_behind(kelurahan, tmp_path, monkeypatch):
    path = copy_sample("dtks_tamansari_semicolon.csv", tmp_path)
    monkeypatch.setattr(staging, "CHUNK", 7)
    monkeypatch.setattr(staging, "BATCH", 20)
    refresh = staging.create_refresh(db.session, kelurahan.id, None, "DTKS", path, path.name)
    db.session.commit()
    reports = []

    def committing_progress(fraction, message):  # as a background job reports
        db.session.commit()
        reports.append(fraction)
        if len(reports) == 3:
            raise RuntimeError("worker recycled")

    with pytest.raises(RuntimeError):
        staging.analyse(db.session, refresh, committing_progress)
    db.session.rollback()
    count = (
        sa.select(sa.func.count())
        .select_from(RefreshRow)
        .where(RefreshRow.refresh_id == refresh.id)
    )
    assert db.session.scalar(count) > 0  # batches committed before it died
    staging.analyse(db.session, refresh)
    db.session.commit()
    assert db.session.scalar(count) == 300


def test_rejected_rows_of_several_sheets_are_listed_sheet_by_sheet(kelurahan, tmp_path):
    from openpyxl import Workbook

    other = factories.make_kelurahan(db.session, "3273021004", "Lain")
    there = factories.make_household(
        db.session,
        factories.rt_of(other, 1, 1),
        members=[
            {
                "name": "WARGA LAIN",
                "sex": "L",
                "birth_date": date(1980, 1, 2),
                "relation": "kepala",
            }
        ],
    )
    db.session.commit()
    book = Workbook()
    first = book.active
    first.title = "RW01"
    second = book.create_sheet("RW02")
    header = ["NIK", "NO KK", "NAMA", "RT", "RW"]
    first.append(header)  # its only row is rejected after staging (another kelurahan's NIK)
    first.append([there.members[0].nik, factories.make_kk(serial=9401), "WARGA LAIN", "1", "1"])
    second.append(header)  # rejected while staging
    second.append(["123", factories.make_kk(serial=9402), "SALAH KETIK", "1", "1"])
    path = tmp_path / "dua.xlsx"
    book.save(path)
    refresh, _ = analyse_file(kelurahan, path)
    listed = [
        (row["sheet"], row["row_number"])
        for row in details.detail_page(db.session, refresh, "ditolak").rows
    ]
    assert listed == [("RW01", 1), ("RW02", 1)]


def test_rows_staged_in_small_chunks_are_the_rows_staged_at_once(kelurahan, tmp_path, monkeypatch):
    path = copy_sample("dtks_tamansari_semicolon.csv", tmp_path)
    single, _ = analyse_file(kelurahan, path)
    monkeypatch.setattr(staging, "CHUNK", 7)  # KKs, duplicates and footers across chunks
    monkeypatch.setattr(staging, "BATCH", 20)
    chunked = staging.create_refresh(db.session, kelurahan.id, None, "DTKS", path, path.name)
    staging.analyse(db.session, chunked)
    db.session.commit()

    def rows(refresh):
        return db.session.execute(
            sa.select(
                RefreshRow.row_number,
                RefreshRow.nik,
                RefreshRow.kk,
                RefreshRow.name,
                RefreshRow.birth_date,
                RefreshRow.rt_id,
                RefreshRow.programs,
                RefreshRow.error,
                RefreshRow.is_first,
            )
            .where(RefreshRow.refresh_id == refresh.id)
            .order_by(RefreshRow.row_number)
        ).all()

    assert rows(chunked) == rows(single) and len(rows(single)) == 300
    assert chunked.content_hash == single.content_hash


def test_nik_or_kk_registered_in_another_kelurahan_is_rejected_naming_the_nik_first(
    kelurahan, tmp_path
):
    other = factories.make_kelurahan(db.session, "3273021004", "Lain")
    there = factories.make_household(
        db.session,
        factories.rt_of(other, 1, 1),
        kk_number=factories.make_kk(serial=9301),
        members=[
            {
                "name": "WARGA LAIN",
                "sex": "L",
                "birth_date": date(1980, 1, 2),
                "relation": "kepala",
            }
        ],
    )
    db.session.commit()
    person = there.members[0]
    path = write_csv(
        tmp_path / "e.csv",
        [
            [
                person.nik,
                there.kk_number,
                "WARGA LAIN",
                "L",
                "02/01/1980",
                "Jl. X",
                "001",
                "001",
                "",
            ],
            [
                factories.make_nik(date(1991, 3, 4), "P"),
                there.kk_number,
                "ISTRI",
                "P",
                "04/03/1991",
                "Jl. X",
                "001",
                "001",
                "",
            ],
            [
                person.nik,
                factories.make_kk(serial=9302),
                "WARGA LAIN",
                "L",
                "02/01/1980",
                "Jl. Y",
                "001",
                "001",
                "",
            ],
            [
                factories.make_nik(date(1992, 5, 6), "L"),
                factories.make_kk(serial=9303),
                "BARU",
                "L",
                "06/05/1992",
                "Jl. Z",
                "001",
                "001",
                "",
            ],
        ],
    )
    refresh, counts = analyse_file(kelurahan, path)
    errors = {number: message for (_, number), message in rejected(refresh).items()}
    assert errors[1] == "NIK: NIK ini terdaftar di kelurahan lain; tidak diubah dari sini."
    assert errors[2] == "Nomor KK: KK ini terdaftar di kelurahan lain; tidak diubah dari sini."
    assert errors[3].startswith("NIK: NIK yang sama sudah ada di baris 1")
    assert set(errors) == {1, 2, 3} and counts["rejected"] == 3 and counts["persons_new"] == 1
    # Listed in file order, though row 3 was rejected while staging and rows 1-2 after.
    assert [
        row["row_number"] for row in details.detail_page(db.session, refresh, "ditolak").rows
    ] == [
        1,
        2,
        3,
    ]
