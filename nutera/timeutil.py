"""The one place for time: store UTC, show and count days in the kelurahan's own zone.

Every kelurahan has a time zone (WIB Asia/Jakarta, WITA Asia/Makassar, WIT Asia/Jayapura),
by default its province's. "Today" for a kelurahan is today there, not on the server.
"""

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

DEFAULT_ZONE = "Asia/Jakarta"
ZONE_NAMES = {"Asia/Jakarta": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}
MONTHS = [
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
]


def utcnow() -> datetime:
    """The current time, aware, in UTC (a callable column default, evaluated per row)."""
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """A stored time as an aware UTC datetime (SQLite hands them back naive)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@lru_cache(maxsize=16)
def zone(name: str | None = None) -> ZoneInfo:
    """The ZoneInfo of an IANA name (the default zone when none is given)."""
    return ZoneInfo(name or DEFAULT_ZONE)


def zone_of(place: object = None) -> str:
    """The IANA zone of a kelurahan (or anything with a time_zone), a zone name, or the
    zone of the current request (see current_zone)."""
    if isinstance(place, str):
        return place
    if place is not None:
        return getattr(place, "time_zone_name", None) or DEFAULT_ZONE
    return current_zone()


def current_zone() -> str:
    """The zone pages of this request are shown in: one a view set on flask.g, else the
    signed-in user's kelurahan's, else the configured default."""
    try:
        from flask import current_app, g, has_app_context, has_request_context
    except ImportError:  # pragma: no cover
        return DEFAULT_ZONE
    if not has_app_context():
        return DEFAULT_ZONE
    chosen = g.get("time_zone")
    if chosen:
        return chosen
    if has_request_context():
        from flask_login import current_user

        kelurahan = getattr(current_user, "kelurahan", None)
        if kelurahan is not None:
            return kelurahan.time_zone_name
    return current_app.config.get("TIMEZONE", DEFAULT_ZONE)


def show_times_in(place: object) -> None:
    """Show this request's times in the kelurahan's zone (a public page of one kelurahan,
    or an admin's page about one)."""
    from flask import g

    g.time_zone = zone_of(place)


def local_now(place: object = None) -> datetime:
    """The current time in the kelurahan's zone."""
    return datetime.now(zone(zone_of(place)))


def local_today(place: object = None) -> date:
    """Today's date in the kelurahan's zone (the server's own date may differ)."""
    return local_now(place).date()


def to_local(moment: datetime, place: object = None) -> datetime:
    """A stored (UTC, maybe naive) time in the kelurahan's zone."""
    return as_utc(moment).astimezone(zone(zone_of(place)))


def day_start_utc(day: date, place: object = None) -> datetime:
    """The UTC instant a local day begins in the kelurahan's zone (for date filters).

    Days at the calendar's edge (0001-01-01, 9999-12-31) give its first or last instant
    instead of overflowing."""
    try:
        return datetime.combine(day, time.min, zone(zone_of(place))).astimezone(UTC)
    except OverflowError:
        return (
            datetime.min.replace(tzinfo=UTC) if day.year == 1 else datetime.max.replace(tzinfo=UTC)
        )


def day_end_utc(day: date, place: object = None) -> datetime:
    """The UTC instant the local day after `day` begins (an exclusive upper bound)."""
    if day == date.max:
        return datetime.max.replace(tzinfo=UTC)
    return day_start_utc(day + timedelta(days=1), place)


def zone_label(place: object = None) -> str:
    """WIB, WITA or WIT."""
    name = zone_of(place)
    return ZONE_NAMES.get(name, name)


def format_date(value: date | datetime | None, place: object = None) -> str:
    """'22 November 2026'; a time is first turned into the kelurahan's local date."""
    if value is None:
        return "-"
    if isinstance(value, datetime):
        value = to_local(value, place)
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


def format_datetime(value: datetime | None, place: object = None, with_zone: bool = True) -> str:
    """'22 November 2026 15.32 WIB' in the kelurahan's zone."""
    if value is None:
        return "-"
    local = to_local(value, place)
    text = f"{local.day} {MONTHS[local.month - 1]} {local.year} {local:%H.%M}"
    return f"{text} {zone_label(place)}" if with_zone else text


def format_time(value: datetime | None, place: object = None) -> str:
    """'15.32' in the kelurahan's zone."""
    return "-" if value is None else f"{to_local(value, place):%H.%M}"
