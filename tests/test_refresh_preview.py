"""An honest preview: a "complete" file far smaller than the registry is called out, the
summary and the message agree, and a disabled commit button says why."""

import io
import re
from datetime import date

import pytest
import sqlalchemy as sa

from nutera.extensions import db
from nutera.models import Person
from tests import factories
from tests.factories_refresh import write_csv


@pytest.fixture
def app(make_app):
    """Jobs run inline so a request returns after the work is done."""
    from tests.dbutil import empty_all_tables

    app = make_app(QUEUE_IMMEDIATE=True)
    yield app
    empty_all_tables(app)


def residents(count: int) -> list[list[str]]:
    rows = []
    for i in range(count):
        born = date(1950 + i % 50, i % 12 + 1, i % 28 + 1)
        rows.append(
            [
                factories.make_nik(born, "L", serial=3000 + i),
                factories.make_kk(serial=3000 + i // 4),
                f"WARGA {i}",
                "L",
                f"{born:%d/%m/%Y}",
                "Jl. Registri",
                "001",
                "001",
                "",
            ]
        )
    return rows


def test_complete_file_much_smaller_than_the_registry_is_called_out(
    app, client, login_as, world, runner, tmp_path
):
    everyone = residents(40)
    result = runner.invoke(
        args=[
            "refresh",
            "import",
            str(write_csv(tmp_path / "all.csv", everyone)),
            "--source",
            "DTKS",
            "--kelurahan",
            "3273021003",
            "--commit",
        ]
    )
    assert result.exit_code == 0, result.output
    # Next week's "complete" file holds only 6 of the 40, unchanged.
    small = write_csv(tmp_path / "small.csv", everyone[:6])
    dry = runner.invoke(
        args=["refresh", "import", str(small), "--source", "DTKS", "--kelurahan", "3273021003",
              "--complete"]
    )  # fmt: skip
    with app.app_context():
        registered = db.session.scalar(
            sa.select(sa.func.count(Person.id)).where(
                Person.kelurahan_id == world.kelurahan_id, Person.status == "hidup"
            )
        )
    assert registered >= 40
    question = (
        f"Berkas hanya memuat 6 dari {registered} warga terdaftar — apakah benar seluruh warga?"
    )
    assert question in dry.output
    login_as("staff")
    with open(small, "rb") as handle:
        data = {
            "source": "DTKS",
            "file": (io.BytesIO(handle.read()), "small-week2.csv"),
            "kelurahan_id": str(world.kelurahan_id),
            "complete": "y",
        }
    response = client.post("/pemutakhiran/", data=data, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    mapping_url = response.location
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
    text = client.post(mapping_url, data=mapping, follow_redirects=True).get_data(as_text=True)
    warning = re.search(r'id="coverage-warning"[^>]*>([^<]*)<', text).group(1)
    assert question in warning
    assert f'data-count="absen">{registered - 6}<' in text
    # The message agrees with the summary: no "same as the registry" beside the absent.
    message = re.search(r'id="no-change">([^<]*)<', text).group(1)
    assert "sama dengan registri" not in message and f"{registered - 6} warga terdaftar" in message
    # The disabled button says why.
    assert re.search(r'disabled aria-describedby="commit-disabled-reason"', text)
    assert 'id="commit-disabled-reason"' in text and "tidak aktif karena" in text


def test_a_complete_file_of_the_whole_registry_has_no_warning(
    client, login_as, world, runner, tmp_path
):
    everyone = residents(12)
    path = write_csv(tmp_path / "all.csv", everyone)
    args = ["refresh", "import", str(path), "--source", "D", "--kelurahan", "3273021003"]
    assert runner.invoke(args=[*args, "--commit"]).exit_code == 0
    again = runner.invoke(args=[*args, "--complete"])
    assert "apakah benar seluruh warga" not in again.output


def test_disabled_button_says_every_row_was_rejected(client, login_as, world, tmp_path):
    bad = [["123", "456", "", "L", "", "", "001", "001", ""] for _ in range(3)]
    login_as("staff")
    path = write_csv(tmp_path / "bad.csv", bad)
    with open(path, "rb") as handle:
        data = {
            "source": "Rusak",
            "file": (io.BytesIO(handle.read()), path.name),
            "kelurahan_id": str(world.kelurahan_id),
        }
    mapping_url = client.post(
        "/pemutakhiran/", data=data, content_type="multipart/form-data"
    ).location
    mapping = {"nik": "NIK", "kk": "NO KK", "name": "NAMA", "rt": "RT", "rw": "RW"}
    text = client.post(mapping_url, data=mapping, follow_redirects=True).get_data(as_text=True)
    assert 'disabled aria-describedby="commit-disabled-reason"' in text
    assert "semua 3 baris berkas ditolak" in text
