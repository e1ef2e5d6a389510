"""Run a hot, fixed Core statement compiled once per dialect on the pooled DBAPI cursor.

For the few statements a hot route runs on every request (the NIK lookup, the API's token
check, the API's read-audit row). SQLAlchemy's execute builds the statement's cache key and
an execution context on each call, ~10 us around a query that itself costs ~5 us (for the
audit INSERT ~60 us against ~20 us). Here the statement is compiled once per dialect; its
parameters and values go through the types' own bind and result processors, as execute
would apply them (a date stored as text on SQLite comes back a date, a boolean a bool, a
JSON value is serialised as the JSON type does), so the rows are the same
(tests/test_lookup_lean.py compares).

The connection still comes from ``engine.connect()`` (pool events such as the statement
timeout apply); a driver that begins a transaction for a SELECT has it rolled back when
the connection returns to the pool. Only statements with plain single-value parameters,
built once at module level: a statement's plan is kept under its identity.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa


@dataclass(frozen=True)
class _Compiled:
    sql: str
    names: tuple[str, ...] | None  # positional parameter order; None: named (a mapping)
    binds: dict[str, Callable | None]
    results: tuple[Callable | None, ...]

    @classmethod
    def of(cls, statement: sa.Executable, dialect: sa.Dialect) -> "_Compiled":
        compiled = statement.compile(dialect=dialect)
        sql = str(compiled)
        if "POSTCOMPILE" in sql:
            raise ValueError("hotsql runs statements with single-value parameters only")
        binds = {
            name: bind.type.dialect_impl(dialect).bind_processor(dialect)
            for name, bind in compiled.binds.items()
        }
        results = tuple(
            column.type.dialect_impl(dialect).result_processor(dialect, None)
            for column in getattr(statement, "selected_columns", ())
        )
        positional = tuple(compiled.positiontup) if compiled.positiontup else None
        return cls(sql, positional, binds, results)


_COMPILED: dict[tuple[int, str, str | None, str], _Compiled] = {}


def _plan(dialect: sa.Dialect, statement: sa.Executable) -> _Compiled:
    key = (id(statement), dialect.name, dialect.driver, dialect.paramstyle)
    plan = _COMPILED.get(key)
    if plan is None:
        plan = _COMPILED[key] = _Compiled.of(statement, dialect)
    return plan


def _execute(cursor: Any, plan: _Compiled, params: Mapping[str, Any]) -> None:
    values = {
        name: value if (f := plan.binds.get(name)) is None else f(value)
        for name, value in params.items()
    }
    if plan.names is None:
        cursor.execute(plan.sql, values)
    else:
        cursor.execute(plan.sql, tuple(values[name] for name in plan.names))


def execute(cursor: Any, dialect: sa.Dialect, statement: sa.Executable, params: Mapping) -> None:
    """Run a fixed INSERT, UPDATE or DELETE on a DBAPI cursor (the caller commits).

    Every parameter of the statement is given in params (bindparams with their column's
    type: ``sa.bindparam(name, type_=column.type)``), as connection.execute would bind it."""
    _execute(cursor, _plan(dialect, statement), params)


def rows(connection: sa.Connection, statement: sa.Select, params: Mapping[str, Any]) -> list:
    """statement's rows (tuples) for params, as connection.execute(...).all() gives them."""
    plan = _plan(connection.dialect, statement)
    cursor = connection.connection.cursor()
    try:
        _execute(cursor, plan, params)
        fetched = cursor.fetchall()
    finally:
        cursor.close()
    results = plan.results
    return [
        tuple(value if f is None else f(value) for f, value in zip(results, row, strict=True))
        for row in fetched
    ]
