"""Config files and command-line usage: mistakes exit 2 with a one-line reason."""

from __future__ import annotations

import pytest

from nianbao.cli import main
from nianbao.config import ConfigError, parse_config

GOOD = """
[[portal]]
name = "dongli"
start_urls = ["http://www.dongli.gov.cn/zwgk/index.html"]
allowed_hosts = ["www.dongli.gov.cn"]
agency = "天津市东丽区人力资源和社会保障局"
render = "never"
max_pages = 50
requests_per_second = 0.5
"""


def test_a_good_config():
    (portal,) = parse_config(GOOD)
    assert portal.name == "dongli" and portal.max_pages == 50
    assert portal.requests_per_second == 0.5 and portal.render == "never"
    assert portal.allows("http://www.dongli.gov.cn/x.html")
    assert not portal.allows("http://www.gov.cn/x.html")
    assert not portal.allows("http://www.dongli.gov.cn.evil.example/x.html")


def test_host_with_port():
    (portal,) = parse_config(GOOD.replace('"www.dongli.gov.cn"]', '"127.0.0.1:8080"]')
                             .replace("www.dongli.gov.cn/zwgk", "127.0.0.1:8080/zwgk"))
    assert portal.allows("http://127.0.0.1:8080/a")
    assert not portal.allows("http://127.0.0.1:8081/a")


def test_unknown_key_names_key_and_line():
    with pytest.raises(ConfigError, match=r":8: unknown key 'max_page'"):
        parse_config(GOOD.replace("max_pages = 50", "max_page = 50"))


@pytest.mark.parametrize(("change", "message"), [
    (("render = \"never\"", "render = \"sometimes\""), "render must be"),
    (("allowed_hosts = [\"www.dongli.gov.cn\"]", "allowed_hosts = [\"other.gov.cn\"]"),
     "not on its allowed_hosts"),
    (("max_pages = 50", "max_pages = \"many\""), "wrong type"),
    (("max_pages = 50", "max_pages = 50\ntimeout = 0"), "timeout must be positive"),
    (("max_pages = 50", "max_pages = 50\ntimeout = \"1m\""), "wrong type"),
    (("[[portal]]", "[[portals]]"), "unknown key 'portals'"),
    (("name = \"dongli\"", "name = "), "invalid TOML"),
])
def test_bad_configs(change, message):
    with pytest.raises(ConfigError, match=message):
        parse_config(GOOD.replace(*change))


def test_bad_config_exits_2_with_one_line(tmp_path, capsys):
    path = tmp_path / "portals.toml"
    path.write_text(GOOD.replace("agency", "agncy"), encoding="utf-8")
    assert main(["crawl", "--config", str(path), "--data-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "unknown key 'agncy'" in err
    assert main(["crawl", "--config", str(tmp_path / "missing.toml")]) == 2


def test_unknown_portal_exits_2(tmp_path, capsys):
    path = tmp_path / "portals.toml"
    path.write_text(GOOD, encoding="utf-8")
    assert main(["crawl", "--config", str(path), "--portal", "nope"]) == 2
    assert "no portal named nope" in capsys.readouterr().err


def test_bad_usage_exits_2(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["crawl"])  # --config is required
    assert exit_.value.code == 2
    with pytest.raises(SystemExit) as exit_:
        main(["no-such-command"])
    assert exit_.value.code == 2
