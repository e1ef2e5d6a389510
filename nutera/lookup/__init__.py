"""Public checks for residents: the NIK lookup (cek bansos) and the eligibility self-check."""
import logging
from logging.handlers import WatchedFileHandler
from pathlib import Path

from flask import Blueprint

bp = Blueprint("lookup", __name__)


@bp.record_once
def _log_lookups_to_a_file(state) -> None:
    """Keep the lookup log (keyed NIK hashes, outcomes, IPs) in instance/ unless configured."""
    logger = logging.getLogger("nutera.lookup")
    logger.setLevel(logging.INFO)
    if logger.handlers:
        return
    path = state.app.config.get("LOOKUP_LOG_FILE") or str(
        Path(state.app.instance_path) / "lookup.log")
    handler = WatchedFileHandler(path, encoding="utf-8", delay=True)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
    logger.addHandler(handler)


from nutera.lookup import routes  # noqa: E402,F401
