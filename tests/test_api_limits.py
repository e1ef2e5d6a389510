"""Limits around the API that no client's own limit covers: operator defaults and the token
endpoint."""

import base64


def test_operator_default_limits_still_cover_the_public_api_and_token_probes(make_app, world):
    """/cek and the API resources skip Flask-Limiter's hook only while no default or
    application-wide limit is configured; with one, it applies to them as to any route."""
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_DEFAULT="3 per minute")
    http = app.test_client()
    assert [http.get("/api/v1/programs").status_code for _ in range(4)] == [200, 200, 200, 429]
    probes = [
        http.get("/api/v1/persons", headers={"Authorization": f"Bearer guess{i}"}).status_code
        for i in range(4)
    ]
    assert probes == [401, 401, 401, 429]


def test_wrong_client_secrets_are_tried_a_limited_number_of_times(make_app, world):
    app = make_app(RATELIMIT_ENABLED=True, API_TOKEN_RATE_LIMIT="3 per minute")
    http = app.test_client()
    codes = []
    for attempt in range(4):
        basic = base64.b64encode(f"klien:tebakan{attempt}".encode()).decode()
        codes.append(
            http.post(
                "/api/v1/oauth/token",
                data={"grant_type": "client_credentials"},
                headers={"Authorization": f"Basic {basic}"},
            ).status_code
        )
    assert codes == [401, 401, 401, 429]
