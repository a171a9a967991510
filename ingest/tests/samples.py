"""Valid rows of every ingestion kind for one customer, in an order that satisfies their
dependencies (a subscription before its snapshots, a site before its devices), and helpers that
write them as NDJSON or CSV bodies."""

import csv
import io
import json
import uuid

LOCATION_ID = "5c1e0a52-3b7c-4e59-9a61-0c2d8f7e4b10"
USER_UUID = "47f0d0c2-f05a-44cc-870d-7a3daf859c6c"


def sample_rows(org_id: uuid.UUID | str, *, region: str = "EU") -> dict[str, list[dict[str, object]]]:
    org = str(org_id)
    return {
        "customers": [{"org_id": org, "name": "Acme Europe", "region": region, "external_id": "W-1"}],
        "subscriptions": [
            {
                "org_id": org,
                "subscription_id": f"Sub-{org[:8]}",
                "kind": "paid",
                "state": "active",
                "start_on": "2026-01-01",
                "end_on": "2026-12-31",
                "auto_renew": "true",
                "renewal_on": "2026-12-31",
                "product": "calling",
                "sku": "CALL-PRO",
                "quantity": "50",
                "assigned": "60",
                "used": "30",
            }
        ],
        "license-snapshots": [
            {
                "org_id": org,
                "subscription_id": f"Sub-{org[:8]}",
                "sku": "CALL-PRO",
                "week_on": "2026-01-04",
                "quantity": "50",
                "assigned": "40",
                "used": "20",
            }
        ],
        "invoices": [
            {
                "org_id": org,
                "subscription_id": f"Sub-{org[:8]}",
                "number": f"INV-{org[:8]}",
                "issued_on": "2026-01-01",
                "due_on": "2026-01-31",
                "total_amount": "1250.00",
                "currency": "eur",
                "status": "open",
            }
        ],
        "orders": [
            {
                "org_id": org,
                "subscription_id": f"Sub-{org[:8]}",
                "number": f"ORD-{org[:8]}",
                "ordered_on": "2025-12-20",
                "kind": "new",
                "product": "calling",
                "sku": "CALL-PRO",
                "quantity": "50",
            }
        ],
        "admin-activity": [{"org_id": org, "at": "2026-01-05T10:00:00Z"}],
        "locations": [
            {"org_id": org, "location_id": LOCATION_ID, "name": "Berlin HQ", "country": "de", "address": "Torstraße 1"}
        ],
        "devices": [
            {
                "org_id": org,
                "mac": "6c:71:0d:8a:bc:10",
                "product": "Cisco 8851",
                "location_id": LOCATION_ID,
                "user_uuid": USER_UUID,
            }
        ],
        "numbers": [
            {
                "org_id": org,
                "country": "DE",
                "number": "+493012345678",
                "location_id": LOCATION_ID,
                "active": "true",
                "owner_type": "person",
                "number_type": "primary",
            }
        ],
        "call-legs": [
            {
                "org_id": org,
                "leg_id": f"{org[:8]}-leg-1",
                "call_id": f"{org[:8]}-call-1",
                "started_at": "2026-01-06T09:30:00Z",
                "duration_seconds": "120",
                "direction": "outbound",
                "endpoint_type": "desk_phone",
                "jitter_ms": "10",
                "latency_ms": "50",
                "loss_pct": "0.1",
            },
            {
                "org_id": org,
                "leg_id": f"{org[:8]}-leg-2",
                "call_id": f"{org[:8]}-call-1",
                "started_at": "2026-01-06T09:30:05Z",
                "duration_seconds": "115",
                "direction": "inbound",
                "endpoint_type": "app",
                "jitter_ms": "200",
            },
        ],
    }


def ndjson(rows: list[dict[str, object]]) -> bytes:
    return "".join(json.dumps(row) + "\n" for row in rows).encode()


def csv_body(rows: list[dict[str, object]], delimiter: str = ",") -> bytes:
    columns = list(dict.fromkeys(column for row in rows for column in row))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n", delimiter=delimiter)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()
