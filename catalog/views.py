"""Pages of the catalogue: browsing and product pages (everyone), catalogue management and
imports (merchants), takedowns (operators)."""

from __future__ import annotations

import gzip
import hashlib
import math
import re
import time

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from catalog import listing_rules, selectors, services, spreadsheets
from catalog.errors import InvalidPriceTiers
from catalog.forms import (
    BrowseForm,
    ImageForm,
    ImportForm,
    ManageFilterForm,
    ProductForm,
    SKUForm,
    StockForm,
    tier_formset,
)
from catalog.models import (
    SKU,
    ImportJob,
    ListingState,
    Product,
)
from catalog.pending_images import (
    pending_image_discard,
    pending_image_keep,
    pending_image_open,
)
from catalog.product_terms import product_terms, with_your_prices
from catalog.spreadsheets import errors_csv, export_bytes
from merchants.selectors import merchant_can_trade
from network.cache import (
    public_listings_cache,
    public_listings_cached,
    recent_public_listings_version,
)
from network.db_router import cache_seconds, cache_variant, tolerates_lag
from network.errors import DomainError
from network.forms import form_add_validation_error
from network.models import Organization, Role
from network.permissions import organization_required
from network.selectors import exchange_rate_day, exchange_rate_in_force

MERCHANT = [Organization.Kind.MERCHANT]
OPERATOR = [Organization.Kind.OPERATOR]


def _safe_next(request, fallback: str) -> str:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def _set_formset_errors(formset, errors: list[str]) -> None:
    formset._non_form_errors = formset.error_class(errors, error_class="nonform")


def _tiers_valid(sku_form, tiers) -> bool:
    """Check the price tiers, their rules across rows included (the first at the MOQ, whole
    case packs, falling prices), alongside the SKU's fields, so that one submission reports
    every error. The service checks the same rules again before writing."""
    if not tiers.is_valid():
        return False
    rows = tiers.tiers()
    checked = getattr(sku_form, "cleaned_data", {})
    moq, case_pack = checked.get("moq"), checked.get("case_pack")
    # Without a valid MOQ its own error is shown; the other rules are still checked.
    errors = services.tier_errors(
        rows, moq=moq or min(q for q, _p in rows), case_pack=case_pack or 0
    )
    if errors:
        _set_formset_errors(tiers, errors)
        return False
    return True


# --- Buyers: browse, search and product pages --------------------------------------------------


BROWSE_PARAMS = (*BrowseForm.base_fields, "page")
BROWSE_CACHE_SECONDS = 600


def _browse_cache_key(params: list[tuple[str, str]]) -> str:
    """The rendered results of these parameters in the current language (stored with the
    version of the public listings they were rendered for, see ``network.cache``: any change a
    buyer could see, an exchange-rate or category change included, gives a new version) and
    for today's date, so a scheduled exchange rate shows from the first request of its day."""
    digest = hashlib.sha256(repr(params).encode()).hexdigest()[:32]
    # Results read on a replica are kept apart (and briefly): whoever just wrote reads the
    # primary, and must not be shown a replica's older rendering under the same version.
    source = cache_variant()
    return f"catalog:browse:{get_language()}:{exchange_rate_day().isoformat()}:{digest}{source}"


def _browse_results(params: list[tuple[str, str]]) -> str:
    """Render the page's search form, facets, products and pagination (no per-visitor data,
    so the same HTML serves every visitor)."""
    data = QueryDict(mutable=True)
    for key, value in params:
        data[key] = value
    form = BrowseForm(data or None)
    filters = form.filters() if data else BrowseForm().filters()
    result = selectors.product_browse(filters=filters, page_number=data.get("page") or 1)
    current = {k: v for k, v in params if k != "page"}
    rate = exchange_rate_in_force(base="USD", quote="CNY")
    return render_to_string(
        "catalog/_browse_results.html",
        {
            "form": form,
            "filters": filters,
            "result": result,
            "page": result.page,
            "cards": selectors.browse_cards(result.page.object_list, exchange_rate=rate),
            "sorts": selectors.SORTS,
            "exchange_rate": rate,
            "current": current,
            "page_query": _encode(current) if current else "",
        },
    )


