from kosmmos.connectors.testing import fake_clock  # noqa: F401
