"""Integers from URLs, query strings and forms stay within what the database can compare.

Python integers have no limit; every id column is an INTEGER, which PostgreSQL stops at
2^31 - 1 (SQLite at 2^63 - 1): a larger id or page number made the driver raise, and the
visitor got a 500. Here an id beyond the range matches no route (404), an integer query or
form value beyond it reads as missing, and a page number beyond MAX_PAGE is a 404, so no
view has to remember the limit.
"""

from flask import Flask, Request, abort
from werkzeug.datastructures import CombinedMultiDict, ImmutableMultiDict
from werkzeug.routing import IntegerConverter
from werkzeug.utils import cached_property

INT_MAX = 2**31 - 1  # PostgreSQL INTEGER, the type of every id column
# Far beyond any real list, small enough that (page - 1) * per_page stays in range.
MAX_PAGE = 1_000_000


def in_range(value: int) -> bool:
    """Whether value fits an INTEGER column."""
    return -INT_MAX - 1 <= value <= INT_MAX


class BoundedIntegerConverter(IntegerConverter):
    """The <int:...> converter, refusing numbers an INTEGER column cannot hold."""

    def __init__(self, map, fixed_digits=0, min=None, max=INT_MAX, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


class _Bounded:
    """get(type=int) and getlist(type=int) that never yield an out-of-range number."""

    def get(self, key, default=None, type=None):
        value = super().get(key, default=default, type=type)
        if type is int and isinstance(value, int) and value is not default:
            if key == "page":
                if value < 1:
                    return 1
                if value > MAX_PAGE:
                    abort(404)
            if not in_range(value):
                return default
        return value

    def getlist(self, key, type=None):
        values = super().getlist(key, type=type)
        if type is int:
            return [v for v in values if in_range(v)]
        return values


class BoundedMultiDict(_Bounded, ImmutableMultiDict):
    """Request args and form data with bounded integer reads."""


class BoundedCombinedMultiDict(_Bounded, CombinedMultiDict):
    """request.values (args, and form unless GET) with bounded integer reads."""


class BoundedRequest(Request):
    """Flask's request with bounded integer reads of args, form and values."""

    parameter_storage_class = BoundedMultiDict

    @cached_property
    def values(self) -> BoundedCombinedMultiDict:
        """Like Request.values: args, plus form for other methods than GET."""
        return BoundedCombinedMultiDict(
            [self.args] if self.method == "GET" else [self.args, self.form]
        )


def init_app(app: Flask) -> None:
    """Install the bounded converter and request class."""
    app.url_map.converters["int"] = BoundedIntegerConverter
    app.request_class = BoundedRequest
