from kosmmos.connectors.testing import english, fake_clock  # noqa: F401
