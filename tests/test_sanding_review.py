"""Sanding: the verification queue, decisions (with the survey task), bulk confirmation,
enrolments from valid rows, aid history, double dipping and the pages' scoping."""

import io
from datetime import date

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from nutera.audit import Actor, set_actor
from nutera.extensions import db
from nutera.models import (
    AuditLog,
    Decision,
    Enrollment,
    ProgramExclusion,
    Refresh,
    Review,
    RowStatus,
    SandingDecision,
    SandingRow,
    SurveyTask,
    User,
)
from nutera.models.api import ChangeEvent
from nutera.sanding import services
from nutera.sanding.review import SandingError
from nutera.sanding.thresholds import Thresholds
from nutera.timeutil import utcnow
from tests import factories
from tests import factories_sanding as fs
from tests.conftest import PASSWORD


@pytest.fixture
def app(make_app):
    """Refresh jobs run inline so an upload through the pages is validated at once."""
    from tests.dbutil import empty_all_tables

    app = make_app(REFRESH_JOBS_INLINE=True)
    yield app
    empty_all_tables(app)


@pytest.fixture
def city(app):
    with app.app_context():
        built = fs.build_city(db.session)
        db.session.commit()
        return built


@pytest.fixture
def listed(app, city, tmp_path):
    """The validated list's id and its rows' ids by case."""
    with app.app_context():
        refresh = fs.validated_list(city, tmp_path)
        ids = db.session.scalars(
            sa.select(SandingRow.id)
            .where(SandingRow.refresh_id == refresh.id)
            .order_by(SandingRow.id)
        ).all()
        return refresh.id, dict(zip(fs.list_rows(city), ids, strict=True))


