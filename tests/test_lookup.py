"""The public NIK lookup: what it shows, what it never shows, and its abuse guards."""

import logging
import os
import re

import pytest

from nutera.extensions import db
from nutera.lookup.services import names_match, nik_digest, normalise_name
from nutera.models import Household, Kelurahan, Person
from tests import factories

UNKNOWN_NIK = "3273024102809999"


@pytest.fixture
def siti(app, world):
    """SITI AMINAH, head of a Tamansari household enrolled in PKH; returns her NIK and KK."""
    with app.app_context():
        person = db.session.get(Person, world.person_ids["assigned"])
        household = db.session.get(Household, world.household_ids["assigned"])
        kelurahan = db.session.get(Kelurahan, world.kelurahan_id)
        factories.make_person(
            db.session,
            household,
            name="RAHMAT HIDAYAT",
            relation="anak",
            birth_date=person.birth_date.replace(year=2005),
        )
        factories.enroll(
            db.session, factories.make_program(db.session, kelurahan, "PKH"), household
        )
        db.session.commit()
        return {
            "nik": person.nik,
            "kk": household.kk_number,
            "address": household.address,
            "birth": person.birth_date,
        }


def _strip_volatile(html: str) -> str:
    html = re.sub(r'name="csrf_token" value="[^"]*"', "", html)
    return re.sub(r'src="data:image/png;base64,[^"]*"', "", html)


