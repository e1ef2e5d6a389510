"""A re-import that costs what changed: only families with a changed row are staged, checked,
diffed and committed; revert, drill-downs and the change feed see exactly those."""

from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from nutera.audit import Actor
from nutera.extensions import db
from nutera.models import (
    Enrollment,
    Household,
    Kelurahan,
    Person,
    Refresh,
    RefreshDigest,
    RefreshRow,
)
from nutera.refresh import commit, details, revert, services, staging
from nutera.timeutil import as_utc
from tests import factories
from tests.factories_refresh import HEADER, make_sample_kelurahan, write_csv
from tests.test_api import api  # noqa: F401 (the API client fixture)

CLI = Actor(None, "cli")
FAMILIES, MEMBERS = 6, 3


@pytest.fixture
def kelurahan(app_ctx):
    kelurahan = make_sample_kelurahan(db.session)
    db.session.commit()
    return kelurahan


def city(families: int = FAMILIES) -> list[list[str]]:
    """Rows of families of three; the first family receives PKH (a household program)."""
    rows = []
    for family in range(families):
        kk = factories.make_kk(serial=8100 + family)
        for member in range(MEMBERS):
            born = date(1960 + family, 1 + member, 10 + member)
            sex = "L" if member != 1 else "P"
            rows.append(
                [
                    factories.make_nik(born, sex, serial=100 * family + member + 1),
                    kk,
                    f"WARGA {family} ANGGOTA {member}",
                    sex,
                    born.strftime("%d/%m/%Y"),
                    f"Jl. Keluarga {family}",
                    f"{family % 5 + 1:03d}",
                    "001",
                    "PKH" if family == 0 else "",
                ]
            )
    return rows


@pytest.fixture(params=["upload", "analysis"])
def imported(request):
    """Upload and analyse a file: through the upload (which reads the file once for both
    the re-saved check and the comparison, keeping the changed families' rows), or with
    the comparison left to the analysis."""

    def run(kelurahan, rows, path, source="DTKS Kemensos"):
        if request.param == "upload":
            refresh, same = services.open_upload(
                db.session, kelurahan.id, None, source, path, path.name
            )
            assert same is None
        else:
            refresh = staging.create_refresh(
                db.session, kelurahan.id, None, source, path, path.name
            )
        staging.analyse(db.session, refresh)
        db.session.commit()
        return refresh

    return run


def apply(refresh):
    commit.commit_refresh(db.session, refresh, CLI)
    db.session.commit()
    return refresh


def staged_rows(refresh) -> list[RefreshRow]:
    return list(
        db.session.scalars(sa.select(RefreshRow).where(RefreshRow.refresh_id == refresh.id))
    )


def registry():
    return db.session.execute(
        sa.select(Person.nik, Person.name, Person.household_id, Person.updated_at).order_by(
            Person.nik
        )
    ).all(), db.session.execute(
        sa.select(Household.kk_number, Household.address, Household.rt_id).order_by(
            Household.kk_number
        )
    ).all()


def first_import(imported, kelurahan, tmp_path, rows=None):
    rows = rows or city()
    return apply(imported(kelurahan, rows, write_csv(tmp_path / "week1.csv", rows))), rows


