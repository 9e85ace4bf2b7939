"""The OpenAPI contract: operation ids, the errors every operation documents, and
schema names a generated client can use as they are.

The common errors are derived, once, from each route's dependency tree when the app
is built, so a new route documents them without anyone remembering to:

- a security scheme or a dependency marked `@raises(...)` (the auth, role and
  object guards in `app/api/deps.py`): the errors it names (401, 403, 404, ...);
- path parameters: 404 (the object named in the path may not exist);
- any parameter or body: 422, as the list of field errors;
- the database session: 503.

A dependency can also add to the operations that use it (`documents(...)`): header
parameters it reads as optional but that the operation requires (to answer their
absence with an error of its own, e.g. `Idempotency-Key`), and headers of the
success answers.

Route-specific domain errors are declared on the route with
`responses=errors(TableLabelTaken, ...)` (see `app.core.errors.errors`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import get_dependant
from fastapi.routing import APIRoute
from fastapi.security.base import SecurityBase

from app.core.errors import (
    REGISTRY,
    AppError,
    BadRequest,
    Conflict,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    ServiceUnavailable,
    TooManyRequests,
    Unprocessable,
    document_error_shape,
    error_response,
)

F = TypeVar("F", bound=Callable[..., Any])

ERROR_STATUSES = (400, 401, 403, 404, 409, 422, 429, 503)
_GENERIC: tuple[type[AppError], ...] = (
    BadRequest,
    NotAuthenticated,
    PermissionDenied,
    NotFound,
    Conflict,
    Unprocessable,
    TooManyRequests,
    ServiceUnavailable,
)


# --- operation ids ------------------------------------------------------------------------


def operation_id(route: APIRoute) -> str:
    """`{tag}-{action}`: the route's name without the tag's own noun, so
    `venues.list_my_venues` is `venues-list_my` and `tables.table_qr_png` is
    `tables-qr_png` (`venues-read`, `menus-create_item`, ...)."""
    tag = str(route.tags[0]) if route.tags else "default"
    nouns = {tag, tag.removesuffix("s")}
    words = [word for word in route.name.split("_") if word not in nouns]
    return f"{tag}-{'_'.join(words) or route.name}"


# --- errors derived from the dependency tree ----------------------------------------------


def walk_dependants(dependant: Dependant) -> Iterator[Dependant]:
    """The dependant and all its sub-dependencies, depth first."""
    yield dependant
    for sub in dependant.dependencies:
        yield from walk_dependants(sub)


def derived_errors(dependants: Iterable[Dependant]) -> list[type[AppError]]:
    """The errors every route with these dependency trees can answer."""
    found: list[type[AppError]] = []
    has_params = False
    for dependant in (d for root in dependants for d in walk_dependants(root)):
        call = dependant.call
        found.extend(getattr(call, "__raises__", ()))
        if isinstance(call, SecurityBase):
            found.append(NotAuthenticated)
        if dependant.path_params:
            found.append(NotFound)
        if (
            dependant.path_params
            or dependant.query_params
            or dependant.header_params
            or dependant.cookie_params
            or dependant.body_params
        ):
            has_params = True
    if has_params:
        found.append(Unprocessable)
    return found


def api_routes(
    routes: Iterable[Any], *, prefix: str = "", extra: tuple[Any, ...] = ()
) -> Iterator[tuple[str, APIRoute, tuple[Any, ...]]]:
    """Every API route with its full path and the dependencies added where its
    router was included, through included routers (which FastAPI builds lazily)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield prefix + route.path_format, route, extra
            continue
        router = getattr(route, "original_router", None)
        if router is None:
            continue
        context = getattr(route, "include_context", None)
        yield from api_routes(
            router.routes,
            prefix=prefix + getattr(context, "prefix", ""),
            extra=(*extra, *getattr(context, "dependencies", ())),
        )


def _route_errors(route: APIRoute, extra: tuple[Any, ...]) -> list[type[AppError]]:
    roots = [route.dependant]
    roots += [get_dependant(path=route.path_format, call=dep.dependency) for dep in extra]
    kinds = derived_errors(roots)
    if route.body_field is not None:
        kinds.append(Unprocessable)
    return kinds + list(getattr(route.endpoint, "__raises__", ()))