def _encode(values: dict[str, str]) -> str:
    query = QueryDict(mutable=True)
    query.update(values)
    return query.urlencode() + "&"


def _plain_visitor(request) -> bool:
    """An anonymous visitor with no session and no pending messages: the whole page is the
    same for all of them (public pages carry no CSRF token, see
    ``network.views.language_switch``)."""
    return not request.user.is_authenticated and not (
        request.COOKIES.keys() & {settings.SESSION_COOKIE_NAME, "messages"}
    )


@tolerates_lag
def browse(request):
    """Public listings with search, filters, facets and sorting. The results are rendered once
    per set of parameters, language and version of the public listings, and inserted in the
    page of every visitor (whose header shows their own organisations); for anonymous visitors
    the whole page is kept."""
    if _plain_visitor(request):
        page, compressed = _anonymous_page(request)
        if ACCEPTS_GZIP.search(request.headers.get("Accept-Encoding", "")):
            response = HttpResponse(compressed)
            response["Content-Encoding"] = "gzip"
        else:
            response = HttpResponse(page)
        patch_vary_headers(response, ("Accept-Encoding",))
        return response
    params = _browse_params(request)
    results = _cached_results(params)
    if request.organization is not None and request.organization.kind == Organization.Kind.BUYER:
        # The buyer's own prices, put into the cards rendered for everyone.
        results = with_your_prices(results, buyer=request.organization)
    return render(request, "catalog/browse.html", {"results": mark_safe(results)})  # noqa: S308


# The anonymous pages this process served last, by language, day and path: (browse version,
# the page's bytes, the same gzipped). A page served again within BROWSE_VERSION_TRUST seconds
# of reading the version costs no round trip to the cache, which was most of what a cached page
# still cost (bench/catalog.py); a change made in another process shows that much later at most.
#
# The page goes out gzipped to browsers that accept it (26 kB becomes 4 kB on a phone in China),
# compressed once when kept. It holds no secret (no CSRF token, nothing of the visitor's), so
# compression cannot leak one (BREACH), which is why other pages are not compressed here.
# A page read on a replica is kept only briefly (the last item, a time.monotonic() deadline;
# infinite for a page read on the primary; see network.db_router.cache_seconds).
_ANONYMOUS_PAGES: dict[tuple, tuple[int, bytes, bytes, float]] = {}
ANONYMOUS_PAGES_KEPT = 256
BROWSE_VERSION_TRUST = 0.25
ACCEPTS_GZIP = re.compile(r"\bgzip\b")


def _browse_params(request) -> list[tuple[str, str]]:
    return [(key, request.GET[key]) for key in BROWSE_PARAMS if request.GET.get(key)]


def _anonymous_page(request) -> tuple[bytes, bytes]:
    """The whole page for anonymous visitors, plain and gzipped: from this process's memory
    while the browse version it was rendered for is current, else from the cache, else
    rendered and kept in both."""
    source = cache_variant()
    kept_key = (get_language(), exchange_rate_day(), request.get_full_path(), source)
    version = recent_public_listings_version(max_age=BROWSE_VERSION_TRUST)
    kept = _ANONYMOUS_PAGES.get(kept_key)
    if kept is not None and kept[0] == version and time.monotonic() < kept[3]:
        return kept[1], kept[2]
    page_key = "catalog:browse-page:" + hashlib.sha256(repr(kept_key).encode()).hexdigest()[:32]
    html, version = public_listings_cached(page_key)
    if html is None:
        results = _cached_results(_browse_params(request))
        results = mark_safe(results)  # noqa: S308 - our own rendered template
        html = render_to_string("catalog/browse.html", {"results": results}, request=request)
        public_listings_cache(
            page_key, html, version=version, timeout=cache_seconds(BROWSE_CACHE_SECONDS)
        )
    if len(_ANONYMOUS_PAGES) >= ANONYMOUS_PAGES_KEPT:
        _ANONYMOUS_PAGES.clear()
    page = html.encode()
    compressed = gzip.compress(page, mtime=0)
    until = time.monotonic() + cache_seconds(BROWSE_CACHE_SECONDS) if source else math.inf
    _ANONYMOUS_PAGES[kept_key] = (version, page, compressed, until)
    return page, compressed


