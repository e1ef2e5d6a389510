"""Two-step sign-in with an authenticator app (TOTP, RFC 6238) and one-time recovery codes."""

import base64
import hashlib
import io
import secrets
import time
from datetime import UTC, datetime

import pyotp
import qrcode
import qrcode.image.svg
import sqlalchemy as sa
from sqlalchemy.orm import Session

from nutera.models import ROLES, RecoveryCode, Setting, User

ISSUER = "Nutera"
RECOVERY_CODE_COUNT = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i look-alikes
REQUIRED_ROLES_KEY = "2fa_required_roles"


class TwoFactorError(ValueError):
    """A two-step request that cannot be carried out; the message is Indonesian."""


def pending_secret(user: User) -> str:
    """The secret being enrolled (drawn once and kept until confirmed); the caller commits."""
    if user.has_2fa:
        raise TwoFactorError("Verifikasi dua langkah sudah aktif.")
    if not user.totp_secret:
        user.totp_secret = pyotp.random_base32()
    return user.totp_secret


def provisioning_uri(user: User) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    return pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.username, issuer_name=ISSUER)


def qr_data_uri(text: str) -> str:
    """An SVG QR code of text, as a data URI (no file, nothing cached)."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


def _clean_code(code: str | None) -> str:
    return "".join(ch for ch in (code or "") if ch.isdigit())


def check_totp(user: User, code: str | None, now: float | None = None) -> bool:
    """Whether code is the user's current TOTP (one step either side); each works once."""
    digits = _clean_code(code)
    if not user.totp_secret or len(digits) != 6:
        return False
    totp = pyotp.TOTP(user.totp_secret)
    now = time.time() if now is None else now
    step_now = int(now // totp.interval)
    for step in (step_now - 1, step_now, step_now + 1):
        if step <= (user.totp_last_step or -1):
            continue  # used already: a code seen over a shoulder cannot be replayed
        if secrets.compare_digest(totp.at(step * totp.interval), digits):
            user.totp_last_step = step
            return True
    return False


def _hash_recovery(code: str) -> str:
    # The codes are random (50 bits), so one fast hash suffices and lookups stay indexed.
    normalised = "".join(ch for ch in code.lower() if ch.isalnum())
    return hashlib.sha256(normalised.encode()).hexdigest()


def _new_recovery_codes(session: Session, user: User) -> list[str]:
    session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    session.add_all(RecoveryCode(user_id=user.id, code_hash=_hash_recovery(c)) for c in codes)
    return codes


def confirm(session: Session, user: User, code: str | None) -> list[str]:
    """Turn two-step sign-in on once the app shows the right code; the new recovery codes."""
    if user.has_2fa or not user.totp_secret:
        raise TwoFactorError("Mulai pendaftaran verifikasi dua langkah dari awal.")
    if not check_totp(user, code):
        raise TwoFactorError("Kode tidak cocok. Periksa jam ponsel lalu masukkan kode terbaru.")
    user.totp_enabled_at = datetime.now(UTC)
    codes = _new_recovery_codes(session, user)
    session.flush()
    return codes


def regenerate_recovery_codes(session: Session, user: User) -> list[str]:
    """Replace the user's recovery codes (the old ones stop working)."""
    if not user.has_2fa:
        raise TwoFactorError("Verifikasi dua langkah belum aktif.")
    codes = _new_recovery_codes(session, user)
    session.flush()
    return codes


def use_recovery_code(session: Session, user: User, code: str | None) -> bool:
    """Spend one unused recovery code of user; whether it was one."""
    if not code or len(code) > 40:
        return False
    used = session.execute(
        sa.update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _hash_recovery(code),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=datetime.now(UTC))
    )
    return used.rowcount == 1


def unused_recovery_codes(session: Session, user: User) -> int:
    """How many recovery codes the user still has."""
    return session.scalar(
        sa.select(sa.func.count())
        .select_from(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    )


def remove(session: Session, user: User) -> None:
    """Turn two-step sign-in off for user (the secret and recovery codes are dropped)."""
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    session.flush()


def required_roles(session: Session) -> set[str]:
    """Roles that must use two-step sign-in (a deployment-wide setting)."""
    value = session.scalar(
        sa.select(Setting.value).where(
            Setting.kelurahan_id.is_(None), Setting.key == REQUIRED_ROLES_KEY
        )
    )
    return {role for role in (value or "").split(",") if role in ROLES}


def set_required_roles(session: Session, roles: set[str]) -> None:
    """Choose the roles that must use two-step sign-in."""
    unknown = roles - set(ROLES)
    if unknown:
        raise TwoFactorError("Peran tidak dikenal.")
    setting = session.scalar(
        sa.select(Setting).where(Setting.kelurahan_id.is_(None), Setting.key == REQUIRED_ROLES_KEY)
    )
    if setting is None:
        setting = Setting(kelurahan_id=None, key=REQUIRED_ROLES_KEY, value="")
        session.add(setting)
    setting.value = ",".join(sorted(roles))
    session.flush()
