"""Demo merchant applications in every state, with documents. Idempotent: an organisation that
already has an application is left as it is."""

from __future__ import annotations

import hashlib
import io
import random
from datetime import timedelta

from django.core.files.base import ContentFile
from django.utils import timezone
from django.utils.text import slugify

from merchants.models import (
    ApplicationStatus,
    Badge,
    BrandClaim,
    MerchantApplication,
    MerchantDocument,
    ProductCategory,
)
from network.demo import DEMO_MERCHANTS
from network.models import Organization, User

C = ProductCategory
CATEGORIES = {
    "Great Lakes Maple Co.": [C.FOOD],
    "Cascadia Botanicals": [C.BEAUTY, C.HEALTH],
    "Driftless Cheese Makers": [C.FOOD],
    "Sunbelt Vitamins": [C.HEALTH],
    "Little Acorn Baby Goods": [C.BABY],
    "Wasatch Outdoor Gear": [C.OUTDOOR, C.APPAREL],
    "Brooklyn Knitworks": [C.APPAREL],
    "Lone Star Leather": [C.APPAREL],
    "Napa Valley Pantry": [C.FOOD],
    "Green Mountain Honey": [C.FOOD, C.HEALTH],
    "Ozark Cast Iron": [C.HOME],
    "Chesapeake Seafood Snacks": [C.FOOD],
    "Rocky Mountain Jerky": [C.FOOD, C.PET],
    "Bluegrass Bourbon Foods": [C.FOOD],
    "Aloha Macadamia Farms": [C.FOOD],
    "Great Plains Grains": [C.FOOD],
    "Motor City Tools": [C.TOOLS],
    "Pacific Northwest Coffee": [C.FOOD],
    "Georgia Peach Skincare": [C.BEAUTY],
    "Desert Bloom Cosmetics": [C.BEAUTY],
    "Hudson Valley Ceramics": [C.HOME],
    "Twin Cities Pet Supply": [C.PET],
    "Carolina Cotton Apparel": [C.APPAREL, C.BABY],
    "Buckeye Kitchenware": [C.HOME],
    "Badger State Ginseng": [C.HEALTH],
    "Cape Cod Cranberry Co.": [C.FOOD, C.HEALTH],
    "Idaho Potato Crisps": [C.FOOD],
    "Big Sky Wool": [C.APPAREL, C.OUTDOOR],
    "Bayou Spice Traders": [C.FOOD],
    "Silicon Valley Gadgets": [C.ELECTRONICS],
    "Keystone Pretzels": [C.FOOD],
    "Sierra Nevada Supplements": [C.HEALTH],
}
# Everyone not named here is approved.
STATUSES = {
    "Sierra Nevada Supplements": ApplicationStatus.SUBMITTED,
    "Keystone Pretzels": ApplicationStatus.SUBMITTED,
    "Silicon Valley Gadgets": ApplicationStatus.SUBMITTED,
    "Bayou Spice Traders": ApplicationStatus.IN_REVIEW,
    "Big Sky Wool": ApplicationStatus.IN_REVIEW,
    "Idaho Potato Crisps": ApplicationStatus.CHANGES_REQUESTED,
    "Desert Bloom Cosmetics": ApplicationStatus.REJECTED,
    "Lone Star Leather": ApplicationStatus.SUSPENDED,
    "Cape Cod Cranberry Co.": ApplicationStatus.DRAFT,
    "Badger State Ginseng": ApplicationStatus.DRAFT,
}
STREETS = ["Main", "Market", "Commerce", "Industrial", "Harbor"]
CITIES = {
    "MI": "Detroit",
    "OR": "Portland",
    "WI": "Madison",
    "FL": "Tampa",
    "NC": "Raleigh",
    "UT": "Salt Lake City",
    "NY": "Brooklyn",
    "TX": "Austin",
    "CA": "Sacramento",
    "VT": "Burlington",
    "AR": "Fayetteville",
    "MD": "Baltimore",
    "CO": "Denver",
    "KY": "Louisville",
    "HI": "Hilo",
    "KS": "Wichita",
    "WA": "Seattle",
    "GA": "Savannah",
    "AZ": "Phoenix",
    "MN": "Minneapolis",
    "SC": "Charleston",
    "OH": "Columbus",
    "MA": "Hyannis",
    "ID": "Boise",
    "MT": "Bozeman",
    "LA": "New Orleans",
    "PA": "Lancaster",
    "NV": "Reno",
}
ZIPS = {
    "MI": "48226",
    "OR": "97204",
    "WI": "53703",
    "FL": "33602",
    "NC": "27601",
    "UT": "84101",
    "NY": "11201",
    "TX": "78701",
    "CA": "95814",
    "VT": "05401",
    "AR": "72701",
    "MD": "21202",
    "CO": "80202",
    "KY": "40202",
    "HI": "96720",
    "KS": "67202",
    "WA": "98101",
    "GA": "31401",
    "AZ": "85004",
    "MN": "55401",
    "SC": "29401",
    "OH": "43215",
    "MA": "02601",
    "ID": "83702",
    "MT": "59715",
    "LA": "70112",
    "PA": "17602",
    "NV": "89501",
}


def demo_pdf(title: str) -> bytes:
    """A small, valid one-page PDF naming the document (readable by any PDF viewer)."""
    text = title.replace("(", "[").replace(")", "]")
    stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(
        b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    )
    return out.getvalue()


