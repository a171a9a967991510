"""License analytics page and API with 20,000 customers, 80,000 subscriptions and 12
weekly snapshots per license line, all in one region.

Prints p50/p95 server time (the request through Django's full stack, in-process) of the page, an
htmx section swap and the API, for a full admin and a partner admin with 2,000 customers; then
the same at 5k, 20k and 80k license lines to show how the cost grows; and next to each, the
engine's raw speed for the overview's largest aggregate (the 12-week trend) as hand-written SQL
on the same tables and indexes.

The overview is kept until the region's license data changes (analytics/memo.py), so the page,
swap and API figures are those of an admin working while the data stands. "After a write" times
the page right after a one-line license update, when it is worked out afresh; "warmed" the same
once the worker has worked the full admins' overviews out (analytics/warming.py, run here in
this process, untimed, before the process forgets what it kept itself, as another web process
would have nothing but the shared cache)."""

import random
import sys
import time
import uuid
from datetime import date, timedelta
from typing import Any

REGION = "EU"
REPEAT = 20
AFTER_WRITE_REPEAT = 8
# (customers, subscriptions): one license line per subscription, so lines = subscriptions.
SCALES = ((1_250, 5_000), (5_000, 20_000), (20_000, 80_000))
PRODUCT_SHARES = (("meetings", 45), ("calling", 35), ("messaging", 10), ("contact_center", 5), ("translation", 5))
BAND_SHARES = (((1, 10), 30), ((11, 50), 35), ((51, 250), 25), ((251, 1000), 8), ((1001, 5000), 2))
STATE_SHARES = (("active", 85), ("expired", 5), ("cancelled", 3), ("provisioning", 4), ("suspended", 3))


def _weighted(rng: random.Random, shares: tuple[tuple[object, int], ...]) -> object:
    return rng.choices([value for value, _ in shares], weights=[weight for _, weight in shares])[0]


