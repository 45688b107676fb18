"""The web app's logic without a browser: scenarios built from levers, uploads and their refusals, the limits,
the loopback rule, background runs, summary.xlsx, and the warning that a comparison's replications are too few."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from conftest import SCENARIOS
from journeysim import spreadsheet
from journeysim.app import draft as drafts
from journeysim.app import jobs, levers, limits, views
from journeysim.cli import main
from journeysim.interrupts import RunError
from journeysim.replications import comparison_shortfall, projected_needed, relative_precision
from journeysim.scenario import ScenarioError, load, resolved_toml, scenario_digest
from journeysim.stats import t95

#: A tiny county over a short horizon: a replication in a second or two.
TINY = ["run.scale=0.02", "run.warmup_days=365", "run.start=2018-04-01", "run.end=2019-04-01"]


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """A scenario folder holding small.toml: Hampshire, resolved, over one reported year."""
    root = tmp_path_factory.mktemp("scenarios")
    base = load(SCENARIOS / "hampshire.toml", [*TINY[1:], 'name="small"'])
    (root / "small.toml").write_text(resolved_toml(base), encoding="utf-8")
    return root


# ------------------------------------------------------------------------------------------ building
def test_added_social_workers_are_appended_to_the_drives_never_replacing_them():
    draft = drafts.from_folder(SCENARIOS, "hampshire.toml")
    base = draft.load()
    added = [levers.new_drive(20, dt.date(2019, 6, 1), 0.5)]
    built = draft.with_drives(base, added).load()
    assert base["workforce.drives"] == [{"date": dt.date(2019, 1, 15), "posts": 65, "nq_share": 0.8}]
    assert built["workforce.drives"] == [*base["workforce.drives"], {"date": dt.date(2019, 6, 1), "posts": 20,
                                                                     "nq_share": 0.5}]


def test_levers_set_only_what_changed_in_the_schema_units():
    base = load(SCENARIOS / "hampshire.toml")
    chosen = {"workforce.hard_cap": 20, "workforce.hard_cap_start": dt.date(2019, 4, 1),
              "arrivals.surge_start": dt.date(2018, 4, 1), "arrivals.surge_factor": 50.0,
              "hubs.family_workers": base["hubs.family_workers"], "costs.social_worker": base["costs.social_worker"],
              "workforce.freeze_start": None, levers.MASH_HOLD: (5.0, 12.0), "teams.intake_rota": 2}
    assert levers.changes(base, chosen) == {
        "workforce.hard_cap": 20, "workforce.hard_cap_start": dt.date(2019, 4, 1),
        "arrivals.surge_start": dt.date(2018, 4, 1), "arrivals.surge_factor": 1.5,
        levers.MASH_HOLD: {"dist": "lognormal", "median": 5.0, "p90": 12.0}, "teams.intake_rota": [[1, 2], [3, 4]]}
    surge = levers.LEVERS["arrivals.surge_factor"]
    assert surge.shown(1.2) == pytest.approx(20.0) and surge.bounds() == (-100, 900)  # the schema's 0 to 10
    assert "0 to 500 children" in levers.LEVERS["workforce.hard_cap"].help()


def test_intake_rota_of_teams_per_week():
    assert levers.intake_rota(4, 1) == []
    assert levers.intake_rota(6, 3) == [[1, 2, 3], [4, 5, 6]]
    with pytest.raises(ScenarioError, match="does not divide 4 CAST teams"):
        levers.intake_rota(4, 3)


def test_a_downloaded_scenario_runs_from_the_command_line_with_the_values_the_app_ran(tmp_path):
    draft = drafts.from_folder(SCENARIOS, "hampshire.toml").with_values(
        {"name": "cap_20", "workforce.hard_cap": 20, "arrivals.surge_start": dt.date(2018, 4, 1)})
    (SCENARIOS / "cap_20.toml").exists() and pytest.skip("cap_20.toml is in the scenario folder")
    library = tmp_path / "scenarios"
    library.mkdir()
    (library / "hampshire.toml").write_text((SCENARIOS / "hampshire.toml").read_text(), encoding="utf-8")
    (tmp_path / "calibration").symlink_to(SCENARIOS.parent / "calibration")
    saved = drafts.save(drafts.Draft(library, "hampshire.toml", draft.values), library, "cap_20.toml")
    assert saved.read_text(encoding="utf-8") == draft.toml()
    assert scenario_digest(load(saved)) == scenario_digest(draft.load())
    r = CliRunner().invoke(main, ["validate", str(saved)])
    assert r.exit_code == 0, r.output


def test_saving_replaces_only_a_file_the_app_saved(tmp_path, folder):
    draft = drafts.from_folder(folder, "small.toml").with_values({"name": "mine"})
    (tmp_path / "theirs.toml").write_text('name = "theirs"\n', encoding="utf-8")
    with pytest.raises(ScenarioError, match="not saved by the app"):
        drafts.save(draft, tmp_path, "theirs.toml")
    assert (tmp_path / "theirs.toml").read_text() == 'name = "theirs"\n'
    drafts.save(draft, tmp_path, "mine.toml")
    drafts.save(draft.with_values({"workforce.hard_cap": 18}), tmp_path, "mine.toml")
    assert "hard_cap = 18" in (tmp_path / "mine.toml").read_text()
    for bad in ("../up.toml", "a/b.toml", ".hidden.toml", "x.txt"):
        with pytest.raises(ScenarioError, match="give a file name"):
            drafts.save(draft, tmp_path, bad)


# ------------------------------------------------------------------------------------------ uploads
def test_an_upload_gets_the_messages_of_validate(tmp_path, folder):
    text = b'extends = "small.toml"\nname = "u"\n\n[workforce]\nhard_cap = -3\n'
    (folder / "u.toml").write_bytes(text)
    try:
        r = CliRunner().invoke(main, ["validate", str(folder / "u.toml")])
    finally:
        (folder / "u.toml").unlink()
    with pytest.raises(ScenarioError) as refused:
        drafts.from_upload(folder, "u.toml", text)
    assert r.exit_code == 2
    assert r.output.strip() == f"error: {folder}/{refused.value}"
    assert str(refused.value) == "u.toml, line 5: workforce.hard_cap must be between 0 and 500 children; got -3"


@pytest.mark.parametrize("extends", ["../calibration/hampshire.toml", "/etc/passwd", "sub/small.toml",
                                     "missing.toml", "small.toml/..", 3])
def test_an_upload_may_extend_only_a_file_of_the_scenario_folder(folder, extends):
    value = f'"{extends}"' if isinstance(extends, str) else str(extends)
    with pytest.raises(ScenarioError, match=r"extends: .* is not a file of the scenario folder; an uploaded scenario "
                                            r"may extend only one of small.toml"):
        drafts.from_upload(folder, "u.toml", f"extends = {value}\n".encode())


@pytest.mark.parametrize("key,value", [("run.start_state", '"../../secret.csv"'), ("run.start_state", '"snap.csv"'),
                                       ("run.parameter_draws", '"../calibration/plausible.csv"')])
def test_an_upload_may_not_name_other_files(folder, key, value):
    section, leaf = key.split(".")
    with pytest.raises(ScenarioError, match=f"u.toml: {key}: an uploaded scenario may not name other files"):
        drafts.from_upload(folder, "u.toml", f'extends = "small.toml"\n[{section}]\n{leaf} = {value}\n'.encode())


def test_an_upload_is_data_never_code(folder, tmp_path):
    canary = tmp_path / "ran"
    code = f"__import__('pathlib').Path('{canary}').touch() or 18"
    with pytest.raises(ScenarioError, match="workforce.hard_cap must be a whole number between 0 and 500"):
        drafts.from_upload(folder, "u.toml", f'extends = "small.toml"\n[workforce]\nhard_cap = "{code}"\n'.encode())
    assert not canary.exists()


def test_a_results_folders_resolved_scenario_uploads_and_runs_the_same(folder):
    resolved = (folder / "small.toml").read_bytes()  # run.start_state = "", run.parameter_draws = "none"
    draft = drafts.from_upload(folder, "scenario.toml", resolved)
    assert draft.extends is None
    assert scenario_digest(draft.load()) == scenario_digest(load(folder / "small.toml"))
    assert "wherever it is saved" in draft.toml().splitlines()[0]


def test_an_upload_too_large_or_not_text_is_refused(folder):
    with pytest.raises(ScenarioError, match="at most 100,000"):
        drafts.from_upload(folder, "big.toml", b"# " + b"x" * 100_000)
    with pytest.raises(ScenarioError, match="not a text file"):
        drafts.from_upload(folder, "bin.toml", b"\xff\xfe\x00")


# ------------------------------------------------------------------------------------------ limits, loopback
@pytest.mark.parametrize("sets,reps,message", [
    ([], limits.MAX_REPS + 1, "replications: 21 asked for; the app runs 1 to 20"),
    (["run.scale=3"], 1, "run.scale: 3 asked for; the app runs up to 2"),
    (["arrivals.contacts_per_year=500000"], 1, "contacts a year asked for; the app runs up to 168,000"),
    (["run.end=2040-04-01"], 1, "run.end: 23.0 years simulated"),
])
def test_runs_beyond_the_limits_are_refused_before_anything_starts(tmp_path, folder, sets, reps, message):
    draft = drafts.from_folder(folder, "small.toml")
    values = dict(s.split("=", 1) for s in sets)
    typed = {k: (dt.date.fromisoformat(v) if k == "run.end" else float(v)) for k, v in values.items()}
    with pytest.raises(limits.LimitError, match=message):
        jobs.start_run(draft.with_values(typed), jobs.Size(reps), tmp_path / "runs")
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "localhost", "::1", "[::1]"])
def test_loopback_addresses_need_no_flag(host):
    limits.check_host(host, allow_remote=False)


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.5", "::", "example.org"])
def test_other_addresses_are_refused_without_the_flag_and_say_why(host):
    with pytest.raises(RunError, match="listens on this machine only .* unless --allow-remote .* no log-in"):
        limits.check_host(host, allow_remote=False)
    limits.check_host(host, allow_remote=True)


def test_the_app_command_refuses_a_public_address(tmp_path):
    r = CliRunner().invoke(main, ["app", "--host", "0.0.0.0", "--results", str(tmp_path / "runs")])
    assert r.exit_code == 2
    assert r.output.startswith("error: --host 0.0.0.0: the app listens on this machine only (127.0.0.1) unless "
                               "--allow-remote is given")
    assert not (tmp_path / "runs").exists()


# ------------------------------------------------------------------------------------------ summary.xlsx
def test_summary_xlsx_has_the_figures_as_the_command_line_prints_them(tmp_path):
    summary = pd.DataFrame({"measure": ["referrals", "referrals", "re_referral_12m_pct"],
                            "year": ["2018-19", "2019-20", "2018-19"], "mean": [12345.4, 100.0, 21.26],
                            "ci95": [678.9, float("nan"), 1.04]})
    costs = pd.DataFrame({"component": ["social_workers", "total"], "year": ["2018-19", "2018-19"],
                          "mean": [41_500_000.0, 60_123_456.0], "ci95": [1_250_000.0, 2_000_000.0]})
    path = spreadsheet.write_run_summary(tmp_path, "x", summary, costs, ["2018-19", "2019-20"], 5, 7)
    book = load_workbook(path)
    assert book.sheetnames == ["About", "Measures", "Costs"]
    rows = {r[0]: r for r in book["Measures"].iter_rows(values_only=True)}
    assert rows["Referrals"] == ("Referrals", "referrals", "Referrals to children's social care accepted in the year.",
                                 "12,345 ±679", "100")
    assert rows["Re-referrals within 12 months %"][3:] == ("21.3 ±1.0", "-")
    assert rows["CLA ceased: returned home"][1] == "children"  # an indented row named with its parent
    costs_rows = {r[0]: r for r in book["Costs"].iter_rows(values_only=True)}
    assert costs_rows["Social workers"][3] == "41.50 ±1.25" and costs_rows["Total"][3] == "60.12 ±2.00"


# ------------------------------------------------------------------------------------------ too few replications
def test_projected_replications_are_the_first_n_whose_half_width_meets_the_target():
    values = np.array([100.0, 110.0, 90.0, 105.0, 95.0])
    n = projected_needed(values, 0.05)
    sd, mean = values.std(ddof=1), values.mean()

    def d(k):
        return t95(k - 1) * sd / math.sqrt(k) / mean

    assert d(n) <= 0.05 < d(n - 1)
    assert n == 13  # t(11) x 7.906 / sqrt(12) = 5.02 > 5; t(12) x 7.906 / sqrt(13) = 4.78


def _per_rep(values: dict[tuple[str, str], list[float]]) -> pd.DataFrame:
    return pd.DataFrame([{"rep": r, "measure": m, "year": y, "value": v}
                         for (m, y), vs in values.items() for r, v in enumerate(vs)])


def test_a_comparison_of_two_replications_is_too_few_whatever_its_spread():
    steady = _per_rep({("cla_starts", "2018-19"): [100.0, 100.5]})
    short = comparison_shortfall(steady, steady, ("a", "b"))
    assert short is not None and short.reps == 2 and short.needed == 3
    assert short.text("b.toml --set run.scale=0.02").startswith("warning: 2 paired replications are too few for these "
                                                        "intervals to mean anything")
    assert "'journeysim reps b.toml --set run.scale=0.02' finds how many" in short.text("b.toml --set run.scale=0.02")


def test_a_comparison_is_warned_of_only_when_an_interval_is_wider_than_the_target():
    narrow = _per_rep({("cla_starts", "2018-19"): [100.0, 101.0, 99.0, 100.0, 100.5],
                       ("cp_plans_started", "2018-19"): [50.0, 50.5, 49.5, 50.0, 50.2]})
    wide = _per_rep({("cla_starts", "2018-19"): [100.0, 101.0, 99.0, 100.0, 100.5],
                     ("cp_plans_started", "2018-19"): [50.0, 80.0, 20.0, 60.0, 40.0]})
    assert relative_precision(narrow[narrow["measure"] == "cp_plans_started"]["value"].to_numpy()) < 0.05
    assert comparison_shortfall(narrow, narrow, ("a", "b")) is None
    short = comparison_shortfall(narrow, wide, ("a", "b"))
    assert short is not None and short.worst == ("b", "cp_plans_started", "2018-19")
    assert short.needed == projected_needed([50.0, 80.0, 20.0, 60.0, 40.0], 0.05)


# ------------------------------------------------------------------------------------------ runs and views
def test_a_preview_runs_in_the_background_and_its_folder_shows_every_view(tmp_path, folder):
    draft = drafts.from_folder(folder, "small.toml").with_values({"name": "small_cap"})
    job = jobs.start_run(draft, jobs.Size(2, 0.02), tmp_path / "runs", seed=5, workers=2).wait()  # worker processes
    assert job.error is None and job.finished and job.done == job.total == 2
    assert job.out == tmp_path / "runs" / "small_cap-preview-1"
    assert job.command == "journeysim run SCENARIO.toml --reps 2 --seed 5 --set run.scale=0.02"
    assert "PREVIEW at 0.02 of the county's size" in job.label
    view = views.run_view(job.out)
    assert list(view.measures.columns) == ["Measure", "Unit", "Definition", "2018-19"]
    measures = pd.read_csv(job.out / "summary.csv").set_index("measure")
    referrals = view.measures.set_index("Measure").loc["Referrals", "2018-19"]
    assert referrals == f"{measures.loc['referrals', 'mean']:,.0f} ±{measures.loc['referrals', 'ci95']:,.0f}"
    assert {f.title for f in view.others} >= {"Changes of social worker, by cause", "Caseloads by kind of team"}
    assert any(f.title == "Referrals" for f in view.fans)
    child, _ = views.children_with_journeys(view.results)[0]
    story, png = views.journey(view.results, child)
    assert story[0].startswith(f"Child {child}") and png.startswith(b"\x89PNG")
    assert views.zip_folder(job.out)[:2] == b"PK"


def test_the_replications_method_runs_from_the_app_on_the_measures_compare_judges(folder):
    draft = drafts.from_folder(folder, "small.toml").with_values({"name": "small_cap", "workforce.hard_cap": 18})
    job = jobs.start_replications_check(draft, jobs.Size(2, 0.02), seed=3, workers=1, filename="small_cap.toml",
                                        max_reps=4).wait()
    assert job.error is None and job.done == job.total == 4
    table = job.result.table()
    assert sorted(table["measure"]) == ["cla_starts", "cp_plans_started", "re_referral_12m_pct"]
    assert (table["replications_run"] == 4).all() and table["replications_needed"].isna().all()  # 3 + 5 look-ahead > 4
    assert job.command == ("journeysim reps small_cap.toml --precision 0.05 --max-reps 4 --seed 3 --set run.scale=0.02 "
                           "--measure cp_plans_started --measure cla_starts --measure re_referral_12m_pct")


def test_at_most_two_runs_at_once_over_every_page(tmp_path, folder, monkeypatch):
    busy = [jobs.Job("a", tmp_path / "a", 1, ""), jobs.Job("b", tmp_path / "b", 1, "")]
    monkeypatch.setattr(jobs, "_JOBS", busy)
    with pytest.raises(limits.LimitError, match="2 runs are under way on this machine .* wait for one to finish"):
        jobs.start_run(drafts.from_folder(folder, "small.toml"), jobs.Size(1, 0.02), tmp_path / "runs")
    assert not (tmp_path / "runs").exists()
    busy[0].finished = True
    assert jobs.new_folder(tmp_path, "b") == tmp_path / "b-1"
    assert jobs.new_folder(tmp_path, "x") == tmp_path / "x-1"
    busy[1].out = tmp_path / "x-1"  # a folder a job under way writes is taken, though not there yet
    assert jobs.new_folder(tmp_path, "x") == tmp_path / "x-2"


def test_compare_warns_before_its_table_and_writes_summary_xlsx(tmp_path):
    out = tmp_path / "cmp"
    r = CliRunner().invoke(main, ["compare", str(SCENARIOS / "hampshire.toml"),
                                  str(SCENARIOS / "whatif_caseload_cap_18.toml"), "--reps", "2", "--workers", "1",
                                  "--out", str(out), *[arg for s in TINY for arg in ("--set", s)]])
    assert r.exit_code == 0, r.output
    warning = r.output.index("warning: 2 paired replications are too few for these intervals to mean anything")
    assert warning < r.output.index("Contacts (families)")
    statement = (out / "statement.txt").read_text()
    assert statement.startswith("warning: 2 paired replications are too few")
    assert f"'journeysim reps {SCENARIOS / 'whatif_caseload_cap_18.toml'} --set run.scale=0.02 --set " in statement
    book = load_workbook(out / "summary.xlsx")
    assert book.sheetnames == ["About", "Comparison", "Statement"]
    rows = list(book["Comparison"].iter_rows(values_only=True))
    assert rows[0][:6] == ("Measure", "Unit", "Definition", "Year", "hampshire", "caseload_cap_18")
    diffs = pd.read_csv(out / "comparison.csv").set_index(["measure", "year"])
    contacts = next(row for row in rows if row[0] == "Contacts (families)")
    assert contacts[4] == f"{diffs.loc[('contacts', '2018-19'), 'mean_a']:,.0f}"
    assert any(row[1].startswith("warning: 2 paired") for row in book["About"].iter_rows(values_only=True))
    assert load_workbook(out / "a-hampshire" / "summary.xlsx").sheetnames == ["About", "Measures", "Costs"]


def test_the_app_command_says_what_is_missing(tmp_path, monkeypatch):
    r = CliRunner().invoke(main, ["app", "--scenarios", str(tmp_path), "--results", str(tmp_path / "runs")])
    assert r.exit_code == 2
    assert r.output == f"error: --scenarios {tmp_path}: no scenario files (*.toml) there; give the scenario folder\n"
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "streamlit" else real(name, *a))
    r = CliRunner().invoke(main, ["app"])
    assert r.exit_code == 2
    assert r.output == "error: journeysim app needs Streamlit: install the app extra (pip install 'journeysim[app]')\n"
