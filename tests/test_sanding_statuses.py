"""Sanding: a row naming two exclusive programs itself, and criteria whose data was never
recorded (its own status, never valid)."""

import csv
import io

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from nutera.extensions import db
from nutera.models import (
    Household,
    Person,
    ProgramExclusion,
    Refresh,
    Review,
    RowStatus,
    SandingRow,
    User,
)
from nutera.programs import rules
from nutera.refresh import services as refresh_services
from nutera.sanding import queries
from tests import factories
from tests import factories_sanding as fs
from tests.conftest import PASSWORD
from tests.factories_programs import program_with_rule

HEADER = [*fs.LIST_HEADER, "PROGRAM"]


@pytest.fixture
def city(app):
    with app.app_context():
        built = fs.build_city(db.session)
        tamansari = db.session.get(factories.Kelurahan, built.kelurahan_id)
        # Elderly support: only residents aged 60 or more.
        program_with_rule(
            db.session,
            tamansari,
            "LANSIA",
            {"all": [{"attr": "age", "op": "ge", "value": 60}]},
            target="person",
        )
        db.session.commit()
        return built


def _validate(city, folder, rows: list[list[str]], source: str = "Usulan RW") -> Refresh:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(HEADER)
    writer.writerows(rows)
    upload = refresh_services.start_upload(
        db.session,
        city.kelurahan_id,
        city.staff_id,
        source,
        io.BytesIO(buffer.getvalue().encode()),
        "usulan.csv",
        str(folder),
        kind="penerima",
        program="BPNT",
    )
    refresh = upload.refresh
    assert refresh.mapping.get("programs") == "PROGRAM"
    refresh_services.confirm_mapping(db.session, refresh, refresh.mapping)
    refresh_services.analyse(db.session, refresh)
    db.session.commit()
    return refresh


def _rows(refresh: Refresh) -> list[SandingRow]:
    return list(
        db.session.scalars(
            sa.select(SandingRow)
            .where(SandingRow.refresh_id == refresh.id)
            .order_by(SandingRow.row_number)
        )
    )


def _listed(city, case: str, programs: str) -> list[str]:
    return [*fs.list_rows(city)[case], programs]


def test_a_row_naming_two_exclusive_programs_is_flagged(app, city, client, tmp_path):
    with app.app_context():
        refresh = _validate(
            city,
            tmp_path,
            [
                _listed(city, "valid", "BPNT, PKH"),  # BPNT and PKH exclude each other
                _listed(city, "variant", "BPNT"),
                _listed(city, "typo", "PKH; BPNT"),  # NIK unknown: identity comes first
            ],
        )
        both, single, unknown = _rows(refresh)
        assert both.status == RowStatus.PROGRAM_BENTROK
        assert both.reason == (
            "Baris ini mencantumkan BPNT dan PKH, dua program yang tidak boleh diterima bersamaan."
        )
        assert single.status == RowStatus.VALID
        assert unknown.status == RowStatus.NIK_TIDAK_ADA
        assert refresh.counts["sanding"][RowStatus.PROGRAM_BENTROK] == 1
        refresh_id = refresh.id
    client.post("/login", data={"username": "petugas", "password": PASSWORD})
    page = client.get(f"/sanding/daftar/{refresh_id}").get_data(as_text=True)
    label = RowStatus.PROGRAM_BENTROK.label
    assert f'data-status="{RowStatus.PROGRAM_BENTROK}"' in page and label in page
    assert "mencantumkan BPNT dan PKH" in page
    export = client.get(f"/sanding/daftar/{refresh_id}/ekspor.xlsx")
    sheet = load_workbook(io.BytesIO(export.data)).active
    header = [c.value for c in sheet[1]]
    first = {header[i]: c.value for i, c in enumerate(sheet[2])}
    assert first["Status"] == label and "BPNT dan PKH" in first["Alasan"]


def test_a_pair_set_later_flags_the_row_once_validated_again(app, city, tmp_path):
    with app.app_context():
        refresh = _validate(city, tmp_path, [_listed(city, "valid", "BPNT, BST")])
        assert _rows(refresh)[0].status == RowStatus.VALID
        db.session.add(ProgramExclusion(code_a="BPNT", code_b="BST"))
        db.session.commit()
        refresh_services.analyse(db.session, refresh)
        db.session.commit()
        assert _rows(refresh)[0].status == RowStatus.PROGRAM_BENTROK