def populate(customers: int, subscriptions: int, today: date) -> dict[str, object]:
    """A partner with `customers` customers in REGION holding `subscriptions` subscriptions of one
    line each, a snapshot per line for each of the last 12 weeks (written week by week, as the
    weekly feed does), plus a partner admin assigned to 10 % of the customers (at most 2,000)."""
    from django.db import connections
    from django.utils import timezone

    from accounts.models import AccessKind, Admin, CustomerAccess, PartnerOrg
    from analytics import rules
    from customers.models import Customer, Lifecycle
    from regions.registry import db_for
    from subscriptions.models import LicenseLine, LicenseSnapshot, Subscription

    rng = random.Random(subscriptions)
    alias = db_for(REGION)
    now = timezone.now()
    tag = uuid.uuid4().hex[:6]
    partner = PartnerOrg.objects.create(name=f"Bench Partner {tag}", terms_accepted_at=now)
    full = Admin.objects.create(email=f"full-{tag}@bench.example", partner=partner, role="full_admin")
    pam = Admin.objects.create(email=f"pam-{tag}@bench.example", partner=partner, role="partner_admin")
    directory = [
        Customer(
            org_id=uuid.UUID(int=rng.getrandbits(128)),
            name=f"Customer {i:05d}",
            partner=partner,
            region=REGION,
            lifecycle=Lifecycle.ACTIVE,
            created_at=now,
        )
        for i in range(customers)
    ]
    Customer.objects.bulk_create(directory, batch_size=2000)
    CustomerAccess.objects.bulk_create(
        [
            CustomerAccess(admin=pam, org_id=c.org_id, kind=AccessKind.ASSIGNED)
            for c in directory[: min(2000, customers // 10)]
        ],
        batch_size=2000,
    )
    subs, lines = [], []
    for i in range(subscriptions):
        owner = directory[i % customers]
        trial = rng.random() < 0.05
        state = str(_weighted(rng, STATE_SHARES))
        start = today - timedelta(days=rng.randint(0, 1100))
        end = start + timedelta(days=rng.choice((30, 60, 90)) if trial else 365 * rng.randint(1, 3))
        if state == "active" and end < today:
            end = today + timedelta(days=rng.randint(0, 700))
        auto_renew = not trial and rng.random() < 0.6
        subs.append(
            Subscription(
                subscription_id=f"Sub-{tag}-{i:06d}",
                org_id=owner.org_id,
                partner_id=partner.pk,
                kind="trial" if trial else "paid",
                state=state,
                start_on=start,
                end_on=end,
                auto_renew=auto_renew,
                renewal_on=end if auto_renew else None,
            )
        )
    Subscription.objects.using(alias).bulk_create(subs, batch_size=2000)
    for i, subscription in enumerate(subs):
        low, high = _weighted(rng, BAND_SHARES)  # type: ignore[misc]
        quantity = rng.randint(low, high)
        assigned = round(quantity * rng.uniform(0.05, 1.1))
        lines.append(
            LicenseLine(
                subscription=subscription,
                org_id=subscription.org_id,
                partner_id=partner.pk,
                product=str(_weighted(rng, PRODUCT_SHARES)),
                sku=f"SKU-{i % 7}",
                quantity=quantity,
                assigned=assigned,
                used=round(assigned * rng.uniform(0.3, 1.0)),
            )
        )
    LicenseLine.objects.using(alias).bulk_create(lines, batch_size=2000)
    for week in rules.trend_weeks(today):
        LicenseSnapshot.objects.using(alias).bulk_create(
            [
                LicenseSnapshot(
                    line=line,
                    org_id=line.org_id,
                    partner_id=partner.pk,
                    product=line.product,
                    week_on=week,
                    quantity=line.quantity,
                    assigned=max(line.assigned - rng.randint(0, 2), 0),
                    used=max(line.used - rng.randint(0, 2), 0),
                )
                for line in lines
            ],
            batch_size=5000,
        )
    with connections[alias].cursor() as cursor:
        # What autovacuum does after a bulk load on PostgreSQL: statistics, and the visibility map
        # that lets the covering indexes answer without reading the table.
        cursor.execute("VACUUM ANALYZE" if connections[alias].vendor == "postgresql" else "ANALYZE")
    return {"full": full, "pam": pam, "partner_id": partner.pk}


def raw_trend_ms(partner_id: int, product: str, today: date) -> dict[str, float]:
    """The engine's own speed for the overview's largest aggregate: the 12 weekly sums of the
    product's snapshots (which carry their line's product), as hand-written SQL."""
    from django.db import connections

    from analytics import rules
    from regions.registry import db_for

    from .harness import summary, timings_ms

    weeks = rules.trend_weeks(today)
    connection = connections[db_for(REGION)]
    marks = ", ".join(["%s"] * len(weeks))
    sql = (
        "SELECT week_on, SUM(used), SUM(assigned), SUM(quantity) FROM subscriptions_licensesnapshot "
        f"WHERE partner_id = %s AND product = %s AND week_on IN ({marks}) GROUP BY week_on"
    )

    def run() -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql, [partner_id, product, *weeks])
            cursor.fetchall()

    return summary(timings_ms(run, repeat=REPEAT))


def _clear_region() -> None:
    """Empty the region's license tables, so each scale is measured on its own rows."""
    from django.db import connections

    from regions.registry import db_for
    from subscriptions.models import LicenseLine, LicenseSnapshot, Subscription

    alias = db_for(REGION)
    with connections[alias].cursor() as cursor:
        for model in (LicenseSnapshot, LicenseLine, Subscription):
            cursor.execute(f"DELETE FROM {model._meta.db_table}")


def measure(data: dict[str, object], label: str, scenarios: tuple[tuple[str, str], ...]) -> dict[str, object]:
    """p50/p95 of the page, an htmx section swap (sorted, third page) and the API, per (admin,
    product) scenario."""
    from django.test import Client

    from accounts.services import create_token

    results: dict[str, object] = {}
    for who, product in scenarios:
        page, api = Client(), Client()
        page.force_login(data[who])
        _token, raw = create_token(admin=data[who], scopes=["read"])
        row = _timings(page, api, {"HTTP_AUTHORIZATION": f"Bearer {raw}"}, f"region={REGION}&product={product}")
        name = f"{label} {'full admin' if who == 'full' else 'partner admin (2000)'}, {product}"
        results[name] = row
        figures = " ".join(
            f"{row[k]['p50_ms']:8.1f} {row[k]['p95_ms']:8.1f}"
            for k in ("page", "section swap", "api", "page after a write", "page after a write, warmed")
        )
        print(f"{name:48} {figures}", flush=True)
    return results


def _timings(page: Any, api: Any, headers: dict[str, str], query: str) -> dict[str, dict[str, float]]:
    from .harness import summary, timings_ms

    def get_page() -> None:
        assert page.get(f"/analytics/?{query}").status_code == 200

    def get_section() -> None:
        response = page.get(
            f"/analytics/?{query}&low_assignment_sort=-total&low_assignment_page=3",
            HTTP_HX_REQUEST="true",
            HTTP_HX_TARGET="section-low_assignment",
        )
        assert response.status_code == 200

    def get_api() -> None:
        assert api.get(f"/api/v1/analytics/licenses?{query}", **headers).status_code == 200

    return {
        "page": summary(timings_ms(get_page, repeat=REPEAT)),
        "section swap": summary(timings_ms(get_section, repeat=REPEAT)),
        "api": summary(timings_ms(get_api, repeat=REPEAT)),
        "page after a write": summary(_after_a_write(get_page, warmed=False)),
        "page after a write, warmed": summary(_after_a_write(get_page, warmed=True)),
    }


def _after_a_write(action: Any, *, warmed: bool) -> list[float]:
    """Times of `action` each right after a license write (untimed) that sets a new change token,
    and when `warmed`, after the worker's warm-up as well (untimed)."""
    from django.db.models import F

    from analytics.queries import _MEMO
    from analytics.warming import warm_license_overviews
    from regions.registry import db_for
    from subscriptions.models import LicenseLine

    line = LicenseLine.objects.using(db_for(REGION)).order_by("pk").values_list("pk", flat=True).first()
    samples = []
    for _ in range(AFTER_WRITE_REPEAT):
        LicenseLine.objects.using(db_for(REGION)).filter(pk=line).update(used=F("used"))
        if warmed:
            warm_license_overviews()
            _MEMO.forget_here()
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def main(engine: str) -> None:
    from .harness import configure, save

    configure(engine, "analytics")
    from django.utils import timezone

    today = timezone.now().date()
    results: dict[str, object] = {"region": REGION, "today": today.isoformat(), "repeat": REPEAT}
    print(
        f"{'scenario':48} {'page p50':>8} {'p95':>8} {'swap p50':>8} {'p95':>8} {'api p50':>8} {'p95':>8}"
        f" {'written':>8} {'p95':>8} {'warmed':>8} {'p95':>8}  (ms)"
    )
    growth: dict[int, tuple[float, float]] = {}
    for customers, subscriptions in SCALES:
        _clear_region()
        started = time.perf_counter()
        data = populate(customers, subscriptions, today)
        label = f"{subscriptions // 1000}k lines:"
        print(
            f"-- {customers} customers, {subscriptions} subscriptions and license lines, {subscriptions * 12} "
            f"snapshots (populated in {time.perf_counter() - started:.0f} s)",
            flush=True,
        )
        scenarios: tuple[tuple[str, str], ...] = (("full", "meetings"),)
        if subscriptions == SCALES[-1][1]:
            scenarios += (("full", "calling"), ("pam", "meetings"))
        measured = measure(data, label, scenarios)
        raw = raw_trend_ms(int(data["partner_id"]), "meetings", today)  # type: ignore[call-overload]
        print(f"{label} raw engine trend query (meetings): p50 {raw['p50_ms']} ms, p95 {raw['p95_ms']} ms", flush=True)
        results[f"{subscriptions} lines"] = {"customers": customers, "scenarios": measured, "raw_trend_query": raw}
        page = measured[f"{label} full admin, meetings"]["page"]  # type: ignore[index]
        growth[subscriptions] = (page["p50_ms"], raw["p50_ms"])
    print(
        "page p50 (raw trend p50) by license lines: "
        + ", ".join(f"{n // 1000}k {ms} ms ({raw} ms)" for n, (ms, raw) in growth.items())
    )
    print(f"saved {save('analytics', engine, results)}")


if __name__ == "__main__":
    main(sys.argv[1])
