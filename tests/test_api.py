"""The integration API: clients, tokens, scopes, kelurahan scoping, audited reads, feed."""

import base64
import io
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from PIL import Image

from nutera.api.clients import ClientInput, register_client, revoke_client, rotate_secret
from nutera.extensions import db
from nutera.models import AuditLog, Household, Kelurahan, Person, User
from nutera.models.api import ApiScope, ApiToken
from tests import factories

ALL_SCOPES = [s.value for s in ApiScope]


@pytest.fixture
def api(app, world):
    """Helpers to register clients and call the API with their tokens."""

    class Api:
        def __init__(self):
            self.http = app.test_client()

        def register(self, scopes=ALL_SCOPES, kelurahan="own", **extra):
            with app.app_context():
                admin = db.session.get(User, world.user_ids["admin"])
                ids = {"own": [world.kelurahan_id], "other": [world.other_kelurahan_id]}
                data = ClientInput(
                    name="SANTER",
                    scopes=list(scopes),
                    kelurahan_ids=[] if kelurahan == "city" else ids[kelurahan],
                    whole_city=kelurahan == "city",
                    **extra,
                )
                client, secret = register_client(db.session, admin, data, date(2026, 12, 1))
                db.session.commit()
                return client.client_id, secret

        def token(self, client_id, secret, **environ):
            basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
            return self.http.post(
                "/api/v1/oauth/token",
                data={"grant_type": "client_credentials"},
                headers={"Authorization": f"Basic {basic}"},
                **environ,
            )

        def login(self, scopes=ALL_SCOPES, kelurahan="own"):
            client_id, secret = self.register(scopes, kelurahan)
            response = self.token(client_id, secret)
            assert response.status_code == 200, response.get_data(as_text=True)
            return response.get_json()["access_token"]

        def call(self, method, path, token, purpose="verifikasi penerima", **kwargs):
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            if purpose:
                headers["X-Purpose"] = purpose
            return self.http.open(path, method=method, headers=headers, **kwargs)

    return Api()


def _head(app, world, key="assigned"):
    with app.app_context():
        person = db.session.get(Person, world.person_ids[key])
        return person.nik, person.name


def test_token_is_issued_for_client_credentials_and_is_short_lived(api):
    client_id, secret = api.register()
    response = api.token(client_id, secret)
    body = response.get_json()
    assert response.status_code == 200
    assert body["token_type"].lower() == "bearer" and body["expires_in"] == 900
    assert set(body["scope"].split()) == set(ALL_SCOPES)
    assert api.token(client_id, "wrong-secret").status_code in (400, 401)


def test_the_secret_and_token_are_stored_only_as_hashes(app, api):
    client_id, secret = api.register()
    token = api.token(client_id, secret).get_json()["access_token"]
    with app.app_context():
        stored = db.session.execute(sa.text("SELECT secret_hash FROM api_client")).scalar()
        tokens = db.session.execute(sa.text("SELECT token_hash FROM api_token")).scalars().all()
    assert secret not in stored and token not in tokens and len(tokens) == 1


def test_status_check_answers_like_cek_and_identically_for_unknown_and_wrong_name(app, world, api):
    token = api.login([ApiScope.STATUS_READ.value])
    nik, name = _head(app, world)
    found = api.call("POST", "/api/v1/status/check", token, json={"nik": nik, "name": name})
    assert found.status_code == 200
    assert found.get_json()["found"] is True
    assert found.get_json()["masked_name"] != name
    unknown = api.call(
        "POST", "/api/v1/status/check", token, json={"nik": "3273021402850999", "name": name}
    )
    wrong = api.call(
        "POST", "/api/v1/status/check", token, json={"nik": nik, "name": "ORANG LAIN SEKALI"}
    )
    assert unknown.status_code == wrong.status_code == 200
    assert unknown.get_data() == wrong.get_data()
    assert unknown.get_json() == {
        "found": False,
        "masked_name": None,
        "rt_rw": None,
        "programs": [],
    }


def test_status_check_batch_answers_each_item_in_order(app, world, api):
    token = api.login([ApiScope.STATUS_READ.value])
    nik, name = _head(app, world)
    items = [{"nik": nik, "name": name}, {"nik": nik, "name": "SALAH"}] * 50
    response = api.call("POST", "/api/v1/status/check-batch", token, json={"items": items})
    results = response.get_json()["results"]
    assert [r["found"] for r in results] == [True, False] * 50
    too_many = api.call(
        "POST", "/api/v1/status/check-batch", token, json={"items": items + items[:1]}
    )
    assert too_many.status_code == 422
    assert too_many.mimetype == "application/problem+json"


