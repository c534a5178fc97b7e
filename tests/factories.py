"""factory_boy factories shared by every app's tests."""

from __future__ import annotations

import factory
from allauth.account.models import EmailAddress

from network.models import Membership, Organization, Role, User

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    full_name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def verified(obj, create, extracted, **kwargs):
        obj.save()
        if create and extracted is not False:
            EmailAddress.objects.create(user=obj, email=obj.email, verified=True, primary=True)


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Organisation {n}")
    slug = factory.Sequence(lambda n: f"organisation-{n}")
    kind = Organization.Kind.MERCHANT
    country = factory.LazyAttribute(lambda o: "CN" if o.kind == Organization.Kind.BUYER else "US")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organization = factory.SubFactory(OrganizationFactory)
    role = Role.OWNER


def member(organization: Organization, role: str = Role.OWNER, **user_fields) -> User:
    """A new person who belongs to ``organization`` with ``role``."""
    return MembershipFactory(
        organization=organization, role=role, user=UserFactory(**user_fields)
    ).user


TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def operator(role: str = Role.STAFF, **user_fields) -> User:
    """A network operator with a TOTP authenticator (operators must have one)."""
    from allauth.mfa.totp.internal.auth import TOTP

    organization = Organization.objects.filter(
        kind=Organization.Kind.OPERATOR
    ).first() or OrganizationFactory(name="Network Operations", kind=Organization.Kind.OPERATOR)
    user = member(organization, role, **user_fields)
    TOTP.activate(user, TOTP_SECRET)
    return user


def sign_in(client, user: User) -> None:
    """Log ``user`` in on the test ``client`` as the login form does after the second factor:
    the session holds allauth's record of an accepted TOTP code, which operators and staff need
    for operator pages, the admin and the API. Sets up TOTP for ``user`` if they have none."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP
    from django.http import HttpRequest

    from network.second_factor import second_factor_record

    authenticator = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if authenticator is None:
        authenticator = TOTP.activate(user, TOTP_SECRET).instance
    client.force_login(user)
    request = HttpRequest()
    request.user = user
    request.session = client.session
    second_factor_record(request, authenticator=authenticator)
    request.session.save()
