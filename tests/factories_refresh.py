"""Builders for refresh tests: a kelurahan shaped like the sample extracts, and small files."""

import csv
import shutil
from pathlib import Path

from sqlalchemy.orm import Session

from nutera.models import Kelurahan
from tests import factories

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"  # CI keeps ../shared beside the clone
if not SHARED_DATA.exists():
    SHARED_DATA = Path("/work/shared/data")
DATA = Path(__file__).resolve().parent / "data"
HEADER = [
    "NO",
    "NIK",
    "NO KK",
    "NAMA",
    "JENIS KELAMIN",
    "TGL LAHIR",
    "ALAMAT",
    "RT",
    "RW",
    "BANSOS",
]


def make_sample_kelurahan(session: Session) -> Kelurahan:
    """Tamansari with RW 01-05, each with RT 01-05 (what the sample files use), plus programs."""
    kelurahan = factories.make_kelurahan(
        session, "3273021003", "Tamansari", rts_per_rw=(5, 5, 5, 5, 5)
    )
    for code in ("PKH", "BST", "BPNT"):
        factories.make_program(session, kelurahan, code=code)
    return kelurahan


def copy_sample(name: str, folder: Path) -> Path:
    """A private copy of a shared sample file (the import may write beside it)."""
    target = folder / name
    shutil.copy(SHARED_DATA / name, target)
    return target


def write_csv(
    path: Path,
    rows: list[list[str]],
    *,
    delimiter: str = ";",
    encoding: str = "utf-8-sig",
    title_rows: int = 2,
    header: list[str] = HEADER,
) -> Path:
    """A kelurahan-style CSV: title rows, the header, data rows and a JUMLAH footer."""
    with open(path, "w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        for index in range(title_rows):
            writer.writerow([f"DATA UJI KELURAHAN TAMANSARI {index + 1}"] + [""] * 3)
        writer.writerow(header)
        for number, row in enumerate(rows, start=1):
            writer.writerow([str(number)] + row)
        writer.writerow(["", "", "", "JUMLAH", str(len(rows))])
    return path
