"""Commit in one transaction, identical re-import, conflicts with verified surveys, revert."""

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from nutera.audit import Actor
from nutera.extensions import db
from nutera.models import (
    AidProgram,
    AuditLog,
    Enrollment,
    Household,
    Person,
    Refresh,
    RefreshChange,
    RefreshRow,
)
from nutera.refresh import commit, details, revert, services, staging
from tests import factories
from tests.factories_refresh import copy_sample, make_sample_kelurahan, write_csv

CLI = Actor(None, "cli")


@pytest.fixture
def kelurahan(app_ctx):
    kelurahan = make_sample_kelurahan(db.session)
    db.session.commit()
    return kelurahan


def preview(kelurahan, path, source="DTKS Kemensos"):
    refresh = staging.create_refresh(db.session, kelurahan.id, None, source, path, path.name)
    staging.analyse(db.session, refresh)
    db.session.commit()
    return refresh


def apply(refresh):
    commit.commit_refresh(db.session, refresh, CLI)
    db.session.commit()
    return refresh


def registry_snapshot():
    persons = db.session.execute(
        sa.select(
            Person.id, Person.nik, Person.name, Person.sex, Person.birth_date, Person.household_id
        ).order_by(Person.id)
    ).all()
    households = db.session.execute(
        sa.select(Household.id, Household.kk_number, Household.address, Household.rt_id).order_by(
            Household.id
        )
    ).all()
    enrollments = db.session.execute(
        sa.select(
            Enrollment.id, Enrollment.status, Enrollment.program_id, Enrollment.household_id
        ).order_by(Enrollment.id)
    ).all()
    return persons, households, enrollments


@pytest.fixture
def family(kelurahan):
    """A household with a head and a child, the head receiving PKH."""
    household = factories.make_household(
        db.session,
        factories.rt_of(kelurahan, 1, 1),
        kk_number=factories.make_kk(serial=7001),
        members=[
            {
                "name": "KEPALA LAMA",
                "sex": "L",
                "birth_date": date(1970, 1, 2),
                "relation": "kepala",
            },
            {"name": "ANAK", "sex": "P", "birth_date": date(2001, 2, 3)},
        ],
    )
    pkh = next(p for p in db.session.scalars(sa.select(AidProgram)) if p.code == "PKH")
    factories.enroll(db.session, pkh, household)
    db.session.commit()
    return household


def family_rows(household, head_name="KEPALA BARU", programs="BST"):
    head, child = household.members
    return [
        [
            head.nik,
            household.kk_number,
            head_name,
            "L",
            "02/01/1970",
            "Jl. Baru 1",
            "001",
            "001",
            programs,
        ],
        [
            child.nik,
            household.kk_number,
            "ANAK",
            "P",
            "03/02/2001",
            "Jl. Baru 1",
            "001",
            "001",
            "",
        ],
        [
            factories.make_nik(date(1995, 5, 6), "P"),
            factories.make_kk(serial=7002),
            "WARGA BARU",
            "P",
            "06/05/1995",
            "Gg. Baru 3",
            "002",
            "003",
            "PKH",
        ],
    ]


def test_commit_applies_every_change_records_previous_values_and_audits_once(
    family, kelurahan, tmp_path
):
    refresh = apply(preview(kelurahan, write_csv(tmp_path / "a.csv", family_rows(family))))
    head = db.session.get(Person, family.members[0].id)
    assert head.name == "KEPALA BARU"
    assert db.session.get(Household, family.id).address == "Jl. Baru 1"
    new = db.session.scalar(sa.select(Person).where(Person.name == "WARGA BARU"))
    assert new.household.kk_number.endswith("7002") and new.household.rt.label == "RT 02/RW 03"
    statuses = dict(
        db.session.execute(
            sa.select(AidProgram.code, Enrollment.status)
            .join(Enrollment.program)
            .where(Enrollment.household_id == family.id)
        ).all()
    )
    assert statuses == {"PKH": "berakhir", "BST": "aktif"}  # PKH ended, BST added
    assert refresh.status == "diterapkan" and refresh.counts["applied"] == {
        "household": 2,
        "person": 2,
        "enrollment": 3,
    }
    old = db.session.scalar(
        sa.select(RefreshChange).where(
            RefreshChange.entity == "person", RefreshChange.entity_id == head.id
        )
    )
    assert (old.action, old.old_name) == ("update", "KEPALA LAMA")
    audits = db.session.scalars(sa.select(AuditLog).where(AuditLog.entity == "refresh")).all()
    assert len(audits) == 1 and audits[0].changes["sha256"] == refresh.sha256


def test_enrollments_the_file_no_longer_lists_end_in_every_program_and_revert_back(
    family, kelurahan, tmp_path
):
    programs = {p.code: p for p in db.session.scalars(sa.select(AidProgram))}
    suspended = factories.enroll(db.session, programs["BST"], family, status="ditangguhkan")
    ended = factories.enroll(db.session, programs["BPNT"], family, status="berakhir")
    ended.status_reason = "Sudah lulus"
    elsewhere = factories.make_household(
        db.session,
        factories.rt_of(kelurahan, 2, 2),
        members=[
            {"name": "TETANGGA", "sex": "P", "birth_date": date(1980, 1, 1), "relation": "kepala"}
        ],
    )
    untouched = factories.enroll(db.session, programs["PKH"], elsewhere)
    db.session.commit()
    before = registry_snapshot()
    refresh = apply(
        preview(kelurahan, write_csv(tmp_path / "a.csv", family_rows(family, programs="")))
    )
    status = lambda e: (e.status, e.status_reason)  # noqa: E731
    db.session.expire_all()
    pkh = db.session.scalar(
        sa.select(Enrollment).where(
            Enrollment.household_id == family.id, Enrollment.program_id == programs["PKH"].id
        )
    )
    reason = f"Tidak tercantum lagi di DTKS Kemensos ({refresh.filename})"
    assert status(pkh) == status(suspended) == ("berakhir", reason)
    assert pkh.status_changed_at is not None
    assert status(ended) == ("berakhir", "Sudah lulus") and status(untouched) == ("aktif", "")
    assert refresh.counts["enrollments_ended"] == 2
    revert.revert_refresh(db.session, refresh, CLI)
    db.session.commit()
    assert registry_snapshot() == before
    assert status(suspended) == ("ditangguhkan", "") and suspended.status_changed_at is None


def test_a_failure_half_way_leaves_the_registry_untouched(
    family, kelurahan, tmp_path, monkeypatch
):
    refresh = preview(kelurahan, write_csv(tmp_path / "a.csv", family_rows(family)))
    before = registry_snapshot()

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(commit, "_apply_enrollments", broken)
    with pytest.raises(RuntimeError):
        commit.commit_refresh(db.session, refresh, CLI)
    db.session.rollback()
    assert registry_snapshot() == before
    assert db.session.get(Refresh, refresh.id).status == "pratinjau"
    assert db.session.scalar(sa.select(sa.func.count(RefreshChange.id))) == 0


def test_identical_file_is_recognised_by_sha_and_by_content(kelurahan, tmp_path):
    path = copy_sample("dtks_tamansari_semicolon.csv", tmp_path)
    first = apply(preview(kelurahan, path))
    assert (
        staging.identical_to_last(db.session, kelurahan.id, "DTKS Kemensos", first.sha256)
        is not None
    )
    # Same content, different bytes (CRLF line ends): analysed, and nothing to change.
    resaved = tmp_path / "resaved.csv"
    resaved.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    again = preview(kelurahan, resaved)
    assert again.sha256 != first.sha256 and again.content_hash == first.content_hash
    assert again.counts["no_change"] is True
    before = registry_snapshot()
    commit.commit_refresh(db.session, again, CLI)
    db.session.commit()
    assert registry_snapshot() == before


