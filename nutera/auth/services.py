"""Account operations that need no request."""

import secrets
from functools import cache

import sqlalchemy as sa
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from nutera.models import ROLES, Kelurahan, Rt, User
from nutera.timeutil import utcnow


class AccountError(ValueError):
    """An account request that cannot be carried out; the message is Indonesian."""

    def __init__(self, message: str, field: str = "username"):
        super().__init__(message)
        self.field = field  # the form field the message belongs next to


@cache
def _decoy_hash() -> str:
    """A hash checked when the username is unknown, so both answers take as long."""
    return generate_password_hash(secrets.token_hex(16))


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user with these credentials, or None."""
    user = session.scalar(sa.select(User).where(User.username == username.strip().lower()))
    if user is None:
        check_password_hash(_decoy_hash(), password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    user.last_login_at = utcnow()
    return user


def create_user(
    session: Session,
    *,
    username: str,
    full_name: str,
    password: str,
    role: str,
    kelurahan: Kelurahan | None,
) -> User:
    """Add a new account; admins belong to no kelurahan, everyone else to one."""
    username = username.strip().lower()
    if role not in ROLES:
        raise AccountError(f"Peran '{role}' tidak dikenal.", "role")
    if role != "admin" and kelurahan is None:
        raise AccountError(
            "Petugas dan relawan harus terdaftar pada satu kelurahan.", "kelurahan_id"
        )
    if len(password) < 10:
        raise AccountError("Kata sandi minimal 10 karakter.", "password")
    if session.scalar(sa.select(User.id).where(User.username == username)) is not None:
        raise AccountError(f"Nama pengguna '{username}' sudah dipakai.")
    user = User(
        username=username,
        full_name=full_name.strip(),
        role=role,
        kelurahan_id=None if role == "admin" else kelurahan.id,
    )
    user.set_password(password)
    session.add(user)
    session.flush()
    return user


def assign_rts(session: Session, volunteer: User, rt_ids: list[int]) -> None:
    """Replace the RTs assigned to a volunteer; every RT must be in their kelurahan."""
    if not volunteer.is_volunteer:
        raise AccountError("Hanya relawan yang dapat ditugaskan ke RT/RW.", "rt_ids")
    rts = list(session.scalars(sa.select(Rt).where(Rt.id.in_(rt_ids))))
    if len(rts) != len(set(rt_ids)) or any(
        rt.kelurahan_id != volunteer.kelurahan_id for rt in rts
    ):
        raise AccountError("RT yang dipilih tidak berada di kelurahan relawan ini.", "rt_ids")
    volunteer.assigned_rts = rts
    session.flush()
