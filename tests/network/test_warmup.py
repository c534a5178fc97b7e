"""A web worker does its start-up work before its first request: after ``warm()``, reversing a
name of any namespace in either language builds no table, and the templates are compiled."""

from __future__ import annotations

from django.template import engines
from django.urls import URLResolver, reverse
from django.utils import translation

from network.warmup import warm


def test_after_warming_no_request_builds_a_reversal_table_or_compiles_a_template(monkeypatch):
    warm()
    built = []
    populate = URLResolver._populate

    def counting(resolver):
        built.append(resolver)
        return populate(resolver)

    monkeypatch.setattr(URLResolver, "_populate", counting)
    for language in ("en", "zh-hans"):
        with translation.override(language):
            reverse("merchants:review", args=[1])
            reverse("payments:credit_limits")
            reverse("home")
    assert built == []
    loader = engines["django"].engine.template_loaders[0]
    assert "merchants/review.html" in {key.split("-")[0] for key in loader.get_template_cache}
