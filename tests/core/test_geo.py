"""R-CON-2: the claim geofence is Linfen's real boundary, and coordinate systems matter."""

import pytest

from huiquan.core import geo
from huiquan.core.geo import LocationError

# Found on Linfen's western border: a phone reporting WGS-84 here is inside Linfen, but the same
# numbers read as GCJ-02 (a missing conversion) fall ~560 m to the west, outside.
BORDER_WGS84 = {"lat": 36.89945, "lng": 110.642495}


def test_linfen_and_xi_county_contain_their_centres_and_not_beijing():
    assert geo.contains("141000", lat=36.08, lng=111.52, coord_system="wgs84")
    assert geo.contains("141031", lat=36.693, lng=110.94, coord_system="gcj02")
    assert not geo.contains("141000", lat=39.9087, lng=116.3975, coord_system="wgs84")
    assert not geo.contains("141031", lat=36.08, lng=111.52, coord_system="wgs84")


def test_the_wgs84_to_gcj02_shift_decides_at_the_border():
    assert geo.contains("141000", coord_system="wgs84", **BORDER_WGS84)
    assert not geo.contains("141000", coord_system="gcj02", **BORDER_WGS84)


def test_the_conversion_round_trips_and_shifts_about_half_a_kilometre():
    lng, lat = geo.wgs84_to_gcj02(111.52, 36.08)
    assert 0.004 < lng - 111.52 < 0.008  # ~560 m east at this latitude
    back = geo.gcj02_to_wgs84(lng, lat)
    assert abs(back[0] - 111.52) < 1e-7 and abs(back[1] - 36.08) < 1e-7
    assert geo.wgs84_to_gcj02(2.35, 48.85) == (2.35, 48.85)  # outside China: unchanged


@pytest.mark.parametrize("lat, lng, system, code", [
    (None, 111.5, "wgs84", "LOCATION_REQUIRED"), ("", "", "wgs84", "LOCATION_REQUIRED"),
    (91, 111.5, "wgs84", "LOCATION_INVALID"), (36.0, 181, "wgs84", "LOCATION_INVALID"),
    ("abc", 111.5, "wgs84", "LOCATION_INVALID"), (float("nan"), 111.5, "wgs84", "LOCATION_INVALID"),
    (36.0, 111.5, "bd09", "LOCATION_INVALID"),
])
def test_missing_or_impossible_coordinates_get_a_clear_refusal(lat, lng, system, code):
    with pytest.raises(LocationError) as refused:
        geo.parse_point(lat, lng, system)
    assert refused.value.code == code
