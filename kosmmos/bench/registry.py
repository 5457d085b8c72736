"""Benchmarks run by ``kosmmos bench <name> --json``: name → "module:function(argv) -> dict"."""

BENCHES = {
    "boot": "kosmmos.bench.boot:run",
    "sentiment": "kosmmos.bench.sentiment:run",
}
