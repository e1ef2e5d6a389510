"""Staff forms: program pages, a rule editor made of rows, the UMR figure."""

import re
from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields import SelectChoice
from wtforms.validators import DataRequired, Length, Regexp

from nutera.models import TARGETS
from nutera.programs.rules import ATTRIBUTES, NUMERIC_KINDS, OPERATORS

RULE_ROWS = 8
GROUPS = [("", "Utama"), ("A", "Kelompok A"), ("B", "Kelompok B"), ("C", "Kelompok C")]


def choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs as WTForms select choices."""
    return [SelectChoice(value, label) for value, label in pairs]


_YES = {"ya", "y", "true", "1", "ada"}
_NO = {"tidak", "t", "false", "0", "tidak ada", "bukan"}


class ProgramForm(FlaskForm):
    """What residents read on a program's page."""

    name = StringField(
        "Nama program", validators=[DataRequired("Nama wajib diisi."), Length(max=120)]
    )
    description = TextAreaField("Ringkasan singkat", validators=[Length(max=500)])
    benefit = TextAreaField("Apa yang diberikan", validators=[Length(max=2000)])
    audience = TextAreaField("Untuk siapa", validators=[Length(max=2000)])
    criteria_html = TextAreaField(
        "Syarat", validators=[Length(max=10000)], render_kw={"data-rich-text": ""}
    )
    documents_html = TextAreaField(
        "Dokumen yang diperlukan",
        validators=[Length(max=10000)],
        render_kw={"data-rich-text": ""},
    )
    schedule = TextAreaField("Jadwal", validators=[Length(max=2000)])
    contact = TextAreaField("Tempat bertanya", validators=[Length(max=2000)])
    active = BooleanField("Tampilkan di halaman publik")
    submit = SubmitField("Simpan")


class NewProgramForm(FlaskForm):
    """A program the kelurahan adds."""

    code = StringField(
        "Kode",
        validators=[
            DataRequired("Kode wajib diisi."),
            Regexp(r"^[A-Za-z0-9-]{2,20}$", message="Kode 2-20 huruf, angka atau tanda minus."),
        ],
    )
    name = StringField(
        "Nama program", validators=[DataRequired("Nama wajib diisi."), Length(max=120)]
    )
    target = SelectField("Sasaran", choices=choices(TARGETS.items()))
    submit = SubmitField("Tambah program")


class RuleRowForm(Form):
    """One condition: attribute, operator, value."""

    # Choices are checked in RuleForm.to_tree, so that unused rows may stay empty.
    group = SelectField("Kelompok", choices=choices(GROUPS), default="", validate_choice=False)
    attr = SelectField(
        "Data",
        choices=choices([("", "—")] + [(k, a.label) for k, a in ATTRIBUTES.items()]),
        validate_choice=False,
    )
    op = SelectField("Pembanding", choices=choices(OPERATORS.items()), validate_choice=False)
    value = StringField("Nilai")


class RuleForm(FlaskForm):
    """A rule without code: rows of conditions, combined with all or any."""

    mode = SelectField(
        "Gabungan syarat utama",
        choices=choices(
            [("all", "Semua syarat harus terpenuhi"), ("any", "Cukup salah satu syarat")]
        ),
    )
    rows = FieldList(FormField(RuleRowForm), min_entries=RULE_ROWS, max_entries=RULE_ROWS)
    note = StringField("Catatan perubahan", validators=[Length(max=255)])
    submit = SubmitField("Simpan versi baru")

    def to_tree(self) -> dict[str, Any] | None:
        """The rule tree, or None after putting an error next to each bad row."""
        top: list[dict[str, Any]] = []
        groups: dict[str, list[dict[str, Any]]] = {}
        ok = True
        for row in self.rows:
            if not row.attr.data:
                continue
            if (
                row.attr.data not in ATTRIBUTES
                or row.op.data not in OPERATORS
                or row.group.data not in dict(GROUPS)
            ):
                row.attr.errors = ["Pilihan tidak dikenal."]
                ok = False
                continue
            try:
                leaf = parse_row(row.attr.data, row.op.data, row.value.data or "")
            except ValueError as error:
                row.value.errors = [str(error)]
                ok = False
                continue
            (groups.setdefault(row.group.data, []) if row.group.data else top).append(leaf)
        if not ok:
            return None
        if not top and not groups:
            self.rows[0].attr.errors = ["Isi paling sedikit satu syarat."]
            return None
        inner = "any" if self.mode.data == "all" else "all"
        top.extend({inner: leaves} for _, leaves in sorted(groups.items()))
        return {self.mode.data: top}

    def load_tree(self, tree: dict[str, Any]) -> bool:
        """Fill the rows from a tree; False when the tree is deeper than the form can show."""
        mode = "all" if "all" in tree else "any"
        self.mode.data = mode
        rows: list[tuple[str, dict[str, Any]]] = []
        letters = iter("ABC")
        flat = True
        for node in tree[mode]:
            if "attr" in node:
                rows.append(("", node))
                continue
            letter = next(letters, None)
            for leaf in next(iter(node.values())):
                if "attr" not in leaf or letter is None:
                    flat = False
                    continue
                rows.append((letter, leaf))
        for entry, (group, leaf) in zip(self.rows, rows, strict=False):
            entry.group.data, entry.attr.data, entry.op.data = group, leaf["attr"], leaf["op"]
            entry.value.data = format_row_value(leaf)
        return flat and len(rows) <= RULE_ROWS


