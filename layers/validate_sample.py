#!/usr/bin/env python3
"""Validate the sample layers written by generate_sample.py (counts, validity, containment,
non-overlap, enterprise schedules, project special cases).  Run: python layers/validate_sample.py"""
import datetime as dt
import itertools
import json
import re
import sys
from pathlib import Path

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import shape

_FWD = Transformer.from_crs("EPSG:4326", "EPSG:4547", always_xy=True)
EPS = 1e-12          # deg² (~0.01 m²): "no overlap" tolerance for areas
STAGES = ["not_started", "assessment", "agreement_signed", "production_halted", "demolished", "remediation", "accepted"]
USCC = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def m2(g):
    """Area in m² (EPSG:4547)."""
    return shapely.transform(g, lambda a: np.column_stack(_FWD.transform(a[:, 0], a[:, 1]))).area


def load(out, name):
    """Features of a layer as (properties, shapely geometry)."""
    fc = json.loads((out / name).read_text(encoding="utf-8"))
    assert fc["type"] == "FeatureCollection"
    return [(f["properties"], shape(f["geometry"])) for f in fc["features"]]


def uscc_ok(c):
    """Check length, charset and the GB 32100 check character of a credit code."""
    if len(c) != 18 or any(ch not in USCC for ch in c):
        return False
    w = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    return USCC[(31 - sum(USCC.index(ch) * k for ch, k in zip(c, w)) % 31) % 31] == c[17]


