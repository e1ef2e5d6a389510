"""A re-saved extract with the content last committed is recognised before any row is checked."""

import csv
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from nutera.audit import Actor
from nutera.extensions import db
from nutera.models import Refresh
from nutera.refresh import commit, reader, revert, services, staging
from tests.factories_refresh import DATA, copy_sample, make_sample_kelurahan

CLI = Actor(None, "cli")
SOURCE = "DTKS Kemensos"


@pytest.fixture
def kelurahan(app_ctx):
    kelurahan = make_sample_kelurahan(db.session)
    db.session.commit()
    return kelurahan


def committed(kelurahan, path) -> Refresh:
    refresh, same = services.open_upload(db.session, kelurahan.id, None, SOURCE, path, path.name)
    assert same is None
    staging.analyse(db.session, refresh)
    commit.commit_refresh(db.session, refresh, CLI)
    db.session.commit()
    return refresh


def open_again(kelurahan, path, source=SOURCE):
    refresh, same = services.open_upload(db.session, kelurahan.id, None, source, path, path.name)
    db.session.commit()
    return refresh, same


def rewrite(
    source: Path, target: Path, *, delimiter=";", encoding="utf-8-sig", order=None, change=None
) -> Path:
    """The same table saved again: other delimiter, encoding or order, or one cell changed."""
    with open(source, encoding="utf-8-sig", newline="") as handle:
        table = list(csv.reader(handle, delimiter=";"))
    if change:
        row, column, value = change
        table[row][column] = value
    if order:
        table = [[cells[i] if i < len(cells) else "" for i in order] for cells in table]
    with open(target, "w", encoding=encoding, newline="") as handle:
        csv.writer(handle, delimiter=delimiter, quoting=csv.QUOTE_ALL).writerows(table)
    return target


def test_resaved_copies_are_recognised_without_a_new_refresh(kelurahan, tmp_path):
    first = committed(kelurahan, copy_sample("dtks_tamansari_semicolon.csv", tmp_path))
    original = tmp_path / "dtks_tamansari_semicolon.csv"
    crlf = tmp_path / "crlf.csv"
    crlf.write_bytes(original.read_bytes().replace(b"\n", b"\r\n"))
    reordered = list(range(11))
    reordered[3], reordered[6] = 6, 3  # NAMA and ALAMAT swap places
    copies = [
        crlf,
        rewrite(original, tmp_path / "comma.csv", delimiter=",", encoding="cp1252"),
        rewrite(original, tmp_path / "order.csv", order=reordered),
    ]
    for copy in copies:
        assert open_again(kelurahan, copy) == (None, first), copy.name
    assert db.session.scalar(sa.select(sa.func.count(Refresh.id))) == 1


def test_changed_cell_other_mapping_other_source_and_revert_mean_a_full_analysis(
    kelurahan, tmp_path
):
    first = committed(kelurahan, copy_sample("dtks_tamansari_semicolon.csv", tmp_path))
    original = tmp_path / "dtks_tamansari_semicolon.csv"
    changed = rewrite(original, tmp_path / "changed.csv", change=(10, 3, "NAMA LAIN"))
    refresh, same = open_again(kelurahan, changed)
    assert same is None and refresh.status == "pemetaan"
    crlf = tmp_path / "crlf.csv"
    crlf.write_bytes(original.read_bytes().replace(b"\n", b"\r\n"))
    refresh, same = open_again(kelurahan, crlf, source="Data kelurahan")
    assert same is None
    # The same cells under another mapping (no address column) would import differently.
    other = staging.create_refresh(db.session, kelurahan.id, None, SOURCE, crlf, crlf.name)
    other.mapping = {k: v for k, v in other.mapping.items() if k != "address"}
    assert staging.content_identical_to_last(db.session, other) is None
    db.session.rollback()
    revert.revert_refresh(db.session, first, CLI)
    db.session.commit()
    refresh, same = open_again(kelurahan, crlf)
    assert same is None and refresh is not None


def test_digest_tells_text_from_numbers_and_cells_from_separators():
    mapping = {"nik": "NIK", "kk": "KK", "name": "NAMA"}
    columns = {"nik": 0, "kk": 1, "name": 2}

    def digest(*rows):
        d = reader.ContentDigest(mapping)
        for cells in rows:
            d.add(columns, list(cells))
        return d.hexdigest()

    assert digest(["1", "2", "A"]) == digest(["1", "2", "A", "ignored column"])
    assert digest(["1", "2", "A"]) != digest([1.0, "2", "A"])
    assert digest(["1", "2\x1fA", ""]) != digest(["1", "2", "A\x1f"])
    assert digest(["1", "2", "A"], ["3", "4", "B"]) != digest(["1", "2", "A\x1e3", "4", "B"])
    assert digest(["1", "2", "A"], ["3", "4", "B"]) != digest(["3", "4", "B"], ["1", "2", "A"])
    assert digest(["1", "2", "A"]) != reader.ContentDigest({**mapping, "rt": "RT"}).hexdigest()


