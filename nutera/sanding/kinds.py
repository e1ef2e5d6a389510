"""The kind of each refresh source (population, recipient list, legacy), chosen once."""

import json

import sqlalchemy as sa
from sqlalchemy.orm import Session

from nutera.models import Refresh, Setting, SourceKind

_KEY = "kind:"


class SourceKindError(ValueError):
    """The source's kind cannot be set so; the message is Indonesian."""


def _setting(session: Session, kelurahan_id: int, source: str) -> Setting | None:
    return session.scalar(
        sa.select(Setting).where(
            Setting.kelurahan_id == kelurahan_id, Setting.key == _KEY + source
        )
    )


def source_settings(session: Session, kelurahan_id: int, source: str) -> dict:
    """{"kind": ..., "program": ...} remembered for the source ({} when never chosen)."""
    setting = _setting(session, kelurahan_id, source)
    return json.loads(setting.value) if setting else {}


def source_kind(session: Session, kelurahan_id: int, source: str) -> SourceKind | None:
    """The kind chosen for the source, None when not chosen yet."""
    kind = source_settings(session, kelurahan_id, source).get("kind")
    return SourceKind(kind) if kind in SourceKind.labels() else None


def choose_kind(
    session: Session, kelurahan_id: int, source: str, kind: str | None, program: str = ""
) -> SourceKind:
    """Remember the kind of a source the first time; later uploads keep it.

    A source never chosen and given no kind is a population extract (the workflow as it
    always was for the kelurahan's own data)."""
    chosen = source_kind(session, kelurahan_id, source)
    if kind and kind not in SourceKind.labels():
        raise SourceKindError("Jenis sumber tidak dikenal.")
    if chosen is not None:
        if kind and kind != chosen:
            raise SourceKindError(
                f"Sumber {source} sudah ditetapkan sebagai {chosen.label}; jenisnya tidak "
                "dapat diubah. Pakai nama sumber lain untuk jenis lain."
            )
        return chosen
    chosen = SourceKind(kind or SourceKind.PENDUDUK)
    value = {"kind": str(chosen)}
    code = program.strip().upper()
    if chosen == SourceKind.PENERIMA and code:
        value["program"] = code[:20]
    session.add(Setting(kelurahan_id=kelurahan_id, key=_KEY + source, value=json.dumps(value)))
    session.flush()
    return chosen


def is_recipient_list(session: Session, refresh: Refresh) -> bool:
    """Whether the refresh's source is a recipient list (validated, never committed)."""
    return source_kind(session, refresh.kelurahan_id, refresh.source) == SourceKind.PENERIMA


def known_kinds(session: Session, kelurahan_id: int) -> dict[str, SourceKind]:
    """source -> its kind, for the sources of a kelurahan."""
    found = session.execute(
        sa.select(Setting.key, Setting.value).where(
            Setting.kelurahan_id == kelurahan_id, Setting.key.startswith(_KEY)
        )
    )
    return {key[len(_KEY) :]: SourceKind(json.loads(value)["kind"]) for key, value in found}
