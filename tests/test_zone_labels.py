"""Times and days follow the kelurahan's own zone, never a hard-coded WIB."""

from datetime import UTC, datetime, time

from nutera.distribution.pdfs import time_slot
from nutera.equity.indicators import local_today
from nutera.models import DistributionEvent, Kelurahan


def _kelurahan(zone: str | None) -> Kelurahan:
    return Kelurahan(code="6472011001", name="Uji", time_zone=zone)


def test_invited_hours_carry_the_kelurahans_zone():
    event = DistributionEvent(time_start=time(8), time_end=time(11))
    event.kelurahan = _kelurahan("Asia/Makassar")
    assert time_slot(event) == "08.00-11.00 WITA"
    event.kelurahan = _kelurahan("Asia/Jayapura")
    assert time_slot(event) == "08.00-11.00 WIT"


def test_equity_counts_ages_on_the_kelurahans_own_day():
    late_evening_in_java = datetime(2026, 11, 30, 16, 30, tzinfo=UTC)  # 23.30 WIB
    assert local_today(late_evening_in_java, _kelurahan("Asia/Jakarta")).day == 30
    assert local_today(late_evening_in_java, _kelurahan("Asia/Makassar")).day == 1  # 00.30 WITA