def test_revert_restores_previous_values_and_removes_what_was_created(family, kelurahan, tmp_path):
    before = registry_snapshot()
    refresh = apply(preview(kelurahan, write_csv(tmp_path / "a.csv", family_rows(family))))
    assert registry_snapshot() != before
    revert.revert_refresh(db.session, refresh, CLI)
    db.session.commit()
    assert registry_snapshot() == before
    assert refresh.status == "dibatalkan"
    with pytest.raises(commit.RefreshStateError):
        revert.revert_refresh(db.session, refresh, CLI)


def test_created_records_are_kept_as_id_ranges_and_revert_spares_ids_others_took(
    kelurahan, tmp_path
):
    path = copy_sample("dtks_tamansari_semicolon.csv", tmp_path)
    refresh = apply(preview(kelurahan, path))
    creates = db.session.execute(
        sa.select(
            RefreshChange.entity, RefreshChange.entity_id, RefreshChange.last_entity_id
        ).where(RefreshChange.action == "create")
    ).all()
    kinds = [entity for entity, _, _ in creates]
    assert kinds.count("person") == kinds.count("household") == 1  # and one per program
    assert kinds.count("enrollment") == len(
        db.session.scalars(sa.select(Enrollment.program_id).distinct()).all()
    )
    persons = db.session.scalars(sa.select(Person.id).order_by(Person.id)).all()
    first, last = next((a, b) for entity, a, b in creates if entity == "person")
    assert (first, last) == (persons[0], persons[-1]) and len(persons) == last - first + 1
    assert refresh.counts["applied"]["person"] == len(persons)
    # Ids inside the range taken by other writers (on PostgreSQL ids are handed out across
    # transactions: another kelurahan, or a survey here), and a resident added afterwards.
    db.session.execute(sa.delete(Person).where(Person.id.in_(persons[5:7])))
    other = factories.make_kelurahan(db.session, "3273021004", "Lain")
    db.session.add(
        Person(
            id=persons[5],
            kelurahan_id=other.id,
            nik="3273020101800099",
            name="ORANG LAIN",
            sex="L",
            birth_date=date(1980, 1, 1),
        )
    )
    db.session.add(
        Person(
            id=persons[6],
            kelurahan_id=kelurahan.id,
            nik="3273020101800097",
            name="DARI SURVEI",
            sex="L",
            birth_date=date(1980, 1, 1),
        )
    )
    later = Person(
        kelurahan_id=kelurahan.id,
        nik="3273020101800098",
        name="WARGA SESUDAHNYA",
        sex="L",
        birth_date=date(1980, 1, 1),
    )
    db.session.add(later)
    db.session.commit()
    revert.revert_refresh(db.session, refresh, CLI)
    db.session.commit()
    assert set(db.session.scalars(sa.select(Person.name))) == {
        "ORANG LAIN",
        "DARI SURVEI",
        "WARGA SESUDAHNYA",
    }
    assert db.session.scalar(sa.select(sa.func.count(Enrollment.id))) == 0


def test_a_refresh_committed_before_ranges_were_kept_reverts_too(family, kelurahan, tmp_path):
    before = registry_snapshot()
    refresh = apply(preview(kelurahan, write_csv(tmp_path / "a.csv", family_rows(family))))
    # As versions before 0008 recorded them: one row per created record.
    ranges = db.session.scalars(
        sa.select(RefreshChange).where(RefreshChange.action == "create")
    ).all()
    for change in ranges:
        db.session.add_all(
            RefreshChange(
                refresh_id=refresh.id, entity=change.entity, entity_id=i, action="create"
            )
            for i in range(change.entity_id, change.last_entity_id + 1)
        )
        db.session.delete(change)
    db.session.commit()
    revert.revert_refresh(db.session, refresh, CLI)
    db.session.commit()
    assert registry_snapshot() == before


