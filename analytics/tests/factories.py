"""A small book of customers whose license figures test_queries.py computes by hand (see its
docstring); the page and API tests reuse it."""

import uuid
from datetime import date
from types import SimpleNamespace

from accounts.scope import scope_for
from accounts.tests.factories import AdminFactory, PartnerFactory
from customers.services import CustomerRecord, upsert_customer
from subscriptions.services import (
    LicenseLineRecord,
    SnapshotRecord,
    SubscriptionRecord,
    upsert_snapshots,
    upsert_subscriptions,
)

TODAY = date(2026, 11, 25)
D = date


def sub(sid, start, end, *lines, kind="paid", state="active", renews_on=None):
    return SubscriptionRecord(
        sid, kind, state, start, end, auto_renew=renews_on is not None, renewal_on=renews_on, lines=lines
    )


def line(sku, product, quantity, assigned, used):
    return LicenseLineRecord(product=product, sku=sku, quantity=quantity, assigned=assigned, used=used)


OLD = D(2025, 2, 1)
LATER = D(2027, 9, 1)

BOOK = {
    # Expires exactly 90 days out; its calling line is over the limit.
    "Alder": [
        sub(
            "S-A1",
            D(2025, 1, 1),
            D(2027, 2, 23),
            line("A-M", "meetings", 80, 70, 60),
            line("A-C", "calling", 20, 25, 10),
        )
    ],
    # Auto-renews: ends 30 days out but is not expiring, and renews then. Low for meetings.
    "Birch": [
        sub("S-B1", D(2024, 6, 1), D(2026, 12, 25), line("B-M", "meetings", 40, 4, 2), renews_on=D(2026, 12, 25))
    ],
    # A trial started 24 days ago: new and expiring; too young to be low.
    "Cedar": [sub("T-C1", D(2026, 11, 1), D(2026, 12, 1), line("C-M", "meetings", 10, 3, 1), kind="trial")],
    # A line with zero quantity, and a calling line over the limit.
    "Dogwood": [
        sub(
            "S-D1",
            D(2025, 3, 1),
            D(2027, 6, 1),
            line("D-M0", "meetings", 0, 0, 0),
            line("D-C", "calling", 30, 40, 35),
            renews_on=D(2027, 6, 1),
        )
    ],
    # Low for meetings and over the limit for calling.
    "Elm": [
        sub(
            "S-E1",
            D(2025, 5, 1),
            D(2027, 5, 1),
            line("E-M", "meetings", 10, 1, 1),
            line("E-C", "calling", 10, 12, 12),
            renews_on=D(2027, 5, 1),
        )
    ],
    # Ends 91 days out: not expiring.
    "Fir": [sub("S-F1", OLD, D(2027, 2, 24), line("F-M", "meetings", 10, 8, 7))],
    "Gum": [sub("S-G1", OLD, LATER, line("G-M", "meetings", 8, 6, 6), renews_on=LATER)],
    # Renews 91 days out: not renewing.
    "Holly": [sub("S-H1", OLD, LATER, line("H-M", "meetings", 5, 5, 4), renews_on=D(2027, 2, 24))],
    "Ivy": [sub("S-I1", OLD, LATER, line("I-M", "meetings", 4, 1, 0), renews_on=LATER)],
    # First subscription exactly 90 days ago: new; and low.
    "Juniper": [
        sub("S-J1", D(2026, 8, 27), D(2027, 8, 27), line("J-M", "meetings", 50, 10, 5), renews_on=D(2027, 8, 27))
    ],
    # First subscription 91 days ago: not new, although its second one started 10 days ago.
    "Kauri": [
        sub("S-K1", D(2026, 8, 26), D(2027, 8, 26), line("K-C1", "calling", 5, 5, 5), renews_on=D(2027, 8, 26)),
        sub("S-K2", D(2026, 11, 15), D(2027, 11, 15), line("K-C2", "calling", 3, 0, 0)),
    ],
    # Expired: neither a peer nor low; its old snapshot still belongs to the trend.
    "Larch": [sub("S-L1", D(2024, 1, 1), D(2025, 1, 1), line("L-M", "meetings", 10, 0, 0), state="expired")],
    "Maple": [],
    "Nutmeg": [sub("S-N1", OLD, LATER, line("N-M", "meetings", 7, 2, 1), renews_on=LATER)],
}

