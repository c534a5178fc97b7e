"""``network.api.StaticModelSerializer`` introspects its model once per class and gives every
serializer its own fields, answering exactly as DRF's ModelSerializer does."""

from __future__ import annotations

import pytest
from rest_framework import serializers

from network.api import StaticModelSerializer, StaticSerializer
from network.models import Organization


class _PlainSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display")

    class Meta:
        model = Organization
        fields = ["id", "name", "slug", "kind", "kind_label", "country"]


class _StaticSerializer(StaticModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display")

    class Meta(_PlainSerializer.Meta):
        pass


class _StaticChild(_StaticSerializer):
    class Meta(_StaticSerializer.Meta):
        fields = ["id", "name"]


@pytest.mark.django_db
def test_the_model_is_read_once_and_every_serializer_has_its_own_fields(monkeypatch):
    organization = Organization.objects.create(
        name="Great Lakes Maple Co.", slug="great-lakes-maple", kind="merchant", country="US"
    )
    monkeypatch.delattr(_StaticSerializer, "_fields_built", raising=False)
    built = []
    original = serializers.ModelSerializer.build_field
    monkeypatch.setattr(
        serializers.ModelSerializer,
        "build_field",
        lambda self, *args: built.append(args[0]) or original(self, *args),
    )
    first, second = _StaticSerializer(organization), _StaticSerializer(organization)
    assert first.data == second.data == _PlainSerializer(organization).data
    # Five model fields: built once for the class (not once per serializer), and once by the
    # plain serializer.
    assert len(built) == 10
    assert first.fields["name"] is not second.fields["name"]
    assert first.fields["name"].parent is first and second.fields["name"].parent is second
    # A subclass with other fields builds its own, once.
    assert _StaticChild(organization).data == {"id": organization.pk, "name": organization.name}
    assert set(_StaticSerializer(organization).data) == {
        "id", "name", "slug", "kind", "kind_label", "country",
    }  # fmt: skip


class _Item(StaticSerializer):
    sku_id = serializers.IntegerField(min_value=1)
    tags = serializers.ListField(child=serializers.CharField(max_length=5), required=False)


class _Order(StaticSerializer):
    reference = serializers.CharField(max_length=10)
    lines = _Item(many=True)


class _PlainOrder(serializers.Serializer):
    reference = serializers.CharField(max_length=10)
    lines = _Item(many=True)


def test_plain_fields_are_copied_shallow_and_fields_holding_others_deep():
    first, second = _Order(), _Order()
    assert first.fields["reference"] is not second.fields["reference"]
    assert first.fields["reference"].parent is first and second.fields["reference"].parent is second
    # A nested serializer is copied deep: each has its own child and its child's own fields.
    assert first.fields["lines"].child is not second.fields["lines"].child
    first_tags = first.fields["lines"].child.fields["tags"]
    second_tags = second.fields["lines"].child.fields["tags"]
    assert first_tags.child is not second_tags.child
    assert first_tags.child.parent is first_tags


@pytest.mark.parametrize(
    "data",
    [
        {"reference": "PO-1", "lines": [{"sku_id": 3, "tags": ["a"]}, {"sku_id": 4}]},
        {"reference": "x" * 11, "lines": [{"sku_id": 0, "tags": ["toolong"]}]},
        {"lines": "not a list"},
    ],
)
def test_a_static_serializer_validates_as_drf_does(data):
    static, plain = _Order(data=data), _PlainOrder(data=data)
    assert static.is_valid() == plain.is_valid()
    assert static.errors == plain.errors
    assert static.validated_data == plain.validated_data
