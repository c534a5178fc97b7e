"""English and Simplified Chinese from day one: a complete, compiled catalogue, and pages and
mail in the person's language."""

import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.urls import reverse

from tests.factories import OrganizationFactory, member

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES"


def test_the_chinese_catalogue_is_complete_and_has_no_fuzzy_entries():
    po = polib.pofile(str(CATALOGUE / "django.po"))
    untranslated = [entry.msgid for entry in po.untranslated_entries()]
    fuzzy = [entry.msgid for entry in po.fuzzy_entries()]
    assert untranslated == []
    assert fuzzy == []
    assert len(po) > 100


def test_the_compiled_catalogue_matches_the_source():
    po = polib.pofile(str(CATALOGUE / "django.po"))
    mo = polib.mofile(str(CATALOGUE / "django.mo"))
    compiled = {(entry.msgctxt, entry.msgid): entry.msgstr or entry.msgstr_plural for entry in mo}
    source = {
        (entry.msgctxt, entry.msgid): entry.msgstr or entry.msgstr_plural
        for entry in po.translated_entries()
    }
    assert compiled == source, "run `make messages` to recompile django.mo"


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="needs GNU gettext (xgettext)")
def test_every_string_in_the_code_is_in_the_catalogue(tmp_path):
    """Extract the strings again from a copy of the sources; none may be missing."""
    files = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    for name in files:
        if name.endswith((".py", ".html", ".txt")) and not name.startswith("tests/"):
            target = tmp_path / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(ROOT / name, target)
    (tmp_path / "locale" / "zh_Hans" / "LC_MESSAGES").mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            sys.executable,
            "manage.py",
            "makemessages",
            "-l",
            "zh_Hans",
            "--ignore=tests",
            "--no-location",
        ],
        cwd=tmp_path,
        check=True,
        capture_output=True,
        env={**__import__("os").environ, "PYTHONPATH": str(tmp_path)},
    )
    extracted = {
        e.msgid for e in polib.pofile(str(tmp_path / "locale/zh_Hans/LC_MESSAGES/django.po"))
    }
    translated = {e.msgid for e in polib.pofile(str(CATALOGUE / "django.po")).translated_entries()}
    assert sorted(extracted - translated) == []


@pytest.mark.django_db
def test_switching_language_shows_the_site_in_chinese(client):
    person = member(OrganizationFactory(name="Great Lakes Maple Co."))
    client.force_login(person)
    response = client.post(
        reverse("set_language"), {"language": "zh-hans", "next": "/"}, follow=True
    )
    page = response.content.decode()
    assert '<html lang="zh-hans">' in page
    assert "成员" in page
    assert "美国商家全球网络" in page
    person.refresh_from_db()
    assert person.language == "zh-hans"  # kept for their mail as well


@pytest.mark.django_db
def test_an_anonymous_visitor_can_read_the_landing_page_in_chinese(client):
    client.cookies["network_language"] = "zh-hans"
    page = client.get(reverse("home")).content.decode()
    assert "经审核的美国商家批发货源，直达您的淘宝全球购店铺。" in page


@pytest.mark.django_db
def test_a_visitor_switches_language_without_a_token_but_a_signed_in_person_needs_one():
    """A visitor's switch only sets their browser's language cookie (public pages carry no
    token); a signed-in person's switch writes their preferences and is refused without one."""
    from django.test import Client

    visitor = Client(enforce_csrf_checks=True)
    response = visitor.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    assert response.status_code == 302
    assert response.cookies["network_language"].value == "zh-hans"

    person = member(OrganizationFactory(name="Great Lakes Maple Co."))
    signed_in = Client(enforce_csrf_checks=True)
    signed_in.force_login(person)
    refused = signed_in.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    assert refused.status_code == 403
    person.refresh_from_db()
    assert person.language != "zh-hans"

    page = signed_in.get("/").content.decode()
    token = page.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
    accepted = signed_in.post(
        reverse("set_language"),
        {"language": "zh-hans", "next": "/", "csrfmiddlewaretoken": token},
    )
    assert accepted.status_code == 302
    person.refresh_from_db()
    assert person.language == "zh-hans"
