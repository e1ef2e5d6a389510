"""Checks on what a volunteer typed that need no database: NIK against birth date and sex."""

from datetime import date

from nutera.identity import IdentityError, parse_nik


def period_of(day: date) -> str:
    """The survey period (calendar quarter) a day falls in, e.g. '2026-Q4'."""
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def period_label(period: str) -> str:
    """'2026-Q4' -> 'Triwulan IV 2026'."""
    year, quarter = period.split("-Q")
    return f"Triwulan {['I', 'II', 'III', 'IV'][int(quarter) - 1]} {year}"


def member_problems(member: dict, today: date | None = None) -> dict[str, str]:
    """Errors per field of one member (NIK, and birth date/sex against the NIK)."""
    problems: dict[str, str] = {}
    nik = (member.get("nik") or "").strip()
    if not nik:
        if not member.get("no_ktp"):
            problems["nik"] = (
                "NIK wajib diisi. Bila warga tidak punya KTP/NIK, centang 'Tidak punya KTP'."
            )
        return problems
    try:
        info = parse_nik(nik, today)
    except IdentityError as error:
        problems["nik"] = str(error)
        return problems
    birth_date, sex = member.get("birth_date"), member.get("sex")
    if member.get("confirm_mismatch"):
        return problems
    if info.district_warning:
        problems["nik"] = info.district_warning
    if birth_date is not None and birth_date != info.birth_date:
        problems["birth_date"] = (
            f"Tidak cocok dengan NIK (NIK menunjukkan lahir {info.birth_date:%d-%m-%Y}). "
            "Perbaiki, atau centang konfirmasi bila KTP memang tertulis demikian."
        )
    if sex and sex != info.sex:
        shown = "laki-laki" if info.sex == "L" else "perempuan"
        problems["sex"] = (
            f"Tidak cocok dengan NIK (NIK menunjukkan {shown}). Perbaiki, atau "
            "centang konfirmasi bila KTP memang tertulis demikian."
        )
    return problems


def nik_matches(nik: str | None, birth_date: date, sex: str) -> bool:
    """Whether a valid NIK encodes this birth date and sex (False when it cannot be read)."""
    try:
        info = parse_nik(nik)
    except IdentityError:
        return False
    return info.birth_date == birth_date and info.sex == sex


def duplicate_niks(members: list[dict]) -> dict[int, str]:
    """Positions (index in members) whose NIK already appeared earlier in the same survey."""
    seen: dict[str, int] = {}
    duplicates = {}
    for index, member in enumerate(members):
        nik = (member.get("nik") or "").strip()
        if not nik:
            continue
        if nik in seen:
            duplicates[index] = (
                f"NIK ini sudah diisi untuk anggota ke-{seen[nik] + 1} pada survei ini."
            )
        else:
            seen[nik] = index
    return duplicates
