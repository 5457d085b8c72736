"""Benchmarks run by ``kosmmos bench <name> --json``: name → "module:function(argv) -> dict"."""

BENCHES = {
    "boot": "kosmmos.bench.boot:run",
    "proposal": "kosmmos.bench.proposal:run",
    "sentiment": "kosmmos.bench.sentiment:run",
}
