"""Public identifiers: random, URL-safe, never sequential."""

from __future__ import annotations

import secrets

# No look-alike characters, so a code read aloud or typed from a screenshot survives.
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def short_code(length: int = 10) -> str:
    """A random code such as ``k7m2xq9tpa`` (31**10 ≈ 8e14 values)."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def token(nbytes: int = 32) -> str:
    """A secret for links that grant access (invitations, approvals)."""
    return secrets.token_urlsafe(nbytes)
