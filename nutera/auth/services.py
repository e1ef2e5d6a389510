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
    return user


def mark_signed_in(user: User) -> None:
    """Note a completed sign-in (shown in the account list)."""
    user.last_login_at = utcnow()


MIN_PASSWORD_LENGTH = 10


def check_new_password(password: str, confirmation: str | None = None) -> None:
    """Refuse a password that is too short or does not match its confirmation."""
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise AccountError(f"Kata sandi minimal {MIN_PASSWORD_LENGTH} karakter.", "new_password")
    if confirmation is not None and password != confirmation:
        raise AccountError("Ulangi kata sandi baru dengan persis sama.", "confirm_password")


def change_password(user: User, current: str, new: str, confirmation: str) -> None:
    """The user's own password change; every other session of theirs ends (caller commits)."""
    from nutera.auth.sessions import end_all

    if not user.check_password(current):
        raise AccountError("Kata sandi saat ini salah.", "current_password")
    check_new_password(new, confirmation)
    if new == current:
        raise AccountError("Kata sandi baru harus berbeda dari yang lama.", "new_password")
    user.set_password(new)
    user.must_change_password = False
    end_all(user)


def check_role_and_kelurahan(
    role: str, kelurahan: Kelurahan | None, kecamatan_code: str | None = None
) -> None:
    """Staff and volunteers belong to one kelurahan; admins and dinas to none, a kecamatan
    account to one kecamatan (never silently)."""
    if role not in ROLES:
        raise AccountError("Pilih peran akun ini.", "role")
    if role in ("dinas", "kecamatan") and kelurahan is not None:
        raise AccountError(
            "Akun Dinas dan Kecamatan tidak terikat pada satu kelurahan: kosongkan kelurahan.",
            "kelurahan_id",
        )
    if role == "kecamatan" and not (
        kecamatan_code and kecamatan_code.isdigit() and len(kecamatan_code) == 6
    ):
        raise AccountError("Pilih kecamatan untuk akun Kecamatan.", "kecamatan_code")
    if role != "kecamatan" and kecamatan_code:
        raise AccountError(
            "Kecamatan hanya diisi untuk peran Kecamatan: kosongkan pilihannya.", "kecamatan_code"
        )
    if role in ("dinas", "kecamatan"):
        return
    if role != "admin" and kelurahan is None:
        raise AccountError(
            "Petugas dan relawan harus terdaftar pada satu kelurahan.", "kelurahan_id"
        )
    if role == "admin" and kelurahan is not None:
        raise AccountError(
            "Admin berlaku untuk seluruh kota: kosongkan kelurahan, atau pilih peran "
            "Petugas kelurahan atau Relawan.",
            "kelurahan_id",
        )


def create_user(
    session: Session,
    *,
    username: str,
    full_name: str,
    password: str,
    role: str,
    kelurahan: Kelurahan | None,
    must_change_password: bool = False,
    kecamatan_code: str | None = None,
) -> User:
    """Add a new account; admins and dinas belong to no kelurahan, a kecamatan account to
    one kecamatan, everyone else to one kelurahan."""
    username = username.strip().lower()
    kecamatan_code = kecamatan_code or None
    check_role_and_kelurahan(role, kelurahan, kecamatan_code)
    if len(password) < 10:
        raise AccountError("Kata sandi minimal 10 karakter.", "password")
    if session.scalar(sa.select(User.id).where(User.username == username)) is not None:
        raise AccountError(f"Nama pengguna '{username}' sudah dipakai.")
    user = User(
        username=username,
        full_name=full_name.strip(),
        role=role,
        kelurahan_id=kelurahan.id if kelurahan is not None else None,
        kecamatan_code=kecamatan_code,
        must_change_password=must_change_password,
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
