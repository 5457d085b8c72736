"""What the content plan announces to the apps above it (the ORD registers ads on these).

Both are sent inside the transaction of the change, with ``post``:

- ``approved``: the post was approved (by the client or the agency).
- ``ad_changed``: an ad post's text, media, advertiser or erid changed; ``erid_before`` is the
  erid it had, so a listener can tell a typed erid from its own.
"""

from __future__ import annotations

from django.dispatch import Signal

approved = Signal()
ad_changed = Signal()
