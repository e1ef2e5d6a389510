"""A small city and a recipient list holding one row of every sanding status."""

import csv
import io
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy.orm import Session

from nutera.extensions import db
from nutera.models import Kelurahan, Person, ProgramExclusion, Refresh, Rt, Rw
from nutera.refresh import services as refresh_services
from tests import factories
from tests.factories_programs import program_with_rule

LIST_HEADER = ["NIK", "NO KK", "NAMA", "TGL LAHIR", "ALAMAT", "RT", "RW"]
SOURCE = "DTKS BPNT"


@dataclass
class City:
    """Ids of the city's records, by the case they illustrate."""

    kelurahan_id: int
    other_kelurahan_id: int
    far_kelurahan_id: int
    staff_id: int
    other_staff_id: int
    admin_id: int
    person_ids: dict[str, int] = field(default_factory=dict)
    niks: dict[str, str] = field(default_factory=dict)
    kks: dict[str, str] = field(default_factory=dict)


def _resident(session, rt, key, city, name, born, sex="L", status="hidup", **attrs):
    household = factories.make_household(
        session,
        rt,
        [{"name": name, "sex": sex, "birth_date": born, "relation": "kepala", "status": status}],
    )
    person = household.members[0]
    # Recorded income, so the program's criteria can be checked (unrecorded data is a
    # status of its own, belum_tercatat, never a pass).
    attrs.setdefault("monthly_income", 1_000_000)
    for attr, value in attrs.items():
        setattr(person, attr, value)
    city.person_ids[key] = person.id
    city.niks[key] = person.nik
    city.kks[key] = household.kk_number
    return person


def one_digit_typo(nik: str) -> str:
    """nik with its last serial digit changed."""
    last = int(nik[-1])
    return nik[:-1] + str((last + 1) % 10)


def adjacent_swap(nik: str) -> str:
    """nik with two adjacent differing serial digits swapped."""
    for index in range(15, 11, -1):
        if nik[index] != nik[index - 1]:
            return nik[: index - 1] + nik[index] + nik[index - 1] + nik[index + 1 :]
    raise ValueError("no two different adjacent serial digits")


def build_city(session: Session) -> City:
    """Tamansari (the list's), Lebakgede (same city), Cimahi's Padasuka (another city)."""
    tamansari = factories.make_kelurahan(session, "3273021003", "Tamansari")
    lebakgede = factories.make_kelurahan(session, "3273031002", "Lebakgede", rts_per_rw=(1,))
    padasuka = Kelurahan(
        code="3277011001",
        name="Padasuka",
        kecamatan="Cimahi Tengah",
        kota="Kota Cimahi",
        kode_pos="40526",
    )
    session.add(padasuka)
    session.flush()
    far_rw = Rw(kelurahan_id=padasuka.id, number=1)
    session.add(far_rw)
    session.flush()
    far_rt = Rt(kelurahan_id=padasuka.id, rw_id=far_rw.id, number=1)
    session.add(far_rt)
    session.flush()
    city = City(
        kelurahan_id=tamansari.id,
        other_kelurahan_id=lebakgede.id,
        far_kelurahan_id=padasuka.id,
        staff_id=factories.make_user(session, "petugas", "staff", tamansari).id,
        other_staff_id=factories.make_user(session, "petugas.lain", "staff", lebakgede).id,
        admin_id=factories.make_user(session, "admin", "admin", None).id,
    )
    factories.make_user(session, "petugas.dua", "staff", tamansari)
    rt = factories.rt_of(tamansari, 1, 1)
    rt2 = factories.rt_of(tamansari, 1, 2)
    _resident(session, rt, "valid", city, "SITI AMINAH", date(1978, 3, 12), "P")
    _resident(session, rt, "variant", city, "MUHAMMAD RIZKI", date(1990, 7, 1))
    _resident(session, rt, "typo", city, "NURHAYATI", date(1980, 5, 5), "P")
    _resident(session, rt2, "swap", city, "AHMAD FAUZI", date(1982, 9, 9))
    _resident(session, rt2, "other_nik", city, "BAMBANG SUTRISNO", date(1970, 1, 1))
    _resident(session, rt, "deceased", city, "SUKIMAN", date(1940, 2, 2), status="meninggal")
    _resident(session, rt, "moved", city, "AGUS SALIM", date(1975, 4, 4), status="pindah")
    _resident(
        session,
        factories.rt_of(lebakgede, 1, 1),
        "elsewhere",
        city,
        "DEWI SARTIKA",
        date(1985, 6, 6),
        "P",
    )
    _resident(session, far_rt, "far", city, "RUDI HARTONO", date(1983, 8, 8))
    _resident(session, rt, "renamed", city, "JOKO WIDODO", date(1961, 6, 21))
    _resident(session, rt, "kk", city, "EKO PRASETYO", date(1979, 11, 11))
    _resident(session, rt2, "excluded", city, "ANI LESTARI", date(1988, 12, 12), "P")
    _resident(
        session,
        rt2,
        "asn",
        city,
        "HADI SUSANTO",
        date(1972, 10, 10),
        is_asn_tni_polri=True,
        monthly_income=6_000_000,
    )
    pkh = factories.make_program(session, tamansari, "PKH")
    household_of_excluded = session.get(Person, city.person_ids["excluded"]).household
    factories.enroll(session, pkh, household_of_excluded)
    program_with_rule(session, tamansari, "BPNT")
    session.add(ProgramExclusion(code_a="BPNT", code_b="PKH"))
    session.flush()
    return city


