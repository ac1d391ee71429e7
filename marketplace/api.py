"""JSON API kernel: one registry of operations that both routes the request and documents it.

Every `/api/v1` route is declared with `operation(...)`, which registers the Flask rule and its
OpenAPI description from the same call, validates the JSON body against its JSON Schema (the same
schema the OpenAPI document shows), and checks authentication. A test fails when a rule under
`/api/v1` is missing from the document.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, current_app, jsonify, request
from flask_login import current_user
from jsonschema import Draft202012Validator

from marketplace.db import MAX_ID
from marketplace.errors import ValidationFailed, json_error
from marketplace.inputs import excerpt, text_problem, whole_number

API_PREFIX = "/api/v1"

# Reusable schema fragments: money, percentages and measurements travel as strings.
_MONEY_HINT = "Enter an amount with at most two decimals (no fractions of a cent), such as \"1000.00\"."
MONEY = {"type": "string", "pattern": r"^-?\d{1,12}(\.\d{1,2})?$", "example": "1000.00", "x-error": _MONEY_HINT}
POSITIVE_MONEY = {"type": "string", "pattern": r"^\d{1,12}(\.\d{1,2})?$", "example": "1000.00",
                  "x-error": _MONEY_HINT}
DECIMAL = {"type": "string", "pattern": r"^-?\d{1,15}(\.\d{1,10})?$", "example": "99.5"}
PERCENT = {"type": "string", "pattern": r"^\d{1,3}(\.\d{1,4})?$", "example": "2.5"}
DATE = {"type": "string", "format": "date", "example": "2026-01-31"}
DATETIME = {"type": "string", "format": "date-time"}
ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "fields": {"type": "object", "additionalProperties": {"type": "string"}},
            },
        }
    },
}


@dataclass
class Operation:
    rule: str
    method: str
    endpoint: str
    summary: str
    tag: str
    body: dict | None = None
    response: dict | None = None
    status: int = 200
    auth: bool = True
    query: list[dict] = field(default_factory=list)
    content_type: str | tuple[str, ...] = "application/json"
    errors: tuple[int, ...] = (400, 401, 403, 404, 409)
    csv: bool = False
    form: dict | None = None  # a multipart/form-data body (uploads) instead of JSON


OPERATIONS: list[Operation] = []


def _field_path(error) -> str:
    parts = [str(p) for p in error.absolute_path]
    if error.validator == "required":
        missing = re.findall(r"'([^']+)' is a required property", error.message)
        parts.append(missing[0] if missing else "")
    if error.validator == "additionalProperties":
        extra = re.findall(r"'([^']+)' was unexpected", error.message)
        parts.append(extra[0] if extra else "")
    return ".".join(p for p in parts if p) or "body"


def _message(error) -> str:
    if error.validator == "required":
        return "This field is required."
    if error.validator == "additionalProperties":
        return "This field is not allowed."
    if error.validator == "pattern" and error.schema.get("x-error"):
        return error.schema["x-error"]
    if error.validator == "pattern":
        schema_example = error.schema.get("example")
        hint = f" (for example \"{schema_example}\")" if schema_example else ""
        return f"Not a valid value{hint}."
    if error.validator == "type":
        return f"Must be of type {error.validator_value}."
    if error.validator == "enum":
        return "Must be one of: " + ", ".join(map(str, error.validator_value)) + "."
    # The rest name the limit, never the value: a message echoes at most a short excerpt of the input.
    limit = error.validator_value
    limits = {
        "maxLength": f"Use at most {limit} characters.",
        "minLength": "This field cannot be empty." if limit == 1 else f"Use at least {limit} characters.",
        "maxItems": f"Use at most {limit} entries.",
        "minItems": f"Give at least {limit} {'entry' if limit == 1 else 'entries'}.",
        "minimum": f"Must be at least {limit}.",
        "maximum": f"Must be at most {limit}.",
        "exclusiveMinimum": f"Must be more than {limit}.",
        "exclusiveMaximum": f"Must be less than {limit}.",
    }
    if error.validator in limits:
        return limits[error.validator]
    if error.validator == "format":
        return f"'{excerpt(error.instance)}' is not a '{limit}'."
    return error.message if len(error.message) <= 120 else "Not a valid value."


def validate_body(schema: dict, data: Any) -> dict[str, str]:
    """Validate `data` against a JSON Schema; return {field path: message} (empty when valid)."""
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    fields: dict[str, str] = {}
    for error in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path))):
        fields.setdefault(_field_path(error), _message(error))
    return fields


# JSON deeper than this is refused before any validation: no body of this API nests beyond a few
# levels, and deep nesting only serves to exhaust the recursion of the parser or the schema validator.
MAX_JSON_DEPTH = 32
_TOO_DEEP = f"The request body is nested too deeply (at most {MAX_JSON_DEPTH} levels of arrays and objects)."


def _join(path: str, key) -> str:
    return f"{path}.{key}" if path else str(key)


def text_problems(data: Any) -> dict[str, str]:
    """{field path: message} for every string (and object key) holding a control character or a lone
    surrogate; raises ValidationFailed when `data` nests deeper than MAX_JSON_DEPTH. Iterative, so no
    body can exhaust the stack here."""
    fields: dict[str, str] = {}
    stack: list[tuple[Any, str, int]] = [(data, "", 0)]
    while stack:
        value, path, depth = stack.pop()
        if isinstance(value, str):
            problem = text_problem(value)
            if problem:
                fields.setdefault(path or "body", problem)
            continue
        if not isinstance(value, (dict, list)):
            continue
        if depth >= MAX_JSON_DEPTH:
            raise ValidationFailed(_TOO_DEEP, {path or "body": "Nested too deeply."})
        for key, item in value.items() if isinstance(value, dict) else enumerate(value):
            if isinstance(key, str) and text_problem(key):
                fields.setdefault(_join(path, excerpt(key)), "This field name holds a control character "
                                  "or an invalid character (a lone surrogate).")
                continue
            stack.append((item, _join(path, key), depth + 1))
    return fields


def _parsed_body() -> Any:
    """The body as JSON, None when there is none (or it is not JSON); 400 when it nests too deeply for
    the parser itself (a RecursionError from `json.loads`, never a 500)."""
    try:
        return request.get_json(silent=True)
    except RecursionError:
        raise ValidationFailed(_TOO_DEEP, {"body": "Nested too deeply."}) from None


def json_body(schema: dict | None) -> dict:
    """The request's JSON object, validated; raises ValidationFailed with per-field messages.

    Before the schema sees it, the body is checked for depth and for text no column can store
    (control characters, lone surrogates such as "\\ud800"), so each of those is a 400 with the field's
    path, whatever the operation does next."""
    data = _parsed_body()
    if data is None:
        if request.content_length or request.data:
            raise ValidationFailed("The request body is not valid JSON.", {"body": "Not valid JSON."})
        data = {}
    if not isinstance(data, dict):
        text_problems(data)  # a deep array answers with the depth message
        raise ValidationFailed("The request body must be a JSON object.", {"body": "Must be an object."})
    problems = text_problems(data)
    if problems:
        raise ValidationFailed("Some text in the request holds characters that cannot be stored.", problems)
    if schema is not None:
        fields = validate_body(schema, data)
        if fields:
            raise ValidationFailed("The request has invalid fields.", fields)
    return data


def operation(
    bp: Blueprint,
    rule: str,
    method: str,
    *,
    summary: str,
    tag: str,
    body: dict | None = None,
    response: dict | None = None,
    status: int = 200,
    auth: bool = True,
    query: list[dict] | None = None,
    content_type: str | tuple[str, ...] = "application/json",
    errors: tuple[int, ...] = (400, 401, 403, 404, 409),
    csv: bool = False,
    form: dict | None = None,
) -> Callable:
    """Register an API route and its OpenAPI description in one place.

    `csv=True` marks a list operation that also answers as CSV (every matching row, streamed) when
    `wants_csv()`; the document then lists its `text/csv` response and the `format` parameter."""

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapped(**kwargs):
            if auth and not current_user.is_authenticated:
                return json_error(401, "unauthorized", "A valid API token is required.")
            if form is None and (body is not None or method in ("POST", "PATCH", "PUT")):
                kwargs["data"] = json_body(body)
            return view(**kwargs)

        bp.add_url_rule(rule, endpoint=view.__name__, view_func=wrapped, methods=[method])
        OPERATIONS.append(
            Operation(
                rule=API_PREFIX + rule,
                method=method,
                endpoint=f"{bp.name}.{view.__name__}",
                summary=summary,
                tag=tag,
                body=body,
                response=response,
                status=status,
                auth=auth,
                query=query or [],
                content_type=content_type,
                errors=errors,
                csv=csv,
                form=form,
            )
        )
        return wrapped

    return decorator


FORMATS = ("json", "csv")
FORMAT_PARAM = {"name": "format", "in": "query", "required": False,
                "description": "csv: every matching row as a CSV file (same as `Accept: text/csv`).",
                "schema": {"type": "string", "enum": list(FORMATS)}}


def wants_csv() -> bool:
    """Whether a list operation answers as CSV: `?format=csv`, or an Accept header that prefers
    `text/csv` to JSON. `?format=json`, a JSON Accept or none at all keep JSON; another format is a 400."""
    asked = request.args.get("format")
    if asked is not None:
        if asked not in FORMATS:
            raise ValidationFailed("Invalid format.", {"format": "Use json or csv."})
        return asked == "csv"
    return request.accept_mimetypes.best_match(["application/json", "text/csv"]) == "text/csv"


MAX_PAGE = 100000


def paginate_args(default_per_page: int = 20, max_per_page: int = 100) -> tuple[int, int]:
    """`page` and `per_page` from the query string, within sane bounds (400 otherwise)."""
    page = whole_number(request.args.get("page", "1"), low=1, high=MAX_PAGE)
    per_page = whole_number(request.args.get("per_page", str(default_per_page)), low=1, high=max_per_page)
    if page is None:
        raise ValidationFailed("Invalid page.", {"page": f"Must be a whole number from 1 to {MAX_PAGE}."})
    if per_page is None:
        raise ValidationFailed(
            "Invalid per_page.", {"per_page": f"Must be a whole number from 1 to {max_per_page}."}
        )
    return page, per_page


def created(payload: dict, status: int = 201):
    response = jsonify(payload)
    response.status_code = status
    return response


PAGE_PARAMS = [
    {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE}},
    {"name": "per_page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100}},
]


def _openapi_path(rule: str) -> str:
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule)


def build_openapi() -> dict:
    """The OpenAPI 3.1 document for every registered operation."""
    paths: dict[str, dict] = {}
    for op in OPERATIONS:
        path = _openapi_path(op.rule)
        parameters = [
            {"name": name, "in": "path", "required": True, "schema": ID}
            for name in re.findall(r"{([a-z_]+)}", path)
        ]
        parameters += op.query
        if op.csv:
            parameters.append(FORMAT_PARAM)
        parameters.append(
            {
                "name": "X-Consortium",
                "in": "header",
                "required": False,
                "description": "Slug of the consortium to act in (default: the user's own).",
                "schema": {"type": "string", "pattern": "^[a-z0-9-]{1,40}$"},
            }
        )
        if op.method in ("POST",) and op.endpoint.endswith(("create_order", "submit_order")):
            parameters.append(
                {
                    "name": "Idempotency-Key",
                    "in": "header",
                    "required": False,
                    "schema": {"type": "string", "minLength": 1, "maxLength": 200},
                }
            )
        success: dict = {"description": "OK"}
        if op.content_type == "application/json":
            success["content"] = {"application/json": {"schema": op.response or {"type": "object"}}}
        else:  # a file: one media type, or several (a document is whatever type its content is)
            types = (op.content_type,) if isinstance(op.content_type, str) else op.content_type
            success["content"] = {t: {"schema": {"type": "string", "format": "binary"}} for t in types}
        if op.csv:
            success["content"]["text/csv"] = {"schema": {"type": "string"}}
        responses: dict = {str(op.status): success}
        for code in op.errors:
            if code == 401 and not op.auth:
                continue
            responses[str(code)] = {
                "description": {400: "Invalid input", 401: "No valid token", 403: "Not allowed",
                                404: "Not found", 409: "Conflicts with the current state (or lost a race)",
                                413: "Upload too large",
                                422: "Idempotency-Key reused with a different body"}[code],
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
            }
        entry: dict = {
            "operationId": op.endpoint.replace(".", "_"),
            "summary": op.summary,
            "tags": [op.tag],
            "parameters": parameters,
            "responses": responses,
        }
        if not op.auth:
            entry["security"] = [{}, {"bearer": []}]
        if op.method in ("POST", "PATCH", "PUT"):
            entry["requestBody"] = {
                "required": op.form is not None or (op.body is not None and bool(op.body.get("required"))),
                "content": {"multipart/form-data": {"schema": op.form}} if op.form is not None
                else {"application/json": {"schema": op.body or {"type": "object"}}},
            }
        paths.setdefault(path, {})[op.method.lower()] = entry
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Alliance Marketplace API",
            "version": "1.0.0",
            "description": "Cooperative purchasing of proven smart-city technology with "
            "pay-for-performance orders. Money, percentages and measurements are strings.",
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": dict(sorted(paths.items())),
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Error": ERROR_SCHEMA},
        },
    }


kernel_api = Blueprint("kernel_api", __name__, url_prefix="/api/v1")


@operation(kernel_api, "/openapi.json", "GET", summary="This OpenAPI document", tag="meta", auth=False)
def openapi():
    return jsonify(build_openapi())


def registered_api_rules() -> set[tuple[str, str]]:
    """(path, method) of every Flask rule under the API prefix — for the completeness test."""
    rules = set()
    for rule in current_app.url_map.iter_rules():
        if rule.rule.startswith(API_PREFIX):
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                rules.add((_openapi_path(rule.rule), method))
    return rules
