"""The Streamlit page of ``journeysim app``: a thin layer of controls over :mod:`journeysim.app`.

Streamlit runs this script from the top at every click; what must last between clicks (the
recruitment drives added, the runs under way) is kept in ``st.session_state``.  Everything that
decides something (scenario building, limits, runs, tables, figures) is in the modules beside it.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from journeysim import spreadsheet
from journeysim.app import draft as drafts
from journeysim.app import jobs, levers, views
from journeysim.app.config import AppConfig
from journeysim.app.limits import MAX_REPS, LimitError
from journeysim.interrupts import RunError
from journeysim.scenario import FIRST_DATE, LAST_DATE, ScenarioError

CONFIG = AppConfig.from_environment()
SCENARIOS = CONFIG.scenarios
state = st.session_state


# ------------------------------------------------------------------------------------------ helpers
@st.cache_resource(max_entries=8, show_spinner="Reading the results...")
def _run_view(folder: str) -> views.RunView:
    return views.run_view(folder)


@st.cache_data(max_entries=4, show_spinner="Finding the busiest journeys...")
def _children(folder: str) -> list[tuple[int, str]]:
    return views.children_with_journeys(_run_view(folder).results)


@st.cache_data(max_entries=32, show_spinner="Reading the journey from the event log...")
def _journey(folder: str, child: int) -> tuple[list[str], bytes]:
    return views.journey(_run_view(folder).results, child)


@st.cache_data(max_entries=4, show_spinner="Drawing the animation (a minute or so)...")
def _animation(folder: str) -> bytes:
    return views.animation_gif(folder)


def _key(*parts) -> str:
    return ":".join(str(p) for p in parts)


def _number(lever: levers.Lever, value, key: str):
    lo, hi = lever.bounds()
    whole = lever.kind == "int"
    cast = int if whole else float
    return st.number_input(f"{lever.label}" + (f" ({lever.unit})" if lever.unit else ""), key=key,
                           min_value=None if lo is None else cast(lo), max_value=None if hi is None else cast(hi),
                           value=cast(value), step=1 if whole else None, help=lever.help(),
                           format=None if whole else "%g")


def _date(lever: levers.Lever, value, key: str):
    on = st.checkbox(f"{lever.label}", value=value is not None, key=key + ":on", help=lever.help())
    if not on:
        return None
    return st.date_input(f"{lever.label}: date", value=value or dt.date(2018, 4, 1), key=key + ":date",
                         min_value=FIRST_DATE, max_value=LAST_DATE, label_visibility="collapsed")


def _lever(lever: levers.Lever, base, prefix: str):
    shown = lever.shown(base.raw()[lever.key])
    key = _key(prefix, lever.key)
    return _date(lever, shown, key) if lever.kind == "cdate" else _number(lever, shown, key)


def _progress(job_key: str) -> None:
    """The progress bar of the job in ``state[job_key]``, redrawn every second until it finishes."""

    @st.fragment(run_every=1.0)
    def bar() -> None:
        job = state.get(job_key)
        if job is None:
            return
        if job.finished:
            st.rerun()
        st.progress(job.fraction, text=f"{job.label}: {job.done} of {job.total} replications done")

    bar()


def _finished(job_key: str):
    """The job in ``state[job_key]`` once it has finished without error; None while there is none, while
    it runs (its progress bar is drawn) or when it failed (its error is shown)."""
    job = state.get(job_key)
    if job is None:
        return None
    if not job.finished:
        _progress(job_key)
        return None
    if job.error:
        st.error(f"error: {job.error}")
        return None
    return job


def _size(prefix: str) -> jobs.Size:
    kind = st.radio("Size", ["Quick preview", "Full run"], key=prefix + ":size", horizontal=True,
                    help=f"A quick preview runs at {CONFIG.preview_scale:g} of the county's size with "
                         f"{CONFIG.preview_reps} replications: a first look, labelled as such. A full run is the "
                         f"scenario as built.")
    if kind == "Quick preview":
        return jobs.Size(CONFIG.preview_reps, CONFIG.preview_scale)
    reps = st.number_input("Replications", min_value=1, max_value=MAX_REPS, value=5, key=prefix + ":reps",
                           help=f"Runs of the scenario with different random numbers (1 to {MAX_REPS} here; the "
                                "command line has no limit). More give narrower intervals.")
    return jobs.Size(int(reps))


# ------------------------------------------------------------------------------------------ 1 build
def build_tab() -> tuple[drafts.Draft | None, str]:
    """The scenario builder; returns the draft built (None while it does not load) and its file name."""
    files = drafts.scenario_files(SCENARIOS)
    source = st.radio("Start from", ["A scenario of the folder", "An uploaded scenario file"], horizontal=True)
    base_draft = None
    if source == "A scenario of the folder":
        choice = st.selectbox("Scenario", files, index=files.index("hampshire.toml") if "hampshire.toml" in files else 0)
        base_draft = drafts.from_folder(SCENARIOS, choice)
    else:
        upload = st.file_uploader("Scenario file (TOML)", type=["toml"],
                                  help="Checked as journeysim validate checks it. It may extend only a file of the "
                                       "scenario folder, and may not name other files.")
        if upload is None:
            st.info("Upload a scenario file to start from it.")
            return None, ""
        try:
            base_draft = drafts.from_upload(SCENARIOS, upload.name, upload.getvalue())
        except ScenarioError as exc:
            st.error(f"error: {exc}")
            return None, ""
    try:
        base = base_draft.load()
    except ScenarioError as exc:
        st.error(f"error: {exc}")
        return None, ""
    prefix = _key("lever", source, base_draft.extends, base_draft.shown, base.name)
    st.caption(f"Starting from '{base.name}': {base['description']}")

    name = st.text_input("Name of the new scenario", value=f"{base.name}_whatif", key=prefix + ":name",
                         help="Shown in the results and comparisons, and the file's name.")
    description = st.text_input("What it represents", value=base["description"], key=prefix + ":description")
    chosen: dict = {}
    left, right = st.columns(2)
    with left:
        with st.expander("Social workers added", expanded=True):
            added = _drives(base, prefix)
        for group in ("Caseload cap", "Intake rota", "Hubs", "MASH holding time"):
            with st.expander(group, expanded=group == "Caseload cap"):
                for lever in levers.GROUPS[group]:
                    chosen[lever.key] = _lever(lever, base, prefix)
                if group == "Intake rota":
                    chosen["teams.intake_rota"] = st.number_input(
                        "CAST teams on intake each week", min_value=1, max_value=12, value=levers.teams_per_week(base),
                        key=prefix + ":rota", help=levers.LEVERS["teams.cast_teams"].help() + " "
                        + "The rota puts this many teams on intake each week, in turn (it must divide the teams).")
                if group == "Hubs":
                    places = levers.hub_places({k: chosen[k] for k in ("hubs.count", "hubs.family_workers",
                                                                       "hubs.families_per_worker")})
                    st.caption(f"Hub places: {places:,} families supported at once (at Hampshire's size)")
                if group == "MASH holding time":
                    hold = base.raw()[levers.MASH_HOLD]
                    help_ = f"{levers.PARAMS[levers.MASH_HOLD].doc} (scenario key {levers.MASH_HOLD})"
                    median = st.number_input("Holding time, median (days)", min_value=0.1, max_value=365.0,
                                             value=float(hold.get("median", 2.5)), key=prefix + ":mash:median", help=help_)
                    p90 = st.number_input("Holding time, 90th percentile (days)", min_value=0.1, max_value=730.0,
                                          value=float(hold.get("p90", 6.0)), key=prefix + ":mash:p90", help=help_)
                    chosen[levers.MASH_HOLD] = (median, p90)
    with right:
        for group in ("Referral surge", "Recruitment freeze", "PA support", "Reunification drive", "Unit costs"):
            with st.expander(group):
                for lever in levers.GROUPS[group]:
                    chosen[lever.key] = _lever(lever, base, prefix)

    try:
        changes = levers.changes(base, chosen)
        draft = base_draft.with_values({"name": name, "description": description, **changes}).with_drives(base, added)
        filename = f"{name}.toml"
        draft = drafts.Draft(draft.folder, draft.extends, draft.values, shown=filename)
        scenario = draft.load()
    except ScenarioError as exc:
        st.error(f"error: {exc}")
        return None, ""
    shown = {k: v for k, v in draft.values.items() if k not in ("name", "description")}
    st.success(f"'{scenario.name}' is valid: it sets {len(shown)} setting(s) over {draft.extends or 'the defaults'}"
               + (f" ({', '.join(shown)})" if shown else ""))
    _save(draft, filename)
    return draft, filename


def _drives(base, prefix: str) -> list[dict]:
    """Recruitment drives: the base's (kept) and the rows added here."""
    rows = state.setdefault(prefix + ":drives", [])
    existing = pd.DataFrame(base["workforce.drives"], columns=["date", "posts", "nq_share"])
    st.caption("Recruitment drives already in the scenario (kept):")
    st.dataframe(existing.rename(columns={"date": "Date", "posts": "Posts", "nq_share": "Newly qualified share"}),
                 hide_index=True)
    help_ = levers.PARAMS["workforce.drives"].doc
    c1, c2, c3 = st.columns(3)
    posts = c1.number_input("Posts added", value=20, step=1, key=prefix + ":posts",
                            help=help_ + " Negative to cut posts (the scenario's checks give the range).")
    when = c2.date_input("From", value=dt.date(2019, 4, 1), key=prefix + ":posts_date", help=help_)
    nq = c3.number_input("Newly qualified share", min_value=0.0, max_value=1.0, value=0.5, key=prefix + ":nq",
                         help="Share of the recruits who are newly qualified (0 to 1).")
    if st.button("Add these social workers", key=prefix + ":add"):
        rows.append(levers.new_drive(posts, when, nq))
    if rows:
        st.caption("Added here:")
        st.dataframe(pd.DataFrame(rows).rename(columns={"date": "Date", "posts": "Posts",
                                                        "nq_share": "Newly qualified share"}), hide_index=True)
        if st.button("Remove the last added row", key=prefix + ":remove"):
            rows.pop()
            st.rerun()
    return list(rows)


