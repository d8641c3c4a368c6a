"""Fetch a web page's HTML for the copy suggestions, only from domains the admin allowed.

Off by default: a server that fetches any URL it is sent can be pointed at internal
addresses (SSRF). With `RIDEALONG_PAGE_FETCH_DOMAINS=example.nl` only http(s) pages on
example.nl and its subdomains are fetched, redirects included, at most 20 MB in 15 s.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx

from api.errors import InvalidInput
from api.settings import Settings

__all__ = ["fetch_page"]

_MAX_BYTES = 20 * 1024 * 1024
_TIMEOUT_S = 15.0
_MAX_REDIRECTS = 5


def _allowed(url: str, domains: list[str]) -> bool:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().rstrip(".")
    return parts.scheme in ("http", "https") and any(
        host == d or host.endswith("." + d) for d in domains
    )


def fetch_page(settings: Settings, url: str) -> str:
    """The page's HTML; InvalidInput when fetching is off, the domain is not allowed, or the
    page cannot be read."""
    domains = [d.strip().lower() for d in settings.page_fetch_domains.split(",") if d.strip()]
    if not domains:
        raise InvalidInput(
            "fetching pages by URL is off; send the page as 'html' or 'text', or set "
            "RIDEALONG_PAGE_FETCH_DOMAINS"
        )
    for _ in range(_MAX_REDIRECTS + 1):
        if not _allowed(url, domains):
            raise InvalidInput(f"{url} is not on an allowed domain ({', '.join(domains)})")
        try:
            with httpx.stream("GET", url, timeout=_TIMEOUT_S, follow_redirects=False) as response:
                if response.is_redirect:
                    url = str(response.url.join(response.headers.get("location", "")))
                    continue
                if not response.is_success:
                    raise InvalidInput(f"{url} answered HTTP {response.status_code}")
                body = bytearray()
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > _MAX_BYTES:
                        raise InvalidInput(f"{url} is larger than 20 MB")
                return body.decode(response.encoding or "utf-8", errors="replace")
        except httpx.HTTPError as e:
            raise InvalidInput(f"could not fetch {url}: {e}") from e
    raise InvalidInput(f"{url} redirects too often")
