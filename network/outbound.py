"""HTTP requests to URLs our users give us (webhook endpoints): only to the public internet.

A URL is checked when it is registered and again on every request. On a request the host name
is resolved once, every address it resolves to must be public, and the connection goes to a
checked address itself — pinned — so a DNS answer that changes between the check and the
connection (DNS rebinding) cannot send the request inside. The ``Host`` header, TLS SNI and
certificate verification still use the URL's host name. Redirects are never followed, and the
answer's body is never read: only its status code and how long it took.

httpx makes the pinning simple: the request goes to ``https://<checked address>/…`` with the
``Host`` header and httpcore's ``sni_hostname`` extension naming the original host, so TLS
verifies the certificate for that name. Each request uses its own client, so a connection is
never reused for another host name.
"""

from __future__ import annotations

import contextlib
import functools
import ipaddress
import re
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

import certifi
import httpx
from django.conf import settings
from django.utils.translation import gettext as _

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Why a request was not answered; WebhookDelivery.Error gives each a label.
REFUSED_ADDRESS = "refused_address"
REFUSED_URL = "refused_url"
HOST_NOT_FOUND = "host_not_found"
TIMEOUT = "timeout"
CONNECTION_REFUSED = "connection_refused"
CONNECTION_FAILED = "connection_failed"
TLS_ERROR = "tls_error"
INVALID_RESPONSE = "invalid_response"

# Addresses tried, in the resolver's order, when the first cannot be connected to.
MAX_ADDRESSES = 4

# Ranges that are not the public internet though older Pythons' ``is_global`` says they are,
# or whose meaning is another address.
_SHARED_ADDRESS_SPACE = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_LOCAL_NAT64 = ipaddress.ip_network("64:ff9b:1::/48")
_HOST_NAME = re.compile(r"[a-z0-9_-]+(\.[a-z0-9_-]+)*")