def _save(draft: drafts.Draft, filename: str) -> None:
    c1, c2 = st.columns(2)
    c1.download_button("Download the scenario (TOML)", draft.toml(), file_name=filename, mime="application/toml", on_click="ignore",
                       help=f"Save it beside {draft.extends} and run it with: journeysim run {filename}")
    if c2.button(f"Save into the scenario library as {filename}"):
        try:
            path = drafts.save(draft, SCENARIOS, filename)
            st.success(f"Saved {path.name} in the scenario library; run it with: journeysim run {path}")
        except ScenarioError as exc:
            st.error(f"error: {exc}")
    with st.expander("The scenario file"):
        st.code(draft.toml(), language="toml")


# ------------------------------------------------------------------------------------------ 2 run
def run_tab(draft: drafts.Draft | None, filename: str) -> None:
    if draft is None:
        st.info("Build a valid scenario first (tab 1).")
    else:
        size = _size("run")
        seed = st.number_input("Seed", min_value=0, max_value=2**31 - 1, value=1, key="run:seed",
                               help="The same scenario, seed and size give the same results, here and on the "
                                    "command line.")
        busy = state.get("run:job") is not None and not state["run:job"].finished
        if st.button("Run", type="primary", disabled=busy):
            try:
                state["run:job"] = jobs.start_run(draft, size, CONFIG.results, int(seed), CONFIG.workers, filename)
                state["run:folder"] = None
            except (LimitError, ScenarioError, RunError) as exc:
                st.error(f"error: {exc}")
    job = _finished("run:job")
    if job is None:
        return
    state["run:folder"] = str(job.out)
    show_run(job)


