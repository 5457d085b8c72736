"""The organisation's audit log: who did what, when and from where. Append-only.

Apps record with one line, ``record(organisation, "member.role_changed", target=..., changes=...)``
(from :mod:`kosmmos.audit.log`); the person and their address come from the request being served
(:class:`kosmmos.audit.middleware.AuditContextMiddleware`) unless given.
"""
