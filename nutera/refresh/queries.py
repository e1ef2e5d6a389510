"""Drill-down lists of a preview, one page at a time, and the refresh history."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from nutera.identity import mask_nik
from nutera.models import AidProgram, Refresh, Rt, Rw, User
from nutera.refresh import diff
from nutera.refresh.diff import ENROLLMENT, HOUSEHOLD, PERSON, ROW
from nutera.scoping import visible_to
from nutera.timeutil import as_utc, utcnow

PER_PAGE = 50
OVERDUE_AFTER = timedelta(days=7)

DETAILS = {
    "ditolak": "Baris ditolak",
    "baru": "Warga baru",
    "berubah": "Data warga berubah",
    "kk_baru": "KK baru",
    "kk_berubah": "KK berubah (alamat, RT/RW)",
    "absen": "Tidak ada di berkas (pindah? meninggal?)",
    "program_tambah": "Kepesertaan program ditambah",
    "program_akhir": "Kepesertaan program diakhiri",
    "konflik": "Warga bertentangan dengan survei terverifikasi",
    "konflik_kk": "KK bertentangan dengan survei terverifikasi",
    "duplikat": "Kemungkinan data ganda",
}


@dataclass
class DetailPage:
    """One page of a drill-down list."""

    kind: str
    headers: list[str]
    rows: list[list[Any]]
    total: int
    page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PER_PAGE))


def _page(session: Session, query: sa.Select, page: int) -> tuple[list, int]:
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    rows = session.execute(query.limit(PER_PAGE).offset((page - 1) * PER_PAGE)).all()
    return [list(r) for r in rows], total


def _rt(row_rt_column):
    rt, rw = Rt.__table__.alias("d_rt"), Rw.__table__.alias("d_rw")
    joined = lambda base: base.outerjoin(rt, rt.c.id == row_rt_column).outerjoin(  # noqa: E731
        rw, rw.c.id == rt.c.rw_id
    )
    return joined, rt.c.number, rw.c.number


def detail_page(session: Session, refresh: Refresh, kind: str, page: int = 1) -> DetailPage:  # noqa: C901
    """The rows behind one preview count."""
    rid = refresh.id
    since = diff.last_refresh_at(session, refresh.kelurahan_id, before=refresh)
    if kind == "ditolak":
        query = diff.rejected_in_file_order(
            rid, ROW.c.sheet, ROW.c.row_number, ROW.c.name, ROW.c.error
        )
        headers = ["Lembar", "Baris", "Nama", "Alasan"]
    elif kind == "baru":
        join, rt, rw = _rt(ROW.c.rt_id)
        query = (
            sa.select(ROW.c.row_number, ROW.c.nik, ROW.c.name, ROW.c.kk, rt, rw)
            .select_from(join(ROW))
            .where(diff.valid_rows(rid), ROW.c.person_id.is_(None))
            .order_by(ROW.c.id)
        )
        headers = ["Baris", "NIK", "Nama", "No. KK", "RT", "RW"]
    elif kind in ("berubah", "konflik"):
        changed = sa.or_(*(diff.person_field_changed(f) for f in diff.PERSON_FIELDS))
        if kind == "konflik":
            changed = sa.and_(changed, diff.verified_since(PERSON.c.verified_at, since))
        query = (
            sa.select(
                PERSON.c.id,
                ROW.c.nik,
                PERSON.c.name,
                ROW.c.name,
                PERSON.c.sex,
                ROW.c.sex,
                PERSON.c.birth_date,
                ROW.c.birth_date,
                PERSON.c.household_id,
                ROW.c.household_id,
                PERSON.c.verified_at,
            )
            .select_from(ROW.join(PERSON, PERSON.c.id == ROW.c.person_id))
            .where(diff.valid_rows(rid), changed)
            .order_by(ROW.c.id)
        )
        headers = [
            "id",
            "NIK",
            "Nama (registri)",
            "Nama (berkas)",
            "JK (registri)",
            "JK (berkas)",
            "Lahir (registri)",
            "Lahir (berkas)",
            "KK (registri)",
            "KK (berkas)",
            "Diverifikasi",
        ]
    elif kind in ("kk_baru", "kk_berubah"):
        join, rt, rw = _rt(ROW.c.rt_id)
        if kind == "kk_baru":
            query = (
                sa.select(ROW.c.kk, ROW.c.address, rt, rw)
                .select_from(join(ROW))
                .where(diff.first_rows(refresh), ROW.c.household_id.is_(None))
            )
            headers = ["No. KK", "Alamat", "RT", "RW"]
        else:
            query = (
                sa.select(
                    HOUSEHOLD.c.kk_number,
                    HOUSEHOLD.c.address,
                    ROW.c.address,
                    HOUSEHOLD.c.rt_id,
                    ROW.c.rt_id,
                    HOUSEHOLD.c.verified_at,
                )
                .select_from(ROW.join(HOUSEHOLD, HOUSEHOLD.c.id == ROW.c.household_id))
                .where(diff.first_rows(refresh), diff.household_changes(refresh))
            )
            headers = [
                "No. KK",
                "Alamat (registri)",
                "Alamat (berkas)",
                "RT id (registri)",
                "RT id (berkas)",
                "Diverifikasi",
            ]
        query = query.order_by(ROW.c.id)
    elif kind == "konflik_kk":
        now_rt, now_rw = Rt.__table__.alias("now_rt"), Rw.__table__.alias("now_rw")
        new_rt, new_rw = Rt.__table__.alias("new_rt"), Rw.__table__.alias("new_rw")
        query = (
            sa.select(
                HOUSEHOLD.c.id,
                HOUSEHOLD.c.kk_number,
                HOUSEHOLD.c.address,
                ROW.c.address,
                now_rt.c.number,
                now_rw.c.number,
                new_rt.c.number,
                new_rw.c.number,
                HOUSEHOLD.c.verified_at,
            )
            .select_from(
                ROW.join(HOUSEHOLD, HOUSEHOLD.c.id == ROW.c.household_id)
                .outerjoin(now_rt, now_rt.c.id == HOUSEHOLD.c.rt_id)
                .outerjoin(now_rw, now_rw.c.id == now_rt.c.rw_id)
                .outerjoin(new_rt, new_rt.c.id == ROW.c.rt_id)
                .outerjoin(new_rw, new_rw.c.id == new_rt.c.rw_id)
            )
            .where(
                diff.first_rows(refresh),
                diff.household_changes(refresh),
                diff.verified_since(HOUSEHOLD.c.verified_at, since),
            )
            .order_by(ROW.c.id)
        )
        headers = [
            "id",
            "No. KK",
            "Alamat (registri)",
            "Alamat (berkas)",
            "RT (registri)",
            "RW (registri)",
            "RT (berkas)",
            "RW (berkas)",
            "Diverifikasi",
        ]
    elif kind == "absen":
        query = (
            sa.select(PERSON.c.nik, PERSON.c.name, HOUSEHOLD.c.kk_number)
            .select_from(PERSON.outerjoin(HOUSEHOLD, HOUSEHOLD.c.id == PERSON.c.household_id))
            .where(PERSON.c.id.in_(diff.absent_persons(refresh, diff.is_postgres(session))))
            .order_by(PERSON.c.id)
        )
        headers = ["NIK", "Nama", "No. KK"]
    elif kind in ("program_tambah", "program_akhir"):
        parts = []
        for program in session.scalars(
            sa.select(AidProgram).where(
                AidProgram.kelurahan_id == refresh.kelurahan_id, AidProgram.active.is_(True)
            )
        ):
            if kind == "program_tambah":
                adding = diff.enrollments_to_add(refresh, program).subquery()
                parts.append(sa.select(sa.literal(program.code), adding.c[0]))
            else:
                parts.append(
                    sa.select(
                        sa.literal(program.code),
                        sa.func.coalesce(HOUSEHOLD.c.kk_number, PERSON.c.nik),
                    )
                    .select_from(
                        ENROLLMENT.outerjoin(
                            HOUSEHOLD, HOUSEHOLD.c.id == ENROLLMENT.c.household_id
                        ).outerjoin(PERSON, PERSON.c.id == ENROLLMENT.c.person_id)
                    )
                    .where(
                        ENROLLMENT.c.id.in_(
                            diff.enrollments_to_end(refresh, program, diff.is_postgres(session))
                        )
                    )
                )
        if not parts or not refresh.mapping.get("programs"):
            return DetailPage(kind, ["Program", "No. KK / NIK"], [], 0, page)
        query = sa.union_all(*parts).subquery()
        query = sa.select(query)
        headers = ["Program", "No. KK / NIK"]
    elif kind == "duplikat":
        other = PERSON.alias("other")
        pairs = diff.same_name_and_birth(refresh).subquery()
        query = sa.select(
            ROW.c.id,
            ROW.c.row_number,
            ROW.c.nik,
            ROW.c.name,
            ROW.c.birth_date,
            other.c.nik,
            ROW.c.skip,
        ).select_from(
            pairs.join(ROW, ROW.c.id == pairs.c.row_id).join(
                other, other.c.id == pairs.c.person_id
            )
        )
        in_file = diff.same_name_in_file(refresh).subquery()
        renamed = diff.same_nik_other_name(refresh).subquery()
        query = sa.union_all(
            query,
            sa.select(
                ROW.c.id,
                ROW.c.row_number,
                ROW.c.nik,
                ROW.c.name,
                ROW.c.birth_date,
                sa.literal("(di berkas ini)"),
                ROW.c.skip,
            )
            .join(
                in_file,
                sa.and_(in_file.c.name == ROW.c.name, in_file.c.birth_date == ROW.c.birth_date),
            )
            .where(diff.valid_rows(rid)),
            sa.select(
                ROW.c.id,
                ROW.c.row_number,
                ROW.c.nik,
                ROW.c.name,
                ROW.c.birth_date,
                (sa.literal("NIK sama, nama di registri: ") + PERSON.c.name),
                ROW.c.skip,
            ).select_from(
                renamed.join(ROW, ROW.c.id == renamed.c.row_id).join(
                    PERSON, PERSON.c.id == renamed.c.person_id
                )
            ),
        ).subquery()
        query = sa.select(query).order_by(query.c[1])
        headers = ["row_id", "Baris", "NIK", "Nama", "Tgl lahir", "Catatan", "Dilewati"]
    else:
        raise KeyError(kind)
    rows, total = _page(session, query, page)
    return DetailPage(kind, headers, [_masked(headers, r) for r in rows], total, page)


def _masked(headers: list[str], row: list) -> list:
    """Mask NIKs in lists; staff open a record to see the full number."""
    return [
        mask_nik(v) if isinstance(v, str) and h.startswith("NIK") and len(v) == 16 else v
        for h, v in zip(headers, row, strict=False)
    ]


def refresh_page(session: Session, user: User, page: int) -> tuple[list[Refresh], int]:
    """The refresh history the user may see, newest first."""
    query = sa.select(Refresh).where(visible_to(Refresh, user)).order_by(Refresh.created_at.desc())
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    return list(session.scalars(query.limit(20).offset((page - 1) * 20))), total


def overdue(session: Session, kelurahan_id: int | None) -> tuple[bool, datetime | None]:
    """Whether the weekly refresh of this kelurahan is overdue, and when the last one was."""
    if kelurahan_id is None:
        return False, None
    last = diff.last_refresh_at(session, kelurahan_id)
    last = last and as_utc(last)
    now = utcnow()
    return last is None or now - last > OVERDUE_AFTER, last