CELL = st.one_of(
    st.sampled_from(["1", "2", "A", "", "\x1f", "A\x1e3", "\x1d"]),
    st.text(max_size=3),
    st.integers(0, 3),
    st.floats(allow_nan=False),
    st.none(),
)


@settings(max_examples=500, deadline=None)
@given(
    st.lists(st.lists(CELL, min_size=2, max_size=4), max_size=6),
    st.sampled_from(
        [{"nik": 0, "kk": 1, "name": 2}, {"nik": 2, "kk": 0, "name": 1}, {"nik": 0, "kk": 1}]
    ),
)
def test_a_chunk_at_once_digests_as_its_rows_one_by_one(rows, columns):
    mapping = {"nik": "NIK", "kk": "KK", "name": "NAMA"}
    one_by_one, at_once = reader.ContentDigest(mapping), reader.ContentDigest(mapping)
    for cells in rows:
        one_by_one.add(columns, cells)
    at_once.add_rows(columns, rows[:2])
    at_once.add_rows(columns, rows[2:])
    assert at_once.hexdigest() == one_by_one.hexdigest()


@settings(max_examples=500, deadline=None)
@given(
    st.lists(st.lists(CELL, min_size=2, max_size=4), max_size=6),
    st.lists(st.lists(st.text(max_size=4), min_size=3, max_size=3), max_size=6),
    st.sampled_from(
        [{"nik": 0, "kk": 1, "name": 2}, {"nik": 2, "kk": 0, "name": 1}, {"nik": 0, "kk": 1}]
    ),
)
def test_per_row_digests_of_a_chunk_at_once_are_those_of_its_row_texts(rows, texts, columns):
    """add_rows_hashed (staging and the scan) gives add_rows's row texts' digests and the
    same content digest, for typed, short and separator-holding rows as for plain ones."""
    from nutera.refresh import incremental

    mapping = {"nik": "NIK", "kk": "KK", "name": "NAMA"}
    texts_of, hashed = reader.ContentDigest(mapping), reader.ContentDigest(mapping)
    for chunk in (rows[:2], texts, rows[2:], texts + [["\udcff", "é", "x"]]):
        assert hashed.add_rows_hashed(columns, chunk) == incremental.row_digests(
            texts_of.add_rows(columns, chunk)
        )
    assert hashed.hexdigest() == texts_of.hexdigest()


def test_cli_and_upload_page_say_tidak_ada_perubahan_for_a_resaved_copy(
    runner, world, app, client, login_as, tmp_path
):
    path = DATA / "penerima_cp1252_comma.csv"
    args = ["refresh", "import", "--source", "Penerima", "--kelurahan", "3273021003", "--commit"]
    assert "diterapkan" in runner.invoke(args=[*args[:2], str(path), *args[2:]]).output
    resaved = tmp_path / "penerima.csv"
    resaved.write_bytes(path.read_bytes().replace(b"\r\n", b"\n"))  # saved again with LF ends
    assert resaved.read_bytes() != path.read_bytes()
    with app.app_context():
        last = staging.last_committed(db.session, world.kelurahan_id, "Penerima")
        count = db.session.scalar(sa.select(sa.func.count(Refresh.id)))
    again = runner.invoke(args=[*args[:2], str(resaved), *args[2:]])
    assert again.exit_code == 0, again.output
    assert f"identik dengan pemutakhiran #{last.id}: tidak ada perubahan" in again.output
    login_as("staff")
    with open(resaved, "rb") as handle:
        response = client.post(
            "/pemutakhiran/",
            content_type="multipart/form-data",
            data={
                "source": "Penerima",
                "kelurahan_id": str(world.kelurahan_id),
                "file": (handle, "penerima.csv"),
            },
        )
    assert response.status_code == 302 and response.location.endswith("/pemutakhiran/")
    page = client.get(response.location).get_data(as_text=True)
    assert "identik dengan pemutakhiran terakhir dari Penerima" in page
    assert "tidak ada perubahan" in page
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Refresh.id))) == count
