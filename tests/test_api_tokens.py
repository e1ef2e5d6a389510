"""The bearer check on the status check's hot path is as strict as Authlib's validator."""

import sqlalchemy as sa

from nutera.api.clients import revoke_client
from nutera.extensions import db
from nutera.models import AuditLog
from nutera.models.api import ApiClient, ApiScope, ApiToken, token_digest
from tests.test_api import api  # noqa: F401 (the API client fixture)

CHECK = "/api/v1/status/check"
BODY = {"nik": "3273024102809999", "name": "Siti Aminah"}


def _post(api, authorization):  # noqa: F811
    headers = {"Authorization": authorization} if authorization is not None else {}
    return api.http.post(CHECK, json=BODY, headers=headers)


def _reads(app) -> int:
    with app.app_context():
        return db.session.scalar(
            sa.select(sa.func.count()).select_from(AuditLog).where(AuditLog.action == "api_read")
        )


def test_headers_other_than_a_bearer_token_are_refused(app, api):  # noqa: F811
    token = api.login([ApiScope.STATUS_READ.value])
    assert _post(api, f"Bearer {token}").status_code == 200
    assert _post(api, f"bearer {token}").status_code == 200  # the scheme is case-insensitive
    for header in (None, "", "Bearer", f"Basic {token}", f"Token {token}", "Bearer x" + token):
        response = _post(api, header)
        assert response.status_code == 401, header
        assert response.mimetype == "application/problem+json"
        assert response.headers["WWW-Authenticate"] == 'Bearer realm="nutera"'
    assert _reads(app) == 2  # refused calls read nothing and leave no read row


def test_a_revoked_token_or_client_is_refused_on_its_next_status_check(app, api):  # noqa: F811
    first, second = (api.login([ApiScope.STATUS_READ.value]) for _ in range(2))
    assert _post(api, f"Bearer {first}").status_code == 200
    with app.app_context():
        db.session.execute(
            sa.update(ApiToken)
            .where(ApiToken.token_hash == token_digest(first))
            .values(revoked=True)
        )
        db.session.commit()
    assert _post(api, f"Bearer {first}").status_code == 401
    assert _post(api, f"Bearer {second}").status_code == 200
    with app.app_context():
        client = db.session.scalar(sa.select(ApiClient).order_by(ApiClient.id.desc()))
        revoke_client(db.session, client)
        db.session.commit()
    assert _post(api, f"Bearer {second}").status_code == 401


def test_a_token_without_the_scope_is_refused_before_its_body_is_read(api):  # noqa: F811
    token = api.login([ApiScope.PROGRAMS_READ.value])
    response = api.http.post(CHECK, data="not json", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403
