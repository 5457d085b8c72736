"""Benchmarks run by ``kosmmos bench <name> --json``, kept out of the shipped ``kosmmos`` package.

The CLI finds this folder next to ``kosmmos/`` in a checkout (``make install`` installs Kosmmos
editable) and imports it lazily. Each bench is ``<module>.run(argv) -> dict``.
"""

from __future__ import annotations

# name → "module:function(argv) -> dict"
BENCHES = {
    "ads": "benches.ads:run",
    "backup": "benches.backup:run",
    "boot": "benches.boot:run",
    "competitors": "benches.competitors:run",
    "dashboard": "benches.dashboard:run",
    "fuzz": "benches.fuzz:run",
    "giveaway": "benches.giveaway:run",
    "inbox": "benches.inbox:run",
    "mutants": "benches.mutants:run",
    "ord": "benches.ord:run",
    "notify": "benches.notify:run",
    "pages": "benches.pages:run",
    "proposal": "benches.proposal:run",
    "publish": "benches.publish:run",
    "redirect": "benches.redirect:run",
    "reports": "benches.reports:run",
    "results": "benches.results:run",
    "sentiment": "benches.sentiment:run",
}
