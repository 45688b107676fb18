"""Year-to-year variation: the draws, their use in the model, and how calibration sizes them."""

from __future__ import annotations

import datetime as dt
import math
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from journeysim import calibrate as cal
from journeysim.calendar import Calendar, fy_of
from journeysim.events import Event
from journeysim.model.years import CHANNELS, YearEffects, odds_shift

from conftest import log_frame, small


def _effects(seed: int, start=dt.date(2012, 4, 1), end=dt.date(2020, 4, 1), jump_off_year: int = 0,
             **sds) -> YearEffects:
    variation = SimpleNamespace(walk_start=None, jump_off_year=jump_off_year,
                                court_pace_jump_off=sds.get("court_pace_jump_off", 1.0),
                                **{f"{c}_sd": sds.get(f"{c}_sd", 0.0) for c in CHANNELS},
                                **{f"{c}_jump_off": sds.get(f"{c}_jump_off", 1.0) for c in CHANNELS})
    return YearEffects(SimpleNamespace(cal=Calendar(start, end), params=SimpleNamespace(years=variation)), seed)


def test_no_variation_draws_nothing_and_changes_nothing():
    e = _effects(3)
    assert e.by_year() == {}
    assert e.factor("front_door", 100.0) == 1.0
    p = 0.1 + 0.2  # a probability whose odds round-trip would not be exact
    assert e.prob("care_entry", p, 100.0) is p
    with pytest.raises(KeyError):  # a misspelt channel is an error, not a silent 1.0
        e.factor("frontdoor", 100.0)


def test_odds_shift_on_known_numbers():
    assert odds_shift(0.2, 2.0) == pytest.approx(1 / 3)
    assert odds_shift(0.5, 3.0) == pytest.approx(0.75)
    assert odds_shift(0.3, 1.0) == pytest.approx(0.3)


def test_a_year_has_the_same_shift_whatever_the_run_start_and_end():
    long = _effects(11, dt.date(2012, 4, 1), dt.date(2020, 4, 1), front_door_sd=0.2, returns_sd=0.3)
    short = _effects(11, dt.date(2015, 6, 1), dt.date(2017, 4, 1), front_door_sd=0.2, returns_sd=0.3)
    day_long = Calendar(dt.date(2012, 4, 1), dt.date(2020, 4, 1)).day(dt.date(2016, 1, 15))
    day_short = Calendar(dt.date(2015, 6, 1), dt.date(2017, 4, 1)).day(dt.date(2016, 1, 15))
    for channel in ("front_door", "returns"):
        assert long.factor(channel, day_long) == short.factor(channel, day_short) != 1.0
    # the year changes on 1 April, not before
    cal = Calendar(dt.date(2012, 4, 1), dt.date(2020, 4, 1))
    march, april = cal.day(dt.date(2016, 3, 31)), cal.day(dt.date(2016, 4, 1))
    assert long.factor("front_door", march) == long.factor("front_door", day_long)
    assert long.factor("front_door", april) != long.factor("front_door", march)
    assert len(long.by_year()["front_door"]) == 8 and "care_entry" not in long.by_year()


def test_front_door_multipliers_have_mean_one_and_the_log_sd_asked_for():
    sd = 0.15
    f = np.array([_effects(seed, front_door_sd=sd).by_year()["front_door"] for seed in range(600)]).ravel()  # 4,800
    assert abs(f.mean() - 1.0) < 3 * sd / math.sqrt(f.size)
    assert np.log(f).std() == pytest.approx(sd, rel=0.05)
    odds = np.array([_effects(seed, care_entry_sd=sd).by_year()["care_entry"] for seed in range(600)]).ravel()
    assert abs(odds.mean() - 1.0) < 3 * sd / math.sqrt(odds.size)  # odds multipliers have mean 1 too
    assert not np.array_equal(odds, f)  # each channel has its own draws