def _cached_results(params: list[tuple[str, str]]) -> str:
    key = _browse_cache_key(params)
    results, version = public_listings_cached(key)
    if results is None:
        results = _browse_results(params)
        public_listings_cache(
            key, results, version=version, timeout=cache_seconds(BROWSE_CACHE_SECONDS)
        )
    return results


def merchant_profile_listings(request, organization: Organization) -> str:
    """The merchant's active listings on its public profile, twelve a page, with a link to all
    of them in the catalogue (registered with merchants.profile_sections)."""
    page = selectors.merchant_listings_page(
        organization=organization, page_number=request.GET.get("page") or 1
    )
    rate = exchange_rate_in_force(base="USD", quote="CNY") if page.object_list else None
    return render_to_string(
        "catalog/_profile_listings.html",
        {
            "organization": organization,
            "page": page,
            "cards": selectors.browse_cards(page.object_list, exchange_rate=rate),
        },
        request=request,
    )


def product_detail(request, product_id: int):
    view = selectors.product_for_viewer(
        product_id=product_id, organization=request.organization, cached=True
    )
    if view is None:
        raise Http404
    product = view.product
    is_owner = (
        request.organization is not None and request.organization.pk == product.organization_id
    )
    is_operator = (
        request.organization is not None
        and request.organization.kind == Organization.Kind.OPERATOR
        and request.membership.has_role(Role.STAFF)
    )
    return render(
        request,
        "catalog/product_detail.html",
        {
            "view": view,
            "terms": product_terms(
                product=product,
                skus=view.skus,
                viewer=request.organization,
                rate=view.exchange_rate.rate if view.exchange_rate else None,
            ),
            "product": product,
            "merchant": getattr(product.organization, "merchant_application", None),
            "rate": view.exchange_rate,
            "is_owner": is_owner,
            "is_operator": is_operator,
            "takedown_form": listing_rules.takedown_form() if is_operator else None,
            "can_report": not is_operator and _reporter_may_report(request, product),
        },
    )


def product_image(request, image_id: int, size: str):
    """Serve a product image or thumbnail. Active listings of approved merchants are public and
    cached for a year (a new upload gets a new id); other images only for their merchant."""
    if size not in ("full", "thumb"):
        raise Http404
    found = selectors.image_for_viewer(image_id=image_id, organization=request.organization)
    if found is None:
        raise Http404
    image, public = found
    stored = image.image if size == "full" else image.thumbnail
    try:
        handle = stored.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404 from None
    response = FileResponse(handle, content_type="image/jpeg")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = (
        "public, max-age=31536000, immutable" if public else "private, no-cache"
    )
    return response


# --- Merchants: their catalogue ------------------------------------------------------------


def _held_for_review() -> str:
    return _(
        "Held for review: the listing resembles a protected brand. The network's operators "
        "will check it before buyers see it."
    )


@organization_required(kinds=MERCHANT)
def manage(request):
    """The merchant's products with stock per SKU, bulk publish/pause and inline stock edit."""
    form = ManageFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    products = selectors.merchant_products(
        organization=request.organization,
        state=data.get("state") or "",
        query=(data.get("q") or "").strip(),
        low_stock=bool(data.get("low_stock")),
    )
    page = Paginator(products, 25).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    skus = selectors.merchant_skus_with_stock(
        organization=request.organization, product_ids=[p.pk for p in rows]
    )
    for product in rows:
        product.sku_list = skus.get(product.pk, [])
    return render(
        request,
        "catalog/manage.html",
        {
            "filter_form": form,
            "page": page,
            "rows": rows,
            "summary": selectors.merchant_catalogue_summary(organization=request.organization),
            "can_trade": merchant_can_trade(organization=request.organization),
            "can_edit": request.membership.has_role(Role.STAFF),
        },
    )


