#!/usr/bin/env python3
"""Generate the illustrative sample layers (示例数据) of the Shifeng District (石峰区) web GIS.

Writes district, zones, enterprises, protected_areas, water_bodies and projects
GeoJSON files next to this script and then validates them. Deterministic (fixed
seed, no network): rerunning gives byte-identical files.  Needs only shapely>=2.1,
pyproj, numpy and the standard library.   Run:  python layers/generate_sample.py

Only the district outline and the Xiang River come from public data (generalised,
see /work/shared/reference); every other feature is invented but placed plausibly.
Geometric work (buffers, areas) is done in EPSG:4547 (CGCS2000 / 3-degree GK CM 114E).
"""
import datetime as dt
import json
import math
import random
import sys
from pathlib import Path

import numpy as np
import shapely
from pyproj import Transformer
from shapely import affinity
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, box, mapping

OUT = Path(__file__).resolve().parent
REF = Path("/work/shared/reference/shifeng_outline_generalised_wgs84.geojson")  # optional check
GRID = 1e-6                      # output precision in degrees (6 decimals)
SEED = 430204
CUTOFF = dt.date(2026, 10, 31)   # "as of" date of the enterprise progress data
TODAY = dt.date(2026, 11, 1)     # reference date for idle-land rules
_o = [113.080834, 27.953251, 113.094333, 27.937884, 113.102771, 27.936174, 113.116242, 27.91745, 113.128977, 27.916436, 113.13355, 27.930685, 113.127121, 27.933728, 113.127067, 27.938753, 113.124046, 27.943159, 113.132718, 27.9476, 113.129642, 27.956599, 113.140704, 27.957056, 113.146988, 27.966199, 113.152908, 27.969573, 113.143517, 27.98448, 113.145348, 27.99055, 113.142814, 27.995474, 113.154221, 28.001015, 113.154879, 28.003273, 113.157474, 28.002306, 113.157796, 27.999315, 113.162285, 27.999475, 113.164612, 28.004074, 113.158291, 28.009939, 113.161383, 28.015526, 113.170054, 28.018266, 113.185062, 28.013932, 113.202719, 28.014681, 113.208223, 28.027842, 113.212181, 28.022274, 113.220868, 28.023738, 113.222494, 28.017748, 113.232413, 28.016269, 113.235714, 28.013002, 113.238169, 28.01325, 113.244576, 28.023009, 113.24973, 28.02211, 113.250871, 28.004983, 113.249124, 28.001089, 113.251884, 27.997805, 113.24874, 27.992518, 113.251929, 27.992248, 113.25203, 27.990065, 113.247316, 27.987919, 113.233884, 27.971962, 113.224591, 27.972436, 113.222183, 27.979435, 113.219296, 27.980941, 113.208788, 27.975444, 113.189773, 27.958374, 113.188705, 27.954011, 113.191733, 27.945415, 113.187674, 27.932562, 113.182207, 27.926833, 113.176816, 27.927335, 113.171641, 27.920849, 113.161421, 27.917499, 113.15729, 27.913622, 113.159429, 27.907698, 113.1559, 27.903018, 113.150695, 27.901441, 113.15147, 27.89586, 113.14212, 27.895143, 113.140366, 27.885604, 113.155516, 27.877354, 113.155048, 27.871346, 113.147784, 27.870825, 113.141726, 27.865428, 113.125136, 27.857882, 113.121603, 27.850927, 113.098392, 27.850154, 113.060057, 27.857007, 113.052109, 27.855716, 113.040628, 27.8496, 113.036297, 27.859553, 113.036999, 27.865041, 113.033338, 27.866441, 113.033231, 27.871067, 113.040603, 27.879611, 113.042616, 27.894202, 113.055539, 27.914051, 113.05751, 27.926883, 113.063386, 27.941747]  # noqa: E501  shifeng_outline_generalised_wgs84.geojson
_x = [113.041077, 27.855186, 113.069962, 27.859449, 113.125, 27.852915, 113.137589, 27.843, 113.140877, 27.835436, 113.14576, 27.818813, 113.141296, 27.801527, 113.137009, 27.7978, 113.120018, 27.794193, 113.112282, 27.785978, 113.114524, 27.78, 113.102603, 27.78, 113.100433, 27.78684, 113.103951, 27.797358, 113.130287, 27.802385, 113.137177, 27.810608, 113.136597, 27.832462, 113.127434, 27.844604, 113.11731, 27.848467, 113.092712, 27.84794, 113.055473, 27.852798, 113.043556, 27.84989, 112.992279, 27.814173, 112.98, 27.808353, 112.98, 27.81733]  # noqa: E501  xiang_river_generalised_wgs84.geojson (part 1, 6 decimals)
O = list(zip(_o[::2], _o[1::2]))  # outline vertices, O[i] used as exact cut-line end points
_FWD = Transformer.from_crs("EPSG:4326", "EPSG:4547", always_xy=True)
_INV = Transformer.from_crs("EPSG:4547", "EPSG:4326", always_xy=True)


# ----------------------------------------------------------------- geometry helpers
def to_m(g):
    """Project a lon/lat geometry to EPSG:4547 metres."""
    return shapely.transform(g, lambda a: np.column_stack(_FWD.transform(a[:, 0], a[:, 1])))


def to_ll(g):
    """Project an EPSG:4547 geometry back to lon/lat."""
    return shapely.transform(g, lambda a: np.column_stack(_INV.transform(a[:, 0], a[:, 1])))


def polys(g):
    """Polygonal parts of g (slivers under ~1 m² dropped) as Polygon or MultiPolygon."""
    parts = []
    for p in shapely.get_parts(g):
        parts += list(p.geoms) if p.geom_type == "MultiPolygon" else [p] if p.geom_type == "Polygon" else []
    parts = [p for p in parts if p.area > 1e-10]
    return parts[0] if len(parts) == 1 else MultiPolygon(parts)


def inter(a, b):
    """Lon/lat intersection on the output grid."""
    return polys(shapely.intersection(a, b, grid_size=GRID))


def diff(a, b):
    """Lon/lat difference on the output grid."""
    return polys(shapely.difference(a, b, grid_size=GRID))


def union(gs):
    """Lon/lat union on the output grid."""
    return shapely.union_all(gs, grid_size=GRID)


def fin(g_m, parent=None, inset=0.5):
    """Metric geometry -> lon/lat on the 1e-6 grid, clipped strictly inside `parent` (lon/lat).

    Clipping to the parent shrunk by `inset` metres keeps the result strictly within the
    parent even after the vertices are snapped (snapping moves them by < 0.08 m)."""
    if parent is not None:
        g_m = g_m.intersection(to_m(parent).buffer(-inset))
    return polys(shapely.set_precision(to_ll(g_m), GRID))