def test_a_refresh_that_moved_a_resident_into_a_kk_it_created_reverts(family, kelurahan, tmp_path):
    before = registry_snapshot()
    child_id = family.members[1].id
    rows = family_rows(family)
    rows[1][1] = factories.make_kk(serial=7003)  # the child now has a KK of her own
    refresh = apply(preview(kelurahan, write_csv(tmp_path / "a.csv", rows)))
    assert db.session.get(Person, child_id).household.kk_number == rows[1][1]
    revert.revert_refresh(db.session, refresh, CLI)
    db.session.commit()
    assert registry_snapshot() == before


def test_revert_is_refused_once_a_created_household_was_used_since(kelurahan, tmp_path):
    refresh = apply(preview(kelurahan, copy_sample("dtks_tamansari_semicolon.csv", tmp_path)))
    household = db.session.scalar(sa.select(Household).limit(1))
    db.session.add(
        Person(
            kelurahan_id=kelurahan.id,
            household_id=household.id,
            nik="3273020101800098",
            name="BAYI BARU",
            sex="L",
            birth_date=date(2026, 1, 1),
        )
    )
    db.session.commit()
    before = registry_snapshot()
    with pytest.raises(commit.RefreshStateError, match="sudah dipakai oleh data warga"):
        revert.revert_refresh(db.session, refresh, CLI)
    db.session.rollback()
    assert registry_snapshot() == before and refresh.status == "diterapkan"


def test_revert_is_refused_once_a_record_it_changed_was_changed_again(family, kelurahan, tmp_path):
    refresh = apply(preview(kelurahan, write_csv(tmp_path / "a.csv", family_rows(family))))
    head = db.session.get(Person, family.members[0].id)
    head.name = "DIUBAH PETUGAS"  # after the commit, by hand
    db.session.commit()
    with pytest.raises(commit.RefreshStateError, match="data warga yang diubahnya sudah diubah"):
        revert.revert_refresh(db.session, refresh, CLI)
    db.session.rollback()
    assert db.session.get(Person, head.id).name == "DIUBAH PETUGAS"


def test_every_table_that_refers_to_created_records_has_an_indonesian_label():
    from nutera.refresh.revert import _CREATED, _TABLE_LABELS

    referring = {
        table.name
        for table in RefreshChange.metadata.sorted_tables
        for key in table.foreign_keys
        if key.column.table in _CREATED.values()
    }
    assert referring <= set(_TABLE_LABELS)


def test_only_the_last_refresh_can_be_reverted(family, kelurahan, tmp_path):
    first = apply(preview(kelurahan, write_csv(tmp_path / "a.csv", family_rows(family))))
    apply(preview(kelurahan, write_csv(tmp_path / "b.csv", family_rows(family, "KEPALA LAGI"))))
    with pytest.raises(commit.RefreshStateError, match="terakhir"):
        revert.revert_refresh(db.session, first, CLI)


def _verified_family(family, kelurahan, tmp_path):
    """A refresh in the past, then a survey verified the head's name after it."""
    earlier = apply(
        preview(kelurahan, write_csv(tmp_path / "a.csv", family_rows(family, "KEPALA LAMA")))
    )
    earlier.committed_at = datetime.now(UTC) - timedelta(days=8)
    head = db.session.get(Person, family.members[0].id)
    head.name, head.verified_at = "KEPALA SURVEI", datetime.now(UTC) - timedelta(days=1)
    child = db.session.get(Person, family.members[1].id)
    child.verified_at = head.verified_at
    db.session.commit()
    rows = family_rows(family, "KEPALA KELURAHAN")
    rows[1][2] = "ANAK KELURAHAN"
    return preview(kelurahan, write_csv(tmp_path / "b.csv", rows))


def test_conflicts_keep_the_verified_survey_by_default(family, kelurahan, tmp_path):
    refresh = _verified_family(family, kelurahan, tmp_path)
    assert refresh.counts["conflicts"] == 2
    apply(refresh)
    head, child = (db.session.get(Person, m.id) for m in family.members)
    assert (head.name, child.name) == ("KEPALA SURVEI", "ANAK")


