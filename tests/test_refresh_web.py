"""Pages, background jobs, the CLI, the export workbook and the dashboard warning."""

import io
import threading
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from nutera.extensions import db
from nutera.models import (
    Household,
    Person,
    Refresh,
    RefreshJob,
    RefreshLock,
    RefreshRow,
    TargetingCase,
)
from nutera.refresh import jobs, services, staging
from tests import factories
from tests.factories_refresh import DATA, write_csv


@pytest.fixture
def app(make_app):
    """Jobs run inline so a request returns after the work is done."""
    from tests.dbutil import empty_all_tables

    app = make_app(QUEUE_IMMEDIATE=True)
    yield app
    empty_all_tables(app)


def world_rows(world_kk="", head_name="KEPALA BARU"):
    return [
        [
            factories.make_nik(date(1990, 6, 7), "P"),
            world_kk or factories.make_kk(serial=5101),
            head_name,
            "P",
            "07/06/1990",
            "Jl. Web 1",
            "001",
            "001",
            "",
        ],
        [
            factories.make_nik(date(1992, 1, 9), "L"),
            world_kk or factories.make_kk(serial=5101),
            "SUAMI BARU",
            "L",
            "09/01/1992",
            "Jl. Web 1",
            "001",
            "001",
            "",
        ],
    ]


def upload(client, path, source="DTKS Kemensos", kelurahan_id=None):
    with open(path, "rb") as handle:
        data = {"source": source, "file": (io.BytesIO(handle.read()), path.name)}
    if kelurahan_id:
        data["kelurahan_id"] = str(kelurahan_id)
    return client.post("/pemutakhiran/", data=data, content_type="multipart/form-data")


def test_upload_map_preview_commit_through_the_pages(client, login_as, world, tmp_path, app):
    login_as("staff")
    response = upload(
        client, write_csv(tmp_path / "w.csv", world_rows()), kelurahan_id=world.kelurahan_id
    )
    assert response.status_code == 302 and "/pemetaan" in response.location
    page = client.get(response.location).get_data(as_text=True)
    assert '<option selected value="NIK">' in page and '<option selected value="NO KK">' in page
    mapping = {
        "nik": "NIK",
        "kk": "NO KK",
        "name": "NAMA",
        "sex": "JENIS KELAMIN",
        "birth_date": "TGL LAHIR",
        "address": "ALAMAT",
        "rt": "RT",
        "rw": "RW",
    }
    shown = client.post(response.location, data=mapping, follow_redirects=True)
    text = shown.get_data(as_text=True)
    assert 'data-count="baru">2<' in text and "Terapkan ke registri" in text
    refresh_id = db_refresh_id(app)
    client.post(f"/pemutakhiran/{refresh_id}/terapkan")
    text = client.get(f"/pemutakhiran/{refresh_id}").get_data(as_text=True)
    assert 'id="committed"' in text and "warga 2" in text
    with app.app_context():
        assert db.session.scalar(sa.select(Person.name).where(Person.name == "SUAMI BARU"))
        assert (
            staging.remembered_mapping(db.session, world.kelurahan_id, "DTKS Kemensos")["nik"]
            == "NIK"
        )
    # Re-upload of the identical file says so and changes nothing.
    again = upload(client, tmp_path / "w.csv", kelurahan_id=world.kelurahan_id)
    assert "tidak ada perubahan" in client.get(again.location).get_data(as_text=True)


def db_refresh_id(app):
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.max(Refresh.id)))


def test_mapping_errors_are_shown_in_indonesian_next_to_the_field(
    client, login_as, world, tmp_path, app
):
    login_as("staff")
    response = upload(client, write_csv(tmp_path / "w.csv", world_rows()))
    page = client.post(
        response.location, data={"nik": "", "kk": "NO KK", "name": "NAMA", "rt": "RT", "rw": "RW"}
    ).get_data(as_text=True)
    assert "Pilih kolom untuk NIK." in page


def test_other_kelurahan_staff_and_volunteers_cannot_see_a_refresh(
    client, auth, world, tmp_path, app
):
    auth.login(world.usernames["staff"])
    upload(client, write_csv(tmp_path / "w.csv", world_rows()))
    refresh_id = db_refresh_id(app)
    auth.logout()
    auth.login(world.usernames["other_staff"])
    assert client.get(f"/pemutakhiran/{refresh_id}").status_code == 404
    assert client.post(f"/pemutakhiran/{refresh_id}/terapkan").status_code == 404
    assert client.get(f"/pemutakhiran/{refresh_id}/ditolak.xlsx").status_code == 404
    auth.logout()
    auth.login(world.usernames["volunteer"])
    assert client.get("/pemutakhiran/").status_code == 403


def test_rejected_rows_report_has_the_original_cells_and_a_reason(
    client, login_as, world, tmp_path, app
):
    login_as("staff")
    rows = world_rows()
    rows[1][0] = "3.27302E+15"
    response = upload(client, write_csv(tmp_path / "w.csv", rows))
    client.post(
        response.location,
        data={"nik": "NIK", "kk": "NO KK", "name": "NAMA", "rt": "RT", "rw": "RW"},
    )
    report = client.get(f"/pemutakhiran/{db_refresh_id(app)}/ditolak.xlsx")
    sheet = load_workbook(io.BytesIO(report.data)).active
    values = list(sheet.values)
    assert values[0][:4] == ("Lembar", "Baris data", "NO", "NIK") and values[0][-1] == "Alasan"
    assert values[1][1] == 2 and values[1][3] == "3.27302E+15" and "notasi ilmiah" in values[1][-1]


def test_second_job_for_the_same_source_waits_for_the_first(app, world, tmp_path):
    path = write_csv(tmp_path / "w.csv", world_rows())
    with app.app_context():
        first = staging.create_refresh(
            db.session, world.kelurahan_id, None, "DTKS", path, path.name
        )
        second = staging.create_refresh(
            db.session, world.kelurahan_id, None, "DTKS", path, path.name
        )
        holder = jobs.create_job(db.session, first, "analisis", None)
        waiting = jobs.create_job(db.session, second, "analisis", None)
        db.session.add(RefreshLock(key=holder.lock_key, job_id=holder.id))
        holder.status = "berjalan"
        db.session.commit()
        waiting_id, holder_id, second_id = waiting.id, holder.id, second.id
    thread = threading.Thread(target=jobs.run_job, args=(app, waiting_id))
    thread.start()
    thread.join(1.5)
    assert thread.is_alive()
    with app.app_context():
        job = db.session.get(RefreshJob, waiting_id)
        assert job.status == "menunggu" and "Menunggu" in job.message
        db.session.execute(sa.delete(RefreshLock))
        db.session.get(RefreshJob, holder_id).status = "selesai"
        db.session.commit()
    thread.join(10)
    with app.app_context():
        assert db.session.get(RefreshJob, waiting_id).status == "selesai"
        assert (
            db.session.scalar(sa.select(Refresh.status).where(Refresh.id == second_id))
            == "pratinjau"
        )


def test_job_status_is_json_for_its_kelurahan_only(client, auth, world, tmp_path, app):
    auth.login(world.usernames["staff"])
    response = upload(client, write_csv(tmp_path / "w.csv", world_rows()))
    client.post(
        response.location,
        data={"nik": "NIK", "kk": "NO KK", "name": "NAMA", "rt": "RT", "rw": "RW"},
    )
    with app.app_context():
        job_id = db.session.scalar(sa.select(RefreshJob.id))
    assert client.get(f"/pemutakhiran/tugas/{job_id}").get_json() == {
        "status": "selesai",
        "progress": 100,
        "message": "Selesai",
        "done": True,
    }
    auth.logout()
    auth.login(world.usernames["other_staff"])
    assert client.get(f"/pemutakhiran/tugas/{job_id}").status_code == 404


