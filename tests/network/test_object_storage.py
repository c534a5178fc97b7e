"""Uploads on S3-compatible object storage, against a real SeaweedFS (``tests/objectstore.py``):
private files land in the private bucket and reach only their parties, through a signed link
that expires; public ones land in the public bucket, readable by anyone; ``move_files`` copies
the local folders' files once; and half a configuration stops the start."""

from __future__ import annotations

import io
import time

import httpx
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.urls import reverse
from django_scopes import scopes_disabled

from catalog.models import ProductImage
from merchants import services as merchant_services
from merchants.models import MerchantDocument
from network.models import Organization, Role
from network.settings import object_storages
from network.storage import private_file_response
from tests.catalog.factories import merchant, product
from tests.factories import OrganizationFactory, member
from tests.merchants.conftest import pdf_upload
from tests.objectstore import use_object_store

pytestmark = pytest.mark.django_db

EXPIRY_DEADLINE_SECONDS = 10
PDF = "application/pdf"


def _applicant():
    organization = OrganizationFactory(
        name="Great Lakes Maple Co.", kind=Organization.Kind.MERCHANT
    )
    return organization, member(organization, Role.OWNER)


def _document(organization, owner, name="registration.pdf") -> MerchantDocument:
    application = merchant_services.application_start(organization=organization, acting_user=owner)
    return merchant_services.document_upload(
        application=application, kind="registration", uploaded=pdf_upload(name), acting_user=owner
    )


def test_a_kyc_document_is_kept_in_the_private_bucket_and_reaches_its_owner_only(
    object_store, client
):
    organization, owner = _applicant()
    client.force_login(owner)
    upload = pdf_upload()
    content = upload.read()
    upload.seek(0)
    response = client.post(
        reverse("merchants:document_upload"), {"kind": "registration", "file": upload}
    )
    assert response.status_code == 302
    with scopes_disabled():
        document = MerchantDocument.objects.get()
    stored = object_store.client.head_object(
        Bucket=object_store.private_bucket, Key=document.file.name
    )
    assert stored["ContentLength"] == len(content)
    assert object_store.keys(object_store.public_bucket) == []

    answer = client.get(reverse("merchants:document_file", args=[document.pk]))
    assert answer.status_code == 302
    assert answer["Cache-Control"] == "private, no-store"
    signed = httpx.get(answer["Location"])
    assert signed.status_code == 200
    assert signed.content == content
    assert signed.headers["Content-Type"] == "application/pdf"
    assert signed.headers["Content-Disposition"] == f'inline; filename="document-{document.pk}"'

    # Without the signature the private bucket refuses it.
    plain = f"{object_store.endpoint_url}/{object_store.private_bucket}/{document.file.name}"
    assert httpx.get(plain).status_code == 403

    outsider = member(OrganizationFactory(name="Cascadia Botanicals"), Role.OWNER)
    client.force_login(outsider)
    refused = client.get(reverse("merchants:document_file", args=[document.pk]))
    assert refused.status_code in (403, 404)
    assert "Location" not in refused
    assert object_store.endpoint_url not in refused.content.decode()


def test_a_signed_link_names_the_file_for_the_download_and_stops_working(object_store, settings):
    organization, owner = _applicant()
    document = _document(organization, owner)
    answer = private_file_response(
        document.file,
        as_attachment=True,
        filename="营业执照 2024.pdf",
        content_type="application/pdf",
    )
    fetched = httpx.get(answer["Location"])
    assert fetched.status_code == 200
    assert fetched.headers["Content-Disposition"] == (
        "attachment; filename*=utf-8''%E8%90%A5%E4%B8%9A%E6%89%A7%E7%85%A7%202024.pdf"
    )

    settings.S3_SIGNED_URL_SECONDS = 1
    short_lived = private_file_response(document.file, content_type=PDF)
    deadline = time.monotonic() + EXPIRY_DEADLINE_SECONDS
    while (fetched := httpx.get(short_lived["Location"])).status_code == 200:
        assert time.monotonic() < deadline, "the signed link still works"
        time.sleep(0.1)
    assert fetched.status_code == 403
    assert "expired" in fetched.text


