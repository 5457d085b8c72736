"""Extensions of the sandbox network: one module per capability (a fake ORD, an ad cabinet, a
Bot API, public communities…), each serving its own URL prefix and keeping its own state.

A module registers its prefix with ``@route("<prefix>")`` from ``kosmmos.connectors.sandbox.ext.
base`` and is imported below so the server knows it.
"""

from kosmmos.connectors.sandbox.ext import (
    audience,
    base,
    botapi,
    drand,
    engagement,
    hooks,
    ord,
    public,
    public_communities,
    said,
    vkads,
)

__all__ = ["audience", "base", "botapi", "drand", "engagement", "hooks", "ord", "public",
           "public_communities", "said", "vkads"]