def validate(out):
    """Run all checks; print a summary and return a process exit code (0 = all passed)."""
    out, bad, info = Path(out), [], []

    def ok(cond, msg):
        if not cond:
            bad.append(msg)

    layers = {n: load(out, f"{n}.geojson") for n in ["district", "zones", "enterprises", "protected_areas", "water_bodies", "projects"]}
    for n, feats in layers.items():
        for p, g in feats:
            ok(g.is_valid, f"{n}: invalid geometry {p.get('name') or p.get('code')}")
            ok(n == "enterprises" or g.geom_type in ("Polygon", "MultiPolygon"), f"{n}: bad type {g.geom_type}")
            c = shapely.get_coordinates(g)
            ok(np.abs(c - np.round(c, 6)).max() < 1e-9, f"{n}: not rounded {p.get('name')}")
        info.append(f"{n}: {len(feats)} features")
    # district
    (dp, dist), = layers["district"]
    ref = Path("/work/shared/reference/shifeng_outline_generalised_wgs84.geojson")
    if ref.exists():
        rg = shape(json.loads(ref.read_text())["features"][0]["geometry"])
        ok(shapely.normalize(rg).equals_exact(shapely.normalize(dist), 0), "district differs from the reference outline")
    info.append(f"district area {m2(dist) / 1e6:.1f} km²")
    # zones
    zs = {p["code"]: (p, g) for p, g in layers["zones"]}
    ok(len(zs) == len(layers["zones"]), "zone codes not unique")
    top = {c: g for c, (p, g) in zs.items() if p["level"] == "zone"}
    ok(sorted(top) == ["JLS", "QST", "TX"], "top zones")
    for a, b in itertools.combinations(top, 2):
        ok(top[a].intersection(top[b]).area < EPS, f"zones {a}/{b} overlap")
    ok(shapely.union_all(list(top.values())).symmetric_difference(dist).area < EPS, "zones do not cover the district")
    for c, g in top.items():
        ok(g.within(dist), f"zone {c} not within district")
        info.append(f"zone {c}: {m2(g) / 1e6:.1f} km²")
    kinds = {}
    for c, (p, g) in zs.items():
        if p["level"] == "sub_area":
            ok(g.within(top[p["parent_code"]]), f"sub-area {c} not within {p['parent_code']}")
            kinds.setdefault((p["parent_code"], p["kind"]), []).append((c, g))
    for k, lst in kinds.items():
        for (a, ga), (b, gb) in itertools.combinations(lst, 2):
            ok(ga.intersection(gb).area < EPS, f"same-kind sub-areas {a}/{b} overlap")
    sp = {c: g for c, g in kinds[("QST", "四片")]}
    ok(len(sp) == 4 and shapely.union_all(list(sp.values())).symmetric_difference(top["QST"]).area < EPS, "四片 do not partition QST")
    # water
    water = layers["water_bodies"]
    for (pa, ga), (pb, gb) in itertools.combinations(water, 2):
        allowed = {pa["kind"], pb["kind"]} == {"harbour", "river"}
        ok(allowed or ga.intersection(gb).area < EPS, f"water {pa['name']}/{pb['name']} overlap")
    river = [g for p, g in water if p["kind"] == "river"][0]
    for p, g in water:
        if p["kind"] == "harbour":
            ok(g.intersects(river) and g.intersection(river).area < 0.2 * g.area, f"harbour {p['name']} does not end at river")
        if p["kind"] == "pond":
            ok(3000 <= m2(g) <= 30000, f"pond {p['name']} area {m2(g):.0f}")
        if p["kind"] != "river":
            ok(g.within(dist), f"water {p['name']} outside district")
    info.append("water kinds: " + ", ".join(f"{k}={sum(p['kind'] == k for p, _ in water)}" for k in ["river", "harbour", "lake", "reservoir", "pond"]))
    # protected areas
    prot = layers["protected_areas"]
    pr = {p["name"]: (p, g) for p, g in prot}
    for p, g in prot:
        ok(p["category"] == "drinking_water" or g.within(dist), f"protected {p['name']} outside district")
        ok(re.fullmatch(r"\d{4}-\d{2}-\d{2}", p["effective_date"]) is not None, "effective_date")
    gh = [g for p, g in prot if p["category"] == "green_heart"]
    dw = [g for p, g in prot if p["category"] == "drinking_water"]
    for a, b in itertools.combinations(gh + dw, 2):
        ok(a.intersection(b).area < EPS, "green-heart tiers / drinking-water levels overlap")
    ban = [g for p, g in prot if p["category"] == "livestock_ban"][0]
    info.append(f"livestock_ban covers {ban.intersection(top['QST']).area / top['QST'].area:.0%} of QST, "
                f"{ban.intersection(top['TX']).area / top['TX'].area:.0%} of TX (the NE lobe is rural)")
    # enterprises
    ents = layers["enterprises"]
    ok(len(ents) == 172, f"{len(ents)} enterprises")
    ok(len({p["name"] for p, _ in ents}) == len(ents), "enterprise names not unique")
    ok(sum(not p["is_sample"] for p, _ in ents) == 3, "named enterprises")
    wu = shapely.union_all([g for _, g in water])
    parcels = []
    for p, g in ents:
        n = p["name"]
        ok(g.geom_type == "Point" and g.within(top["QST"]) and not wu.intersects(g), f"{n}: point not in QST land")
        ok(p["is_sample"] == n.startswith("示例·"), f"{n}: sample marking")
        ok(sp[p["sub_area_code"]].contains(g), f"{n}: sub_area_code")
        ok(p["credit_code"] is None or uscc_ok(p["credit_code"]) and p["credit_code"].startswith("914302"), f"{n}: credit code")
        if p["parcel"] is not None:
            pg = shape(p["parcel"])
            ok(pg.is_valid and pg.contains(g) and pg.within(top["QST"]) and pg.intersection(wu).area < EPS, f"{n}: parcel")
            parcels.append(pg)
        order = [s for s in STAGES[1:] if s in p["stage_dates"]]
        ok(list(p["stage_dates"]) == order and order == [s for s in STAGES[1:STAGES.index(p["stage"]) + 1] if s in order], f"{n}: stage keys")
        ok(p["stage"] == "not_started" or order[-1] == p["stage"], f"{n}: last stage")
        skipped = [s for s in STAGES[1:STAGES.index(p["stage"]) + 1] if s not in order]
        ok(skipped == [] or (skipped == ["demolished"] and p["path"] == "transform"), f"{n}: skipped {skipped}")
        ds = list(p["stage_dates"].values())
        ok(ds == sorted(ds) and all("2014-03-01" <= d <= "2026-10-31" for d in ds), f"{n}: stage dates")
        pl = list(p["planned_dates"].values())
        ok(pl == sorted(pl) and pl[-1] <= "2022-12-31" and list(p["planned_dates"]) == [s for s in STAGES[1:] if s in p["planned_dates"]], f"{n}: planned")
        ok(p["path"] != "relocate" or STAGES.index(p["stage"]) < 3 or p["destination"], f"{n}: destination")
        ok(p["path"] == "relocate" or p["destination"] is None, f"{n}: destination set for {p['path']}")
    pu = shapely.union_all(parcels)
    for p, g in ents:
        ok(p["parcel"] is not None or not pu.intersects(g), f"{p['name']}: point inside another enterprise's parcel")
    for a, b in itertools.combinations(parcels, 2):
        ok(a.intersection(b).area < EPS, "enterprise parcels overlap")
    cnt = lambda key: {v: sum(p[key] == v for p, _ in ents) for v in sorted({p[key] for p, _ in ents})}  # noqa: E731
    overdue = sum(p["stage"] != "accepted" for p, _ in ents)
    info += [f"enterprise paths {cnt('path')}", f"stages {cnt('stage')}", f"parcels {len(parcels)}; overdue (not accepted, all planned ≤2022) {overdue}",
             f"credit_code null {sum(p['credit_code'] is None for p, _ in ents)}", f"sub-areas {cnt('sub_area_code')}"]
    # projects
    projs = {p["name"]: (p, g) for p, g in layers["projects"]}
    ok(len(projs) == len(layers["projects"]), "project names not unique")
    need = ["田心城市综合体", "上善国际", "亿都豪生国际大酒店", "白马欧洲小镇", "铜塘湾综合保税物流园", "湘江金属物流城", "湘江运动休闲用品物流城",
            "霞湾港二期", "秋瑾故居修复", "枫林水寨", "明峰生态园", "铜霞路二期", "铜霞路三期", "物流西路", "田心大道", "田林路",
            "南车株机百亿扩能二期", "南车时代大功率IGBT产业化", "物联网基地"]
    ok(all(n in projs for n in need), f"missing projects {[n for n in need if n not in projs]}")
    by = lambda c, t=None: [g for p, g in prot if p["category"] == c and (t is None or p["tier"] == t)]  # noqa: E731
    hit = lambda g, gs: sum(g.intersection(x).area for x in gs)  # noqa: E731
    wb = lambda kind=None, name=None: [g for p, g in water if (kind is None or p["kind"] == kind) and (name is None or p["name"] == name)]  # noqa: E731
    special = {"白马欧洲小镇", "霞湾港二期", "明峰生态园", "示例·清水湖片区安置小区", "示例·湘江取水口旁滨江驿站"}
    idle = []
    for n, (p, g) in projs.items():
        ok(g.within(dist), f"project {n} outside district")
        ok(p["zone_code"] == max(top, key=lambda c: g.intersection(top[c]).area), f"project {n}: zone_code")
        ok(n.startswith("示例·") or n in need or n in ("大功率交流电力机车系统集成试验验证体系", "南车株洲物流基地"), f"{n}: unmarked generic")
        if n not in special:
            ok(hit(g, by("green_heart") + by("drinking_water") + by("forest_park") + wb()) < 1e-10, f"project {n} not clean")
        if p["land_supplied_date"] and not p["construction_started_date"]:
            idle.append((n, (dt.date(2026, 11, 1) - dt.date.fromisoformat(p["land_supplied_date"])).days / 365.25))
        if p["project_type"] == "industrial":
            mu = m2(g) / (10000 / 15)
            thr = {"national": 200, "provincial": 150, "other": 100}[p["park_level"]]
            if p["investment_wan"] / mu < thr:
                info.append(f"poor intensity: {n} {p['investment_wan'] / mu:.0f} 万元/亩 < {thr}; FAR {p['floor_area_ratio']}, BC {p['building_coverage']}, tax {p['annual_tax_wan'] and p['annual_tax_wan'] / mu:.1f} 万元/亩")
    ok(hit(projs["白马欧洲小镇"][1], by("green_heart", "restricted")) > 0 and 0 < hit(projs["白马欧洲小镇"][1], by("green_heart", "prohibited")) < 0.2 * projs["白马欧洲小镇"][1].area, "白马欧洲小镇 overlap")
    ok(hit(projs["霞湾港二期"][1], wb(name="霞湾港")) > 0, "霞湾港二期 not on 霞湾港")
    ok(hit(projs["明峰生态园"][1], by("forest_park")) > 0, "明峰生态园 does not touch forest park")
    ok(hit(projs["示例·清水湖片区安置小区"][1], wb("pond")) > 0, "residential does not fill a pond")
    ok(any(projs["示例·湘江取水口旁滨江驿站"][1].within(g) for g in by("drinking_water", "level1")), "project not inside level1")
    ok(projs["示例·规模养猪场"][1].within(ban), "pig farm not in livestock ban")
    ok(sum(g.intersection(top[c]).area > 1e-9 for c in ("QST", "TX") for g in [projs["示例·响石岭商业综合体"][1]]) == 2, "no zone-crossing project")
    ok(any(g.geom_type == "MultiPolygon" for _, g in projs.values()), "no MultiPolygon project")
    tm = lambda g: shapely.transform(g, lambda a: np.column_stack(_FWD.transform(a[:, 0], a[:, 1])))  # noqa: E731
    dist_r = tm(projs["湘江金属物流城"][1]).distance(tm(river))
    ok(0 < dist_r <= 50, f"湘江金属物流城 {dist_r:.1f} m from river")
    ok(any(1 <= y < 2 for _, y in idle) and sum(y >= 2 for _, y in idle) >= 1 and all(y < 1 or n.startswith("示例·闲置") for n, y in idle), f"idle {idle}")
    for n, (p, g) in projs.items():
        if "路" in n and p["project_type"] == "infrastructure":   # width of a long thin corridor from area and perimeter
            a, per = tm(g).area, tm(g).length
            w = (per / 2 - (per * per / 4 - 4 * a) ** 0.5) / 2
            ok(30 <= w <= 40, f"road {n} width {w:.1f} m")
    info += ["idle: " + "; ".join(f"{n} {y:.1f} y" for n, y in idle), f"湘江金属物流城 {dist_r:.0f} m from river",
             "project types " + str({t: sum(p['project_type'] == t for p, _ in projs.values()) for t in sorted({p['project_type'] for p, _ in projs.values()})})]
    print("\n".join(info))
    print("FAILED:\n  " + "\n  ".join(bad) if bad else "ALL CHECKS PASSED")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(validate(Path(__file__).resolve().parent))
