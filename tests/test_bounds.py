"""Ids and page numbers beyond the database's integer range: 404 or a page, never a 500."""

import pytest
from werkzeug.routing import IntegerConverter

from nutera.bounds import MAX_PAGE

HUGE = [10**20, 2**63, 2**31]  # beyond 64 bits, and beyond PostgreSQL's INTEGER ids
LARGE = [2**31 - 1]  # the largest id an INTEGER column holds
NON_INT_VALUES = {
    "code": "NTR-AAAAA-AAAAA",
    "kind": "foto",
    "filename": "x.css",
    "nik": "3273021403850001",
}
INT_QUERY_ARGS = ("rw", "rt", "volunteer", "kelurahan_id", "umur", "status")
ROLES = [None, "admin", "staff", "volunteer", "other_staff"]


def _rules(app, with_ints: bool):
    for rule in app.url_map.iter_rules():
        if rule.endpoint.endswith("static"):
            continue
        has_int = any(isinstance(c, IntegerConverter) for c in rule._converters.values())
        if has_int == with_ints:
            yield rule


def _path(rule, number: int) -> str:
    path = rule.rule
    for name, converter in rule._converters.items():
        value = (
            str(number)
            if isinstance(converter, IntegerConverter)
            else NON_INT_VALUES.get(name, "x")
        )
        path = path.replace(f"<{_arg(rule, name)}>", value)
    return path


def _arg(rule, name: str) -> str:
    start = rule.rule.index(f":{name}>") if f":{name}>" in rule.rule else None
    if start is None:
        return name
    return rule.rule[rule.rule.rindex("<", 0, start) + 1 : start] + ":" + name


def _sign_in(login_as, role):
    if role is not None:
        login_as(role)


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r or "anonymous")
def test_ids_beyond_the_integer_range_answer_404(app, client, login_as, role):
    _sign_in(login_as, role)
    checked = 0
    for rule in _rules(app, with_ints=True):
        for number in HUGE:
            path = _path(rule, number)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                response = client.open(path, method=method)
                assert response.status_code == 404, (role, method, path, response.status_code)
                checked += 1
    assert checked > 40


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r or "anonymous")
def test_the_largest_integer_id_is_not_a_500(app, client, login_as, role):
    _sign_in(login_as, role)
    for rule in _rules(app, with_ints=True):
        for number in LARGE:
            path = _path(rule, number)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                response = client.open(path, method=method)
                assert response.status_code in (302, 401, 403, 404), (role, method, path)


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r or "anonymous")
def test_page_numbers_and_filters_out_of_range_are_not_a_500(app, client, login_as, role):
    _sign_in(login_as, role)
    for rule in _rules(app, with_ints=False):
        if "GET" not in rule.methods or rule.endpoint in ("auth.logout",):
            continue
        path = _path(rule, 0)
        for page in [10**20, MAX_PAGE + 1]:
            response = client.get(path, query_string={"page": page})
            assert response.status_code in (200, 302, 401, 403, 404), (role, path, page)
        for page in [0, -(10**20), MAX_PAGE]:
            response = client.get(path, query_string={"page": page})
            assert response.status_code in (200, 302, 401, 403, 404), (role, path, page)
        for number in [10**20, 2**31, -(2**31) - 1]:
            response = client.get(path, query_string=dict.fromkeys(INT_QUERY_ARGS, number))
            assert response.status_code in (200, 302, 401, 403, 404), (role, path, number)
        response = client.get(path, query_string={"dari": "0001-01-01", "sampai": "9999-12-31"})
        assert response.status_code in (200, 302, 401, 403, 404), (role, path, "dates")


def test_page_beyond_the_limit_is_404_and_below_one_is_the_first(client, login_as):
    login_as("staff")
    assert client.get("/registri/kk", query_string={"page": 10**20}).status_code == 404
    assert client.get("/registri/kk", query_string={"page": MAX_PAGE + 1}).status_code == 404
    first = client.get("/registri/kk", query_string={"page": -5})
    assert first.status_code == 200
    assert client.get("/pemutakhiran/", query_string={"page": 0}).status_code == 200


def test_form_ids_beyond_the_range_are_ignored(client, login_as, auth):
    login_as("volunteer")
    response = client.post("/survei/mulai", data={"task_id": str(10**20), "rt_id": str(10**20)})
    assert response.status_code == 404
    auth.logout()
    login_as("staff")
    response = client.post("/survei/verifikasi/bersih", data={"survey_id": [str(10**20), "1"]})
    assert response.status_code == 302


@pytest.mark.parametrize("query", ["sampai=9999-12-31", "dari=0001-01-01", "dari=9999-12-31"])
def test_dates_at_the_edge_of_the_calendar_are_ignored(client, login_as, query):
    login_as("staff")
    assert client.get("/survei/daftar?" + query).status_code == 200
    assert client.get("/survei/daftar.xlsx?" + query).status_code == 200
