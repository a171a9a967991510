"""Customer list page and API with 20,000 customers in the directory.

Prints p50/p95 server time per filter combination (the request through Django's full stack,
in-process), next to the engine's raw speed for the list's core query in the same run."""

import random
import sys
import uuid
from datetime import timedelta

CUSTOMERS = 20_000
REPEAT = 40
SCENARIOS = {
    "no filter": "",
    "search": "q=north",
    "status": "status=expiring_soon",
    "two statuses + product": "status=trial&status=license_overage&product=calling",
    "tag": "tag={tag}",
    "region + sort by expiry": "region=EU&sort=expiry",
    "paid, sort by severity": "subscription_type=paid&sort=severity",
    "external": "admin=external",
    "everything": "q=a&status=subscription&product=meetings&tag={tag}&region=US&sort=-created",
    "deep page": "page=300",
}


def populate() -> dict[str, object]:
    from django.utils import timezone

    from accounts.models import AccessKind, Admin, CustomerAccess, PartnerOrg
    from customers.models import Customer, Lifecycle, Tag, encode_set
    from customers.statuses import CustomerStatus, Product

    rng = random.Random(7)
    now = timezone.now()
    partner = PartnerOrg.objects.create(name="Bench Partner", terms_accepted_at=now)
    other = PartnerOrg.objects.create(name="Other Partner", terms_accepted_at=now)
    full = Admin.objects.create(email="full@bench.example", partner=partner, role="full_admin")
    pam = Admin.objects.create(email="pam@bench.example", partner=partner, role="partner_admin")
    external = Admin.objects.create(email="ext@bench.example", partner=other, role="external_admin")
    tags = Tag.objects.bulk_create([Tag(partner=partner, name=f"tag-{i}") for i in range(20)])
    words = ["North", "Blue", "Acme", "Global", "Metro", "Summit", "Harbor", "Apex", "Nova", "Pioneer"]
    statuses, products = list(CustomerStatus.values), list(Product.values)
    customers = []
    for i in range(CUSTOMERS):
        chosen = set(rng.sample(statuses, rng.randint(1, 3)))
        customers.append(
            Customer(
                org_id=uuid.UUID(int=rng.getrandbits(128)),
                name=f"{rng.choice(words)} {rng.choice(words)} {i:05d}",
                partner=partner,
                region=rng.choices(["US", "EU", "CA", "UAE"], weights=[45, 30, 15, 10])[0],
                external_id=f"EXT-{i}" if i % 3 == 0 else "",
                created_at=now - timedelta(days=rng.randint(0, 1500)),
                lifecycle=Lifecycle.ACTIVE,
                statuses=encode_set(chosen),
                products=encode_set(rng.sample(products, rng.randint(1, 3))),
                severity=min(statuses.index(s) for s in chosen),
                next_expiry_on=(now + timedelta(days=rng.randint(0, 400))).date() if rng.random() < 0.8 else None,
                last_admin_activity_at=now - timedelta(days=rng.randint(0, 90)),
            )
        )
    Customer.objects.bulk_create(customers, batch_size=2000)
    through = Customer.tags.through
    through.objects.bulk_create(
        [through(customer_id=c.org_id, tag_id=t.pk) for c in customers for t in rng.sample(tags, rng.randint(0, 2))],
        batch_size=5000,
    )
    CustomerAccess.objects.bulk_create(
        [CustomerAccess(admin=pam, org_id=c.org_id, kind=AccessKind.ASSIGNED) for c in customers[:2000]]
        + [CustomerAccess(admin=external, org_id=c.org_id, kind=AccessKind.GRANTED) for c in customers[-200:]],
        batch_size=2000,
    )
    return {"full": full, "pam": pam, "tag": tags[0].pk, "partner_id": partner.pk}


def raw_core_query_ms(partner_id: int) -> dict[str, float]:
    """The engine's own speed for the list's core: count the partner's customers and read the
    first page by name, as hand-written SQL on the same table and indexes."""
    from django.db import connection

    from .harness import summary, timings_ms

    def run() -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM customers_customer WHERE partner_id = %s", [partner_id])
            cursor.fetchone()
            cursor.execute(
                "SELECT * FROM customers_customer WHERE partner_id = %s ORDER BY name, org_id LIMIT 50", [partner_id]
            )
            cursor.fetchall()

    return summary(timings_ms(run, repeat=REPEAT))


def main(engine: str) -> None:
    from .harness import configure, save, summary, timings_ms

    configure(engine, "customers")
    from django.test import Client

    from accounts.services import create_token

    data = populate()
    page, api = Client(), Client()
    page.force_login(data["full"])
    _token, raw = create_token(admin=data["full"], scopes=["read"])
    headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    results: dict[str, object] = {"customers": CUSTOMERS, "raw_core_query": raw_core_query_ms(data["partner_id"])}
    print(f"{'scenario':32} {'page p50':>9} {'page p95':>9} {'api p50':>9} {'api p95':>9}  (ms)")
    for name, query in SCENARIOS.items():
        query = query.format(tag=data["tag"])

        def get_page(query: str = query) -> None:
            assert page.get(f"/customers/?{query}").status_code == 200

        def get_api(query: str = query) -> None:
            assert (
                api.get(f"/api/v1/customers?{query}".replace("page=300", "offset=14950"), **headers).status_code == 200
            )

        p, a = summary(timings_ms(get_page, repeat=REPEAT)), summary(timings_ms(get_api, repeat=REPEAT))
        results[name] = {"page": p, "api": a}
        print(f"{name:32} {p['p50_ms']:9.1f} {p['p95_ms']:9.1f} {a['p50_ms']:9.1f} {a['p95_ms']:9.1f}")
    pam = Client()
    pam.force_login(data["pam"])
    p = summary(timings_ms(lambda: pam.get("/customers/?sort=severity"), repeat=REPEAT))
    results["partner admin, 2000 assigned"] = {"page": p}
    print(f"{'partner admin, 2000 assigned':32} {p['p50_ms']:9.1f} {p['p95_ms']:9.1f}")
    raw_core = results["raw_core_query"]
    print(f"raw engine core query (count + first page): p50 {raw_core['p50_ms']} ms, p95 {raw_core['p95_ms']} ms")  # type: ignore[index]
    print(f"saved {save('customers', engine, results)}")


if __name__ == "__main__":
    main(sys.argv[1])
