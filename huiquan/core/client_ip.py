"""The client's real IP address behind reverse proxies (issue 11, item 6).

``REMOTE_ADDR`` is the peer that opened the connection: behind nginx or a load balancer that is
the proxy, for every resident at once. A proxy appends the address it received the request from
to ``X-Forwarded-For``; everything to the left of that was sent by the client and may be made up.
So the header is believed only when the peer is one of ``settings.HUIQUAN_TRUSTED_PROXIES``
(addresses or CIDR networks), and it is read from the right: each hop that is itself a trusted
proxy is skipped, and the first one that is not is the client. With no trusted proxies (the
default) the header is ignored.

Used by the OTP rate limits and by django-axes' log-in lock-out (``AXES_CLIENT_IP_CALLABLE``).
django-ipware was not used: its trusted proxies are address prefixes, not networks, and it
returns the left-most address of the header, which the client chooses.
"""

from __future__ import annotations

import functools
import ipaddress
from typing import Any

from django.conf import settings

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(entries: list[str] | tuple[str, ...]) -> tuple[Network, ...]:
    """Trusted proxies as networks (a bare address is a /32 or /128); ValueError names a bad
    entry."""
    networks = []
    for entry in entries:
        text = entry.strip()
        if not text:
            continue
        try:
            networks.append(ipaddress.ip_network(text, strict=False))
        except ValueError:
            raise ValueError(f"HUIQUAN_TRUSTED_PROXIES: {text!r} is not an IP address or CIDR "
                             "network") from None
    return tuple(networks)


@functools.lru_cache(maxsize=8)
def _trusted(entries: tuple[str, ...]) -> tuple[Network, ...]:
    return parse_networks(entries)


def _address(text: str) -> Address | None:
    """An address as proxies write it: plain, ``[v6]``, ``v4:port`` or ``[v6]:port``."""
    text = text.strip()
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def real_ip(remote_addr: str | None, forwarded_for: str | None,
            trusted: tuple[Network, ...]) -> str | None:
    peer = _address(remote_addr or "")
    if peer is None:
        return None
    if not trusted or not any(peer in net for net in trusted):
        return str(peer)  # not through a proxy we know: the header is the client's own words
    client = peer
    for hop in reversed((forwarded_for or "").split(",")):
        address = _address(hop)
        if address is None:
            break  # a trusted proxy would not write this: stop at the last hop we can vouch for
        client = address
        if not any(address in net for net in trusted):
            break
    return str(client)


def client_ip(request: Any) -> str | None:
    """The client's address for rate limits and lock-outs (see the module's docstring)."""
    meta = request.META
    return real_ip(meta.get("REMOTE_ADDR"), meta.get("HTTP_X_FORWARDED_FOR"),
                   _trusted(tuple(getattr(settings, "HUIQUAN_TRUSTED_PROXIES", ()))))


# The longest name an account can have (core_user.username): a longer one names nobody.
_LONGEST_USERNAME = 150


def login_username(request: Any, credentials: dict[str, Any] | None) -> str:
    """The name django-axes counts failed log-ins under (``AXES_USERNAME_CALLABLE``): the typed
    name in NFKC, as the log-in form reads it, cut to the longest account name. Axes keeps it in a
    255-character column; a name that grows under NFKC (``ﷺ`` is 18 characters) or is simply
    long was a PostgreSQL 500 at the log-in page before the form could refuse it."""
    from huiquan.core.identifiers import nfkc

    typed = (credentials or {}).get("username")
    if typed is None and request is not None:
        typed = request.POST.get("username", "")
    return nfkc(typed)[:_LONGEST_USERNAME]
