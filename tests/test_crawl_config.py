"""config/portals.toml: the real portals load, and name only official hosts."""

from __future__ import annotations

from pathlib import Path

from nianbao.config import load_config, parse_config

ROOT = Path(__file__).resolve().parent.parent


def test_real_portals_config_loads_and_stays_on_official_hosts():
    portals = load_config(ROOT / "config" / "portals.toml")
    names = {p.name for p in portals}
    seeds = {"tianjin-dongli", "tianjin-xiqing", "shuozhou-pinglu", "hangzhou-gongshu",
             "zaozhuang-taierzhuang"}
    assert seeds <= names and len(portals) >= 25
    for portal in portals:
        assert all(host.endswith(".gov.cn") for host in portal.allowed_hosts), portal.name
        assert portal.requests_per_second <= 1.0 and portal.options.get("obey_robots", True)


def test_crawler_options_in_config():
    text = """[[portal]]
name = "x"
start_urls = ["http://a.gov.cn/"]
allowed_hosts = ["a.gov.cn"]
obey_robots = false
max_depth = 5
"""
    (portal,) = parse_config(text)
    assert portal.options["obey_robots"] is False and portal.options["max_depth"] == 5
    try:
        parse_config(text.replace("max_depth = 5", "max_depth = true"))
    except ValueError as exc:
        assert "max_depth" in str(exc)
    else:
        raise AssertionError("a boolean max_depth was accepted")