def demo_png(label: str) -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (640, 400), "#f5f7fa")
    draw = ImageDraw.Draw(image)
    draw.rectangle([20, 20, 620, 380], outline="#12355b", width=4)
    draw.text((50, 60), label, fill="#12355b")
    draw.text((50, 100), "Certificate of insurance - product liability", fill="#1b2430")
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def _add_document(
    application: MerchantApplication,
    kind: str,
    name: str,
    content: bytes,
    content_type: str,
    user: User | None,
) -> None:
    document = MerchantDocument(
        application=application,
        kind=kind,
        original_name=name,
        content_type=content_type,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        uploaded_by=user,
    )
    document.file.save("upload", ContentFile(content), save=False)
    document.save()


def seed() -> dict[str, int]:
    rng = random.Random(7)
    now = timezone.now()
    operator = User.objects.filter(email="operator.staff@example.com").first()
    created = 0
    for index, (name, state) in enumerate(DEMO_MERCHANTS):
        organization = Organization.objects.filter(slug=slugify(name)).first()
        if (
            organization is None
            or MerchantApplication.objects.filter(organization=organization).exists()
        ):
            continue
        status = STATUSES.get(name, ApplicationStatus.APPROVED)
        submitted = now - timedelta(days=rng.randint(40, 400))
        if status in (ApplicationStatus.SUBMITTED, ApplicationStatus.IN_REVIEW):
            submitted = now - timedelta(hours=rng.randint(3, 90))
        owner = organization.memberships.order_by("pk").first()
        application = MerchantApplication.objects.create(
            organization=organization,
            status=status,
            legal_name=f"{name.rstrip('.')} LLC" if not name.endswith("Co.") else f"{name} Inc.",
            ein=f"{rng.choice(['27', '38', '45', '46', '47', '81', '83', '84', '88'])}-"
            f"{rng.randint(1000000, 9999999)}",
            state_of_incorporation=state,
            address_line1=f"{rng.randint(10, 9900)} {rng.choice(STREETS)} St",
            city=CITIES[state],
            state=state,
            postal_code=ZIPS[state],
            website=f"https://www.{slugify(name).replace('-', '')}.example",
            contact_name=owner.user.display_name if owner else "Jordan Lee",
            contact_phone=f"+1 313 555 {index:04d}",
            year_founded=rng.randint(1948, 2019),
            employee_band=rng.choice(["1-9", "10-49", "10-49", "50-249"]),
            revenue_band=rng.choice(["<1m", "1-10m", "1-10m", "10-50m"]),
            categories=CATEGORIES.get(name, [C.FOOD]),
            export_experience=rng.choice(["none", "some", "china"]),
            fulfilment=rng.choice(["own", "3pl"]),
            fulfilment_address=f"{rng.randint(100, 999)} Logistics Pkwy, {CITIES[state]}, {state}",
            submitted_at=None if status == ApplicationStatus.DRAFT else submitted,
            submission_count=0 if status == ApplicationStatus.DRAFT else 1,
            reviewer=operator if status != ApplicationStatus.SUBMITTED else None,
        )
        if status in (ApplicationStatus.APPROVED, ApplicationStatus.SUSPENDED):
            application.approved_at = application.decided_at = submitted + timedelta(days=1)
            for check in MerchantApplication.CHECKLIST:
                setattr(application, check, True)
            application.badges = [Badge.VERIFIED]
        if status == ApplicationStatus.SUSPENDED:
            application.suspension_reason = "3 active strikes within twelve months."
        if status == ApplicationStatus.IN_REVIEW:
            application.check_identity = application.check_ein = True
        if status == ApplicationStatus.CHANGES_REQUESTED:
            application.decision_reason = (
                "The W-9 form is unsigned. Upload a signed copy and resubmit."
            )
            application.decided_at = submitted + timedelta(days=1)
        if status == ApplicationStatus.REJECTED:
            application.decision_reason = (
                "The brand authorisation letters could not be verified with the brand owners."
            )
            application.decided_at = submitted + timedelta(days=2)
        application.save()
        brand = name.split()[0] + " " + name.split()[1] if len(name.split()) > 2 else name
        BrandClaim.objects.create(
            application=application,
            name=brand.rstrip(".,"),
            relationship=BrandClaim.Relationship.OWNER,
            trademark_number=str(rng.randint(4000000, 7999999)),
        )
        user = owner.user if owner else None
        if status != ApplicationStatus.DRAFT or index % 2:
            _add_document(
                application,
                MerchantDocument.Kind.REGISTRATION,
                "articles-of-organization.pdf",
                demo_pdf(f"Articles of Organization - {application.legal_name}"),
                "application/pdf",
                user,
            )
            _add_document(
                application,
                MerchantDocument.Kind.W9,
                "w9.pdf",
                demo_pdf(f"Form W-9 - {application.legal_name} - EIN {application.ein}"),
                "application/pdf",
                user,
            )
            _add_document(
                application,
                MerchantDocument.Kind.INSURANCE,
                "insurance.png",
                demo_png(f"{application.legal_name}"),
                "image/png",
                user,
            )
        created += 1
    return {
        status: MerchantApplication.objects.filter(status=status).count()
        for status in ApplicationStatus.values
    }
