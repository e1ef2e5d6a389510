"""Public checks for residents: the NIK lookup (cek bansos) and the eligibility self-check."""

import hashlib
import logging
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
        handler = WatchedFileHandler(path, encoding="utf-8", delay=True)
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
        logger.addHandler(handler)
    state.app.extensions["lookup_log"] = logger


from nutera.lookup import routes  # noqa: E402,F401
