"""Operators' pages of the China tariff table: the list with its filter, a row added or
corrected (effective-dated), a CSV file of rows."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from catalog import selectors
from catalog.errors import TariffLineRejected
from catalog.forms_tariffs import TariffFilterForm, TariffImportForm, TariffLineForm
from catalog.services.tariffs import tariff_line_save, tariff_lines_import
from network.errors import DomainError
from network.forms import form_add_validation_error
from network.models import Organization, Role
from network.permissions import organization_required
from network.selectors import exchange_rate_day

OPERATOR = [Organization.Kind.OPERATOR]


def _list_context(request, import_form=None) -> dict:
    filters = TariffFilterForm(request.GET or None)
    cleaned = filters.cleaned_data if filters.is_valid() else {}
    today = exchange_rate_day()
    rows = selectors.tariff_lines_search(
        query=cleaned.get("q") or "",
        positive_list=bool(cleaned.get("positive_list")),
        in_force_on=None if cleaned.get("all_rows") else today,
    )
    return {
        "filters": filters,
        "page": Paginator(rows, 50).get_page(request.GET.get("page")),
        "today": today,
        "import_form": import_form or TariffImportForm(),
    }


@organization_required(role=Role.STAFF, kinds=OPERATOR)
def tariff_lines(request):
    """The table: the rows in force today (or every row), by code, HS-6 or description."""
    return render(request, "catalog/tariffs/list.html", _list_context(request))


@organization_required(role=Role.STAFF, kinds=OPERATOR)
def tariff_line_edit(request, tariff_id: int | None = None):
    """Add a row (``?code=`` starts a new row for a code from its row in force) or correct
    one."""
    line = selectors.access_tariff_line(pk=tariff_id) if tariff_id else None
    initial = {"effective_from": exchange_rate_day()}
    if line is None and request.GET.get("code"):
        base = selectors.tariff_lines_search(query=request.GET["code"]).first()
        if base is not None:
            initial = {**TariffLineForm(instance=base).initial, **initial}
    form = TariffLineForm(request.POST or None, instance=line, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = tariff_line_save(values=form.cleaned_data, line=line, acting_user=request.user)
        except ValidationError as error:
            form_add_validation_error(form, error)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Saved tariff line %(line)s.") % {"line": saved})
            return redirect("catalog:tariff_lines")
    return render(
        request,
        "catalog/tariffs/form.html",
        {"form": form, "line": line},
        status=400 if request.method == "POST" else 200,
    )


@require_POST
@organization_required(role=Role.STAFF, kinds=OPERATOR)
def tariff_lines_upload(request):
    """A CSV file of rows, all or none saved; the refusal lists each bad line."""
    form = TariffImportForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            result = tariff_lines_import(text=form.cleaned_data["file"], acting_user=request.user)
        except TariffLineRejected as error:
            for message in error.details.get("errors") or [error.message]:
                form.add_error(None, message)
        else:
            messages.success(
                request,
                _("Tariff file saved: %(created)s rows added, %(updated)s corrected.")
                % {"created": result.created, "updated": result.updated},
            )
            return redirect("catalog:tariff_lines")
    return render(
        request, "catalog/tariffs/list.html", _list_context(request, import_form=form), status=400
    )
