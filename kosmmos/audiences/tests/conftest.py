"""The fake cabinet in-process: the ads tests' fixture (the sandbox's bridge)."""

from kosmmos.ads.tests.conftest import fake

__all__ = ["fake"]
