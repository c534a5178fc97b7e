"""Product photos."""

from __future__ import annotations

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from catalog.errors import (
    IllegalListingTransition,
    ImageRejected,
)
from catalog.images import process_upload
from catalog.listing_rules import image_dhash, listing_rules_apply
from catalog.models import (
    ListingState,
    Product,
    ProductImage,
)
from catalog.services.common import (
    _buyers_see_change,
    _check_product_editable,
    _locked,
    require_catalogue_staff,
)
from network.models import User
from network.services import audit

# --- Images ------------------------------------------------------------------------------------


@transaction.atomic
def product_image_add(
    *, product: Product, upload: UploadedFile, acting_user: User, alt_text: str = ""
) -> ProductImage:
    """Check an uploaded photo with Pillow, store it re-encoded with a thumbnail."""
    require_catalogue_staff(organization=product.organization, acting_user=acting_user)
    _check_product_editable(product)
    processed = process_upload(upload)
    images = ProductImage.objects.visible_to(product.organization).filter(product=product)
    if images.count() >= 12:
        raise ImageRejected(_("A product has at most 12 images."))
    last = images.order_by("-position").first()
    image = ProductImage(
        organization=product.organization,
        product=product,
        width=processed.width,
        height=processed.height,
        alt_text=alt_text[:200],
        position=(last.position + 1) if last else 0,
    )
    image.dhash = image_dhash(processed.thumbnail)
    image.image.save("image.jpg", ContentFile(processed.full), save=False)
    image.thumbnail.save("thumb.jpg", ContentFile(processed.thumbnail), save=False)
    image.save()
    # A photo added to an active listing meets the brand rules (copied photos) as at publish.
    listing_rules_apply(product=product, acting_user=acting_user, changed={"images"})
    _buyers_see_change(product)
    audit(
        actor=acting_user,
        organization=product.organization,
        action="product.image_added",
        target=product,
        changes={"image": image.pk, "width": image.width, "height": image.height},
    )
    return image


@transaction.atomic
def product_image_remove(*, image: ProductImage, acting_user: User) -> None:
    """Remove a photo. An active listing keeps at least one."""
    require_catalogue_staff(organization=image.organization, acting_user=acting_user)
    product = _locked(image.product)
    if (
        product.state == ListingState.ACTIVE
        and ProductImage.objects.visible_to(product.organization)
        .filter(product=product)
        .exclude(pk=image.pk)
        .count()
        == 0
    ):
        raise IllegalListingTransition(
            _("An active listing needs at least one image; pause it first.")
        )
    names = [image.image.name, image.thumbnail.name]
    storage = image.image.storage
    audit(
        actor=acting_user,
        organization=image.organization,
        action="product.image_removed",
        target=product,
        changes={"image": image.pk},
    )
    image.delete()
    _buyers_see_change(product)
    transaction.on_commit(lambda: [storage.delete(name) for name in names if name])
