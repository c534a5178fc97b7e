"""Demo data of the platform core: the operator, US merchants, Taobao Global buyers, and one
login for every role. ``manage.py seed_demo`` runs this, then each later app's ``demo.seed``.

Everything is keyed by slug or email, so a second run changes nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from allauth.account.models import EmailAddress
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from network.models import ExchangeRate, Membership, Organization, Role, User

DEMO_PASSWORD = "network-demo-2026"
# A fixed TOTP secret for the demo operator, so the printed login works with any
# authenticator app (and `manage.py totp_code` prints the current code).
DEMO_OPERATOR_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

OPERATOR_SLUG = "network-operations"
DEMO_MERCHANT_SLUG = "great-lakes-maple-co"
DEMO_BUYER_SLUG = "hangzhou-westlake-global-store"


@dataclass(frozen=True)
class DemoAccount:
    email: str
    name: str
    organization_slug: str
    role: str


DEMO_ACCOUNTS = [
    DemoAccount("operator@example.com", "Olivia Operator", OPERATOR_SLUG, Role.OWNER),
    DemoAccount("operator.staff@example.com", "Sam Reviewer", OPERATOR_SLUG, Role.STAFF),
    DemoAccount("merchant.owner@example.com", "Mark Maple", DEMO_MERCHANT_SLUG, Role.OWNER),
    DemoAccount("merchant.admin@example.com", "Alice Admin", DEMO_MERCHANT_SLUG, Role.ADMIN),
    DemoAccount("merchant.staff@example.com", "Steve Staff", DEMO_MERCHANT_SLUG, Role.STAFF),
    DemoAccount("merchant.viewer@example.com", "Vera Viewer", DEMO_MERCHANT_SLUG, Role.VIEWER),
    DemoAccount("buyer.owner@example.com", "王丽 Wang Li", DEMO_BUYER_SLUG, Role.OWNER),
    DemoAccount("buyer.admin@example.com", "陈静 Chen Jing", DEMO_BUYER_SLUG, Role.ADMIN),
    DemoAccount("buyer@example.com", "张伟 Zhang Wei", DEMO_BUYER_SLUG, Role.BUYER),
    DemoAccount("buyer.viewer@example.com", "刘洋 Liu Yang", DEMO_BUYER_SLUG, Role.VIEWER),
]

# (name, state) — US merchants across the states the network recruits in.
DEMO_MERCHANTS = [
    ("Great Lakes Maple Co.", "MI"),
    ("Cascadia Botanicals", "OR"),
    ("Driftless Cheese Makers", "WI"),
    ("Sunbelt Vitamins", "FL"),
    ("Little Acorn Baby Goods", "NC"),
    ("Wasatch Outdoor Gear", "UT"),
    ("Brooklyn Knitworks", "NY"),
    ("Lone Star Leather", "TX"),
    ("Napa Valley Pantry", "CA"),
    ("Green Mountain Honey", "VT"),
    ("Ozark Cast Iron", "AR"),
    ("Chesapeake Seafood Snacks", "MD"),
    ("Rocky Mountain Jerky", "CO"),
    ("Bluegrass Bourbon Foods", "KY"),
    ("Aloha Macadamia Farms", "HI"),
    ("Great Plains Grains", "KS"),
    ("Motor City Tools", "MI"),
    ("Pacific Northwest Coffee", "WA"),
    ("Georgia Peach Skincare", "GA"),
    ("Desert Bloom Cosmetics", "AZ"),
    ("Hudson Valley Ceramics", "NY"),
    ("Twin Cities Pet Supply", "MN"),
    ("Carolina Cotton Apparel", "SC"),
    ("Buckeye Kitchenware", "OH"),
    ("Badger State Ginseng", "WI"),
    ("Cape Cod Cranberry Co.", "MA"),
    ("Idaho Potato Crisps", "ID"),
    ("Big Sky Wool", "MT"),
    ("Bayou Spice Traders", "LA"),
    ("Silicon Valley Gadgets", "CA"),
    ("Keystone Pretzels", "PA"),
    ("Sierra Nevada Supplements", "NV"),
]

_BUYER_CITIES = [
    ("杭州", "Hangzhou"),
    ("上海", "Shanghai"),
    ("深圳", "Shenzhen"),
    ("广州", "Guangzhou"),
    ("宁波", "Ningbo"),
    ("成都", "Chengdu"),
    ("北京", "Beijing"),
    ("南京", "Nanjing"),
    ("苏州", "Suzhou"),
    ("武汉", "Wuhan"),
    ("厦门", "Xiamen"),
    ("重庆", "Chongqing"),
]
_BUYER_THEMES = [
    ("美国好物", "US Goods"),
    ("海淘精选", "Global Picks"),
    ("母婴优选", "Mother & Baby"),
    ("健康生活", "Healthy Living"),
    ("户外之家", "Outdoor Home"),
    ("美妆馆", "Beauty House"),
    ("进口食品", "Imported Foods"),
    ("宠物乐园", "Pet Paradise"),
    ("家居馆", "Home Store"),
    ("潮流服饰", "Fashion Hub"),
]
BUYER_COUNT = 320


def _buyer_names() -> list[tuple[str, str]]:
    """(slug, name) of the demo buyers: the demo login's store, then many more."""
    names = [(DEMO_BUYER_SLUG, "Hangzhou Westlake Global Store (杭州西湖全球购)")]
    for number in range(2, BUYER_COUNT + 1):
        city_zh, city_en = _BUYER_CITIES[number % len(_BUYER_CITIES)]
        theme_zh, theme_en = _BUYER_THEMES[number % len(_BUYER_THEMES)]
        english = f"{city_en} {theme_en} Store {number}"
        names.append((slugify(english), f"{english} ({city_zh}{theme_zh}{number}号店)"))
    return names


