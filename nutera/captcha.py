"""A captcha made on this server (no third-party service), for public forms under abuse.

The challenge lives on the server (nutera.serverstore: Redis where the limiter uses Redis,
else the database), under a random id that only this session's cookie holds, for one form
(purpose). The first answer, right or wrong, takes it out of the store, so a solved captcha
replayed with the same cookie finds nothing. The store keeps only an HMAC of the answer.
"""

import base64
import hashlib
import hmac
import logging
import secrets

from captcha.image import ImageCaptcha
from flask import Blueprint, abort, current_app, jsonify, session

from nutera import redis_fallback, security
from nutera.extensions import limiter
from nutera.serverstore import StoreUnavailable, store

ALPHABET = "ACDEFHJKLMNPRTUVWXY34679"  # no 0/O, 1/I/L, 2/Z, 5/S, 8/B look-alikes
LENGTH = 5
LIFETIME_SECONDS = 600
PURPOSES = ("cek", "pengaduan")
_SESSION_KEY = "captcha"
UNAVAILABLE_MESSAGE = (
    "Kode pengaman sedang tidak dapat diperiksa karena gangguan di server kami. "
    "Isian Anda tetap tersimpan di bawah; coba kirim lagi beberapa menit lagi."
)

log = logging.getLogger(__name__)
bp = Blueprint("captcha", __name__)


class CaptchaUnavailable(RuntimeError):
    """The challenge store cannot be reached: the answer can be neither checked nor refused."""


def _digest(purpose: str, challenge_id: str, answer: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    message = f"{purpose}|{challenge_id}|{answer.strip().upper()}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def _store_key(purpose: str, challenge_id: str) -> str:
    return f"captcha/{purpose}/{challenge_id}"


def new_challenge(purpose: str) -> str | None:
    """Draw a challenge for purpose; a PNG data URI, or None when the store is unreachable."""
    answer = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    challenge_id = secrets.token_urlsafe(18)
    challenges = dict(session.get(_SESSION_KEY, {}))
    previous = challenges.pop(purpose, None)
    try:
        if previous:  # one pending challenge per form: the earlier picture stops working
            store().delete(_store_key(purpose, previous))
        store().put(
            _store_key(purpose, challenge_id),
            _digest(purpose, challenge_id, answer),
            LIFETIME_SECONDS,
        )
    except StoreUnavailable:
        redis_fallback.warn(log, "captcha store unreachable")
        session[_SESSION_KEY] = challenges
        return None
    challenges[purpose] = challenge_id
    session[_SESSION_KEY] = challenges
    png = ImageCaptcha(width=200, height=70).generate(answer).getvalue()
    if current_app.config.get("TESTING"):
        # Tests read the answer from here; never set outside TESTING.
        current_app.config["LAST_CAPTCHA_ANSWER"] = answer
    return "data:image/png;base64," + base64.b64encode(png).decode()


def check_answer(purpose: str, answer: str | None) -> bool:
    """Whether answer solves this session's challenge for purpose; it is used up either way.

    Raises CaptchaUnavailable when the store cannot be reached."""
    challenges = dict(session.get(_SESSION_KEY, {}))
    challenge_id = challenges.pop(purpose, None)
    session[_SESSION_KEY] = challenges
    stored = None
    if challenge_id:
        try:
            stored = store().take(_store_key(purpose, challenge_id))
        except StoreUnavailable as error:
            redis_fallback.warn(log, "captcha store unreachable")
            raise CaptchaUnavailable(str(error)) from error
    solved = bool(
        stored and answer and hmac.compare_digest(stored, _digest(purpose, challenge_id, answer))
    )
    if not solved:
        security.record(
            security.Event.CAPTCHA_FAILED,
            details={"form": purpose, "reason": "jawaban salah" if stored else "tidak berlaku"},
        )
    return solved


def has_challenge(purpose: str) -> bool:
    """Whether a challenge for purpose is pending in this session."""
    return purpose in session.get(_SESSION_KEY, {})


@bp.route("/kode-pengaman/<purpose>/baru", methods=["POST"])
@limiter.limit("30 per minute")
def redraw(purpose: str):
    """Gambar lain: a new picture for the form's pending challenge (the old one stops working)."""
    if purpose not in PURPOSES or not has_challenge(purpose):
        abort(404)
    image = new_challenge(purpose)
    if image is None:
        response = jsonify({"error": UNAVAILABLE_MESSAGE})
        response.status_code = 503
    else:
        response = jsonify({"image": image})
    response.headers["Cache-Control"] = "no-store"
    return response