def test_one_changed_cell_among_unchanged_rows_is_found_by_its_row_digest(
    imported, kelurahan, tmp_path
):
    first, rows = first_import(imported, kelurahan, tmp_path)
    assert db.session.get(RefreshDigest, first.id).rows == FAMILIES * MEMBERS
    # Same NIKs, KKs, row count and order: only the name of family 2's second member.
    rows[7][2] = "WARGA DUA BERGANTI NAMA"
    second = imported(kelurahan, rows, write_csv(tmp_path / "week2.csv", rows))
    counts = second.counts
    assert counts["rows"] == FAMILIES * MEMBERS and counts["rejected"] == 0
    assert counts["unchanged"] == (FAMILIES - 1) * MEMBERS
    assert counts["persons_changed"] == 1 and counts["persons_new"] == 0
    # The whole family of the changed row was staged and checked; nothing else.
    assert sorted(r.row_number for r in staged_rows(second)) == [7, 8, 9]
    changed = details.detail_page(db.session, second, "berubah")
    assert changed.total == 1 and changed.rows[0]["file_name"] == "WARGA DUA BERGANTI NAMA"
    assert details.detail_page(db.session, second, "absen").total == 0
    untouched = {p.nik: p.updated_at for p in db.session.scalars(sa.select(Person))}
    apply(second)
    person = db.session.scalar(sa.select(Person).where(Person.nik == rows[7][0]))
    assert person.name == "WARGA DUA BERGANTI NAMA"
    for other in db.session.scalars(sa.select(Person).where(Person.nik != rows[7][0])):
        assert other.updated_at == untouched[other.nik]
    # The next week compares with this commit: the unchanged file stages nothing again.
    assert db.session.get(RefreshDigest, second.id).rows == FAMILIES * MEMBERS
    assert db.session.get(RefreshDigest, first.id) is None


def test_a_household_program_stays_while_another_member_still_lists_it(
    imported, kelurahan, tmp_path
):
    rows = city()
    rows[2][8] = "PKH"  # family 0 lists PKH on every row
    first_import(imported, kelurahan, tmp_path, rows)
    rows[2][8] = ""  # one member's row drops it; the head's row still lists it
    rows[5][8] = "BST"  # family 1 gets BST through its last member only
    second = imported(kelurahan, rows, write_csv(tmp_path / "week2.csv", rows))
    assert second.counts["enrollments_ended"] == 0 and second.counts["enrollments_added"] == 1
    apply(second)
    active = db.session.scalars(
        sa.select(Enrollment.household_id).where(Enrollment.status == "aktif")
    ).all()
    assert len(active) == 2


def test_a_resident_missing_from_an_unchanged_family_is_listed_absent(
    imported, kelurahan, tmp_path
):
    first_import(imported, kelurahan, tmp_path)
    rows = city()
    gone = rows.pop(4)  # family 1's second member, the rest of the family unchanged
    second = imported(kelurahan, rows, write_csv(tmp_path / "week2.csv", rows))
    assert second.counts["absent"] == 1
    absent = details.detail_page(db.session, second, "absen")
    assert absent.total == 1 and absent.rows[0]["name"] == gone[2]


def test_a_nik_repeating_an_unchanged_row_is_refused(imported, kelurahan, tmp_path):
    first_import(imported, kelurahan, tmp_path)
    rows = city()
    copy = list(rows[0])
    copy[1] = factories.make_kk(serial=8300)
    copy[2] = "ORANG LAIN"
    rows.append(copy)
    second = imported(kelurahan, rows, write_csv(tmp_path / "week2.csv", rows))
    assert second.counts["rejected"] == 1
    (refused,) = [r for r in staged_rows(second) if r.error]
    assert "NIK yang sama sudah ada" in refused.error


def test_revert_after_an_incremental_commit_restores_the_week_before(
    imported, kelurahan, tmp_path
):
    first, rows = first_import(imported, kelurahan, tmp_path)
    before = registry()
    rows[0][2] = "KEPALA BERGANTI"
    rows[0][5] = "Jl. Pindah 9"
    new_kk = factories.make_kk(serial=8200)
    newborn = date.today() - timedelta(days=40)
    rows.append(
        [
            factories.make_nik(newborn, "P", serial=999),
            new_kk,
            "BAYI BARU",
            "P",
            newborn.strftime("%d/%m/%Y"),
            "Gg. Baru",
            "002",
            "002",
            "",
        ]
    )
    second = apply(imported(kelurahan, rows, write_csv(tmp_path / "week2.csv", rows)))
    assert second.counts["unchanged"] == (FAMILIES - 1) * MEMBERS
    assert second.counts["applied"] == {"household": 2, "person": 2}
    assert db.session.scalar(sa.select(Household.address).where(Household.kk_number == rows[0][1]))
    revert.revert_refresh(db.session, db.session.get(Refresh, second.id), CLI)
    db.session.commit()
    assert registry() == before
    # After a revert the next file is compared with the registry in full again.
    third = imported(kelurahan, rows, write_csv(tmp_path / "week3.csv", rows))
    assert "unchanged" not in third.counts and third.counts["persons_new"] == 1