def test_right_nik_and_name_show_masked_status_only(client, siti):
    response = client.post("/cek", data={"nik": siti["nik"], "nama": "Siti Aminah"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "SIT* AMI***" in page
    assert "RT 01/RW 01" in page
    assert 'data-program="PKH"' in page and "Aktif" in page and "1 Januari 2026" in page
    for secret in (
        "SITI AMINAH",
        "Siti Aminah",
        siti["nik"],
        siti["kk"],
        siti["address"],
        "RAHMAT",
        "1980",
        "Jl. Uji",
    ):
        assert secret not in page, secret
    assert 'href="/pengaduan"' in page  # the complaint box, for 'this is wrong'


@pytest.mark.parametrize(
    "typed",
    ["siti aminah", "  SITI   AMINAH ", "Siti Aminah.", "SITI AMINA", "SITIAMINAH", "Sity Aminah"],
)
def test_name_matching_forgives_case_spaces_punctuation_and_one_typo(client, siti, typed):
    page = client.post("/cek", data={"nik": siti["nik"], "nama": typed}).get_data(as_text=True)
    assert "SIT* AMI***" in page


@pytest.mark.parametrize(
    "typed", ["SITI", "AMINAH", "SITI AMINAH BINTI", "SUTI AMONAH", "S AMINAH"]
)
def test_first_name_alone_or_two_typos_do_not_match(client, siti, typed):
    page = client.post("/cek", data={"nik": siti["nik"], "nama": typed}).get_data(as_text=True)
    assert "Data tidak ditemukan" in page and "SIT*" not in page


def test_unknown_nik_and_wrong_name_give_identical_answers(make_app, siti):
    answers = []
    for nik, name in [(UNKNOWN_NIK, "SITI AMINAH"), (siti["nik"], "BUDI SANTOSO")]:
        client = make_app().test_client()
        response = client.post("/cek", data={"nik": nik, "nama": name})
        answers.append(
            (
                response.status_code,
                response.headers.get("Content-Type"),
                # What was typed comes back in the boxes (to fix a typo), and nowhere else.
                _strip_volatile(response.get_data(as_text=True))
                .replace(f'value="{nik}"', 'value="NIK"', 1)
                .replace(f'value="{name}"', 'value="NAMA"', 1),
            )
        )
    assert answers[0] == answers[1]
    assert answers[0][0] == 200 and "Data tidak ditemukan" in answers[0][2]
    assert siti["nik"] not in answers[1][2] and UNKNOWN_NIK not in answers[0][2]


def test_a_miss_keeps_nik_and_name_to_fix_a_typo_and_is_never_cached(client, siti):
    response = client.post("/cek", data={"nik": siti["nik"], "nama": "Siti Aminha Putri"})
    page = response.get_data(as_text=True)
    assert "Data tidak ditemukan" in page
    assert f'value="{siti["nik"]}"' in page and 'value="Siti Aminha Putri"' in page
    assert page.count(siti["nik"]) == 1
    assert "no-store" in response.headers["Cache-Control"]


def test_malformed_nik_gets_a_clear_message_and_keeps_input(client, siti):
    page = client.post("/cek", data={"nik": "12345", "nama": "Siti"}).get_data(as_text=True)
    assert "NIK harus 16 digit, yang tertulis 5 digit." in page
    assert 'value="12345"' in page and "Data tidak ditemukan" not in page


def test_lookup_log_holds_a_keyed_hash_never_the_nik(app, client, siti, caplog):
    with caplog.at_level(logging.INFO, logger="nutera.lookup"):
        client.post("/cek", data={"nik": siti["nik"], "nama": "Siti Aminah"})
        client.post("/cek", data={"nik": UNKNOWN_NIK, "nama": "Siti Aminah"})
    text = caplog.text
    assert siti["nik"] not in text and UNKNOWN_NIK not in text
    assert f"nik_hmac={nik_digest(siti['nik'], 'test-secret')} outcome=found" in text
    assert f"nik_hmac={nik_digest(UNKNOWN_NIK, 'test-secret')} outcome=not_found" in text
    handler = app.extensions["lookup_log"].handlers[0]
    handler.flush()
    written = open(handler.baseFilename, encoding="utf-8").read()
    assert nik_digest(siti["nik"], "test-secret") in written and siti["nik"] not in written


def test_captcha_appears_after_three_failures_and_guards_the_lookup(app, client, siti):
    for _ in range(3):
        page = client.post("/cek", data={"nik": UNKNOWN_NIK, "nama": "X Y"}).get_data(as_text=True)
    assert "Ketik kode pada gambar" in page
    page = client.post(
        "/cek", data={"nik": siti["nik"], "nama": "Siti Aminah", "captcha": "SALAH"}
    ).get_data(as_text=True)
    assert "Jawaban kode pada gambar salah" in page and "SIT*" not in page
    answer = app.config["LAST_CAPTCHA_ANSWER"]
    page = client.post(
        "/cek", data={"nik": siti["nik"], "nama": "Siti Aminah", "captcha": answer}
    ).get_data(as_text=True)
    assert "SIT* AMI***" in page


def test_get_page_is_a_light_hand_written_form(client, world):
    page = client.get("/cek").get_data(as_text=True)
    assert 'name="csrf_token"' in page and 'name="nik"' in page and 'name="nama"' in page
    assert "Ketik kode" not in page


@pytest.mark.parametrize("storage", ["memory://", "redis"])
def test_lookup_is_rate_limited_per_ip(make_app, world, storage):
    if storage == "redis":
        import redis

        storage = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
        redis.Redis.from_url(storage).flushdb()
    app = make_app(
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI=storage,
        CEK_RATE_LIMIT="3 per minute",
        CEK_CAPTCHA_AFTER=100,
    )
    client = app.test_client()
    codes = [
        client.post("/cek", data={"nik": UNKNOWN_NIK, "nama": "A B"}).status_code for _ in range(4)
    ]
    assert codes == [200, 200, 200, 429]
    assert "Terlalu banyak permintaan" in client.post("/cek", data={}).get_data(as_text=True)
    assert client.get("/cek").status_code == 200  # reading the form is not limited
    with app.app_context():
        from nutera.extensions import limiter

        limiter.reset()


def test_csrf_is_required(make_app, siti):
    client = make_app(WTF_CSRF_ENABLED=True).test_client()
    response = client.post("/cek", data={"nik": siti["nik"], "nama": "Siti Aminah"})
    assert response.status_code == 400


def test_name_helpers():
    assert normalise_name(" Ma'ruf  Amin, S.Pd ") == "MARUF AMIN S PD"
    assert normalise_name("Sité") == "SITE"
    assert names_match("MUHAMMAD RIZKI ABDULLAH", "MUHAMAD RIZKY ABDULLAH")  # 2 typos, 23 letters
    assert not names_match("MUHAMAD RIZKY ABDULAH", "MUHAMMAD RIZKI ABDULLAH")  # 3 typos
    assert names_match("muhammad rizky", "MUHAMMAD RIZKI")
    assert not names_match("MUHAMMAD", "MUHAMMAD RIZKI")
    assert not names_match("", "BUDI")
    assert names_match("budi", "BUDI")


def test_person_without_household_or_program(app, client, world):
    with app.app_context():
        kelurahan_id = world.kelurahan_id
        person = Person(
            kelurahan_id=kelurahan_id,
            nik=factories.make_nik(),
            name="ANI LESTARI",
            sex="L",
            birth_date=factories.date(1985, 3, 14),
        )
        db.session.add(person)
        db.session.commit()
        nik = person.nik
    page = client.post("/cek", data={"nik": nik, "nama": "Ani Lestari"}).get_data(as_text=True)
    assert "AN* LES****" in page and "Belum ada program bantuan yang tercatat" in page
    assert "RT " not in page.split('id="cek-result"')[1].split("</div>")[0]


def test_lookup_shows_when_the_aid_was_received(app, client, login_as, world):
    """After a recorded handover the resident's lookup says 'Diterima pada <tanggal>'."""
    import sqlalchemy as sa

    from nutera.models import DistributionRecipient
    from tests.factories_distribution import handover_form, make_event

    with app.app_context():
        event_id = make_event(db.session, world, households=("assigned",))
        db.session.commit()
        recipient_id = db.session.scalar(
            sa.select(DistributionRecipient.id).where(DistributionRecipient.event_id == event_id)
        )
        nik = db.session.get(Person, world.person_ids["assigned"]).nik
    before = client.post("/cek", data={"nik": nik, "nama": "Siti Aminah"}).get_data(as_text=True)
    assert "Diterima pada" not in before and 'id="last-handover"' not in before
    login_as("staff")
    response = client.post(
        f"/penyaluran/{event_id}/serah-terima/{recipient_id}",
        data=handover_form(),
        content_type="multipart/form-data",
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    client.post("/logout")
    page = client.post("/cek", data={"nik": nik, "nama": "Siti Aminah"}).get_data(as_text=True)
    assert 'data-field="received">Diterima pada ' in page
    assert 'id="last-handover"' in page and "diterima pada" in page


def test_nik_digest_is_hmac_sha256_of_the_nik_under_each_key():
    import hashlib
    import hmac

    for secret in ("test-secret", "another key", "test-secret", "kunci \u00e9"):
        for nik in ("3273024102809999", UNKNOWN_NIK, ""):
            expected = hmac.new(secret.encode(), nik.encode(), hashlib.sha256).hexdigest()
            assert nik_digest(nik, secret) == expected
    assert nik_digest("3273024102809999", "a") != nik_digest("3273024102809999", "b")
