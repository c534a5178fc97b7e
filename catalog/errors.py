"""Refusals of the catalogue's services, each with a stable code for the API."""

from __future__ import annotations

from network.errors import DomainError, PermissionDenied
from network.transitions import IllegalTransition


class CatalogPermissionDenied(PermissionDenied):
    code = "permission_denied"
    status = 403


class VersionChanged(DomainError):
    """The row is not the version the caller expected (the API's ``If-Match``); nothing was
    written."""

    code = "precondition_failed"
    status = 412


class IllegalListingTransition(IllegalTransition):
    """A listing's state does not allow the action."""


class PublishRequirementsMissing(DomainError):
    """Publishing was refused; ``details["missing"]`` lists what is missing, in words."""

    code = "publish_requirements_missing"
    status = 400


class InvalidPriceTiers(DomainError):
    code = "invalid_price_tiers"
    status = 400


class InvalidStockChange(DomainError):
    code = "invalid_stock_change"
    status = 400


class ImageRejected(DomainError):
    code = "image_rejected"
    status = 400


class ImportRejected(DomainError):
    code = "import_rejected"
    status = 400


class BrandNotAuthorised(DomainError):
    """The listing names a protected brand its merchant is not authorised to sell."""

    code = "brand_not_authorised"
    status = 403


class BrandRejected(DomainError):
    code = "brand_rejected"
    status = 400


class ReportRejected(DomainError):
    code = "report_rejected"
    status = 400


class ModerationRefused(DomainError):
    code = "moderation_refused"
    status = 409


class TariffLineRejected(DomainError):
    """A tariff row or a tariff file was refused; ``details["errors"]`` lists each problem (for
    a file: with its line number). Nothing was written."""

    code = "tariff_line_rejected"
    status = 400


class PriceListRejected(DomainError):
    """A price list or one of its products was refused (an unknown buyer, a product or SKU of
    another merchant, an entry that sets no price); nothing was written."""

    code = "price_list_rejected"
    status = 400


class BuyerNotFound(DomainError):
    """No buyer organisation has the name or short name a merchant gave."""

    code = "buyer_not_found"
    status = 404
