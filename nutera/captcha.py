"""A captcha made on this server (no third-party service), for public forms under abuse.

The answer never leaves the server in readable form: the session (a signed, not encrypted,
cookie) holds only an HMAC of it, keyed by SECRET_KEY, with an expiry; each challenge can
be answered once.
"""

import base64
import hashlib
import hmac
import secrets
import time

from captcha.image import ImageCaptcha
from flask import current_app, session

ALPHABET = "ACDEFHJKLMNPRTUVWXY34679"  # no 0/O, 1/I/L, 2/Z, 5/S, 8/B look-alikes
LENGTH = 5
LIFETIME_SECONDS = 600
_SESSION_KEY = "captcha"


def _digest(purpose: str, nonce: str, answer: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    message = f"{purpose}|{nonce}|{answer.strip().upper()}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def new_challenge(purpose: str) -> str:
    """Create a challenge for purpose (e.g. 'cek', 'pengaduan'); returns a PNG data URI."""
    answer = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    nonce = secrets.token_hex(8)
    challenges = session.get(_SESSION_KEY, {})
    challenges[purpose] = {
        "n": nonce,
        "h": _digest(purpose, nonce, answer),
        "exp": int(time.time()) + LIFETIME_SECONDS,
    }
    session[_SESSION_KEY] = challenges
    png = ImageCaptcha(width=200, height=70).generate(answer).getvalue()
    if current_app.config.get("TESTING"):
        # Tests read the answer from here; never set outside TESTING.
        current_app.config["LAST_CAPTCHA_ANSWER"] = answer
    return "data:image/png;base64," + base64.b64encode(png).decode()


def check_answer(purpose: str, answer: str | None) -> bool:
    """Whether answer solves the pending challenge for purpose; the challenge is used up."""
    challenges = session.get(_SESSION_KEY, {})
    pending = challenges.pop(purpose, None)
    session[_SESSION_KEY] = challenges
    if not pending or not answer or pending["exp"] < time.time():
        return False
    return hmac.compare_digest(pending["h"], _digest(purpose, pending["n"], answer))


def has_challenge(purpose: str) -> bool:
    """Whether a challenge for purpose is pending in this session."""
    return purpose in session.get(_SESSION_KEY, {})
