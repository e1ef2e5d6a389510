"""The audit log's filter form: choices in the viewer's scope, and what a valid form asks."""

from werkzeug.datastructures import MultiDict

from nutera.admin import audit_log
from nutera.admin.forms import AuditFilterForm
from nutera.models import User


def audit_filter_form(viewer: User, args: MultiDict) -> AuditFilterForm:
    """The filter form bound to the query string (``entity`` is the old name of ``data``)."""
    if "entity" in args and "data" not in args:
        args = MultiDict(args)
        args["data"] = args["entity"]
    form = AuditFilterForm(args)
    form.pengguna.choices = [("", "Semua pengguna")] + [
        (str(user_id), label) for user_id, label in audit_log.user_choices(viewer)
    ]
    form.klien.choices = [("", "Semua klien API")] + [
        (str(client_id), name) for client_id, name in audit_log.client_choices(viewer)
    ]
    form.jenis.choices = [(value, label) for value, (label, _) in audit_log.KINDS.items()]
    form.data.choices = [("", "Semua data")] + audit_log.entity_choices()
    form.validate()
    return form


def filters_of(form: AuditFilterForm) -> audit_log.AuditFilter:
    """The filters of the fields that hold a valid value (an invalid one filters nothing)."""

    def valid(field):
        return None if field.errors else (field.data or None)

    user_id, client_id = valid(form.pengguna), valid(form.klien)
    return audit_log.AuditFilter(
        user_id=int(user_id) if user_id else None,
        api_client_id=int(client_id) if client_id else None,
        kind=valid(form.jenis) or "",
        entity=valid(form.data),
        entity_id=valid(form.nomor),
        date_from=valid(form.dari),
        date_to=valid(form.sampai),
    )
