"""Machine-client authentication: OAuth2 client credentials in, scoped bearer tokens checked.

Authlib issues the tokens (the client-credentials grant). A call's bearer token is checked
here with one indexed query that brings the token, its client and the client's kelurahan,
and the same checks, in the same order, as Authlib's BearerTokenValidator (missing or
unsupported header, unknown token, expired, revoked, insufficient scope), then the
IP allow-list and the per-client rate limit. Nothing is cached between calls: a revoked or
expired client is refused on its very next call.
"""

import ipaddress
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache, wraps
from typing import Any

import sqlalchemy as sa
from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import grants
from flask import Blueprint, Flask, current_app, g, request
from flask_smorest import abort
from limits import RateLimitItem, parse_many
from limits.storage import RedisStorage
from limits.strategies import FixedWindowRateLimiter

from nutera import hotredis, hotsql, redis_fallback
from nutera.extensions import csrf, db, limiter
from nutera.models.api import (
    SCOPE_LABELS,
    ApiClient,
    ApiScope,
    ApiToken,
    api_client_kelurahan,
    token_digest,
)
from nutera.timeutil import as_utc, utcnow

__all__ = ["SCOPE_LABELS", "ApiScope", "client_required", "current_client"]

token_bp = Blueprint("api_token", __name__, url_prefix="/api/v1/oauth")


class _ClientCredentials(grants.ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]


@dataclass(frozen=True)
class CallingClient:
    """The client behind a call's token: what the views and the audit row need of it."""

    id: int
    client_id: str
    name: str
    scope_set: frozenset[str]
    kelurahan_ids: list[int] | None  # None: every kelurahan (whole city)
    allowed_ips: list[str]


_token, _client = ApiToken.__table__, ApiClient.__table__
# One round trip for the token, its client and the client's kelurahan (one row each, or one
# row with NULL for a whole-city client), by the unique index on the token's digest.
_TOKEN_LOOKUP = (
    sa.select(
        _token.c.scope,
        _token.c.expires_at,
        _token.c.revoked,
        _client.c.id,
        _client.c.client_id,
        _client.c.name,
        _client.c.scopes,
        _client.c.whole_city,
        _client.c.ip_allowlist,
        _client.c.expires_at,
        _client.c.revoked_at,
        api_client_kelurahan.c.kelurahan_id,
    )
    .select_from(
        _token.join(_client, _client.c.id == _token.c.client_pk).outerjoin(
            api_client_kelurahan,
            sa.and_(
                api_client_kelurahan.c.client_id == _client.c.id,
                _client.c.whole_city == sa.false(),
            ),
        )
    )
    .where(_token.c.token_hash == sa.bindparam("digest"))
    .order_by(api_client_kelurahan.c.kelurahan_id)
)


class _Refused(Exception):
    """A bearer token that does not authorise this call; error is the OAuth2 error code."""

    def __init__(self, error: str):
        super().__init__(error)
        self.error = error


def _bearer_token() -> str:
    """The token of the Authorization header, parsed as Authlib's ResourceProtector does."""
    header = request.headers.get("Authorization")
    if not header:
        raise _Refused("missing_authorization")
    parts = header.split(None, 1)
    if len(parts) != 2 or parts[0].lower() != "bearer":
        raise _Refused("unsupported_token_type")
    return parts[1]


def _scope_insufficient(token_scope: str, scope: ApiScope) -> bool:
    # Authlib's scope_insufficient for one required scope.
    granted = set((token_scope or "").split())
    return not granted or not granted.issuperset(scope.value.split())


def _client_for_token(connection: sa.Connection, token: str, scope: ApiScope) -> CallingClient:
    """The token's client if the token is known, unexpired, unrevoked and carries scope."""
    rows = hotsql.rows(connection, _TOKEN_LOOKUP, {"digest": token_digest(token)})
    if not rows:
        raise _Refused("invalid_token")
    (token_scope, expires_at, revoked, pk, client_id, name, scopes, whole_city, ips,
     client_expires_at, client_revoked_at, _) = rows[0]  # fmt: skip
    now = utcnow()
    if as_utc(expires_at) <= now:  # ApiToken.is_expired
        raise _Refused("invalid_token")
    if revoked or client_revoked_at is not None:  # ApiToken.is_revoked, ApiClient.is_usable
        raise _Refused("invalid_token")
    if client_expires_at is not None and as_utc(client_expires_at) <= now:
        raise _Refused("invalid_token")
    if _scope_insufficient(token_scope, scope):
        raise _Refused("insufficient_scope")
    return CallingClient(
        id=pk,
        client_id=client_id,
        name=name,
        scope_set=frozenset(scopes.split()),
        kelurahan_ids=None if whole_city else [row[-1] for row in rows if row[-1] is not None],
        allowed_ips=[ip for ip in (ips or "").replace(",", " ").split() if ip],
    )


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
@limiter.limit(lambda: current_app.config["API_TOKEN_RATE_LIMIT"])
def issue_token():
    """OAuth2 token endpoint (client credentials grant)."""
    return current_app.extensions["nutera_oauth"].create_token_response()


