"""The API reference page: the OpenAPI document rendered by the vendored Redoc."""

from flask import Blueprint, render_template

bp = Blueprint("api_docs", __name__, url_prefix="/api/v1")

# Redoc styles itself with generated <style> elements and parses the document in a worker.
DOCS_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; worker-src 'self' blob:; font-src 'self' data:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)


@bp.get("/docs")
def docs():
    """Human-readable reference of /api/v1/openapi.json."""
    response = render_template("api/docs.html")
    return response, 200, {"Content-Security-Policy": DOCS_CSP}