def test_the_front_door_shift_scales_each_year_of_contacts():
    """Contacts from new families in each whole financial year, against the same run with no
    variation, move by that year's factor (within Poisson noise)."""
    sets = ["run.start=2014-04-01", "run.end=2019-04-01", "variation.jump_off_year=0",  # every year drawn
            *(f"variation.{c}_sd=0" for c in CHANNELS)]
    quiet, varied = small("hampshire.toml", *sets), small("hampshire.toml", *sets, "variation.front_door_sd=0.3")
    seed = 4

    def per_year(sc):
        log = log_frame(sc, seed)
        c = log[(log["event"] == Event.CONTACT_RECEIVED.value) & (log["reason"] == "new_family")]
        return c.groupby(pd.to_datetime(c["date"]).dt.date.map(fy_of)).size()

    a, b = per_year(quiet), per_year(varied)
    start = varied["run.start"] - dt.timedelta(days=varied["run.warmup_days"])
    effects = _effects(seed, start, varied["run.end"], front_door_sd=0.3)  # the run's own draws
    cal_ = Calendar(start, varied["run.end"])
    drawn = np.log([effects.factor("front_door", cal_.day(dt.date(y, 10, 1))) for y in a.index])
    assert len(a) >= 5 and drawn.max() - drawn.min() > 0.25  # the years differ, so there is something to find
    assert np.abs(np.log(b / a).to_numpy() - drawn).max() < 0.08


# ----------------------------------------------------------------------------- sizing in calibration
def _series(measure, values, years=("2014-15", "2015-16", "2016-17", "2017-18", "2018-19")):
    return pd.DataFrame({"model_measure": measure, "year": list(years), "value": values})


def test_observed_spread_is_the_residual_sd_about_a_straight_line():
    years = np.arange(5)
    line = np.exp(7 + 0.05 * years)
    assert cal.observed_spread(_series("cla_starts", line), "cla_starts") == pytest.approx(0.0, abs=1e-12)
    bumps = np.array([0.1, -0.1, 0.0, 0.1, -0.1])
    bumps = bumps - np.polyval(np.polyfit(years, bumps, 1), years)  # no straight-line part: the fit leaves them all
    expected = math.sqrt(np.sum(bumps ** 2) / 3)
    assert cal.observed_spread(_series("cla_starts", line * np.exp(bumps)), "cla_starts") == pytest.approx(expected)
    p = 1 / (1 + np.exp(-(-1 + bumps)))  # a percentage on the logit scale
    assert cal.observed_spread(_series("re_referral_12m_pct", 100 * p), "re_referral_12m_pct") == pytest.approx(expected)


YEARS = ["2014-15", "2015-16", "2016-17", "2017-18", "2018-19"]


def _exact_spread(s: float, rng) -> np.ndarray:
    """Five residuals with no straight-line part and residual sd exactly ``s`` (n - 2 dof)."""
    x = np.arange(5.0)
    e = rng.standard_normal(5)
    e = e - np.polyval(np.polyfit(x, e, 1), x)
    return e * s / math.sqrt(np.sum(e ** 2) / 3)


def _reps(spread: dict[str, float], n: int = 6, seed: int = 0) -> pd.DataFrame:
    """Replications in which each series moves about its own line by exactly ``spread`` (log or logit scale)."""
    rng = np.random.default_rng(seed)
    out = []
    for m, s in spread.items():
        for rep in range(n):
            z = 0.1 * rep + 0.02 * np.arange(5) + _exact_spread(s, rng)  # each replication its own level
            v = 100 / (1 + np.exp(-(-1 + z))) if m.endswith("_pct") else 600 * np.exp(z)
            out.append(pd.DataFrame({"rep": rep, "measure": m, "year": YEARS, "value": v}))
    return pd.concat(out, ignore_index=True)


def test_simulated_spread_takes_out_each_replications_level_and_trend():
    frame = _reps({"cla_starts": 0.05, "re_referral_12m_pct": 0.08})
    assert cal.simulated_spread(frame, "cla_starts", YEARS) == pytest.approx(0.05)
    assert cal.simulated_spread(frame, "re_referral_12m_pct", YEARS) == pytest.approx(0.08)


SERIES = ["cin_at_31_march", "cla_starts", "re_referral_12m_pct", "cp_second_or_subsequent_pct"]


def _published(spread: dict[str, float], rng) -> pd.DataFrame:
    """Published series that each move about a straight line by exactly ``spread`` (log or logit scale)."""
    return pd.concat([_series(m, (100 / (1 + np.exp(1 - _exact_spread(s, rng))) if m.endswith("_pct")
                                  else 8000 * np.exp(_exact_spread(s, rng))))
                      for m, s in spread.items()])


