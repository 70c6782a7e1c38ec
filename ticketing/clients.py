"""Who is asking: the connecting address, or, behind our own proxies, the address they saw; and
the network that counts as one client for caps and rate limits."""

import ipaddress
from functools import cache, lru_cache

from django.conf import settings
from django.http import HttpRequest

# Clients whose address is unknown (an empty REMOTE_ADDR, e.g. a Unix socket without a trusted
# proxy) share one identity: the caps then bind all of them together instead of none of them.
UNKNOWN_CLIENT = "unknown"


@cache
def _networks(spec: tuple[str, ...]) -> tuple[ipaddress._BaseNetwork, ...]:
    return tuple(ipaddress.ip_network(item, strict=False) for item in spec)


def in_networks(address: str, spec: list[str]) -> bool:
    """Whether the address is in one of these addresses or networks (a setting's list)."""
    return _in_networks(address, tuple(spec))


# Every request asks both questions of its address, and parsing one costs more than the rest of
# a refused hold: the answers for recent addresses are kept (by address and setting).
@lru_cache(maxsize=16384)
def _in_networks(address: str, spec: tuple[str, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in _networks(spec))


def _is_trusted(address: str) -> bool:
    return in_networks(address, settings.TRUSTED_PROXIES)


def client_ip(request: HttpRequest) -> str:
    """The client's address. ``X-Forwarded-For`` counts only when the connection comes from a
    proxy named in TRUSTED_PROXIES, and then only up to the first address that is not one of
    ours (walking from the right), so a client cannot pick its own identity by sending one."""
    remote = request.META.get("REMOTE_ADDR", "")
    if not _is_trusted(remote):
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    for hop in reversed([hop for hop in hops if hop]):
        if not _is_trusted(hop):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return remote
    return remote


def client_network(address: str) -> str:
    """The identity caps and rate limits count by: the address's network at CLIENT_IPV4_PREFIX
    or CLIENT_IPV6_PREFIX bits (an IPv6 subscriber is given a whole /64, so one address each
    would make every one of them unlimited). ``203.0.113.7`` at /32; ``2001:db8:1:2::/64``."""
    return _network(address, settings.CLIENT_IPV4_PREFIX, settings.CLIENT_IPV6_PREFIX)


@lru_cache(maxsize=16384)
def _network(address: str, ipv4_prefix: int, ipv6_prefix: int) -> str:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return UNKNOWN_CLIENT
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:203.0.113.7 is the IPv4 client 203.0.113.7
    prefix = ipv4_prefix if ip.version == 4 else ipv6_prefix
    network = ipaddress.ip_network(f"{ip}/{prefix}", strict=False)
    return str(ip) if prefix == network.max_prefixlen else str(network)


def client_id(request: HttpRequest) -> str:
    """The client, as caps and rate limits see it (see ``client_network``)."""
    return client_network(client_ip(request))
