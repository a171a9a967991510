import uuid

import factory

from accounts.tests.factories import PartnerFactory
from customers.models import Customer, Lifecycle, Tag


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    org_id = factory.LazyFunction(uuid.uuid4)
    name = factory.Sequence(lambda n: f"Customer {n:03d}")
    partner = factory.SubFactory(PartnerFactory)
    region = "US"
    lifecycle = Lifecycle.ACTIVE


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag

    partner = factory.SubFactory(PartnerFactory)
    name = factory.Sequence(lambda n: f"tag-{n}")