@organization_required(role=Role.STAFF, kinds=MERCHANT)
def product_create(request):
    """A new product with its first SKU, price tiers and (optionally) its first image.

    Every part is checked before anything is written, so a failed submission reports all its
    errors at once; an image that passed its checks is kept (see catalog.pending_images) and
    need not be chosen again."""
    tree = selectors.category_tree()
    organization = request.organization
    data = request.POST or None
    product_form = ProductForm(data, tree=tree, instance=Product(organization=organization))
    sku_form = SKUForm(data, prefix="sku", instance=SKU(organization=organization))
    tiers = tier_formset(data)
    image_form = ImageForm(data, request.FILES or None, prefix="img")
    image_form.fields["image"].required = False
    can_trade = merchant_can_trade(organization=organization)
    pending = None
    if request.method == "POST":
        valid = all(
            [
                product_form.is_valid(),
                sku_form.is_valid(),
                _tiers_valid(sku_form, tiers),
                image_form.is_valid(),
            ]
        )
        upload, pending = _product_image_choice(request, image_form)
        if valid and not image_form.errors:
            try:
                product = services.product_create(
                    organization=organization,
                    values=product_form.cleaned_data,
                    skus=[
                        services.SKUValues(
                            values=sku_form.cleaned_data,
                            tiers=tiers.tiers(),
                            on_hand=sku_form.cleaned_data["on_hand"],
                            low_stock_threshold=sku_form.cleaned_data["low_stock_threshold"],
                        )
                    ],
                    image=upload,
                    image_alt_text=image_form.cleaned_data.get("alt_text") or "",
                    acting_user=request.user,
                )
            except InvalidPriceTiers as error:
                _set_formset_errors(tiers, error.details.get("errors") or [error.message])
            except ValidationError as error:
                sku_names = set(sku_form.fields) - set(product_form.fields)
                messages_by_field = getattr(error, "message_dict", {"__all__": error.messages})
                for name, errors in messages_by_field.items():
                    target = sku_form if name in sku_names or name == "code" else product_form
                    target.add_error(name if name in target.fields else None, errors)
            except DomainError as error:
                if error.code == "image_rejected":
                    image_form.add_error("image", error.message)
                else:
                    product_form.add_error(None, error.message)
            else:
                if pending is not None:
                    pending_image_discard(pending.token)
                if "publish" in request.POST:
                    try:
                        product = services.product_publish(
                            product=product, acting_user=request.user
                        )
                    except DomainError as error:
                        messages.warning(
                            request, _("Saved as a draft. %(reason)s") % {"reason": error.message}
                        )
                    else:
                        if product.state == ListingState.IN_REVIEW:
                            messages.warning(request, _held_for_review())
                        else:
                            messages.success(request, _("Published: buyers can see it now."))
                else:
                    messages.success(request, _("Draft saved. Publish it when it is ready."))
                return redirect("catalog:product_edit", product_id=product.pk)
        if pending is None and upload is not None and "image" not in image_form.errors:
            # The submission failed elsewhere: keep the checked image for the next one.
            pending = pending_image_keep(
                upload=upload, organization=organization, user=request.user
            )
    return render(
        request,
        "catalog/product_form.html",
        {
            "product_form": product_form,
            "sku_form": sku_form,
            "tiers": tiers,
            "image_form": image_form,
            "pending_image": pending,
            "can_trade": can_trade,
            "creating": True,
        },
        status=400 if request.method == "POST" else 200,
    )


def _product_image_choice(request, image_form):
    """The image a product form submits: a newly chosen file (which replaces any kept one), or
    the one kept from a failed submission, named by the form's hidden ``img-pending`` token.
    Returns (upload or None, the kept image or None)."""
    token = request.POST.get("img-pending") or ""
    chosen = getattr(image_form, "cleaned_data", {}).get("image")
    if chosen or "image" in image_form.errors:
        if token:
            pending_image_discard(token)
        return chosen, None
    if not token:
        return None, None
    pending = pending_image_open(token=token, organization=request.organization, user=request.user)
    if pending is None:
        image_form.add_error(
            "image",
            _("The image you chose earlier is no longer kept; choose it again."),
        )
        return None, None
    return pending.upload, pending


