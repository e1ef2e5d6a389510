"""Machine-client authentication: OAuth2 client credentials in, scoped bearer tokens checked.

Authlib issues the tokens and parses the bearer header; what a token may reach (scopes,
kelurahan, IP allow-list, expiry, revocation, rate limit) is decided here, once per call.
"""

import ipaddress
from collections.abc import Callable
from datetime import timedelta
from functools import lru_cache, wraps
from typing import Any

import sqlalchemy as sa
from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector
from authlib.integrations.flask_oauth2.requests import FlaskJsonRequest
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc6750 import BearerTokenValidator
from flask import Blueprint, Flask, current_app, g, request
from flask_smorest import abort
from limits import parse_many
from sqlalchemy.orm import joinedload

from nutera.extensions import csrf, db, limiter
from nutera.models.api import SCOPE_LABELS, ApiClient, ApiScope, ApiToken, token_digest
from nutera.timeutil import utcnow

__all__ = ["SCOPE_LABELS", "ApiScope", "client_required", "current_client"]

token_bp = Blueprint("api_token", __name__, url_prefix="/api/v1/oauth")


class _ClientCredentials(grants.ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]


class _Tokens(BearerTokenValidator):
    def authenticate_token(self, token_string: str) -> ApiToken | None:
        # One round trip: every call needs the client right after.
        return db.session.scalar(
            sa.select(ApiToken)
            .options(joinedload(ApiToken.client))
            .where(ApiToken.token_hash == token_digest(token_string))
        )


_protector = ResourceProtector()
_protector.register_token_validator(_Tokens())


def _query_client(client_id: str) -> ApiClient | None:
    client = db.session.scalar(sa.select(ApiClient).where(ApiClient.client_id == client_id))
    if client is None or not client.is_usable() or not ip_allowed(client, request.remote_addr):
        return None  # answered as invalid_client: a revoked client learns nothing more
    return client


def _save_token(token: dict[str, Any], oauth_request: Any) -> None:
    db.session.add(
        ApiToken(
            client_pk=oauth_request.client.id,
            token_hash=token_digest(token["access_token"]),
            scope=token.get("scope", ""),
            expires_at=utcnow() + timedelta(seconds=int(token["expires_in"])),
        )
    )
    db.session.commit()


def init_app(app: Flask) -> None:
    """Bind the token endpoint to app."""
    app.config.setdefault(
        "OAUTH2_TOKEN_EXPIRES_IN", {"client_credentials": int(app.config["API_TOKEN_LIFETIME"])}
    )
    server = AuthorizationServer(app, query_client=_query_client, save_token=_save_token)
    server.register_grant(_ClientCredentials)
    app.extensions["nutera_oauth"] = server
    csrf.exempt(token_bp)
    app.register_blueprint(token_bp)


@token_bp.post("/token")
def issue_token():
    """OAuth2 token endpoint (client credentials grant)."""
    return current_app.extensions["nutera_oauth"].create_token_response()


def ip_allowed(client: ApiClient, address: str | None) -> bool:
    """Whether address is in the client's allow-list (an empty list allows any address)."""
    allowed = client.allowed_ips
    if not allowed:
        return True
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    for entry in allowed:
        try:
            if ip in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


_OAUTH_PROBLEMS = {
    "missing_authorization": (401, "Token akses diperlukan (Authorization: Bearer ...)."),
    "unsupported_token_type": (401, "Jenis token tidak didukung; gunakan Bearer."),
    "invalid_token": (401, "Token tidak berlaku, kedaluwarsa, atau klien sudah dicabut."),
    "insufficient_scope": (403, "Token ini tidak memiliki cakupan (scope) yang diperlukan."),
}


def _authenticate(scope: ApiScope) -> ApiClient:
    try:
        token = _protector.validate_request(
            scopes=[scope.value], request=FlaskJsonRequest(request)
        )
    except OAuth2Error as error:
        status, detail = _OAUTH_PROBLEMS.get(error.error, (401, "Token tidak berlaku."))
        abort(status, message=detail, headers={"WWW-Authenticate": 'Bearer realm="nutera"'})
    client = token.client
    if not ip_allowed(client, request.remote_addr):
        abort(403, message="Alamat IP ini tidak diizinkan untuk klien API tersebut.")
    _count_call(client)
    return client


@lru_cache(maxsize=8)
def _limits(text: str) -> list:
    return parse_many(text)


def _count_call(client: ApiClient) -> None:
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return
    for item in _limits(current_app.config["API_RATE_LIMIT"]):
        if not limiter.limiter.hit(item, "api-client", client.client_id):
            abort(429, message="Batas panggilan API untuk klien ini terlampaui; coba lagi nanti.")


def client_required(scope: ApiScope) -> Callable:
    """Let the view run only for a valid token carrying scope; the client is in g."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            g.api_client = _authenticate(scope)
            return view(*args, **kwargs)

        return wrapper

    return decorator


def optional_client(scope: ApiScope) -> ApiClient | None:
    """The calling client when a bearer token is sent (checked as usual), else None."""
    if "Authorization" not in request.headers:
        return None
    g.api_client = _authenticate(scope)
    return g.api_client


def current_client() -> ApiClient:
    """The client of this API call (set by client_required)."""
    return g.api_client


def require_purpose() -> str:
    """The stated purpose of a personal-data read (X-Purpose), required by law's spirit."""
    purpose = (request.headers.get("X-Purpose") or "").strip()
    if len(purpose) < 3:
        abort(400, message="Header X-Purpose wajib diisi: tujuan pengambilan data pribadi ini.")
    return purpose[:200]
