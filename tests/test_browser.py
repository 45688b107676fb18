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
    # the pathway diagram keeps its size: 17 x 8.5 inches at 100 dpi
    assert max((img["width"], img["height"]) for img in images) == (1700, 850)
    assert errors == []
    assert sections[:3] == ["The scenario", "Official measures by year", "The pathway"]
    assert (ARTIFACTS / "report.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert width == 1280 and height > 5000


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