def test_variation_sizes_solve_for_the_variance_the_simulator_lacks():
    rng = np.random.default_rng(5)
    observed = {"cin_at_31_march": 0.05, "cla_starts": 0.09, "re_referral_12m_pct": 0.02, "cp_second_or_subsequent_pct": 0.15}
    rows = _published(observed, rng)
    base = {"cin_at_31_march": 0.02, "cla_starts": 0.06, "re_referral_12m_pct": 0.03, "cp_second_or_subsequent_pct": 0.07}
    # variance each channel adds to each series at its trial size: the front door moves CLA starts too
    added = {"front_door": {"cin_at_31_march": 0.03 ** 2, "cla_starts": 0.02 ** 2},
             "care_entry": {"cla_starts": 0.05 ** 2},
             "returns": {"re_referral_12m_pct": 0.04 ** 2},
             "repeat_cp": {"cp_second_or_subsequent_pct": 0.06 ** 2}}
    without = _reps(base)
    trials = {c: _reps({m: math.sqrt(base[m] ** 2 + added[c].get(m, 0.0)) for m in SERIES}) for c in added}
    est = cal.estimate_variation(rows, without, trials)
    t = cal.VARIATION_TRIAL
    need = {m: observed[m] ** 2 - base[m] ** 2 for m in SERIES}
    front = need["cin_at_31_march"] / added["front_door"]["cin_at_31_march"]  # sd^2 / trial^2
    care = (need["cla_starts"] - front * added["front_door"]["cla_starts"]) / added["care_entry"]["cla_starts"]
    repeat = need["cp_second_or_subsequent_pct"] / added["repeat_cp"]["cp_second_or_subsequent_pct"]
    assert est["front_door"].sd == pytest.approx(t["front_door"] * math.sqrt(front), rel=2e-3)
    assert est["care_entry"].sd == pytest.approx(t["care_entry"] * math.sqrt(care), rel=2e-3)  # less the front door's share
    assert est["returns"].sd == 0.0  # re-referrals move less than the simulator's own noise
    assert est["repeat_cp"].sd == pytest.approx(t["repeat_cp"] * math.sqrt(repeat), rel=2e-3)
    v = est["care_entry"]
    assert (v.measure, v.observed, v.without) == ("cla_starts", pytest.approx(0.09), pytest.approx(0.06))
    assert v.trial == pytest.approx(math.hypot(0.06, 0.05))


def test_nonnegative_solve_on_known_systems():
    a = np.array([[2.0, 0.0], [1.0, 1.0]])
    assert cal._nonnegative_solve(a, np.array([4.0, 3.0])) == pytest.approx([2.0, 1.0])
    # the unconstrained answer would need x2 = -1: held at 0, x1 fits as well as it can
    assert cal._nonnegative_solve(a, np.array([4.0, 1.0])) == pytest.approx([1.8, 0.0])
    assert cal._nonnegative_solve(a, np.array([-1.0, -1.0])) == pytest.approx([0.0, 0.0])


def test_variation_sizes_weigh_each_series_against_its_own_spread():
    # children in need move little (0.048 on the log scale) and only the front door moves them; the front
    # door also moves CLA starts, which the simulator alone nearly fills (0.091 of 0.097): no set of sizes
    # matches both, and the miss of each series counts against its own published variance
    rng = np.random.default_rng(7)
    observed = {"cin_at_31_march": 0.048, "cla_starts": 0.097, "re_referral_12m_pct": 0.02, "cp_second_or_subsequent_pct": 0.05}
    rows = _published(observed, rng)
    base = {"cin_at_31_march": 0.014, "cla_starts": 0.091, "re_referral_12m_pct": 0.03, "cp_second_or_subsequent_pct": 0.07}
    added = {"front_door": {"cin_at_31_march": 0.029 ** 2 - 0.014 ** 2, "cla_starts": 0.0015},
             "care_entry": {"cla_starts": 0.113 ** 2 - 0.091 ** 2},
             "returns": {"re_referral_12m_pct": 0.04 ** 2},
             "repeat_cp": {"cp_second_or_subsequent_pct": 0.06 ** 2}}
    without = _reps(base)
    trials = {c: _reps({m: math.sqrt(base[m] ** 2 + added[c].get(m, 0.0)) for m in SERIES}) for c in added}
    est = cal.estimate_variation(rows, without, trials)
    t = cal.VARIATION_TRIAL["front_door"]
    # the front door alone, by weighted least squares over its two rows (care entry would only add to the
    # overshoot of CLA starts): x = sum(w a n) / sum(w a^2), w = 1 / observed^2, x = sd^2 / trial^2
    a1, n1, w1 = added["front_door"]["cin_at_31_march"], 0.048 ** 2 - 0.014 ** 2, 1 / 0.048 ** 2
    a2, n2, w2 = added["front_door"]["cla_starts"], 0.097 ** 2 - 0.091 ** 2, 1 / 0.097 ** 2
    x = (w1 * w1 * a1 * n1 + w2 * w2 * a2 * n2) / (w1 * w1 * a1 * a1 + w2 * w2 * a2 * a2)
    assert est["front_door"].sd == pytest.approx(t * math.sqrt(x), rel=3e-3)
    assert est["care_entry"].sd == 0.0 and est["returns"].sd == 0.0 and est["repeat_cp"].sd == 0.0
    # children in need then move at 0.044 of their 0.048 (and CLA starts at 0.111 of their 0.097); weighed
    # absolutely, CLA starts' larger variance would have held the front door to 0.053 and children in need to 0.031
    assert math.sqrt(0.014 ** 2 + x * a1) == pytest.approx(0.0437, abs=5e-4)