@organization_required(kinds=MERCHANT)
def product_edit(request, product_id: int):
    product = selectors.access_product(organization=request.organization, pk=product_id)
    tree = selectors.category_tree()
    editable = request.membership.has_role(Role.STAFF) and product.state != ListingState.TAKEN_DOWN
    form = ProductForm(request.POST or None, instance=product, tree=tree)
    if request.method == "POST":
        if not editable:
            raise Http404
        if form.is_valid():
            try:
                saved = services.product_update(
                    product=product, values=form.cleaned_data, acting_user=request.user
                )
            except ValidationError as error:
                form_add_validation_error(form, error)
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                if saved.state == ListingState.IN_REVIEW and product.state == ListingState.ACTIVE:
                    messages.warning(request, _held_for_review())
                else:
                    messages.success(request, _("Saved."))
                return redirect("catalog:product_edit", product_id=product.pk)
        product.refresh_from_db()
    skus = selectors.product_skus(product=product)
    images = selectors.product_images(product=product)
    return render(
        request,
        "catalog/product_edit.html",
        {
            "product": product,
            "form": form,
            "skus": skus,
            "images": images,
            "image_form": ImageForm(),
            "editable": editable,
            "can_trade": merchant_can_trade(organization=request.organization),
            "missing": services.publish_missing(product)
            if product.state in (ListingState.DRAFT, ListingState.PAUSED)
            else [],
            "takedowns": listing_rules.takedowns_of_merchant(
                organization=request.organization, product=product
            ),
            "appeal_form": listing_rules.appeal_form(),
            "can_appeal": request.membership.has_role(Role.STAFF),
        },
        status=400 if request.method == "POST" else 200,
    )


@organization_required(role=Role.STAFF, kinds=MERCHANT)
@require_POST
def product_transition(request, product_id: int, action: str):
    product = selectors.access_product(organization=request.organization, pk=product_id)
    service = {"publish": services.product_publish, "pause": services.product_pause}.get(action)
    if service is None:
        raise Http404
    try:
        product = service(product=product, acting_user=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        if product.state == ListingState.IN_REVIEW:
            messages.warning(request, _held_for_review())
            return redirect("catalog:product_edit", product_id=product.pk)
        messages.success(
            request,
            _("Published: buyers can see it now.")
            if action == "publish"
            else _("Paused: buyers no longer see it."),
        )
    return redirect(_safe_next(request, reverse("catalog:product_edit", args=[product.pk])))


@organization_required(role=Role.STAFF, kinds=MERCHANT)
@require_POST
def bulk_action(request):
    action = request.POST.get("action", "")
    ids = [int(v) for v in request.POST.getlist("product") if v.isdigit()]
    if not ids:
        messages.error(request, _("Select at least one product."))
        return redirect("catalog:manage")
    try:
        done, refused = services.products_bulk_transition(
            organization=request.organization,
            product_ids=ids,
            action=action,
            acting_user=request.user,
        )
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("catalog:manage")
    held = [product for product in done if product.state == ListingState.IN_REVIEW]
    done = [product for product in done if product.state != ListingState.IN_REVIEW]
    for product in held[:10]:
        messages.warning(request, f"{product.reference} · {product.title_en}: {_held_for_review()}")
    if done:
        messages.success(
            request,
            (
                _("%(count)s products published.")
                if action == "publish"
                else _("%(count)s products paused.")
            )
            % {"count": len(done)},
        )
    for product, reason in refused[:10]:
        messages.error(request, f"{product.reference} · {product.title_en}: {reason}")
    if len(refused) > 10:
        messages.error(request, _("%(count)s more were refused.") % {"count": len(refused) - 10})
    return redirect("catalog:manage")


@organization_required(role=Role.STAFF, kinds=MERCHANT)
def sku_create(request, product_id: int):
    product = selectors.access_product(organization=request.organization, pk=product_id)
    form = SKUForm(
        request.POST or None,
        prefix="sku",
        instance=SKU(organization=product.organization),
        hs_code=product.hs_code,
    )
    tiers = tier_formset(request.POST or None)
    if request.method == "POST" and all([form.is_valid(), _tiers_valid(form, tiers)]):
        try:
            services.sku_create(
                product=product,
                values=form.cleaned_data,
                tiers=tiers.tiers(),
                on_hand=form.cleaned_data["on_hand"],
                low_stock_threshold=form.cleaned_data["low_stock_threshold"],
                acting_user=request.user,
            )
        except InvalidPriceTiers as error:
            _set_formset_errors(tiers, error.details.get("errors") or [error.message])
        except ValidationError as error:
            form_add_validation_error(form, error)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("SKU added."))
            return redirect("catalog:product_edit", product_id=product.pk)
    return render(
        request,
        "catalog/sku_form.html",
        {"product": product, "form": form, "tiers": tiers, "sku": None},
        status=400 if request.method == "POST" else 200,
    )


