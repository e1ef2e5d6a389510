"""The status check's plain load and dump give exactly what marshmallow's own give."""

from datetime import UTC, date, datetime

import pytest
from marshmallow import Schema, ValidationError

from nutera.api.schemas import BatchOut, BatchQuery, StatusOut, StatusQuery

NIK = "3273025708860001"


def _marshmallow_load(schema, data):
    """What the schema's fields alone make of data (no plain path)."""
    try:
        return "ok", Schema.load(schema, data)
    except ValidationError as error:
        return "error", error.messages


def _load(schema, data):
    try:
        return "ok", schema.load(data)
    except ValidationError as error:
        return "error", error.messages


ITEMS = [
    {"nik": NIK, "name": "Siti Aminah"},
    {"nik": NIK, "name": "S"},
    {"nik": NIK, "name": "x" * 120},
    {"nik": NIK, "name": "x" * 121},
    {"nik": NIK + "\n", "name": "Siti"},
    {"nik": "٣" * 16, "name": "Siti"},  # Arabic-Indic digits: \d matches them
    {"nik": NIK[:-1], "name": "Siti"},
    {"nik": int(NIK), "name": "Siti"},
    {"nik": NIK, "name": None},
    {"nik": NIK},
    {"nik": NIK, "name": "Siti", "extra": 1},
    {},
    [],
    "text",
    None,
]


@pytest.mark.parametrize("item", ITEMS)
def test_a_single_item_loads_or_fails_as_marshmallow_decides(item):
    assert _load(StatusQuery(), item) == _marshmallow_load(StatusQuery(), item)


BATCHES = [
    {"items": [ITEMS[0]] * 100},
    {"items": [ITEMS[0]] * 101},
    {"items": []},
    {"items": [ITEMS[0], ITEMS[1]]},
    {"items": [ITEMS[0], ITEMS[10]]},
    {"items": [ITEMS[0]], "other": 1},
    {"items": "x"},
    {"items": None},
    {},
    [],
]


@pytest.mark.parametrize("batch", BATCHES)
def test_a_batch_loads_or_fails_as_marshmallow_decides(batch):
    assert _load(BatchQuery(), batch) == _marshmallow_load(BatchQuery(), batch)


ANSWERS = [
    {"found": False, "masked_name": None, "rt_rw": None, "programs": []},
    {"found": True, "masked_name": "SIT* AMI***", "rt_rw": "-", "programs": []},
    {
        "found": True,
        "masked_name": "SIT* AMI***",
        "rt_rw": "RT 01/RW 02",
        "programs": [
            {
                "code": "PKH",
                "name": "Program Keluarga Harapan",
                "status": "aktif",
                "status_label": "Aktif",
                "period_start": date(2026, 1, 1),
                "period_end": None,
                "received_at": None,
            },
            {
                "code": "BPNT",
                "name": "Bantuan Pangan",
                "status": "berhenti",
                "status_label": "Berhenti",
                "period_start": date(2025, 1, 1),
                "period_end": date(2025, 12, 31),
                "received_at": datetime(2025, 6, 1, 3, 4, 5),  # SQLite: naive UTC
            },
            {
                "code": "X",
                "name": "Y",
                "status": "aktif",
                "status_label": "Aktif",
                "period_start": date(2025, 1, 1),
                "period_end": None,
                "received_at": datetime(2025, 6, 1, 3, 4, 5, 123456, tzinfo=UTC),
            },
        ],
    },
]


@pytest.mark.parametrize("answer", ANSWERS)
def test_an_answer_dumps_as_marshmallow_dumps_it(answer):
    assert StatusOut().dump(answer) == Schema.dump(StatusOut(), answer)


def test_a_batch_of_answers_dumps_as_marshmallow_dumps_it():
    batch = {"results": ANSWERS * 3}
    assert BatchOut().dump(batch) == Schema.dump(BatchOut(), batch)
