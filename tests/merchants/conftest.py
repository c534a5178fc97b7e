import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from merchants.demo import demo_pdf, demo_png
from merchants.models import ApplicationStatus, BrandClaim, MerchantApplication, MerchantDocument
from network.models import Organization, Role
from tests.factories import OrganizationFactory, member


def pdf_upload(name="registration.pdf", title="Articles of Organization"):
    return SimpleUploadedFile(name, demo_pdf(title), content_type="application/pdf")


def png_upload(name="insurance.png"):
    return SimpleUploadedFile(name, demo_png("Insurance"), content_type="image/png")


def jpeg_upload(name="w9.jpg"):
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


COMPLETE = {
    "legal_name": "Great Lakes Maple Co. Inc.",
    "dba": "Great Lakes Maple",
    "ein": "38-1234567",
    "state_of_incorporation": "MI",
    "address_line1": "1 Woodward Ave",
    "city": "Detroit",
    "state": "MI",
    "postal_code": "48226",
    "website": "https://maple.example",
    "contact_name": "Mark Maple",
    "contact_phone": "+13135550100",
    "year_founded": 1987,
    "employee_band": "10-49",
    "revenue_band": "1-10m",
    "categories": ["food"],
    "export_experience": "some",
    "fulfilment": "own",
    "fulfilment_address": "",
}


@pytest.fixture
def merchant_org():
    return OrganizationFactory(name="Great Lakes Maple Co.", slug="great-lakes-maple-co")


@pytest.fixture
def merchant_owner(merchant_org):
    return member(merchant_org, Role.OWNER, email="owner@maple.example")


@pytest.fixture
def operator_org():
    return OrganizationFactory(name="Network Operations", kind=Organization.Kind.OPERATOR)


@pytest.fixture
def operator(operator_org):
    from allauth.mfa.totp.internal.auth import TOTP

    user = member(operator_org, Role.STAFF, email="reviewer@network.example")
    TOTP.activate(user, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    return user


def make_application(organization, status=ApplicationStatus.DRAFT, with_documents=True, **fields):
    from django_scopes import scopes_disabled

    from merchants.models import MerchantDocument as Doc

    with scopes_disabled():
        application = MerchantApplication.objects.create(
            organization=organization, status=status, **{**COMPLETE, **fields}
        )
        BrandClaim.objects.create(
            application=application,
            name="Great Lakes",
            relationship="owner",
            trademark_number="5123456",
        )
        if with_documents:
            for kind, upload, ctype in [
                (Doc.Kind.REGISTRATION, pdf_upload(), "application/pdf"),
                (Doc.Kind.W9, pdf_upload("w9.pdf", "W-9"), "application/pdf"),
                (Doc.Kind.INSURANCE, png_upload(), "image/png"),
            ]:
                document = MerchantDocument(
                    application=application,
                    kind=kind,
                    original_name=upload.name,
                    content_type=ctype,
                    size=upload.size,
                    sha256="0" * 64,
                )
                document.file.save("upload", upload, save=False)
                document.save()
    return application


@pytest.fixture
def complete_application(merchant_org, merchant_owner):
    return make_application(merchant_org)
