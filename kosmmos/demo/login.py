"""The demo login, importable without Django set up (benchmarks, browser tests)."""

DEMO_EMAIL = "demo@kosmmos.local"
# A known password is the point of a demo login; the README says to change it on a real install.
DEMO_PASSWORD = "kosmmos-demo"  # noqa: S105
