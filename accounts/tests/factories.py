import factory
from django.utils import timezone

from accounts.models import Admin, PartnerOrg

DEFAULT_PASSWORD = "correct-horse-battery-staple"


class PartnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PartnerOrg

    name = factory.Sequence(lambda n: f"Partner {n}")
    terms_accepted_at = factory.LazyFunction(timezone.now)


class AdminFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Admin
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"admin{n}@example.com")
    partner = factory.SubFactory(PartnerFactory)
    role = "full_admin"
    password = factory.PostGenerationMethodCall("set_password", DEFAULT_PASSWORD)

    @factory.post_generation
    def saved(obj, create, extracted, **kwargs):
        if create:
            obj.save()
