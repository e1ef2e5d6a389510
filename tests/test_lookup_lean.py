"""The lookup's lean rendering and form reading give exactly what the full path gives:
every anonymous page byte for byte as base.html renders it, and the posted fields as
Werkzeug's form parser reads them (tests/test_lookup_fast.py covers the found page)."""

import re

import pytest
from flask import render_template

from nutera.extensions import db
from nutera.lookup import routes
from nutera.models import Person

UNKNOWN_NIK = "3273024102809999"


@pytest.fixture
def siti(app, world):
    with app.app_context():
        return db.session.get(Person, world.person_ids["assigned"]).nik


def _token(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def _full(app, template: str, **context) -> str:
    with app.test_request_context("/cek", method="POST"):
        return render_template(template, layout="base.html", **context)


def test_the_form_is_the_full_layout_byte_for_byte(app, client, world):
    lean = client.get("/cek").get_data(as_text=True)
    full = _full(
        app,
        "lookup/form.html",
        captcha_due=False,
        cek_token=_token(lean),
        captcha_image=None,
        errors={},
        values={},
    )
    assert lean == full


def test_not_found_and_invalid_pages_are_the_full_layout_byte_for_byte(app, client, world):
    token = _token(client.get("/cek").get_data(as_text=True))
    typed = {"nik": UNKNOWN_NIK, "nama": "Siti <Aminah>"}
    lean = client.post("/cek", data=typed).get_data(as_text=True)
    common = {"captcha_due": False, "cek_token": token, "captcha_image": None}
    assert lean == _full(app, "lookup/not_found.html", errors={}, values=typed, **common)
    assert "Siti &lt;Aminah&gt;" in lean  # what was typed comes back escaped

    lean = client.post("/cek", data={"nik": "12345", "nama": "S"}).get_data(as_text=True)
    errors = {
        "nik": "NIK harus 16 digit, yang tertulis 5 digit.",
        "nama": "Isi nama lengkap sesuai KTP.",
    }
    values = {"nik": "12345", "nama": "S"}
    assert lean == _full(app, "lookup/form.html", errors=errors, values=values, **common)


def test_posted_fields_are_read_as_werkzeug_reads_them(app):
    body = "nik=3273%2B01&nama=Siti+Aminah&nama=Other&csrf_token=&bad=%ZZ%FF"
    with app.test_request_context(
        "/cek", method="POST", data=body, content_type="application/x-www-form-urlencoded"
    ):
        from flask import request

        lean = routes._posted()
        assert type(lean) is dict  # the small url-encoded body took the lean path (no MultiDict)
        request.__dict__.pop("form", None)
        form = request.form
        for key in ("nik", "nama", "csrf_token", "bad", "missing"):
            assert lean.get(key) == form.get(key)
        assert lean["nama"] == "Siti Aminah" and lean["nik"] == "3273+01"


def test_other_bodies_go_through_the_full_form_parser(app, client, world, siti):
    with app.test_request_context(  # a url-encoded body larger than the lookup's form
        "/cek", method="POST", data={"nik": "1", "nama": "x" * 5000}
    ):
        assert type(routes._posted()) is not dict
    with app.test_request_context(
        "/cek",
        method="POST",
        data={"nik": siti, "nama": "Siti Aminah"},
        content_type="multipart/form-data",
    ):
        assert routes._posted().get("nik") == siti
    page = client.post(
        "/cek", data={"nik": siti, "nama": "Siti Aminah"}, content_type="multipart/form-data"
    ).get_data(as_text=True)
    assert "SIT* AMI***" in page


def test_a_body_over_the_form_limit_is_still_refused(make_app, world):
    app = make_app(FORM_MAX_UPLOAD_BYTES=100, MAX_CONTENT_LENGTH=100)
    response = app.test_client().post(
        "/cek",
        data="nik=1&nama=" + "x" * 200,
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 413


def test_the_compiled_query_gives_the_rows_sqlalchemy_gives(app, client, login_as, world):
    """The lookup's query on the DBAPI cursor: same rows and value types (dates, the time of
    the last handover) as SQLAlchemy's execute, for a person with a handover and for none."""
    from datetime import date, datetime

    import sqlalchemy as sa

    from nutera import hotsql
    from nutera.lookup import services
    from nutera.models import DistributionRecipient
    from tests.factories_distribution import handover_form, make_event

    with app.app_context():
        event_id = make_event(db.session, world, households=("assigned",))
        db.session.commit()
        recipient_id = db.session.scalar(
            sa.select(DistributionRecipient.id).where(DistributionRecipient.event_id == event_id)
        )
        nik = db.session.get(Person, world.person_ids["assigned"]).nik
    login_as("staff")
    response = client.post(
        f"/penyaluran/{event_id}/serah-terima/{recipient_id}",
        data=handover_form(),
        content_type="multipart/form-data",
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    with app.app_context(), db.engine.connect() as connection:
        for wanted in (nik, UNKNOWN_NIK):
            fast = hotsql.rows(connection, services._LOOKUP, {"nik": wanted})
            slow = [tuple(row) for row in connection.execute(services._LOOKUP, {"nik": wanted})]
            assert fast == slow
        rows = hotsql.rows(connection, services._LOOKUP, {"nik": nik})
    assert rows and any(row[8] is not None for row in rows)
    for row in rows:
        assert isinstance(row[6], date) and isinstance(row[8] or datetime.now(), datetime)


def test_the_compiled_token_check_gives_the_rows_sqlalchemy_gives(app, world):
    """The API's token check on hotsql: same rows and types (booleans, times) as execute,
    for a one-kelurahan client's token, a revoked one, a whole-city one and an unknown one."""
    from datetime import date

    import sqlalchemy as sa

    from nutera import hotsql
    from nutera.api import auth
    from nutera.api.clients import ClientInput, register_client
    from nutera.models import User
    from nutera.models.api import ApiToken, token_digest

    with app.app_context():
        admin = db.session.get(User, world.user_ids["admin"])
        digests = ["unknown"]
        for whole_city in (False, True):
            data = ClientInput(
                name="SANTER",
                scopes=["status:read"],
                kelurahan_ids=[] if whole_city else [world.kelurahan_id],
                whole_city=whole_city,
            )
            client, _ = register_client(db.session, admin, data, date(2026, 12, 1))
            for revoked in (False, True):
                token = f"token-{whole_city}-{revoked}"
                db.session.add(
                    ApiToken(
                        client_pk=client.id,
                        token_hash=token_digest(token),
                        scope="status:read",
                        expires_at=sa.func.now(),
                        revoked=revoked,
                    )
                )
                digests.append(token_digest(token))
        db.session.commit()
        with db.engine.connect() as connection:
            for digest in digests:
                fast = hotsql.rows(connection, auth._TOKEN_LOOKUP, {"digest": digest})
                slow = [
                    tuple(r) for r in connection.execute(auth._TOKEN_LOOKUP, {"digest": digest})
                ]
                assert fast == slow
                assert [type(v) for row in fast for v in row] == [
                    type(v) for row in slow for v in row
                ]
            assert len(digests) == 5 and all(
                hotsql.rows(connection, auth._TOKEN_LOOKUP, {"digest": d}) for d in digests[1:]
            )
            revoked = hotsql.rows(connection, auth._TOKEN_LOOKUP, {"digest": digests[2]})
            assert revoked[0][2] is True
