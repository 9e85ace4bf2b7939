"""Great-circle distance, in Python and in SQL, on one Earth radius.

Both use the haversine formula with the mean Earth radius, so a distance
computed in the database and one computed in Python agree to the millimetre.
"""

from __future__ import annotations

import math
from typing import Any

import sqlalchemy as sa

EARTH_RADIUS_M = 6_371_008.8  # mean Earth radius (IUGG)


def haversine_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in metres between two points given in degrees."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp = p2 - p1
    dl = math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def haversine_sql(lat_col: Any, lng_col: Any, lat: float, lng: float) -> sa.ColumnElement[float]:
    """The same distance as a SQL expression over two columns (degrees)."""
    rad = sa.func.radians
    dlat = rad(lat_col) - math.radians(lat)
    dlng = rad(lng_col) - math.radians(lng)
    a = sa.func.power(sa.func.sin(dlat / 2), 2) + math.cos(math.radians(lat)) * sa.func.cos(
        rad(lat_col)
    ) * sa.func.power(sa.func.sin(dlng / 2), 2)
    return (2 * EARTH_RADIUS_M * sa.func.asin(sa.func.least(1.0, sa.func.sqrt(a)))).label(
        "distance_m"
    )


def bounding_box(lat: float, lng: float, radius_m: float) -> tuple[float, float, float, float]:
    """(min_lat, max_lat, min_lng, max_lng) that contains the circle (for an index prefilter)."""
    dlat = math.degrees(radius_m / EARTH_RADIUS_M)
    cos_lat = max(math.cos(math.radians(lat)), 1e-6)
    dlng = min(180.0, math.degrees(radius_m / (EARTH_RADIUS_M * cos_lat)))
    return lat - dlat, lat + dlat, lng - dlng, lng + dlng


def haversine_sql_bound(
    lat_col: Any, lng_col: Any, *, lat_rad: Any, lng_rad: Any, cos_lat: Any
) -> sa.ColumnElement[float]:
    """`haversine_sql` with the point given as SQL expressions (usually bind parameters):
    its latitude and longitude in radians and the cosine of its latitude. The same
    arithmetic in the same order, so one compiled statement serves every point."""
    rad = sa.func.radians
    dlat = rad(lat_col) - lat_rad
    dlng = rad(lng_col) - lng_rad
    a = sa.func.power(sa.func.sin(dlat / 2), 2) + cos_lat * sa.func.cos(
        rad(lat_col)
    ) * sa.func.power(sa.func.sin(dlng / 2), 2)
    return (2 * EARTH_RADIUS_M * sa.func.asin(sa.func.least(1.0, sa.func.sqrt(a)))).label(
        "distance_m"
    )
