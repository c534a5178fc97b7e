"""Every write of the merchant registry: the application, its documents, the review and the
merchant's standing (suspension, strikes, badges). One service per state change; each module
holds one use case and this package names them all for the rest of the project."""

from merchants.services.applications import (
    REQUIRED_FIELDS,
    STEP_FIELDS,
    application_missing,
    application_save_step,
    application_start,
    application_submit,
    brand_claim_add,
    brand_claim_remove,
    brand_claim_update,
)
from merchants.services.documents import (
    ALLOWED_TYPES,
    document_check,
    document_remove,
    document_upload,
)
from merchants.services.review import (
    application_add_note,
    application_approve,
    application_reject,
    application_request_changes,
    application_start_review,
    application_update_checklist,
)
from merchants.services.standing import (
    merchant_award_badge,
    merchant_reinstate,
    merchant_suspend,
    strike_issue,
    strike_revoke,
)
from merchants.services.state import (
    EDITABLE,
    TRANSITIONS,
    S,
)

__all__ = [
    "ALLOWED_TYPES",
    "EDITABLE",
    "REQUIRED_FIELDS",
    "S",
    "STEP_FIELDS",
    "TRANSITIONS",
    "application_add_note",
    "application_approve",
    "application_missing",
    "application_reject",
    "application_request_changes",
    "application_save_step",
    "application_start",
    "application_start_review",
    "application_submit",
    "application_update_checklist",
    "brand_claim_add",
    "brand_claim_remove",
    "brand_claim_update",
    "document_check",
    "document_remove",
    "document_upload",
    "merchant_award_badge",
    "merchant_reinstate",
    "merchant_suspend",
    "strike_issue",
    "strike_revoke",
]
