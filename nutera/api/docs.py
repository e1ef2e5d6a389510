"""The API reference: Swagger UI (vendored from npm) at /docs, and the same OpenAPI document
rendered on the server at /referensi for readers without JavaScript."""

from dataclasses import dataclass, field

from flask import Blueprint, current_app, render_template

bp = Blueprint("api_docs", __name__, url_prefix="/api/v1")

METHODS = ("get", "post", "put", "patch", "delete")


@dataclass
class Field:
    """One parameter or schema property as the reference lists it."""

    name: str
    where: str
    type: str
    required: bool
    description: str = ""


@dataclass
class Operation:
    """One method on one path."""

    method: str
    path: str
    summary: str
    scopes: list[str]
    public: bool
    parameters: list[Field] = field(default_factory=list)
    body: str = ""
    responses: list[tuple[str, str]] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        slug = self.path.strip("/").replace("/", "-").replace("{", "").replace("}", "")
        return f"{self.method}-{slug}"


def type_name(schema: dict) -> str:
    """A short readable type: a schema's name, 'array of X', or the JSON type."""
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if schema.get("type") == "array":
        return f"array of {type_name(schema.get('items', {}))}"
    if "allOf" in schema:
        return " & ".join(type_name(part) for part in schema["allOf"])
    kind = schema.get("type", "any")
    if isinstance(kind, list):
        kind = " | ".join(kind)
    return f"{kind} ({schema['format']})" if "format" in schema else kind


def _body_type(content: dict) -> str:
    json_body = content.get("application/json") or next(iter(content.values()), {})
    return type_name(json_body.get("schema", {}))


def _response(spec: dict, code: str, response: dict) -> tuple[str, str]:
    if "$ref" in response:
        response = spec["components"]["responses"][response["$ref"].rsplit("/", 1)[-1]]
    body = _body_type(response.get("content", {})) if response.get("content") else ""
    text = response.get("description", "")
    return code, f"{text} — {body}" if body else text


def operations(spec: dict) -> dict[str, list[Operation]]:
    """Operations grouped by their tag's description, in the document's order."""
    tags = {tag["name"]: tag.get("description", tag["name"]) for tag in spec.get("tags", [])}
    grouped: dict[str, list[Operation]] = {label: [] for label in tags.values()}
    for path, item in spec["paths"].items():
        for method in METHODS:
            if method not in item:
                continue
            op = item[method]
            security = op.get("security", spec.get("security", []))
            scopes = sorted({s for req in security for scopes in req.values() for s in scopes})
            operation = Operation(
                method=method.upper(),
                path=path,
                summary=op.get("summary", ""),
                scopes=scopes,
                public=not security or {} in security,
                parameters=[
                    Field(
                        p["name"],
                        p["in"],
                        type_name(p.get("schema", {})),
                        p.get("required", False),
                        p.get("description", ""),
                    )
                    for p in item.get("parameters", []) + op.get("parameters", [])
                ],
                body=_body_type(op["requestBody"]["content"]) if "requestBody" in op else "",
                responses=[_response(spec, c, r) for c, r in sorted(op["responses"].items())],
            )
            label = tags.get((op.get("tags") or [""])[0], "Lainnya")
            grouped.setdefault(label, []).append(operation)
    return {label: ops for label, ops in grouped.items() if ops}


def schemas(spec: dict) -> dict[str, list[Field]]:
    """Each named schema with its properties."""
    result = {}
    for name, schema in spec.get("components", {}).get("schemas", {}).items():
        required = set(schema.get("required", []))
        result[name] = [
            Field(prop, "", type_name(sub), prop in required, sub.get("description", ""))
            for prop, sub in schema.get("properties", {}).items()
        ]
    return result


@bp.get("/docs")
def docs():
    """The interactive viewer of /api/v1/openapi.json."""
    return render_template("api/docs.html")


@bp.get("/referensi")
def reference():
    """Human-readable reference of /api/v1/openapi.json, no script needed."""
    spec = current_app.extensions["nutera_api"].spec.to_dict()
    flows = spec["components"]["securitySchemes"]["oauth2"]["flows"]["clientCredentials"]
    return render_template(
        "api/reference.html",
        info=spec["info"],
        token_url=flows["tokenUrl"],
        scopes=flows["scopes"],
        groups=operations(spec),
        schemas=schemas(spec),
    )