def test_cli_import_is_a_dry_run_unless_commit(runner, world, app):
    path = DATA / "penerima_cp1252_comma.csv"
    with app.app_context():
        before = db.session.scalar(sa.select(sa.func.count(Person.id)))
    result = runner.invoke(
        args=["refresh", "import", str(path), "--source", "Penerima", "--kelurahan", "3273021003"]
    )
    assert result.exit_code == 0, result.output
    assert "Baris dibaca" in result.output and "Uji coba" in result.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Person.id))) == before
    result = runner.invoke(
        args=[
            "refresh",
            "import",
            str(path),
            "--source",
            "Penerima",
            "--kelurahan",
            "3273021003",
            "--commit",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "diterapkan" in result.output
    with app.app_context():
        # The file's RTs beyond this small kelurahan are rejected; RT 01/RW 01 rows land.
        assert db.session.scalar(sa.select(sa.func.count(Person.id))) > before
    again = runner.invoke(
        args=[
            "refresh",
            "import",
            str(path),
            "--source",
            "Penerima",
            "--kelurahan",
            "3273021003",
            "--commit",
        ]
    )
    assert "tidak ada perubahan" in again.output


def test_export_workbook_contents(runner, world, app, tmp_path):
    now = datetime.now(UTC)
    with app.app_context():
        household = db.session.get(Household, world.household_ids["assigned"])
        household.verified_at, household.floor = now, "tanah"
        person = db.session.get(Person, world.person_ids["assigned"])
        person.verified_at, person.occupation = now, "Buruh cuci"
        moved = db.session.get(Person, world.person_ids["unassigned"])
        moved.status, moved.status_changed_at = "meninggal", now
        kelurahan = db.session.get(factories.Kelurahan, world.kelurahan_id)
        program = factories.make_program(db.session, kelurahan, code="PKH")
        db.session.add(
            TargetingCase(
                kelurahan_id=world.kelurahan_id,
                program_id=program.id,
                household_id=household.id,
                kind="exclusion",
                decision="usul_tambah",
                decision_reason="Lansia sendiri",
            )
        )
        db.session.add(
            TargetingCase(
                kelurahan_id=world.kelurahan_id,
                program_id=program.id,
                household_id=household.id,
                kind="inclusion",
                decision="terbuka",
            )
        )
        db.session.commit()
    rows = world_rows()
    rows[0][2] = ""
    write_csv(tmp_path / "r.csv", rows)
    runner.invoke(
        args=[
            "refresh",
            "import",
            str(tmp_path / "r.csv"),
            "--source",
            "DTKS",
            "--kelurahan",
            "3273021003",
        ]
    )
    out = tmp_path / "ekspor.xlsx"
    result = runner.invoke(args=["refresh", "export", str(out), "--kelurahan", "3273021003"])
    assert result.exit_code == 0, result.output
    book = load_workbook(out)
    assert book.sheetnames == [
        "Survei KK terverifikasi",
        "Survei warga terverifikasi",
        "Usulan tambah-hapus",
        "Pindah-meninggal",
        "Baris ditolak",
    ]
    assert [
        r[5] for r in book["Survei KK terverifikasi"].iter_rows(min_row=2, values_only=True)
    ] == ["Tanah"]  # the label the pages show, not the stored code
    assert [
        r[5] for r in book["Survei warga terverifikasi"].iter_rows(min_row=2, values_only=True)
    ] == ["Buruh cuci"]
    targeting = list(book["Usulan tambah-hapus"].iter_rows(min_row=2, values_only=True))
    assert (
        len(targeting) == 1
        and targeting[0][1] == "Diusulkan masuk"
        and targeting[0][6] == "Lansia sendiri"
    )
    moved_rows = list(book["Pindah-meninggal"].iter_rows(min_row=2, values_only=True))
    assert [(r[1], r[3]) for r in moved_rows] == [("BUDI SANTOSO", "Meninggal")]
    assert isinstance(moved_rows[0][0], str) and len(moved_rows[0][0]) == 16  # NIK kept as text
    rejected = list(book["Baris ditolak"].iter_rows(min_row=2, values_only=True))
    assert len(rejected) == 1 and rejected[0][3] == 1 and "Nama wajib diisi" in rejected[0][5]


def test_dashboard_warns_when_the_weekly_refresh_is_overdue(client, login_as, world, app):
    login_as("staff")
    assert "belum pernah dilakukan" in client.get("/dasbor").get_data(as_text=True)
    with app.app_context():
        db.session.add(
            Refresh(
                kelurahan_id=world.kelurahan_id,
                source="DTKS",
                filename="a.csv",
                sha256="0" * 64,
                status="diterapkan",
                committed_at=datetime.now(UTC) - timedelta(days=8),
            )
        )
        db.session.commit()
    assert 'id="refresh-overdue"' in client.get("/dasbor").get_data(as_text=True)
    with app.app_context():
        db.session.execute(sa.update(Refresh).values(committed_at=datetime.now(UTC)))
        db.session.commit()
    assert 'id="refresh-overdue"' not in client.get("/dasbor").get_data(as_text=True)


def test_duplicates_list_offers_to_skip_a_row(client, login_as, world, tmp_path, app):
    with app.app_context():
        head = db.session.get(Person, world.person_ids["assigned"])
        kk = db.session.get(Household, world.household_ids["assigned"]).kk_number
        rows = [
            [
                head.nik,
                kk,
                "SITI AMINAH BINTI X",
                "P",
                head.birth_date.strftime("%d/%m/%Y"),
                "Jl. Uji No. 1",
                "001",
                "001",
                "",
            ]
        ]
    login_as("staff")
    response = upload(client, write_csv(tmp_path / "w.csv", rows))
    client.post(
        response.location,
        data={"nik": "NIK", "kk": "NO KK", "name": "NAMA", "rt": "RT", "rw": "RW"},
    )
    refresh_id = db_refresh_id(app)
    page = client.get(f"/pemutakhiran/{refresh_id}/rincian/duplikat").get_data(as_text=True)
    assert "nama di registri: SITI AMINAH" in page and "Lewati baris ini" in page
    with app.app_context():
        row_id = db.session.scalar(sa.select(sa.func.min(RefreshRow.id)))
    client.post(f"/pemutakhiran/{refresh_id}/lewati/{row_id}")
    client.post(f"/pemutakhiran/{refresh_id}/terapkan")
    with app.app_context():
        assert db.session.get(Person, world.person_ids["assigned"]).name == "SITI AMINAH"


def test_every_drill_down_list_renders(client, login_as, world, tmp_path, app):
    from nutera.refresh.details import DETAILS

    with app.app_context():
        head = db.session.get(Person, world.person_ids["assigned"])
        head.verified_at = datetime.now(UTC)
        kelurahan = db.session.get(factories.Kelurahan, world.kelurahan_id)
        factories.make_program(db.session, kelurahan, code="PKH")
        db.session.commit()
        rows = [
            [
                head.nik,
                factories.make_kk(serial=5201),
                "NAMA LAIN",
                "P",
                head.birth_date.strftime("%d/%m/%Y"),
                "Jl. Pindah",
                "002",
                "001",
                "PKH",
            ]
        ]
    rows += world_rows()
    rows[-1][0] = "123"
    login_as("staff")
    response = upload(client, write_csv(tmp_path / "w.csv", rows))
    client.post(
        response.location,
        data={
            "nik": "NIK",
            "kk": "NO KK",
            "name": "NAMA",
            "rt": "RT",
            "rw": "RW",
            "programs": "BANSOS",
        },
    )
    refresh_id = db_refresh_id(app)
    for kind in DETAILS:
        page = client.get(f"/pemutakhiran/{refresh_id}/rincian/{kind}")
        assert page.status_code == 200, kind
    conflicts = client.get(f"/pemutakhiran/{refresh_id}/rincian/konflik").get_data(as_text=True)
    assert f'name="c:person:{world.person_ids["assigned"]}:name"' in conflicts
    assert "NAMA LAIN" in client.get(f"/pemutakhiran/{refresh_id}/rincian/berubah").get_data(
        as_text=True
    )
    assert client.get(f"/pemutakhiran/{refresh_id}/rincian/tidak-ada").status_code == 404


def test_household_conflicts_page_takes_a_choice_per_field(client, login_as, world, tmp_path, app):
    with app.app_context():
        head = db.session.get(Person, world.person_ids["assigned"])
        household = head.household
        household.verified_at = datetime.now(UTC)
        db.session.commit()
        rows = [
            [
                head.nik,
                household.kk_number,
                head.name,
                head.sex,
                head.birth_date.strftime("%d/%m/%Y"),
                "Jl. Dari Kelurahan",
                "001",
                "001",
                "",
            ]
        ]
        household_id = household.id
    login_as("staff")
    response = upload(client, write_csv(tmp_path / "k.csv", rows))
    client.post(
        response.location,
        data={
            "nik": "NIK",
            "kk": "NO KK",
            "name": "NAMA",
            "address": "ALAMAT",
            "rt": "RT",
            "rw": "RW",
        },
    )
    refresh_id = db_refresh_id(app)
    summary = client.get(f"/pemutakhiran/{refresh_id}").get_data(as_text=True)
    assert f"/pemutakhiran/{refresh_id}/rincian/konflik_kk" in summary
    page = client.get(f"/pemutakhiran/{refresh_id}/rincian/konflik_kk").get_data(as_text=True)
    assert f'name="c:household:{household_id}:address"' in page and "Jl. Dari Kelurahan" in page
    client.post(
        f"/pemutakhiran/{refresh_id}/rincian/konflik_kk",
        data={f"c:household:{household_id}:address": "kelurahan"},
    )
    with app.app_context():
        decisions = services.decisions_of(db.session, db.session.get(Refresh, refresh_id))
    assert decisions == {("household", household_id, "address"): "kelurahan"}


def test_background_analysis_commits_staged_batches_with_its_progress(
    app, world, tmp_path, monkeypatch
):
    monkeypatch.setattr(staging, "BATCH", 50)
    rows = [
        [
            factories.make_nik(date(1980, 1, 1) + timedelta(days=i), "L"),
            factories.make_kk(),
            f"WARGA {i}",
            "L",
            (date(1980, 1, 1) + timedelta(days=i)).strftime("%d/%m/%Y"),
            "Jl. A",
            "001",
            "001",
            "",
        ]
        for i in range(180)
    ]
    path = write_csv(tmp_path / "w.csv", rows)
    with app.app_context():
        refresh = staging.create_refresh(
            db.session, world.kelurahan_id, None, "DTKS", path, path.name
        )
        job = jobs.create_job(db.session, refresh, "analisis", None)
        db.session.commit()
        job_id, refresh_id = job.id, refresh.id
    jobs.run_job(app, job_id)
    with app.app_context():
        assert db.session.get(RefreshJob, job_id).status == "selesai"
        assert db.session.get(Refresh, refresh_id).counts["persons_new"] == 180
        assert db.session.scalar(sa.select(sa.func.count(RefreshLock.key))) == 0


def test_staff_revert_the_last_refresh_from_its_page(
    client, login_as, world, tmp_path, app, runner
):
    path = write_csv(tmp_path / "w.csv", world_rows())
    result = runner.invoke(
        args=[
            "refresh",
            "import",
            str(path),
            "--source",
            "DTKS",
            "--kelurahan",
            "3273021003",
            "--commit",
        ]
    )
    assert "diterapkan" in result.output
    refresh_id = db_refresh_id(app)
    login_as("staff")
    page = client.get(f"/pemutakhiran/{refresh_id}").get_data(as_text=True)
    assert "Batalkan pemutakhiran ini" in page
    client.post(f"/pemutakhiran/{refresh_id}/batalkan")
    with app.app_context():
        assert db.session.get(Refresh, refresh_id).status == "dibatalkan"
        assert db.session.scalar(sa.select(Person.id).where(Person.name == "SUAMI BARU")) is None


def test_nik_masking_follows_the_column_not_its_label(
    client, login_as, world, tmp_path, app, monkeypatch
):
    """Renaming the NIK column's header keeps the list masked: masking is the column's."""
    from dataclasses import replace

    from nutera.identity import mask_nik
    from nutera.refresh import details

    renamed = replace(
        details.DETAILS["baru"],
        columns=tuple(
            replace(c, label="Nomor Induk Kependudukan") if c.name == "nik" else c
            for c in details.DETAILS["baru"].columns
        ),
    )
    monkeypatch.setitem(details.DETAILS, "baru", renamed)
    rows = world_rows()
    login_as("staff")
    response = upload(client, write_csv(tmp_path / "w.csv", rows))
    client.post(
        response.location,
        data={"nik": "NIK", "kk": "NO KK", "name": "NAMA", "rt": "RT", "rw": "RW"},
    )
    page = client.get(f"/pemutakhiran/{db_refresh_id(app)}/rincian/baru").get_data(as_text=True)
    assert "Nomor Induk Kependudukan" in page and "KEPALA BARU" in page
    for row in rows:
        assert row[0] not in page and mask_nik(row[0]) in page


def test_every_list_masks_every_nik_column():
    """Each drill-down column holding NIKs is declared masked; ids are never shown."""
    from nutera.refresh.details import DETAILS, shown_value

    for kind, detail in DETAILS.items():
        for column in detail.columns:
            if column.name == "nik":
                assert column.masked, kind
                assert shown_value(column, "3273020101900001") == "327302******0001"
            if column.name.endswith("_id") and column.name in ("person_id", "household_id"):
                assert column.hidden, kind
