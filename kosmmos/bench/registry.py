"""Benchmarks run by ``kosmmos bench <name> --json``: name → "module:function(argv) -> dict"."""

BENCHES = {
    "boot": "kosmmos.bench.boot:run",
    "dashboard": "kosmmos.bench.dashboard:run",
    "inbox": "kosmmos.bench.inbox:run",
    "proposal": "kosmmos.bench.proposal:run",
    "publish": "kosmmos.bench.publish:run",
    "redirect": "kosmmos.bench.redirect:run",
    "sentiment": "kosmmos.bench.sentiment:run",
}