def pm(lon, lat):
    """Point in metres from lon/lat."""
    return to_m(Point(lon, lat))


def bbm(x0, y0, x1, y1):
    """Lon/lat box as a metric polygon."""
    return to_m(box(x0, y0, x1, y1))


def rect(lon, lat, w, h, ang=0.0):
    """Rectangle of w x h metres centred on lon/lat, rotated by ang degrees (metres)."""
    c = pm(lon, lat)
    return affinity.rotate(box(c.x - w / 2, c.y - h / 2, c.x + w / 2, c.y + h / 2), ang, origin=c)


def blob(lon, lat, r, rng, jit=0.15, sx=1.0, ang=0.0, n=16):
    """Irregular roundish polygon (metres): mean radius r, stretched sx along x, rotated ang deg."""
    c, a = pm(lon, lat), math.radians(ang)
    pts = []
    for i in range(n):
        t, rr = 2 * math.pi * i / n, r * (1 + rng.uniform(-jit, jit))
        x, y = rr * sx * math.cos(t), rr * math.sin(t)
        pts.append((c.x + x * math.cos(a) - y * math.sin(a), c.y + x * math.sin(a) + y * math.cos(a)))
    return Polygon(pts)


def corridor(pts, width):
    """Flat-capped corridor polygon (metres) of `width` metres along a lon/lat polyline."""
    return to_m(LineString(pts)).buffer(width / 2, cap_style="flat")