def _ensure_user(email: str, name: str) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(
            email=email,
            password=DEMO_PASSWORD,
            full_name=name,
            language="zh-hans" if email.startswith("buyer") else "en",
        )
    EmailAddress.objects.get_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    return user


def demo_staff(organization: Organization) -> User:
    """Someone at a merchant who may act for it in other apps' demo data: its first owner,
    admin or staff member, or a desk person made for the demo (the registry's demo merchants
    come without people)."""
    membership = (
        Membership.objects.filter(
            organization=organization, role__in=[Role.OWNER, Role.ADMIN, Role.STAFF]
        )
        .select_related("user")
        .order_by("pk")
        .first()
    )
    if membership:
        return membership.user
    email = f"desk@{organization.slug[:40]}.example"
    user = User.objects.filter(email=email).first() or User.objects.create_user(
        email=email, password=None, full_name=f"{organization.name} desk"
    )
    Membership.objects.get_or_create(
        user=user, organization=organization, defaults={"role": Role.STAFF}
    )
    return user


def _ensure_operator_totp(user: User) -> None:
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP

    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, DEMO_OPERATOR_TOTP_SECRET)


@transaction.atomic
def seed() -> dict[str, int]:
    """Create the core demo data where missing; return how many organisations exist per kind."""
    Organization.objects.get_or_create(
        slug=OPERATOR_SLUG,
        defaults={
            "name": "Network Operations",
            "kind": Organization.Kind.OPERATOR,
            "country": "US",
        },
    )
    existing = set(Organization.objects.values_list("slug", flat=True))
    new_orgs = [
        Organization(name=name, slug=slugify(name), kind=Organization.Kind.MERCHANT, country="US")
        for name, _state in DEMO_MERCHANTS
        if slugify(name) not in existing
    ]
    for slug, name in _buyer_names():
        if slug not in existing:
            new_orgs.append(
                Organization(name=name, slug=slug, kind=Organization.Kind.BUYER, country="CN")
            )
            existing.add(slug)
    Organization.objects.bulk_create(new_orgs, ignore_conflicts=True)

    organizations = {
        o.slug: o
        for o in Organization.objects.filter(
            slug__in={account.organization_slug for account in DEMO_ACCOUNTS}
        )
    }
    for account in DEMO_ACCOUNTS:
        user = _ensure_user(account.email, account.name)
        Membership.objects.get_or_create(
            user=user,
            organization=organizations[account.organization_slug],
            defaults={"role": account.role},
        )
        if account.organization_slug == OPERATOR_SLUG:
            _ensure_operator_totp(user)
    if not ExchangeRate.objects.exists():
        today = timezone.localdate()
        for days_ago, rate in [(14, "7.1260"), (7, "7.1185"), (0, "7.1042")]:
            ExchangeRate.objects.create(
                base="USD",
                quote="CNY",
                rate=Decimal(rate),
                effective_date=today - timedelta(days=days_ago),
                set_by=User.objects.filter(email="operator@example.com").first(),
            )
    return {
        kind: Organization.objects.filter(kind=kind).count() for kind in Organization.Kind.values
    }


def merchant_state(name: str) -> str:
    """The demo merchant's US state, for apps that seed merchant profiles."""
    return dict(DEMO_MERCHANTS)[name]
