"""The commercial-proposal planner's public API; the code lives in ``kosmmos.briefs.planning``.

from kosmmos.briefs.planner import BriefInput, load_default_benchmarks, plan
media_plan = plan(brief, load_default_benchmarks())
stored = media_plan.to_dict()          # JSON-ready, for a JSONField
same = MediaPlan.from_dict(stored)     # == media_plan
"""

from kosmmos.briefs.planning import *  # noqa: F403 -- re-export the package's __all__
from kosmmos.briefs.planning import __all__  # noqa: F401