def test_a_row_staff_corrected_since_stays_when_the_file_repeats_it(imported, kelurahan, tmp_path):
    _, rows = first_import(imported, kelurahan, tmp_path)
    person = db.session.scalar(sa.select(Person).where(Person.nik == rows[3][0]))
    person.name = "NAMA DIPERBAIKI PETUGAS"
    db.session.commit()
    rows[0][2] = "KEPALA BERGANTI"
    second = apply(imported(kelurahan, rows, write_csv(tmp_path / "week2.csv", rows)))
    assert second.counts["persons_changed"] == 1
    assert db.session.get(Person, person.id).name == "NAMA DIPERBAIKI PETUGAS"


def test_a_family_split_across_the_file_is_staged_whole(imported, kelurahan, tmp_path):
    rows = city()
    rows.append(rows.pop(0))  # family 0's head comes last, apart from its members
    _, rows = first_import(imported, kelurahan, tmp_path, rows)
    rows[0][2] = "ANGGOTA BERGANTI"  # a member of family 0 (its head still comes last)
    second = imported(kelurahan, rows, write_csv(tmp_path / "week2.csv", rows))
    assert sorted(r.row_number for r in staged_rows(second)) == [1, 2, len(rows)]
    assert second.counts["persons_changed"] == 1 and second.counts["absent"] == 0
    assert second.counts["enrollments_ended"] == 0


def test_an_upload_read_once_is_analysed_without_reading_the_file_again(kelurahan, tmp_path):
    rows = city()
    path = write_csv(tmp_path / "week1.csv", rows)
    first, _ = services.open_upload(db.session, kelurahan.id, None, "DTKS", path, path.name)
    staging.analyse(db.session, first)
    apply(first)
    rows[10][2] = "WARGA TIGA BERGANTI"
    path = write_csv(tmp_path / "week2.csv", rows)
    second, _ = services.open_upload(db.session, kelurahan.id, None, "DTKS", path, path.name)
    db.session.commit()
    path.unlink()  # the changed family's rows were kept by the upload's read
    staging.analyse(db.session, second)
    assert second.counts["persons_changed"] == 1 and second.counts["unchanged"] == 15
    apply(second)
    assert db.session.scalar(sa.select(Person.name).where(Person.nik == rows[10][0])) == (
        "WARGA TIGA BERGANTI"
    )


def test_unchanged_families_stay_confirmed_without_a_write_each_week(
    imported, kelurahan, tmp_path
):
    _, rows = first_import(imported, kelurahan, tmp_path)
    kks = [rows[i * MEMBERS][1] for i in range(FAMILIES)]
    old = datetime.now(UTC) - timedelta(days=90)
    db.session.execute(
        sa.update(Household)
        .where(Household.kk_number.in_(kks[1:3]))
        .values(refresh_confirmed_at=old)
    )
    db.session.commit()
    fresh = db.session.scalar(
        sa.select(Household.refresh_confirmed_at).where(Household.kk_number == kks[3])
    )
    rows[0][2] = "KEPALA BERGANTI"  # family 0 changes
    del rows[2 * MEMBERS : 3 * MEMBERS]  # family 2 left the file
    second = apply(imported(kelurahan, rows, write_csv(tmp_path / "week2.csv", rows)))
    confirmed = dict(
        db.session.execute(sa.select(Household.kk_number, Household.refresh_confirmed_at)).all()
    )
    stamp = as_utc(second.records_stamped_at)
    assert as_utc(confirmed[kks[0]]) == stamp  # staged: confirmed by the commit's rows
    assert as_utc(confirmed[kks[1]]) == stamp  # unchanged, confirmation was getting old
    assert as_utc(confirmed[kks[2]]) == old  # gone from the file: not confirmed
    assert as_utc(confirmed[kks[3]]) == as_utc(fresh)  # unchanged, confirmed recently


