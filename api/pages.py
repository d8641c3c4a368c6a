"""Fetch a web page's HTML for the copy suggestions, only from domains the admin allowed.

Off by default: a server that fetches any URL it is sent can be pointed at internal
addresses (SSRF). With `RIDEALONG_PAGE_FETCH_DOMAINS=example.nl` only http(s) pages on
example.nl and its subdomains are fetched, redirects included, at most 5 MB in 15 s in all.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import time
from urllib.parse import urlsplit

import httpx

from analyze.wording import N_
from api.errors import InvalidInput
from api.settings import Settings

__all__ = ["fetch_page", "fetching_allowed", "lone_url"]

_MAX_BYTES = 5 * 1024 * 1024  # as much HTML as the API takes (5 M characters)
_TIMEOUT_S = 15.0
_MAX_REDIRECTS = 5


def _allowed(url: str, domains: list[str]) -> bool:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().rstrip(".")
    return parts.scheme in ("http", "https") and any(
        host == d or host.endswith("." + d) for d in domains
    )


def _named_by_address(url: str) -> bool:
    """Whether the URL's host is an address literal: one that passed `_allowed` was named
    by the admin ("127.0.0.1"), so fetching from inside the network is meant."""
    try:
        ipaddress.ip_address((urlsplit(url).hostname or "").strip("[]"))
    except ValueError:
        return False
    return True


def _inside(address: str) -> bool:
    """A loopback, private, link-local or otherwise non-public address."""
    return not ipaddress.ip_address(address.split("%")[0]).is_global


def _private_address(url: str) -> str | None:
    """An address inside the network that the URL's host name resolves to: an allowed
    domain whose DNS points inside must not be a way in."""
    if _named_by_address(url):
        return None
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except OSError:
        return None  # unresolvable: the fetch itself says so
    return next((str(i[4][0]) for i in infos if _inside(str(i[4][0]))), None)


def _connected_inside(url: str, response: httpx.Response) -> str | None:
    """The address actually connected to, when it is inside the network: a name may
    resolve to a public address for the check above and to 127.0.0.1 a moment later (DNS
    rebinding)."""
    stream = response.extensions.get("network_stream")
    peer = stream.get_extra_info("server_addr") if stream is not None else None
    if _named_by_address(url) or not peer:
        return None
    return str(peer[0]) if _inside(str(peer[0])) else None


def _inside_refused(url: str, address: str) -> InvalidInput:
    return InvalidInput(
        N_("%(url)s points to an address inside the network (%(address)s)"),
        url=url,
        address=address,
    )


def fetch_domains(settings: Settings) -> list[str]:
    """The sites whose pages may be fetched by address (RIDEALONG_PAGE_FETCH_DOMAINS)."""
    return [d.strip().lower() for d in settings.page_fetch_domains.split(",") if d.strip()]


def fetching_allowed(settings: Settings) -> bool:
    """Whether pages may be fetched by URL at all (the admin named domains)."""
    return bool(fetch_domains(settings))


def lone_url(copy: str) -> str | None:
    """The web address when a page's copy is only that (pasted instead of the text)."""
    candidate = copy.strip()
    if re.fullmatch(r"(?i)(https?://|www\.)\S+", candidate):
        return candidate if "://" in candidate else f"https://{candidate}"
    return None


def fetch_page(settings: Settings, url: str) -> str:
    """The page's HTML; InvalidInput when fetching is off, the domain is not allowed, or the
    page cannot be read."""
    domains = fetch_domains(settings)
    if not domains:
        raise InvalidInput(
            N_(
                "fetching pages by URL is off; send the page as 'html' or 'text', or set "
                "RIDEALONG_PAGE_FETCH_DOMAINS"
            )
        )
    deadline = time.monotonic() + _TIMEOUT_S  # for the whole fetch: a slow drip is stopped too
    for _ in range(_MAX_REDIRECTS + 1):
        if not _allowed(url, domains):
            raise InvalidInput(
                N_("%(url)s is not on an allowed domain (%(domains)s)"),
                url=url,
                domains=", ".join(domains),
            )
        if (inside := _private_address(url)) is not None:
            raise _inside_refused(url, inside)
        try:
            left_s = max(deadline - time.monotonic(), 0.1)
            with httpx.stream("GET", url, timeout=left_s, follow_redirects=False) as response:
                if (inside := _connected_inside(url, response)) is not None:
                    raise _inside_refused(url, inside)
                if response.is_redirect:
                    url = str(response.url.join(response.headers.get("location", "")))
                    continue
                if not response.is_success:
                    raise InvalidInput(
                        N_("%(url)s answered HTTP %(status)s"), url=url, status=response.status_code
                    )
                body = bytearray()
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > _MAX_BYTES:
                        raise InvalidInput(N_("%(url)s is larger than 5 MB"), url=url)
                    if time.monotonic() > deadline:
                        raise InvalidInput(
                            N_("%(url)s took longer than %(s)s seconds"), url=url, s=int(_TIMEOUT_S)
                        )
                return body.decode(response.encoding or "utf-8", errors="replace")
        except httpx.HTTPError as e:
            reason = str(e)
            raise InvalidInput(
                N_("could not fetch %(url)s: %(reason)s"), url=url, reason=reason
            ) from e
    raise InvalidInput(N_("%(url)s redirects too often"), url=url)
