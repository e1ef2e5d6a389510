"""A re-import that costs what changed: per-row digests against the source's last commit.

Staging records, for every accepted row, a 64-bit digest of its mapped cells with its NIK and
KK (refresh_digest). The next file of the same source is read once to digest each row
(no checks); a family (KK) with a changed, new or vanished row is staged in full and goes
through the usual checks, diff and commit, while a family whose every row is byte-for-byte
the row last committed is not staged at all: the registry already holds what it says.

Whole families, not single rows: the household's address and RT come from its first row,
household programs from any of its rows, and residents missing from the file are looked for
within its KKs. The full path is taken instead when there is nothing comparable: no earlier
commit of the source with digests, another mapping or check context (RTs, programs), a
revert in the kelurahan since (it deleted records unchanged rows would stand for), a file
said to hold every resident (absence is decided over the whole file), or a file where much
changed (reading it twice would cost more than staging it).
"""

import hashlib
import json
from array import array
from dataclasses import dataclass, field
from datetime import timedelta
from itertools import compress
from operator import ne, not_
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from nutera.models import Household, Refresh, RefreshDigest
from nutera.refresh import reader, rows
from nutera.refresh.states import RefreshStatus
from nutera.refresh.validate import RowContext

# A file where more rows than this share changed is staged in full.
MAX_CHANGED_SHARE = 0.2
# The touched families' rows kept from the upload's read (in memory, then as JSON) at most.
MAX_BUFFERED_ROWS = 100_000
_row_hash = reader.row_digest


def row_digests(lines: list[str]) -> list[int]:
    """The 64-bit digest of each row text (ContentDigest.add_rows's answer; staging and the
    scan take them from ContentDigest.add_rows_hashed, which gives the same)."""
    return [_row_hash(line.encode("utf-8", "surrogatepass")) for line in lines]