def test_a_file_where_much_changed_is_staged_in_full(imported, kelurahan, tmp_path):
    _, rows = first_import(imported, kelurahan, tmp_path)
    for row in rows[: MEMBERS * 3]:
        row[5] = "Jl. Semua Pindah"
    second = imported(kelurahan, rows, write_csv(tmp_path / "week2.csv", rows))
    assert "unchanged" not in second.counts
    assert len(staged_rows(second)) == FAMILIES * MEMBERS


def _feed(api, token, after=None):  # noqa: F811
    query = {"after": after} if after else {}
    items = api.call("GET", "/api/v1/changes", token, query_string=query).get_json()["items"]
    return items, (items[-1]["cursor"] if items else after)


def test_change_feed_after_a_refresh_commit_and_a_revert_lists_every_changed_record_exactly_once(  # noqa: E501
    app,
    world,
    api,  # noqa: F811
    tmp_path,
):
    token = api.login()
    _, start = _feed(api, token)
    with app.app_context():
        kelurahan_id = world.kelurahan_id
        person = db.session.get(Person, world.person_ids["assigned"])
        household = db.session.get(Household, world.household_ids["assigned"])
        new_kk = factories.make_kk(serial=8400)
        rows = [
            [person.nik, household.kk_number, "SITI AMINAH BARU", "P", "01/02/1980"]
            + ["Jl. Baru 5", "001", "001", ""],
        ] + [
            [
                factories.make_nik(date(1990, 5, n), "L", serial=n),
                new_kk,
                f"WARGA BARU {n}",
                "L",
                f"{n:02d}/05/1990",
                "Gg. Baru",
                "002",
                "001",
                "",
            ]
            for n in (1, 2)
        ]
        path = write_csv(tmp_path / "feed.csv", rows)
        refresh = staging.create_refresh(db.session, kelurahan_id, None, "DTKS", path, path.name)
        staging.analyse(db.session, refresh)
        db.session.commit()
        commit.commit_refresh(db.session, refresh, CLI)
        db.session.commit()
        refresh_id = refresh.id
        created_persons = set(
            db.session.scalars(sa.select(Person.id).where(Person.name.like("WARGA BARU%")))
        )
        created_household = db.session.scalar(
            sa.select(Household.id).where(Household.kk_number == new_kk)
        )
    items, cursor = _feed(api, token, start)
    listed = Counter((i["kind"], i["id"], i["op"]) for i in items)
    expected = {
        ("person", world.person_ids["assigned"], "update"),
        ("household", world.household_ids["assigned"], "update"),
        ("household", created_household, "create"),
        *(("person", pid, "create") for pid in created_persons),
    }
    assert set(listed) == expected and set(listed.values()) == {1}
    with app.app_context():
        revert.revert_refresh(db.session, db.session.get(Refresh, refresh_id), CLI)
        db.session.commit()
    items, _ = _feed(api, token, cursor)
    listed = Counter((i["kind"], i["id"], i["op"]) for i in items)
    expected = {
        ("person", world.person_ids["assigned"], "update"),
        ("household", world.household_ids["assigned"], "update"),
        ("household", created_household, "delete"),
        *(("person", pid, "delete") for pid in created_persons),
    }
    assert set(listed) == expected and set(listed.values()) == {1}