def test_criteria_data_never_recorded_is_not_valid(app, city, client, tmp_path):
    with app.app_context():
        valid = db.session.get(Person, city.person_ids["valid"])
        valid.monthly_income = None  # nobody asked her income
        asn = db.session.get(Person, city.person_ids["asn"])
        asn.monthly_income = None  # unknown income, but ASN fails the rule anyway
        db.session.commit()
        refresh = _validate(
            city,
            tmp_path,
            [
                _listed(city, "valid", "BPNT"),
                _listed(city, "asn", "BPNT"),
                _listed(city, "variant", "BPNT"),
            ],
        )
        unknown, failing, recorded = _rows(refresh)
        assert unknown.status == RowStatus.BELUM_TERCATAT
        assert unknown.reason.startswith(
            "Kriteria BPNT belum dapat diperiksa: penghasilan per kapita belum tercatat."
        )
        assert "survei lapangan" in unknown.reason
        assert unknown.review == Review.ANTRE  # waits for a decision (e.g. a field survey)
        assert failing.status == RowStatus.TIDAK_MEMENUHI and "ASN" in failing.reason
        assert recorded.status == RowStatus.VALID
        staff = db.session.get(User, city.staff_id)
        assert unknown.id in [r.id for r in queries.queue_page(db.session, staff, 1).items]

        # Once the income is recorded the same row is valid.
        valid.monthly_income = 900_000
        db.session.commit()
        refresh_services.analyse(db.session, refresh)
        db.session.commit()
        assert _rows(refresh)[0].status == RowStatus.VALID
        refresh_id = refresh.id
    client.post("/login", data={"username": "petugas", "password": PASSWORD})
    export = client.get(f"/sanding/daftar/{refresh_id}/ekspor.xlsx")
    assert export.status_code == 200


def test_a_definite_failure_of_one_program_wins_over_missing_data_of_another(app, city, tmp_path):
    with app.app_context():
        db.session.get(Person, city.person_ids["valid"]).monthly_income = None
        db.session.commit()
        refresh = _validate(
            city,
            tmp_path,
            [_listed(city, "valid", "BPNT, LANSIA"), _listed(city, "variant", "BPNT")],
        )
        row = _rows(refresh)[0]
        assert row.status == RowStatus.TIDAK_MEMENUHI and "LANSIA" in row.reason
        assert row.review == Review.TIDAK_PERLU


def test_a_resident_without_a_household_cannot_pass_the_criteria(app, city, tmp_path):
    with app.app_context():
        person = db.session.get(Person, city.person_ids["valid"])
        household = db.session.get(Household, person.household_id)
        person.household_id = None
        db.session.flush()
        db.session.delete(household)
        db.session.commit()
        refresh = _validate(city, tmp_path, [_listed(city, "valid", "BPNT")])
        row = _rows(refresh)[0]
        assert row.status == RowStatus.BELUM_TERCATAT
        assert "keluarga (KK) warga ini belum tercatat" in row.reason


def test_a_verdict_names_what_was_not_recorded():
    tree = {
        "all": [
            {"attr": "income_per_capita", "op": "le", "value": {"setting": "umr"}},
            {"attr": "has_asn_tni_polri", "op": "eq", "value": False},
        ]
    }
    unknown = rules.evaluate(tree, {"has_asn_tni_polri": False}, {"umr": 1_300_000})
    assert unknown.eligible is None
    assert unknown.unrecorded == ["penghasilan per kapita belum tercatat"]
    no_limit = rules.evaluate(tree, {"income_per_capita": 1, "has_asn_tni_polri": False})
    assert no_limit.unrecorded == ["batas UMR Kota Bandung belum diatur"]
    failed = rules.evaluate(tree, {"has_asn_tni_polri": True}, {"umr": 1_300_000})
    assert failed.eligible is False and failed.unrecorded == []
    passed = rules.evaluate(
        tree, {"income_per_capita": 1, "has_asn_tni_polri": False}, {"umr": 1_300_000}
    )
    assert passed.eligible is True and passed.unrecorded == []
