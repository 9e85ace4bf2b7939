"""Every router of the API, added under `API_V1_STR` by `app.main`."""

from fastapi import APIRouter

from app.api.routes import (
    admin,
    auth,
    bills,
    bookings,
    cover_credits,
    events,
    groups,
    live,
    menu_options,
    menus,
    offerings,
    orders,
    payments,
    pickup_points,
    posters,
    staff,
    table_sessions,
    tables,
    tickets,
    users,
    utils,
    venues,
    visits,
    wallets,
)

#: In the order a request tries them; `app.main` adds their routes flat under `API_V1_STR`
#: (`app.api.routing`).
routers: tuple[APIRouter, ...] = (
    utils.router,
    auth.router,
    users.router,
    admin.router,
    venues.router,
    staff.router,
    menus.router,
    menu_options.router,
    pickup_points.router,
    tables.router,
    table_sessions.router,
    events.router,
    offerings.router,
    posters.router,
    tickets.router,
    bookings.router,
    payments.router,
    bills.router,
    orders.router,
    live.router,
    wallets.router,
    groups.router,
    cover_credits.router,
    visits.router,
)