def _declared_kinds(status: int, response: dict[str, Any]) -> list[type[AppError]]:
    """The errors a route's own `responses=` entry names (`errors(...)` lists them as
    examples); a hand-written entry stands for its status's generic error."""
    examples = response.get("content", {}).get("application/json", {}).get("examples", {})
    kinds = [REGISTRY[code] for code in examples if code in REGISTRY]
    return kinds or [kind for kind in _GENERIC if kind.status_code == status]


def _error_headers(kinds: Iterable[type[AppError]]) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    for kind in kinds:
        for name in kind.headers or {}:
            headers[name] = {"schema": {"type": "string"}}
        if issubclass(kind, TooManyRequests):
            headers["Retry-After"] = {
                "description": "Seconds to wait before trying again",
                "schema": {"type": "integer"},
            }
    return headers


def _document_errors(app: FastAPI, document: dict[str, Any]) -> None:
    paths = document.get("paths", {})
    for path, route, extra in api_routes(app.routes):
        if not route.include_in_schema:
            continue
        for method in route.methods or ():
            operation = paths.get(path, {}).get(method.lower())
            if operation is None:
                continue
            responses = operation.setdefault("responses", {})
            by_status: dict[int, list[type[AppError]]] = {}
            for kind in _route_errors(route, extra):
                by_status.setdefault(kind.status_code, []).append(kind)
            for key, response in list(responses.items()):
                if key.isdigit() and int(key) in ERROR_STATUSES:
                    by_status.setdefault(int(key), []).extend(_declared_kinds(int(key), response))
            for status in sorted(by_status):
                entry = error_response(status, by_status[status])
                model = entry.pop("model")
                entry["content"]["application/json"]["schema"] = {
                    "$ref": f"#/components/schemas/{model.__name__}"
                }
                if headers := _error_headers(by_status[status]):
                    entry["headers"] = headers
                responses[str(status)] = entry
            operation["responses"] = dict(sorted(responses.items()))


def _needs_sign_in(dependant: Dependant) -> bool:
    """Whether the dependencies include the required sign-in (`get_current_user`);
    `get_optional_user` reads the same token but only when one is sent."""
    from app.api.deps import get_current_user

    return any(
        sub.call is get_current_user or _needs_sign_in(sub) for sub in dependant.dependencies
    )


def _document_optional_auth(app: FastAPI, document: dict[str, Any]) -> None:
    """Operations where a token is optional (public reads that show more to members)
    also list the empty requirement `{}`: anonymous calls are allowed."""
    paths = document.get("paths", {})
    for path, route, extra in api_routes(app.routes):
        roots = [route.dependant]
        roots += [get_dependant(path=route.path_format, call=dep.dependency) for dep in extra]
        if any(_needs_sign_in(root) for root in roots):
            continue
        for method in route.methods or ():
            operation = paths.get(path, {}).get(method.lower())
            if operation and operation.get("security") and {} not in operation["security"]:
                operation["security"] = [{}, *operation["security"]]


# --- what a dependency adds to its operations ---------------------------------------------


def documents(
    *, required_headers: Iterable[str] = (), success_headers: dict[str, Any] | None = None
) -> Callable[[F], F]:
    """Mark a dependency with what every operation using it documents beyond its own
    parameters: `required_headers`, header parameters it declares optional (so that it
    can answer their absence itself) but which the operation requires; and
    `success_headers`, OpenAPI header objects of the operation's 2xx answers."""

    def mark(fn: F) -> F:
        fn.__required_headers__ = tuple(required_headers)  # type: ignore[attr-defined]
        fn.__success_headers__ = dict(success_headers or {})  # type: ignore[attr-defined]
        return fn

    return mark


def _not_null(schema: dict[str, Any]) -> dict[str, Any]:
    """`anyOf: [X, null]` (how an optional parameter is described) as just `X`."""
    branches = [b for b in schema.get("anyOf", []) if b.get("type") != "null"]
    if len(branches) != 1:
        return schema
    rest = {k: v for k, v in schema.items() if k != "anyOf"}
    return {**branches[0], **rest}


