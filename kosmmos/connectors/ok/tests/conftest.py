from kosmmos.connectors.testing import english, fake_clock, spec_checked  # noqa: F401
