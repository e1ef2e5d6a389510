"""The service worker script with its precache list, and the web app manifest."""

import hashlib
import json
from pathlib import Path

from flask import Response, current_app, url_for

# Static files every field page needs offline (large libraries of staff pages stay out).
PRECACHE = (
    "vendor/bootstrap/bootstrap.min.css",
    "vendor/bootstrap/bootstrap.bundle.min.js",
    "css/nutera.css",
    "vendor/workbox/workbox-window.prod.umd.js",
    "vendor/signature_pad/signature_pad.umd.min.js",
    "vendor/jsqr/jsQR.js",
    "js/offline/store.js",
    "js/offline/sync.js",
    "js/offline/app.js",
    "js/offline/outbox-page.js",
    "js/offline/survey-offline.js",
    "js/offline/handover-offline.js",
    "js/survey-form.js",
    "js/survey-members.js",
    "js/photo-shrink.js",
    "js/distribution-queue.js",
    "js/distribution-capture.js",
    "js/distribution-progress.js",
    "js/distribution-scan.js",
    "js/confirm-submit.js",
    "icons/nutera-192.png",
    "icons/nutera-512.png",
)
MANIFEST_PLACEHOLDER = "self.__WB_MANIFEST"


def precache_manifest() -> list[dict[str, str]]:
    """[{url, revision}] of the precached files; a changed file gives a new worker version."""
    root = Path(current_app.static_folder)
    entries = []
    for name in PRECACHE:
        path = root / name
        if path.exists():
            revision = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
            entries.append({"url": url_for("static", filename=name), "revision": revision})
    return entries


def worker_response() -> Response:
    """/sw.js: the worker source with its precache list filled in, never cached by HTTP."""
    source = (Path(current_app.static_folder) / "js" / "offline" / "sw.js").read_text()
    body = source.replace(MANIFEST_PLACEHOLDER, json.dumps(precache_manifest()), 1)
    # A changed static file changes the list above; OFFLINE_APP_VERSION forces a new worker.
    version = current_app.config.get("OFFLINE_APP_VERSION", "1")
    body = f"/* Nutera field app, version {version} */\n{body}"
    response = Response(body, mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    return response


def manifest_response() -> Response:
    """The web app manifest: Indonesian name, icons, starting at the volunteer's tasks."""
    manifest = {
        "name": "Nutera — Survei dan Penyaluran Lapangan",
        "short_name": "Nutera",
        "description": "Survei rumah tangga dan serah terima bantuan, juga tanpa sinyal.",
        "lang": "id",
        "dir": "ltr",
        "start_url": url_for("surveys.assignments"),
        "scope": url_for("main.index"),
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#146c43",
        "icons": [
            {
                "src": url_for("static", filename=f"icons/nutera-{size}.png"),
                "sizes": f"{size}x{size}",
                "type": "image/png",
                "purpose": "any maskable",
            }
            for size in (192, 512)
        ],
    }
    response = Response(
        json.dumps(manifest, ensure_ascii=False), mimetype="application/manifest+json"
    )
    response.headers["Cache-Control"] = "no-cache"
    return response