def show_run(job: jobs.Job) -> None:
    view = _run_view(str(job.out))
    if job.preview:
        st.warning(f"{job.label}. Use it for a first look; a full run gives the figures to quote.")
    else:
        st.info(job.label)
    st.caption(f"Results: {job.out}. The same results from the command line: {job.command}")
    c1, c2 = st.columns(2)
    c1.download_button("Download summary.xlsx", (job.out / spreadsheet.FILE).read_bytes(),
                       file_name=f"{job.out.name}-summary.xlsx",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", on_click="ignore")
    out = job.out
    # zipped when asked for (it can be large); no download reruns the page, whose rerun could cancel another
    # download still under way (a planner clicking both buttons at once)
    c2.download_button("Download the results folder (.zip: CSV, Parquet)", lambda: views.zip_folder(out),
                       file_name=f"{out.name}.zip", mime="application/zip", on_click="ignore")
    st.subheader("Official measures")
    st.table(view.measures.set_index("Measure"))
    st.caption("Mean ± the half-width of its 95% confidence interval over the replications, as journeysim run "
               "prints them.")
    columns = st.columns(3)
    for i, fig in enumerate(view.fans):
        with columns[i % 3]:
            st.image(fig.png, caption=fig.title)
    with st.expander("What the fan charts show"):
        st.write(view.fans[0].caption if view.fans else "")
    st.subheader("Costs by component")
    st.table(view.costs.set_index("Component"))
    st.subheader("Caseloads, queues and handoffs")
    for fig in view.others:
        st.image(fig.png, caption=f"{fig.title}. {fig.caption}")


# ------------------------------------------------------------------------------------------ 3 compare
def compare_tab(draft: drafts.Draft | None, filename: str) -> None:
    built = f"The scenario being built ({filename})" if draft is not None else None
    files = drafts.scenario_files(SCENARIOS)
    options = ([built] if built else []) + files
    c1, c2 = st.columns(2)
    start = draft.extends if draft is not None and draft.extends in options else None
    a_choice = c1.selectbox("A: without the change", options, key="cmp:a",
                            index=options.index(start) if start else min(1, len(options) - 1))
    b_choice = c2.selectbox("B: with the change", options, index=0, key="cmp:b")
    size = _size("cmp")
    seed = st.number_input("Seed (shared by A and B: common random numbers)", min_value=0, max_value=2**31 - 1,
                           value=1, key="cmp:seed")

    def chosen(choice: str) -> tuple[drafts.Draft, str]:
        return (draft, filename) if choice == built else (drafts.from_folder(SCENARIOS, choice), choice)

    busy = state.get("cmp:job") is not None and not state["cmp:job"].finished
    if st.button("Compare", type="primary", disabled=busy):
        try:
            (a, fa), (b, fb) = chosen(a_choice), chosen(b_choice)
            state["cmp:job"] = jobs.start_comparison(a, b, size, CONFIG.results, int(seed), CONFIG.workers, (fa, fb))
        except (LimitError, ScenarioError, RunError) as exc:
            st.error(f"error: {exc}")
    job = _finished("cmp:job")
    if job is None:
        return
    table_, statement, png = views.comparison_view(job.out)
    (st.warning if job.preview else st.info)(job.label)
    st.caption(f"Results: {job.out}. From the command line: {job.command}")
    warned = [line for line in statement if line.startswith("warning:")]
    for line in warned:
        st.warning(line)
    if warned:
        _replications_check(b_choice, chosen, size, int(seed))
    years = list(dict.fromkeys(table_["Year"]))
    shown = st.multiselect("Years to show", years, default=years[-1:], key=_key("cmp:years", job.out))
    st.table(table_[table_["Year"].isin(shown)].drop(columns=["Definition"]).set_index("Measure"))
    st.image(png)
    words = [line for line in statement if not line.startswith("warning:")]
    with st.expander("In words", expanded=True):
        st.markdown("\n".join(f"- {line}" for line in words[:1] + [w for w in words[1:]
                                                                     if any(f" {y}:" in w for y in shown)]))
    st.download_button("Download summary.xlsx of the comparison", (job.out / spreadsheet.FILE).read_bytes(),
                       file_name=f"{job.out.name}-summary.xlsx", key="cmp:xlsx", on_click="ignore",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def _replications_check(choice: str, chosen, size: jobs.Size, seed: int) -> None:
    """The replications method of journeysim reps on B, at the comparison's size, on request."""
    draft, filename = chosen(choice)
    if st.button(f"How many replications would do? (the replications method on B: up to {MAX_REPS} "
                 f"replications at this size)", key="reps:start"):
        try:
            state["reps:job"] = jobs.start_replications_check(draft, size, seed, CONFIG.workers, filename)
        except (LimitError, ScenarioError, RunError) as exc:
            st.error(f"error: {exc}")
    job = state.get("reps:job")
    if job is None:
        return
    if not job.finished:
        _progress("reps:job")
        return
    if job.error:
        st.error(f"error: {job.error}")
        return
    guidance = job.result
    shown = guidance.table().rename(columns={"replications_needed": "replications needed",
                                             "relative_precision": "95% half-width / mean",
                                             "replications_run": "replications run"})
    st.table(shown)
    st.write(f"Run at least {guidance.needed} replications." if guidance.needed is not None else
             f"Not settled within {job.total} replications at this size: more are needed; the command line finds "
             f"how many: {job.command.replace(f'--max-reps {job.total}', '--max-reps 100')}")


# ------------------------------------------------------------------------------------------ 4 trainer
def trainer_tab() -> None:
    folder = state.get("run:folder")
    if not folder:
        st.info("Run a scenario first (tab 2): the trainer views follow its first replication.")
        return
    st.subheader("One family's journey")
    labels = {label: child for child, label in _children(folder)}
    child = labels[st.selectbox("Child", list(labels), key=_key("trainer", folder, "child"))]
    lines, png = _journey(folder, child)
    steps = [line for line in lines if line.strip()]
    step = st.slider("Step through the journey", 1, len(steps), len(steps), key=_key("trainer", folder, child, "step"))
    st.code("\n".join(steps[:step]), language=None)
    st.image(png, caption="The journey on a timeline: stages, social workers, changes of worker and hub support")
    st.subheader("Stocks and queues over time")
    if st.button("Play the animation", key=_key("trainer", folder, "animate")):
        state[_key("animation", folder)] = True
    if state.get(_key("animation", folder)):
        st.image(_animation(folder), caption="The mean over the replications, every 30 days")


# ------------------------------------------------------------------------------------------ the page
st.set_page_config(page_title="journeysim", layout="wide")
st.title("journeysim: what if...?")
st.caption("A simulation of children's social care case journeys, calibrated to Hampshire. Build a scenario, run it, "
           "compare it, and follow one family through it.")
build, run, compare, trainer = st.tabs(["1 Build a scenario", "2 Run and results", "3 Compare two scenarios",
                                        "4 Trainer views"])
with build:
    built, built_file = build_tab()
with run:
    run_tab(built, built_file)
with compare:
    compare_tab(built, built_file)
with trainer:
    trainer_tab()