def test_per_field_decision_takes_the_kelurahan_value_for_that_field_only(
    family, kelurahan, tmp_path
):
    refresh = _verified_family(family, kelurahan, tmp_path)
    head_id, child_id = (m.id for m in family.members)
    services.decide_conflicts(
        db.session,
        refresh,
        services.parse_choices(
            {f"c:person:{head_id}:name": "kelurahan", f"c:person:{child_id}:name": "survei"}
        ),
    )
    db.session.commit()
    apply(refresh)
    assert db.session.get(Person, head_id).name == "KEPALA KELURAHAN"
    assert db.session.get(Person, child_id).name == "ANAK"


def test_household_conflicts_are_listed_and_decided_per_field(family, kelurahan, tmp_path):
    earlier = apply(preview(kelurahan, write_csv(tmp_path / "a.csv", family_rows(family))))
    earlier.committed_at = datetime.now(UTC) - timedelta(days=8)
    household = db.session.get(Household, family.id)
    household.address, household.verified_at = "Jl. Survei 9", datetime.now(UTC)
    survey_rt = household.rt_id
    db.session.commit()
    rows = family_rows(family)
    for row in rows[:2]:
        row[5], row[6], row[7] = "Jl. Kelurahan 2", "002", "003"  # address and RT/RW
    refresh = preview(kelurahan, write_csv(tmp_path / "b.csv", rows))
    assert refresh.counts["conflicts_households"] == 1
    page = details.detail_page(db.session, refresh, "konflik_kk")
    assert [
        (row["household_id"], row["kk"], row["registry_address"], row["file_address"])
        for row in page.rows
    ] == [(family.id, family.kk_number, "Jl. Survei 9", "Jl. Kelurahan 2")]
    row = page.rows[0]  # RT/RW in the registry, then in the file
    assert (row["registry_rt"], row["registry_rw"], row["file_rt"], row["file_rw"]) == (1, 1, 2, 3)
    services.decide_conflicts(
        db.session,
        refresh,
        services.parse_choices({f"c:household:{family.id}:address": "kelurahan"}),
    )
    db.session.commit()
    apply(refresh)
    household = db.session.get(Household, family.id)
    assert (household.address, household.rt_id) == ("Jl. Kelurahan 2", survey_rt)


def test_bulk_decision_takes_every_kelurahan_value(family, kelurahan, tmp_path):
    refresh = _verified_family(family, kelurahan, tmp_path)
    services.decide_conflicts(db.session, refresh, {}, default="kelurahan")
    db.session.commit()
    apply(refresh)
    head, child = (db.session.get(Person, m.id) for m in family.members)
    assert (head.name, child.name) == ("KEPALA KELURAHAN", "ANAK KELURAHAN")