def context_key(ctx: RowContext, mapping: dict[str, str], date_order: str) -> str:
    """What a row's checks depend on beside its cells: the same key, the same answer."""
    payload = json.dumps(
        [sorted(ctx.rts.items()), sorted(ctx.programs), mapping, date_order],
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def kk_key(cell) -> str:
    """A KK cell as a family key (the text staging would check)."""
    return cell.strip() if isinstance(cell, str) else reader.cell_text(cell)


@dataclass
class Collected:
    """Digest, NIK and KK of every accepted row staged, as they go into refresh_digest."""

    digests: array = field(default_factory=lambda: array("Q"))
    niks: array = field(default_factory=lambda: array("Q"))
    kks: array = field(default_factory=lambda: array("Q"))

    def add(self, digest: int, nik: str, kk: str) -> None:
        self.digests.append(digest)
        self.niks.append(int(nik))
        self.kks.append(int(kk))


@dataclass
class Scan:
    """One read of a new file against the digests of the source's last commit."""

    previous_id: int
    context: str
    content_hash: str
    rows: int  # data rows of the file
    changed: int  # rows with no identical row in the previous file (or repeated in this one)
    touched: set[str]  # KK keys of the families to stage
    # The touched families' rows, (sheet index, row numbers, rows of cells) in file order,
    # when the read caught every one of their rows; None: read the file again for them.
    buffered: list[tuple[int, list[int], list[list]]] | None

    def as_json(self) -> dict:
        return {
            "previous_id": self.previous_id,
            "context": self.context,
            "content_hash": self.content_hash,
            "rows": self.rows,
            "changed": self.changed,
            "touched": sorted(self.touched),
            "buffered": self.buffered,
        }

    @classmethod
    def from_json(cls, data: dict) -> "Scan":
        buffered = data["buffered"]
        return cls(
            previous_id=data["previous_id"],
            context=data["context"],
            content_hash=data["content_hash"],
            rows=data["rows"],
            changed=data["changed"],
            touched=set(data["touched"]),
            buffered=[tuple(part) for part in buffered] if buffered is not None else None,
        )


@dataclass
class Plan:
    """Which families of the new file to stage, and what the unchanged ones carry over."""

    previous: Refresh
    date_order: str
    scan: Scan
    carried: Collected  # unchanged rows of untouched families

    @property
    def touched(self) -> set[str]:
        return self.scan.touched

    @property
    def rows(self) -> int:
        return self.scan.rows

    @property
    def changed(self) -> int:
        return self.scan.changed

    @property
    def content_hash(self) -> str:
        return self.scan.content_hash


def _arrays(store) -> Collected:
    collected = Collected()
    collected.digests.frombytes(store.digests)
    collected.niks.frombytes(store.niks)
    collected.kks.frombytes(store.kks)
    return collected


def load(session: Session, refresh_id: int) -> Collected:
    """The digests a refresh recorded (read past the ORM: its identity map would keep the
    bytes as long as the session lives)."""
    row = session.execute(
        sa.select(RefreshDigest.digests, RefreshDigest.niks, RefreshDigest.kks).where(
            RefreshDigest.refresh_id == refresh_id
        )
    ).one()
    return _arrays(row)


def comparable(session: Session, refresh: Refresh, ctx: RowContext):
    """(last commit of the source, its digests, its date order) when this file may be
    compared with them, else None."""
    if refresh.complete:
        return None
    query = sa.select(Refresh).where(
        Refresh.kelurahan_id == refresh.kelurahan_id,
        Refresh.source == refresh.source,
        Refresh.status == RefreshStatus.DITERAPKAN,
    )
    if refresh.id is not None:  # (an upload not saved yet has none)
        query = query.where(Refresh.id != refresh.id)
    previous = session.scalar(query.order_by(Refresh.committed_at.desc()).limit(1))
    if previous is None or previous.mapping != refresh.mapping:
        return None
    reverted_since = session.scalar(
        sa.select(sa.func.count(Refresh.id)).where(
            Refresh.kelurahan_id == refresh.kelurahan_id,
            Refresh.reverted_at.is_not(None),
            Refresh.reverted_at > previous.committed_at,
        )
    )
    if reverted_since:
        return None
    context = session.scalar(
        sa.select(RefreshDigest.context).where(RefreshDigest.refresh_id == previous.id)
    )
    order = ((previous.counts or {}).get("date_rule") or {}).get("used")
    if context is None or not order or context != context_key(ctx, refresh.mapping, order):
        return None
    return previous, context, order


class _Discard(list):
    """A list that keeps nothing."""

    def append(self, _item) -> None:
        return None

    def extend(self, _items) -> None:
        return None


class _Families:
    """Rows grouped in runs of one KK as they stream by; runs with a changed row are kept."""

    def __init__(self, keep_cells: bool):
        self.keep_cells = keep_cells
        self.buffered: list[tuple[int, list[int], list[list]]] = []
        self.rows = 0  # rows buffered
        self.passed: set[str] = set()  # KKs with a run not buffered
        self.passed_cells: set = set()  # KK cells of runs not buffered (whole chunks' runs)
        self.key: str | None = None
        self.sheet = -1
        self.numbers: list[int] = []
        self.cells: list[list] = []
        self.changed = False

    def follow_unchanged(self, cells_of_kk: list, numbers, chunk: list, raw, key) -> tuple:
        """Follow a chunk with no changed row (its rows' KK cells given); answers the last
        row's KK cell and key."""
        size = len(chunk)
        ends = list(compress(range(1, size), map(ne, cells_of_kk[1:], cells_of_kk[:-1])))
        # The first run may continue the open one and the last may go on in the next chunk;
        # the runs between are whole families with no changed row: passed, their cells kept
        # as they are (made keys once, at the end).
        raw, key = self._run(cells_of_kk, numbers, chunk, 0, ends[0] if ends else size, raw, key)
        if not ends:
            return raw, key
        if len(ends) > 1:
            self.close()
            self.passed_cells.update(cells_of_kk[ends[0] : ends[-1]])
            raw = None
        return self._run(cells_of_kk, numbers, chunk, ends[-1], size, raw, key)

    def _run(self, cells_of_kk: list, numbers, chunk: list, start: int, end: int, raw, key):
        """Add the rows start..end, of one KK cell, to the open run (or open theirs)."""
        cell = cells_of_kk[start]
        if cell != raw:
            raw, key = cell, kk_key(cell)
            if key != self.key:
                self.close()
                self.key = key
        self.numbers.extend(numbers[start:end])
        self.cells.extend(chunk[start:end])
        return raw, key

    def close(self) -> None:
        if self.key is None:
            return
        if self.changed:
            if self.keep_cells:
                self.buffered.append((self.sheet, self.numbers, self.cells))
                self.rows += len(self.numbers)
                if self.rows > MAX_BUFFERED_ROWS:  # much changed: staging reads the file
                    self.keep_cells, self.buffered = False, []
        else:
            self.passed.add(self.key)
        self.key, self.numbers, self.cells, self.changed = None, [], [], False
        if not self.keep_cells:  # (a row's cells are only needed while its run is open)
            self.numbers, self.cells = _Discard(), _Discard()


def scan(
    path: str | Path,
    info: reader.FileInfo,
    mapping: dict[str, str],
    previous_id: int,
    context: str,
    old: Collected,
) -> Scan:
    """Read the file once: its content digest, each row's digest against the previous
    file's (old), and the rows of the families with a changed row."""
    # The previous file's digests not matched yet: a row matching one takes it out, so a
    # repeated row is new the second time, and what is left at the end has vanished.
    unmatched = set(old.digests)
    touched: set[str] = set()
    families = _Families(keep_cells=info.kind == "csv")  # (all-text cells: kept as JSON)
    content = reader.ContentDigest(mapping)
    count = changed = 0
    sheets = {id(sheet): index for index, sheet in enumerate(info.sheets)}
    raw: object = None
    key = ""
    # Bound once (a million rows): the open run's lists change only when a run closes.
    matched, touch = unmatched.discard, touched.add
    add_number, add_cells = families.numbers.append, families.cells.append
    with rows.rare_garbage_collection():
        for sheet, columns, numbers, chunk in rows.data_chunks(
            Path(path), info, mapping, rows.CHUNK
        ):
            i_kk = columns.get("kk", 10**6)
            sheet_index = sheets.get(id(sheet), 0)
            if sheet_index != families.sheet:
                families.close()
                families.sheet, raw = sheet_index, None
                add_number, add_cells = families.numbers.append, families.cells.append
            digests = content.add_rows_hashed(columns, chunk)
            present = unmatched.intersection(digests)
            if digests and len(present) == len(digests):
                # Every row of the chunk is a distinct row of the previous file (the weekly
                # case for nearly every chunk): nothing changed, only the runs are followed.
                unmatched.difference_update(present)
                cells_of_kk = [cells[i_kk] if i_kk < len(cells) else "" for cells in chunk]
                raw, key = families.follow_unchanged(cells_of_kk, numbers, chunk, raw, key)
                size = len(chunk)
                add_number, add_cells = families.numbers.append, families.cells.append
                count += size
                continue
            for number, cells, digest in zip(numbers, chunk, digests, strict=True):
                cell = cells[i_kk] if i_kk < len(cells) else ""
                if cell != raw:  # (a family's rows repeat the same cell)
                    raw, key = cell, kk_key(cell)
                    if key != families.key:
                        families.close()
                        families.key = key
                        add_number, add_cells = families.numbers.append, families.cells.append
                add_number(number)
                add_cells(cells)
                if digest in unmatched:
                    matched(digest)
                else:  # a new or changed row, or the repeat of a row (staged, then refused)
                    changed += 1
                    families.changed = True
                    touch(key)
            count += len(chunk)
    families.close()
    # A row of the previous file with no identical row now: its family is staged again (a
    # resident who left is missed within the KK), or is gone from the file altogether.
    if unmatched:
        touched.update(
            f"{kk:016d}" for kk in compress(old.kks, map(unmatched.__contains__, old.digests))
        )
    complete = families.keep_cells and info.kind == "csv"
    # (a CSV's cells are text: a KK cell's key is the cell stripped)
    complete = complete and not (touched & families.passed)
    complete = complete and not (touched & set(map(str.strip, families.passed_cells)))
    return Scan(
        previous_id=previous_id,
        context=context,
        content_hash=content.hexdigest(),
        rows=count,
        changed=changed,
        touched=touched,
        buffered=families.buffered if complete else None,
    )


def save_scan(session: Session, refresh: Refresh, found: Scan) -> None:
    """Keep an upload's scan for its analysis (one read of the file for both)."""
    session.execute(sa.delete(RefreshDigest).where(RefreshDigest.refresh_id == refresh.id))
    session.add(
        RefreshDigest(
            refresh_id=refresh.id,
            previous_id=found.previous_id,
            context="",
            digests=b"",
            niks=b"",
            kks=b"",
            scan=found.as_json(),
        )
    )
    session.flush()


def _saved_scan(session: Session, refresh: Refresh, previous_id: int, context: str):
    saved = session.scalar(
        sa.select(RefreshDigest.scan).where(RefreshDigest.refresh_id == refresh.id)
    )
    if not saved or saved["previous_id"] != previous_id or saved["context"] != context:
        return None
    return Scan.from_json(saved)


def plan(session: Session, refresh: Refresh, ctx: RowContext, info) -> Plan | None:
    """Which families to stage; None when the file should be staged in full."""
    found = comparable(session, refresh, ctx)
    if found is None:
        return None
    previous, context, order = found
    old = load(session, previous.id)
    scanned = _saved_scan(session, refresh, previous.id, context) or scan(
        refresh.stored_path, info, refresh.mapping, previous.id, context, old
    )
    if scanned.rows == 0 or scanned.changed > MAX_CHANGED_SHARE * scanned.rows:
        return None
    touched_numbers = {int(k) for k in scanned.touched if k.isdigit()}
    kept = list(map(not_, map(touched_numbers.__contains__, old.kks)))  # (no loop per row)
    carried = Collected(
        array("Q", compress(old.digests, kept)),
        array("Q", compress(old.niks, kept)),
        array("Q", compress(old.kks, kept)),
    )
    return Plan(previous=previous, date_order=order, scan=scanned, carried=carried)


def forget(collected: Collected, niks: set[int]) -> None:
    """Take the rows with these NIKs out of what was collected."""
    kept = [nik not in niks for nik in collected.niks]
    collected.digests = array("Q", compress(collected.digests, kept))
    collected.kks = array("Q", compress(collected.kks, kept))
    collected.niks = array("Q", compress(collected.niks, kept))


def save(
    session: Session,
    refresh: Refresh,
    context: str,
    staged: Collected,
    found: Plan | None,
) -> None:
    """Record this refresh's digests: the rows it staged and, incrementally, those carried."""
    session.execute(sa.delete(RefreshDigest).where(RefreshDigest.refresh_id == refresh.id))
    collected = staged
    if found is not None:
        collected = found.carried  # (the plan is spent: its arrays take the staged rows)
        collected.digests.extend(staged.digests)
        collected.niks.extend(staged.niks)
        collected.kks.extend(staged.kks)
    # Core statements (an ORM object would keep the bytes as long as the session lives),
    # one array at a time: a million rows are 8 MB per array, copied again when bound.
    table = RefreshDigest.__table__
    session.execute(
        sa.insert(table).values(
            refresh_id=refresh.id,
            previous_id=found.previous.id if found is not None else None,
            context=context,
            rows=len(collected.digests),
            digests=b"",
            niks=b"",
            kks=b"",
            scan=None,
        )
    )
    for name in ("digests", "niks", "kks"):
        values = getattr(collected, name)
        session.execute(
            sa.update(table)
            .where(table.c.refresh_id == refresh.id)
            .values({name: values.tobytes()})
        )
        setattr(collected, name, array("Q"))  # (collected is spent)
        del values


def drop_niks(session: Session, refresh: Refresh, niks: list[str]) -> None:
    """Forget the digests of rows left out of the commit (skipped, or refused after staging):
    the next file's copy of them is staged again."""
    if not niks:  # (before loading the digests: the usual case)
        return
    store = session.get(RefreshDigest, refresh.id)
    if store is None:
        return
    dropped = {int(n) for n in niks if n and n.isdigit()}
    kept = Collected()
    old = _arrays(store)
    for digest, nik, kk in zip(old.digests, old.niks, old.kks, strict=True):
        if nik not in dropped:
            kept.digests.append(digest)
            kept.niks.append(nik)
            kept.kks.append(kk)
    store.digests, store.niks, store.kks = (
        kept.digests.tobytes(),
        kept.niks.tobytes(),
        kept.kks.tobytes(),
    )
    store.rows = len(kept.digests)


def forget_others(session: Session, refresh: Refresh) -> None:
    """Only the source's last commit is compared with: older digests of it go."""
    others = sa.select(Refresh.id).where(
        Refresh.kelurahan_id == refresh.kelurahan_id,
        Refresh.source == refresh.source,
        Refresh.id != refresh.id,
    )
    session.execute(sa.delete(RefreshDigest).where(RefreshDigest.refresh_id.in_(others)))


# A household of an unchanged family is confirmed again once its confirmation is this old:
# the equity indicators count a household as recently confirmed for six months, and
# renewing every household of the city each week would cost a write per household.
RECONFIRM_AFTER = timedelta(days=60)


def confirm_unchanged(session: Session, refresh: Refresh, now) -> None:
    """Renew refresh_confirmed_at of the households of the families an incremental import
    did not stage, once it is RECONFIRM_AFTER old (staged families are confirmed with the
    commit's rows, as in a full import)."""
    previous_id = session.scalar(
        sa.select(RefreshDigest.previous_id).where(RefreshDigest.refresh_id == refresh.id)
    )
    if previous_id is None:
        return
    confirmed = Household.refresh_confirmed_at
    due = session.execute(
        sa.select(Household.id, Household.kk_number).where(
            Household.kelurahan_id == refresh.kelurahan_id,
            sa.or_(
                confirmed.is_(None),
                confirmed < sa.literal(now - RECONFIRM_AFTER, confirmed.type),
            ),
        )
    ).all()
    if not due:
        return
    in_file = set(load(session, refresh.id).kks)
    ids = [id_ for id_, kk in due if kk.isdigit() and int(kk) in in_file]
    for start in range(0, len(ids), 1000):
        session.execute(
            sa.update(Household)
            .where(Household.id.in_(ids[start : start + 1000]))
            # updated_at kept: revert tells records changed since the commit by it.
            .values(refresh_confirmed_at=now, updated_at=Household.updated_at)
            .execution_options(synchronize_session=False)
        )


def after_commit(session: Session, refresh: Refresh, left_out_niks: list[str]) -> None:
    """Keep the digests of what the commit wrote, and only the source's latest ones."""
    drop_niks(session, refresh, left_out_niks)
    forget_others(session, refresh)
