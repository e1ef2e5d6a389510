"""Public checks for residents: the NIK lookup (cek bansos) and the eligibility self-check."""

import hashlib
import logging
import time
from logging.handlers import WatchedFileHandler
from pathlib import Path

from flask import Blueprint

bp = Blueprint("lookup", __name__)


@bp.record
def _log_lookups_to_a_file(state) -> None:
    """Give the app a logger writing lookups (keyed NIK hashes, outcomes, IPs) to its file.

    One logger per file, not one global logger: several apps in a process (tests,
    benchmarks) each keep writing to their own instance/ folder.
    """
    path = state.app.config.get("LOOKUP_LOG_FILE") or str(
        Path(state.app.instance_path) / "lookup.log"
    )
    logger = logging.getLogger("nutera.lookup." + hashlib.sha256(path.encode()).hexdigest()[:12])
    logger.setLevel(logging.INFO)
    logger.propagate = False  # its own file only, not whatever handlers the root logger has
    if not logger.handlers:
        handler = LookupLogHandler(path, encoding="utf-8", delay=True)
        handler.setFormatter(LineFormatter("%(asctime)s %(message)s"))
        logger.addHandler(handler)
    state.app.extensions["lookup_log"] = logger


class LookupLogHandler(WatchedFileHandler):
    """A WatchedFileHandler that looks for a rotated file at most once a second.

    The parent stats the path before every line (to reopen it after logrotate moved it),
    ~15 us of a lookup's ~500 us in the app. Here a line written within a second of the
    rotation still lands, whole, in the moved file; the next check reopens the path. Every
    line is still written and flushed as it is logged."""

    check_every_seconds = 1.0

    def __init__(self, *args, **kwargs):
        self._next_check = 0.0
        super().__init__(*args, **kwargs)

    def reopenIfNeeded(self) -> None:  # noqa: N802 (the parent's name)
        now = time.monotonic()
        if now >= self._next_check:
            self._next_check = now + self.check_every_seconds
            super().reopenIfNeeded()


class LineFormatter(logging.Formatter):
    """logging.Formatter's default time text, its date and seconds made once a second."""

    _second: tuple[int, str] = (-1, "")

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        if datefmt:
            return super().formatTime(record, datefmt)
        second, text = self._second
        if second != int(record.created):
            second = int(record.created)
            text = time.strftime(self.default_time_format, self.converter(second))
            self._second = (second, text)
        return self.default_msec_format % (text, record.msecs)


from nutera.lookup import routes  # noqa: E402,F401