@organization_required(kinds=MERCHANT)
def sku_edit(request, sku_id: int):
    sku = selectors.access_sku(organization=request.organization, pk=sku_id)
    product = sku.product
    editable = request.membership.has_role(Role.STAFF) and product.state != ListingState.TAKEN_DOWN
    form = SKUForm(
        request.POST or None, instance=sku, prefix="sku", with_stock=False, hs_code=product.hs_code
    )
    initial = [
        {"min_quantity": t.min_quantity, "unit_price_usd": t.unit_price_usd}
        for t in sku.tiers.order_by("min_quantity")
    ]
    tiers = tier_formset(request.POST or None, initial=initial, extra=1)
    if request.method == "POST":
        if not editable:
            raise Http404
        if all([form.is_valid(), _tiers_valid(form, tiers)]):
            try:
                services.sku_update(
                    sku=sku, values=form.cleaned_data, tiers=tiers.tiers(), acting_user=request.user
                )
            except InvalidPriceTiers as error:
                _set_formset_errors(tiers, error.details.get("errors") or [error.message])
            except ValidationError as error:
                form_add_validation_error(form, error)
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("SKU saved."))
                return redirect("catalog:product_edit", product_id=product.pk)
    return render(
        request,
        "catalog/sku_form.html",
        {
            "product": product,
            "sku": sku,
            "form": form,
            "tiers": tiers,
            "editable": editable,
            "stock_form": StockForm(initial={"on_hand": sku.inventory.on_hand}),
            "ledger": selectors.sku_ledger(sku=sku),
        },
        status=400 if request.method == "POST" else 200,
    )


@organization_required(role=Role.STAFF, kinds=MERCHANT)
@require_POST
def sku_delete(request, sku_id: int):
    sku = selectors.access_sku(organization=request.organization, pk=sku_id)
    try:
        services.sku_delete(sku=sku, acting_user=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("SKU %(code)s removed.") % {"code": sku.code})
    return redirect("catalog:product_edit", product_id=sku.product_id)


@organization_required(role=Role.STAFF, kinds=MERCHANT)
@require_POST
def stock_update(request, sku_id: int):
    """Set a SKU's stock on hand; with htmx, answer with the refreshed table row."""
    sku = selectors.access_sku(organization=request.organization, pk=sku_id)
    form = StockForm(request.POST)
    error_message = ""
    if form.is_valid():
        try:
            services.inventory_set(
                sku=sku,
                on_hand=form.cleaned_data["on_hand"],
                reason=form.cleaned_data["reason"],
                note=form.cleaned_data.get("note") or "",
                acting_user=request.user,
            )
        except DomainError as error:
            error_message = error.message
    else:
        error_message = " ".join(e for errors in form.errors.values() for e in errors)
    sku = selectors.access_sku(organization=request.organization, pk=sku_id)
    if request.htmx:
        return HttpResponse(
            render_to_string(
                "catalog/_stock_cell.html",
                {"sku": sku, "can_edit": True, "saved": not error_message, "error": error_message},
                request=request,
            ),
            status=200,
        )
    if error_message:
        messages.error(request, error_message)
    else:
        messages.success(request, _("Stock of %(code)s saved.") % {"code": sku.code})
    return redirect(_safe_next(request, reverse("catalog:manage")))


