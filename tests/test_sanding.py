"""Sanding: every status of a recipient-list row, set-based, and the source kinds."""

import io

import pytest
import sqlalchemy as sa

from nutera.extensions import db
from nutera.models import (
    Person,
    Refresh,
    Review,
    RowStatus,
    SandingCandidate,
    SandingRow,
    Setting,
    SourceKind,
)
from nutera.refresh import services as refresh_services
from nutera.refresh.states import RefreshStateError
from nutera.sanding import kinds
from tests import factories_sanding as fs


@pytest.fixture
def city(app_ctx):
    built = fs.build_city(db.session)
    db.session.commit()
    return built


@pytest.fixture
def validated(city, app_ctx, tmp_path):
    return fs.validated_list(city, tmp_path)


def _rows_by_case(refresh: Refresh, city) -> dict[str, SandingRow]:
    cases = list(fs.list_rows(city))
    rows = db.session.scalars(
        sa.select(SandingRow).where(SandingRow.refresh_id == refresh.id).order_by(SandingRow.id)
    ).all()
    assert len(rows) == len(cases)
    return dict(zip(cases, rows, strict=True))


EXPECTED = {
    "valid": RowStatus.VALID,
    "variant": RowStatus.VALID,
    "typo": RowStatus.NIK_TIDAK_ADA,
    "swap": RowStatus.NIK_TIDAK_ADA,
    "other_nik": RowStatus.NIK_TIDAK_ADA,
    "deceased": RowStatus.MENINGGAL,
    "moved": RowStatus.PINDAH,
    "elsewhere": RowStatus.KELURAHAN_LAIN,
    "far": RowStatus.LUAR_KOTA,
    "unknown": RowStatus.LUAR_KOTA,
    "renamed": RowStatus.NAMA_BERBEDA,
    "kk": RowStatus.KK_BERBEDA,
    "excluded": RowStatus.PROGRAM_EKSKLUSIF,
    "asn": RowStatus.TIDAK_MEMENUHI,
    "twice": RowStatus.GANDA,
    "unreadable": RowStatus.TIDAK_TERBACA,
}


def test_every_status_with_its_reason(validated, city):
    rows = _rows_by_case(validated, city)
    assert {case: row.status for case, row in rows.items()} == EXPECTED
    assert all(row.reason for row in rows.values())
    assert "Lebakgede" in rows["elsewhere"].reason
    assert "Kota Cimahi" in rows["far"].reason
    assert "3277" in rows["unknown"].reason
    assert "baris 1" in rows["twice"].reason
    assert "JOKO WIDODO" in rows["renamed"].reason
    assert "PKH" in rows["excluded"].reason
    assert "BPNT" in rows["asn"].reason and "ASN" in rows["asn"].reason
    assert "16 angka" in rows["unreadable"].reason
    assert rows["valid"].person_id == city.person_ids["valid"]


def test_recipient_list_never_touches_the_registry(validated, city):
    persons = db.session.scalar(sa.select(sa.func.count(Person.id)))
    assert persons == len(city.person_ids)
    assert validated.counts["sanding"][RowStatus.VALID] == 2
    with pytest.raises(RefreshStateError, match="tidak diterapkan"):
        refresh_services.request_commit(db.session, validated, city.staff_id)


def test_candidates_for_typo_swap_and_other_nik(validated, city):
    rows = _rows_by_case(validated, city)
    typo, swap, other = rows["typo"], rows["swap"], rows["other_nik"]
    assert [(c.person_id, c.kind, c.score) for c in typo.candidates] == [
        (city.person_ids["typo"], "satu_digit", 100)
    ]
    assert [(c.person_id, c.kind) for c in swap.candidates] == [
        (city.person_ids["swap"], "tertukar")
    ]
    assert [(c.person_id, c.kind) for c in other.candidates] == [
        (city.person_ids["other_nik"], "nama_lahir")
    ]
    # A typo with one strong candidate is proposed for bulk confirmation; the same name and
    # birth date under another NIK always goes to the queue.
    assert typo.review == Review.USULAN and swap.review == Review.USULAN
    assert other.review == Review.ANTRE
    assert rows["renamed"].review == Review.ANTRE
    assert rows["kk"].review == Review.ANTRE
    assert rows["valid"].review == Review.TIDAK_PERLU
    assert rows["unknown"].candidates == []


