"""One flat route table for the whole app.

Since FastAPI 0.137, `include_router` keeps each included router as a node of a
tree (`_IncludedRouter`) that a request walks on every call: every router before
the right one is searched, the search is repeated at each level to hand the request
on, and each route of the walk is matched through its include context. Measured on
this app (219 routes, 24 routers under `/api/v1`): matching
`POST /api/v1/events/{id}/bookings` took 2.8 ms per request, a tenth of a booking's
whole time, before any of its code ran.

`include_flat` adds a router's routes to another as its own routes, as
`include_router` did before 0.137: each route is rebuilt once, at start-up, with
the target's settings (prefix, tags, dependencies, operation ids, response class,
`include_in_schema`), and a request is then matched once, by each route's regex in
turn. Only API routes are flattened (a nested include or a mount is refused, so
nothing is dropped silently).
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.routing import APIRoute


def include_flat(
    target: APIRouter, router: APIRouter, *, prefix: str = "", include_in_schema: bool = True
) -> None:
    """Add every route of `router` to `target` under `prefix`, as `target`'s own."""
    for route in router.routes:
        if not isinstance(route, APIRoute):
            raise TypeError(f"only API routes can be included flat, not {route!r}")
        target.add_api_route(
            prefix + route.path,
            route.endpoint,
            response_model=route.response_model,
            status_code=route.status_code,
            tags=list(route.tags),
            dependencies=list(route.dependencies),
            summary=route.summary,
            description=route.description,
            response_description=route.response_description,
            responses=dict(route.responses),
            deprecated=route.deprecated,
            methods=route.methods,
            operation_id=route.operation_id,
            response_model_include=route.response_model_include,
            response_model_exclude=route.response_model_exclude,
            response_model_by_alias=route.response_model_by_alias,
            response_model_exclude_unset=route.response_model_exclude_unset,
            response_model_exclude_defaults=route.response_model_exclude_defaults,
            response_model_exclude_none=route.response_model_exclude_none,
            include_in_schema=route.include_in_schema and include_in_schema,
            response_class=route.response_class,
            name=route.name,
            route_class_override=type(route),
            callbacks=route.callbacks,
            openapi_extra=route.openapi_extra,
            generate_unique_id_function=route.generate_unique_id_function,
            strict_content_type=route.strict_content_type,
            max_body_size=route.max_body_size,
            form_limits=route.form_limits,
        )
