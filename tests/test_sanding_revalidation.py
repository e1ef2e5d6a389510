"""Sanding: validating a list again keeps its review work (decisions, survey tasks,
enrolments, held rows) or sends a decision whose basis changed back to the queue."""

from datetime import date

import pytest
import sqlalchemy as sa

from nutera.audit import Actor, set_actor
from nutera.extensions import db
from nutera.models import (
    AuditLog,
    Decision,
    Enrollment,
    Person,
    Refresh,
    Review,
    RowStatus,
    SandingCandidate,
    SandingDecision,
    SandingRow,
    SurveyTask,
    User,
)
from nutera.models.api import ChangeEvent
from nutera.refresh import services as refresh_services
from nutera.sanding import queries, services
from nutera.sanding.thresholds import Thresholds
from nutera.timeutil import utcnow
from tests import factories
from tests import factories_sanding as fs
from tests.conftest import PASSWORD


@pytest.fixture
def app(make_app):
    """Refresh jobs run inline so validating again through the page happens at once."""
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
    """The validated list's id."""
    with app.app_context():
        return fs.validated_list(city, tmp_path).id


def _rows(refresh_id: int) -> dict[str, SandingRow]:
    """The list's current rows by case (file order)."""
    found = db.session.scalars(
        sa.select(SandingRow)
        .where(SandingRow.refresh_id == refresh_id)
        .order_by(SandingRow.sheet, SandingRow.row_number)
    ).all()
    return dict(zip(fs.CASES, found, strict=True))


def _decide(city, row, decision, reason="", candidate_id=None, user_id=None):
    services.decide(
        db.session,
        row,
        db.session.get(User, user_id or city.staff_id),
        decision,
        reason,
        utcnow(),
        Thresholds(),
        candidate_id,
    )
    db.session.commit()


def _validate_again(refresh_id: int) -> Refresh:
    refresh = db.session.get(Refresh, refresh_id)
    refresh_services.analyse(db.session, refresh)
    db.session.commit()
    db.session.expire_all()
    return refresh


def test_a_confirmed_nik_correction_carries_over(app, city, listed):
    with app.app_context():
        set_actor(db.session, Actor(city.staff_id))
        typo = _rows(listed)["typo"]
        listed_nik = typo.nik
        _decide(city, typo, Decision.KONFIRMASI, candidate_id=typo.candidates[0].id)
        refresh = db.session.get(Refresh, listed)
        services.bulk_confirm(db.session, refresh, Actor(city.staff_id), utcnow(), Thresholds())
        db.session.commit()
        old_ids = {r.id for r in _rows(listed).values()}

        refresh = _validate_again(listed)

        rows = _rows(listed)
        assert not old_ids & {r.id for r in rows.values()}  # new rows, the same file
        typo = rows["typo"]
        assert typo.nik == city.niks["typo"] and typo.original_nik == listed_nik
        assert typo.person_id == city.person_ids["typo"] and typo.identity_confirmed
        assert typo.status == RowStatus.VALID and typo.review == Review.SELESAI
        assert typo.decision == Decision.KONFIRMASI and typo.decided_by_id == city.staff_id
        assert f"NIK dibetulkan dari {listed_nik} menjadi {city.niks['typo']}" in typo.reason
        swap = rows["swap"]  # bulk-confirmed
        assert swap.nik == city.niks["swap"] and swap.decision == Decision.KONFIRMASI_MASSAL
        assert swap.review == Review.SELESAI and swap.status == RowStatus.VALID
        history = db.session.scalars(
            sa.select(SandingDecision.decision).where(SandingDecision.row_id == typo.id)
        ).all()
        assert history == [Decision.KONFIRMASI]
        assert refresh.counts["ulang"]["dipertahankan"] == 2
        assert refresh.counts["ulang"]["ditinjau_ulang"] == 0
        assert refresh.counts["sanding"][RowStatus.VALID] == 4
        logged = [
            entry.changes
            for entry in db.session.scalars(
                sa.select(AuditLog).where(AuditLog.entity == "sanding_row")
            )
            if "validasi_ulang" in (entry.changes or {})
        ]
        assert logged == [
            {
                "validasi_ulang": listed,
                "dipertahankan": 2,
                "ditinjau_ulang": 0,
                "tanpa_baris": 0,
                "kepesertaan": 0,
            }
        ]