def test_skipped_duplicate_row_is_not_imported(kelurahan, tmp_path):
    factories.make_household(
        db.session,
        factories.rt_of(kelurahan, 1, 1),
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
    refresh = preview(
        kelurahan,
        write_csv(
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
        ),
    )
    row_id = db.session.scalar(sa.select(sa.func.min(RefreshRow.id)))
    assert services.toggle_skip(db.session, refresh, row_id) is True
    services.recount(db.session, refresh)
    assert refresh.counts["persons_new"] == 0
    apply(refresh)
    assert (
        db.session.scalar(sa.select(sa.func.count(Person.id)).where(Person.name == "SRI WAHYUNI"))
        == 1
    )


def test_an_older_preview_must_be_analysed_again_once_another_refresh_landed(kelurahan, tmp_path):
    rows = [
        [
            factories.make_nik(date(1991, 3, 4), "L"),
            factories.make_kk(),
            "WARGA SAMA",
            "L",
            "04/03/1991",
            "Jl. A",
            "001",
            "001",
            "",
        ]
    ]
    older = preview(kelurahan, write_csv(tmp_path / "a.csv", rows), source="Sumber A")
    apply(preview(kelurahan, write_csv(tmp_path / "b.csv", rows), source="Sumber B"))
    with pytest.raises(commit.RefreshStateError, match="Jalankan analisis lagi"):
        commit.commit_refresh(db.session, older, CLI)
    db.session.rollback()
    staging.analyse(db.session, older)  # now it matches the person the other source created
    db.session.commit()
    assert older.counts["persons_new"] == 0 and older.counts["no_change"]
    apply(older)
    assert (
        db.session.scalar(sa.select(sa.func.count(Person.id)).where(Person.name == "WARGA SAMA"))
        == 1
    )


def test_a_preview_made_before_a_revert_is_analysed_again_and_recreates_what_it_lists(
    kelurahan, tmp_path
):
    rows = [
        [
            factories.make_nik(date(1991, 3, 4), "L"),
            factories.make_kk(),
            "WARGA SAMA",
            "L",
            "04/03/1991",
            "Jl. A",
            "001",
            "001",
            "",
        ]
    ]
    landed = apply(preview(kelurahan, write_csv(tmp_path / "b.csv", rows), source="Sumber B"))
    pending = preview(kelurahan, write_csv(tmp_path / "a.csv", rows), source="Sumber A")
    assert pending.counts["persons_new"] == 0  # it matched the person Sumber B created
    revert.revert_refresh(db.session, landed, CLI)
    db.session.commit()
    with pytest.raises(commit.RefreshStateError, match="Registri sudah berubah"):
        commit.commit_refresh(db.session, pending, CLI)
    db.session.rollback()
    staging.analyse(db.session, pending)
    db.session.commit()
    assert pending.counts["persons_new"] == 1
    apply(pending)
    person = db.session.scalar(sa.select(Person).where(Person.name == "WARGA SAMA"))
    assert person is not None and person.household is not None
    assert person.household.kk_number == rows[0][1]


def test_programs_for_persons_enrol_the_listed_persons(family, kelurahan, tmp_path):
    pena = factories.make_program(db.session, kelurahan, code="PENA", target="person")
    db.session.commit()
    rows = family_rows(family, programs="PENA,PKH")
    rows[2][-1] = "PENA"
    apply(preview(kelurahan, write_csv(tmp_path / "p.csv", rows)))
    enrolled = set(
        db.session.scalars(
            sa.select(Person.name)
            .join(Enrollment, Enrollment.person_id == Person.id)
            .where(Enrollment.program_id == pena.id, Enrollment.status == "aktif")
        )
    )
    assert enrolled == {"KEPALA BARU", "WARGA BARU"}
    pkh = db.session.scalar(
        sa.select(Enrollment.status)
        .join(Enrollment.program)
        .where(AidProgram.code == "PKH", Enrollment.household_id == family.id)
    )
    assert pkh == "aktif"


def test_the_workflow_refuses_out_of_order_requests(family, kelurahan, tmp_path):
    """services.request_* hold the state rules the pages and the CLI share."""
    refresh = preview(kelurahan, write_csv(tmp_path / "a.csv", family_rows(family)))
    with pytest.raises(commit.RefreshStateError, match="terakhir"):
        services.request_revert(db.session, refresh, None)
    job = services.request_commit(db.session, refresh, None)
    db.session.commit()
    # A job already queued: neither a second commit nor a new analysis may start.
    with pytest.raises(commit.RefreshStateError, match="sedang diproses"):
        services.request_commit(db.session, refresh, None)
    with pytest.raises(commit.RefreshStateError, match="sedang diproses"):
        services.request_analysis(db.session, refresh, None)
    services.perform(db.session, job)
    db.session.commit()
    db.session.delete(job)
    db.session.commit()
    assert refresh.status == "diterapkan"
    with pytest.raises(commit.RefreshStateError, match="Hanya pratinjau"):
        services.request_commit(db.session, refresh, None)
    with pytest.raises(commit.RefreshStateError, match="tidak dapat diubah"):
        services.confirm_mapping(db.session, refresh, refresh.mapping)
    assert services.request_revert(db.session, refresh, None).kind == "batalkan"


def test_an_extract_with_desil_sets_the_decile_confirms_the_kk_and_snapshots(
    family, kelurahan, tmp_path
):
    from nutera.models import EquitySnapshot
    from tests.factories_refresh import HEADER

    rows = [
        row + [desil] for row, desil in zip(family_rows(family), ["2", "2", "11"], strict=True)
    ]
    rows[2][-1] = ""  # no decile for the new family
    path = write_csv(tmp_path / "d.csv", rows, header=HEADER + ["DESIL"])
    refresh = apply(preview(kelurahan, path))
    household = db.session.get(Household, family.id)
    assert household.desil == 2 and household.refresh_confirmed_at is not None
    snapshot = db.session.scalar(sa.select(EquitySnapshot))
    assert snapshot.trigger == "pemutakhiran" and snapshot.refresh_id == refresh.id


def test_a_decile_outside_one_to_ten_is_refused(family, kelurahan, tmp_path):
    from tests.factories_refresh import HEADER

    rows = [row + ["11"] for row in family_rows(family)]
    refresh = preview(kelurahan, write_csv(tmp_path / "d.csv", rows, header=HEADER + ["DESIL"]))
    errors = db.session.scalars(
        sa.select(RefreshRow.error).where(
            RefreshRow.refresh_id == refresh.id, RefreshRow.error.is_not(None)
        )
    ).all()
    assert len(errors) == 3 and all("Desil harus angka 1 sampai 10" in e for e in errors)


def person_indexes():
    return sorted(
        (i["name"], tuple(i["column_names"]), bool(i["unique"]))
        for i in sa.inspect(db.session.connection()).get_indexes("person")
    )


def new_residents(count):
    return [
        [
            factories.make_nik(date(1980 + n, 1 + n, 2), "L"),
            factories.make_kk(serial=7100 + n),
            f"WARGA {n}",
            "L",
            f"02/{1 + n:02d}/{1980 + n}",
            f"Jl. Baru {n}",
            "001",
            "001",
            "",
        ]
        for n in range(count)
    ]


def test_a_bulk_insert_of_persons_keeps_every_index_of_the_table(kelurahan, tmp_path, monkeypatch):
    """A first import of many residents builds person's plain indexes after the insert on
    SQLite (lowered threshold here): the table ends with exactly the indexes it had, the
    rows are reachable through them, and revert still works."""
    monkeypatch.setattr(commit, "BULK_INDEX_ROWS", 2)
    before = person_indexes()
    refresh = apply(preview(kelurahan, write_csv(tmp_path / "bulk.csv", new_residents(4))))
    assert refresh.counts["applied"]["person"] == 4
    after = person_indexes()
    assert after == before and any(name == "ix_person_birth_date" for name, _, _ in after)
    assert (
        db.session.scalar(
            sa.select(sa.func.count(Person.id)).where(Person.birth_date == date(1981, 2, 2))
        )
        == 1
    )
    services.undo(db.session, refresh, CLI)
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count(Person.id))) == 0


def test_a_bulk_insert_failing_half_way_leaves_every_index_in_place(
    kelurahan, tmp_path, monkeypatch
):
    monkeypatch.setattr(commit, "BULK_INDEX_ROWS", 2)
    before = person_indexes()
    refresh = preview(kelurahan, write_csv(tmp_path / "bulk.csv", new_residents(4)))

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(commit, "_insert_new_persons", broken)  # after the drop
    with pytest.raises(RuntimeError):
        commit.commit_refresh(db.session, refresh, CLI)
    db.session.rollback()
    assert person_indexes() == before
    assert db.session.scalar(sa.select(sa.func.count(Person.id))) == 0
