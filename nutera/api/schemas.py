"""Marshmallow schemas of the API's requests and answers (they also make the OpenAPI doc)."""

import re
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from nutera.timeutil import as_utc


class UtcDateTime(fields.DateTime):
    """An instant in ISO 8601 with its UTC offset (SQLite hands stored times back naive)."""

    def _serialize(self, value, attr, obj, **kwargs):
        return super()._serialize(as_utc(value) if value else value, attr, obj, **kwargs)


_CURSOR = re.compile(r"c\d{1,18}")


class Problem(Schema):
    """An RFC 9457 problem document with Indonesian title and detail."""

    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    errors = fields.Dict()


NIK_PATTERN = r"^\d{16}$"
NIK = fields.String(
    required=True,
    validate=validate.Regexp(NIK_PATTERN, error="NIK harus 16 digit angka."),
    metadata={"example": "3273025708860001"},
)
NAME_LENGTH = (2, 120)
BATCH_LENGTH = (1, 100)

# The status check's schemas load and dump what they accept and answer most of the time with a
# few plain checks instead of marshmallow's field machinery (for a batch of 100 that machinery
# cost more than the lookup); anything else (an invalid or unusual input) goes through
# marshmallow itself, so what is accepted, refused and answered is exactly the schema's.
# tests/test_api_schemas_fast.py compares both paths.
_NIK_RE = re.compile(NIK_PATTERN)  # matched as validate.Regexp matches: re.match


def _plain_item(item: Any) -> dict | None:
    """{"nik", "name"} if item is exactly what StatusQuery loads unchanged, else None."""
    if type(item) is not dict or len(item) != 2:
        return None
    nik, name = item.get("nik"), item.get("name")
    if type(nik) is not str or type(name) is not str or _NIK_RE.match(nik) is None:
        return None
    if not NAME_LENGTH[0] <= len(name) <= NAME_LENGTH[1]:
        return None
    return {"nik": nik, "name": name}


def _plain_load(schema: Schema, kwargs: dict) -> bool:
    """Whether a load may take the plain path: the schema's own settings, one object."""
    return (
        not kwargs.get("many")
        and not kwargs.get("partial")
        and kwargs.get("unknown") in (None, RAISE)
        and not schema.many
        and not schema.partial
        and schema.unknown == RAISE
        and not schema.only
        and not schema.exclude
    )


class StatusQuery(Schema):
    nik = NIK
    name = fields.String(
        required=True,
        validate=validate.Length(
            min=NAME_LENGTH[0], max=NAME_LENGTH[1], error="Nama 2-120 huruf, seperti di KTP."
        ),
    )

    def load(self, data, **kwargs):
        """marshmallow's load, with the plain path for a plain valid item."""
        plain = _plain_item(data) if _plain_load(self, kwargs) else None
        return plain if plain is not None else super().load(data, **kwargs)


class BatchQuery(Schema):
    items = fields.List(
        fields.Nested(StatusQuery),
        required=True,
        validate=validate.Length(
            min=BATCH_LENGTH[0], max=BATCH_LENGTH[1], error="Berisi 1 sampai 100 permintaan."
        ),
    )

    def load(self, data, **kwargs):
        """marshmallow's load, with the plain path for a batch of plain valid items."""
        if _plain_load(self, kwargs) and type(data) is dict and data.keys() == {"items"}:
            items = data["items"]
            if type(items) is list and BATCH_LENGTH[0] <= len(items) <= BATCH_LENGTH[1]:
                plain = [_plain_item(item) for item in items]
                if None not in plain:
                    return {"items": plain}
        return super().load(data, **kwargs)


class ProgramStatusOut(Schema):
    code = fields.String()
    name = fields.String()
    status = fields.String()
    status_label = fields.String()
    period_start = fields.Date()
    period_end = fields.Date(allow_none=True)
    received_at = UtcDateTime(allow_none=True)


def _plain_program(program: dict) -> dict:
    received = program["received_at"]
    end = program["period_end"]
    return {
        "code": program["code"],
        "name": program["name"],
        "status": program["status"],
        "status_label": program["status_label"],
        "period_start": program["period_start"].isoformat(),
        "period_end": end.isoformat() if end is not None else None,
        "received_at": as_utc(received).isoformat() if received else None,
    }


