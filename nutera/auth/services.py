"""Account operations that need no request."""
import secrets
from datetime import datetime, timezone

import sqlalchemy as sa
from sqlalchemy.orm import Session

from nutera.models import ROLES, Kelurahan, Rt, User

# A hash to compare against when the username is unknown, so both paths cost the same.
_DUMMY_HASH = None


class AccountError(ValueError):
    """An account request that cannot be carried out; the message is Indonesian."""


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user with these credentials, or None."""
    global _DUMMY_HASH
    user = session.scalar(sa.select(User).where(User.username == username.strip().lower()))
    if user is None:
        if _DUMMY_HASH is None:
            _DUMMY_HASH = User(password_hash="")
            _DUMMY_HASH.set_password(secrets.token_hex(8))
        _DUMMY_HASH.check_password(password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    user.last_login_at = datetime.now(timezone.utc)
    return user


def create_user(
    session: Session, *, username: str, full_name: str, password: str, role: str,
    kelurahan: Kelurahan | None,
) -> User:
    """Add a new account; admins belong to no kelurahan, everyone else to one."""
    username = username.strip().lower()
    if role not in ROLES:
        raise AccountError(f"Peran '{role}' tidak dikenal.")
    if role != "admin" and kelurahan is None:
        raise AccountError("Petugas dan relawan harus terdaftar pada satu kelurahan.")
    if len(password) < 10:
        raise AccountError("Kata sandi minimal 10 karakter.")
    if session.scalar(sa.select(User.id).where(User.username == username)) is not None:
        raise AccountError(f"Nama pengguna '{username}' sudah dipakai.")
    user = User(username=username, full_name=full_name.strip(), role=role,
                kelurahan_id=None if role == "admin" else kelurahan.id)
    user.set_password(password)
    session.add(user)
    session.flush()
    return user


def assign_rts(session: Session, volunteer: User, rt_ids: list[int]) -> None:
    """Replace the RTs assigned to a volunteer; every RT must be in their kelurahan."""
    if not volunteer.is_volunteer:
        raise AccountError("Hanya relawan yang dapat ditugaskan ke RT/RW.")
    rts = list(session.scalars(sa.select(Rt).where(Rt.id.in_(rt_ids))))
    if len(rts) != len(set(rt_ids)) or any(rt.kelurahan_id != volunteer.kelurahan_id for rt in rts):
        raise AccountError("RT yang dipilih tidak berada di kelurahan relawan ini.")
    volunteer.assigned_rts = rts
    session.flush()