def ip_allowed(client: ApiClient | CallingClient, address: str | None) -> bool:
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


def _authenticate(scope: ApiScope, connection: sa.Connection) -> CallingClient:
    try:
        client = _client_for_token(connection, _bearer_token(), scope)
    except _Refused as refused:
        status, detail = _OAUTH_PROBLEMS.get(refused.error, (401, "Token tidak berlaku."))
        abort(status, message=detail, headers={"WWW-Authenticate": 'Bearer realm="nutera"'})
    if not ip_allowed(client, request.remote_addr):
        abort(403, message="Alamat IP ini tidak diizinkan untuk klien API tersebut.")
    _count_call(client)
    return client


@lru_cache(maxsize=8)
def _limits(text: str) -> list:
    return parse_many(text)


_LIMIT_SCOPE = "api-client"


def _count_call(client: CallingClient) -> None:
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return
    for item in _limits(current_app.config["API_RATE_LIMIT"]):
        if not _hit(item, client.client_id):
            abort(429, message="Batas panggilan API untuk klien ini terlampaui; coba lagi nanti.")


# Redis unreachable: the per-client limits count in this process for a while, as the
# lookup's guard and Flask-Limiter's own fallback do, instead of failing the call.
_fallback = redis_fallback.CounterFallback("API client limit", logging.getLogger(__name__))


def _hit(item: RateLimitItem, client_id: str) -> bool:
    strategy = limiter.limiter
    if not _fallback.active(strategy.storage):
        try:
            return _hit_shared(strategy, item, client_id)
        except redis_fallback.UNREACHABLE as error:
            _fallback.went_down(error)
    return _fallback.strategy.hit(item, _LIMIT_SCOPE, client_id)


def _hit_shared(strategy, item: RateLimitItem, client_id: str) -> bool:
    """limiter.limiter.hit(item, "api-client", client_id), on Redis without redis-py's
    per-command overhead (~0.1 ms of CPU): the same script, key and expiry as limits'
    FixedWindowRateLimiter.hit on RedisStorage (incr_expire.lua), sent as one EVALSHA on a
    connection this thread keeps (nutera/hotredis.py)."""
    storage = strategy.storage
    if type(strategy) is not FixedWindowRateLimiter or type(storage) is not RedisStorage:
        return strategy.hit(item, _LIMIT_SCOPE, client_id)
    key = storage.prefixed_key(item.key_for(_LIMIT_SCOPE, client_id))
    held = hotredis.held_connections(storage, storage.get_connection())
    return int(held.evalsha(storage.lua_incr_expire, [key], [item.get_expiry(), 1])) <= item.amount


def client_required(scope: ApiScope, keep_connection: bool = False) -> Callable:
    """Let the view run only for a valid token carrying scope; the client is in g.

    With keep_connection the connection that checked the token stays open for the view as
    api_connection() (a status check reads and writes its audit row on it: one pool
    checkout per call); otherwise it goes back to the pool before the view runs."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with db.engine.connect() as connection:
                g.api_client = _authenticate(scope, connection)
                if keep_connection:
                    g.api_connection = connection
                    try:
                        return view(*args, **kwargs)
                    finally:
                        g.api_connection = None
            return view(*args, **kwargs)

        return wrapper

    return decorator


def optional_client(scope: ApiScope) -> CallingClient | None:
    """The calling client when a bearer token is sent (checked as usual), else None."""
    if "Authorization" not in request.headers:
        return None
    with db.engine.connect() as connection:
        g.api_client = _authenticate(scope, connection)
    return g.api_client


def current_client() -> CallingClient:
    """The client of this API call (set by client_required)."""
    return g.api_client


def api_connection() -> sa.Connection:
    """The connection that checked this call's token (within a client_required view)."""
    return g.api_connection


def require_purpose() -> str:
    """The stated purpose of a personal-data read (X-Purpose), required by law's spirit."""
    purpose = (request.headers.get("X-Purpose") or "").strip()
    if len(purpose) < 3:
        abort(400, message="Header X-Purpose wajib diisi: tujuan pengambilan data pribadi ini.")
    return purpose[:200]
