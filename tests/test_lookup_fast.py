"""The lookup's fast path: a pasted layout, no session for an anonymous lookup, and its own
double-submit CSRF token (tests/test_lookup.py keeps the answers and guards)."""

import re

import pytest
from flask import render_template

from nutera.extensions import db
from nutera.lookup import routes
from nutera.lookup.services import lookup as find_status
from nutera.models import Person


@pytest.fixture
def siti(app, world):
    with app.app_context():
        return db.session.get(Person, world.person_ids["assigned"]).nik


def _token(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


@pytest.fixture
def guarded(make_app):
    """The app with CSRF checks on, as in production."""
    return make_app(WTF_CSRF_ENABLED=True)


def test_the_form_gives_a_cookie_scoped_to_the_lookup_and_no_session(guarded, world):
    client = guarded.test_client()
    response = client.get("/cek")
    cookies = response.headers.getlist("Set-Cookie")
    assert len(cookies) == 1 and cookies[0].startswith(routes.CSRF_COOKIE + "=")
    assert "Path=/cek" in cookies[0] and "HttpOnly" in cookies[0] and "SameSite=Lax" in cookies[0]
    assert client.get_cookie("session") is None


def test_an_anonymous_lookup_with_its_token_answers_without_a_session(guarded, world, siti):
    client = guarded.test_client()
    token = _token(client.get("/cek").get_data(as_text=True))
    response = client.post("/cek", data={"csrf_token": token, "nik": siti, "nama": "Siti Aminah"})
    assert response.status_code == 200 and "SIT* AMI***" in response.get_data(as_text=True)
    assert response.headers.getlist("Set-Cookie") == []


def test_a_token_of_another_visitor_or_none_is_refused(guarded, world, siti):
    attacker, victim = guarded.test_client(), guarded.test_client()
    token = _token(attacker.get("/cek").get_data(as_text=True))
    victim.get("/cek")  # the victim has a cookie of its own
    for data in ({"csrf_token": token}, {}):
        response = victim.post("/cek", data={**data, "nik": siti, "nama": "Siti Aminah"})
        assert response.status_code == 400
        assert "Formulir sudah kedaluwarsa" in response.get_data(as_text=True)
    fresh = guarded.test_client()  # no cookie at all, a token made elsewhere
    response = fresh.post("/cek", data={"csrf_token": token, "nik": siti, "nama": "Siti Aminah"})
    assert response.status_code == 400


def test_the_pasted_layout_is_the_full_layout_for_an_anonymous_visitor(app, client, world, siti):
    lean = client.post("/cek", data={"nik": siti, "nama": "Siti Aminah"}).get_data(as_text=True)
    with app.test_request_context("/cek", method="POST"):
        with db.engine.connect() as connection:
            result = find_status(connection, siti, "Siti Aminah")
        full = render_template("lookup/found.html", result=result, layout="base.html")
    assert lean == full
    form = client.get("/cek").get_data(as_text=True)
    assert 'class="navbar' in form and "Masuk petugas" in form and "</footer>" in form


def test_signed_in_staff_get_their_own_menu_on_the_lookup(client, login_as, world, siti):
    login_as("staff")
    page = client.post("/cek", data={"nik": siti, "nama": "Siti Aminah"}).get_data(as_text=True)
    assert "SIT* AMI***" in page and "Masuk petugas" not in page
