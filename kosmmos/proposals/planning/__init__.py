"""The commercial-proposal planner: a brief in, a media plan out. No database, no clock.

Error codes (``PlanError.code``): ``bad_period``, ``bad_budget``, ``no_networks``,
``unknown_network``, ``unknown_goal``, ``unknown_product_type``, ``unknown_niche``,
``bad_start_month``,
``flagged_not_requested``, ``no_benchmarks``, ``unknown_activity``, ``activity_unavailable``,
``budget_too_small`` (params ``minimum``, ``per_network``), ``bad_override``, ``bad_benchmarks``.
"""

from kosmmos.proposals.planning.benchmarks import (
    BenchmarkRow,
    Benchmarks,
    FormatCost,
    FunnelRates,
    GeoFactors,
    NetworkProfile,
    Ramp,
    load_default_benchmarks,
)
from kosmmos.proposals.planning.engine import plan
from kosmmos.proposals.planning.errors import PlanError
from kosmmos.proposals.planning.model import (
    Activity,
    ActivityPlan,
    BriefInput,
    ContentFormat,
    ContentLine,
    Figures,
    FunnelLevel,
    FunnelStage,
    Geography,
    KpiMetric,
    KpiTarget,
    MediaPlan,
    MonthForecast,
    NetworkMonth,
    NetworkRecommendation,
    Note,
    Overrides,
    ResultTiming,
)

__all__ = [
    "Activity",
    "ActivityPlan",
    "BenchmarkRow",
    "Benchmarks",
    "BriefInput",
    "ContentFormat",
    "ContentLine",
    "Figures",
    "FormatCost",
    "FunnelLevel",
    "FunnelRates",
    "FunnelStage",
    "GeoFactors",
    "Geography",
    "KpiMetric",
    "KpiTarget",
    "MediaPlan",
    "MonthForecast",
    "NetworkMonth",
    "NetworkProfile",
    "NetworkRecommendation",
    "Note",
    "Overrides",
    "PlanError",
    "Ramp",
    "ResultTiming",
    "load_default_benchmarks",
    "plan",
]