def _number(text: str) -> int:
    digits = re.sub(r"[\s.]|^rp", "", text.strip().lower())
    if not digits.isdigit():
        raise ValueError("Isi dengan angka, misalnya 1.300.000.")
    return int(digits)


def _choice(attr_key: str, text: str) -> str:
    choices = ATTRIBUTES[attr_key].choices or {}
    needle = text.strip().lower()
    for key, label in choices.items():
        if needle in (key.lower(), label.lower()):
            return key
    raise ValueError("Pilih salah satu: " + ", ".join(choices.values()) + ".")


def parse_row(attr_key: str, op: str, text: str) -> dict[str, Any]:
    """Turn one editor row into a rule leaf, or raise ValueError with an Indonesian message."""
    attr = ATTRIBUTES[attr_key]
    listed = op in ("in", "not_in")
    if not text.strip():
        raise ValueError("Nilai wajib diisi.")
    if attr.kind == "bool":
        if op not in ("eq", "ne"):
            raise ValueError("Untuk data ya/tidak gunakan pembanding 'sama dengan' atau 'bukan'.")
        word = text.strip().lower()
        if word not in _YES | _NO:
            raise ValueError("Isi 'ya' atau 'tidak'.")
        return {"attr": attr_key, "op": op, "value": word in _YES}
    if attr.kind in NUMERIC_KINDS:
        if listed:
            raise ValueError("Untuk angka gunakan pembanding kurang dari/lebih dari.")
        if text.strip().upper() == "UMR":
            if attr.kind != "rupiah":
                raise ValueError("UMR hanya untuk data rupiah.")
            return {"attr": attr_key, "op": op, "value": {"setting": "umr"}}
        return {"attr": attr_key, "op": op, "value": _number(text)}
    parts = [p.strip() for p in text.split(",") if p.strip()] if listed else [text.strip()]
    if attr.kind == "choice":
        parts = [_choice(attr_key, p) for p in parts]
    elif op in ("lt", "le", "gt", "ge"):
        raise ValueError("Untuk teks gunakan 'sama dengan', 'bukan' atau 'salah satu dari'.")
    else:
        parts = [p.lower() for p in parts]
    return {"attr": attr_key, "op": op, "value": parts if listed else parts[0]}


def format_row_value(leaf: dict[str, Any]) -> str:
    """A leaf's value as staff type it in the editor."""
    value = leaf.get("value")
    if isinstance(value, dict):
        return value.get("setting", "").upper()
    if isinstance(value, bool):
        return "ya" if value else "tidak"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


class UmrForm(FlaskForm):
    """The UMR figure rules compare incomes with."""

    amount = StringField(
        "UMR Kota Bandung (rupiah per bulan)",
        validators=[DataRequired("UMR wajib diisi.")],
        render_kw={"inputmode": "numeric"},
    )
    submit_umr = SubmitField("Simpan UMR")

    def value(self) -> int | None:
        """The amount in rupiah, or None after setting the field error."""
        try:
            return _number(self.amount.data or "")
        except ValueError as error:
            self.amount.errors = [str(error)]
            return None
