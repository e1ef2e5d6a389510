"""Eligibility rules: a JSON tree of all/any over comparisons of named attributes.

A tree is {"all": [node, ...]} or {"any": [node, ...]}; a leaf is
{"attr": "income_per_capita", "op": "lt", "value": {"setting": "umr"}}. Evaluation is
three-valued: an attribute nobody recorded yet gives "belum diketahui", never a guess.
Plain functions only: no request, no database.
"""

from dataclasses import dataclass, field
from typing import Any

from nutera.formatting import number_id, rupiah
from nutera.models import (
    FLOORS,
    HOUSE_OWNERSHIP,
    RESIDENCES,
    ROOFS,
    TOILETS,
    WALLS,
    WATER_SOURCES,
)

MET, NOT_MET, UNKNOWN = "memenuhi", "tidak memenuhi", "belum diketahui"


@dataclass(frozen=True)
class Attribute:
    """A named fact about a household or person that rules can compare."""

    label: str
    kind: str  # rupiah, number, years, va, bool, choice, text
    choices: dict[str, str] | None = None
    yes: str = ""  # bool: phrase when true
    no: str = ""  # bool: phrase when false


ATTRIBUTES: dict[str, Attribute] = {
    "income_per_capita": Attribute("penghasilan per kapita", "rupiah"),
    "household_income": Attribute("penghasilan keluarga per bulan", "rupiah"),
    "member_count": Attribute("jumlah anggota keluarga", "number"),
    "has_asn_tni_polri": Attribute(
        "anggota ASN/TNI/POLRI",
        "bool",
        yes="ada anggota keluarga ASN/TNI/POLRI",
        no="tidak ada anggota keluarga ASN/TNI/POLRI",
    ),
    "has_disability": Attribute(
        "anggota penyandang disabilitas",
        "bool",
        yes="ada anggota keluarga penyandang disabilitas",
        no="tidak ada anggota keluarga penyandang disabilitas",
    ),
    "has_elderly": Attribute(
        "anggota lansia (60 tahun ke atas)",
        "bool",
        yes="ada anggota keluarga lansia",
        no="tidak ada anggota lansia",
    ),
    "has_school_child": Attribute(
        "anak usia sekolah (6-18 tahun)",
        "bool",
        yes="ada anak usia sekolah",
        no="tidak ada anak usia sekolah",
    ),
    "has_toddler": Attribute("balita", "bool", yes="ada balita", no="tidak ada balita"),
    "has_pregnant": Attribute(
        "anggota hamil atau nifas",
        "bool",
        yes="ada anggota keluarga yang hamil atau nifas",
        no="tidak ada anggota yang hamil atau nifas",
    ),
    "has_child_0_6": Attribute(
        "anak usia dini (0-6 tahun)",
        "bool",
        yes="ada anak usia dini (0-6 tahun)",
        no="tidak ada anak usia 0-6 tahun",
    ),
    "has_child_sd": Attribute(
        "anak usia SD (7-12 tahun)", "bool", yes="ada anak usia SD", no="tidak ada anak usia SD"
    ),
    "has_child_smp": Attribute(
        "anak usia SMP (13-15 tahun)",
        "bool",
        yes="ada anak usia SMP",
        no="tidak ada anak usia SMP",
    ),
    "has_child_sma": Attribute(
        "anak usia SMA (16-18 tahun)",
        "bool",
        yes="ada anak usia SMA",
        no="tidak ada anak usia SMA",
    ),
    "has_student": Attribute(
        "anak usia sekolah yang bersekolah (7-18 tahun)",
        "bool",
        yes="ada anak usia 7-18 tahun yang masih bersekolah",
        no="tidak ada anak usia 7-18 tahun yang bersekolah",
    ),
    "has_elderly_70": Attribute(
        "anggota lansia 70 tahun ke atas",
        "bool",
        yes="ada anggota keluarga berusia 70 tahun ke atas",
        no="tidak ada anggota berusia 70 tahun ke atas",
    ),
    "has_severe_disability": Attribute(
        "anggota penyandang disabilitas berat",
        "bool",
        yes="ada anggota penyandang disabilitas berat",
        no="tidak ada anggota penyandang disabilitas berat",
    ),
    "desil": Attribute("desil kesejahteraan (DTSEN/DTKS)", "number"),
    "head_occupation": Attribute("pekerjaan kepala keluarga", "text"),
    "head_residence": Attribute("status tinggal kepala keluarga", "choice", RESIDENCES),
    "ownership": Attribute("status rumah", "choice", HOUSE_OWNERSHIP),
    "floor": Attribute("lantai rumah", "choice", FLOORS),
    "wall": Attribute("dinding rumah", "choice", WALLS),
    "roof": Attribute("atap rumah", "choice", ROOFS),
    "water_source": Attribute("sumber air minum", "choice", WATER_SOURCES),
    "toilet": Attribute("jamban", "choice", TOILETS),
    "electricity_va": Attribute("daya listrik", "va"),
    "age": Attribute("usia", "years"),
    "occupation": Attribute("pekerjaan", "text"),
    "monthly_income": Attribute("penghasilan pribadi per bulan", "rupiah"),
    "disability": Attribute(
        "disabilitas", "bool", yes="penyandang disabilitas", no="bukan penyandang disabilitas"
    ),
    "is_asn_tni_polri": Attribute(
        "ASN/TNI/POLRI", "bool", yes="ASN/TNI/POLRI", no="bukan ASN/TNI/POLRI"
    ),
    "has_ktp": Attribute("KTP", "bool", yes="memiliki KTP", no="belum memiliki KTP"),
    "residence": Attribute("status tinggal", "choice", RESIDENCES),
}