def _login(client, username="petugas"):
    response = client.post("/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 302


def _row(row_id) -> SandingRow:
    return db.session.get(SandingRow, row_id)


def _user(user_id) -> User:
    return db.session.get(User, user_id)


def test_confirm_corrects_the_nik_and_rejudges(app, city, listed):
    _, rows = listed
    with app.app_context():
        set_actor(db.session, Actor(city.staff_id))  # as a request would
        row = _row(rows["other_nik"])
        candidate = row.candidates[0]
        listed_nik = row.nik
        services.decide(
            db.session,
            row,
            _user(city.staff_id),
            Decision.KONFIRMASI,
            "",
            utcnow(),
            Thresholds(),
            candidate.id,
        )
        db.session.commit()
        row = _row(rows["other_nik"])
        assert row.status == RowStatus.VALID
        assert row.nik == city.niks["other_nik"] and row.original_nik == listed_nik
        assert row.person_id == city.person_ids["other_nik"]
        assert row.review == Review.SELESAI and row.decided_by_id == city.staff_id
        assert "NIK dibetulkan" in row.reason
        logged = db.session.scalars(sa.select(SandingDecision)).all()
        assert [(d.decision, d.user_id) for d in logged] == [("konfirmasi", city.staff_id)]
        assert (
            db.session.scalar(
                sa.select(sa.func.count(AuditLog.id)).where(AuditLog.entity == "sanding_decision")
            )
            == 1
        )


def test_send_to_field_survey_creates_a_task_for_the_rt(app, city, listed):
    _, rows = listed
    with app.app_context():
        row = _row(rows["renamed"])
        with pytest.raises(SandingError, match="alasan"):
            services.decide(
                db.session, row, _user(city.staff_id), Decision.SURVEI, " ", utcnow(), Thresholds()
            )
        services.decide(
            db.session,
            row,
            _user(city.staff_id),
            Decision.SURVEI,
            "Nama berbeda jauh",
            utcnow(),
            Thresholds(),
        )
        db.session.commit()
        task = db.session.scalar(sa.select(SurveyTask))
        row = _row(rows["renamed"])
        assert row.survey_task_id == task.id and row.decision == Decision.SURVEI
        assert task.rt_id == row.rt_id and task.kelurahan_id == city.kelurahan_id
        assert task.subject_name == "Slamet Riyadi" and task.subject_nik == row.nik
        assert task.source == "sanding" and "Nama berbeda jauh" in task.note
        assert task.status == "terbuka"


def test_not_this_resident_and_reject(app, city, listed):
    _, rows = listed
    with app.app_context():
        staff = _user(city.staff_id)
        row = _row(rows["kk"])
        services.decide(
            db.session, row, staff, Decision.BUKAN, "Orang lain", utcnow(), Thresholds()
        )
        assert row.person_id is None and row.review == Review.SELESAI
        other = _row(rows["other_nik"])
        services.decide(
            db.session, other, staff, Decision.TOLAK, "Tidak dikenal RT", utcnow(), Thresholds()
        )
        assert other.decision == Decision.TOLAK and other.decision_reason == "Tidak dikenal RT"
        with pytest.raises(SandingError, match="tidak sedang menunggu"):
            services.decide(
                db.session, other, staff, Decision.TOLAK, "lagi", utcnow(), Thresholds()
            )


def test_take_assign_release(app, city, listed):
    _, rows = listed
    with app.app_context():
        staff, colleague = (
            _user(city.staff_id),
            db.session.scalar(sa.select(User).where(User.username == "petugas.dua")),
        )
        row = _row(rows["renamed"])
        services.take(db.session, row, staff, utcnow())
        with pytest.raises(SandingError, match="sedang dikerjakan"):
            services.decide(
                db.session, row, colleague, Decision.TOLAK, "x", utcnow(), Thresholds()
            )
        with pytest.raises(SandingError, match="petugas kelurahan ini"):
            services.assign(db.session, row, staff, _user(city.other_staff_id), utcnow())
        services.assign(db.session, row, staff, colleague, utcnow())
        assert row.assignee_id == colleague.id
        services.release(db.session, row, colleague)
        assert row.assignee_id is None


def test_bulk_confirm_takes_only_strong_single_candidates(app, city, listed):
    refresh_id, rows = listed
    with app.app_context():
        refresh = db.session.get(Refresh, refresh_id)
        count = services.bulk_confirm(
            db.session, refresh, Actor(city.staff_id), utcnow(), Thresholds()
        )
        db.session.commit()
        assert count == 2
        for case in ("typo", "swap"):
            row = _row(rows[case])
            assert row.status == RowStatus.VALID and row.nik == city.niks[case]
            assert row.decision == Decision.KONFIRMASI_MASSAL and "dibetulkan" in row.reason
        assert _row(rows["other_nik"]).review == Review.ANTRE
        assert db.session.scalar(sa.select(sa.func.count(SandingDecision.id))) == 2


def test_enrolments_record_their_validated_row_and_aid_history(app, city, listed):
    refresh_id, rows = listed
    with app.app_context():
        refresh = db.session.get(Refresh, refresh_id)
        bpnt = db.session.scalar(
            sa.select(factories.AidProgram).where(factories.AidProgram.code == "BPNT")
        )
        fed_before = db.session.scalar(sa.select(sa.func.coalesce(sa.func.max(ChangeEvent.id), 0)))
        made = services.enrol_valid(
            db.session, refresh, bpnt, Actor(city.staff_id), date(2026, 12, 1)
        )
        db.session.commit()
        assert made == 2  # the two valid rows; no second enrolment when run again
        assert (
            services.enrol_valid(
                db.session, refresh, bpnt, Actor(city.staff_id), date(2026, 12, 1)
            )
            == 0
        )
        sources = set(
            db.session.scalars(
                sa.select(Enrollment.sanding_row_id).where(Enrollment.program_id == bpnt.id)
            )
        )
        assert sources == {rows["valid"], rows["variant"]}
        # The bulk insert is in the API's change feed: one entry per enrolment, once.
        made_ids = db.session.scalars(
            sa.select(Enrollment.id).where(Enrollment.program_id == bpnt.id)
        ).all()
        fed = db.session.execute(
            sa.select(ChangeEvent.entity_id, ChangeEvent.op).where(
                ChangeEvent.kind == "enrollment", ChangeEvent.id > fed_before
            )
        ).all()
        assert sorted(fed) == sorted((i, "create") for i in made_ids)
        from nutera.sanding import history

        history = history.aid_history(db.session, [city.person_ids["valid"]])
        assert [e.program for e in history[city.person_ids["valid"]]] == ["BPNT"]


def test_double_dipping_exclusive_pairs_and_cross_kelurahan(app, city):
    with app.app_context():
        from nutera.sanding import history

        tamansari = db.session.get(factories.Kelurahan, city.kelurahan_id)
        lebakgede = db.session.get(factories.Kelurahan, city.other_kelurahan_id)
        excluded = db.session.get(factories.Person, city.person_ids["excluded"])
        bpnt = db.session.scalar(
            sa.select(factories.AidProgram).where(factories.AidProgram.code == "BPNT")
        )
        factories.enroll(db.session, bpnt, excluded.household)  # PKH and BPNT: exclusive
        # Lebakgede enrols Tamansari's resident too: one NIK, two kelurahan.
        other_program = factories.make_program(db.session, lebakgede, "BST", target="person")
        db.session.add(
            Enrollment(
                kelurahan_id=lebakgede.id,
                program_id=other_program.id,
                person_id=excluded.id,
                period_start=date(2026, 1, 1),
            )
        )
        db.session.commit()
        staff, other_staff, admin = (
            _user(city.staff_id),
            _user(city.other_staff_id),
            _user(city.admin_id),
        )
        pairs = history.exclusive_pairs(db.session, staff)
        assert [(p.kk_number, p.program_a, p.program_b) for p in pairs] == [
            (city.kks["excluded"], "BPNT", "PKH")
        ]
        assert history.exclusive_pairs(db.session, other_staff) == []  # not their household
        cross = history.cross_kelurahan(db.session, admin)
        assert [(r[0], r[2]) for r in cross] == [(city.niks["excluded"], 2)]
        assert len(history.cross_kelurahan(db.session, other_staff)) == 1
        assert history.double_dipping_count(db.session, staff) == 2
        assert tamansari.kota == lebakgede.kota


def test_pages_upload_to_export(app, city, client, tmp_path):
    _login(client)
    response = client.post(
        "/pemutakhiran/",
        data={
            "source": "Usulan RT",
            "kelurahan_id": city.kelurahan_id,
            "kind": "penerima",
            "program": "BPNT",
            "file": (io.BytesIO(fs.list_csv(list(fs.list_rows(city).values()))), "usulan.csv"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    mapping_url = response.headers["Location"]
    page = client.get(mapping_url)
    assert page.status_code == 200
    with app.app_context():
        refresh = db.session.scalar(sa.select(Refresh))
        form = {field: label for field, label in refresh.mapping.items()}
    response = client.post(mapping_url, data=form)
    assert response.status_code == 302
    shown = client.get(f"/pemutakhiran/{refresh.id}")
    assert shown.status_code == 302 and shown.headers["Location"].endswith(
        f"/sanding/daftar/{refresh.id}"
    )
    body = client.get(f"/sanding/daftar/{refresh.id}").get_data(as_text=True)
    assert "NIK tidak ada di data penduduk" in body and "Konfirmasi massal 2" in body
    assert client.get("/sanding/").status_code == 200
    assert client.get("/sanding/antrean").status_code == 200
    with app.app_context():
        typo = db.session.scalar(
            sa.select(SandingRow).where(SandingRow.review == Review.ANTRE).order_by(SandingRow.id)
        )
        row_id = typo.id
        candidate_id = typo.candidates[0].id if typo.candidates else None
    page = client.get(f"/sanding/baris/{row_id}").get_data(as_text=True)
    assert "berbeda" in page
    refused = client.post(f"/sanding/baris/{row_id}", data={"decision": "tolak", "reason": ""})
    assert refused.status_code == 422 and "alasan" in refused.get_data(as_text=True)
    done = client.post(
        f"/sanding/baris/{row_id}",
        data={"decision": "konfirmasi", "candidate_id": candidate_id or "", "reason": ""},
    )
    assert done.status_code == 302
    export = client.get(f"/sanding/daftar/{refresh.id}/ekspor.xlsx")
    assert export.status_code == 200
    sheet = load_workbook(io.BytesIO(export.data)).active
    header = [c.value for c in sheet[1]]
    assert "Status" in header and sheet.max_row == 1 + len(fs.list_rows(city))
    assert client.get("/sanding/ganda.xlsx").status_code == 200
    dashboard = client.get("/dasbor").get_data(as_text=True)
    assert 'id="double-dipping-panel"' in dashboard


def test_pages_are_scoped(app, city, listed, client):
    refresh_id, rows = listed
    _login(client, "petugas.lain")
    assert client.get(f"/sanding/daftar/{refresh_id}").status_code == 404
    assert client.get(f"/sanding/baris/{rows['typo']}").status_code == 404
    assert client.get(f"/sanding/daftar/{refresh_id}/ekspor.xlsx").status_code == 404
    assert client.post(f"/sanding/baris/{rows['typo']}/ambil").status_code == 404
    assert client.get(f"/sanding/warga/{city.person_ids['valid']}").status_code == 404
    assert client.get("/sanding/pengecualian").status_code == 403


def test_admin_sets_exclusion_pairs(app, city, client):
    _login(client, "admin")
    page = client.get("/sanding/pengecualian").get_data(as_text=True)
    assert "BPNT" in page
    again = client.post("/sanding/pengecualian", data={"code_a": "pkh", "code_b": "bpnt"})
    assert again.status_code == 422 and "sudah saling" in again.get_data(as_text=True)
    made = client.post("/sanding/pengecualian", data={"code_a": "bst", "code_b": "pkh"})
    assert made.status_code == 302
    with app.app_context():
        pairs = db.session.execute(
            sa.select(ProgramExclusion.code_a, ProgramExclusion.code_b)
        ).all()
    assert ("BST", "PKH") in pairs


def test_exports_are_safe_workbooks(app, city, client, tmp_path):
    from tests.test_spreadsheet import assert_safe_workbook

    with app.app_context():
        rows = list(fs.list_rows(city).values())
        rows[0][2] = '=HYPERLINK("x")'
        refresh_id = fs.validated_list(city, tmp_path, rows).id
    _login(client)
    book = assert_safe_workbook(client.get(f"/sanding/daftar/{refresh_id}/ekspor.xlsx").data)
    values = [c.value for c in book.active[2]]
    assert '\'=HYPERLINK("x")' in values and city.niks["valid"] in values
    assert_safe_workbook(client.get("/sanding/ganda.xlsx").data)


def test_operator_counts_per_day(app, city, listed, client):
    _, rows = listed
    with app.app_context():
        staff = _user(city.staff_id)
        services.take(db.session, _row(rows["kk"]), staff, utcnow())
        services.decide(
            db.session,
            _row(rows["renamed"]),
            staff,
            Decision.TOLAK,
            "Tidak dikenal",
            utcnow(),
            Thresholds(),
        )
        db.session.commit()
    _login(client)
    today = client.get("/sanding/antrean").get_data(as_text=True)
    assert "<td>Petugas</td><td>1</td><td>1</td>" in today
    earlier = client.get("/sanding/antrean?hari=2020-01-01").get_data(as_text=True)
    assert "<td>Petugas</td><td>1</td><td>0</td>" in earlier
    assert client.get("/sanding/antrean?hari=bukan-tanggal").status_code == 200


def test_a_household_enrolled_by_two_kelurahan_lists_each_member_once_paged_with_total(
    app, city, client
):
    with app.app_context():
        from nutera.sanding import history

        lebakgede = db.session.get(factories.Kelurahan, city.other_kelurahan_id)
        excluded = db.session.get(factories.Person, city.person_ids["excluded"])
        nothing = history.cross_kelurahan_page(db.session, _user(city.admin_id), 1)
        assert (nothing.items, nothing.total, nothing.pages) == ([], 0, 1)
        household = excluded.household
        member = factories.Person(
            kelurahan_id=household.kelurahan_id,
            household_id=household.id,
            nik=factories.make_nik(date(2010, 3, 4), "L"),
            name="ANAK LESTARI",
            sex="L",
            birth_date=date(2010, 3, 4),
            relation="anak",
        )
        db.session.add(member)
        # Lebakgede enrols the whole Tamansari household in a household program of its own.
        bst = factories.make_program(db.session, lebakgede, "BST")
        factories.enroll(db.session, bst, household)
        db.session.commit()
        admin, other_staff = _user(city.admin_id), _user(city.other_staff_id)
        cross = history.cross_kelurahan(db.session, admin)
        assert sorted((r[0], r[2]) for r in cross) == sorted([(excluded.nik, 2), (member.nik, 2)])
        assert history.cross_kelurahan(db.session, other_staff) == cross  # Lebakgede's too
        first = history.cross_kelurahan_page(db.session, admin, 1, per_page=1)
        second = history.cross_kelurahan_page(db.session, admin, 2, per_page=1)
        beyond = history.cross_kelurahan_page(db.session, admin, 3, per_page=1)
        assert (first.total, second.total, beyond.total, first.pages) == (2, 2, 2, 2)
        assert [r[0] for r in first.items + second.items] == sorted(r[0] for r in cross)
        assert beyond.items == []
        assert history.double_dipping_count(db.session, admin) == 2
    _login(client, "admin")
    page = client.get("/sanding/ganda").get_data(as_text=True)
    assert 'id="cross-total">2<' in page and "ANAK LESTARI" in page