def test_a_field_survey_carries_over_and_is_never_created_twice(app, city, listed):
    with app.app_context():
        renamed = _rows(listed)["renamed"]
        _decide(city, renamed, Decision.SURVEI, "Nama berbeda jauh")
        task = db.session.scalar(sa.select(SurveyTask))

        _validate_again(listed)

        renamed = _rows(listed)["renamed"]
        assert renamed.decision == Decision.SURVEI and renamed.review == Review.SELESAI
        assert renamed.survey_task_id == task.id
        assert db.session.get(SurveyTask, task.id).source_ref == f"sanding-{renamed.id}"
        assert db.session.scalar(sa.select(sa.func.count(SurveyTask.id))) == 1

        # The registry learns the name: the survey's basis changed, the row waits again,
        # and sending it to the field once more keeps the one open task.
        person = db.session.get(Person, city.person_ids["renamed"])
        person.name = "SLAMET RIYADI"
        db.session.commit()
        _validate_again(listed)
        renamed = _rows(listed)["renamed"]
        assert renamed.review == Review.TINJAU_ULANG and renamed.decision is None
        assert renamed.survey_task_id == task.id
        _decide(city, renamed, Decision.SURVEI, "Tetap periksa di lapangan")
        assert db.session.scalar(sa.select(sa.func.count(SurveyTask.id))) == 1
        assert _rows(listed)["renamed"].survey_task_id == task.id


def test_a_decision_whose_basis_changed_waits_again_saying_why(app, city, listed, client):
    with app.app_context():
        renamed = _rows(listed)["renamed"]
        _decide(city, renamed, Decision.TOLAK, "Bukan warga RT ini")
        person = db.session.get(Person, city.person_ids["renamed"])
        person.name = "SLAMET RIYADI"
        db.session.commit()

        refresh = _validate_again(listed)

        renamed = _rows(listed)["renamed"]
        assert renamed.status == RowStatus.VALID
        assert renamed.review == Review.TINJAU_ULANG and renamed.decision is None
        assert "Keputusan sebelumnya (Ditolak) perlu ditinjau ulang" in renamed.reason
        assert "status berubah dari Nama berbeda menjadi Valid" in renamed.reason
        history = db.session.execute(
            sa.select(SandingDecision.decision, SandingDecision.user_id, SandingDecision.reason)
            .where(SandingDecision.row_id == renamed.id)
            .order_by(SandingDecision.id)
        ).all()
        assert [(d, u) for d, u, _ in history] == [
            (Decision.TOLAK, city.staff_id),
            (Decision.TINJAU_ULANG, None),
        ]
        assert "Bukan warga RT ini" in [
            d.reason
            for d in db.session.scalars(
                sa.select(SandingDecision).where(SandingDecision.row_id == renamed.id)
            )
        ]
        assert refresh.counts["ulang"]["ditinjau_ulang"] == 1
        staff = db.session.get(User, city.staff_id)
        queued = queries.queue_page(db.session, staff, 1).items
        assert renamed.id in [r.id for r in queued]
        row_id = renamed.id

        # Still undecided, it keeps waiting again after one more validation.
        _validate_again(listed)
        renamed = _rows(listed)["renamed"]
        assert renamed.review == Review.TINJAU_ULANG and "ditinjau ulang" in renamed.reason
    client.post("/login", data={"username": "petugas", "password": PASSWORD})
    page = client.get(f"/sanding/daftar/{listed}").get_data(as_text=True)
    assert 'id="revalidation-summary"' in page and "perlu ditinjau ulang" in page
    assert "Perlu ditinjau ulang" in page  # the review count's label
    row_page = client.get(f"/sanding/baris/{row_id}")
    assert row_page.status_code == 404  # that row was replaced by the last validation
    with app.app_context():
        current = _rows(listed)["renamed"].id
    body = client.get(f"/sanding/baris/{current}").get_data(as_text=True)
    assert "sistem" in body and "Validasi ulang:" in body and 'id="decision-form"' in body


def test_a_rejected_candidate_stays_rejected(app, city, listed):
    with app.app_context():
        typo = _rows(listed)["typo"]
        _decide(city, typo, Decision.BUKAN, "Orang lain", candidate_id=typo.candidates[0].id)
        decided = db.session.scalar(
            sa.select(SandingDecision).where(SandingDecision.decision == Decision.BUKAN)
        )
        assert decided.person_id == city.person_ids["typo"]  # the history names whom

        _validate_again(listed)

        typo = _rows(listed)["typo"]
        assert typo.decision == Decision.BUKAN and typo.review == Review.SELESAI
        assert typo.status == RowStatus.NIK_TIDAK_ADA
        assert (
            db.session.scalars(
                sa.select(SandingCandidate.person_id).where(SandingCandidate.row_id == typo.id)
            ).all()
            == []
        )