class Refused(Exception):
    """A URL we will not send to, with a stable ``code`` and a message for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class Failure(Exception):
    """A request made (or refused at the last moment) that got no HTTP answer."""

    def __init__(self, kind: str, *, elapsed_ms: int | None = None) -> None:
        super().__init__(kind)
        self.kind = kind
        self.elapsed_ms = elapsed_ms


@dataclass(frozen=True)
class Target:
    url: str
    scheme: str
    host: str  # ASCII (IDNA), lower case, without brackets
    port: int
    address: IPAddress | None  # when the URL names an address rather than a host name

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"


@dataclass(frozen=True)
class Answer:
    status_code: int
    elapsed_ms: int


@functools.cache
def tls_context() -> ssl.SSLContext:
    """Certificates are verified against certifi's authorities (tests trust their own CA by
    replacing this function). Built once per process: reading the bundle costs about 20 ms of
    CPU, which every delivery paid."""
    return ssl.create_default_context(cafile=certifi.where())


def private_addresses_allowed() -> bool:
    """Only for tests and laptops with a local receiver; settings refuse it in production."""
    return settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES and not settings.PRODUCTION


def http_allowed() -> bool:
    return settings.WEBHOOK_ALLOW_HTTP and not settings.PRODUCTION


def is_public(address: IPAddress) -> bool:
    """True only for an address on the public internet: not loopback, private (RFC 1918, unique
    local), shared (100.64/10), link-local (the cloud metadata service), multicast, unspecified,
    reserved or documentation, and not an IPv6 address standing for an IPv4 one that is."""
    if isinstance(address, ipaddress.IPv6Address):
        if address in _LOCAL_NAT64:
            return False
        embedded = address.ipv4_mapped or address.sixtofour
        if address.teredo:
            embedded = address.teredo[1]
        if address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None and not is_public(embedded):
            return False
        if address.is_site_local:
            return False
    if isinstance(address, ipaddress.IPv4Address) and address in _SHARED_ADDRESS_SPACE:
        return False
    return address.is_global and not (
        address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_unspecified
        or address.is_reserved
        or address.is_private
    )


def check_url(url: str) -> Target:
    """Parse ``url`` and refuse what no request may go to, without asking DNS: another scheme
    (or http in production), a missing host, an address that is not public, ``localhost``
    names, and IPv4 addresses spelt as one number, in octal or in hex (``http://2130706433/``),
    which resolvers read as addresses though they look like names."""
    try:
        parts: SplitResult = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise Refused("url_invalid", _("Enter a valid URL.")) from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or (scheme == "http" and not http_allowed()):
        message = (
            _("Use an http:// or https:// URL.")
            if http_allowed()
            else _("Use an https:// URL: events are only sent over HTTPS.")
        )
        raise Refused("url_scheme_not_allowed", message)
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise Refused(
            "url_invalid", _("Enter a full URL, e.g. https://erp.example.com/network-hooks.")
        )
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        raise Refused("url_invalid", _("Enter a valid URL.")) from None
    port = port or (443 if scheme == "https" else 80)
    try:
        address: IPAddress | None = ipaddress.ip_address(host)
    except ValueError:
        address = None
        if not _HOST_NAME.fullmatch(host):
            raise Refused("url_invalid", _("Enter a valid URL.")) from None
    target = Target(url=url.strip(), scheme=scheme, host=host, port=port, address=address)
    if address is not None:
        _check_address(target, address)
        return target
    if _is_numeric_spelling(host):
        raise Refused(
            "url_not_public",
            _("Write an IP address as four decimal numbers, or use a host name."),
        )
    if (host == "localhost" or host.endswith(".localhost")) and not private_addresses_allowed():
        raise _not_public(target, None)
    return target


def check_url_to_register(url: str) -> str:
    """Refuse ``url`` as an endpoint if any address its host resolves to now is not public.
    A host name that does not resolve (yet) is accepted: every delivery checks again."""
    target = check_url(url)
    if target.address is None:
        with contextlib.suppress(Failure):
            resolve(target)
    return target.url


def resolve(target: Target) -> list[IPAddress]:
    """The addresses to connect to, every one of them checked; ``Refused`` if any is not
    public, ``Failure(HOST_NOT_FOUND)`` if the name does not resolve."""
    if target.address is not None:
        return [target.address]
    try:
        answers = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise Failure(HOST_NOT_FOUND) from None
    addresses: list[IPAddress] = []
    for _family, _type, _proto, _name, sockaddr in answers:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in addresses:
            addresses.append(address)
    for address in addresses:
        _check_address(target, address)
    if not addresses:
        raise Failure(HOST_NOT_FOUND)
    return addresses


def post(url: str, *, content: bytes, headers: dict[str, str], timeout: float) -> Answer:
    """POST ``content`` to ``url`` at a checked address. Returns the status and time of any
    HTTP answer (a 3xx too: redirects are not followed); raises ``Refused`` for a URL that may
    not be sent to, and ``Failure`` when no answer came."""
    target = check_url(url)
    addresses = resolve(target)[:MAX_ADDRESSES]
    started = time.monotonic()
    for index, address in enumerate(addresses):
        try:
            return _post_to(target, address, content=content, headers=headers, timeout=timeout)
        except (httpx.ConnectError, httpx.ConnectTimeout) as error:
            # Nothing was sent yet, so the next address may be tried.
            if index == len(addresses) - 1:
                raise Failure(_failure_kind(error), elapsed_ms=_since(started)) from error
        except httpx.HTTPError as error:
            raise Failure(_failure_kind(error), elapsed_ms=_since(started)) from error
    raise Failure(HOST_NOT_FOUND)


def _post_to(
    target: Target, address: IPAddress, *, content: bytes, headers: dict[str, str], timeout: float
) -> Answer:
    request_url = httpx.URL(target.url).copy_with(host=address.compressed, port=target.port)
    extensions = {}
    if target.scheme == "https" and target.address is None:
        extensions["sni_hostname"] = target.host
    started = time.monotonic()
    with (
        httpx.Client(
            verify=tls_context(), trust_env=False, follow_redirects=False, timeout=timeout
        ) as client,
        client.stream(
            "POST",
            request_url,
            content=content,
            headers={**headers, "Host": target.host_header},
            extensions=extensions,
        ) as response,
    ):
        # The body is neither read nor kept: closing here drops the connection.
        return Answer(status_code=response.status_code, elapsed_ms=_since(started))


def _since(started: float) -> int:
    return round((time.monotonic() - started) * 1000)


def _check_address(target: Target, address: IPAddress) -> None:
    if not private_addresses_allowed() and not is_public(address):
        raise _not_public(target, address)


def _not_public(target: Target, address: IPAddress | None) -> Refused:
    if address is None or target.address is not None:
        message = _(
            "%(host)s is not on the public internet; events are only sent to public addresses."
        ) % {"host": target.host}
    else:
        message = _(
            "%(host)s resolves to %(address)s, which is not on the public internet; events are "
            "only sent to public addresses."
        ) % {"host": target.host, "address": address.compressed}
    return Refused("url_not_public", message)


def _is_numeric_spelling(host: str) -> bool:
    """True for the forms ``inet_aton`` reads as an IPv4 address: ``2130706433``, ``0x7f.1``,
    ``0177.0.0.1``, ``127.1``."""
    if not all(c in "0123456789abcdefx." for c in host):
        return False
    try:
        socket.inet_aton(host)
    except OSError:
        return False
    return True


def _failure_kind(error: BaseException) -> str:
    if isinstance(error, httpx.TimeoutException):
        return TIMEOUT
    causes: list[BaseException] = []
    cause: BaseException | None = error
    while cause is not None and len(causes) < 10:
        causes.append(cause)
        cause = cause.__cause__ or cause.__context__
    if any(isinstance(c, ConnectionRefusedError) for c in causes):
        return CONNECTION_REFUSED
    if any(isinstance(c, ssl.SSLError | ssl.CertificateError) for c in causes):
        return TLS_ERROR
    if isinstance(error, httpx.ProtocolError | httpx.DecodingError):
        return INVALID_RESPONSE
    return CONNECTION_FAILED
