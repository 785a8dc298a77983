"""The review page's small map: the visit's GPS fix with its accuracy circle and the registered point, drawn
by the server as SVG (no WebGL, no script) and handed to the MapLibre island as data; the layout keeps both
points and the whole circle on the drawing with a scale bar of a round length."""

from __future__ import annotations

import html
import json
import math
import re

from server.staff.place import METRES_PER_DEGREE, drawing
from tests.factories import make_household, make_user
from tests.review.conftest import make_visit

HOME = (117.1500, -0.5000)


def test_drawing_keeps_both_points_the_circle_and_a_round_scale():
    east = 180 / (METRES_PER_DEGREE * math.cos(math.radians(-0.5)))  # 180 m east of the fix
    plan = drawing(
        {"lon": HOME[0], "lat": HOME[1], "accuracy_m": 40.0, "home_lon": HOME[0] + east, "home_lat": HOME[1]}
    )
    centre, size = plan["size"] / 2, plan["size"]
    assert plan["visit"] == {"x": centre, "y": centre}
    assert plan["home"]["y"] == centre and centre < plan["home"]["x"] < size  # east is right, on the drawing
    metres_per_unit = 180 / (plan["home"]["x"] - centre)
    assert abs(plan["radius"] * metres_per_unit - 40) < 0.5  # the circle at the same scale
    assert plan["bar_m"] in (50, 100) and abs(plan["bar_px"] * metres_per_unit - plan["bar_m"]) < 0.5
    alone = drawing({"lon": HOME[0], "lat": HOME[1], "accuracy_m": 3.0, "home_lon": None, "home_lat": None})
    assert alone["home"] is None and alone["radius"] > 0 and alone["bar_m"] in (10, 20)  # 25 m shown at least


def test_the_visit_page_draws_fix_accuracy_and_registered_point(client, staff_login):
    reviewer, enumerator = make_user("reviewer", ["64.72.01"]), make_user("enumerator", ["64.72.01"])
    north = 120 / METRES_PER_DEGREE
    household = make_household(location=f"SRID=4326;POINT({HOME[0]} {HOME[1]})")
    visit = make_visit(
        household, enumerator, location=f"SRID=4326;POINT({HOME[0]} {HOME[1] + north})", location_accuracy_m=15.0
    )
    staff_login(client, reviewer)
    page = client.get(f"/staff/tinjauan/kunjungan/{visit.id}").text
    # 120 m on the plane the drawing uses; 119 m on the spheroid (the distance the page states).
    assert re.search(r"Jarak dari titik terdaftar: 1(19|20) m\.", page) and "akurasi 15 m" in page
    svg = re.search(r"<svg class=\"place-plot\".*?</svg>", page, re.S).group(0)
    assert 'role="img"' in svg and 'class="place-accuracy"' in svg and 'class="place-home"' in svg
    visit_y = float(re.search(r'cy="([\d.]+)" r="5" class="place-visit"', svg).group(1))
    home_y = float(re.search(r'<circle cx="[\d.]+" cy="([\d.]+)" r="6" class="place-home"', svg).group(1))
    assert home_y > visit_y  # the fix lies north of the registered point: drawn above it
    settings = json.loads(html.unescape(re.search(r'data-settings="([^"]+)"', page).group(1)))
    assert settings["accuracy"] == 15.0 and settings["home"] == [HOME[0], HOME[1]]
    assert abs(settings["visit"][1] - (HOME[1] + north)) < 1e-9


def test_without_a_registered_point_or_a_fix_the_page_says_so(client, staff_login):
    reviewer, enumerator = make_user("reviewer", ["64.72.01"]), make_user("enumerator", ["64.72.01"])
    unplaced = make_visit(make_household(), enumerator)
    no_fix = make_visit(make_household(), enumerator, location=None, location_accuracy_m=None,
                        no_fix_reason="indoor")  # fmt: skip
    staff_login(client, reviewer)
    page = client.get(f"/staff/tinjauan/kunjungan/{unplaced.id}").text
    assert "belum punya titik terdaftar" in page and 'class="place-home"' not in page and "Jarak dari" not in page
    assert "tanpa titik GPS" in client.get(f"/staff/tinjauan/kunjungan/{no_fix.id}").text
