"""Read-only queries for the admin pages."""

import sqlalchemy as sa

from nutera.extensions import db
from nutera.models import Kelurahan, Rt, Rw, User
from nutera.scoping import scoped_select


def users_for(viewer: User) -> list[User]:
    """Accounts the viewer may manage, ordered by kelurahan and name."""
    stmt = scoped_select(User, viewer).order_by(User.kelurahan_id, User.username)
    return list(db.session.scalars(stmt))


def kelurahan_choices(viewer: User) -> list[tuple[int, str]]:
    """Kelurahan the viewer may create accounts in."""
    stmt = sa.select(Kelurahan).order_by(Kelurahan.name)
    if not viewer.is_admin:
        stmt = stmt.where(Kelurahan.id == viewer.kelurahan_id)
    return [(k.id, f"{k.name} ({k.code})") for k in db.session.scalars(stmt)]


def kecamatan_choices() -> list[tuple[str, str]]:
    """The kecamatan of the registered kelurahan: (6-digit code, 'Bandung Wetan, Kota ...')."""
    code = sa.func.substr(Kelurahan.code, 1, 6)
    rows = db.session.execute(
        sa.select(code, Kelurahan.kecamatan, Kelurahan.kota)
        .group_by(code, Kelurahan.kecamatan, Kelurahan.kota)
        .order_by(Kelurahan.kota, Kelurahan.kecamatan)
    )
    return [(c, f"{kecamatan}, {kota} ({c})") for c, kecamatan, kota in rows]


def rt_choices(kelurahan_id: int) -> list[tuple[int, str]]:
    """Every RT of a kelurahan as (id, 'RT 01/RW 02')."""
    rows = db.session.execute(
        sa.select(Rt.id, Rt.number, Rw.number)
        .join(Rw, Rt.rw_id == Rw.id)
        .where(Rt.kelurahan_id == kelurahan_id)
        .order_by(Rw.number, Rt.number)
    )
    return [(rt_id, f"RT {rt:02d}/RW {rw:02d}") for rt_id, rt, rw in rows]


def rts_by_rw(kelurahan_id: int) -> list[tuple[int, int, list[tuple[int, str]]]]:
    """The RTs of a kelurahan grouped by RW: (rw id, RW number, [(rt id, 'RT 01')])."""
    rows = db.session.execute(
        sa.select(Rw.id, Rw.number, Rt.id, Rt.number)
        .join(Rt, Rt.rw_id == Rw.id)
        .where(Rw.kelurahan_id == kelurahan_id)
        .order_by(Rw.number, Rt.number)
    )
    groups: dict[int, tuple[int, int, list[tuple[int, str]]]] = {}
    for rw_id, rw_number, rt_id, rt_number in rows:
        groups.setdefault(rw_id, (rw_id, rw_number, []))[2].append((rt_id, f"RT {rt_number:02d}"))
    return list(groups.values())
