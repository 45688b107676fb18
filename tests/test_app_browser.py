"""The web app in a real headless Chromium, driven by Playwright as a planner would use it: open the app,
change a lever, run a quick preview, see a chart and the table update, compare two scenarios, download the
scenario and run it again from the command line with identical measures.  Screenshots are kept in
test-artifacts/ for people to look at.

Playwright drives Debian's chromium (never a browser of its own).  Skipped when Playwright, Streamlit or
Chromium is missing, unless JOURNEYSIM_REQUIRE_BROWSER=1 (as in CI), when that is a failure.  The scenario is
tiny (2% of Hampshire, one reported year, 2 replications) to keep the test cheap.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile

import pandas as pd
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from browser import find_chromium
from conftest import ROOT, SCENARIOS
from journeysim.cli import main
from journeysim.scenario import load, resolved_toml

ARTIFACTS = ROOT / "test-artifacts"
PREVIEW_SCALE = "0.02"


def _required(what: str):
    if os.environ.get("JOURNEYSIM_REQUIRE_BROWSER") == "1":
        pytest.fail(f"JOURNEYSIM_REQUIRE_BROWSER=1 but {what}")
    pytest.skip(what)


@pytest.fixture(scope="module")
def chromium() -> str:
    exe = find_chromium()
    if exe is None:
        _required("no Chromium found (Debian: apt-get install chromium)")
    for module in ("playwright", "streamlit"):
        try:
            __import__(module)
        except ImportError:
            _required(f"{module} is not installed (pip install -e '.[test,app]')")
    return exe


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def app(chromium, tmp_path_factory):
    """The app serving a scenario folder of small.toml (Hampshire over one reported year) on a free local port."""
    root = tmp_path_factory.mktemp("app")
    scenarios = root / "scenarios"
    scenarios.mkdir()
    base = load(SCENARIOS / "hampshire.toml", ["run.warmup_days=180", "run.start=2018-04-01", "run.end=2019-04-01",
                                               'name="small"', 'description="Hampshire, one year"'])
    (scenarios / "small.toml").write_text(resolved_toml(base), encoding="utf-8")
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "journeysim.cli", "app", "--port", str(port), "--scenarios",
                               str(scenarios), "--results", str(root / "runs"), "--preview-scale", PREVIEW_SCALE,
                               "--preview-reps", "2", "--workers", "1"],
                              stdout=subprocess.DEVNULL, stderr=open(root / "server.log", "w"), cwd=root,
                              env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                    break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail(f"the app did not start: {(root / 'server.log').read_text()[-2000:]}")
        yield url, root
    finally:
        server.terminate()
        server.wait(timeout=30)
    with pytest.raises(OSError):  # stopping journeysim app stopped its server too
        urllib.request.urlopen(f"{url}/_stcore/health", timeout=2)


def _table(page, heading: str) -> pd.DataFrame:
    """The st.table after ``heading`` as a DataFrame (first column: the row names)."""
    rows = page.locator(f"h3:has-text('{heading}') >> xpath=following::table[1]").evaluate(
        "t => Array.from(t.rows).map(r => Array.from(r.cells).map(c => c.innerText.trim()))")
    return pd.DataFrame(rows[1:], columns=rows[0]).set_index(rows[0][0])


def _run_preview(page, folder: str) -> pd.DataFrame:
    """Run a preview from the page and read its table once the run into ``folder`` shows."""
    page.get_by_role("tab", name="2 Run and results").click()
    page.get_by_role("button", name="Run", exact=True).click()
    page.get_by_text(f"{folder}. The same results from the command line").wait_for(timeout=180_000)
    page.get_by_text("PREVIEW at 0.02 of the county's size").first.wait_for()
    page.get_by_role("heading", name="Official measures").wait_for(timeout=60_000)
    # the table itself, filled (on a loaded machine the heading can show before the table under it)
    table = page.locator("h3:has-text('Official measures') >> xpath=following::table[1]")
    table.get_by_text("Contacts (families)", exact=True).wait_for(timeout=60_000)
    return _table(page, "Official measures")


def test_a_planner_builds_runs_compares_and_takes_the_scenario_away(app, tmp_path):
    from playwright.sync_api import sync_playwright

    url, root = app
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=find_chromium(), args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
            page.set_default_timeout(60_000)
            page.goto(url)
            name = page.get_by_role("textbox", name="Name of the new scenario")
            name.fill("small_surge")
            name.press("Enter")
            before = _run_preview(page, "small_surge-preview-1")

            # a lever: a referral surge of 50% from April 2018
            page.get_by_role("tab", name="1 Build a scenario").click()
            page.get_by_text("Referral surge", exact=True).click()
            page.get_by_text("Surge starts", exact=True).click()
            size = page.get_by_role("spinbutton", name="Size: more contacts about new families (%)")
            size.fill("50")
            size.press("Enter")
            page.get_by_text("'small_surge' is valid: it sets 2 setting(s) over small.toml").wait_for()
            page.screenshot(path=ARTIFACTS / "app-build.png", full_page=True)

            with page.expect_download() as download:
                page.get_by_role("button", name="Download the scenario (TOML)").click()
            saved = root / "scenarios" / download.value.suggested_filename
            download.value.save_as(saved)
            assert saved.name == "small_surge.toml"
            assert "surge_factor = 1.5" in saved.read_text()

            after = _run_preview(page, "small_surge-preview-2")
            fans = page.locator("[data-testid='stImage'] img")
            assert fans.count() >= 10 and fans.first.evaluate("i => i.complete && i.naturalWidth > 0")
            page.screenshot(path=ARTIFACTS / "app-results.png", full_page=True)
            with page.expect_download() as folder_zip:
                page.get_by_role("button", name="Download the results folder (.zip: CSV, Parquet)").click()
            with page.expect_download() as sheet:
                page.get_by_role("button", name="Download summary.xlsx").click()
            names = zipfile.ZipFile(folder_zip.value.path()).namelist()
            assert {"small_surge-preview-2/measures.csv", "small_surge-preview-2/summary.xlsx",
                    "small_surge-preview-2/events/rep-001.parquet"} <= set(names)
            with open(sheet.value.path(), "rb") as f:  # a download's file name has no .xlsx for openpyxl to see
                measures_sheet = {r[0]: r for r in load_workbook(f)["Measures"].iter_rows(values_only=True)}
            assert measures_sheet["Contacts (families)"][3] == after.loc["Contacts (families)", "2018-19"]
            contacts = [int(t.split()[0].replace(",", "")) for t in (before.loc["Contacts (families)", "2018-19"],
                                                                     after.loc["Contacts (families)", "2018-19"])]
            assert contacts[1] > 1.3 * contacts[0]  # the table updated: 50% more contacts, give or take chance

            # the same file from the command line: identical measures
            runs = sorted((root / "runs").glob("small_surge-preview-*"))
            assert len(runs) == 2
            out = tmp_path / "cli"
            r = CliRunner().invoke(main, ["run", str(saved), "--reps", "2", "--seed", "1", "--set",
                                          f"run.scale={PREVIEW_SCALE}", "--out", str(out), "--workers", "1"])
            assert r.exit_code == 0, r.output
            pd.testing.assert_frame_equal(pd.read_csv(out / "measures.csv"), pd.read_csv(runs[-1] / "measures.csv"))

            # compare the folder's small.toml (A) with the scenario built (B)
            page.get_by_role("tab", name="3 Compare two scenarios").click()
            page.get_by_role("button", name="Compare", exact=True).click()
            warning = page.get_by_text("warning: 2 paired replications are too few")
            warning.first.wait_for(timeout=180_000)
            compared = page.locator("table").last.evaluate(
                "t => Array.from(t.rows).map(r => Array.from(r.cells).map(c => c.innerText.trim()))")
            header = compared[0]
            assert header[header.index("Year") + 1:header.index("Year") + 3] == ["small", "small_surge"]
            row = next(r for r in compared if r[0] == "Contacts (families)")
            assert row[header.index("small_surge")] == after.loc["Contacts (families)", "2018-19"].split()[0]
            page.screenshot(path=ARTIFACTS / "app-compare.png", full_page=True)

            page.get_by_role("tab", name="4 Trainer views").click()
            page.get_by_text("Step through the journey").wait_for()
            page.get_by_text("Journey (case").first.wait_for()
            timeline = page.locator("[data-testid='stImage']", has_text="The journey on a timeline").locator("img")
            assert timeline.evaluate("i => i.complete && i.naturalWidth > 0")
            page.get_by_role("button", name="Play the animation").click()
            animation = page.locator("[data-testid='stImage']", has_text="The mean over the replications")
            animation.wait_for(timeout=180_000)
            src = animation.locator("img").get_attribute("src")
            assert page.request.get(url + src if src.startswith("/") else src).body()[:4] == b"GIF8"
            page.screenshot(path=ARTIFACTS / "app-trainer.png", full_page=True)
        finally:
            browser.close()


def test_an_upload_that_reaches_outside_the_scenario_folder_is_refused_in_the_page(app):
    from playwright.sync_api import sync_playwright

    url, _root = app
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=find_chromium(), args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(60_000)
            page.goto(url)
            page.get_by_text("An uploaded scenario file").click()
            upload = page.locator("input[type='file']")
            upload.set_input_files({"name": "outside.toml", "mimeType": "application/toml",
                                    "buffer": b'extends = "../calibration/hampshire.toml"\nname = "outside"\n'})
            page.get_by_text("error: outside.toml: extends: '../calibration/hampshire.toml' is not a file of the "
                             "scenario folder").wait_for()
            page.screenshot(path=ARTIFACTS / "app-upload-refused.png")
            upload.set_input_files({"name": "mine.toml", "mimeType": "application/toml",
                                    "buffer": b'extends = "small.toml"\nname = "mine"\n[workforce]\nhard_cap = 18\n'})
            page.get_by_text("Starting from 'mine'").wait_for()
            page.get_by_text("'mine_whatif' is valid: it sets 1 setting(s) over small.toml (workforce.hard_cap)").wait_for()
        finally:
            browser.close()