CASES = (
    "valid",
    "variant",
    "typo",
    "swap",
    "other_nik",
    "deceased",
    "moved",
    "elsewhere",
    "far",
    "unknown",
    "renamed",
    "kk",
    "excluded",
    "asn",
    "twice",
    "unreadable",
)


def list_rows(city: City) -> dict[str, list[str]]:
    """One list row per case (NIK, KK, name, birth date, address, RT, RW)."""
    n, k = city.niks, city.kks

    def row(nik, kk, name, born, rt="1"):
        return [nik, kk, name, born, "Jl. Uji No. 1", rt, "1"]

    rows = {
        "valid": row(n["valid"], k["valid"], "Siti Aminah", "12-03-1978"),
        "variant": row(n["variant"], k["variant"], "M. Rizki", "01-07-1990"),
        "typo": row(one_digit_typo(n["typo"]), k["typo"], "Nur Hayati", "05-05-1980"),
        "swap": row(adjacent_swap(n["swap"]), k["swap"], "Ahmad Fauzi", "09-09-1982", "2"),
        "other_nik": row(
            factories.make_nik(date(1970, 1, 1), serial=9321),
            "",
            "Drs. Bambang Sutrisno",
            "01-01-1970",
            "2",
        ),
        "deceased": row(n["deceased"], k["deceased"], "Sukiman", "02-02-1940"),
        "moved": row(n["moved"], k["moved"], "Agus Salim", "04-04-1975"),
        "elsewhere": row(n["elsewhere"], k["elsewhere"], "Dewi Sartika", "06-06-1985"),
        "far": row(n["far"], k["far"], "Rudi Hartono", "08-08-1983"),
        "unknown": row("3277010101900077", "", "Orang Asing", "01-01-1990"),
        "renamed": row(n["renamed"], k["renamed"], "Slamet Riyadi", "21-06-1961"),
        "kk": row(n["kk"], factories.make_kk(serial=4321), "Eko Prasetyo", "11-11-1979"),
        "excluded": row(n["excluded"], k["excluded"], "Ani Lestari", "12-12-1988", "2"),
        "asn": row(n["asn"], k["asn"], "Hadi Susanto", "10-10-1972", "2"),
        "twice": row(n["valid"], k["valid"], "Siti Aminah", "12-03-1978"),
        "unreadable": row("12345", "", "Tanpa NIK", "01-01-1990"),
    }
    assert tuple(rows) == CASES
    return rows


def list_csv(rows: list[list[str]]) -> bytes:
    """A recipient list as a CSV file's bytes."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(LIST_HEADER)
    writer.writerows(rows)
    return buffer.getvalue().encode()


def validated_list(
    city: City, upload_folder: str | Path, rows: list[list[str]] | None = None
) -> Refresh:
    """Upload, map and validate the list (synchronously) as Tamansari's staff."""
    rows = rows if rows is not None else list(list_rows(city).values())
    upload = refresh_services.start_upload(
        db.session,
        city.kelurahan_id,
        city.staff_id,
        SOURCE,
        io.BytesIO(list_csv(rows)),
        "daftar.csv",
        str(upload_folder),
        kind="penerima",
        program="BPNT",
    )
    refresh = upload.refresh
    refresh_services.confirm_mapping(db.session, refresh, refresh.mapping)
    refresh_services.analyse(db.session, refresh)
    db.session.commit()
    return refresh
