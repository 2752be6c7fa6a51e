"""Credentials out of every URL the kit stores or logs: `redact_url` for one URL, `scrub_text` for free text.

A base URL can carry a secret in two places: its userinfo (`http://user:pass@host/v1`, which httpx sends as
basic auth) and its query (`?api_key=...`, `?sig=...`, as some gateways and signed URLs use). Requests still go
to the real URL; what is written (results, samples, reports, cards, the Space) or shown (logs, one-line errors)
goes through here first. What a reader needs to tell endpoints apart is kept: scheme, host, port, path and the
names of the query parameters. `***` stands where a secret was, so a log still shows that credentials were given.

    >>> redact_url("http://user:pa%40ss@[::1]:8000/v1?api-version=2024-06-01&api_key=abc")
    'http://***@[::1]:8000/v1?api-version=2024-06-01&api_key=***'
    >>> scrub_text("cannot reach http://u:p@host/v1: refused; retry with ?token=abc")
    'cannot reach http://***@host/v1: refused; retry with ?token=***'

A URL with nothing to hide is returned unchanged, byte for byte, so hashes and files built from clean URLs are
what they were before redaction existed.
"""

from __future__ import annotations

import re
from urllib.parse import unquote_plus, urlsplit, urlunsplit

MASK = "***"
# A query (or fragment) parameter whose name, lower-cased with non-alphanumerics removed, contains one of these
# holds a secret: api_key, apikey, x-api-key, access_token, sig, X-Amz-Signature, client_secret, password, auth.
SECRET_NAME_PARTS = ("key", "token", "sig", "secret", "pass", "pwd", "auth", "credential", "session", "cookie")

_NAME, _VALUE = r"[^=&#\s\"'<>`]+", r"[^&#\s\"'<>`]*"
_QUERY_PAIR = re.compile(rf"(?<=[?&])({_NAME})=({_VALUE})")
# In free text: a URL with a scheme, or else a `name=value` pair after `?` or `&` (a query quoted without its URL).
_IN_TEXT = re.compile(
    rf"(?P<url>\b[A-Za-z][A-Za-z0-9+.-]*://[^\s\"'<>`]+)|(?<=[?&])(?P<name>{_NAME})=(?P<value>{_VALUE})"
)
_USERINFO = re.compile(r"^((?:[A-Za-z][A-Za-z0-9+.-]*:)?//)[^/?#]*@")
_CLOSERS = {")": "(", "]": "[", "}": "{"}


def is_secret_name(name: str) -> bool:
    """True for a query parameter name that holds a credential (see SECRET_NAME_PARTS)."""
    flat = re.sub(r"[^a-z0-9]", "", unquote_plus(name).lower())
    return any(part in flat for part in SECRET_NAME_PARTS)


def _mask_pairs(text: str) -> str:
    """`?a=1&api_key=x` -> `?a=1&api_key=***`: the value of every secret-named `name=value` after `?` or `&`."""
    return _QUERY_PAIR.sub(lambda m: f"{m[1]}={MASK}" if m[2] and is_secret_name(m[1]) else m[0], text)


def _redact_pairs(component: str) -> str:
    return _mask_pairs("?" + component)[1:] if component else component


def redact_url(url: str) -> str:
    """`url` without its userinfo and with its secret query values masked; never raises.

    A URL without a scheme (`user:pass@host/v1`) is read as if it had one, and one that cannot be parsed (a
    broken IPv6 literal) is scrubbed by pattern, so no input slips through unredacted.
    """
    schemeless = "://" not in url and not url.startswith("//")
    full = "//" + url if schemeless else url
    try:
        parts = urlsplit(full)
    except ValueError:
        redacted = _mask_pairs(_USERINFO.sub(rf"\g<1>{MASK}@", full))
        return redacted[2:] if schemeless else redacted
    netloc = f"{MASK}@{parts.netloc.rpartition('@')[2]}" if "@" in parts.netloc else parts.netloc
    query, fragment = _redact_pairs(parts.query), _redact_pairs(parts.fragment)
    if (netloc, query, fragment) == (parts.netloc, parts.query, parts.fragment):
        return url
    redacted = urlunsplit(parts._replace(netloc=netloc, query=query, fragment=fragment))
    return redacted[2:] if schemeless else redacted


def _split_trailing(match: str) -> tuple[str, str]:
    """A URL found in prose, and the punctuation after it that belongs to the sentence (`(see http://h/x).`)."""
    end = len(match)
    while end:
        char = match[end - 1]
        opener = _CLOSERS.get(char)
        if char in ".,;:!?" or (opener and match.count(opener, 0, end) < match.count(char, 0, end)):
            end -= 1
            continue
        break
    return match[:end], match[end:]


def scrub_text(text: str) -> str:
    """`text` with every URL in it redacted (`redact_url`) and every secret `?name=value` masked.

    For messages that may quote a URL: exceptions from httpx, a server's error body, log records, a results file
    copied into the Space. The second rule catches a query echoed without its scheme and host (`/v1?key=...`).
    """

    def one(match: re.Match[str]) -> str:
        if match["url"]:
            url, tail = _split_trailing(match["url"])
            return redact_url(url) + tail
        value, tail = _split_trailing(match["value"])
        return f"{match['name']}={MASK}{tail}" if value and is_secret_name(match["name"]) else match[0]

    return _IN_TEXT.sub(one, text)
