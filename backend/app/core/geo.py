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
    return haversine_sql_bound(
        lat_col,
        lng_col,
        lat_rad=math.radians(lat),
        lng_rad=math.radians(lng),
        cos_lat=math.cos(math.radians(lat)),
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
    """The distance from a point given by its latitude and longitude in radians and the
    cosine of its latitude: numbers, or SQL expressions (bind parameters, so one
    compiled statement serves every point). The one haversine in SQL."""
    rad = sa.func.radians
    dlat = rad(lat_col) - lat_rad
    dlng = rad(lng_col) - lng_rad
    a = sa.func.power(sa.func.sin(dlat / 2), 2) + cos_lat * sa.func.cos(
        rad(lat_col)
    ) * sa.func.power(sa.func.sin(dlng / 2), 2)
    return (2 * EARTH_RADIUS_M * sa.func.asin(sa.func.least(1.0, sa.func.sqrt(a)))).label(
        "distance_m"
    )


def within_bounding_box(
    lat_col: Any, lng_col: Any, lat: float, lng: float, radius_m: float
) -> list[sa.ColumnElement[bool]]:
    """Filters keeping the rows whose (lat_col, lng_col) lie in the circle's bounding box,
    for an index prefilter before the exact distance. A box that crosses the 180°
    meridian is two longitude ranges, one each side of it."""
    min_lat, max_lat, min_lng, max_lng = bounding_box(lat, lng, radius_m)
    filters = [sa.and_(lat_col >= min_lat, lat_col <= max_lat)]
    if max_lng - min_lng >= 360:  # near a pole: every longitude
        return filters
    if min_lng < -180:
        filters.append(sa.or_(lng_col >= min_lng + 360, lng_col <= max_lng))
    elif max_lng > 180:
        filters.append(sa.or_(lng_col >= min_lng, lng_col <= max_lng - 360))
    else:
        filters.append(sa.and_(lng_col >= min_lng, lng_col <= max_lng))
    return filters
