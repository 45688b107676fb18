"""Drawing the report's figures from their data tables (see :mod:`journeysim.report.data`).

Every function takes the table a figure plots and returns a matplotlib ``Figure``;
figures are made without pyplot, so nothing here touches global state or needs a
display.  Colours come from the Okabe-Ito palette, which stays distinguishable
under the common forms of colour blindness.
"""

from __future__ import annotations

import io

import networkx as nx
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

#: The Okabe-Ito colour-blind-safe palette.
OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
}
#: Colours in the order series use them.
SERIES = [OKABE_ITO[k] for k in ("blue", "orange", "green", "purple", "sky_blue", "vermillion", "yellow", "black")]
SIMULATED = OKABE_ITO["blue"]
OBSERVED = OKABE_ITO["vermillion"]

_RC = {"font.size": 10, "axes.titlesize": 11, "axes.spines.top": False, "axes.spines.right": False}


def new_figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    return fig


def png_bytes(fig: Figure, dpi: int = 100) -> bytes:
    """The figure as PNG bytes."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def _style(ax) -> None:
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)


def fan_chart(data: pd.DataFrame, title: str, unit: str) -> Figure:
    """Mean across replications with the 50% and 90% intervals, and observed points."""
    fig = new_figure(5.2, 3.2)
    ax = fig.add_subplot()
    fan_axes(ax, data, title, unit)
    fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncols=4, fontsize=7, frameon=False)
    return fig


def fan_axes(ax, data: pd.DataFrame, title: str, unit: str) -> None:
    """Draw a fan chart on ``ax``: the mean by year across replications (``data`` as
    :func:`journeysim.report.data.fan` makes it), the 50% and 90% intervals, and observed points."""
    x = np.arange(len(data))
    ax.fill_between(x, data["p5"], data["p95"], color=SIMULATED, alpha=0.15, linewidth=0, label="90% interval")
    ax.fill_between(x, data["p25"], data["p75"], color=SIMULATED, alpha=0.35, linewidth=0, label="50% interval")
    ax.plot(x, data["mean"], color=SIMULATED, linewidth=2, marker="o", markersize=3, label="simulated mean")
    if data["observed"].notna().any():
        ax.plot(x, data["observed"], linestyle="none", marker="D", markersize=6, color=OBSERVED,
                markeredgecolor="black", markeredgewidth=0.6, label="observed (Hampshire)")
    ax.set_xticks(x, data["year"], rotation=0, fontsize=8)
    ax.set_title(title)
    ax.set_ylabel(unit)
    top = np.nanmax(data[["p95", "mean", "observed"]].to_numpy(dtype=float), initial=0.0)
    ax.set_ylim(0, 1.1 * top if top > 0 else 1.0)
    _style(ax)


def fan_grid(panels: list[tuple[pd.DataFrame, str, str]], title: str, mark: tuple[float, str] | None = None,
             columns: int = 3) -> Figure:
    """Fan charts side by side, ``columns`` to a row: one per ``(data, title, unit)`` of ``panels``
    (as :func:`fan_axes` draws them), each with a dashed vertical line at ``mark = (x, label)`` (a
    position between years, such as a forecast's origin) when given, and one legend."""
    rows = -(-len(panels) // columns)
    fig = new_figure(4.6 * columns, 3.0 * rows + 0.8)
    handles: dict[str, object] = {}
    for i, (data, panel_title, unit) in enumerate(panels):
        ax = fig.add_subplot(rows, columns, i + 1)
        fan_axes(ax, data, panel_title, unit)
        if len(data) > 7:  # the years' labels would run together
            ax.tick_params(axis="x", labelrotation=45, labelsize=7)
        if mark is not None:
            ax.axvline(mark[0], color=OKABE_ITO["black"], linestyle="--", linewidth=1, label=mark[1])
        handles.update(zip(*reversed(ax.get_legend_handles_labels())))
    fig.suptitle(title, fontsize=11)
    fig.legend(list(handles.values()), list(handles), loc="outside lower center", ncols=len(handles), fontsize=8,
               frameon=False)
    return fig


#: Where each stage sits in the pathway diagram (column, row): the front door at the left (a
#: family's contact, the MASH and their outcomes), the assessment route along the middle, Child in
#: Need above, Child Protection below it, care at the bottom right, the other ways in (open at the
#: run's start, UASC) and the hub sub-path at the left.  Eleven columns, so that the boxes' and
#: arrows' labels stay legible at the report's width.
PATHWAY_GRID = {
    "ContactReceived": (0, 0), "FrontDoorAdvice": (0, 1.5), "EarlyHelp": (0.6, -1.5),
    "MashScreeningCompleted": (1.2, 0), "MashNfa": (1.2, 1.5),
    "ReferralReceived": (2.4, 0), "AssessmentStarted": (3.6, 0), "AssessmentCompleted": (4.8, 0),
    "CaseLoaded": (2.4, 2.9), "UascArrived": (2.4, -3.5),
    "CinPlanStarted": (6.5, 1.9), "CinPlanEnded": (9, 1.9),
    "StrategyDiscussionHeld": (5.9, -1.2), "S47EnquiryCompleted": (7.1, -1.2), "IcpcHeld": (8.3, -1.2),
    "CpPlanStarted": (9.4, -1.2), "CpReviewHeld": (10.6, -1.2), "PloStarted": (10.6, -2.4),
    "CareProceedingsIssued": (11.8, -2.4), "CpPlanEnded": (11.8, -0.2),
    "CareEntered": (8.2, -3.5), "CareLeft": (10.8, -3.5), "ReturnHomeBrokeDown": (9.5, -4.5),
    "CaseClosed": (12.3, 1.2),
    "HubReferred": (3.6, -4.8), "HubSupportStarted": (5.3, -4.8), "HubSupportEnded": (7, -4.8),
}
#: The front door's steps (of families), drawn before a child's journey starts.
FRONT_DOOR_EDGES = [("ContactReceived", "FrontDoorAdvice"), ("ContactReceived", "EarlyHelp"),
                    ("ContactReceived", "MashScreeningCompleted"), ("MashScreeningCompleted", "MashNfa"),
                    ("MashScreeningCompleted", "EarlyHelp"), ("MashScreeningCompleted", "ReferralReceived")]
#: Where journeys start and end: not drawn as boxes; the flow from ``START`` is written in its stage's box.
_ENDS = ("START", "END")


def pathway_layout(g: nx.DiGraph) -> dict[str, tuple[float, float]]:
    """Positions of the pathway's nodes: :data:`PATHWAY_GRID` where listed; any other node
    goes in an extra column at the right, in the graph's order."""
    pos = {n: PATHWAY_GRID[n] for n in g.nodes if n in PATHWAY_GRID}
    right = max((x for x, _ in pos.values()), default=0) + 1
    for i, node in enumerate(n for n in g.nodes if n not in PATHWAY_GRID):
        pos[node] = (right, 2.0 - i)
    return pos


def _loops_back(pos: dict, u: str, v: str) -> bool:
    """An edge that returns to an earlier column (a step up from CIN, a breakdown, CIN after care)."""
    return pos[v][0] < pos[u][0]


def _curve(pos: dict, u: str, v: str) -> float:
    """Arc of an arrow: back edges bow out, long forward edges bend a little to clear the boxes."""
    if _loops_back(pos, u, v):
        return 0.3
    (x1, y1), (x2, y2) = pos[u], pos[v]
    return 0.12 if abs(x2 - x1) > 1.5 and abs(y2 - y1) < 1.5 else 0.0


#: What each stage is called in the diagram: plain words for the event that marks it.
STAGE_LABELS = {
    "START": "Start", "END": "End", "ReferralReceived": "Referral\n(children)",
    "AssessmentStarted": "Assessment\nstarts", "AssessmentCompleted": "Assessment\ncompleted",
    "CaseLoaded": "Open at the\nrun's start", "UascArrived": "UASC\narrives",
    "CinPlanStarted": "CIN plan\nstarts", "CinPlanEnded": "CIN plan\nends",
    "StrategyDiscussionHeld": "Strategy\ndiscussion", "S47EnquiryCompleted": "s47 enquiry\ncompleted",
    "IcpcHeld": "Initial CP\nconference", "CpPlanStarted": "CP plan\nstarts", "CpReviewHeld": "CP review",
    "CpPlanEnded": "CP plan\nends", "PloStarted": "PLO", "CareProceedingsIssued": "Care\nproceedings",
    "CareEntered": "Enters care", "CareLeft": "Leaves care", "ReturnHomeBrokeDown": "Return home\nbreaks down",
    "CaseClosed": "Case closed", "HubReferred": "Referred\nto a hub", "HubSupportStarted": "Hub support\nstarts",
    "HubSupportEnded": "Hub support\nends",
    "ContactReceived": "Contact\n(families)", "FrontDoorAdvice": "Advice or\nsignposting",
    "EarlyHelp": "Early help", "MashScreeningCompleted": "MASH\nscreening", "MashNfa": "No further\naction",
}


def stage_label(node: str, one_line: bool = False) -> str:
    """The diagram's name for a stage (:data:`STAGE_LABELS`, else the event name split over lines)."""
    label = STAGE_LABELS.get(node) or _short(node)
    return label.replace("\n", " ") if one_line else label


def step_flows(flows: pd.DataFrame) -> dict[tuple[str, str], float]:
    """Mean children per year along each step, keyed by (source, target)."""
    return dict(zip(zip(flows["source"], flows["target"]), flows["per_year"]))


def with_front_door(g: nx.DiGraph, per_year: dict) -> nx.DiGraph:
    """The pathway graph and, when the flows have it, the front door (:data:`FRONT_DOOR_EDGES`)."""
    if not any(source == "ContactReceived" for source, _ in per_year):
        return g
    g = g.copy()
    g.add_edges_from(FRONT_DOOR_EDGES, kind="front_door")
    return g


def drawn_edges(g: nx.DiGraph, per_year: dict) -> list[tuple[str, str]]:
    """The pathway's steps that some child (or family, at the front door) took in the period, between
    stages (self-loops are drawn as a box's repeat count, starts as its yearly count, not as arrows)."""
    return [(u, v) for u, v in with_front_door(g, per_year).edges
            if u != v and u not in _ENDS and v not in _ENDS and per_year.get((u, v), 0.0) > 0]


def untaken_steps(g: nx.DiGraph, flows: pd.DataFrame) -> int:
    """How many of the pathway's steps (self-loops, starts and ends aside) no child took: left out of the diagram."""
    per_year = step_flows(flows)
    steps = [(u, v) for u, v in with_front_door(g, per_year).edges if u != v and u not in _ENDS and v not in _ENDS]
    return len(steps) - len(drawn_edges(g, per_year))


#: Font sizes (points) of the pathway's boxes and of its arrows' flows: with the figure
#: :data:`PATHWAY_SIZE` inches wide (at 100 dpi), at least 11 pixels high when the report shows it 1,050
#: pixels wide (its width in a window 1,280 pixels wide).
PATHWAY_FONT = {"box": 12.5, "flow": 11.5}
PATHWAY_SIZE = (15.0, 9.0)


def pathway_diagram(g: nx.DiGraph, flows: pd.DataFrame) -> Figure:
    """The pathway graph, from a family's contact to the front door to a child's journey's closure, with
    each arrow's width and label giving its mean annual flow.  Steps that no child took in the period,
    and stages only they reach, are left out; a box reached from the journey's start says how many a
    year start there."""
    per_year = step_flows(flows)
    g = with_front_door(g, per_year)
    edges = drawn_edges(g, per_year)
    used = {n for edge in edges for n in edge}
    pos = {n: xy for n, xy in pathway_layout(g).items() if n in used}
    top = max((per_year[e] for e in edges), default=1.0) or 1.0
    fig = new_figure(*PATHWAY_SIZE)
    ax = fig.add_subplot()
    ax.set_axis_off()
    boxes = {}
    for node, (x, y) in pos.items():
        loop, starts = per_year.get((node, node)), per_year.get(("START", node))
        text = (stage_label(node) + (f"\n(repeats {_flow_text(loop)}/yr)" if loop else "")
                + (f"\n({_flow_text(starts)}/yr)" if starts and node != "ReferralReceived" else ""))
        boxes[node] = ax.text(x, y, text, ha="center", va="center", fontsize=PATHWAY_FONT["box"], zorder=5,
                              bbox={"boxstyle": "round,pad=0.25", "facecolor": "#f4f4f4", "edgecolor": "#555555"})
    for u, v in edges:
        flow = per_year[(u, v)]
        rad = _curve(pos, u, v)
        kind = g.edges[u, v].get("kind")
        colour = {"hub": OKABE_ITO["green"], "front_door": OKABE_ITO["purple"]}.get(kind) or (
            OKABE_ITO["orange"] if _loops_back(pos, u, v) else SIMULATED)
        ax.annotate("", xy=pos[v], xytext=pos[u], zorder=3, arrowprops={
            "arrowstyle": "-|>", "mutation_scale": 12, "connectionstyle": f"arc3,rad={rad}",
            "patchA": boxes[u].get_bbox_patch(), "patchB": boxes[v].get_bbox_patch(), "shrinkA": 1, "shrinkB": 1,
            "linewidth": 0.7 + 6 * np.sqrt(flow / top), "alpha": 0.75, "color": colour})
        mx, my = _label_point(pos[u], pos[v], rad)
        if pos[u][1] == pos[v][1] and abs(pos[u][0] - pos[v][0]) < 1.5:  # neighbours: above the arrow, clear of the boxes
            my += 0.3
        ax.text(mx, my, _flow_text(flow), fontsize=PATHWAY_FONT["flow"], ha="center", va="center", zorder=4,
                bbox={"boxstyle": "round,pad=0.1", "facecolor": "white", "edgecolor": "none", "alpha": 0.85})
    xs, ys = zip(*pos.values()) if pos else ((0.0,), (0.0,))
    ax.set_xlim(min(xs) - 0.5, max(xs) + 0.5)
    ax.set_ylim(min(ys) - 0.45, max(ys) + 0.45)
    return fig


def _flow_text(flow: float) -> str:
    return f"{flow:,.0f}" if flow >= 10 or flow == 0 else f"{flow:.1f}"


def _label_point(a, b, rad: float) -> tuple[float, float]:
    """Where an arc3 arrow from ``a`` to ``b`` carries its label: halfway along, or a third of
    the way for a straight arrow that crosses three or more rows (its middle falls among other
    stages)."""
    (x1, y1), (x2, y2) = a, b
    dx, dy = x2 - x1, y2 - y1
    cx, cy = (x1 + x2) / 2 + rad * dy, (y1 + y2) / 2 - rad * dx  # the quadratic Bezier's control point
    t = 1 / 3 if abs(dy) >= 3 and rad == 0 else 0.5
    s = 1 - t
    return s * s * x1 + 2 * s * t * cx + t * t * x2, s * s * y1 + 2 * s * t * cy + t * t * y2


def _short(node: str) -> str:
    """CamelCase event names split over lines for the diagram's boxes."""
    words, word = [], ""
    for ch in node:
        if ch.isupper() and word and not word[-1].isupper():
            words.append(word)
            word = ""
        word += ch
    words.append(word)
    lines, line = [], ""
    for w in words:
        if line and len(line) + len(w) > 11:
            lines.append(line)
            line = ""
        line += w
    return "\n".join([*lines, line])


def caseload_chart(data: pd.DataFrame, kinds: list[str]) -> Figure:
    """Median caseload and the 10-90% range across workers, one panel per kind of team."""
    fig = new_figure(10, 2.6 * ((len(kinds) + 1) // 2))
    axes = fig.subplots((len(kinds) + 1) // 2, 2, sharex=True, sharey=True, squeeze=False).ravel()
    for ax, kind, colour in zip(axes, kinds, SERIES):
        rows = data[data["kind"] == kind]
        ax.fill_between(rows["date"], rows["p10"], rows["p90"], color=colour, alpha=0.25, linewidth=0,
                        label="10-90% of workers")
        ax.plot(rows["date"], rows["median"], color=colour, linewidth=2, label="median")
        ax.set_title(f"{kind} teams")
        ax.set_ylabel("children per worker")
        _style(ax)
        ax.legend(fontsize=7, frameon=False, loc="upper left")
    for ax in axes[len(kinds):]:
        ax.set_axis_off()
    return fig


def intake_heatmap(data: pd.DataFrame, district: str) -> Figure:
    """Referrals received by each team of ``district`` in each week (a number in every cell)."""
    grid = data.pivot(index="team", columns="week", values="referrals")
    fig = new_figure(10, 0.5 + 0.55 * len(grid))
    ax = fig.add_subplot()
    ax.imshow(grid.to_numpy(), aspect="auto", cmap="Blues", vmin=0)
    top = grid.to_numpy().max() or 1
    for (i, j), v in np.ndenumerate(grid.to_numpy()):
        ax.text(j, i, f"{v:.0f}", ha="center", va="center", fontsize=9, color="white" if v > top / 2 else "black")
    ax.set_yticks(range(len(grid)), grid.index)
    ax.set_xticks(range(grid.shape[1]), [pd.Timestamp(w).strftime("%d %b\n%Y") for w in grid.columns], fontsize=7)
    ax.set_title(f"New referrals by team and week, district {district}")
    return fig


def waits_chart(allocation: pd.DataFrame, hub: pd.DataFrame) -> Figure:
    """Mean, median and 90th percentile waits by year: allocation (left), hub place (right)."""
    fig = new_figure(10, 3.2)
    axes = fig.subplots(1, 2)
    for ax, data, title in ((axes[0], allocation, "Referral to allocated worker"), (axes[1], hub, "Hub referral to support")):
        x = np.arange(len(data))
        for i, (col, name) in enumerate((("mean", "mean"), ("median", "median"), ("p90", "90th percentile"))):
            ax.bar(x + (i - 1) * 0.27, data[col].fillna(0), width=0.27, color=SERIES[i], label=name)
        ax.set_xticks(x, data["year"], fontsize=8)
        ax.set_title(title)
        ax.set_ylabel("days")
        _style(ax)
        ax.legend(fontsize=7, frameon=False)
    return fig


def workers_chart(data: pd.DataFrame) -> Figure:
    """Share of journeys by number of social workers: observed and simulated windows side by side."""
    windows = list(dict.fromkeys(data["window"]))
    fig = new_figure(8, 3.4)
    ax = fig.add_subplot()
    width = 0.8 / len(windows)
    colours = {w: (OBSERVED if w == "observed" else SERIES[i % len(SERIES)]) for i, w in enumerate(windows)}
    for i, window in enumerate(windows):
        rows = data[data["window"] == window]
        x = np.arange(len(rows)) + (i - (len(windows) - 1) / 2) * width
        err = None
        if rows["low"].notna().any():
            err = [rows["mean"] - rows["low"], rows["high"] - rows["mean"]]
        label = "observed (000 Table 9, baseline)" if window == "observed" else window
        ax.bar(x, rows["mean"], width=width, color=colours[window], label=label, yerr=err,
               error_kw={"elinewidth": 0.8, "capsize": 2},
               hatch="//" if window == "observed" else None, edgecolor="black", linewidth=0.4)
    bands = list(dict.fromkeys(data["band"]))
    ax.set_xticks(range(len(bands)), bands)
    ax.set_xlabel("social workers in the journey")
    ax.set_ylabel("% of closed journeys with a plan")
    _style(ax)
    ax.legend(fontsize=8, frameon=False)
    return fig


def handoffs_chart(data: pd.DataFrame) -> Figure:
    """Mean changes of worker a year, stacked by reason."""
    years = list(dict.fromkeys(data["year"]))
    grid = data.pivot(index="year", columns="reason", values="mean").reindex(years)
    grid = grid[list(dict.fromkeys(data["reason"]))]
    fig = new_figure(8, 3.4)
    ax = fig.add_subplot()
    bottom = np.zeros(len(grid))
    for i, reason in enumerate(grid.columns):
        values = grid[reason].fillna(0).to_numpy()
        ax.bar(grid.index, values, bottom=bottom, color=SERIES[i % len(SERIES)], label=reason,
               edgecolor="white", linewidth=0.4)
        bottom += values
    ax.set_ylabel("changes of worker a year")
    _style(ax)
    ax.legend(fontsize=7, frameon=False, bbox_to_anchor=(1.01, 1), loc="upper left")
    return fig


#: One colour per cost component, none shared: matplotlib's "tab20" qualitative palette (twenty
#: colours in ten hues, dark and light), a hue to each group of components (staff, the hubs,
#: other support, placements), in :data:`journeysim.costs.COMPONENTS` order.
COST_COLOURS = dict(zip(
    ["social_workers", "agency_premium", "team_managers", "pas", "hub_family_workers", "hub_specialists",
     "fit_specialists", "early_help_workers", "edge_of_care", "placements_foster", "placements_kinship",
     "placements_residential", "placements_independent", "placements_adoption"],
    ["#1f77b4", "#aec7e8", "#ff7f0e", "#ffbb78", "#2ca02c", "#98df8a", "#d62728", "#ff9896", "#9467bd",
     "#8c564b", "#c49c94", "#e377c2", "#f7b6d2", "#7f7f7f"]))
#: Colours for components the palette does not name (tab20's last ones).
_MORE_COLOURS = ["#c5b0d5", "#c7c7c7", "#bcbd22", "#dbdb8d", "#17becf", "#9edae5"]


def cost_colours(components: list[str]) -> dict[str, str]:
    """The colour of each component: :data:`COST_COLOURS`, then unused colours for any other."""
    spare = iter(c for c in _MORE_COLOURS if c not in COST_COLOURS.values())
    return {c: COST_COLOURS.get(c) or next(spare) for c in components}


def costs_chart(data: pd.DataFrame) -> Figure:
    """Mean cost by year, stacked by component in a fixed order (:func:`journeysim.report.data.cost_table`),
    each in its own colour, with the 5-95% range of the total over replications on each bar."""
    years = list(dict.fromkeys(data["year"]))
    parts = data[data["component"] != "total"]
    grid = parts.pivot(index="year", columns="component", values="mean").reindex(years)
    components = list(dict.fromkeys(parts["component"]))
    names = dict(zip(parts["component"], parts["name"]))
    colours = cost_colours(components)
    fig = new_figure(9, 4.2)
    ax = fig.add_subplot()
    bottom = np.zeros(len(grid))
    for component in components:
        values = grid[component].fillna(0).to_numpy() / 1e6
        ax.bar(grid.index, values, bottom=bottom, color=colours[component], label=names[component],
               edgecolor="white", linewidth=0.4)
        bottom += values
    total = data[data["component"] == "total"].set_index("year").reindex(years)
    if len(total) and (total["p95"] > total["p5"]).any():
        ax.errorbar(grid.index, total["mean"] / 1e6, yerr=[(total["mean"] - total["p5"]) / 1e6,
                                                           (total["p95"] - total["mean"]) / 1e6],
                    fmt="none", ecolor=OKABE_ITO["black"], elinewidth=1.2, capsize=4,
                    label="total: 5-95% of replications")
    ax.set_ylabel("£ million")
    ax.tick_params(axis="x", labelsize=8)
    _style(ax)
    handles, labels = ax.get_legend_handles_labels()
    ax.legend(handles[::-1], labels[::-1], fontsize=8, frameon=False, bbox_to_anchor=(1.01, 1), loc="upper left")
    return fig
