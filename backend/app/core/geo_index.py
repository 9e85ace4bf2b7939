"""H3 covering of a circle: the geo index behind the poster feed.

A poster with centre C and radius r is stored under every H3 cell of its
*covering*; a caller at Q looks up the cell that contains Q at each resolution
in use, so the poster is a candidate whenever Q's cell is in its covering. The
feed then keeps the candidates whose exact great-circle distance is <= r.

Completeness (every point within r of C lies in a covering cell) does not rest
on an estimate of ring widths. H3 cell edges are great-circle arcs (gnomonic
projection per icosahedron face) and cells are star-shaped around their
centre, so no point of a cell is farther from the centre than its farthest
boundary vertex: the cell's circumradius R_c. If a point P of cell c has
d(C, P) <= r, then d(C, centre(c)) <= d(C, P) + d(P, centre(c)) <= r + R_c.
The covering is every cell passing that test, found by a breadth-first walk
from C's cell over neighbours: the cells that meet the (connected) disk form a
connected set in the neighbour graph, and all of them pass, so the walk
reaches each one. A metre of slack absorbs floating point.
"""

from __future__ import annotations

from functools import cache

import h3.api.basic_int as h3i
from h3 import average_hexagon_edge_length

from app.core.geo import haversine_m

# Radius <= RADIUS_TO_EDGE x (average edge of the resolution): about 4-20 cells per poster.
RADIUS_TO_EDGE = 3.0
# Extra metres allowed in the covering test (floating point; cells are never near this small).
SLACK_M = 1.0
FINEST_RESOLUTION = 13
# The resolution of the "area" impressions and taps are counted in.
AREA_RESOLUTION = 7


@cache
def resolution_for_radius(radius_m: float) -> int:
    """The finest resolution at which a circle of this radius needs only a few cells."""
    for res in range(FINEST_RESOLUTION, -1, -1):
        if radius_m <= RADIUS_TO_EDGE * average_hexagon_edge_length(res, "m"):
            return res
    return 0


def resolutions_for_radii(min_radius_m: float, max_radius_m: float) -> tuple[int, ...]:
    """Every resolution `resolution_for_radius` can pick for radii in this range."""
    return tuple(
        range(resolution_for_radius(max_radius_m), resolution_for_radius(min_radius_m) + 1)
    )


def _circumradius_m(cell: int, centre_lat: float, centre_lng: float) -> float:
    return max(
        haversine_m(centre_lat, centre_lng, lat, lng) for lat, lng in h3i.cell_to_boundary(cell)
    )


def circle_covering(lat: float, lng: float, radius_m: float, resolution: int) -> set[int]:
    """Every H3 cell at `resolution` that may contain a point within `radius_m` of (lat, lng).

    Complete by construction (see the module docstring); a superset by at most
    a thin ring of cells.
    """
    start = h3i.latlng_to_cell(lat, lng, resolution)
    covering = {start}
    seen = {start}
    frontier = [start]
    while frontier:
        cell = frontier.pop()
        for neighbour in h3i.grid_disk(cell, 1):
            if neighbour in seen:
                continue
            seen.add(neighbour)
            c_lat, c_lng = h3i.cell_to_latlng(neighbour)
            reach = radius_m + _circumradius_m(neighbour, c_lat, c_lng) + SLACK_M
            if haversine_m(lat, lng, c_lat, c_lng) <= reach:
                covering.add(neighbour)
                frontier.append(neighbour)
    return covering


def poster_covering(lat: float, lng: float, radius_m: float) -> tuple[int, set[int]]:
    """The resolution chosen for this radius and the covering cells at it."""
    resolution = resolution_for_radius(radius_m)
    return resolution, circle_covering(lat, lng, radius_m, resolution)


def point_cells(lat: float, lng: float, resolutions: tuple[int, ...]) -> list[int]:
    """The cell containing the point at each of `resolutions` (what the feed looks up)."""
    return [h3i.latlng_to_cell(lat, lng, res) for res in resolutions]


def area_cell(lat: float, lng: float) -> int:
    """The resolution-7 area (about 5 km2) a point lies in."""
    return int(h3i.latlng_to_cell(lat, lng, AREA_RESOLUTION))


def cell_centre(cell: int) -> tuple[float, float]:
    lat, lng = h3i.cell_to_latlng(cell)
    return lat, lng


def cell_to_str(cell: int) -> str:
    return str(h3i.int_to_str(cell))
