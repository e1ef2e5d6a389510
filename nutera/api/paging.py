"""Keyset pages for the API: rows after an opaque cursor, and the next page's cursor."""

from typing import Any

import sqlalchemy as sa

from nutera.api.schemas import encode_cursor
from nutera.extensions import db


def keyset_page(stmt: sa.Select, id_column: Any, query: dict) -> dict[str, Any]:
    """One page of stmt ordered by id_column: {"items": rows, "next_cursor": ... or None}."""
    limit = query["limit"]
    if query.get("cursor") is not None:
        stmt = stmt.where(id_column > query["cursor"])
    rows = db.session.execute(stmt.order_by(id_column).limit(limit + 1)).mappings().all()
    more = len(rows) > limit
    rows = rows[:limit]
    return {"items": rows, "next_cursor": encode_cursor(rows[-1]["id"]) if more else None}