def test_change_feed_lists_each_household_whose_desil_alone_changed_exactly_once(
    app,
    world,
    api,  # noqa: F811
    tmp_path,
):
    """The desil is taken by the equity step with a bulk UPDATE that keeps updated_at: its
    changes reach the feed once, beside (not on top of) the commit's own entries."""
    token = api.login()
    header = [*HEADER, "DESIL"]
    rows = [
        [
            factories.make_nik(date(1970 + family, 3, 1 + member), "L", serial=600 + member),
            factories.make_kk(serial=8600 + family),
            f"DESIL {family} ANGGOTA {member}",
            "L",
            f"{1 + member:02d}/03/{1970 + family}",
            f"Jl. Desil {family}",
            "001",
            "001",
            "",
            "5",
        ]
        for family in range(4)
        for member in range(MEMBERS)
    ]
    with app.app_context():
        kelurahan = db.session.get(Kelurahan, world.kelurahan_id)

        def commit_file(name):
            path = write_csv(tmp_path / name, rows, header=header)
            refresh = staging.create_refresh(
                db.session, kelurahan.id, None, "DTKS", path, path.name
            )
            staging.analyse(db.session, refresh)
            db.session.commit()
            apply(refresh)
            assert refresh.counts["rejected"] == 0, refresh.counts

        commit_file("week1.csv")
        households = {
            kk: hid
            for kk, hid in db.session.execute(
                sa.select(Household.kk_number, Household.id).where(
                    Household.kk_number.in_({row[1] for row in rows})
                )
            )
        }
        _, start = _feed(api, token)
        family = [rows[i * MEMBERS : (i + 1) * MEMBERS] for i in range(4)]
        for row in family[0]:
            row[-1] = "2"  # desil alone
        for row in family[1]:
            row[-1], row[5] = "3", "Jl. Pindah"  # desil and address: one update
        for row in family[2][:1]:
            row[2] = "NAMA BARU"  # a person's change; the desil stays
        commit_file("week2.csv")
        desil = dict(db.session.execute(sa.select(Household.kk_number, Household.desil)).all())
    items, _ = _feed(api, token, start)
    listed = Counter((i["kind"], i["id"], i["op"]) for i in items if i["kind"] == "household")
    kks = [f[0][1] for f in family]
    assert listed == {
        ("household", households[kks[0]], "update"): 1,
        ("household", households[kks[1]], "update"): 1,
    }
    assert [desil[kk] for kk in kks] == [2, 3, 5, 5]


def test_too_many_changed_rows_to_keep_are_read_from_the_file_again(
    kelurahan, tmp_path, monkeypatch
):
    from nutera.refresh import incremental

    rows = city()
    path = write_csv(tmp_path / "week1.csv", rows)
    first, _ = services.open_upload(db.session, kelurahan.id, None, "DTKS", path, path.name)
    staging.analyse(db.session, first)
    apply(first)
    monkeypatch.setattr(incremental, "MAX_BUFFERED_ROWS", 2)
    rows[1][2] = "SATU BERGANTI"
    rows[10][2] = "DUA BERGANTI"
    path = write_csv(tmp_path / "week2.csv", rows)
    second, _ = services.open_upload(db.session, kelurahan.id, None, "DTKS", path, path.name)
    assert db.session.get(RefreshDigest, second.id).scan["buffered"] is None
    staging.analyse(db.session, second)
    assert second.counts["persons_changed"] == 2 and second.counts["unchanged"] == 12
    assert sorted(r.row_number for r in staged_rows(second)) == [1, 2, 3, 10, 11, 12]