# ----------------------------------------------------------------------------- the jump-off
def test_the_jump_off_year_takes_its_realised_shifts_and_every_other_year_its_draws():
    drawn = _effects(5, front_door_sd=0.2, repeat_cp_sd=0.5)
    seen = _effects(5, jump_off_year=2018, front_door_sd=0.2, repeat_cp_sd=0.5, front_door_jump_off=1.07,
                    care_entry_jump_off=0.9)
    years = Calendar(dt.date(2012, 4, 1), dt.date(2020, 4, 1)).financial_years()
    i = years.index(2018)
    for channel, realised in (("front_door", 1.07), ("repeat_cp", 1.0), ("care_entry", 0.9)):
        before, after = drawn.by_year().get(channel, (1.0,) * len(years)), seen.by_year()[channel]
        assert after[i] == realised  # not a draw, and not a draw times it
        assert after[:i] + after[i + 1:] == before[:i] + before[i + 1:]  # the other years as drawn
    assert "returns" not in seen.by_year()  # off, and realised at 1: nothing to do
    # a jump-off outside the run, or none, changes nothing
    assert _effects(5, jump_off_year=2030, front_door_sd=0.2).by_year() == _effects(5, front_door_sd=0.2).by_year()


def test_the_courts_pace_runs_a_wait_faster_only_inside_the_jump_off_year():
    cal_ = Calendar(dt.date(2012, 4, 1), dt.date(2020, 4, 1))
    start, end = cal_.day(dt.date(2018, 4, 1)), cal_.day(dt.date(2019, 4, 1))
    year = end - start  # 365 days
    e = _effects(1, jump_off_year=2018, court_pace_jump_off=1.25)
    assert e.court_wait(start - 400, 300) == 300  # over before the year
    assert e.court_wait(end + 10, 300) == 300  # starts after it
    assert e.court_wait(start - 100, 200) == pytest.approx(100 + 100 / 1.25)  # ends inside it: 100 days at 1.25
    assert e.court_wait(start + 20, 100) == pytest.approx(80)
    # through the whole year: the year takes 1.25 x 365 days of waiting in 365
    assert e.court_wait(start - 50, 50 + 1.25 * year + 30) == pytest.approx(50 + year + 30)
    assert e.court_wait(start, math.inf) == math.inf
    slow = _effects(1, jump_off_year=2018, court_pace_jump_off=0.5)
    assert slow.court_wait(start + 200, 100) == pytest.approx((year - 200) + (100 - 0.5 * (year - 200)))
    assert _effects(1, jump_off_year=2018).court_wait(start, 123.4) == 123.4  # a pace of 1: the wait itself


def test_the_courts_pace_moves_the_years_permanence_orders():
    """With the court twice as fast in 2018-19, that year's adoption and special guardianship orders
    rise (common random numbers: the same children), and the next year's fall: they were made early."""
    sets = ["run.start=2016-04-01", "run.end=2020-04-01", "variation.jump_off_year=2018"]

    def orders(pace):
        out = []
        for seed in (1, 2):
            log = log_frame(small("hampshire.toml", *sets, f"variation.court_pace_jump_off={pace}"), seed)
            left = log[(log["event"] == Event.CARE_LEFT.value) & log["reason"].isin(["adoption", "sgo"])]
            out.append(left.groupby(pd.to_datetime(left["date"]).dt.date.map(fy_of)).size())
        return sum(out)

    usual, fast = orders(1.0), orders(2.0)
    assert fast[2018] > 1.4 * usual[2018]
    assert fast[2019] < usual[2019]  # the orders made early are not made again


