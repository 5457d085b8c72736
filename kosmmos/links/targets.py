"""Link targets: checked once, when a link is saved; never fetched per click.

A target must be an absolute http(s) URL with a host, no credentials, no whitespace or control
characters (they could split a Location header), not pointing at a private, loopback or
link-local address (an IP literal is refused outright; a name that resolves must resolve to
public addresses, unless ``KOSMMOS_RESOLVE_URLS`` is off, as in tests). It is stored in ASCII (IDNA host,
percent-encoded path), so the redirect can put it in a header as it is.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit, urlunsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from kosmmos.lib.http import UnsafeUrl, check_public_url

MAX_LENGTH = 2000
_CONTROL = re.compile(r"[\x00-\x20\x7f]")


def clean_target(raw: str, *, resolve: bool | None = None) -> str:
    """The target as stored, or ValidationError with a message for the form."""
    url = (raw or "").strip()
    if not url:
        raise ValidationError(_("Enter the address the link leads to."))
    if _CONTROL.search(url):
        raise ValidationError(_("The address must not contain spaces or control characters."))
    try:
        parts = urlsplit(url)
    except ValueError as exc:  # "http://[::1/": a bracket that never closes
        raise ValidationError(_("The address is not a valid URL.")) from exc
    if parts.scheme.lower() not in {"http", "https"}:
        raise ValidationError(_("Only http:// and https:// addresses can be linked."))
    if not parts.hostname:
        raise ValidationError(_("The address has no host name."))
    if parts.username or parts.password:
        raise ValidationError(_("The address must not contain a user name or password."))
    try:
        host = parts.hostname.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise ValidationError(_("The host name is not valid.")) from exc
    try:
        port = parts.port
    except ValueError as exc:
        raise ValidationError(_("The port is not valid.")) from exc
    if ":" in host:
        host = f"[{host}]"
    netloc = host + (f":{port}" if port else "")
    safe = "/%:@!$&'()*+,;=-._~"
    url = urlunsplit((
        parts.scheme.lower(), netloc, quote(parts.path, safe=safe),
        quote(parts.query, safe=safe + "?"), quote(parts.fragment, safe=safe + "?"),
    ))
    if len(url) > MAX_LENGTH:
        raise ValidationError(_("The address is too long."))
    base = urlsplit(settings.LINKS_BASE_URL)
    if host == base.hostname and (port or None) == base.port:
        raise ValidationError(_("A short link cannot lead to another short link."))
    try:
        # We never fetch a target, so a name that does not resolve here is a possible typo, not a
        # risk; a name that resolves to a private address is refused.
        check_public_url(url, resolve=resolve, must_resolve=False)
    except UnsafeUrl as exc:
        raise ValidationError(_("This address cannot be linked: %(reason)s") % {"reason": exc}) from exc
    return url


def is_safe_location(url: str) -> bool:
    """Last line of defence in the redirect service: only stored http(s) URLs ever go out."""
    return url.startswith(("http://", "https://")) and not _CONTROL.search(url)