def creek(pts, width, amp, seed):
    """Winding creek (metres): the lon/lat polyline meanders by up to amp metres, tapering to
    zero at both ends. Returns (centreline, polygon of the given width)."""
    line, rng = to_m(LineString(pts)), random.Random(seed)
    L, ph1, ph2, out = line.length, rng.uniform(0, 6.3), rng.uniform(0, 6.3), []
    for d in np.linspace(0, L, int(L // 25) + 2):
        p, q, c = line.interpolate(max(d - 5, 0)), line.interpolate(min(d + 5, L)), line.interpolate(d)
        nx, ny = -(q.y - p.y), q.x - p.x
        n = math.hypot(nx, ny)
        off = amp * min(1, d / 300, (L - d) / 300) * (0.7 * math.sin(d / 67 + ph1) + 0.3 * math.sin(d / 27 + ph2))
        out.append((c.x + nx / n * off, c.y + ny / n * off))
    cl = LineString(out)
    return cl, cl.buffer(width / 2, cap_style="flat")


def partition(parent, cuts, labels):
    """Split polygon `parent` along cut polylines whose ends are existing vertices of the parent
    (or of another cut), so no new coordinates are created and the faces tile the parent
    exactly. Returns {label: face}, each face chosen by a label point inside it."""
    lines = shapely.union_all([parent.exterior] + [LineString(c) for c in cuts])
    faces = list(shapely.polygonize(shapely.get_parts(lines)).geoms)
    assert abs(sum(f.area for f in faces) - parent.area) < 1e-12, "cut lines leave the parent"
    out = {}
    for lab, pt in labels.items():
        hit = [f for f in faces if f.contains(Point(pt))]
        assert len(hit) == 1, lab
        out[lab] = hit[0]
    return out


def cut(a, b, gap=0.25):
    """a minus b (lon/lat), leaving a gap of ~`gap` metres so that snapping to the output grid
    can never make the two overlap (grid overlays may bend b's edges by a few centimetres)."""
    return diff(a, to_ll(to_m(b).buffer(gap)))


def carve(geoms):
    """Make lon/lat polygons mutually non-overlapping; earlier ones keep the overlap."""
    out = []
    for g in geoms:
        out.append(cut(g, union(out)) if out else g)
    return out


def area_m2(g):
    """Area of a lon/lat geometry in m² (EPSG:4547)."""
    return to_m(g).area


def rdate(rng, a, b):
    """Random date between a and b (inclusive)."""
    return a + dt.timedelta(days=rng.randint(0, (b - a).days))


# ----------------------------------------------------------------- zones and sub-areas
QST_LINE = [O[78], (113.052, 27.8815), (113.062, 27.8826), (113.078, 27.8858), (113.095, 27.8885),
            (113.108, 27.8905), (113.125, 27.8935), O[62]]
TX_CUT = [(113.108, 27.8905), (113.110, 27.905), O[3]]
ZONES = [("QST", "清水塘片区", "Qingshuitang Area", (113.09, 27.87),
          "南提：用发展的思路改造提升清水塘老工业基地，到2022年整体完成搬迁，形成“一带、双心、三轴、四片”的空间结构。"),
         ("TX", "田心片区", "Tianxin Area", (113.15, 27.93),
          "北拓：用造城的方式加快田心片区建设，做强轨道交通产业，形成“一廊三带”的生态空间和“五园三中心”的产业布局。"),
         ("JLS", "九郎山片区", "Jiulangshan Area", (113.07, 27.91),
          "西进：依托人文和山水资源，发展旅游业和休闲农业，打造以居住、乡村旅游、生态保育和特色农业为主导的乡村休闲旅游区。")]
GROUPS = {"QST-A": "清水塘到2022年形成“一带、双心、三轴、四片”的空间结构",
          "QST-B": "清水塘形成“一心、三园、多商区”的产业发展布局",
          "TX-A": "田心片区到2017年形成“一廊三带”的生态空间",
          "TX-B": "田心片区形成“五园三中心”的产业布局",
          "JLS": "九郎山地区依山就势，打造以居住、乡村旅游、生态保育和特色农业产业为主导的乡村休闲旅游区"}


def build_zones(outline, rng, xiawan_cl):
    """Partition the outline into QST/TX/JLS and build all sub-areas. Returns (zones, subs, faces)."""
    z = partition(outline, [QST_LINE, TX_CUT], {c: p for c, _, _, p, _ in ZONES})
    sp = partition(z["QST"], [[(113.062, 27.8826), (113.0612, 27.8720), O[71]],
                              [(113.0612, 27.8720), (113.095, 27.8730), (113.126, 27.8745), O[66]],
                              [(113.095, 27.8885), (113.095, 27.8730)]],
                   {1: (113.09, 27.865), 2: (113.048, 27.870), 3: (113.075, 27.878), 4: (113.115, 27.882)})
    tb = partition(z["TX"], [[(113.110, 27.905), (113.130, 27.9075), (113.145, 27.9075), O[58]],
                             [(113.145, 27.9075), (113.150, 27.925), (113.158, 27.945), (113.163, 27.962)],
                             [O[12], (113.163, 27.962), O[49]]],
                   {"S": (113.135, 27.900), "W": (113.138, 27.925), "E": (113.170, 27.940), "N": (113.2, 28.0)})
    jf = partition(z["JLS"], [[O[80], (113.070, 27.905), (113.078, 27.8858)],
                              [(113.070, 27.905), (113.090, 27.912), (113.110, 27.905)],
                              [O[82], (113.085, 27.933), O[1]], [(113.090, 27.912), (113.085, 27.933)]],
                   {1: (113.072, 27.920), 2: (113.100, 27.925), 3: (113.078, 27.945),
                    4: (113.052, 27.892), 5: (113.092, 27.898)})
    Q, T = z["QST"], z["TX"]
    subs = []  # (code, parent, kind, name, name_en, group, geometry)

    def group(parent, kind, grp, rows, geoms, clip=None):
        exact = isinstance(geoms[0], tuple)   # faces of an exact partition: already disjoint
        for (code, name, en), g in zip(rows, [g[0] for g in geoms] if exact else carve([fin(g, clip or z[parent]) for g in geoms])):
            subs.append((code, parent, kind, name, en, grp, g))

    group("QST", "一带", "QST-A", [("QST-YD-1", "霞湾公园生态绿化带", "Xiawan Park Ecological Green Belt")],
          [xiawan_cl.buffer(150)])
    group("QST", "双心", "QST-A", [("QST-SX-1", "清水湖滨水特色商业中心", "Qingshui Lake Waterfront Commercial Centre"),
                                  ("QST-SX-2", "清水广场城市商业副中心", "Qingshui Square Urban Commercial Sub-centre")],
          [blob(113.069, 27.8755, 140, rng, sx=2.0), blob(113.105, 27.881, 330, rng)])
    group("QST", "三轴", "QST-A", [
        ("QST-SZ-1", "石峰大道—响田路城市综合发展轴", "Shifeng Avenue–Xiangtian Road Urban Development Axis"),
        ("QST-SZ-2", "建设北路城市综合发展轴", "Jianshe North Road Urban Development Axis"),
        ("QST-SZ-3", "疏港大道产业发展轴", "Port Access Avenue Industrial Development Axis")],
        [corridor([(113.0415, 27.8760), (113.0640, 27.8752), (113.080, 27.8768), (113.100, 27.8785),
                   (113.120, 27.8810), (113.1395, 27.8840)], 150),
         corridor([(113.137, 27.8655), (113.137, 27.8940)], 150),
         corridor([(113.0585, 27.8575), (113.0590, 27.8830)], 150)])
    group("QST", "四片", "QST-A", [("QST-SP-1", "综合产业片", "Comprehensive Industrial Area"),
                                  ("QST-SP-2", "清水湖现代物流片", "Qingshui Lake Modern Logistics Area"),
                                  ("QST-SP-3", "清水湖特色社区片", "Qingshui Lake Featured Community Area"),
                                  ("QST-SP-4", "清水广场综合居住片", "Qingshui Square Integrated Residential Area")],
          [(sp[i],) for i in (1, 2, 3, 4)])
    group("QST", "一心", "QST-B", [("QST-YX-1", "总部研发中心", "Headquarters and R&D Centre")],
          [blob(113.0955, 27.8820, 250, rng)])
    group("QST", "三园", "QST-B", [("QST-SY-1", "环保轨道产业园", "Eco Rail Transit Industrial Park"),
                                  ("QST-SY-2", "都市型产业园", "Urban Industrial Park"),
                                  ("QST-SY-3", "清水塘现代物流园", "Qingshuitang Modern Logistics Park")],
          [bbm(113.103, 27.856, 113.125, 27.8725), bbm(113.062, 27.858, 113.082, 27.872),
           bbm(113.0385, 27.856, 113.0575, 27.880)])
    group("QST", "多商区", "QST-B", [("QST-DSQ-1", "清水湖滨湖商业区", "Qingshui Lakeside Commercial District"),
                                   ("QST-DSQ-2", "清石广场商业区", "Qingshi Square Commercial District"),
                                   ("QST-DSQ-3", "响石广场商业区", "Xiangshi Square Commercial District")],
          [blob(113.0745, 27.8825, 150, rng), blob(113.085, 27.885, 130, rng), blob(113.124, 27.890, 150, rng)])
    group("TX", "一廊", "TX-A", [("TX-YL-1", "中部低碳共享生态廊", "Central Low-carbon Shared Ecological Corridor")],
          [corridor([(113.145, 27.9075), (113.150, 27.925), (113.158, 27.945), (113.163, 27.962)], 400)])
    group("TX", "三带", "TX-A", [("TX-SD-1", "东部田心健康宜居生活带", "Eastern Tianxin Healthy Living Belt"),
                                ("TX-SD-2", "西部南车千亿轨道产业带", "Western CSR 100-billion Rail Industry Belt"),
                                ("TX-SD-3", "南部时代核心活力综合服务带", "Southern Times Core Integrated Service Belt")],
          [(tb["E"],), (tb["W"],), (tb["S"],)])
    group("TX", "五园", "TX-B", [("TX-WY-1", "整装产业园", "Complete Locomotive Industrial Park"),
                                ("TX-WY-2", "变流技术园", "Converter Technology Park"),
                                ("TX-WY-3", "电子产业园", "Electronics Industrial Park"),
                                ("TX-WY-4", "电机产业园", "Traction Motor Industrial Park"),
                                ("TX-WY-5", "零部件产业园", "Components Industrial Park")],
          [bbm(113.128, 27.9085, 113.146, 27.9175), bbm(113.113, 27.9085, 113.127, 27.9165),
           bbm(113.134, 27.932, 113.150, 27.943), bbm(113.133, 27.9195, 113.147, 27.930),
           bbm(113.136, 27.945, 113.153, 27.958)], clip=tb["W"])
    group("TX", "三中心", "TX-B", [("TX-SZX-1", "研发中心", "R&D Centre"), ("TX-SZX-2", "商务中心", "Business Centre"),
                                  ("TX-SZX-3", "培训中心", "Training Centre")],
          [bbm(113.118, 27.899, 113.124, 27.904), bbm(113.134, 27.898, 113.140, 27.903),
           bbm(113.144, 27.899, 113.150, 27.9045)])
    group("JLS", "功能片", "JLS", [("JLS-GNP-1", "九郎山森林公园片", "Jiulang Mountain Forest Park Area"),
                                  ("JLS-GNP-2", "乡村休闲旅游片", "Rural Leisure Tourism Area"),
                                  ("JLS-GNP-3", "生态保育片", "Ecological Conservation Area"),
                                  ("JLS-GNP-4", "特色农业片", "Specialty Agriculture Area"),
                                  ("JLS-GNP-5", "居住片", "Residential Area")],
          [(jf[i],) for i in range(1, 6)])
    return z, subs, {"sp": sp, "tb": tb, "jf": jf}


# ----------------------------------------------------------------- water and protected areas
def build_water(outline, rng):
    """Xiang River (clipped reference), three harbour creeks, Qingshui Lake and reservoirs (ponds later)."""
    river = inter(shapely.set_precision(Polygon(list(zip(_x[::2], _x[1::2]))), GRID), box(113.00, 27.80, 113.20, 27.90))
    w = [("湘江", "river", river)]
    lines = {}
    for i, (name, pts, width, amp) in enumerate([
            ("铜塘湾港", [(113.0555, 27.8712), (113.0535, 27.8660), (113.0530, 27.8610), (113.0540, 27.8566)], 26, 35),
            ("霞湾港", [(113.0920, 27.8870), (113.0885, 27.8780), (113.0855, 27.8680), (113.0845, 27.8568)], 34, 40),
            ("白石港", [(113.1330, 27.8965), (113.1310, 27.8890), (113.1225, 27.8780), (113.1135, 27.8660),
                     (113.1085, 27.8542)], 38, 45)]):
        lines[name], g = creek(pts, width, amp, SEED + i)
        w.append((name, "harbour", fin(g, outline)))
    w.append(("清水湖", "lake", fin(blob(113.069, 27.8795, 220, rng, jit=0.08, sx=1.6), outline)))
    for name, lon, lat, r, ang in [("九郎山水库", 113.071, 27.922, 150, 20), ("田心水库", 113.170, 27.952, 110, -30),
                                   ("枫林水库", 113.095, 27.9285, 120, 10)]:
        w.append((name, "reservoir", fin(blob(lon, lat, r, rng, jit=0.1, sx=1.7, ang=ang), outline)))
    return w, lines


def build_protected(outline, z, faces, water, rng):
    """Green-heart tiers, drinking-water source zones, livestock no-farming zone and forest park."""
    river, res = water[0][2], [g for n, k, g in water if n == "九郎山水库"][0]
    rm, out_in = to_m(river), to_m(outline).buffer(-0.5)
    c0 = (113.178, 28.000)   # 白马垅
    p = fin(blob(*c0, 820, rng, jit=0.12), outline)
    r_full, c_full = fin(blob(*c0, 1900, rng, jit=0.1), outline), fin(blob(*c0, 3300, rng, jit=0.08), outline)
    gh = "湘政函〔2011〕212号"
    prot = [("长株潭绿心·白马垅禁止开发区", "green_heart", "prohibited", gh, "2013-03-01", p),
            ("长株潭绿心·白马垅限制开发区", "green_heart", "restricted", gh, "2013-03-01", cut(r_full, p)),
            ("长株潭绿心·白马垅控制建设区", "green_heart", "controlled", gh, "2013-03-01", cut(c_full, r_full))]
    l1 = polys(shapely.set_precision(to_ll(pm(113.1215, 27.8515).buffer(600).intersection(
        rm.union(rm.buffer(100).intersection(out_in)))), GRID))
    l2 = cut(polys(shapely.set_precision(to_ll(pm(113.128, 27.846).buffer(1800).intersection(
        rm.union(rm.buffer(400).intersection(out_in)))), GRID)), l1)
    r1 = fin(to_m(res).buffer(200), outline)
    r2 = cut(fin(to_m(res).buffer(800), outline), r1)
    dw = "湘政函〔2016〕176号"
    prot += [("湘江石峰段饮用水水源一级保护区", "drinking_water", "level1", dw, "2016-10-20", l1),
             ("湘江石峰段饮用水水源二级保护区", "drinking_water", "level2", dw, "2016-10-20", l2),
             ("九郎山水库饮用水水源一级保护区", "drinking_water", "level1", dw, "2016-10-20", r1),
             ("九郎山水库饮用水水源二级保护区", "drinking_water", "level2", dw, "2016-10-20", r2)]
    urban = union([z["QST"], faces["tb"]["S"], faces["tb"]["W"], faces["tb"]["E"], faces["jf"][5]])
    prot.append(("石峰区畜禽禁养区", "livestock_ban", None, "石政发〔2017〕6号", "2017-03-01",
                 diff(fin(to_m(urban), outline), river)))
    fp = [(113.060, 27.913), (113.071, 27.907), (113.083, 27.913), (113.086, 27.925), (113.080, 27.934),
          (113.067, 27.937), (113.060, 27.926)]
    forest = fin(to_m(Polygon(fp)), z["JLS"])
    prot.append(("九郎山省级森林公园", "forest_park", None, "湘林护〔2015〕23号", "2015-12-30", forest))
    # 限养区: the rest of 九郎山 outside the 禁养区, the forest park and the reservoir's water-source zones.
    ban = prot[-2][5]
    restrict = cut(cut(cut(z["JLS"], ban), forest), union([r1, r2]))
    prot.append(("石峰区畜禽限养区（九郎山片）", "livestock_restrict", None, "石政发〔2017〕6号", "2017-03-01", restrict))
    return prot, {"l1_m": to_m(l1)}


# ----------------------------------------------------------------- projects
INT = {"national": (240, 420), "provincial": (170, 300), "other": (110, 190), "logistics": (110, 220),
       "commercial": (350, 800), "residential": (260, 520), "tourism": (25, 90), "public": (80, 180),
       "livestock": (12, 30), "infrastructure": (40, 90)}


LOGISTICS_PARK_LEVEL = {"QST": "provincial", "TX": "national"}
LAND_PRICE_PER_MU = {"QST": 22.0, "TX": 30.0, "JLS": 15.0}  # 万元/亩, illustrative industrial land prices


def build_livestock_farm(outline, prot):
    """A planned pig farm inside the 限养区 (restricted, not banned): the review must ask for review."""
    restrict = [g for n, c, t, a, d, g in prot if c == "livestock_restrict"][0]
    g = fin(rect(113.0592, 27.8984, 180, 120, 12), outline)
    assert g.within(restrict), "the sample farm must lie in the 限养区"
    return ({"name": "示例·九郎山生态养殖场", "project_type": "livestock", "investment_wan": 980, "status": "planned",
             "zone_code": "JLS", "park_level": None, "land_price_wan": None, "floor_area_ratio": None,
             "building_coverage": None, "annual_tax_wan": None, "land_supplied_date": None,
             "construction_started_date": None,
             "description": "示例：拟建生猪养殖场，位于畜禽限养区内，须控制规模并配套粪污处理，两型审查为“需审查”。"}, g)


def build_projects(outline, z, water, wlines, extra, rng):
    """Named plan projects plus ~17 generic 示例 projects (several deliberately conflicting)."""
    river_m = to_m(water[0][2])
    road = lambda pts: corridor(pts, 35)  # noqa: E731
    C, U, A, P = "completed", "under_construction", "approved", "planned"
    d = dt.date
    rows = [  # name, type, status, park_level, metric geometry, description, fixed (supplied, started) or None
        ("田心城市综合体", "commercial", C, None, bbm(113.1345, 27.8985, 113.1395, 27.9025), "田心造城标志性城市综合体，打造全市商业副中心。", None),
        ("上善国际", "commercial", C, None, bbm(113.160, 27.9215, 113.166, 27.9265), "田心片区重大商业项目，为田心造城提供支撑。", None),
        ("亿都豪生国际大酒店", "commercial", C, None, bbm(113.1413, 27.8972, 113.1437, 27.8995), "标志性城市建筑，发展住宿、会展等都市服务业。", None),
        ("白马欧洲小镇", "tourism", U, None, rect(113.178, 27.9901, 900, 700, 8), "将白马垄建成以旅游、度假、休闲功能为主的欧洲式风情小镇（位于长株潭绿心内，需两型审查）。", None),
        ("铜塘湾综合保税物流园", "logistics", U, None, bbm(113.0385, 27.8615, 113.0470, 27.8735), "依托铜塘湾港区建设综合保税物流园，发展现代生产性物流。", None),
        ("湘江金属物流城", "logistics", C, None, bbm(113.0585, 27.8560, 113.0685, 27.8640).difference(river_m.buffer(30)), "临湘江金属物流城，利用清水塘综合交通优势发展物流产业。", None),
        ("湘江运动休闲用品物流城", "logistics", A, None, bbm(113.0415, 27.8760, 113.0480, 27.8790), "运动休闲用品专业物流城。", None),
        ("物联网基地", "logistics", A, None, bbm(113.098, 27.8835, 113.104, 27.8875), "物联网基地，整合企业物流资源，发展第三方物流。", None),
        ("南车株洲物流基地", "logistics", C, None, bbm(113.140, 27.950, 113.147, 27.955), "服务轨道交通产业的南车株洲物流基地。", None),
        ("霞湾港二期", "infrastructure", C, None, wlines["霞湾港"].buffer(60).difference(river_m), "霞湾港综合整治二期工程，确保废水污水集中综合处理，打造滨水景观带。", None),
        ("秋瑾故居修复", "tourism", C, None, bbm(113.1020, 27.9265, 113.1035, 27.9278), "秋瑾故居修复工程，打造九郎山人文旅游品牌。", None),
        ("枫林水寨", "tourism", C, None, bbm(113.0915, 27.9215, 113.0965, 27.9250), "九郎山旅游资源开发项目“枫林水寨”。", None),
        ("明峰生态园", "tourism", U, None, bbm(113.0835, 27.9140, 113.0895, 27.9190), "明峰生态园休闲农业与生态旅游项目（紧邻九郎山省级森林公园）。", None),
        ("铜霞路二期", "infrastructure", C, None, road([(113.057, 27.8745), (113.082, 27.8755)]), "城市主次干道建设：铜霞路二期。", None),
        ("铜霞路三期", "infrastructure", U, None, road([(113.057, 27.8745), (113.042, 27.8745)]), "城市主次干道建设：铜霞路三期。", None),
        ("物流西路", "infrastructure", C, None, road([(113.0495, 27.8590), (113.0495, 27.8795)]), "城市主次干道建设：物流西路。", None),
        ("田心大道", "infrastructure", C, None, road([(113.1115, 27.9060), (113.130, 27.9058), (113.155, 27.9050)]), "城市主次干道建设：田心大道。", None),
        ("田林路", "infrastructure", C, None, road([(113.153, 27.912), (113.158, 27.930), (113.165, 27.948)]), "城市主次干道建设：田林路。", None),
        ("南车株机百亿扩能二期", "industrial", C, "national", bbm(113.1345, 27.9100, 113.1430, 27.9160), "轨道交通重点项目：南车株机百亿扩能二期工程。", None),
        ("南车时代大功率IGBT产业化", "industrial", C, "national", bbm(113.1165, 27.9095, 113.1225, 27.9145), "轨道交通重点项目：南车时代大功率IGBT产业化。", None),
        ("大功率交流电力机车系统集成试验验证体系", "industrial", U, "national", bbm(113.1365, 27.9210, 113.1425, 27.9260), "大功率交流电力机车系统集成试验验证体系建设。", None),
        ("示例·低效机械加工项目", "industrial", C, "provincial", bbm(113.1060, 27.8700, 113.1100, 27.8730), "示例：投资强度、容积率、建筑系数和税收均低于两型供地标准的低效工业项目。", None),
        ("示例·规模养猪场", "livestock", P, None, rect(113.182, 27.941, 350, 250, 5), "示例：拟建规模养猪场，位于畜禽禁养区内，两型审查应不予通过。", None),
        ("示例·清水湖片区安置小区", "residential", U, None, bbm(113.0745, 27.8770, 113.0800, 27.8815), "示例：安置小区建设填埋了现状池塘，违反“不填埋河流、池塘等水体”要求。", None),
        ("示例·湘江取水口旁滨江驿站", "commercial", P, None, rect(113.1178, 27.8544, 60, 40).intersection(extra["l1_m"].buffer(-5)).difference(river_m.buffer(8)), "示例：拟建于湘江饮用水水源一级保护区内的滨江商业驿站。", None),
        ("示例·响石岭商业综合体", "commercial", A, None, bbm(113.1170, 27.8905, 113.1230, 27.8955), "示例：跨清水塘与田心两个片区的商业综合体。", None),
        ("示例·石峰社区公园群", "public", C, None, shapely.union_all([blob(113.1470, 27.8975, 70, rng), blob(113.1265, 27.8975, 70, rng), blob(113.1135, 27.8990, 60, rng)]), "示例：由三处社区公园组成的口袋公园群，增加公共绿地。", None),
        ("示例·闲置工业用地甲", "industrial", A, "national", bbm(113.1430, 27.9360, 113.1480, 27.9400), "示例：已供地未开工，闲置满1年未满2年，应缴纳土地闲置费。", (d(2025, 5, 20), None)),
        ("示例·闲置工业用地乙", "industrial", A, "provincial", bbm(113.0910, 27.8740, 113.0950, 27.8770), "示例：已供地未开工，闲置满2年，应依法收回土地使用权。", (d(2024, 3, 15), None)),
        ("示例·闲置工业用地丙", "industrial", A, "provincial", bbm(113.0625, 27.8655, 113.0670, 27.8690), "示例：已供地未开工，闲置满2年，应依法收回土地使用权。", (d(2023, 8, 10), None)),
        ("示例·轨道交通零部件配套项目", "industrial", C, "national", bbm(113.1360, 27.9380, 113.1410, 27.9420), "示例：轨道交通配套企业项目，集约用地达标。", None),
        ("示例·清水塘新能源装备项目", "industrial", U, "provincial", bbm(113.0960, 27.8725, 113.1020, 27.8765), "示例：清水塘替代产业——高端装备制造项目。", None),
        ("示例·清水塘智慧仓储中心", "logistics", C, None, bbm(113.0415, 27.8575, 113.0470, 27.8605), "示例：清水塘现代物流园内的智慧仓储中心。", None),
        ("示例·田心第二中学", "public", C, None, bbm(113.1680, 27.9330, 113.1705, 27.9355), "示例：田心片区配套教育设施，按绿色建筑标准建设。", None),
        ("示例·田心商业街改造", "commercial", C, None, bbm(113.1205, 27.8990, 113.1265, 27.9020), "示例：田心老街商业提质改造。", None),
        ("示例·九郎山乡村民宿集群", "tourism", U, None, bbm(113.1000, 27.9150, 113.1050, 27.9180), "示例：“五色九郎”乡村民宿集群。", None),
        ("示例·特色农业观光园", "tourism", A, None, bbm(113.0480, 27.8900, 113.0560, 27.8960), "示例：九郎山特色农业观光园。", None),
        ("示例·龙头铺安置小区", "residential", C, None, bbm(113.0920, 27.8960, 113.0980, 27.9000), "示例：失地农民安置小区。", None),
    ]
    out = []
    for name, ptype, status, park, g_m, desc, fixed in rows:
        g = diff(fin(g_m, outline), water[0][2])
        a_m2 = area_m2(g)
        mu = a_m2 / (10000 / 15)
        if ptype == "infrastructure" and "路" in name:
            inv = a_m2 / 35 / 1000 * rng.uniform(6000, 12000)
        else:
            inv = mu * (62 if "低效" in name else rng.uniform(*INT[park or ptype]))
        far = bc = tax = None
        if ptype in ("industrial", "logistics"):
            poor = "低效" in name
            far = 0.42 if poor else round(rng.uniform(*((0.8, 1.5) if ptype == "industrial" else (0.6, 1.0))), 2)
            bc = 0.27 if poor else round(rng.uniform(0.38, 0.55) if ptype == "industrial" else rng.uniform(0.36, 0.5), 2)
            if status == C:
                tax = round(mu * (2.3 if poor else rng.uniform(6, 28) if ptype == "industrial" else rng.uniform(5.5, 15)), 1)
        if fixed:
            sup, sta = fixed
        elif status == P:
            sup = sta = None
        elif status == A:
            sup, sta = (rdate(rng, d(2025, 12, 1), d(2026, 9, 30)) if rng.random() < 0.5 else None), None
        elif status == U:
            sup = rdate(rng, d(2022, 3, 1), d(2025, 8, 31))
            sta = sup + dt.timedelta(days=rng.randint(45, 240))
        else:
            sup = rdate(rng, d(2012, 6, 1), d(2019, 12, 31) if not name.startswith("示例") else d(2023, 6, 30))
            sta = sup + dt.timedelta(days=rng.randint(30, 300))
        zc = max(z, key=lambda c: shapely.intersection(g, z[c]).area)
        if ptype == "logistics":  # the plan's logistics parks lie in the districts' development zones
            park = LOGISTICS_PARK_LEVEL.get(zc)
        price = round(mu * LAND_PRICE_PER_MU[zc], 1) if ptype in ("industrial", "logistics") and sup else None
        out.append(({"name": name, "project_type": ptype, "investment_wan": round(inv), "status": status,
                     "zone_code": zc, "park_level": park if ptype in ("industrial", "logistics") else None,
                     "land_price_wan": price,
                     "floor_area_ratio": far, "building_coverage": bc, "annual_tax_wan": tax,
                     "land_supplied_date": sup and sup.isoformat(), "construction_started_date": sta and sta.isoformat(),
                     "description": desc}, g))
    return out


def build_ponds(outline, water, projects, parcels, rng, n=8):
    """Small ponds (示例池塘1..n), pond 1 deliberately inside the pond-filling residential project."""
    resid = [g for p, g in projects if p["name"] == "示例·清水湖片区安置小区"][0]
    c = resid.centroid
    ponds = [fin(blob(c.x, c.y, 62, rng, jit=0.12, sx=1.3), outline)]
    land = to_m(diff(outline, water[0][2])).buffer(-50)
    block = shapely.union_all([to_m(g).buffer(60) for _, _, g in water] + [to_m(g).buffer(40) for _, g in projects]
                              + [to_m(g).buffer(40) for g in parcels])
    while len(ponds) < n:
        cand = blob(rng.uniform(113.035, 113.25), rng.uniform(27.855, 28.025), math.sqrt(rng.uniform(0.4, 2.6) * 1e4 / math.pi),
                    rng, sx=rng.uniform(1.0, 1.6), ang=rng.uniform(0, 180))
        if 3500 < cand.area < 29000 and land.contains(cand) and not cand.intersects(block):
            ponds.append(fin(cand, outline))
            block = block.union(cand.buffer(150))
    return [(f"示例池塘{i + 1}", "pond", g) for i, g in enumerate(ponds)]


# ----------------------------------------------------------------- enterprises
STAGES = ["not_started", "assessment", "agreement_signed", "production_halted", "demolished", "remediation", "accepted"]
IND = {"有色冶炼": (0.12, ["有色金属", "冶炼", "锌业", "铅业", "金属材料"], 60000),
       "化工": (0.24, ["化工", "精细化工", "化学试剂", "化工材料"], 50000),
       "建材": (0.14, ["建材", "水泥", "陶瓷", "新型墙材", "玻璃制品"], 40000),
       "钢铁": (0.05, ["钢铁", "铸造", "金属制品"], 70000), "机械制造": (0.15, ["机械", "重工", "机电设备"], 25000),
       "电力": (0.02, ["热电", "电力"], 90000), "医药": (0.04, ["制药", "生物医药"], 20000),
       "食品": (0.05, ["食品", "粮油"], 12000), "物流仓储": (0.09, ["物流", "仓储"], 30000),
       "其他": (0.10, ["塑料", "包装", "纸业", "实业", "橡胶制品"], 9000)}
BRANDS = ["宏达", "华丰", "金源", "鑫隆", "恒通", "振兴", "湘发", "兴业", "瑞丰", "天成", "国泰", "永固", "长城", "东方", "南方", "精诚", "昌盛", "泰和", "新华", "光明", "盛达", "福源", "远大", "嘉盛", "明珠", "金利", "宝丰", "安达", "利民", "中天", "正邦", "顺发", "鸿运", "海天", "佳美", "龙腾", "合力", "建华", "宇通", "星辉", "荣昌", "聚源", "恒丰", "锦程", "汇通", "广源", "立信", "同心", "凯达", "金马"]
DEST = {"有色冶炼": ["衡阳市常宁水口山经济开发区", "湘潭天易示范区"], "化工": ["株洲市渌口区南洲工业园", "湘潭天易示范区"],
        "建材": ["醴陵经济开发区", "攸县工业集中区"], "钢铁": ["湘潭天易示范区"],
        "": ["株洲高新区董家塅高科园", "株洲经济开发区", "株洲市荷塘区金山工业园", "株洲市渌口区南洲工业园", "茶陵经济开发区"]}
USCC = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def credit_code(rng):
    """Unified social credit code (GB 32100) with valid organisation-code and final check characters."""
    body = ("MA" + "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(6))
            if rng.random() < 0.3 else "".join(rng.choice("0123456789") for _ in range(8)))
    s = sum((int(ch) if ch.isdigit() else ord(ch) - 55) * w for ch, w in zip(body, [3, 7, 9, 10, 5, 8, 4, 2]))
    c9 = 11 - s % 11
    code = rng.choice(["91430200", "91430200", "91430204"]) + body + ("X" if c9 == 10 else "0" if c9 == 11 else str(c9))
    return code + USCC[(31 - sum(USCC.index(ch) * w for ch, w in zip(code, [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28])) % 31) % 31]


def plan_and_progress(rng, path, final, batch):
    """Planned deadlines (accepted ≤ 2022-12-31) and actual stage dates up to `final` as of CUTOFF."""
    skip = path == "transform" and final != "demolished" and rng.random() < 0.7
    keys = [s for s in STAGES[1:] if not (skip and s == "demolished")]
    start = dt.date(2014, 3, 1) + dt.timedelta(days=batch * 430 + rng.randint(20, 160))
    steps = [rng.randint(70, 260) for _ in keys]
    scale = min(1.0, (dt.date(2022, 12, 31) - start).days / sum(steps))
    planned, t = {}, start
    for k, s in zip(keys, steps):
        t += dt.timedelta(days=max(1, int(s * scale)))
        planned[k] = t
    reached = [k for k in keys if STAGES.index(k) <= STAGES.index(final)]
    lag = final != "accepted" or rng.random() < 0.15   # some finished, but late
    dates, delay = [], rng.randint(-60, 45)
    for k in reached:
        delay += rng.randint(60, 420) if lag else rng.randint(-45, 60)
        dates.append(max(dt.date(2014, 3, 1), planned[k] + dt.timedelta(days=delay), *(dates[-1:])))
    hi = CUTOFF - dt.timedelta(days=rng.randint(0, 200))   # last event not after the cut-off
    for i in reversed(range(len(dates))):
        hi = min(dates[i], hi)
        dates[i] = hi
    return ({k: v.isoformat() for k, v in zip(reached, dates)}, {k: v.isoformat() for k, v in planned.items()})


def build_enterprises(z, faces, water, projects, rng):
    """172 Qingshuitang enterprises: 3 real named ones, 20 sample ones with parcels, 149 sample points."""
    sp = faces["sp"]
    qland = diff(z["QST"], water[0][2])
    water_m = shapely.union_all([to_m(g) for _, _, g in water])
    named = [("株洲冶炼集团股份有限公司", "有色冶炼", 4200, "relocate", "衡阳市常宁水口山经济开发区", "remediation",
              [(113.0895, 27.8600), (113.1010, 27.8592), (113.1030, 27.8640), (113.1028, 27.8705), (113.0960, 27.8712), (113.0898, 27.8698)],
              ["2014-05-20", "2015-09-18", "2018-12-30", "2020-09-30", "2021-11-15"],
              ["2014-06-30", "2015-06-30", "2018-12-31", "2019-12-31", "2021-06-30", "2022-12-31"]),
             ("株洲化工集团有限责任公司", "化工", 2300, "relocate", "株洲市渌口区南洲工业园", "demolished",
              [(113.0700, 27.8628), (113.0800, 27.8622), (113.0805, 27.8700), (113.0745, 27.8712), (113.0702, 27.8690)],
              ["2014-06-12", "2015-12-25", "2018-10-28", "2021-05-20"],
              ["2014-06-30", "2015-12-31", "2018-06-30", "2019-06-30", "2020-12-31", "2022-06-30"]),
             ("株洲旗滨玻璃有限公司", "建材", 780, "relocate", "醴陵经济开发区", "accepted",
              [(113.1040, 27.8615), (113.1095, 27.8612), (113.1098, 27.8668), (113.1043, 27.8670)],
              ["2014-04-10", "2014-06-20", "2014-10-15", "2015-08-20", "2016-11-30", "2017-12-20"],
              ["2014-04-30", "2014-06-30", "2014-09-30", "2015-06-30", "2016-06-30", "2017-06-30"])]
    ents, parcels = [], []
    for name, ind, emp, path, dest, stage, ring, act, plan in named:
        g = shapely.set_precision(Polygon(ring), GRID)
        parcels.append(g)
        ents.append(dict(name=name, credit_code=None, industry=ind, is_sample=False, land_area_m2=round(area_m2(g)),
                         employees=emp, path=path, destination=dest, stage=stage,
                         stage_dates=dict(zip(STAGES[1:], act)), planned_dates=dict(zip(STAGES[1:], plan)),
                         _pt=shapely.set_precision(g.point_on_surface(), GRID), parcel=g))
    block = shapely.union_all([water_m.buffer(30)] + [to_m(g).buffer(10) for p, g in projects if p["zone_code"] == "QST"]
                              + [to_m(g).buffer(20) for g in parcels])
    qin = to_m(qland).buffer(-20)
    while len(parcels) < 23:
        r = rect(rng.uniform(113.037, 113.155), rng.uniform(27.855, 27.892), rng.uniform(140, 420), rng.uniform(120, 320), rng.uniform(-25, 25))
        if qin.contains(r) and not r.intersects(block):
            block = block.union(r.buffer(15))
            parcels.append(fin(r))
    allowed = to_m(qland).buffer(-25).difference(water_m.buffer(25)).difference(shapely.union_all([to_m(g).buffer(15) for g in parcels]))
    shapely.prepare(allowed)
    paths = ["relocate"] * 92 + ["close"] * 52 + ["transform"] * 25
    finals = (["accepted"] * 112 + ["remediation"] * 18 + ["demolished"] * 11 + ["production_halted"] * 9
              + ["agreement_signed"] * 7 + ["assessment"] * 6 + ["not_started"] * 6)
    rng.shuffle(paths)
    rng.shuffle(finals)
    no_code = set(rng.sample(range(169), 23))   # 23 + 3 named = ~15% unknown credit codes
    names, heavy = {e["name"] for e in ents}, ["有色冶炼", "化工", "建材", "钢铁", "电力"]
    for i in range(169):
        parcel = parcels[3 + i] if i < 20 else None
        ind = rng.choice(heavy) if parcel else rng.choices(list(IND), [v[0] for v in IND.values()])[0]
        while True:
            nm = (f"示例·{rng.choice(['清水塘', '霞湾', '铜塘湾', '株洲', '湘江', '石峰'])}{rng.choice(BRANDS)}{rng.choice(IND[ind][1])}"
                  f"{rng.choice(['有限公司', '有限公司', '有限责任公司', '股份有限公司', '厂'])}")
            if nm not in names:
                names.add(nm)
                break
        if parcel is not None:
            pt, land = parcel.centroid, area_m2(parcel)
        else:
            while True:
                f = sp[rng.choices([1, 2, 3, 4], [0.5, 0.2, 0.15, 0.15])[0]]
                x0, y0, x1, y1 = f.bounds
                pt = Point(rng.uniform(x0, x1), rng.uniform(y0, y1))
                if f.contains(pt) and allowed.contains(to_m(pt)) and all(pt.distance(e["_pt"]) > 4e-4 for e in ents):
                    break
            land = IND[ind][2] * math.exp(rng.gauss(0, 0.8))
        path, final = paths[i], finals[i]
        if path == "transform" and final == "demolished":
            final = "remediation"
        sd, pd = plan_and_progress(rng, path, final, rng.choices([0, 1, 2], [0.35, 0.4, 0.25])[0])
        dest = None
        if path == "relocate" and (STAGES.index(final) >= 3 or rng.random() < 0.5):
            dest = rng.choice(DEST.get(ind, DEST[""]) + DEST[""][:1])
        ents.append(dict(name=nm, credit_code=None if i in no_code else credit_code(rng), industry=ind,
                         is_sample=True, land_area_m2=round(land), employees=max(8, int(land / rng.uniform(250, 900))),
                         path=path, destination=dest, stage=final, stage_dates=sd, planned_dates=pd,
                         _pt=shapely.set_precision(pt, GRID), parcel=parcel))
    for e in ents:
        e["sub_area_code"] = [f"QST-SP-{k}" for k, f in sp.items() if f.contains(e["_pt"])][0]
    return ents, parcels


# ----------------------------------------------------------------- output
def gj(g):
    """GeoJSON geometry dict: RFC 7946 ring orientation, coordinates rounded to 6 decimals."""
    def rnd(c):
        return [round(c[0], 6), round(c[1], 6)] if isinstance(c[0], float) else [rnd(x) for x in c]
    m = mapping(shapely.orient_polygons(g) if g.geom_type != "Point" else g)
    return {"type": m["type"], "coordinates": rnd(m["coordinates"])}


def write_fc(name, feats):
    """Write a FeatureCollection (props, geometry) list with one feature per line."""
    lines = [json.dumps({"type": "Feature", "properties": p, "geometry": gj(g)}, ensure_ascii=False, separators=(",", ":"))
             for p, g in feats]
    (OUT / name).write_text('{"type":"FeatureCollection","features":[\n' + ",\n".join(lines) + "\n]}\n", encoding="utf-8")


def main():
    """Build every layer, write the files and validate them."""
    rng = random.Random(SEED)
    outline = Polygon(O)
    water, wlines = build_water(outline, rng)
    zones, subs, faces = build_zones(outline, rng, wlines["霞湾港"])
    prot, extra = build_protected(outline, zones, faces, water, rng)
    projects = build_projects(outline, zones, water, wlines, extra, rng)
    ents, parcels = build_enterprises(zones, faces, water, projects, rng)
    water += build_ponds(outline, water, projects, parcels, rng)
    projects.append(build_livestock_farm(outline, prot))  # added last: no random draw moves
    write_fc("district.geojson", [({"name": "石峰区", "name_en": "Shifeng District", "adcode": "430204"}, outline)])
    write_fc("zones.geojson", [({"code": c, "parent_code": None, "name": n, "name_en": en, "level": "zone", "kind": None,
                                 "description": d}, zones[c]) for c, n, en, _, d in ZONES]
             + [({"code": c, "parent_code": p, "name": n, "name_en": en, "level": "sub_area", "kind": k,
                  "description": f"{GROUPS[grp]}，本片为“{k}”中的{n}。" + ("（道路发展轴，示意为约150米宽的走廊）" if k == "三轴" else "")}, g)
                for c, p, k, n, en, grp, g in subs])
    write_fc("water_bodies.geojson", [({"name": n, "kind": k}, g) for n, k, g in water])
    write_fc("protected_areas.geojson", [({"name": n, "category": c, "tier": t, "approval_no": a, "effective_date": d}, g)
                                         for n, c, t, a, d, g in prot])
    write_fc("projects.geojson", projects)
    keys = ["name", "credit_code", "industry", "is_sample", "land_area_m2", "employees", "path", "destination", "stage",
            "stage_dates", "planned_dates", "sub_area_code", "parcel"]
    write_fc("enterprises.geojson", [({k: (gj(e[k]) if k == "parcel" and e[k] is not None else e[k]) for k in keys}, e["_pt"])
                                     for e in ents])
    import validate_sample  # noqa: E402  (sibling module)
    sys.exit(validate_sample.validate(OUT))


if __name__ == "__main__":
    sys.dont_write_bytecode = True   # keep layers/ free of __pycache__
    sys.path.insert(0, str(OUT))
    main()