def _jump_off_runs(log_factors: dict[str, float], jac: np.ndarray, level: dict[str, float], year="2018-19"):
    """Replications of a linear stand-in for the simulator: each series' transformed level is
    ``level`` plus ``jac`` times the log factors (in :data:`calibrate.JUMP_OFF_SERIES` order)."""
    channels = list(cal.JUMP_OFF_SERIES)
    x = np.array([log_factors.get(c, 0.0) for c in channels])
    rows = []
    for i, c in enumerate(channels):
        m = cal.JUMP_OFF_SERIES[c]
        z = level[m] + jac[i] @ x
        value = 100 / (1 + math.exp(-z)) if m.endswith("_pct") else math.exp(z)
        rows += [{"rep": r, "measure": m, "year": year, "value": value} for r in range(3)]
    return pd.DataFrame(rows)


def test_jump_off_factors_solve_for_the_realised_shifts_with_the_channels_cross_effects():
    channels = list(cal.JUMP_OFF_SERIES)
    jac = np.array([[0.9, 0.0, 0.25, 0.0, 0.0],   # referrals: the front door, and returns
                    [0.3, 0.7, 0.0, 0.0, 0.0],    # CLA starts: care entry, and the front door
                    [-0.4, 0.0, 0.8, 0.0, 0.0],   # re-referral share: returns, diluted by the front door
                    [-0.2, 0.0, 0.0, 0.6, 0.0],   # second CP plans: repeat CP, diluted by the front door
                    [0.0, 0.0, 0.0, 0.0, 1.0]])   # adoptions: the court's pace
    level = {"referrals": math.log(18_000), "cla_starts": math.log(640), "re_referral_12m_pct": cal.logit_pct(30.0),
             "cp_second_or_subsequent_pct": cal.logit_pct(20.0), "cla_ceased_adoption": math.log(63)}
    truth = {"front_door": 1.03, "care_entry": 0.95, "returns": 0.9, "repeat_cp": 1.2, "court_pace": 1.1}
    published = _jump_off_runs({c: math.log(v) for c, v in truth.items()}, jac, level)
    rows = published.drop_duplicates("measure").rename(columns={"measure": "model_measure"})
    base = _jump_off_runs({}, jac, level)
    trials = {c: _jump_off_runs({c: math.log(cal.JUMP_OFF_TRIAL[c])}, jac, level) for c in channels}
    got = cal.jump_off_factors(rows, "2018-19", base, base, trials)
    assert got == pytest.approx(truth, rel=1e-3)
    # a second step from replications run at the first step's factors stays there; from elsewhere it gets there
    assert cal.jump_off_factors(rows, "2018-19", published, base, trials, got) == pytest.approx(truth, rel=1e-3)
    part = {"front_door": 1.01, "court_pace": 1.2}
    at_part = _jump_off_runs({c: math.log(v) for c, v in part.items()}, jac, level)
    assert cal.jump_off_factors(rows, "2018-19", at_part, base, trials, part) == pytest.approx(truth, rel=1e-3)
    # reading the diagonal alone would miss: the front door's dilution of the share of re-referrals is real
    share = rows.set_index("model_measure").loc["re_referral_12m_pct", "value"]
    diagonal = math.exp((cal.logit_pct(share) - level["re_referral_12m_pct"]) / jac[2, 2])
    assert abs(diagonal - truth["returns"]) > 0.01
    # a series not published that year keeps its factor at 1, and so does a channel that cannot move its series
    got = cal.jump_off_factors(rows[rows["model_measure"] != "cla_ceased_adoption"], "2018-19", base, base, trials)
    assert "court_pace" not in got and got["front_door"] == pytest.approx(1.03, rel=1e-3)
    flat = dict(trials, court_pace=base)
    assert "court_pace" not in cal.jump_off_factors(rows, "2018-19", base, base, flat)
    # a factor stays within its key's range
    far = rows.assign(value=np.where(rows["model_measure"] == "cla_ceased_adoption", 63 * 40, rows["value"]))
    assert cal.jump_off_factors(far, "2018-19", base, base, trials)["court_pace"] == 5.0
