"""The field app's server side: area data scoping, blobs by hash, exactly-once outbox items."""

import hashlib
import io
import json
import threading
from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from nutera.distribution.services import create_event
from nutera.extensions import db
from nutera.models import (
    AidProgram,
    DistributionEvent,
    DistributionRecipient,
    Handover,
    Household,
    OfflineBlob,
    OfflineSubmission,
    Person,
    Survey,
    SurveyTask,
    TaskStatus,
    User,
    event_volunteer,
)
from nutera.ops import storage_check
from nutera.surveys.services import create_task
from tests.conftest import AuthActions
from tests.factories import PASSWORD, make_kk
from tests.factories_distribution import jpeg_bytes, make_event, signature_png
from tests.factories_surveys import member
from tests.test_distribution_concurrency import ON_POSTGRES, run_together


@pytest.fixture(autouse=True)
def own_upload_folder(app, tmp_path):
    app.config["UPLOAD_FOLDER"] = str(tmp_path / "uploads")


def sha(payload: bytes) -> str:
    return hashlib.sha256(payload).hexdigest()


def put_blob(client, payload: bytes, digest: str | None = None):
    return client.put(
        f"/luring/berkas/{digest or sha(payload)}", data=payload, content_type="image/jpeg"
    )


def survey_fields(rt_id: int, kk: str, **household) -> list[list[str]]:
    """A survey as the offline form keeps it: [name, value] pairs."""
    pairs = [
        ["kk_number", kk],
        ["rt_id", str(rt_id)],
        ["address", household.get("address", "Gg. Sukamaju No. 7")],
        ["kode_pos", "40116"],
        ["ownership", "sewa"],
        ["floor", "semen"],
        ["wall", "tembok"],
        ["roof", "seng"],
        ["water_source", "pdam"],
        ["toilet", "bersama"],
        ["electricity_va", "900"],
    ]
    for key, value in member("SITI AMINAH", relation="kepala", sex="P").items():
        pairs.append([f"members-0-{key}", value])
    return pairs


def send(client, key: str, fields, blobs=None, kind="survey", **extra):
    body = {"key": key, "kind": kind, "fields": fields, "blobs": blobs or {}, **extra}
    return client.post("/luring/kirim", data=json.dumps(body), content_type="application/json")


def assigned_rt(app, world) -> int:
    with app.app_context():
        return db.session.get(Household, world.household_ids["assigned"]).rt_id


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


# --- area data -------------------------------------------------------------------------------


def test_area_holds_the_volunteers_rts_only(client, login_as, app, world):
    login_as("volunteer")
    response = client.get("/luring/wilayah")
    assert response.status_code == 200
    area = response.get_json()
    kks = {h["kk"] for rt in area["rts"] for h in rt["households"]}
    with app.app_context():
        number = {
            key: db.session.get(Household, hid).kk_number
            for key, hid in world.household_ids.items()
        }
    assert kks == {number["assigned"]}
    [household] = area["rts"][0]["households"]
    assert household["head"] == "SITI AMINAH"
    assert household["address"] == "Jl. Uji No. 1"
    assert ["members-0-name", "SITI AMINAH"] in household["pairs"]
    assert len(household["version"]) == 16
    assert area["user_id"] == world.user_ids["volunteer"]
    assert area["max_age_days"] == 7
    assert "no-store" in response.headers["Cache-Control"]


@pytest.mark.parametrize("role", ["staff", "other_staff", "admin"])
def test_area_is_refused_to_other_roles(client, login_as, role):
    login_as(role)
    assert client.get("/luring/wilayah").status_code == 403


def test_area_and_sync_need_a_session(client):
    assert client.get("/luring/wilayah").status_code == 302
    response = client.get("/luring/status")
    assert response.status_code == 401
    assert response.get_json() == {"signed_in": False}
    assert send(client, "a" * 32, []).status_code == 302


def test_status_gives_a_fresh_csrf_token(client, login_as, world):
    login_as("volunteer")
    data = client.get("/luring/status").get_json()
    assert data["signed_in"] and data["user_id"] == world.user_ids["volunteer"]
    assert data["csrf_token"]


# --- blobs by hash -----------------------------------------------------------------------------


