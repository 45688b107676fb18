"""Early help: family support short of social care, part of the old offer under both operating models.

A family reaches early help by two routes: the MASH decides a contact needs early help rather
than a referral (the front-door route), or a case closes stepping down to early help (after an
assessment, or at the end of a plan).  Each district has ``early_help.workers`` family support
workers, each supporting ``early_help.families_per_worker`` families at a time for
``early_help.duration``; a family that finds no place gets none.  A family that had early help
when its case closed comes back to the front door less often (``early_help.return_odds``:
:mod:`journeysim.model.closure`).  Families screened out at the MASH are not followed further
in the model (their later contacts are among the contacts from new families), so the front-door
route uses places and has no outcome of its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..events import Event
from ..scenario import section_type

if TYPE_CHECKING:  # pragma: no cover
    from .entities import Family
    from .world import World

#: The scenario keys this part reads (the meaning and source of each: ``journeysim describe``).
Params = section_type("early_help")


class EarlyHelp:
    def __init__(self, w: "World") -> None:
        self.w = w
        self.p = p = w.params.early_help
        self.rs = w.streams["early_help"]
        self.places = max(1, round(p.workers * p.families_per_worker * w.team_scale)) if p.workers else 0
        self.busy = [0] * w.districts

    def offer(self, fam: "Family", route: str) -> bool:
        """Early help for ``fam`` (``route``: front_door or step_down) if its district has a place;
        whether it got one."""
        d = fam.district
        if self.busy[d] >= self.places:
            return False
        w = self.w
        self.busy[d] += 1
        w.event(Event.EARLY_HELP_STARTED, family_id=fam.id, team=f"EH-D{d + 1}", reason=route,
                count=len(fam.children))
        w.at(self.p.duration.sample(self.rs), self._end, fam.id, d)
        return True

    def _end(self, family_id: int, d: int) -> None:
        self.busy[d] -= 1
        self.w.event(Event.EARLY_HELP_ENDED, family_id=family_id, team=f"EH-D{d + 1}")