def test_a_batch_answers_exactly_what_single_checks_answer(app, world, api):
    with app.app_context():  # one checked household with a program, to compare more than "found"
        household = db.session.get(Household, world.household_ids["assigned"])
        kelurahan = db.session.get(Kelurahan, household.kelurahan_id)
        factories.enroll(
            db.session, factories.make_program(db.session, kelurahan, "UJI"), household
        )
        db.session.commit()
    token = api.login([ApiScope.STATUS_READ.value], kelurahan="own")
    assigned, unassigned, other = (
        _head(app, world, k) for k in ("assigned", "unassigned", "other")
    )
    items = [
        {"nik": assigned[0], "name": assigned[1]},
        {"nik": unassigned[0], "name": unassigned[1]},
        {"nik": other[0], "name": other[1]},  # another kelurahan's: unknown to this client
        {"nik": assigned[0], "name": "ORANG LAIN"},
        {"nik": "3273021402850999", "name": assigned[1]},
        {"nik": assigned[0], "name": assigned[1].lower()},
    ]
    batch = api.call("POST", "/api/v1/status/check-batch", token, json={"items": items})
    singles = [
        api.call("POST", "/api/v1/status/check", token, json=item).get_json() for item in items
    ]
    assert batch.get_json()["results"] == singles
    assert [r["found"] for r in singles] == [True, True, False, False, False, True]
    assert [p["code"] for p in singles[0]["programs"]] == ["UJI"]


def test_a_client_of_one_kelurahan_sees_nothing_of_another(app, world, api):
    token = api.login(kelurahan="other")
    nik, name = _head(app, world)  # a Tamansari resident; the client is Lebakgede's
    status = api.call("POST", "/api/v1/status/check", token, json={"nik": nik, "name": name})
    assert status.get_json()["found"] is False
    assert api.call("GET", f"/api/v1/persons/{nik}", token).status_code == 404
    persons = api.call("GET", "/api/v1/persons", token).get_json()["items"]
    assert nik not in {p["nik"] for p in persons}
    assert {p["kelurahan"] for p in persons} == {"3273031002"}
    households = api.call("GET", "/api/v1/households", token).get_json()["items"]
    assert {h["kelurahan"] for h in households} == {"3273031002"}


def test_a_whole_city_client_sees_every_kelurahan(app, world, api):
    token = api.login(kelurahan="city")
    persons = api.call("GET", "/api/v1/persons", token).get_json()["items"]
    assert {p["kelurahan"] for p in persons} == {"3273021003", "3273031002"}


@pytest.mark.parametrize(
    ("method", "path", "scope"),
    [
        ("POST", "/api/v1/status/check", ApiScope.STATUS_READ),
        ("POST", "/api/v1/status/check-batch", ApiScope.STATUS_READ),
        ("GET", "/api/v1/recipients", ApiScope.RECIPIENTS_READ),
        ("GET", "/api/v1/persons", ApiScope.REGISTRY_READ),
        ("GET", "/api/v1/persons/3273021402850001", ApiScope.REGISTRY_READ),
        ("GET", "/api/v1/households", ApiScope.REGISTRY_READ),
        ("GET", "/api/v1/distribution/events", ApiScope.DISTRIBUTION_READ),
        ("GET", "/api/v1/distribution/events/1/handovers", ApiScope.DISTRIBUTION_READ),
        ("GET", "/api/v1/complaints/NTR-AAAAA-BBBBB", ApiScope.COMPLAINTS_READ),
        ("POST", "/api/v1/complaints", ApiScope.COMPLAINTS_WRITE),
        ("GET", "/api/v1/changes", ApiScope.CHANGES_READ),
    ],
)
def test_each_scope_gates_its_endpoints(api, method, path, scope):
    others = [s for s in ALL_SCOPES if s != scope.value]
    token = api.login(others)
    refused = api.call(method, path, token, json={})
    assert refused.status_code == 403
    assert refused.mimetype == "application/problem+json"
    assert api.call(method, path, None, json={}).status_code == 401
    allowed = api.call(method, path, api.login([scope.value]), json={})
    assert allowed.status_code not in (401, 403)