def test_a_product_image_is_kept_in_the_public_bucket_for_anyone_to_read(object_store):
    organization, owner = merchant()
    listing = product(organization, owner)
    with scopes_disabled():
        image = ProductImage.objects.get(product=listing)
    assert sorted(object_store.keys(object_store.public_bucket)) == sorted(
        [image.image.name, image.thumbnail.name]
    )
    assert object_store.keys(object_store.private_bucket) == []
    fetched = httpx.get(image.image.url)
    assert fetched.status_code == 200
    assert fetched.headers["Content-Type"] == "image/jpeg"
    with image.image.open("rb") as handle:
        assert fetched.content == handle.read()
    assert "X-Amz-Signature" not in image.image.url


def test_move_files_copies_each_kind_to_its_bucket_once_and_lists_rows_without_a_file(
    object_store_process, settings, monkeypatch
):
    store = object_store_process
    store.empty()
    organization, owner = merchant()
    listing = product(organization, owner)
    applicant, applicant_owner = _applicant()
    document = _document(applicant, applicant_owner)
    lost = _document(applicant, applicant_owner, name="lost.pdf")
    lost.file.storage.delete(lost.file.name)
    with scopes_disabled():
        image = ProductImage.objects.get(product=listing)

    use_object_store(store, settings, monkeypatch)
    dry_run = _move_files("--dry-run")
    assert "Public files: 2 to copy, 0 already there, 0 missing." in dry_run
    assert store.keys(store.public_bucket) == store.keys(store.private_bucket) == []

    first = _move_files()
    assert "Public files: 2 copied, 0 already there, 0 missing." in first
    assert "Private files: 1 copied, 0 already there, 1 missing." in first
    assert f"Missing: merchants.MerchantDocument.file {lost.file.name} (row {lost.pk})" in first
    assert store.keys(store.public_bucket) == sorted([image.image.name, image.thumbnail.name])
    assert store.keys(store.private_bucket) == [document.file.name]
    with document.file.open("rb") as handle:
        assert handle.read().startswith(b"%PDF-")

    second = _move_files()
    assert "Public files: 0 copied, 2 already there, 0 missing." in second
    assert "Private files: 0 copied, 1 already there, 1 missing." in second


def test_move_files_refuses_without_a_bucket():
    with pytest.raises(CommandError, match="No bucket is configured"):
        call_command("move_files")


def test_a_bucket_named_without_the_endpoint_and_keys_stops_the_start(monkeypatch, tmp_path):
    monkeypatch.setenv("S3_PUBLIC_BUCKET", "network-public")
    with pytest.raises(ImproperlyConfigured) as caught:
        object_storages()
    for missing in ("S3_PRIVATE_BUCKET", "S3_ENDPOINT_URL", "S3_ACCESS_KEY_ID"):
        assert missing in str(caught.value)

    secret = tmp_path / "s3-secret"
    secret.write_text("from-a-docker-secret\n")
    monkeypatch.setenv("S3_PRIVATE_BUCKET", "network-private")
    monkeypatch.setenv("S3_ENDPOINT_URL", "https://objects.example")
    monkeypatch.setenv("S3_ACCESS_KEY_ID", "network")
    monkeypatch.setenv("S3_SECRET_ACCESS_KEY_FILE", str(secret))
    configured = object_storages()
    assert configured["private"]["OPTIONS"]["secret_key"] == "from-a-docker-secret"
    assert configured["private"]["OPTIONS"]["querystring_auth"] is True
    assert configured["default"]["OPTIONS"]["querystring_auth"] is False


def _move_files(*arguments: str) -> str:
    out = io.StringIO()
    call_command("move_files", *arguments, stdout=out)
    return out.getvalue()
