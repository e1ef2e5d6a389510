"""Security headers on every response: one after_request hook, no per-view copies.

The policy allows nothing inline: scripts and styles come from static/ only (a page's data
for its script sits in a non-executed ``<script type="application/json">`` block or in data-*
attributes). Images may be data: or blob: URLs, which the camera preview, the signature pad
and the QR scanner make in the browser.
"""

from flask import Flask, Response, current_app, request

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "media-src 'self' blob:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
PERMISSIONS_POLICY = "camera=(self), geolocation=(self), microphone=(), payment=(), usb=()"
HSTS = "max-age=31536000; includeSubDomains"
# Pages whose URL is itself the key to a record: the address must not leave in a Referer.
NO_REFERRER_ENDPOINTS = frozenset({"complaints.status", "complaints.lookup"})


def _holds_personal_data() -> bool:
    """Everything but static files: pages of signed-in users, the public NIK and complaint
    pages, photos, PDFs and exports carry personal data or a per-visitor CSRF token."""
    return request.endpoint != "static"


def set_security_headers(response: Response) -> Response:
    """Add the policy headers to a response (after_request)."""
    headers = response.headers
    # setdefault: a view may set its own, stricter or justified policy.
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    headers["Permissions-Policy"] = PERMISSIONS_POLICY
    if request.endpoint in NO_REFERRER_ENDPOINTS:
        headers["Referrer-Policy"] = "no-referrer"
    else:
        headers.setdefault("Referrer-Policy", "same-origin")
    if _holds_personal_data():
        if "no-store" not in headers.get("Cache-Control", ""):
            headers["Cache-Control"] = "no-store"
        headers.pop("Expires", None)
    if current_app.config.get("SESSION_COOKIE_SECURE"):
        headers["Strict-Transport-Security"] = HSTS
    return response


def init_app(app: Flask) -> None:
    """Register the hook."""
    app.after_request(set_security_headers)