@organization_required(role=Role.STAFF, kinds=MERCHANT)
@require_POST
def image_upload(request, product_id: int):
    product = selectors.access_product(organization=request.organization, pk=product_id)
    form = ImageForm(request.POST, request.FILES)
    if form.is_valid():
        was_active = product.state == ListingState.ACTIVE
        try:
            services.product_image_add(
                product=product,
                upload=form.cleaned_data["image"],
                alt_text=form.cleaned_data.get("alt_text") or "",
                acting_user=request.user,
            )
        except DomainError as error:
            messages.error(request, error.message)
        else:
            if was_active and product.state == ListingState.IN_REVIEW:
                messages.warning(request, _held_for_review())
            else:
                messages.success(request, _("Image added."))
    else:
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return redirect("catalog:product_edit", product_id=product.pk)


@organization_required(role=Role.STAFF, kinds=MERCHANT)
@require_POST
def image_remove(request, image_id: int):
    image = selectors.access_product_image(organization=request.organization, pk=image_id)
    try:
        services.product_image_remove(image=image, acting_user=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Image removed."))
    return redirect("catalog:product_edit", product_id=image.product_id)


# --- Merchants: import and export ----------------------------------------------------------------


@organization_required(kinds=MERCHANT)
def import_page(request):
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if not request.membership.has_role(Role.STAFF):
            raise Http404
        if form.is_valid():
            try:
                job = spreadsheets.import_job_create(
                    organization=request.organization,
                    upload=form.cleaned_data["file"],
                    all_or_nothing=form.cleaned_data["all_or_nothing"],
                    acting_user=request.user,
                )
            except DomainError as error:
                form.add_error("file", error.message)
            else:
                return redirect("catalog:import_job", job_id=job.pk)
    jobs = selectors.merchant_import_jobs(organization=request.organization)
    return render(
        request,
        "catalog/import.html",
        {"form": form, "jobs": jobs},
        status=400 if request.method == "POST" else 200,
    )


@organization_required(kinds=MERCHANT)
def import_job(request, job_id: int):
    job = selectors.access_import_job(organization=request.organization, pk=job_id)
    return render(request, "catalog/import_job.html", {"job": job, "errors": job.row_errors[:500]})


@organization_required(kinds=MERCHANT)
def import_job_progress(request, job_id: int):
    """The progress panel alone, polled by htmx every second until the job finishes."""
    job = selectors.access_import_job(organization=request.organization, pk=job_id)
    return render(
        request, "catalog/_import_progress.html", {"job": job, "errors": job.row_errors[:500]}
    )


@organization_required(kinds=MERCHANT)
def import_job_errors(request, job_id: int):
    job = selectors.access_import_job(organization=request.organization, pk=job_id)
    response = HttpResponse(errors_csv(job), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-errors.csv"'
    return response


@organization_required(kinds=MERCHANT)
@tolerates_lag
def export(request):
    file_format = request.GET.get("format", "csv")
    if file_format not in ImportJob.Format.values:
        raise Http404
    content = export_bytes(organization=request.organization, file_format=file_format)
    content_type = (
        "text/csv; charset=utf-8"
        if file_format == "csv"
        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = (
        f'attachment; filename="{request.organization.slug}-catalogue.{file_format}"'
    )
    return response


# --- Home page panel -----------------------------------------------------------------------------


def home_panel(request) -> str | None:
    summary = selectors.merchant_catalogue_summary(organization=request.organization)
    return render_to_string(
        "catalog/_home_panel.html",
        {
            "summary": summary,
            "can_trade": merchant_can_trade(organization=request.organization),
            "can_edit": request.membership.has_role(Role.STAFF),
        },
        request=request,
    )


# --- Brand protection: reports, moderation, appeals, brands (moderation.views) ------------------
# The product page offers "Report this listing" where moderation's page accepts a report.


def _reporter_may_report(request, product: Product) -> bool:
    return product.state == ListingState.ACTIVE and not (
        request.organization is not None and request.organization.pk == product.organization_id
    )
