"""The integration API (/api/v1): versioned JSON for city super-apps and the social office.

Views live in one module per resource and call the same services and queries the pages use.
Machine clients authenticate with OAuth2 client credentials (Authlib); the OpenAPI document
comes from flask-smorest.
"""

from collections.abc import Callable
from functools import cache

from flask import Flask
from flask_smorest import Api as SmorestApi

PREFIX = "/api/v1"

DEFAULTS = {
    "API_TITLE": "Nutera API",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": PREFIX,
    "OPENAPI_JSON_PATH": "openapi.json",
    "API_TOKEN_LIFETIME": 900,  # seconds: tokens are short-lived, clients ask again
    "API_RATE_LIMIT": "600 per minute",
    # Per address: a wrong client secret is tried at most this often (secrets are long and
    # random; the limit keeps the token endpoint from being a free oracle or a load lever).
    "API_TOKEN_RATE_LIMIT": "60 per minute",
    "API_BATCH_MAX": 100,
    "API_PAGE_MAX": 500,
}


class Api(SmorestApi):
    """flask-smorest without its app-wide error handler: nutera.errors answers problem+json
    under /api and Indonesian pages elsewhere; errors are documented as such."""

    def _register_error_handlers(self) -> None:
        """Leave error handling to nutera.errors."""

    def _register_responses(self) -> None:
        """Every error response is an RFC 9457 problem document."""
        from nutera.api.schemas import Problem

        self.ERROR_SCHEMA = Problem
        default_type = self.DEFAULT_RESPONSE_CONTENT_TYPE
        self.DEFAULT_RESPONSE_CONTENT_TYPE = "application/problem+json"
        try:
            super()._register_responses()
        finally:
            self.DEFAULT_RESPONSE_CONTENT_TYPE = default_type


def init_app(app: Flask) -> None:
    """Mount every API resource, the token endpoint and the OpenAPI document."""
    from nutera.api import auth, docs, pages, resources
    from nutera.api.cli import api_cli
    from nutera.extensions import csrf

    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)
    app.config.setdefault(
        "API_SPEC_OPTIONS",
        {
            "info": {
                "description": "Data bansos tervalidasi untuk aplikasi kota dan Dinas Sosial. "
                "Token: OAuth2 client credentials di /api/v1/oauth/token.",
            },
            "components": {
                "securitySchemes": {
                    "oauth2": {
                        "type": "oauth2",
                        "flows": {
                            "clientCredentials": {
                                "tokenUrl": f"{PREFIX}/oauth/token",
                                "scopes": {
                                    s.value: label for s, label in auth.SCOPE_LABELS.items()
                                },
                            }
                        },
                    }
                }
            },
        },
    )
    api = Api(app)
    app.extensions["nutera_api"] = api
    auth.init_app(app)
    app.register_blueprint(docs.bp)
    app.register_blueprint(pages.bp)
    app.cli.add_command(api_cli)
    for blueprint in resources.BLUEPRINTS:
        csrf.exempt(blueprint)
        api.register_blueprint(blueprint)
    from nutera.offline import SESSIONLESS

    app.extensions[SESSIONLESS] = machine_call_paths(
        app, {auth.token_bp.name, *resources.BLUEPRINT_NAMES}
    )


def machine_call_paths(app: Flask, blueprints: set[str]) -> Callable[[str], bool]:
    """Whether a path is a machine client's call: its first segment under /api/v1 holds only
    routes of those blueprints (a bearer token or client credentials, never a browser
    session: no session cookie is read or written for them). The docs pages and the OpenAPI
    document stay ordinary pages."""

    @cache
    def roots() -> frozenset[str]:  # read once the app's routes are all added
        owners: dict[str, set[bool]] = {}
        for rule in app.url_map.iter_rules():
            if rule.rule.startswith(PREFIX + "/"):
                root = rule.rule[len(PREFIX) + 1 :].split("/", 1)[0]
                machine = rule.endpoint.rsplit(".", 1)[0] in blueprints
                owners.setdefault(root, set()).add(machine)
        return frozenset(root for root, kinds in owners.items() if kinds == {True})

    start = len(PREFIX) + 1

    def is_machine_call(path: str) -> bool:
        return path.startswith(PREFIX + "/") and path[start:].split("/", 1)[0] in roots()

    return is_machine_call
