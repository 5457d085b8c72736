"""What the briefs app announces to the apps that build on it.

``brief_received`` is sent inside ``submit_brief``'s transaction with ``lead=`` (the new lead, its
brief at ``lead.brief``): a receiver's writes commit or roll back with the brief, and side effects
belong in ``transaction.on_commit``. Proposals answers it with the draft job.
"""

from django.dispatch import Signal

brief_received = Signal()