# (customer, subscription, sku) -> [(week, quantity, assigned, used)]
SNAPSHOTS = {
    ("Alder", "S-A1", "A-M"): [
        (D(2026, 8, 30), 80, 70, 99),  # before the 12 weeks and the three months
        (D(2026, 9, 6), 80, 70, 50),
        (D(2026, 9, 13), 80, 70, 52),
        (D(2026, 9, 20), 80, 70, 54),
        (D(2026, 9, 27), 80, 70, 56),
        (D(2026, 10, 4), 80, 70, 58),
        (D(2026, 10, 11), 80, 70, 60),
        (D(2026, 11, 1), 80, 70, 60),
        (D(2026, 11, 8), 80, 70, 62),
        (D(2026, 11, 15), 80, 70, 60),
        (D(2026, 11, 22), 80, 70, 60),
    ],
    ("Cedar", "T-C1", "C-M"): [(D(2026, 11, 15), 10, 2, 0), (D(2026, 11, 22), 10, 3, 1)],
    ("Juniper", "S-J1", "J-M"): [(D(2026, 11, 15), 50, 12, 6), (D(2026, 11, 22), 50, 10, 5)],
    ("Birch", "S-B1", "B-M"): [(D(2026, 11, 15), 40, 4, 1), (D(2026, 11, 22), 40, 4, 3)],
    ("Ivy", "S-I1", "I-M"): [(D(2026, 11, 22), 4, 1, 0)],
    ("Larch", "S-L1", "L-M"): [(D(2026, 9, 6), 10, 0, 0)],
    ("Holly", "S-H1", "H-M"): [(D(2026, 11, 22), 5, 6, 6)],  # over its limit that week
}


def add_customer(partner, name, region, subscriptions):
    customer = upsert_customer(partner_id=partner.pk, record=CustomerRecord(uuid.uuid4(), name, region))
    if subscriptions:
        upsert_subscriptions(customer=customer, records=subscriptions)
    return customer


def build_book():
    """Northwind's customers in EU (BOOK, SNAPSHOTS), Blue Harbor's Xylo in EU and Northwind's
    Umber in US; `full` is the scope of a Northwind full admin, `admin` that admin."""
    partner, other = PartnerFactory(name="Northwind"), PartnerFactory(name="Blue Harbor")
    customers = {name: add_customer(partner, name, "EU", subs) for name, subs in BOOK.items()}
    for (name, sid, sku), weeks in SNAPSHOTS.items():
        upsert_snapshots(
            customer=customers[name], records=[SnapshotRecord(sid, sku, w, q, a, u) for w, q, a, u in weeks]
        )
    # Another partner's customer in the same region and our own customer in another region: each
    # would count almost everywhere if it leaked in (both are expiring and at 0 % assigned).
    foreign = add_customer(
        other, "Xylo", "EU", [sub("S-X1", D(2025, 1, 1), D(2026, 12, 1), line("X-M", "meetings", 10, 0, 0))]
    )
    upsert_snapshots(customer=foreign, records=[SnapshotRecord("S-X1", "X-M", D(2026, 11, 22), 10, 0, 0)])
    umber = add_customer(
        partner, "Umber", "US", [sub("S-U1", D(2025, 1, 1), D(2026, 12, 1), line("U-M", "meetings", 10, 0, 0))]
    )
    admin = AdminFactory(partner=partner, role="full_admin")
    return SimpleNamespace(
        partner=partner, other=other, customers=customers, umber=umber, admin=admin, full=scope_for(admin)
    )
