"""`nianbao plot`: PNG charts that are drawn, sized, not blank, with Chinese that renders."""

from __future__ import annotations

import warnings

import pytest

from .conftest import run_nianbao
from .test_query import copy_db


@pytest.fixture(scope="module")
def data_dir(demo_crawl, tmp_path_factory):
    directory = tmp_path_factory.mktemp("plot-data")
    copy_db(demo_crawl.data_dir / "nianbao.sqlite", directory)
    return directory


def test_plot_writes_three_charts_that_are_not_blank(data_dir, tmp_path):
    from matplotlib import image

    out = run_nianbao("plot", "--data-dir", str(data_dir), "--out", str(tmp_path))
    assert out.returncode == 0, out.stderr
    assert "no CJK font" not in out.stderr
    paths = sorted(tmp_path.glob("*.png"))
    assert [p.name for p in paths] == ["corrections.png", "outcomes.png", "received.png"]
    for path in paths:
        assert path.stat().st_size > 5_000
        pixels = image.imread(path)
        assert pixels.shape[:2] == (450, 800)
        # Not blank: a real share of the canvas is drawn, in several colours.
        rgb = pixels[..., :3].reshape(-1, 3)
        drawn = (rgb < 0.95).any(axis=1).mean()
        assert drawn > 0.02, path.name
        assert len({tuple(p) for p in (rgb * 255).astype(int)[::7]}) > 20, path.name


def test_charts_render_chinese_with_a_cjk_font(data_dir, tmp_path):
    from nianbao.store import Store, questions

    from nianbao import charts

    assert charts.cjk_font() is not None, "the set-up installs fonts-wqy-zenhei"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with Store(f"sqlite:///{data_dir / 'nianbao.sqlite'}") as store, \
                store.engine.connect() as connection:
            paths = charts.draw(connection, questions.Query(keys=[], region="天津"), tmp_path)
    missing = [str(w.message) for w in caught if "missing from font" in str(w.message)]
    assert missing == []
    assert all(p.exists() for p in paths)
