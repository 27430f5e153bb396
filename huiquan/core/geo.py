"""Geofences (R-CON-2, R-MER-2): is a phone's reported position inside an administrative area?

The boundary files are GCJ-02 (see geodata/README.md). Browsers report WGS-84; Chinese apps
report GCJ-02. A WGS-84 point is shifted to GCJ-02 (the national obfuscation, ~300–700 m in
Shanxi) before the point-in-polygon test on a prepared shapely geometry.
"""

from __future__ import annotations

import json
import math
import os
from functools import lru_cache
from pathlib import Path

from shapely import prepared
from shapely.geometry import Point, shape
from shapely.prepared import PreparedGeometry

from huiquan.core.errors import CoreCode, DomainError

GEODATA = Path(__file__).resolve().parent / "geodata"
COORD_SYSTEMS = ("wgs84", "gcj02")

# Krasovsky 1940 ellipsoid, as used by the GCJ-02 transform.
_A = 6378245.0
_EE = 0.00669342162296594323


class LocationError(DomainError):
    code = CoreCode.LOCATION_INVALID
    status = 422


def _out_of_china(lng: float, lat: float) -> bool:
    return not (72.004 <= lng <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _transform_lat(x: float, y: float) -> float:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return ret


def _transform_lng(x: float, y: float) -> float:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return ret


def wgs84_to_gcj02(lng: float, lat: float) -> tuple[float, float]:
    """WGS-84 → GCJ-02 (the published forward transform); unchanged outside China."""
    if _out_of_china(lng, lat):
        return lng, lat
    dlat = _transform_lat(lng - 105.0, lat - 35.0)
    dlng = _transform_lng(lng - 105.0, lat - 35.0)
    radlat = lat / 180.0 * math.pi
    magic = 1 - _EE * math.sin(radlat) ** 2
    sqrtmagic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrtmagic) * math.pi)
    dlng = (dlng * 180.0) / (_A / sqrtmagic * math.cos(radlat) * math.pi)
    return lng + dlng, lat + dlat


def gcj02_to_wgs84(lng: float, lat: float) -> tuple[float, float]:
    """GCJ-02 → WGS-84 by iterating the forward transform (error < 1 cm)."""
    wlng, wlat = lng, lat
    for _ in range(30):
        glng, glat = wgs84_to_gcj02(wlng, wlat)
        dlng, dlat = glng - lng, glat - lat
        wlng, wlat = wlng - dlng, wlat - dlat
        if abs(dlng) < 1e-10 and abs(dlat) < 1e-10:
            break
    return wlng, wlat


def _geodata_dir() -> Path:
    from django.conf import settings

    configured = getattr(settings, "HUIQUAN_GEOFENCE_DIR", None) or os.environ.get(
        "HUIQUAN_GEOFENCE_DIR")
    return Path(configured) if configured else GEODATA


@lru_cache(maxsize=16)
def _area(adcode: str, directory: str) -> PreparedGeometry:
    path = Path(directory) / f"{adcode}.geojson"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RuntimeError(f"no boundary file for adcode {adcode}: {path}") from exc
    geometry = shape(data.get("geometry", data) if data.get("type") == "Feature" else data)
    return prepared.prep(geometry)


def parse_point(lat: object, lng: object, coord_system: object) -> tuple[float, float, str]:
    """Validate what a phone sent; a clear refusal for anything else (never a 500)."""
    if lat is None or lng is None or lat == "" or lng == "":
        raise LocationError("没有获取到您的位置：请允许定位后再领取", code=CoreCode.LOCATION_REQUIRED)
    try:
        flat, flng = float(lat), float(lng)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise LocationError("位置坐标格式不正确") from exc
    if not (math.isfinite(flat) and math.isfinite(flng)) or not (
            -90 <= flat <= 90 and -180 <= flng <= 180):
        raise LocationError("位置坐标超出范围（纬度 −90…90，经度 −180…180）")
    system = str(coord_system or "wgs84").lower()
    if system not in COORD_SYSTEMS:
        raise LocationError("坐标系只能是 wgs84 或 gcj02")
    return flat, flng, system


def contains(adcode: str, *, lat: float, lng: float, coord_system: str) -> bool:
    """Is the point inside the area? ``coord_system`` is what the point was reported in."""
    if coord_system == "wgs84":
        lng, lat = wgs84_to_gcj02(lng, lat)
    elif coord_system != "gcj02":
        raise LocationError("坐标系只能是 wgs84 或 gcj02")
    return bool(_area(adcode, str(_geodata_dir())).contains(Point(lng, lat)))


def preload() -> int:
    """Read and prepare every boundary file now (at server start), so that the first claim a
    server process answers on release day does not also parse a city's polygon."""
    directory = _geodata_dir()
    files = sorted(directory.glob("*.geojson"))
    for path in files:
        _area(path.stem, str(directory))
    return len(files)


def distance_outside_km(adcode: str, *, lat: float, lng: float, coord_system: str) -> float:
    """How far a point outside the area is from its boundary, in km (0 inside): what a refusal
    tells the resident about where the phone was located."""
    from shapely.ops import nearest_points

    if coord_system == "wgs84":
        lng, lat = wgs84_to_gcj02(lng, lat)
    area = _area(adcode, str(_geodata_dir())).context
    point = Point(lng, lat)
    if area.contains(point):
        return 0.0
    nearest = nearest_points(area, point)[0]
    return haversine_m(lat, lng, nearest.y, nearest.x) / 1000


def haversine_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in metres (both points in the same coordinate system)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_000 * math.asin(min(1.0, math.sqrt(h)))
