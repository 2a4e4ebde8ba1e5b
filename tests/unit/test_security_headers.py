"""Content-Security-Policy construction (pure)."""
from gis_tracker.security import content_security_policy


def _directives(csp: str) -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:] for part in csp.split("; ")}


def test_no_remote_or_inline_scripts():
    d = _directives(content_security_policy(""))
    assert d["script-src"] == ["'self'"]
    assert d["default-src"] == ["'self'"]
    assert d["object-src"] == ["'none'"] and d["frame-ancestors"] == ["'none'"]
    assert "'unsafe-eval'" not in " ".join(sum(d.values(), []))


def test_basemap_host_is_allowed_for_images_only():
    d = _directives(content_security_policy("http://tiles.local:8080/{z}/{x}/{y}.png"))
    assert "http://tiles.local:8080" in d["img-src"]
    assert "http://tiles.local:8080" not in d["script-src"] + d["connect-src"]


def test_subdomain_template_becomes_a_wildcard():
    d = _directives(content_security_policy("https://{s}.tiles.example.cn/{z}/{x}/{y}.png"))
    assert "https://*.tiles.example.cn" in d["img-src"]


def test_garbage_basemap_adds_nothing():
    d = _directives(content_security_policy("javascript:alert(1)"))
    assert d["img-src"] == ["'self'", "data:", "blob:"]
