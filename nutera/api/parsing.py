"""webargs' Flask parser with a short path for the usual request: a JSON body, one schema.

flask-smorest reads a view's arguments through webargs, whose parse resolves the schema,
the location's loader, the ``unknown`` setting and the pre-load hook on every call before
it loads the body with the schema: on the status check that machinery cost about as much as
the rest of the argument handling. For a JSON body read with a schema instance and the
default settings, this parser loads the body the way webargs does (the same decoding, the
same schema.load with the same arguments, validation errors raised through the same hook,
so the 422 problem and its messages are webargs' own). Anything else (another location,
a body that is not JSON or does not decode, a validator, an ``unknown`` setting) is handed
to webargs' parse unchanged. tests/test_api_hotpath.py compares both.
"""

import typing

import marshmallow as ma
from flask import request as current_request
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request


class JsonBodyParser(FlaskParser):
    """FlaskParser, with the short path for a JSON body and a schema instance."""

    def _short_path(self, argmap: typing.Any, location: str | None, unknown, validate) -> bool:
        return (
            location == "json"
            and isinstance(argmap, ma.Schema)
            and unknown is core._UNKNOWN_DEFAULT_PARAM
            and self.unknown is core._UNKNOWN_DEFAULT_PARAM
            and self.DEFAULT_UNKNOWN_BY_LOCATION.get("json") is None
            and validate is None
            and type(self).pre_load is core.Parser.pre_load
            and type(self)._raw_load_json is FlaskParser._raw_load_json
        )

    def parse(
        self,
        argmap,
        req=None,
        *,
        location=None,
        unknown=core._UNKNOWN_DEFAULT_PARAM,
        validate=None,
        error_status_code=None,
        error_headers=None,
    ):
        """webargs' parse; a plain JSON body is loaded without its generic machinery."""
        if self._short_path(argmap, location, unknown, validate):
            req = req if req is not None else current_request
            data = core.missing
            if is_json_request(req):
                try:
                    data = core.parse_json(req.get_data(cache=True))
                except ValueError:  # JSONDecodeError (also for undecodable bytes): webargs'
                    data = core.missing  # own handling below (missing body or a 400)
            if data is not core.missing:
                try:
                    return argmap.load(data)
                except ma.ValidationError as error:
                    self._on_validation_error(
                        error,
                        req,
                        argmap,
                        location,
                        error_status_code=error_status_code,
                        error_headers=error_headers,
                    )
        return super().parse(
            argmap,
            req,
            location=location,
            unknown=unknown,
            validate=validate,
            error_status_code=error_status_code,
            error_headers=error_headers,
        )