OPERATORS = {
    "lt": "kurang dari",
    "le": "paling banyak",
    "gt": "lebih dari",
    "ge": "paling sedikit",
    "eq": "sama dengan",
    "ne": "bukan",
    "in": "salah satu dari",
    "not_in": "bukan salah satu dari",
}
NUMERIC_KINDS = {"rupiah", "number", "years", "va"}
SETTING_LABELS = {"umr": "UMR Kota Bandung"}

# (phrase when met, phrase when not met) for numeric comparisons.
_NUMERIC_PHRASES = {
    "lt": ("di bawah batas", "tidak di bawah batas"),
    "le": ("tidak melebihi batas", "di atas batas"),
    "gt": ("di atas batas", "tidak di atas batas"),
    "ge": ("mencapai batas minimal", "di bawah batas minimal"),
    "eq": ("sama dengan", "tidak sama dengan"),
    "ne": ("tidak sama dengan", "sama dengan"),
}


class RuleError(ValueError):
    """A rule tree that cannot be evaluated; the message is Indonesian."""


@dataclass(frozen=True)
class Check:
    """The outcome of one comparison and its explanation."""

    status: str  # MET, NOT_MET or UNKNOWN
    text: str

    def __str__(self) -> str:
        return f"{self.status}: {self.text}"


@dataclass(frozen=True)
class Verdict:
    """The outcome of a whole rule tree, explained by the checks that decided it."""

    status: str
    checks: list[Check] = field(default_factory=list)

    @property
    def eligible(self) -> bool | None:
        """True, False, or None when the data needed is not recorded yet."""
        return {MET: True, NOT_MET: False}.get(self.status)

    @property
    def reasons(self) -> list[str]:
        """The checks that decided the outcome, as Indonesian sentences."""
        deciding = [c for c in self.checks if c.status == self.status] or self.checks
        return [str(c) for c in deciding]

    @property
    def explanation(self) -> str:
        """All deciding reasons in one line."""
        return "; ".join(self.reasons)

    @property
    def unrecorded(self) -> list[str]:
        """What could not be checked because nobody recorded it (empty unless unknown)."""
        if self.status != UNKNOWN:
            return []
        return [c.text for c in self.checks if c.status == UNKNOWN]


def format_value(attr: Attribute, value: Any) -> str:
    """A value as residents read it: rupiah, '900 VA', '67 tahun', a choice label."""
    if isinstance(value, (list, tuple)):
        return ", ".join(format_value(attr, v) for v in value)
    if attr.kind == "rupiah":
        return rupiah(value)
    if attr.kind == "va":
        return f"{number_id(value)} VA"
    if attr.kind == "years":
        return f"{number_id(value)} tahun"
    if attr.kind == "number":
        return number_id(value)
    if attr.kind == "choice" and attr.choices:
        return attr.choices.get(value, str(value))
    if attr.kind == "bool":
        return "ya" if value else "tidak"
    return str(value)


def _limit(value: Any, settings: dict[str, Any]) -> tuple[Any, str | None]:
    """Resolve a {"setting": key} reference; returns (value, setting key or None)."""
    if isinstance(value, dict) and "setting" in value:
        return settings.get(value["setting"]), value["setting"]
    return value, None


def _normal(value: Any) -> Any:
    return " ".join(value.lower().split()) if isinstance(value, str) else value


def _compare(op: str, actual: Any, limit: Any) -> bool:
    if op in ("in", "not_in"):
        found = _normal(actual) in {_normal(v) for v in limit}
        return found if op == "in" else not found
    actual, limit = _normal(actual), _normal(limit)
    return {
        "lt": lambda: actual < limit,
        "le": lambda: actual <= limit,
        "gt": lambda: actual > limit,
        "ge": lambda: actual >= limit,
        "eq": lambda: actual == limit,
        "ne": lambda: actual != limit,
    }[op]()


def _check(leaf: dict[str, Any], context: dict[str, Any], settings: dict[str, Any]) -> Check:
    attr = ATTRIBUTES[leaf["attr"]]
    op = leaf["op"]
    limit, setting_key = _limit(leaf.get("value"), settings)
    if setting_key and limit is None:
        return Check(UNKNOWN, f"batas {SETTING_LABELS.get(setting_key, setting_key)} belum diatur")
    actual = context.get(leaf["attr"])
    if actual is None:
        return Check(UNKNOWN, f"{attr.label} belum tercatat")
    met = _compare(op, actual, limit)
    status = MET if met else NOT_MET
    if attr.kind == "bool":
        return Check(status, attr.yes if actual else attr.no)
    shown, bound = format_value(attr, actual), format_value(attr, limit)
    if attr.kind in NUMERIC_KINDS:
        phrase = _NUMERIC_PHRASES[op][0 if met else 1]
        return Check(status, f"{attr.label} {shown} {phrase} {bound}")
    if op in ("in", "not_in"):
        inside = met if op == "in" else not met
        return Check(
            status, f"{attr.label} {shown} {'termasuk' if inside else 'tidak termasuk'} ({bound})"
        )
    equal = met if op == "eq" else not met
    return Check(status, f"{attr.label} {shown}" + ("" if equal else f", bukan {bound}"))


def evaluate(
    tree: dict[str, Any], context: dict[str, Any], settings: dict[str, Any] | None = None
) -> Verdict:
    """Evaluate a rule tree against one household's or person's attributes."""
    settings = settings or {}
    if "attr" in tree:
        check = _check(tree, context, settings)
        return Verdict(check.status, [check])
    mode = "all" if "all" in tree else "any"
    parts = [evaluate(node, context, settings) for node in tree[mode]]
    checks = [c for part in parts for c in part.checks]
    statuses = {p.status for p in parts}
    if mode == "all":
        status = NOT_MET if NOT_MET in statuses else UNKNOWN if UNKNOWN in statuses else MET
    else:
        status = MET if MET in statuses else UNKNOWN if UNKNOWN in statuses else NOT_MET
    if not parts:
        status = MET
    if mode == "all" and status == NOT_MET or mode == "any" and status == MET:
        # The deciding checks are those of the deciding parts only.
        checks = [c for p in parts if p.status == status for c in p.checks]
    return Verdict(status, checks)


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def describe(tree: dict[str, Any], settings: dict[str, Any] | None = None) -> list[str]:
    """The rule in plain Indonesian, one line per condition, for public pages."""
    settings = settings or {}
    if "attr" in tree:
        attr = ATTRIBUTES[tree["attr"]]
        limit, key = _limit(tree.get("value"), settings)
        if attr.kind == "bool":
            return [_sentence(attr.yes if bool(limit) == (tree["op"] == "eq") else attr.no)]
        shown = format_value(attr, limit) if limit is not None else "(belum diatur)"
        if key:
            shown += f" ({SETTING_LABELS.get(key, key)})"
        return [_sentence(f"{attr.label} {OPERATORS[tree['op']]} {shown}")]
    mode = "all" if "all" in tree else "any"
    lines = [line for node in tree[mode] for line in describe(node, settings)]
    if mode == "any" and len(lines) > 1:
        return ["Salah satu dari: " + "; ".join(line[0].lower() + line[1:] for line in lines)]
    return lines


def validate(tree: Any, depth: int = 0) -> None:
    """Raise RuleError unless tree is a well-formed rule tree."""
    if not isinstance(tree, dict) or depth > 4:
        raise RuleError("Aturan tidak dikenali.")
    if "attr" in tree:
        if tree["attr"] not in ATTRIBUTES:
            raise RuleError(f"Data '{tree['attr']}' tidak dikenal.")
        if tree.get("op") not in OPERATORS:
            raise RuleError(f"Pembanding '{tree.get('op')}' tidak dikenal.")
        value = tree.get("value")
        if tree["op"] in ("in", "not_in") and not isinstance(value, list):
            raise RuleError("Pembanding 'salah satu dari' memerlukan daftar nilai.")
        return
    keys = [k for k in ("all", "any") if k in tree]
    if len(keys) != 1 or not isinstance(tree[keys[0]], list):
        raise RuleError("Aturan harus berupa 'semua' atau 'salah satu' dari beberapa syarat.")
    for node in tree[keys[0]]:
        validate(node, depth + 1)
