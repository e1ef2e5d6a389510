"""Staff upload a recipient list, read each row's status, open a NIK-typo candidate and
confirm it, send another row to a field survey, and export the validated list."""

import io

import sqlalchemy as sa
from openpyxl import load_workbook
from playwright.sync_api import expect

from nutera.extensions import db
from nutera.models import Household, Kelurahan, Person, SandingRow, SurveyTask
from tests.factories_refresh import write_csv

TAMANSARI = "3273091002"


def _unused_nik(session, nik: str) -> str:
    """nik with its serial changed until no resident has it."""
    for serial in range(9876, 9999):
        candidate = nik[:12] + f"{serial:04d}"
        if session.scalar(sa.select(Person.id).where(Person.nik == candidate)) is None:
            return candidate
    raise AssertionError("no free serial")


def _typo(session, nik: str) -> str:
    """nik with one serial digit changed, to a NIK no resident has."""
    for digit in "1234567890":
        candidate = nik[:-1] + digit
        if (
            candidate != nik
            and session.scalar(sa.select(Person.id).where(Person.nik == candidate)) is None
        ):
            return candidate
    raise AssertionError("no free typo")


def _list_rows(app) -> tuple[list[list[str]], dict[str, str]]:
    """Four rows from the demo's residents: exact, exact, a typo, another NIK."""
    with app.app_context():
        session = db.session
        kelurahan = session.scalar(sa.select(Kelurahan).where(Kelurahan.code == TAMANSARI))
        people = session.scalars(
            sa.select(Person)
            .join(Household, Household.id == Person.household_id)
            .where(Person.kelurahan_id == kelurahan.id, Person.status == "hidup")
            .order_by(Person.id)
            .limit(4)
        ).all()

        def row(person, nik, name):
            household = person.household
            return [
                nik,
                household.kk_number,
                name,
                person.sex,
                f"{person.birth_date:%d/%m/%Y}",
                household.address,
                f"{household.rt.number:03d}",
                f"{household.rt.rw.number:03d}",
                "",
            ]

        typo_nik = _typo(session, people[2].nik)
        other_nik = _unused_nik(session, people[3].nik)
        rows = [
            row(people[0], people[0].nik, people[0].name),
            row(people[1], people[1].nik, people[1].name.title()),
            row(people[2], typo_nik, people[2].name.title()),
            row(people[3], other_nik, "H. " + people[3].name),
        ]
        return rows, {"typo": typo_nik, "other": other_nik, "typo_name": people[2].name}


def test_recipient_list_statuses_confirm_survey_and_export(phone, live_server, live_app, tmp_path):
    rows, niks = _list_rows(live_app)
    path = write_csv(tmp_path / "dtks_bpnt.csv", rows, delimiter=";", title_rows=1)

    phone.goto(live_server + "/login")
    phone.get_by_label("Nama pengguna").fill("petugas")
    phone.get_by_label("Kata sandi").fill(live_app.demo_accounts["petugas"])
    phone.get_by_role("button", name="Masuk").click()
    expect(phone.get_by_role("heading", name="Dasbor")).to_be_visible()
    expect(phone.locator("#double-dipping-panel")).to_be_visible()

    phone.goto(live_server + "/pemutakhiran/")
    phone.get_by_label("Sumber data").fill("DTKS BPNT E2E")
    phone.get_by_label("Jenis sumber").select_option("penerima")
    phone.get_by_label("Berkas CSV atau XLSX").set_input_files(str(path))
    phone.get_by_role("button", name="Unggah dan periksa").click()
    expect(phone.get_by_role("heading", name="Pemetaan kolom")).to_be_visible()
    phone.get_by_role("button", name="Gunakan pemetaan ini").click()

    # Validated in the background; the progress page hands over to the list's own page.
    expect(phone.get_by_role("heading", name="Validasi dtks_bpnt.csv")).to_be_visible(
        timeout=30_000
    )
    counts = phone.locator("#status-counts")
    expect(counts.locator('[data-status="valid"]')).to_contain_text("Valid: 2")
    expect(counts.locator('[data-status="nik_tidak_ada"]')).to_contain_text(": 2")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360

    # Open the typo row, see its candidate beside it with the NIK marked, confirm it.
    phone.locator("#rows tr", has_text=niks["typo"]).get_by_role("link").click()
    expect(phone.get_by_role("heading", name="Baris 3")).to_be_visible()
    candidate = phone.locator("#compare tr[data-candidate]").first
    expect(candidate).to_contain_text("NIK beda satu angka")
    expect(candidate.locator("td.table-warning")).to_contain_text("berbeda")
    phone.get_by_role("button", name="Ambil baris ini").click()
    phone.get_by_label(niks["typo_name"]).check()
    phone.get_by_label("Ini warga tersebut (NIK dibetulkan)").check()
    phone.get_by_role("button", name="Simpan keputusan").click()
    expect(phone.get_by_text("Keputusan disimpan")).to_be_visible()

    # The next row in the queue is the other NIK: send it to a field survey.
    expect(phone.get_by_role("heading", name="Baris 4")).to_be_visible()
    phone.get_by_label("Kirim ke survei lapangan").check()
    phone.get_by_label("Alasan").fill("NIK berbeda; cek KTP di rumah")
    phone.get_by_role("button", name="Simpan keputusan").click()
    expect(phone.get_by_text("Keputusan disimpan")).to_be_visible()

    with live_app.app_context():
        typo_row = db.session.scalar(
            sa.select(SandingRow).where(SandingRow.original_nik == niks["typo"])
        )
        assert typo_row is not None and typo_row.status == "valid"
        task = db.session.scalar(
            sa.select(SurveyTask).where(SurveyTask.subject_nik == niks["other"])
        )
        assert task is not None and task.source == "sanding"
        refresh_id = typo_row.refresh_id

    phone.goto(f"{live_server}/sanding/daftar/{refresh_id}")
    with phone.expect_download() as download:
        phone.locator("#export-list").click()
    sheet = load_workbook(io.BytesIO(open(download.value.path(), "rb").read())).active
    header = [c.value for c in sheet[1]]
    statuses = [r[header.index("Status")] for r in sheet.iter_rows(min_row=2, values_only=True)]
    assert statuses.count("Valid") == 3 and "NIK tidak ada di data penduduk" in statuses

    # Validating the list again warns what happens to the two decisions, then keeps them:
    # the corrected NIK stays corrected and the survey task is not created twice.
    phone.locator("#revalidate-link").click()
    expect(phone.locator('[data-count="decided"]')).to_have_text("2")
    expect(phone.locator('[data-count="survey-tasks"]')).to_have_text("1")
    phone.get_by_role("button", name="Ya, validasi ulang daftar ini").click()
    expect(phone.get_by_role("heading", name="Validasi dtks_bpnt.csv")).to_be_visible(
        timeout=30_000
    )
    expect(phone.locator("#revalidation-summary")).to_contain_text("2 keputusan tetap berlaku")
    expect(counts.locator('[data-status="valid"]')).to_contain_text("Valid: 3")
    expect(phone.locator("#rows tr", has_text=niks["typo"])).to_contain_text("di daftar:")
    with live_app.app_context():
        assert (
            db.session.scalar(
                sa.select(sa.func.count(SurveyTask.id)).where(
                    SurveyTask.subject_nik == niks["other"]
                )
            )
            == 1
        )