def test_expired_revoked_and_rotated_clients_are_refused(app, world, api):
    client_id, secret = api.register(expires_on=date(2026, 12, 2))
    token = api.token(client_id, secret).get_json()["access_token"]
    assert api.call("GET", "/api/v1/persons", token).status_code == 200
    with app.app_context():
        db.session.execute(
            sa.text("UPDATE api_client SET expires_at = :past"), {"past": "2026-01-01 00:00:00"}
        )
        db.session.commit()
    assert api.call("GET", "/api/v1/persons", token).status_code == 401
    assert api.token(client_id, secret).status_code in (400, 401)

    client_id, secret = api.register()
    token = api.token(client_id, secret).get_json()["access_token"]
    with app.app_context():
        from nutera.models.api import ApiClient

        client = db.session.scalar(sa.select(ApiClient).where(ApiClient.client_id == client_id))
        new_secret = rotate_secret(db.session, client)
        db.session.commit()
    assert api.call("GET", "/api/v1/persons", token).status_code == 401
    assert api.token(client_id, secret).status_code in (400, 401)
    token = api.token(client_id, new_secret).get_json()["access_token"]
    with app.app_context():
        client = db.session.scalar(sa.select(ApiClient).where(ApiClient.client_id == client_id))
        revoke_client(db.session, client)
        db.session.commit()
    assert api.call("GET", "/api/v1/persons", token).status_code == 401
    assert api.token(client_id, new_secret).status_code in (400, 401)


def test_an_expired_token_is_refused(app, api):
    token = api.login()
    with app.app_context():
        db.session.execute(sa.update(ApiToken).values(expires_at=sa.func.now() - timedelta(0)))
        db.session.execute(sa.text("UPDATE api_token SET expires_at = '2026-01-01 00:00:00'"))
        db.session.commit()
    assert api.call("GET", "/api/v1/persons", token).status_code == 401


def test_ip_allow_list_refuses_tokens_and_calls_from_other_addresses(app, api):
    client_id, secret = api.register(ip_allowlist="10.1.2.0/24 192.0.2.7")
    ok = {"environ_base": {"REMOTE_ADDR": "10.1.2.9"}}
    bad = {"environ_base": {"REMOTE_ADDR": "127.0.0.1"}}
    assert api.token(client_id, secret, **bad).status_code in (400, 401)
    token = api.token(client_id, secret, **ok).get_json()["access_token"]
    headers = {"Authorization": f"Bearer {token}", "X-Purpose": "uji"}
    assert api.http.get("/api/v1/persons", headers=headers, **ok).status_code == 200
    assert api.http.get("/api/v1/persons", headers=headers, **bad).status_code == 403


def test_personal_data_reads_need_a_purpose_and_are_audited_with_hashed_niks(app, world, api):
    token = api.login()
    nik, _ = _head(app, world)
    assert api.call("GET", "/api/v1/persons", token, purpose=None).status_code == 400
    assert (
        api.call("GET", f"/api/v1/persons/{nik}", token, purpose="cek bansos").status_code == 200
    )
    with app.app_context():
        row = db.session.scalar(
            sa.select(AuditLog).where(AuditLog.action == "api_read").order_by(AuditLog.id.desc())
        )
        assert row.api_client_id is not None
        assert row.changes["purpose"] == "cek bansos"
        assert row.changes["records"] == 1
        assert nik not in str(row.changes) and len(row.changes["nik_hashes"]) == 1


def test_a_kelurahan_clients_reads_are_in_its_staffs_audit_log_filtered_by_client(
    app, world, api, client, auth, login_as
):
    token = api.login()  # a client of Tamansari only
    nik, _ = _head(app, world)
    assert api.call("GET", f"/api/v1/persons/{nik}", token).status_code == 200
    city_token = api.login(kelurahan="city")
    assert api.call("GET", f"/api/v1/persons/{nik}", city_token).status_code == 200
    with app.app_context():
        own, city = db.session.scalars(
            sa.select(AuditLog).where(AuditLog.action == "api_read").order_by(AuditLog.id)
        ).all()
        assert own.kelurahan_id == world.kelurahan_id and city.kelurahan_id is None
        own_client = own.api_client_id
    login_as("staff")
    page = client.get(f"/admin/audit?klien={own_client}").get_data(as_text=True)
    assert 'name="klien"' in page and "dibaca lewat API" in page
    auth.logout()
    login_as("other_staff")
    page = client.get("/admin/audit?jenis=api").get_data(as_text=True)
    assert "dibaca lewat API" not in page  # Lebakgede's staff see nothing of Tamansari's client
    assert f'value="{own_client}"' not in page


