"""Role checks for views."""

from functools import wraps

from flask import abort
from flask_login import current_user, login_required

# Read-only accounts across kelurahan: add them to the roles of a view that only reads.
READERS = ("dinas", "kecamatan")


def roles_required(*roles: str):
    """Allow the view only to signed-in users holding one of roles (403 otherwise)."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator
