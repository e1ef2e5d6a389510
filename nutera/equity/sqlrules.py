"""The eligibility rules and household facts as SQL, so indicators are one GROUP BY.

The household facts of programs/attributes.py are computed here by aggregating living
members per household; a rule tree becomes a boolean SQL expression. SQL's AND/OR/NOT
are three-valued like rules.evaluate: an attribute not recorded (NULL) gives an unknown
verdict unless another condition already decides. Ages are compared through birth dates
cut off at bound dates, so the same SQL runs on SQLite and PostgreSQL.
"""

from datetime import date
from typing import Any

import sqlalchemy as sa

from nutera.models import Household, Person
from nutera.programs.attributes import AGE_BANDS, ELDERLY_AGE, PKH_ELDERLY_AGE, SCHOOL_AGES
from nutera.programs.rules import ATTRIBUTES, NUMERIC_KINDS, _limit, _normal

UNKNOWN = sa.null()


def years_before(day: date, years: int) -> date:
    """The same calendar day years earlier (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def age_at_least(birth: Any, today: date, years: int) -> sa.ColumnElement[bool]:
    """Completed age >= years, as a birth-date comparison."""
    return birth <= years_before(today, years)


def age_between(birth: Any, today: date, low: int, high: int) -> sa.ColumnElement[bool]:
    """low <= completed age <= high."""
    return sa.and_(birth <= years_before(today, low), birth > years_before(today, high + 1))


def _filled(column: Any) -> sa.ColumnElement[bool]:
    return sa.and_(column.is_not(None), column != "")


def _any(condition: Any) -> sa.ColumnElement[int]:
    """1 when some member meets condition, else 0."""
    return sa.func.max(sa.case((condition, 1), else_=0))


def _any_known(true_when: Any, unknown_when: Any) -> sa.ColumnElement[int]:
    """1 if some member is true; NULL if none is but some is unknown; else 0."""
    return sa.case(
        (sa.func.sum(sa.case((true_when, 1), else_=0)) > 0, 1),
        (sa.func.sum(sa.case((unknown_when, 1), else_=0)) > 0, None),
        else_=0,
    )


# One comparison per household on the group's oldest/youngest birth date, instead of a
# CASE per member: these facts only ask whether anyone is old (young) enough.
def _oldest_at_least(birth: Any, today: date, years: int) -> sa.ColumnElement[int]:
    return sa.case((sa.func.min(birth) <= years_before(today, years), 1), else_=0)


def _youngest_below(birth: Any, today: date, years: int) -> sa.ColumnElement[int]:
    return sa.case((sa.func.max(birth) > years_before(today, years), 1), else_=0)


def attributes_used(tree: dict) -> set[str]:
    """The attribute names a rule tree compares."""
    if "attr" in tree:
        return {tree["attr"]}
    return set().union(*(attributes_used(node) for node in tree.get("all", tree.get("any", []))))


def household_facts(
    today: date, kelurahan_ids: list[int] | None, needed: set[str] | None = None
) -> sa.Subquery:
    """Per household with a living member: the facts household_context computes in Python.

    needed: the facts the rules use (None: all); the others are not computed, as each
    costs an expression per resident."""
    p = Person
    birth = p.birth_date
    school = age_between(birth, today, *SCHOOL_AGES)
    is_head = p.relation == "kepala"
    disabled = _filled(p.disability)
    columns = [
        p.household_id.label("household_id"),
        sa.func.count().label("member_count"),
        sa.func.sum(p.monthly_income).label("household_income"),
        sa.func.round(sa.func.sum(p.monthly_income) * 1.0 / sa.func.count()).label(
            "income_per_capita"
        ),
        _any(p.is_asn_tni_polri.is_(True)).label("has_asn_tni_polri"),
        _any(disabled).label("has_disability"),
        _oldest_at_least(birth, today, ELDERLY_AGE).label("has_elderly"),
        _any(age_between(birth, today, 6, 18)).label("has_school_child"),
        _youngest_below(birth, today, 5).label("has_toddler"),
        sa.func.max(sa.case((is_head, p.occupation))).label("head_occupation"),
        sa.func.max(sa.case((is_head, p.residence))).label("head_residence"),
        _any(_filled(p.maternity)).label("has_pregnant"),
        _oldest_at_least(birth, today, PKH_ELDERLY_AGE).label("has_elderly_70"),
        _any_known(
            sa.and_(school, p.in_school.is_(True)), sa.and_(school, p.in_school.is_(None))
        ).label("has_student"),
        _any_known(
            sa.and_(disabled, p.disability_severity == "berat"),
            sa.and_(disabled, p.disability_severity.is_(None)),
        ).label("has_severe_disability"),
    ]
    columns += [
        (
            _youngest_below(birth, today, hi + 1)
            if lo == 0
            else _any(age_between(birth, today, lo, hi))
        ).label(n)
        for n, (lo, hi) in AGE_BANDS.items()
    ]
    if needed is not None:
        always = {"household_id", "member_count"}
        columns = [c for c in columns if c.name in always or c.name in needed]
    stmt = sa.select(*columns).where(p.status == "hidup", p.household_id.is_not(None))
    if kelurahan_ids is not None:
        stmt = stmt.where(p.kelurahan_id.in_(kelurahan_ids))
    return stmt.group_by(p.household_id).subquery("facts")


HOUSEHOLD_COLUMNS = ("ownership", "floor", "wall", "roof", "water_source", "toilet")


def household_attributes(facts: sa.Subquery) -> dict[str, Any]:
    """Rule attribute -> SQL expression, for a query joining Household and the facts."""
    attrs: dict[str, Any] = {c.name: c for c in facts.c if c.name != "household_id"}
    for name in HOUSEHOLD_COLUMNS + ("electricity_va", "desil"):
        attrs[name] = getattr(Household, name)
    return attrs


def person_attributes(household: dict[str, Any], person: Any) -> dict[str, Any]:
    """A person's own attributes on top of their household's (person_context in SQL)."""
    return {
        **household,
        "occupation": person.occupation,
        "monthly_income": person.monthly_income,
        "disability": sa.case((_filled(person.disability), 1), else_=0),
        "is_asn_tni_polri": sa.case((person.is_asn_tni_polri.is_(True), 1), else_=0),
        "has_ktp": sa.case((person.has_ktp.is_(True), 1), else_=0),
        "residence": person.residence,
        "age": person.birth_date,  # compared through cut-off dates, see _age
    }


def _age(op: str, birth: Any, limit: Any, today: date) -> sa.ColumnElement[bool]:
    if op in ("in", "not_in"):
        inside = sa.or_(*[_age("eq", birth, v, today) for v in limit]) if limit else sa.false()
        return inside if op == "in" else sa.not_(inside)
    n = int(limit)
    at_least = {"ge": n, "gt": n + 1, "eq": n}
    below = {"lt": n, "le": n + 1, "eq": n + 1}
    if op == "ne":
        return sa.not_(_age("eq", birth, limit, today))
    conditions = []
    if op in at_least:
        conditions.append(birth <= years_before(today, at_least[op]))
    if op in below:
        conditions.append(birth > years_before(today, below[op]))
    return sa.and_(*conditions)


def _leaf(leaf: dict, attrs: dict[str, Any], settings: dict[str, Any], today: date):
    name, op = leaf["attr"], leaf["op"]
    if name not in attrs:
        # A person's attribute in a household program: unknown, as in rules.evaluate.
        return UNKNOWN
    attr = ATTRIBUTES[name]
    limit, setting_key = _limit(leaf.get("value"), settings)
    if setting_key and limit is None:
        return UNKNOWN
    column = attrs[name]
    if name == "age":
        return sa.case((column.is_(None), None), else_=_age(op, column, limit, today))
    if attr.kind == "bool":
        if op in ("in", "not_in"):
            values = [1 if v else 0 for v in limit]
            return column.in_(values) if op == "in" else column.not_in(values)
        target = 1 if limit else 0
        return column == target if op == "eq" else column != target
    if attr.kind not in NUMERIC_KINDS:
        column = sa.func.lower(sa.func.trim(column))
    if op in ("in", "not_in"):
        values = [_normal(v) for v in limit]
        return column.in_(values) if op == "in" else column.not_in(values)
    limit = _normal(limit)
    return {
        "lt": column < limit,
        "le": column <= limit,
        "gt": column > limit,
        "ge": column >= limit,
        "eq": column == limit,
        "ne": column != limit,
    }[op]


def condition(tree: dict, attrs: dict[str, Any], settings: dict[str, Any], today: date):
    """A rule tree as a three-valued SQL condition (TRUE met, FALSE not met, NULL unknown)."""
    if "attr" in tree:
        return _leaf(tree, attrs, settings, today)
    mode = "all" if "all" in tree else "any"
    parts = [condition(node, attrs, settings, today) for node in tree[mode]]
    if not parts:
        return sa.true()
    return sa.and_(*parts) if mode == "all" else sa.or_(*parts)


def verdict(cond: Any) -> sa.ColumnElement[int]:
    """1 met, 0 not met, NULL unknown."""
    return sa.case((cond, 1), (sa.not_(cond), 0), else_=None)