def _plain_status(answer: dict) -> dict:
    """What StatusOut dumps for an answer of nutera/api/resources/status.py."""
    return {
        "found": answer["found"],
        "masked_name": answer["masked_name"],
        "rt_rw": answer["rt_rw"],
        "programs": [_plain_program(p) for p in answer["programs"]],
    }


def _plain_dump(schema: Schema, obj: Any, many: bool | None) -> bool:
    return not many and not schema.many and not schema.only and not schema.exclude


class StatusOut(Schema):
    found = fields.Boolean(required=True)
    masked_name = fields.String(allow_none=True)
    rt_rw = fields.String(allow_none=True)
    programs = fields.List(fields.Nested(ProgramStatusOut))

    def dump(self, obj, *, many=None):
        """marshmallow's dump, plain for the status check's own answers (a dict of bools,
        strings and ProgramStatus fields)."""
        if _plain_dump(self, obj, many) and type(obj) is dict and type(obj.get("found")) is bool:
            return _plain_status(obj)
        return super().dump(obj, many=many)


class BatchOut(Schema):
    results = fields.List(fields.Nested(StatusOut))

    def dump(self, obj, *, many=None):
        """marshmallow's dump, plain for the status check's own answers."""
        if _plain_dump(self, obj, many) and type(obj) is dict and type(obj.get("results")) is list:
            results = obj["results"]
            if all(type(a) is dict and type(a.get("found")) is bool for a in results):
                return {"results": [_plain_status(a) for a in results]}
        return super().dump(obj, many=many)


class ProgramOut(Schema):
    kelurahan = fields.String()
    code = fields.String()
    name = fields.String()
    target = fields.String()
    description = fields.String()
    benefit = fields.String()
    audience = fields.String()
    criteria = fields.List(fields.String())
    criteria_html = fields.String()
    schedule = fields.String()


class ProgramQuery(Schema):
    kelurahan = fields.String(metadata={"description": "Kode Kemendagri kelurahan"})


class StatisticsProgram(Schema):
    code = fields.String()
    name = fields.String()
    # null where suppressed: below five, or revealing such a count by difference
    recipients = fields.Integer(allow_none=True)
    by_rw = fields.Dict(keys=fields.String(), values=fields.Integer(allow_none=True))


class StatisticsOut(Schema):
    kelurahan = fields.String()
    kelurahan_name = fields.String()
    programs = fields.List(fields.Nested(StatisticsProgram))


