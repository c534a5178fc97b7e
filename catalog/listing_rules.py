"""The listing rules a product meets on publish and on every later change, and the moderation
parts of the catalogue's own pages.

The catalogue runs the rules but does not know them: moderation (an app above this one) supplies
them in its ``AppConfig.ready()``, as the header's entries reach ``network.navigation``. Without
a registered rule a listing is never held nor refused. A rule raises ``BrandNotAuthorised`` (the
caller's transaction writes nothing) or holds the listing for review and says so."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from PIL import Image

from catalog.models import ListingState

if TYPE_CHECKING:
    from catalog.models import Product
    from network.models import Organization, User

# What the listing rules look at: a change to any of these re-checks an active listing.
LISTING_RULE_FIELDS = frozenset({"title_en", "brand", "images"})


class ListingRule(Protocol):
    def __call__(self, *, product: Product, acting_user: User) -> bool:
        """Apply the rule to a locked product inside the caller's transaction, after its write:
        raise to refuse, or hold the listing for review and return True."""
        ...


@dataclass(frozen=True)
class BrandRegistry:
    """The brands a merchant may list, and the check of one brand name against them (raises
    ``BrandNotAuthorised``): the spreadsheet import checks every changed row before writing."""

    authorised_brand_ids: Callable[[Organization], set[int]]
    brand_authorisation_check: Callable[..., None]


@dataclass(frozen=True)
class ListingPages:
    """What moderation adds to the catalogue's product pages: the operators' takedown form on
    the product page, the merchant's takedowns (each with ``appeal_or_none``) and the appeal
    form on its listing's page."""

    takedown_form: Callable[[], Any]
    takedowns: Callable[..., list]
    appeal_form: Callable[[], Any]


_RULES: list[ListingRule] = []
_REGISTRY: list[BrandRegistry] = []
_PAGES: list[ListingPages] = []


def register(rule: ListingRule) -> None:
    if rule not in _RULES:
        _RULES.append(rule)


def register_brand_registry(registry: BrandRegistry) -> None:
    _REGISTRY[:] = [registry]


def register_listing_pages(pages: ListingPages) -> None:
    _PAGES[:] = [pages]


def listing_rules_apply(
    *, product: Product, acting_user: User, changed: Iterable[str] | None = None
) -> bool:
    """The one place the listing rules run, inside the caller's transaction, after its write.

    ``changed=None`` is a publish: the rules always run. Otherwise ``changed`` names what an
    edit changed (product fields, ``"images"``); the rules run when the listing is active and
    one of LISTING_RULE_FIELDS changed. A protected brand without authorisation raises
    BrandNotAuthorised, so the caller's transaction writes nothing; a look-alike title or a
    copied photo moves the listing to In review with an automatic report. Returns True when
    the listing was held for review."""
    if changed is not None and (
        product.state != ListingState.ACTIVE or not LISTING_RULE_FIELDS.intersection(changed)
    ):
        return False
    held = False
    for rule in _RULES:
        held = rule(product=product, acting_user=acting_user) or held
    return held


def authorised_brand_ids(organization: Organization) -> set[int]:
    """Brands this merchant may list: those it owns and those with a grant still running."""
    return _REGISTRY[0].authorised_brand_ids(organization) if _REGISTRY else set()


def brand_authorisation_check(brand_name: str, *, authorised: set[int]) -> None:
    """Raise BrandNotAuthorised when ``brand_name`` is a protected brand whose id is not in
    ``authorised`` (the brands the merchant owns or resells)."""
    if _REGISTRY:
        _REGISTRY[0].brand_authorisation_check(brand_name, authorised=authorised)


def takedown_form() -> Any:
    return _PAGES[0].takedown_form() if _PAGES else None


def takedowns_of_merchant(*, organization: Organization, product: Product) -> list:
    return _PAGES[0].takedowns(organization=organization, product=product) if _PAGES else []


def appeal_form() -> Any:
    return _PAGES[0].appeal_form() if _PAGES else None


def image_dhash(data: bytes) -> int:
    """The 64-bit difference hash of an image, kept on each product image for the copied-photo
    rule: shrink to 9×8 grey pixels and record whether each pixel is brighter than its right
    neighbour. Returned as a signed 64-bit integer (a PostgreSQL bigint)."""
    with Image.open(io.BytesIO(data)) as image:
        grey = image.convert("L").resize((9, 8), Image.Resampling.LANCZOS)
        pixels = list(grey.getdata())
    bits = 0
    for row in range(8):
        for col in range(8):
            left, right = pixels[row * 9 + col], pixels[row * 9 + col + 1]
            bits = (bits << 1) | (1 if left > right else 0)
    return bits - (1 << 64) if bits >= 1 << 63 else bits
