"""Program pages, settings and rule versions: state changes that add and flush, never commit."""

from typing import Any

import nh3
import sqlalchemy as sa
from sqlalchemy.orm import Session

from nutera.models import AidProgram, Kelurahan, ProgramInfo, ProgramRule, Setting, User
from nutera.programs import rules

# Formatting staff may use in program texts; everything else is stripped.
ALLOWED_TAGS = {
    "p",
    "br",
    "strong",
    "b",
    "em",
    "i",
    "u",
    "ul",
    "ol",
    "li",
    "h3",
    "h4",
    "a",
    "blockquote",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
UMR_KEY = "umr"
# UMK Kota Bandung 2025 (Kepgub Jabar 561.7/Kep.798-Kesra/2024): a starting value staff update.
DEFAULT_UMR = 4_482_914


def sanitize_html(text: str | None) -> str:
    """Keep a small safe subset of HTML; links get rel=noopener and only http(s)/mailto."""
    return nh3.clean(
        text or "",
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )


def settings_for(session: Session, kelurahan_id: int) -> dict[str, Any]:
    """Rule settings (the UMR) for a kelurahan, falling back to the deployment-wide value."""
    rows = session.execute(
        sa.select(Setting.kelurahan_id, Setting.value).where(
            Setting.key == UMR_KEY,
            sa.or_(Setting.kelurahan_id == kelurahan_id, Setting.kelurahan_id.is_(None)),
        )
    ).all()
    values = {k: v for k, v in rows}
    raw = values.get(kelurahan_id, values.get(None))
    return {UMR_KEY: int(raw) if raw and raw.isdigit() else None}


def set_umr(session: Session, kelurahan_id: int, amount: int) -> Setting:
    """Store the UMR figure rules compare incomes with, for one kelurahan."""
    setting = session.scalar(
        sa.select(Setting).where(Setting.kelurahan_id == kelurahan_id, Setting.key == UMR_KEY)
    )
    if setting is None:
        setting = Setting(kelurahan_id=kelurahan_id, key=UMR_KEY, value="")
        session.add(setting)
    setting.value = str(int(amount))
    session.flush()
    return setting


def current_rules(session: Session, program_ids: list[int]) -> dict[int, ProgramRule]:
    """The newest rule version of each program, in one query."""
    newest = (
        sa.select(ProgramRule.program_id, sa.func.max(ProgramRule.version).label("v"))
        .where(ProgramRule.program_id.in_(program_ids))
        .group_by(ProgramRule.program_id)
        .subquery()
    )
    found = session.scalars(
        sa.select(ProgramRule).join(
            newest,
            sa.and_(
                ProgramRule.program_id == newest.c.program_id, ProgramRule.version == newest.c.v
            ),
        )
    )
    return {rule.program_id: rule for rule in found}


def save_rule(
    session: Session, program: AidProgram, tree: dict[str, Any], user: User | None, note: str = ""
) -> ProgramRule:
    """Add a new version of the program's rule (earlier versions stay, for the record)."""
    rules.validate(tree)
    last = (
        session.scalar(
            sa.select(sa.func.max(ProgramRule.version)).where(ProgramRule.program_id == program.id)
        )
        or 0
    )
    rule = ProgramRule(
        program_id=program.id,
        kelurahan_id=program.kelurahan_id,
        version=last + 1,
        tree=tree,
        note=note[:255],
        created_by_id=user.id if user else None,
    )
    session.add(rule)
    session.flush()
    return rule


def info_for(session: Session, program: AidProgram) -> ProgramInfo:
    """The program's page, created empty if it has none yet."""
    info = session.scalar(sa.select(ProgramInfo).where(ProgramInfo.program_id == program.id))
    if info is None:
        info = ProgramInfo(
            program_id=program.id,
            kelurahan_id=program.kelurahan_id,
            benefit="",
            audience="",
            criteria_html="",
            documents_html="",
            schedule="",
            contact="",
        )
        session.add(info)
    return info


def save_program(session: Session, program: AidProgram, data: dict[str, Any]) -> AidProgram:
    """Update a program and its public page from form data; rich fields are sanitised."""
    if data.get("name"):
        program.name = data["name"].strip()
    if "description" in data:
        program.description = (data["description"] or "").strip()
    if "active" in data:
        program.active = bool(data["active"])
    info = info_for(session, program)
    for key in ("benefit", "audience", "schedule", "contact"):
        setattr(info, key, (data.get(key) or "").strip())
    info.criteria_html = sanitize_html(data.get("criteria_html"))
    info.documents_html = sanitize_html(data.get("documents_html"))
    session.flush()
    return program


def create_program(
    session: Session, kelurahan_id: int, code: str, name: str, target: str
) -> AidProgram:
    """A new program in a kelurahan (code is unique there)."""
    program = AidProgram(
        kelurahan_id=kelurahan_id,
        code=code.strip().upper(),
        name=name.strip(),
        target=target,
        description="",
        active=True,
    )
    session.add(program)
    session.flush()
    return program


def _umr() -> dict[str, str]:
    return {"setting": UMR_KEY}


_NOT_ASN = {"attr": "has_asn_tni_polri", "op": "eq", "value": False}
_POOR = {"attr": "income_per_capita", "op": "lt", "value": _umr()}
# DTSEN ranks households in ten welfare deciles; PKH and Sembako go to deciles 1-4.
_LOW_DECILE = {"attr": "desil", "op": "le", "value": 4}


def _has(attr: str) -> dict[str, Any]:
    return {"attr": attr, "op": "eq", "value": True}


# PKH components (Permensos 1/2018 jo. 10/2020): health (pregnant or postpartum, child 0-6),
# education (child at SD/SMP/SMA), social welfare (elderly 70+, severe disability).
PKH_COMPONENTS = [
    _has("has_pregnant"),
    _has("has_child_0_6"),
    _has("has_student"),
    _has("has_elderly_70"),
    _has("has_severe_disability"),
]
CRITERIA_SOURCES = {
    "PKH": "Permensos No. 1 Tahun 2018 jo. No. 10 Tahun 2020 tentang Program Keluarga "
    "Harapan; Inpres No. 4 Tahun 2025 tentang DTSEN (PKH dan Sembako: desil 1-4)",
    "BPNT": "Permensos No. 20 Tahun 2019 tentang Penyaluran Bantuan Pangan Non Tunai "
    "(Program Sembako); Inpres No. 4 Tahun 2025 tentang DTSEN (desil 1-4)",
    "BST": "Kepmensos No. 54/HUK/2020 tentang Bantuan Sosial Tunai (keluarga terdampak); "
    "Inpres No. 4 Tahun 2025 tentang DTSEN (desil 1-4)",
}
DEFAULTS: dict[str, dict[str, Any]] = {
    "PKH": {
        "benefit": "Bantuan tunai bersyarat yang dibayarkan bertahap melalui bank Himbara.",
        "audience": "Keluarga miskin (desil 1-4) dengan ibu hamil/nifas, anak usia dini, anak "
        "sekolah, lansia 70 tahun ke atas atau penyandang disabilitas berat.",
        "criteria_html": "<ul><li>Tercatat di DTSEN pada desil 1 sampai 4</li>"
        "<li>Tidak ada anggota keluarga ASN/TNI/POLRI</li>"
        "<li>Paling sedikit satu komponen: ibu hamil atau nifas; anak usia 0-6 tahun; anak "
        "SD, SMP atau SMA yang bersekolah; lansia 70 tahun ke atas; penyandang disabilitas "
        "berat</li></ul><p>Dasar: " + CRITERIA_SOURCES["PKH"] + ".</p>",
        "documents_html": "<ul><li>KTP dan Kartu Keluarga</li><li>Surat keterangan tidak "
        "mampu dari kelurahan (bila diminta)</li></ul>",
        "schedule": "Pencairan per triwulan (Januari, April, Juli, Oktober).",
        "contact": "Pendamping PKH di kantor Kelurahan, Senin-Jumat 08.00-15.00.",
        "tree": {"all": [_LOW_DECILE, _NOT_ASN, {"any": PKH_COMPONENTS}]},
    },
    "BPNT": {
        "benefit": "Bahan pangan bulanan (beras, telur, protein) melalui kartu di e-warong.",
        "audience": "Keluarga miskin dan rentan (desil 1-4).",
        "criteria_html": "<ul><li>Tercatat di DTSEN pada desil 1 sampai 4</li>"
        "<li>Tidak ada anggota keluarga ASN/TNI/POLRI</li></ul><p>Dasar: "
        + CRITERIA_SOURCES["BPNT"]
        + ".</p>",
        "documents_html": "<ul><li>KTP dan Kartu Keluarga</li></ul>",
        "schedule": "Setiap bulan di e-warong yang ditunjuk.",
        "contact": "Petugas kesejahteraan sosial kelurahan.",
        "tree": {"all": [_LOW_DECILE, _NOT_ASN]},
    },
    "BST": {
        "benefit": "Bantuan uang tunai untuk keluarga yang penghasilannya turun.",
        "audience": "Pedagang kecil, buruh harian dan penyandang disabilitas.",
        "criteria_html": "<ul><li>Tercatat di DTSEN pada desil 1 sampai 4</li>"
        "<li>Kepala keluarga pedagang kecil, buruh harian atau tidak bekerja, atau ada "
        "penyandang disabilitas</li><li>Bukan keluarga ASN/TNI/POLRI</li></ul><p>Dasar: "
        + CRITERIA_SOURCES["BST"]
        + ".</p>",
        "documents_html": "<ul><li>KTP dan Kartu Keluarga</li></ul>",
        "schedule": "Sesuai pengumuman Dinas Sosial.",
        "contact": "Kantor Kelurahan, loket pelayanan.",
        "tree": {
            "all": [
                _LOW_DECILE,
                _NOT_ASN,
                {
                    "any": [
                        {
                            "attr": "head_occupation",
                            "op": "in",
                            "value": ["pedagang kecil", "buruh harian", "tidak bekerja"],
                        },
                        {"attr": "has_disability", "op": "eq", "value": True},
                    ]
                },
            ]
        },
    },
    "ATM-BERAS": {
        "benefit": "Beras gratis dari mesin ATM Beras kelurahan.",
        "audience": "Keluarga rentan, terutama dengan lansia.",
        "criteria_html": "<ul><li>Penghasilan per kapita di bawah UMR Kota Bandung</li>"
        "<li>Bukan keluarga ASN/TNI/POLRI</li></ul>",
        "documents_html": "<ul><li>Kartu ATM Beras dari kelurahan</li></ul>",
        "schedule": "Setiap minggu, Selasa dan Jumat.",
        "contact": "Kantor Kelurahan.",
        "tree": {"all": [_POOR, _NOT_ASN]},
    },
}


def install_defaults(session: Session, kelurahan: Kelurahan) -> int:
    """Give the kelurahan's known programs a page and a first rule; set the UMR if unset."""
    if settings_for(session, kelurahan.id)[UMR_KEY] is None:
        set_umr(session, kelurahan.id, DEFAULT_UMR)
    programs = session.scalars(
        sa.select(AidProgram).where(
            AidProgram.kelurahan_id == kelurahan.id, AidProgram.code.in_(list(DEFAULTS))
        )
    ).all()
    existing = current_rules(session, [p.id for p in programs])
    done = 0
    for program in programs:
        if program.id in existing:
            continue
        default = DEFAULTS[program.code]
        save_program(session, program, default)
        source = CRITERIA_SOURCES.get(program.code)
        note = f"aturan awal; dasar: {source}" if source else "aturan awal"
        save_rule(session, program, default["tree"], None, note)
        done += 1
    return done