class Cursor(fields.String):
    """An opaque page cursor: the last id seen, encoded."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        return decode_cursor(text)


def encode_cursor(last_id: int) -> str:
    """The cursor after last_id: opaque to clients (they only pass it back)."""
    return f"c{last_id}"


def decode_cursor(text: str) -> int:
    """The id a cursor stands for; anything the server did not issue is refused."""
    if not _CURSOR.fullmatch(text or ""):
        raise ValidationError("Kursor tidak dikenal.")
    return int(text[1:])


class PageQuery(Schema):
    cursor = Cursor(load_default=None)
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))


class ListQuery(PageQuery):
    kelurahan = fields.String()
    rw = fields.Integer(validate=validate.Range(min=0, max=999))
    updated_since = fields.AwareDateTime(default_timezone=None)


class RecipientQuery(ListQuery):
    program = fields.String(validate=validate.Length(max=20))
    status = fields.String(validate=validate.Length(max=12))
    validated = fields.Boolean(
        metadata={
            "description": "true: hanya penerima dari baris daftar yang tervalidasi (sanding: "
            "valid); false: penerima tanpa baris daftar yang valid."
        }
    )


class RecipientOut(Schema):
    id = fields.Integer()
    kelurahan = fields.String()
    program = fields.String()
    nik = fields.String(allow_none=True)
    name = fields.String(allow_none=True)
    kk_number = fields.String(allow_none=True)
    rt = fields.Integer(allow_none=True)
    rw = fields.Integer(allow_none=True)
    collector_name = fields.String(allow_none=True)
    status = fields.String()
    period_start = fields.Date()
    period_end = fields.Date(allow_none=True)
    reason = fields.String()
    updated_at = UtcDateTime()
    validation_list = fields.Integer(
        allow_none=True,
        metadata={"description": "Daftar penerima (sanding) asal kepesertaan ini, bila ada."},
    )
    validation_status = fields.String(
        allow_none=True,
        metadata={
            "description": "Status baris daftar itu: valid, nama_berbeda, ... (null: "
            "tanpa baris daftar, atau belum diputuskan)."
        },
    )
    validation_label = fields.String(allow_none=True)
    validation_reason = fields.String(allow_none=True)


class PersonOut(Schema):
    id = fields.Integer()
    kelurahan = fields.String()
    nik = fields.String(allow_none=True)
    name = fields.String()
    sex = fields.String()
    birth_date = fields.Date()
    relation = fields.String()
    status = fields.String()
    kk_number = fields.String(allow_none=True)
    rt = fields.Integer(allow_none=True)
    rw = fields.Integer(allow_none=True)
    updated_at = UtcDateTime()


class HouseholdOut(Schema):
    id = fields.Integer()
    kelurahan = fields.String()
    kk_number = fields.String()
    address = fields.String()
    rt = fields.Integer()
    rw = fields.Integer()
    kode_pos = fields.String()
    members = fields.Integer()
    updated_at = UtcDateTime()


def page_of(item_schema: type[Schema], name: str) -> type[Schema]:
    """A page schema: items and the cursor of the next page (null on the last page)."""
    return Schema.from_dict(
        {
            "items": fields.List(fields.Nested(item_schema)),
            "next_cursor": fields.String(allow_none=True),
        },
        name=name,
    )


class EventOut(Schema):
    id = fields.Integer()
    kelurahan = fields.String()
    program = fields.String()
    name = fields.String()
    place = fields.String()
    starts_on = fields.Date(allow_none=True)
    status = fields.String()


class HandoverOut(Schema):
    id = fields.Integer()
    event_id = fields.Integer()
    recipient_id = fields.Integer()
    received_at = UtcDateTime()
    officer = fields.String()
    proxy = fields.Boolean()
    proxy_relation = fields.String(allow_none=True)
    latitude = fields.Float(allow_none=True)
    longitude = fields.Float(allow_none=True)
    gps_accuracy_m = fields.Integer(allow_none=True)
    photo_sha256 = fields.String()
    signature_sha256 = fields.String(allow_none=True)
    thumbprint = fields.Boolean()
    corrects_id = fields.Integer(allow_none=True)


class ComplaintIn(Schema):
    kelurahan = fields.String(required=True, metadata={"description": "Kode kelurahan"})
    category = fields.String(required=True)
    description = fields.String(required=True, validate=validate.Length(min=10, max=4000))
    rt = fields.Integer(load_default=None)
    rw = fields.Integer(load_default=None)
    subject_name = fields.String(load_default="")
    subject_nik = fields.String(load_default="")
    subject_address = fields.String(load_default="")
    reporter_name = fields.String(load_default="")
    reporter_phone = fields.String(load_default="")
    anonymous = fields.Boolean(load_default=False)
    confidential = fields.Boolean(load_default=False)


class ComplaintFiled(Schema):
    code = fields.String()
    status = fields.String()
    status_label = fields.String()


class ComplaintStatusOut(Schema):
    code = fields.String()
    category = fields.String()
    status = fields.String()
    status_label = fields.String()
    filed_at = UtcDateTime()
    public_answers = fields.List(fields.String())


class ChangeOut(Schema):
    cursor = fields.String()
    kind = fields.String()
    id = fields.Integer()
    op = fields.String()
    version = fields.Integer()
    at = UtcDateTime()


class ChangesQuery(Schema):
    after = Cursor(load_default=None)
    limit = fields.Integer(load_default=1000, validate=validate.Range(min=1, max=5000))


class ChangesOut(Schema):
    items = fields.List(fields.Nested(ChangeOut))
    next_cursor = fields.String(allow_none=True)
