"""Documents are checked by content, limited in size, renamed, stored privately, and served only
to their organisation and to operators."""

from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_scopes import scopes_disabled

from merchants.models import MerchantDocument
from network.models import Organization, Role
from tests.factories import OrganizationFactory, member, sign_in
from tests.merchants.conftest import jpeg_upload, pdf_upload, png_upload

pytestmark = pytest.mark.django_db


def _stored_files() -> list[Path]:
    root = Path(settings.PRIVATE_MEDIA_ROOT)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def _upload(client, upload, kind="registration"):
    return client.post(reverse("merchants:document_upload"), {"kind": kind, "file": upload})


@pytest.fixture
def private_root(settings):
    return Path(settings.PRIVATE_MEDIA_ROOT)


@pytest.mark.parametrize("upload", [pdf_upload, png_upload, jpeg_upload])
def test_a_real_pdf_png_or_jpeg_is_stored_under_a_new_name(
    client, merchant_org, merchant_owner, private_root, upload
):
    client.force_login(merchant_owner)
    response = _upload(client, upload())
    assert response.status_code == 302
    with scopes_disabled():
        document = MerchantDocument.objects.get()
    stored = Path(document.file.path)
    assert stored.is_relative_to(private_root)
    assert document.original_name not in stored.name
    assert not stored.is_relative_to(Path(settings.STATIC_ROOT))
    assert not stored.is_relative_to(Path(settings.MEDIA_ROOT))


def test_an_executable_renamed_to_pdf_is_refused_and_nothing_is_stored(
    client, merchant_org, merchant_owner, private_root
):
    client.force_login(merchant_owner)
    elf = SimpleUploadedFile(
        "invoice.pdf", b"\x7fELF\x02\x01\x01" + b"\x00" * 200, content_type="application/pdf"
    )
    response = _upload(client, elf)
    assert response.status_code == 400
    assert "Only PDF, PNG or JPEG files are accepted" in response.content.decode()
    with scopes_disabled():
        assert MerchantDocument.objects.count() == 0
    assert _stored_files() == []


def test_a_file_that_only_starts_like_a_pdf_is_refused(
    client, merchant_org, merchant_owner, private_root
):
    client.force_login(merchant_owner)
    fake = SimpleUploadedFile("w9.pdf", b"%PDF-1.7\n" + b"MZ\x90\x00" * 100)
    response = _upload(client, fake, kind="w9")
    assert "cannot be read" in response.content.decode()
    with scopes_disabled():
        assert MerchantDocument.objects.count() == 0
    assert _stored_files() == []


def test_an_oversized_file_is_refused(client, merchant_org, merchant_owner, private_root, settings):
    settings.MERCHANT_DOCUMENT_MAX_BYTES = 1024
    client.force_login(merchant_owner)
    response = _upload(client, png_upload())
    assert "the limit is 1.0\xa0KB." in response.content.decode()
    with scopes_disabled():
        assert MerchantDocument.objects.count() == 0
    assert _stored_files() == []


def test_documents_are_served_to_the_owner_and_operators_only(
    client, complete_application, merchant_owner, operator, private_root
):
    with scopes_disabled():
        document = complete_application.documents.get(kind="w9")
    url = reverse("merchants:document_file", args=[document.pk])

    client.force_login(merchant_owner)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF-")

    sign_in(client, operator)
    assert client.get(url).status_code == 200

    other_merchant = member(OrganizationFactory(name="Cascadia Botanicals"), Role.OWNER)
    buyer = member(OrganizationFactory(kind=Organization.Kind.BUYER), Role.OWNER)
    for outsider in (other_merchant, buyer):
        client.force_login(outsider)
        assert client.get(url).status_code in (403, 404)
    client.logout()
    response = client.get(url)
    assert response.status_code == 302 and "login" in response["Location"]
    # Nothing under the public media or static paths points at the file.
    assert client.get(f"/media/{document.file.name}").status_code == 404


def test_a_stored_file_is_removed_when_the_upload_is_rolled_back(
    merchant_org, merchant_owner, private_root, monkeypatch
):
    """A failure after the file reached storage (here the audit write) rolls the upload back,
    and the file goes with it: no row, no orphaned KYC document on disk."""
    from merchants import services
    from merchants.services import documents

    application = services.application_start(organization=merchant_org, acting_user=merchant_owner)
    stored_before = _stored_files()

    def audit_fails(**_kwargs):
        assert len(_stored_files()) == len(stored_before) + 1  # the file was written
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(documents, "audit", audit_fails)  # the upload's own module
    with pytest.raises(RuntimeError):
        services.document_upload(
            application=application,
            kind="registration",
            uploaded=pdf_upload(),
            acting_user=merchant_owner,
        )
    assert _stored_files() == stored_before
    with scopes_disabled():
        assert not MerchantDocument.objects.exists()