def test_a_confirmation_whose_resident_changed_nik_waits_again(app, city, listed):
    with app.app_context():
        typo = _rows(listed)["typo"]
        _decide(city, typo, Decision.KONFIRMASI, candidate_id=typo.candidates[0].id)
        person = db.session.get(Person, city.person_ids["typo"])
        person.nik = factories.make_nik(date(1980, 5, 5), sex="P", serial=7777)
        db.session.commit()

        _validate_again(listed)

        typo = _rows(listed)["typo"]
        assert typo.review == Review.TINJAU_ULANG and typo.decision is None
        assert typo.original_nik is None and not typo.identity_confirmed
        assert f"tidak lagi ber-NIK {city.niks['typo']}" in typo.reason


def test_enrolments_and_held_rows_follow_the_new_rows(app, city, listed):
    with app.app_context():
        refresh = db.session.get(Refresh, listed)
        bpnt = db.session.scalar(
            sa.select(factories.AidProgram).where(factories.AidProgram.code == "BPNT")
        )
        services.enrol_valid(db.session, refresh, bpnt, Actor(city.staff_id), date(2026, 12, 1))
        other = _rows(listed)["other_nik"]
        services.take(db.session, other, db.session.get(User, city.staff_id), utcnow())
        db.session.commit()
        fed_before = db.session.scalar(sa.select(sa.func.max(ChangeEvent.id)))

        _validate_again(listed)

        # Each enrolment's list row (its validation, shown by the API) changed: the feed has
        # one update entry per enrolment.
        enrolled = db.session.scalars(
            sa.select(Enrollment.id).where(Enrollment.program_id == bpnt.id)
        ).all()
        fed = db.session.execute(
            sa.select(ChangeEvent.entity_id, ChangeEvent.op).where(
                ChangeEvent.kind == "enrollment", ChangeEvent.id > fed_before
            )
        ).all()
        assert len(enrolled) == 2 and sorted(fed) == sorted((i, "update") for i in enrolled)

        rows = _rows(listed)
        sources = set(
            db.session.scalars(
                sa.select(Enrollment.sanding_row_id).where(Enrollment.program_id == bpnt.id)
            )
        )
        assert sources == {rows["valid"].id, rows["variant"].id}
        assert rows["other_nik"].assignee_id == city.staff_id
        assert rows["other_nik"].review == Review.ANTRE


def test_the_page_warns_before_validating_again(app, city, listed, client):
    with app.app_context():
        typo = _rows(listed)["typo"]
        _decide(city, typo, Decision.KONFIRMASI, candidate_id=typo.candidates[0].id)
        _decide(city, _rows(listed)["renamed"], Decision.SURVEI, "Cek nama")
    client.post("/login", data={"username": "petugas", "password": PASSWORD})
    show = client.get(f"/sanding/daftar/{listed}").get_data(as_text=True)
    assert f"/sanding/daftar/{listed}/validasi-ulang" in show
    page = client.get(f"/sanding/daftar/{listed}/validasi-ulang").get_data(as_text=True)
    assert 'data-count="decided">2<' in page
    assert 'data-decision="konfirmasi">1<' in page and 'data-decision="survei">1<' in page
    assert 'data-count="survey-tasks">1<' in page
    assert "tidak dihapus" in page and "Perlu ditinjau ulang" in page
    done = client.post(f"/sanding/daftar/{listed}/validasi-ulang")
    assert done.status_code == 302
    with app.app_context():
        rows = _rows(listed)
        assert rows["typo"].decision == Decision.KONFIRMASI
        assert rows["typo"].nik == city.niks["typo"]
        assert rows["renamed"].decision == Decision.SURVEI
        assert db.session.scalar(sa.select(sa.func.count(SurveyTask.id))) == 1
        assert db.session.get(Refresh, listed).counts["ulang"]["dipertahankan"] == 2
    client.post("/logout")
    client.post("/login", data={"username": "petugas.lain", "password": PASSWORD})
    assert client.get(f"/sanding/daftar/{listed}/validasi-ulang").status_code == 404
    assert client.post(f"/sanding/daftar/{listed}/validasi-ulang").status_code == 404
