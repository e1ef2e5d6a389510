"""status:read: the resident's status check (what /cek shows), one or a batch."""

from flask import current_app
from flask_smorest import Blueprint

from nutera.api.auth import ApiScope, api_connection, client_required, current_client
from nutera.api.parsing import JsonBodyParser
from nutera.api.reads import record_read
from nutera.api.schemas import BatchOut, BatchQuery, StatusOut, StatusQuery
from nutera.lookup.services import LookupResult, lookup, lookup_many


class _Blueprint(Blueprint):
    ARGUMENTS_PARSER = JsonBodyParser()  # the usual JSON body without webargs' machinery


bp = _Blueprint(
    "api_status", __name__, url_prefix="/api/v1/status", description="Cek status bansos warga"
)
_SECURITY = [{"oauth2": [ApiScope.STATUS_READ.value]}]


def _answer(result: LookupResult | None) -> dict:
    """The same shape for an unknown NIK and a wrong name: found is false, nothing else."""
    if result is None:
        return {"found": False, "masked_name": None, "rt_rw": None, "programs": []}
    return {
        "found": True,
        "masked_name": result.masked_name,
        "rt_rw": result.rt_label,
        "programs": [p.__dict__ for p in result.programs],
    }


def _check(items: list[dict]) -> list[dict]:
    kelurahan_ids = current_client().kelurahan_ids
    pairs = [(item["nik"], item["name"]) for item in items]
    connection = api_connection()  # the token's: one pool checkout for the whole call
    if len(pairs) == 1:
        results = [lookup(connection, *pairs[0], kelurahan_ids)]
    else:
        results = lookup_many(connection, pairs, kelurahan_ids)
    answers = [_answer(result) for result in results]
    found = sum(a["found"] for a in answers)
    record_read((i["nik"] for i in items), found, "cek status", connection)
    return answers


@bp.post("/check")
@client_required(ApiScope.STATUS_READ, keep_connection=True)
@bp.doc(security=_SECURITY)
@bp.arguments(StatusQuery())
@bp.response(200, StatusOut)
def check(item: dict):
    """Status of one resident by NIK and name as on the KTP (same answer if either is wrong)."""
    return _check([item])[0]


@bp.post("/check-batch")
@client_required(ApiScope.STATUS_READ, keep_connection=True)
@bp.doc(security=_SECURITY)
@bp.arguments(BatchQuery())
@bp.response(200, BatchOut)
def check_batch(batch: dict):
    """Up to API_BATCH_MAX status checks in one call, answered in order."""
    items = batch["items"][: current_app.config["API_BATCH_MAX"]]
    return {"results": _check(items)}