def _document_dependency_extras(app: FastAPI, document: dict[str, Any]) -> None:
    paths = document.get("paths", {})
    for path, route, extra in api_routes(app.routes):
        roots = [route.dependant]
        roots += [get_dependant(path=route.path_format, call=dep.dependency) for dep in extra]
        required: set[str] = set()
        success: dict[str, Any] = {}
        for dependant in (d for root in roots for d in walk_dependants(root)):
            required.update(getattr(dependant.call, "__required_headers__", ()))
            success.update(getattr(dependant.call, "__success_headers__", {}))
        if not required and not success:
            continue
        for method in route.methods or ():
            operation = paths.get(path, {}).get(method.lower())
            if operation is None:
                continue
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "header" and parameter.get("name") in required:
                    parameter["required"] = True
                    parameter["schema"] = _not_null(parameter.get("schema", {}))
            for status, response in operation.get("responses", {}).items():
                if status.startswith("2"):
                    response.setdefault("headers", {}).update(success)


# --- the finished document ----------------------------------------------------------------

_PAGE = re.compile(r"^Page_(?P<item>\w+?)_$")


def _schema_renames(schemas: dict[str, Any]) -> dict[str, str]:
    """Clean TypeScript names: `Page_VenueSummary_` is `VenueSummaryPage`,
    `Body_auth-login` is `AuthLoginForm`."""
    renames: dict[str, str] = {}
    for name in schemas:
        if match := _PAGE.match(name):
            renames[name] = f"{match['item']}Page"
        elif name.startswith("Body_"):
            words = re.split(r"[-_]", name.removeprefix("Body_"))
            renames[name] = "".join(word.capitalize() for word in words) + "Form"
    taken = set(schemas) - set(renames)
    for old, new in renames.items():
        if new in taken:
            raise RuntimeError(f"schema {old} cannot be renamed to {new}: the name is taken")
        taken.add(new)
    return renames


def _rename_schemas(document: dict[str, Any]) -> dict[str, Any]:
    schemas = document.get("components", {}).get("schemas", {})
    renames = _schema_renames(schemas)
    if not renames:
        return document
    text = json.dumps(document)
    for old, new in renames.items():
        text = text.replace(f'"#/components/schemas/{old}"', f'"#/components/schemas/{new}"')
    renamed: dict[str, Any] = json.loads(text)
    components = renamed["components"]["schemas"]
    for old, new in renames.items():
        schema = components.pop(old)
        schema["title"] = new
        components[new] = schema
    renamed["components"]["schemas"] = dict(sorted(components.items()))
    return renamed


_LOCATION = {
    "description": "The URL of the created object",
    "schema": {"type": "string", "format": "uri-reference"},
}


def _finish_operations(document: dict[str, Any]) -> None:
    for path_item in document.get("paths", {}).values():
        for operation in path_item.values():
            for status, response in operation.get("responses", {}).items():
                for media_type, content in response.get("content", {}).items():
                    # Images are bytes; HTML is text.
                    if media_type.startswith("image/") and "schema" not in content:
                        content["schema"] = {"type": "string", "format": "binary"}
                    elif media_type == "text/html" and "schema" not in content:
                        content["schema"] = {"type": "string"}
                if status == "201":
                    response.setdefault("headers", {})["Location"] = _LOCATION


# pydantic publishes the bounds of a type with a validator of its own (StrictInteger)
# under its own names; JSON Schema's are these.
_BOUND_NAMES = {
    "ge": "minimum",
    "le": "maximum",
    "gt": "exclusiveMinimum",
    "lt": "exclusiveMaximum",
}


def _json_schema_bounds(node: Any) -> None:
    if isinstance(node, dict):
        if isinstance(node.get("type"), str) and node["type"] in {"integer", "number"}:
            for ours, theirs in _BOUND_NAMES.items():
                if ours in node and theirs not in node:
                    node[theirs] = node.pop(ours)
        for value in node.values():
            _json_schema_bounds(value)
    elif isinstance(node, list):
        for value in node:
            _json_schema_bounds(value)


def install_openapi(app: FastAPI) -> None:
    """Document the errors of every route, and clean the finished document."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = build()
            _json_schema_bounds(document)
            _document_errors(app, document)
            _document_optional_auth(app, document)
            _document_dependency_extras(app, document)
            document = document_error_shape(document)
            _finish_operations(document)
            app.openapi_schema = _rename_schemas(document)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