def test_source_kind_is_chosen_once_and_remembered(city, app_ctx, tmp_path):
    fs.validated_list(city, tmp_path)
    assert kinds.source_kind(db.session, city.kelurahan_id, fs.SOURCE) == SourceKind.PENERIMA
    with pytest.raises(kinds.SourceKindError, match="sudah ditetapkan"):
        refresh_services.start_upload(
            db.session,
            city.kelurahan_id,
            city.staff_id,
            fs.SOURCE,
            io.BytesIO(fs.list_csv([])),
            "x.csv",
            str(tmp_path),
            kind="penduduk",
        )
    # Without a kind the remembered one is used (the second upload is validated too).
    again = fs.validated_list(city, tmp_path, [fs.list_rows(city)["valid"]])
    assert again.counts["sanding"] == {RowStatus.VALID: 1}


def test_new_source_without_kind_is_a_population_extract(city, app_ctx, tmp_path):
    refresh_services.start_upload(
        db.session,
        city.kelurahan_id,
        city.staff_id,
        "Dukcapil",
        io.BytesIO(fs.list_csv([fs.list_rows(city)["valid"]])),
        "p.csv",
        str(tmp_path),
    )
    assert kinds.source_kind(db.session, city.kelurahan_id, "Dukcapil") == SourceKind.PENDUDUK
    legacy = refresh_services.start_upload(
        db.session,
        city.kelurahan_id,
        city.staff_id,
        "Daftar lama",
        io.BytesIO(fs.list_csv([fs.list_rows(city)["valid"]])),
        "l.csv",
        str(tmp_path),
        kind="lama",
    )
    assert not refresh_services.is_recipient_list(db.session, legacy.refresh)
    assert (
        db.session.scalar(sa.select(Setting.value).where(Setting.key == "kind:Daftar lama"))
        == '{"kind": "lama"}'
    )


def test_revalidation_replaces_rows_and_candidates(validated, city):
    first = db.session.scalar(sa.select(sa.func.count(SandingCandidate.id)))
    refresh_services.analyse(db.session, validated)
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count(SandingCandidate.id))) == first
    count = db.session.scalar(
        sa.select(sa.func.count(SandingRow.id)).where(SandingRow.refresh_id == validated.id)
    )
    assert count == len(EXPECTED)


def test_cli_validates_a_recipient_list(city, app, tmp_path):
    path = tmp_path / "daftar.csv"
    path.write_bytes(fs.list_csv(list(fs.list_rows(city).values())))
    result = app.test_cli_runner().invoke(
        args=["refresh", "import", str(path), "--source", "Usulan", "--kind", "penerima"]
        + ["--kelurahan", "3273021003", "--commit"]
    )
    assert result.exit_code == 0, result.output
    assert "Valid" in result.output and "registri tidak diubah" in result.output
    assert db.session.scalar(sa.select(sa.func.count(Person.id))) == len(city.person_ids)


def test_same_rt_and_birth_year_finds_a_typo_with_a_wrong_birth_date(city, app_ctx, tmp_path):
    row = fs.list_rows(city)["typo"]
    row[3] = "06-05-1980"  # the list's birth date is a day off: no same-birth-date block
    refresh = fs.validated_list(city, tmp_path, [row])
    listed = db.session.scalar(sa.select(SandingRow).where(SandingRow.refresh_id == refresh.id))
    assert listed.status == RowStatus.NIK_TIDAK_ADA
    assert [(c.person_id, c.kind, c.score) for c in listed.candidates] == [
        (city.person_ids["typo"], "satu_digit", 90)
    ]
    assert listed.review == Review.ANTRE  # a birth date that differs is not bulk-confirmed


def test_a_nik_with_a_dropped_digit_is_unreadable_but_gets_its_resident(city, app_ctx, tmp_path):
    row = fs.list_rows(city)["typo"]
    row[0] = city.niks["typo"][:-1]  # 15 digits
    refresh = fs.validated_list(city, tmp_path, [row])
    listed = db.session.scalar(sa.select(SandingRow).where(SandingRow.refresh_id == refresh.id))
    assert listed.status == RowStatus.TIDAK_TERBACA and "16 angka" in listed.reason
    assert [(c.person_id, c.kind) for c in listed.candidates] == [
        (city.person_ids["typo"], "nama_lahir")
    ]
    assert listed.review == Review.ANTRE
