"""Account changes made by an admin (or by staff, for their kelurahan's volunteers)."""

import secrets

import sqlalchemy as sa
from sqlalchemy.orm import Session

from nutera import security
from nutera.auth.services import AccountError, check_role_and_kelurahan
from nutera.auth.sessions import end_all
from nutera.models import Kelurahan, Rt, User

_TEMPORARY_ALPHABET = "abcdefghjkmnpqrstuvwxyzACDEFGHJKLMNPQRTUVWXY34679"


def may_manage(actor: User, user: User) -> bool:
    """Admins manage every account; staff manage the volunteers of their kelurahan."""
    if actor.is_admin:
        return True
    return actor.is_staff and user.is_volunteer and user.kelurahan_id == actor.kelurahan_id


def update_account(
    session: Session,
    actor: User,
    user: User,
    *,
    full_name: str,
    role: str,
    kelurahan: Kelurahan | None,
    kecamatan_code: str | None = None,
) -> None:
    """Change name, role, kelurahan and kecamatan; RT assignments that no longer fit are
    dropped."""
    if not actor.is_admin and (
        role != "volunteer" or kelurahan is None or kelurahan.id != actor.kelurahan_id
    ):
        raise AccountError("Petugas hanya dapat mengelola relawan kelurahannya.", "role")
    if user.id == actor.id and role != user.role:
        raise AccountError("Anda tidak dapat mengubah peran akun Anda sendiri.", "role")
    kecamatan_code = kecamatan_code or None
    check_role_and_kelurahan(role, kelurahan, kecamatan_code)
    new_kelurahan_id = kelurahan.id if kelurahan else None
    if role != "volunteer" or new_kelurahan_id != user.kelurahan_id:
        user.assigned_rts = []
    user.full_name = full_name.strip()
    user.role = role
    user.kelurahan_id = new_kelurahan_id
    user.kecamatan_code = kecamatan_code
    session.flush()


def set_active(session: Session, actor: User, user: User, active: bool) -> None:
    """Deactivate (every open session ends at once) or reactivate an account."""
    if user.id == actor.id:
        raise AccountError("Anda tidak dapat menonaktifkan akun Anda sendiri.")
    if user.active == active:
        return
    user.active = active
    if not active:
        end_all(user)
    session.flush()
    security.record_for(
        user,
        security.Event.ACCOUNT_REACTIVATED if active else security.Event.ACCOUNT_DEACTIVATED,
        entity_id=user.id,
        details={"oleh": actor.username},
        session=session,
    )


def reset_password(session: Session, actor: User, user: User) -> str:
    """A one-time password for user, to be changed at their next sign-in; sessions end."""
    if user.id == actor.id:
        raise AccountError("Ganti kata sandi Anda sendiri lewat menu Ubah kata sandi.")
    temporary = "".join(secrets.choice(_TEMPORARY_ALPHABET) for _ in range(12))
    user.set_password(temporary)
    user.must_change_password = True
    end_all(user)
    session.flush()
    security.record_for(
        user,
        security.Event.PASSWORD_RESET,
        entity_id=user.id,
        details={"oleh": actor.username},
        session=session,
    )
    return temporary


def rts_of_rws(session: Session, kelurahan_id: int, rw_ids: list[int]) -> list[int]:
    """Every RT id of the given RWs of a kelurahan ('pilih seluruh RW')."""
    if not rw_ids:
        return []
    return list(
        session.scalars(
            sa.select(Rt.id).where(Rt.kelurahan_id == kelurahan_id, Rt.rw_id.in_(rw_ids))
        )
    )
