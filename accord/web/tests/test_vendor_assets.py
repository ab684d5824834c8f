"""The vendored Plotly stylesheet and guards still match the installed Plotly bundle."""

from __future__ import annotations

from pathlib import Path

from accord.web.staticfinders import plotly_css, plotly_injected_style_ids

WEB = Path(__file__).resolve().parent.parent
REGENERATE = (
    "python -c \"from accord.web.staticfinders import plotly_css; print(plotly_css(), end='')\" "
    "> accord/web/static/vendor/plotly.css"
)


def test_the_plotly_stylesheet_is_the_bundles_own_rules():
    shipped = (WEB / "static" / "vendor" / "plotly.css").read_text()
    assert shipped == plotly_css(), f"Plotly was upgraded: regenerate the stylesheet with {REGENERATE}"
    assert ".js-plotly-plot .plotly .main-svg{position:absolute;top:0;left:0;pointer-events:none;}" in shipped


def test_every_style_the_bundle_would_inject_is_guarded_in_the_base_template():
    base = (WEB / "templates" / "web" / "base.html").read_text()
    ids = plotly_injected_style_ids()
    assert ids, "the bundle's injected styles were not found: check accord/web/staticfinders.py"
    for style_id in ids:
        assert f'id="{style_id}"' in base
