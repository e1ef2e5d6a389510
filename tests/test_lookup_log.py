"""The lookup log's cheaper handler and formatter: the same lines, every line written, and
a rotated file still followed (tests/test_lookup.py checks what the lines hold)."""

import logging
import os

from nutera.lookup import LineFormatter, LookupLogHandler


def _record(created: float) -> logging.LogRecord:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "cek outcome=%s", ("found",), None)
    record.created, record.msecs = created, (created - int(created)) * 1000
    return record


def test_the_line_formatter_writes_what_the_default_formatter_writes():
    ours, default = (
        LineFormatter("%(asctime)s %(message)s"),
        logging.Formatter("%(asctime)s %(message)s"),
    )
    for created in (1_764_600_000.25, 1_764_600_000.999, 1_764_600_001.0, 1_764_686_399.5):
        record = _record(created)
        assert ours.format(record) == default.format(_record(created))
    assert ours.format(_record(1_764_600_000.25)).endswith(",250 cek outcome=found")


def test_every_line_is_written_and_a_rotated_file_is_followed(tmp_path):
    path = tmp_path / "lookup.log"
    logger = logging.getLogger("nutera.test-lookup-log")
    logger.propagate, logger.level = False, logging.INFO
    handler = LookupLogHandler(str(path), encoding="utf-8", delay=True)
    handler.setFormatter(LineFormatter("%(asctime)s %(message)s"))
    logger.addHandler(handler)
    try:
        logger.info("one")
        assert path.read_text().endswith(" one\n")  # flushed as it is logged
        os.rename(path, tmp_path / "lookup.log.1")  # logrotate moves the file
        logger.info("two")  # within the second: still written, to the moved file
        handler._next_check = 0.0  # a second later
        logger.info("three")
    finally:
        logger.removeHandler(handler)
        handler.close()

    def messages(file) -> list[str]:
        return [line.split(" ", 2)[2] for line in file.read_text().splitlines()]

    assert messages(tmp_path / "lookup.log.1") == ["one", "two"]
    assert messages(path) == ["three"]