def test_recipients_filter_by_program_status_and_rw_with_cursor_pages(app, world, api):
    with app.app_context():
        from nutera.models import Kelurahan

        tamansari = db.session.get(Kelurahan, world.kelurahan_id)
        program = factories.make_program(db.session, tamansari, "PKH")
        for _ in range(5):
            factories.enroll(
                db.session,
                program,
                factories.make_household(db.session, factories.rt_of(tamansari, 1, 2)),
            )
        factories.enroll(
            db.session,
            program,
            db.session.get(Household, world.household_ids["unassigned"]),
            status="berakhir",
        )
        db.session.commit()
    token = api.login()
    seen, cursor = [], None
    while True:
        query = {
            "program": "PKH",
            "status": "aktif",
            "limit": 2,
            **({"cursor": cursor} if cursor else {}),
        }
        body = api.call("GET", "/api/v1/recipients", token, query_string=query).get_json()
        seen += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 5 and len({r["id"] for r in seen}) == 5
    assert all(r["status"] == "aktif" and r["rw"] == 1 and r["kk_number"] for r in seen)
    rw2 = api.call("GET", "/api/v1/recipients", token, query_string={"rw": 2}).get_json()
    assert [r["status"] for r in rw2["items"]] == ["berakhir"]
    bad = api.call("GET", "/api/v1/recipients", token, query_string={"cursor": "garbage!"})
    assert bad.status_code == 422


def test_programs_and_statistics_are_public(app, world, api):
    with app.app_context():
        from nutera.models import Kelurahan

        tamansari = db.session.get(Kelurahan, world.kelurahan_id)
        factories.enroll(
            db.session,
            factories.make_program(db.session, tamansari, "BPNT"),
            db.session.get(Household, world.household_ids["assigned"]),
        )
        db.session.commit()
    programs = api.http.get("/api/v1/programs").get_json()
    assert "BPNT" in {p["code"] for p in programs}
    stats = api.http.get("/api/v1/statistics?kelurahan=3273021003").get_json()
    # One recipient: below five, so suppressed like /statistik (RW 02's 0 too).
    assert stats[0]["programs"][0]["by_rw"] == {"01": None, "02": None}
    assert stats[0]["programs"][0]["recipients"] is None


def test_openapi_document_and_docs_page_are_served(api):
    spec = api.http.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    assert "/api/v1/status/check" in spec["paths"]
    assert "oauth2" in spec["components"]["securitySchemes"]
    docs = api.http.get("/api/v1/docs")
    assert docs.status_code == 200
    assert (
        b"vendor/swagger-ui/swagger-ui-bundle.js" in docs.data and b"js/api-docs.js" in docs.data
    )
    assert "'unsafe-inline'" not in docs.headers["Content-Security-Policy"]
    reference = api.http.get("/api/v1/referensi")
    page = reference.get_data(as_text=True)
    assert reference.status_code == 200
    assert "<script" not in page.split("</main>")[0].split("<main")[1]
    # Every operation of the document is on the page with its scopes and its schemas.
    for path, item in spec["paths"].items():
        for method in item.keys() - {"parameters"}:
            assert f'data-operation="{method.upper()} {path}"' in page
    assert "<code>status:read</code>" in page and 'id="schema-StatusOut"' in page


def test_vendored_viewer_names_no_cdn_and_sends_nothing_out():
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "static"
    for path in [*(root / "vendor" / "swagger-ui").iterdir(), root / "js" / "api-docs.js"]:
        text = path.read_text(errors="ignore").lower()
        assert "cdn" not in text, path
    assert "validatorurl: null" in (root / "js" / "api-docs.js").read_text().lower()


def test_unknown_api_paths_answer_problem_json_in_indonesian(api):
    response = api.http.get("/api/v1/tidak-ada")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["title"] == "Halaman tidak ditemukan"


def test_complaint_is_filed_with_the_public_form_rules_and_read_by_code(app, world, api):
    token = api.login([ApiScope.COMPLAINTS_WRITE.value, ApiScope.COMPLAINTS_READ.value])
    bad = api.call(
        "POST",
        "/api/v1/complaints",
        token,
        data={"kelurahan": "3273021003", "category": "usul", "description": "pendek"},
    )
    assert bad.status_code == 422 and "description" in bad.get_json()["errors"]
    filed = api.call(
        "POST",
        "/api/v1/complaints",
        token,
        data={
            "kelurahan": "3273021003",
            "category": "usul",
            "rt": 1,
            "rw": 1,
            "subject_name": "IBU SUMIATI",
            "description": "Keluarga ini baru pindah dan belum pernah didata sama sekali.",
            "anonymous": "true",
        },
    )
    assert filed.status_code == 201, filed.get_data(as_text=True)
    code = filed.get_json()["code"]
    status = api.call("GET", f"/api/v1/complaints/{code}", token).get_json()
    assert status["status"] == "baru" and status["public_answers"] == []
    other = api.login([ApiScope.COMPLAINTS_READ.value], kelurahan="other")
    assert api.call("GET", f"/api/v1/complaints/{code}", other).status_code == 404


