"""Every router of the API, mounted under `API_V1_STR` by `app.main`."""

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

api_router = APIRouter()
api_router.include_router(utils.router)
api_router.include_router(auth.router)
api_router.include_router(users.router)
api_router.include_router(admin.router)
api_router.include_router(venues.router)
api_router.include_router(staff.router)
api_router.include_router(menus.router)
api_router.include_router(menu_options.router)
api_router.include_router(pickup_points.router)
api_router.include_router(tables.router)
api_router.include_router(table_sessions.router)
api_router.include_router(events.router)
api_router.include_router(offerings.router)
api_router.include_router(posters.router)
api_router.include_router(tickets.router)
api_router.include_router(bookings.router)
api_router.include_router(payments.router)
api_router.include_router(bills.router)
api_router.include_router(orders.router)
api_router.include_router(live.router)
api_router.include_router(wallets.router)
api_router.include_router(groups.router)
api_router.include_router(cover_credits.router)
api_router.include_router(visits.router)
