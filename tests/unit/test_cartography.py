"""Cartography rules for printed maps: paper, extents, scale bars, label placement, styles, stages as of a date."""
from datetime import date

import pytest

from gis_tracker.rules.stage_history import stage_as_of
from gis_tracker.spatial import cartography as c


def test_paper_sizes_and_pixels():
    assert c.paper_inches("A4", False) == pytest.approx((210 / 25.4, 297 / 25.4))
    assert c.paper_inches("A3", True) == pytest.approx((420 / 25.4, 297 / 25.4))
    assert c.pixel_size("A3", True, 300) == (4961, 3508)
    assert c.pixel_size("A4", False, 96) == (794, 1123)
    with pytest.raises(ValueError):
        c.paper_inches("Letter", False)


def test_fit_bbox_keeps_centre_and_reaches_aspect():
    box = c.fit_bbox((0, 0, 1000, 100), aspect=2.0, margin=0.0)
    assert (box[2] - box[0]) / (box[3] - box[1]) == pytest.approx(2.0)
    assert ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2) == pytest.approx((500, 50))
    assert box[0] <= 0 and box[2] >= 1000  # never cuts the requested extent


def test_simplification_tolerance_is_one_pixel():
    # 42 km across 4961 px (A3 landscape at 300 dpi): about 8.5 m per pixel
    assert c.metres_per_pixel(42000, 4961) == pytest.approx(8.466, rel=1e-3)
    assert c.simplify_tolerance(42000, 4961) == pytest.approx(8.466, rel=1e-3)
    assert c.simplify_tolerance(42000, 4961 * 2) < c.simplify_tolerance(42000, 4961)  # finer print, finer shapes


@pytest.mark.parametrize("value,expected", [(7, 5), (1999, 1000), (2000, 2000), (0.3, 0.2), (4999, 2000)])
def test_nice_number(value, expected):
    assert c.nice_number(value) == pytest.approx(expected)


def test_scale_bar_is_round_and_at_most_a_quarter_of_the_map():
    bar = c.scale_bar(23000)
    assert bar.length_m == 5000 and bar.length_m <= 23000 * 0.25
    assert bar.ticks[0] == "0" and bar.ticks[-1] == "5 km"
    small = c.scale_bar(900)
    assert small.length_m == 200 and small.ticks[-1] == "200 m"
    assert small.segment_m * small.segments == pytest.approx(small.length_m)


def test_north_arrow_points_up():
    left, right, n_at = c.north_arrow(10, 20, 5)
    assert max(p[1] for p in left + right) == 25
    assert n_at[1] > 25 and n_at[0] == 10


def test_labels_never_overlap_and_most_important_wins():
    cands = [c.LabelCandidate("小", 100, 100, 60, 20, priority=1),
             c.LabelCandidate("大片区", 105, 102, 80, 20, priority=10)]
    for i in range(30):  # a pile of labels at one spot
        cands.append(c.LabelCandidate(f"L{i}", 100, 100, 60, 20, priority=0))
    placed = c.place_labels(cands, bounds=(0, 0, 400, 400))
    assert placed[0].text == "大片区" and (placed[0].x, placed[0].y) == (105, 102)
    boxes = []
    for p in placed:
        w = next(x.width for x in cands if x.text == p.text)
        boxes.append((p.x - w / 2, p.y - 10, p.x + w / 2, p.y + 10))
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]), (a, b)
    assert len(placed) < len(cands)  # the rest were dropped, not piled up


def test_labels_stay_inside_the_frame_and_off_obstacles():
    cand = [c.LabelCandidate("边缘", 5, 5, 40, 20)]  # at the corner: moved diagonally inside, or dropped
    for p in c.place_labels(cand, bounds=(0, 0, 100, 100)):
        assert p.x - 20 >= 0 and p.y - 10 >= 0 and p.x + 20 <= 100 and p.y + 10 <= 100
    assert c.place_labels([c.LabelCandidate("界外", -60, -60, 40, 20)], bounds=(0, 0, 100, 100)) == []
    cand = [c.LabelCandidate("中", 50, 50, 20, 10)]
    placed = c.place_labels(cand, bounds=(0, 0, 100, 100), obstacles=[(42, 46, 58, 54)])
    assert placed and (placed[0].x, placed[0].y) != (50, 50)


def test_cjk_text_is_wider_than_latin():
    assert c.text_box("清水塘", 10, 72)[0] > c.text_box("QST", 10, 72)[0]


def test_print_style_follows_the_web_map():
    enterprise = c.print_style({"radius": 5, "weight": 1, "color": "#333333", "fillOpacity": 0.9}, "Point", "#d7191c")
    assert enterprise.face == "#d7191c" and enterprise.edge == "#333333"  # points keep their outline
    zone = c.print_style({"color": "#5b6abf", "weight": 1.5, "fillOpacity": 0.08}, "MultiPolygon", "#c0504d")
    assert zone.face == zone.edge == "#c0504d" and zone.linewidth_pt == pytest.approx(1.125)
    dashed = c.print_style({"weight": 1, "dashArray": "4 3"}, "MultiPolygon")
    assert dashed.dashes == (3.0, 2.25)
    line = c.print_style({"color": "#444", "fill": False}, "LineString")
    assert line.face is None