def test_change_feed_lists_each_changed_record_once_in_commit_order(app, world, api):
    token = api.login()
    first = api.call("GET", "/api/v1/changes", token).get_json()
    start = first["items"][-1]["cursor"] if first["items"] else None
    with app.app_context():
        person = db.session.get(Person, world.person_ids["assigned"])
        person.name = "SITI AMINAH BARU"
        db.session.commit()
        person.name = "SITI AMINAH LAGI"
        db.session.commit()
    query = {"after": start} if start else {}
    items = api.call("GET", "/api/v1/changes", token, query_string=query).get_json()["items"]
    assert [(i["kind"], i["id"], i["op"]) for i in items] == [
        ("person", world.person_ids["assigned"], "update")
    ] * 2
    assert items[0]["version"] < items[1]["version"]
    assert "SITI" not in str(items)
    again = api.call("GET", "/api/v1/changes", token, query_string={"after": items[-1]["cursor"]})
    assert again.get_json()["items"] == []


def test_change_feed_of_another_kelurahan_client_does_not_list_ours(app, world, api):
    token = api.login(kelurahan="other")
    with app.app_context():
        db.session.get(Person, world.person_ids["assigned"]).name = "NAMA BARU"
        db.session.commit()
    items = api.call("GET", "/api/v1/changes", token).get_json()["items"]
    assert world.person_ids["assigned"] not in {i["id"] for i in items if i["kind"] == "person"}


def test_staff_register_clients_only_for_their_kelurahan(client, login_as, world):
    login_as("staff")
    page = client.get("/kelola/api-klien/baru")
    assert page.status_code == 200 and b"Seluruh kota" not in page.data
    response = client.post(
        "/kelola/api-klien/baru",
        data={
            "name": "Aplikasi RW",
            "scopes": ["status:read"],
            "kelurahan_ids": [world.other_kelurahan_id],
        },
    )
    assert b"client-secret" not in response.data
    response = client.post(
        "/kelola/api-klien/baru",
        data={
            "name": "Aplikasi RW",
            "scopes": ["status:read"],
            "kelurahan_ids": [world.kelurahan_id],
        },
    )
    assert response.status_code == 200 and b"client-secret" in response.data
    assert b"Aplikasi RW" in client.get("/kelola/api-klien/").data


def test_rate_limit_per_client(make_app, world):
    """The limit counts per client id, whatever address the calls come from."""
    app = make_app(RATELIMIT_ENABLED=True, API_RATE_LIMIT="3 per minute")
    assert _rate_limited_calls(app, world) == [200, 200, 200, 429]


def _rate_limited_calls(app, world):
    with app.app_context():
        admin = db.session.get(User, world.user_ids["admin"])
        client, secret = register_client(
            db.session,
            admin,
            ClientInput("X", [ApiScope.REGISTRY_READ.value], [world.kelurahan_id]),
            date(2026, 12, 1),
        )
        db.session.commit()
        client_id = client.client_id
    http = app.test_client()
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    token = http.post(
        "/api/v1/oauth/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {basic}"},
    ).get_json()["access_token"]
    headers = {"Authorization": f"Bearer {token}", "X-Purpose": "uji"}
    return [
        http.get(
            "/api/v1/persons", headers=headers, environ_base={"REMOTE_ADDR": f"10.0.0.{i}"}
        ).status_code
        for i in range(4)
    ]


def _photo(size=(64, 48)) -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 120, 40)).save(buffer, "JPEG")
    buffer.seek(0)
    return buffer


def test_complaint_photo_is_validated_and_stored_like_the_public_forms(app, world, api):
    token = api.login([ApiScope.COMPLAINTS_WRITE.value])
    fields = {
        "kelurahan": "3273021003",
        "category": "lainnya",
        "description": "Jalan menuju balai warga rusak, foto terlampir sebagai bukti.",
    }
    filed = api.call(
        "POST",
        "/api/v1/complaints",
        token,
        data={**fields, "photos": (_photo(), "jalan.jpg")},
        content_type="multipart/form-data",
    )
    assert filed.status_code == 201, filed.get_data(as_text=True)
    with app.app_context():
        from nutera.models import Complaint

        complaint = db.session.scalar(
            sa.select(Complaint).where(Complaint.code == filed.get_json()["code"])
        )
        assert len(complaint.photos) == 1 and len(complaint.photos[0].sha256) == 64
    fake = api.call(
        "POST",
        "/api/v1/complaints",
        token,
        data={**fields, "photos": (io.BytesIO(b"<html>not an image</html>"), "x.jpg")},
        content_type="multipart/form-data",
    )
    assert fake.status_code == 422
    assert fake.mimetype == "application/problem+json" and "photos" in fake.get_json()["errors"]