def test_blob_is_stored_once_under_its_hash(client, login_as, app):
    login_as("volunteer")
    photo = jpeg_bytes()
    assert client.head(f"/luring/berkas/{sha(photo)}").status_code == 404
    assert put_blob(client, photo).status_code == 201
    assert client.head(f"/luring/berkas/{sha(photo)}").status_code == 204
    assert put_blob(client, photo).status_code == 200  # a retried upload
    assert count(app, OfflineBlob) == 1


def test_cut_or_forged_blob_is_refused(client, login_as, app):
    login_as("volunteer")
    photo = jpeg_bytes()
    cut = put_blob(client, photo[: len(photo) // 2], digest=sha(photo))
    assert cut.status_code == 422
    assert "tidak utuh" in cut.get_json()["message"]
    not_image = put_blob(client, b"%PDF-1.4 not a photo")
    assert not_image.status_code == 422
    assert put_blob(client, photo, digest="xyz").status_code == 422
    assert count(app, OfflineBlob) == 0


def test_an_oversized_blob_is_refused_before_it_is_read(client, login_as, app):
    """The body is refused by its declared length (the app-wide limit is for spreadsheets)."""
    app.config["OFFLINE_BLOB_MAX_BYTES"] = 1024
    login_as("volunteer")

    class Unread(io.BytesIO):
        def read(self, *args):
            raise AssertionError("the oversized body was read")

        readinto = readline = read

    response = client.put(
        f"/luring/berkas/{'a' * 64}",
        content_type="image/jpeg",
        environ_overrides={"CONTENT_LENGTH": "4096", "wsgi.input": Unread()},
    )
    assert response.status_code == 422
    assert "terlalu besar" in response.get_json()["message"]
    assert count(app, OfflineBlob) == 0


def test_a_blob_belongs_to_its_uploader(client, login_as, auth, app):
    login_as("volunteer")
    photo = jpeg_bytes()
    put_blob(client, photo)
    auth.logout()
    login_as("staff")
    assert client.head(f"/luring/berkas/{sha(photo)}").status_code == 404


# --- surveys exactly once ------------------------------------------------------------------------


def test_survey_with_photo_is_recorded_once_and_a_retry_gets_the_first_answer(
    client, login_as, app, world
):
    login_as("volunteer")
    rt_id, kk, photo = assigned_rt(app, world), make_kk(), jpeg_bytes()
    fields = survey_fields(rt_id, kk)
    # The record before its photo: the device is told to upload the photo, nothing is made.
    early = send(client, "k" * 32, fields, {"photo": sha(photo)})
    assert early.status_code == 409
    assert early.get_json()["status"] == "missing_blob"
    assert count(app, Survey) == 0 and count(app, OfflineSubmission) == 0
    assert put_blob(client, photo).status_code == 201
    first = send(client, "k" * 32, fields, {"photo": sha(photo)})
    assert first.status_code == 201, first.get_json()
    again = send(client, "k" * 32, fields, {"photo": sha(photo)})
    assert again.status_code == 200
    assert again.get_json()["number"] == first.get_json()["number"]
    assert again.get_json()["replay"] is True
    with app.app_context():
        [survey] = db.session.scalars(sa.select(Survey)).all()
        assert survey.status == "submitted" and survey.kk_number == kk
        assert survey.house_photo and survey.volunteer_id == world.user_ids["volunteer"]
    assert first.get_json()["url"] == f"/survei/{survey.id}"
    # The photo was stored with the survey; the uploaded blob is gone with its file.
    assert client.head(f"/luring/berkas/{sha(photo)}").status_code == 404
    assert count(app, OfflineBlob) == 0
    assert not list((Path(app.config["UPLOAD_FOLDER"]) / "offline").rglob("*.*"))


def test_refused_survey_is_not_remembered_and_can_be_fixed_and_resent(
    client, login_as, app, world
):
    login_as("volunteer")
    rt_id, kk = assigned_rt(app, world), make_kk()
    broken = [p for p in survey_fields(rt_id, kk) if p[0] != "address"]
    refused = send(client, "r" * 32, broken)
    assert refused.status_code == 422
    assert refused.get_json()["errors"]["address"] == ["Alamat wajib diisi."]
    assert count(app, OfflineSubmission) == 0 and count(app, Survey) == 0
    fixed = send(client, "r" * 32, survey_fields(rt_id, kk))
    assert fixed.status_code == 201


def test_survey_outside_the_volunteers_rts_is_refused(client, login_as, app, world):
    login_as("volunteer")
    with app.app_context():
        other_rt = db.session.get(Household, world.household_ids["unassigned"]).rt_id
    response = send(client, "o" * 32, survey_fields(other_rt, make_kk()))
    assert response.status_code == 422
    assert response.get_json()["errors"]["rt_id"] == ["RT ini bukan wilayah tugas Anda."]


def test_a_waiting_blob_is_not_an_orphan_for_the_storage_check(client, login_as, app):
    login_as("volunteer")
    put_blob(client, jpeg_bytes())
    with app.app_context():
        report = storage_check.check(db.session, Path(app.config["UPLOAD_FOLDER"]))
    assert report.files == 1 and report.clean


def test_surveys_come_from_volunteers_only(client, login_as, app, world):
    login_as("staff")
    response = send(client, "t" * 32, survey_fields(assigned_rt(app, world), make_kk()))
    assert response.status_code == 422
    assert "relawan" in response.get_json()["message"]


def test_malformed_items_are_refused(client, login_as):
    login_as("volunteer")
    assert send(client, "short", []).status_code == 422
    assert send(client, "k" * 32, [], kind="other").status_code == 422
    assert send(client, "k" * 32, [["a", 1]]).status_code == 422
    assert send(client, "k" * 32, [], {"photo": "nothex"}).status_code == 422
    assert send(client, "é" * 32, []).status_code == 422
    assert send(client, "k" * 32, [], {"script": "a" * 64}).status_code == 422
    assert send(client, "k" * 32, [["address", "x" * 5000]]).status_code == 422
    huge = {"event_id": 2**40, "recipient_id": 1}
    assert send(client, "k" * 32, [], kind="handover", **huge).status_code == 422


def test_survey_of_a_household_changed_meanwhile_arrives_as_a_conflict(
    client, login_as, auth, app, world
):
    login_as("volunteer")
    [copy] = client.get("/luring/wilayah").get_json()["rts"][0]["households"]
    with app.app_context():  # staff correct the address while the phone is offline
        household = db.session.get(Household, world.household_ids["assigned"])
        household.address = "Jl. Uji No. 1A"
        db.session.commit()
    base = {"kk": copy["kk"], "version": copy["version"], "pairs": copy["pairs"]}
    response = send(client, "c" * 32, survey_fields(copy["rt_id"], copy["kk"]), base=base)
    assert response.status_code == 201
    assert response.get_json()["conflict"] is True
    with app.app_context():
        row = db.session.scalar(sa.select(OfflineSubmission))
        assert row.conflict and row.device_version == copy["version"]
        assert ["address", "Jl. Uji No. 1"] in row.device_copy
        assert ["address", "Jl. Uji No. 1A"] in row.server_copy
        survey_id = row.survey_id
    auth.logout()
    login_as("staff")
    page = client.get(f"/survei/{survey_id}").get_data(as_text=True)
    assert "Konflik data" in page
    assert "Jl. Uji No. 1A" in page and "Jl. Uji No. 1</td>" in page


def test_unchanged_household_is_no_conflict(client, login_as):
    login_as("volunteer")
    [copy] = client.get("/luring/wilayah").get_json()["rts"][0]["households"]
    base = {"kk": copy["kk"], "version": copy["version"], "pairs": copy["pairs"]}
    response = send(client, "n" * 32, survey_fields(copy["rt_id"], copy["kk"]), base=base)
    assert response.status_code == 201
    assert "conflict" not in response.get_json()


# --- handovers through the same outbox -----------------------------------------------------------


@pytest.fixture
def volunteer_event(app, world):
    with app.app_context():
        event_id = make_event(db.session, world)
        db.session.execute(
            sa.insert(event_volunteer).values(
                event_id=event_id, user_id=world.user_ids["volunteer"]
            )
        )
        recipients = dict(
            db.session.execute(
                sa.select(DistributionRecipient.person_id, DistributionRecipient.id).where(
                    DistributionRecipient.event_id == event_id
                )
            ).all()
        )
        db.session.commit()
    return event_id, recipients


HANDOVER_FIELDS = [["identity_checked", "y"], ["latitude", "-6.9"], ["longitude", "107.6"]]


def test_handover_with_photo_and_signature_is_recorded_once(
    client, login_as, app, world, volunteer_event
):
    event_id, recipients = volunteer_event
    recipient = recipients[world.person_ids["assigned"]]
    login_as("volunteer")
    photo, signature = jpeg_bytes(), signature_png()
    put_blob(client, photo)
    put_blob(client, signature)
    blobs = {"photo": sha(photo), "signature": sha(signature)}
    ids = {"event_id": event_id, "recipient_id": recipient}
    first = send(client, "h" * 32, HANDOVER_FIELDS, blobs, kind="handover", **ids)
    assert first.status_code == 201, first.get_json()
    again = send(client, "h" * 32, HANDOVER_FIELDS, blobs, kind="handover", **ids)
    assert again.status_code == 200 and again.get_json()["number"] == first.get_json()["number"]
    with app.app_context():
        [handover] = db.session.scalars(sa.select(Handover)).all()
        assert handover.idempotency_key == "h" * 32
        assert handover.photo_path and handover.signature_path
    # Another key for the same recipient: refused with the reason, not a second record.
    put_blob(client, photo)
    put_blob(client, signature)
    other = send(client, "j" * 32, HANDOVER_FIELDS, blobs, kind="handover", **ids)
    assert other.status_code == 409
    assert "sudah diterima" in other.get_json()["message"]
    assert count(app, Handover) == 1


def test_handover_outside_the_volunteers_rts_is_refused(
    client, login_as, app, world, volunteer_event
):
    event_id, recipients = volunteer_event
    login_as("volunteer")
    photo = jpeg_bytes()
    put_blob(client, photo)
    response = send(
        client,
        "u" * 32,
        HANDOVER_FIELDS + [["thumbprint", "y"]],
        {"photo": sha(photo)},
        kind="handover",
        event_id=event_id,
        recipient_id=recipients[world.person_ids["unassigned"]],
    )
    assert response.status_code == 422
    assert count(app, Handover) == 0


def test_sync_needs_the_csrf_token_from_status(make_app, world):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    client.post("/login", data={"username": "relawan", "password": PASSWORD, "csrf_token": token})
    body = json.dumps({"key": "z" * 32, "kind": "survey", "fields": []})
    refused = client.post("/luring/kirim", data=body, content_type="application/json")
    assert refused.status_code == 400
    fresh = client.get("/luring/status").get_json()["csrf_token"]
    answered = client.post(
        "/luring/kirim",
        data=body,
        content_type="application/json",
        headers={"X-CSRFToken": fresh},
    )
    assert answered.status_code == 422  # past the CSRF check, refused for its empty fields


# --- service worker and manifest -----------------------------------------------------------------


def test_service_worker_is_served_at_the_root_with_local_workbox(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/"
    body = response.get_data(as_text=True)
    assert "self.__WB_MANIFEST" not in body
    assert "/static/vendor/workbox/workbox-precaching.prod.js" in body
    assert "googleapis" not in body and "https://" not in body
    manifest = json.loads(body.split("precacheAndRoute(")[1].split(", {ignore")[0])
    urls = {entry["url"] for entry in manifest}
    assert "/static/vendor/bootstrap/bootstrap.min.css" in urls
    assert "/static/js/offline/survey-offline.js" in urls
    for url in urls:
        assert client.get(url).status_code == 200, url


def test_manifest_is_indonesian_with_icons(client):
    response = client.get("/manifest.webmanifest")
    data = json.loads(response.get_data(as_text=True))
    assert data["lang"] == "id" and data["start_url"] == "/survei/"
    assert {icon["sizes"] for icon in data["icons"]} == {"192x192", "512x512"}
    for icon in data["icons"]:
        assert client.get(icon["src"]).status_code == 200


def test_vendored_workbox_has_no_cdn_address():
    from pathlib import Path

    for path in Path("static/vendor/workbox").iterdir():
        text = path.read_text(errors="ignore")
        assert "googleapis" not in text and "workbox-cdn" not in text, path


@pytest.mark.parametrize("mode", ["concurrent" if ON_POSTGRES else "sequential"])
def test_one_item_sent_twice_at_once_is_recorded_once(app, world, mode):
    """Background Sync and the open page sending the same item at the same moment."""
    phones = []
    for _ in range(2):
        client = app.test_client()
        assert AuthActions(client).login(world.usernames["volunteer"]).status_code == 302
        phones.append(client)
    photo = jpeg_bytes()
    assert put_blob(phones[0], photo).status_code == 201
    fields = survey_fields(assigned_rt(app, world), make_kk())
    barrier = threading.Barrier(len(phones))
    answers = []

    def submit(client):
        if mode == "concurrent":
            barrier.wait(timeout=10)
        response = send(client, "s" * 32, fields, {"photo": sha(photo)})
        answers.append((response.status_code, response.get_json()))

    run_together(mode, [(submit, (client,)) for client in phones])
    assert sorted(status for status, _ in answers) == [200, 201], answers
    assert len({body["number"] for _, body in answers}) == 1
    assert count(app, Survey) == 1 and count(app, OfflineSubmission) == 1


def test_worker_and_manifest_fetches_leave_the_session_alone(client, login_as, app, world):
    """The browser fetches /sw.js and the manifest beside a page: an ended session's reason
    must still reach the page the volunteer opens."""
    login_as("volunteer")
    with app.app_context():
        db.session.get(User, world.user_ids["volunteer"]).active = False
        db.session.commit()
    assert client.get("/sw.js").status_code == 200
    assert client.get("/manifest.webmanifest").status_code == 200
    page = client.get("/survei/", follow_redirects=True).get_data(as_text=True)
    assert "Akun Anda sudah dinonaktifkan." in page


def test_static_files_never_set_the_session_cookie(client, login_as):
    """A precache download finishing after a POST must not put back the cookie from before it
    (the POST's flash message would be lost)."""
    login_as("volunteer")
    for url in ("/static/js/offline/sync.js", "/static/css/nutera.css"):
        response = client.get(url)
        assert response.status_code == 200
        assert "Set-Cookie" not in response.headers
    assert "Set-Cookie" in client.get("/survei/").headers  # a page still refreshes it


def test_background_fetches_never_rewrite_the_session_cookie(client, login_as, app, world):
    """A warm-up carrying a cookie from before a password change must not sign the user out."""
    login_as("volunteer")
    background = {"X-Nutera-Background": "1"}
    assert "Set-Cookie" not in client.get("/survei/luring", headers=background).headers
    assert "Set-Cookie" not in client.get("/luring/wilayah", headers=background).headers
    assert "Set-Cookie" not in client.get("/sw.js").headers
    with app.app_context():  # the session ends elsewhere (password changed on another page)
        user = db.session.get(User, world.user_ids["volunteer"])
        user.session_generation = (user.session_generation or 0) + 1
        db.session.commit()
    refused = client.get("/survei/luring", headers=background)
    assert refused.status_code == 302 and "Set-Cookie" not in refused.headers
    assert "Set-Cookie" in client.get("/survei/luring").headers  # a page request still does


# --- handover data, survey tasks -----------------------------------------------------------


def another_event(world, event_date) -> int:
    """A second event of the world's program (make_event made the program and enrolments)."""
    staff = db.session.get(User, world.user_ids["staff"])
    program = db.session.scalar(
        sa.select(AidProgram).where(AidProgram.kelurahan_id == world.kelurahan_id)
    )
    return create_event(
        db.session,
        staff,
        program,
        period="Tahap 5 2026",
        event_date=event_date,
        place="Aula RW",
        goods="Beras",
        amount=None,
        volunteer_ids=[],
    ).id


def test_handover_data_holds_the_officers_events_and_visible_recipients_only(
    client, login_as, app, world, volunteer_event
):
    event_id, recipients = volunteer_event
    with app.app_context():
        other_event = another_event(world, date(2026, 11, 23))  # not assigned to them
        nik = db.session.get(Person, world.person_ids["assigned"]).nik
        db.session.commit()
    login_as("volunteer")
    response = client.get("/luring/data-penyaluran")
    assert response.status_code == 200
    data = response.get_json()
    assert data["user_id"] == world.user_ids["volunteer"] and data["max_age_days"] == 7
    assert [event["id"] for event in data["events"]] == [event_id]
    assert other_event != event_id
    # The event invites 'assigned' and 'unassigned'; the volunteer sees their own RT's only.
    [recipient] = data["events"][0]["recipients"]
    assert recipient["id"] == recipients[world.person_ids["assigned"]]
    assert recipient["name"] == "SITI AMINAH" and recipient["received"] is False
    assert recipient["masked_nik"].startswith(nik[:6]) and "******" in recipient["masked_nik"]
    assert nik not in response.get_data(as_text=True)  # never a full NIK on the device
    # Nor the birth day and month: beside the masked NIK they leave only the year unknown.
    birth = db_birth_date(app, world.person_ids["assigned"])
    assert "birth_day" not in recipient and f"{birth.day:02d}/{birth.month:02d}" not in str(data)
    with app.app_context():
        token = db.session.get(DistributionRecipient, recipient["id"]).token
    # The invitation token only as its SHA-256 (a QR scanned offline finds its recipient).
    assert recipient["token_sha256"] == hashlib.sha256(token.encode()).hexdigest()
    assert token not in response.get_data(as_text=True)
    assert "no-store" in response.headers["Cache-Control"]


def test_staff_get_their_kelurahans_events_around_today_only(client, login_as, auth, app, world):
    from nutera.timeutil import local_today

    with app.app_context():
        today = local_today(db.session.get(User, world.user_ids["staff"]).kelurahan)
        near = make_event(db.session, world)
        db.session.get(DistributionEvent, near).event_date = today
        another_event(world, today - timedelta(days=30))
        db.session.commit()
    login_as("staff")
    data = client.get("/luring/data-penyaluran").get_json()
    assert [event["id"] for event in data["events"]] == [near]
    assert len(data["events"][0]["recipients"]) == 2  # staff see the whole kelurahan's
    auth.logout()
    login_as("other_staff")  # Lebakgede's staff: nothing of Tamansari
    assert client.get("/luring/data-penyaluran").get_json()["events"] == []


def test_offline_handover_pages_need_a_field_role(client, login_as):
    assert client.get("/luring/data-penyaluran").status_code == 302
    login_as("volunteer")
    for url in ("/luring/penyaluran", "/luring/serah-terima"):
        response = client.get(url)
        assert response.status_code == 200
    page = client.get("/luring/serah-terima").get_data(as_text=True)
    assert "data-handover-form" in page and "data-shrink-photo" in page


def make_task(app, world, household_key: str | None = "assigned") -> int:
    """An open survey task in the volunteer's RT (about a registered KK, or an address)."""
    with app.app_context():
        household = (
            db.session.get(Household, world.household_ids[household_key])
            if household_key
            else None
        )
        rt = db.session.get(Household, world.household_ids["assigned"]).rt
        staff = db.session.get(User, world.user_ids["staff"])
        task = create_task(db.session, staff, rt, "Gg. Baru No. 3", "ANI", "pindahan", household)
        db.session.commit()
        return task.id


def test_area_tasks_name_their_kk_and_a_survey_from_a_task_is_linked_to_it(
    client, login_as, app, world
):
    task_id = make_task(app, world)
    login_as("volunteer")
    area = client.get("/luring/wilayah").get_json()
    [task] = area["tasks"]
    kk = area["rts"][0]["households"][0]["kk"]
    assert task["id"] == task_id and task["kk"] == kk and task["name"] == "ANI"
    rt_id = assigned_rt(app, world)
    response = send(client, "t" * 32, survey_fields(rt_id, kk), task_id=task_id)
    assert response.status_code == 201, response.get_json()
    with app.app_context():
        [survey] = db.session.scalars(sa.select(Survey)).all()
        assert survey.task_id == task_id


def test_a_closed_or_foreign_task_is_not_linked_and_a_bad_one_is_refused(
    client, login_as, app, world
):
    task_id = make_task(app, world, household_key=None)
    with app.app_context():
        db.session.get(SurveyTask, task_id).status = TaskStatus.SELESAI
        other_rt = db.session.get(Household, world.household_ids["unassigned"]).rt
        staff = db.session.get(User, world.user_ids["staff"])
        foreign = create_task(db.session, staff, other_rt, "Jl. Lain No. 9").id
        db.session.commit()
    login_as("volunteer")
    rt_id = assigned_rt(app, world)
    for key, task in (("c" * 32, task_id), ("f" * 32, foreign)):
        fields = survey_fields(rt_id, make_kk(), address=f"Gg. {key[0]} No. 1")
        response = send(client, key, fields, task_id=task)
        assert response.status_code == 201, response.get_json()
    with app.app_context():
        assert {s.task_id for s in db.session.scalars(sa.select(Survey))} == {None}
    for bad in ("12", True, 1.5, 2**40):
        response = send(client, "b" * 32, survey_fields(rt_id, make_kk()), task_id=bad)
        assert response.status_code == 422
        assert response.get_json()["message"] == "Tugas survei tidak dikenal."


def db_birth_date(app, person_id):
    with app.app_context():
        return db.session.get(Person, person_id).birth_date