@pytest.mark.parametrize("text", ["1,2,3", "a,b,c,d", "113.2,27.9,113.1,28.0", "200,0,210,1", ""])
def test_parse_bbox_rejects_bad_input(text):
    with pytest.raises(ValueError):
        c.parse_bbox(text)


def test_parse_bbox():
    assert c.parse_bbox("113.05,27.85,113.15,27.92") == (113.05, 27.85, 113.15, 27.92)


def test_scale_denominator():
    assert c.scale_denominator(30000, 300) == 100000


def test_stage_as_of_replays_stage_dates():
    dates = {"assessment": "2014-05-20", "agreement_signed": "2015-09-18", "production_halted": "2018-12-30"}
    assert stage_as_of(dates, date(2014, 1, 1)) == "not_started"
    assert stage_as_of(dates, date(2014, 5, 20)) == "assessment"
    assert stage_as_of(dates, date(2016, 1, 1)) == "agreement_signed"
    assert stage_as_of(dates, date(2030, 1, 1)) == "production_halted"
    assert stage_as_of({"accepted": "not a date", "bogus": "2010-01-01"}, date(2030, 1, 1)) == "not_started"


def test_wrap_text_fits_the_width_and_keeps_every_character():
    from gis_tracker.spatial import cartography as c
    text = "示例·湘江取水口旁滨江驿站 Xiangjiang riverside kiosk 1,234.5 m²"
    lines = c.wrap_text(text, 8)
    assert all(c.text_em(line) <= 8 for line in lines)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    assert c.wrap_text("", 5) == [""] and c.wrap_text("一\n二", 5) == ["一", "二"]


def test_paginate_puts_every_row_on_exactly_one_page():
    from gis_tracker.spatial import cartography as c
    heights = [1.0] * 37
    pages = c.paginate(heights, 10.0, 12.0)
    assert pages[0] == (0, 10) and pages[1] == (10, 22) and pages[-1][1] == 37
    covered = [i for a, b in pages for i in range(a, b)]
    assert covered == list(range(37))
    assert c.paginate([50.0, 1.0], 10.0, 10.0) == [(0, 1), (1, 2)]  # too tall: its own page, not dropped
    assert c.paginate([], 10.0, 10.0) == [(0, 0)]


def test_scale_bar_labels_thin_out_in_small_insets():
    from gis_tracker.spatial import cartography as c
    ticks = ("0", "50", "100", "150", "200 m")
    assert c.scale_bar_labels(ticks, 40.0, 6.0) == [0, 1, 2, 3, 4]
    assert c.scale_bar_labels(ticks, 10.0, 6.0) == [0, 4]


def test_labels_keep_off_point_symbols_and_move_around_them():
    # a ring of dots around the anchor and on it: the label goes further out, never over a dot
    dots = [c.symbol_box(100 + dx, 100 + dy, 8) for dx in (-30, -15, 0, 15, 30) for dy in (-10, 0, 10)]
    placed = c.place_labels([c.LabelCandidate("企业", 100, 100, 40, 16)], bounds=(0, 0, 400, 400), obstacles=dots)
    assert len(placed) == 1
    box = (placed[0].x - 20, placed[0].y - 8, placed[0].x + 20, placed[0].y + 8)
    assert not any(box[0] < d[2] and d[0] < box[2] and box[1] < d[3] and d[1] < box[3] for d in dots)
    # covered everywhere: dropped, not printed over the dots
    carpet = [c.symbol_box(x, y, 8) for x in range(0, 401, 6) for y in range(0, 401, 6)]
    assert c.place_labels([c.LabelCandidate("企业", 200, 200, 40, 16)], bounds=(0, 0, 400, 400),
                          obstacles=carpet) == []


def test_a_polygon_label_stays_on_or_beside_its_feature():
    blocked = [(80, 80, 120, 120)]  # the anchor and the first ring are taken
    region = (90, 90, 110, 110)
    placed = c.place_labels([c.LabelCandidate("片区", 100, 100, 20, 10, region=region)], bounds=(0, 0, 400, 400),
                            obstacles=blocked)
    for p in placed:
        assert region[0] - 12 <= p.x <= region[2] + 12 and region[1] - 9 <= p.y <= region[3] + 9


def test_many_symbols_are_fast_to_avoid():
    import time
    dots = [c.symbol_box(x * 7.3 % 2000, x * 3.1 % 1400, 6) for x in range(20000)]
    cands = [c.LabelCandidate(f"L{i}", (i * 37) % 2000, (i * 53) % 1400, 50, 14, priority=i % 3) for i in range(800)]
    start = time.perf_counter()
    c.place_labels(cands, bounds=(0, 0, 2000, 1400), obstacles=dots)
    assert time.perf_counter() - start < 3.0
