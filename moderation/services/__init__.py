"""Brand protection and counterfeit policing, by use case: the brand registry and its
authorisations (``registry``), the listing rules applied when a product is published or changed
(``rules``), reports against listings with the operators' decisions and takedowns
(``reports``), and the merchant's one appeal (``appeals``).

Writes follow the catalogue's rules (one transaction, a permission check, a domain error with a
clear message, an audit record); the reads the pages need are in ``moderation.selectors``."""

from moderation.services.appeals import OUTCOMES, appeal_decide, appeal_file
from moderation.services.registry import (
    authorised_brand_ids,
    brand_grant_add,
    brand_grant_revoke,
    brand_register,
    brand_reject,
    brand_update,
    brand_verify,
)
from moderation.services.reports import (
    DECISIONS,
    listing_take_down,
    report_add_information,
    report_create,
    report_decide,
)
from moderation.services.rules import (
    ListingCheck,
    ListingFlag,
    brand_authorisation_check,
    brand_resemblance,
    hamming,
    image_dhash,
    listing_check,
    listing_hold_for_review,
    protected_brand_named,
    similar_protected_brands,
    trigram_similarity,
)

__all__ = [
    "DECISIONS",
    "OUTCOMES",
    "ListingCheck",
    "ListingFlag",
    "appeal_decide",
    "appeal_file",
    "authorised_brand_ids",
    "brand_authorisation_check",
    "brand_grant_add",
    "brand_grant_revoke",
    "brand_register",
    "brand_reject",
    "brand_resemblance",
    "brand_update",
    "brand_verify",
    "hamming",
    "image_dhash",
    "listing_check",
    "listing_hold_for_review",
    "listing_take_down",
    "protected_brand_named",
    "report_add_information",
    "report_create",
    "report_decide",
    "similar_protected_brands",
    "trigram_similarity",
]
