"""The report opened in a real headless Chromium: every figure loads, nothing errors,
and a screenshot is kept in test-artifacts/ for people to look at.

Skipped when Chromium is not installed, unless JOURNEYSIM_REQUIRE_BROWSER=1 (as in CI),
when its absence is a failure.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from browser import Browser, find_chromium
from journeysim.costs import COMPONENTS
from journeysim.report import figures as draw

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"


@pytest.fixture(scope="module")
def chromium() -> str:
    exe = find_chromium()
    if exe is None:
        if os.environ.get("JOURNEYSIM_REQUIRE_BROWSER") == "1":
            pytest.fail("JOURNEYSIM_REQUIRE_BROWSER=1 but no Chromium found (install Debian's chromium package "
                        "or set JOURNEYSIM_CHROMIUM)")
        pytest.skip("Chromium is not installed (Debian: apt-get install chromium); set JOURNEYSIM_REQUIRE_BROWSER=1 "
                    "to make this a failure")
    return exe


def test_report_renders_in_chromium_with_every_figure_loaded(chromium, small_report):
    ARTIFACTS.mkdir(exist_ok=True)
    with Browser(chromium) as browser:
        page = browser.open(small_report.path)
        images = page.evaluate(
            "Array.from(document.images).map(i => ({complete: i.complete, width: i.naturalWidth, "
            "height: i.naturalHeight, alt: i.alt, shown: i.getBoundingClientRect().width}))")
        sections = page.evaluate("Array.from(document.querySelectorAll('main section h2')).map(h => h.textContent)")
        width, height = page.screenshot(ARTIFACTS / "report.png")
        errors = page.errors()
    assert len(images) == len(small_report.figs) >= 15
    broken = [i for i, img in enumerate(images) if not img["complete"] or img["width"] == 0]
    assert broken == [], f"images that did not load: {broken}"
    assert all(img["alt"] and img["shown"] > 100 for img in images)
    # the pathway diagram keeps its size, in inches at 100 dpi
    assert max((img["width"], img["height"]) for img in images) == tuple(int(100 * v) for v in draw.PATHWAY_SIZE)
    assert errors == []
    assert sections[:3] == ["The scenario", "Official measures by year", "The pathway"]
    assert (ARTIFACTS / "report.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert width == 1280 and height > 5000


def _pixels(path: Path) -> dict[tuple[int, int, int], int]:
    """How many pixels of each colour a PNG has."""
    from PIL import Image

    with Image.open(path) as image:
        return {rgb: n for n, rgb in image.convert("RGB").getcolors(maxcolors=1 << 24)}


def _hex(rgb: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def _near(pixels: dict, colour: str, tolerance: int = 3) -> int:
    """Pixels within ``tolerance`` of ``colour`` in each channel."""
    target = tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return sum(n for rgb, n in pixels.items() if max(abs(a - b) for a, b in zip(rgb, target)) <= tolerance)


def test_every_cost_component_shows_in_its_own_colour_in_the_browser(chromium, small_report):
    """A screenshot of the costs figure as the browser shows it: each component's colour is on screen
    (in its bar or its legend key), and no two components' colours are alike."""
    ARTIFACTS.mkdir(exist_ok=True)
    with Browser(chromium) as browser:
        page = browser.open(small_report.path)
        page.screenshot(ARTIFACTS / "report-costs.png", "#fig-costs img")
    pixels = _pixels(ARTIFACTS / "report-costs.png")
    colours = draw.cost_colours([c for c in COMPONENTS if c != "total"])
    for component, colour in colours.items():
        assert _near(pixels, colour) >= 40, f"{component} ({colour}) is not on screen"
    values = [tuple(int(c[i:i + 2], 16) for i in (1, 3, 5)) for c in colours.values()]
    closest = min(max(abs(a - b) for a, b in zip(p, q)) for i, p in enumerate(values) for q in values[i + 1:])
    assert closest > 30  # no two alike to the eye (nor within the tolerance above)


def test_pathway_labels_are_legible_at_the_reports_width(chromium, small_report):
    """The pathway as the report shows it in a 1,280-pixel window: its smallest text at least 11 pixels
    high on screen (it was 7), and the front door is in it; a screenshot is kept."""
    ARTIFACTS.mkdir(exist_ok=True)
    with Browser(chromium) as browser:
        page = browser.open(small_report.path)
        shown, natural = page.evaluate("(() => { const i = document.querySelector('#fig-pathway img'); "
                                       "return [i.getBoundingClientRect().width, i.naturalWidth]; })()")
        page.screenshot(ARTIFACTS / "report-pathway.png", "#fig-pathway img")
    smallest = min(draw.PATHWAY_FONT.values()) * 100 / 72 * shown / natural  # points at 100 dpi, then the page's scale
    assert smallest >= 11, f"labels {smallest:.1f} px high at {shown:.0f} px wide"
    pixels = _pixels(ARTIFACTS / "report-pathway.png")
    assert _near(pixels, draw.OKABE_ITO["purple"], 40) > 500  # the front door's arrows


def test_the_check_catches_broken_images_and_console_errors(chromium, tmp_path):
    """The same checks on a page that is broken on purpose, so a pass above means something."""
    bad = tmp_path / "bad.html"
    bad.write_text('<!DOCTYPE html><html><body><img src="data:image/png;base64,bm90IGEgcG5n" alt="broken">'
                   '<img src="missing.png" alt="missing"><script>console.error("boom")</script></body></html>')
    with Browser(chromium) as browser:
        page = browser.open(bad)
        widths = page.evaluate("Array.from(document.images).map(i => i.naturalWidth)")
        errors = page.errors()
    assert widths == [0, 0]
    assert any("boom" in e for e in errors)
    assert any("missing.png" in e for e in errors)