def reference_scan(path, old_file_rows, mapping):
    """What scan must answer, row by row: the changed rows (no identical row left unmatched
    in the previous file), the KKs to stage (a changed row's, or a vanished row's) and
    the rows of each run of one KK with a changed row, in file order."""
    from nutera.refresh import incremental, reader, rows

    info = reader.inspect_file(path, path.name)
    unmatched = Counter()
    old_kks = []
    digest = reader.ContentDigest(mapping)
    old_path = path.with_name("old-" + path.name)
    write_csv(old_path, old_file_rows)
    old_info = reader.inspect_file(old_path, old_path.name)
    for _, columns, _, chunk in rows.data_chunks(old_path, old_info, mapping, 7):
        for cells, value in zip(
            chunk, incremental.row_digests(digest.add_rows(columns, chunk)), strict=True
        ):
            unmatched[value] += 1
            old_kks.append((value, cells[columns["kk"]]))
    digest = reader.ContentDigest(mapping)
    changed, touched, runs = 0, set(), []
    for _, columns, numbers, chunk in rows.data_chunks(path, info, mapping, 7):
        for number, cells, value in zip(
            numbers, chunk, incremental.row_digests(digest.add_rows(columns, chunk)), strict=True
        ):
            kk = cells[columns["kk"]].strip()
            if not runs or runs[-1][0] != kk:
                runs.append([kk, [], False])
            runs[-1][1].append(number)
            if unmatched[value] > 0:
                unmatched[value] -= 1
            else:
                changed += 1
                touched.add(kk)
                runs[-1][2] = True
    touched.update(kk for value, kk in old_kks if unmatched[value] > 0)
    passed = {kk for kk, _, hit in runs if not hit}
    # (a touched KK with a run of no changed row: its rows are read from the file again)
    kept = None if touched & passed else [numbers for _, numbers, hit in runs if hit]
    return changed, touched, kept


@pytest.mark.parametrize(
    "seed, vanish, split",
    [(1, False, False), (2, False, False), (3, True, False), (4, True, False), (5, False, True)],
)
def test_the_scan_of_a_file_of_many_chunks_answers_as_row_by_row(tmp_path, seed, vanish, split):
    """Chunks where nothing changed are followed a run of one KK at a time: the scan still
    finds every changed, repeated and vanished row, across chunk boundaries."""
    import random

    from nutera.refresh import incremental, reader, rows

    rng = random.Random(seed)
    before = city(300)  # 900 rows: five chunks, families across chunk boundaries
    after = [list(row) for row in before]
    # Changes in the first half only: the last chunks change nothing (their fast path).
    for index in rng.sample(range(len(after) // 2), 4):
        after[index][2] += " BARU"  # changed
    after.insert(rng.randrange(len(after) // 2), list(after[rng.randrange(len(after))]))  # repeat
    if vanish:
        del after[rng.randrange(len(after) // 2)]  # vanished (or the repeat's twin)
    if split:  # a changed family's member listed again far away, amid unchanged families
        after[30][2] += " BARU"
        after.insert(len(after) - 2 * rows.CHUNK + 50, after.pop(31))
    path = write_csv(tmp_path / "after.csv", after)
    info = reader.inspect_file(path, path.name)
    mapping = reader.propose_mapping(info.sheets[0].headers, {})
    old = incremental.Collected()
    old_path = write_csv(tmp_path / "before.csv", before)
    old_info = reader.inspect_file(old_path, old_path.name)
    digest = reader.ContentDigest(mapping)
    for _, columns, _, chunk in rows.data_chunks(old_path, old_info, mapping, rows.CHUNK):
        for cells, value in zip(
            chunk, incremental.row_digests(digest.add_rows(columns, chunk)), strict=True
        ):
            old.add(value, cells[columns["nik"]], cells[columns["kk"]])
    assert len(after) > 4 * rows.CHUNK

    found = incremental.scan(path, info, mapping, 1, "", old)

    changed, touched, runs = reference_scan(path, before, mapping)
    assert (found.rows, found.changed, found.touched) == (len(after), changed, touched)
    assert runs is None or not split  # (a family split across the file is read again)
    if runs is None:
        assert found.buffered is None
    else:
        assert [numbers for _, numbers, _ in found.buffered] == runs
        assert all(len(numbers) == len(cells) for _, numbers, cells in found.buffered)
