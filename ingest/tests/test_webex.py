"""Webex Calling Detailed Call History records imported as call legs."""

import csv
import datetime as dt
import io

import pytest
from django.db.models import Sum

from accounts.scope import scope_for
from calling.models import CallDailyRollup, CallLeg
from customers.tests.factories import CustomerFactory
from ingest import webex
from ingest.formats import FormatRefused
from ingest.services import ingest_batch
from ingest.sources import open_rows

COLUMNS = [
    "Start time",
    "Answer time",
    "Duration",
    "Call ID",
    "Correlation ID",
    "Local call ID",
    "Direction",
    "Call type",
    "Client type",
    "Model",
    "Device MAC",
    "Org UUID",
    "Location",
    "User UUID",
    "User type",
    "Call outcome",
    "Releasing party",
    "Queue Type",
    "Redirect reason",
    "Related call ID",
    "Ring duration",
    "Hold Duration",
    "Answered",
    "Report ID",
    "Report time",
]


def cdr(org_id: object, report_id: str, correlation: str, **values: str) -> dict[str, str]:
    row = dict.fromkeys(COLUMNS, "")
    row.update(
        {
            "Start time": "2026-01-06T09:30:00.000Z",
            "Duration": "60",
            "Call ID": f"SSE{report_id}@10.0.0.1",
            "Correlation ID": correlation,
            "Local call ID": f"{report_id}:0",
            "Direction": "TERMINATING",
            "Call type": "SIP_ENTERPRISE",
            "Client type": "WXC_DEVICE",
            "Model": "8851-3PCC",
            "Org UUID": str(org_id),
            "Location": "Berlin HQ",
            "User UUID": "47f0d0c2-f05a-44cc-870d-7a3daf859c6c",
            "User type": "User",
            "Call outcome": "Success",
            "Hold Duration": "0",
            "Answered": "true",
            "Report ID": report_id,
            "Report time": "2026-01-06T09:35:00.000Z",
        }
    )
    row.update(values)
    return row


def body_of(rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def call_records(org_id: object) -> list[dict[str, str]]:
    return [
        # A plain call: the caller's desk phone and the callee's app.
        cdr(org_id, "r-1", "call-a", Direction="ORIGINATING", Duration="120"),
        cdr(org_id, "r-2", "call-a", **{"Client type": "WXC_CLIENT", "Model": "", "Duration": "115"}),
        # A queue call answered after 25 s by an agent on a room device.
        cdr(
            org_id,
            "r-3",
            "call-b",
            **{"User type": "CallCenterStandard", "Queue Type": "Call Queue", "Ring duration": "25"},
        ),
        cdr(org_id, "r-4", "call-b", **{"Redirect reason": "CallQueue", "Model": "Cisco Room Kit Pro"}),
        # A queue call the caller gave up on after 40 s.
        cdr(
            org_id,
            "r-5",
            "call-c",
            **{"Queue Type": "Call Queue", "Answered": "false", "Releasing party": "Remote", "Ring duration": "40"},
        ),
        # A queue call sent on to an overflow destination.
        cdr(
            org_id,
            "r-6",
            "call-d",
            **{"Queue Type": "Call Queue", "Answered": "false", "Related call ID": "99:0", "Ring duration": "90"},
        ),
        # A hunt group call from a trunk.
        cdr(org_id, "r-7", "call-e", **{"User type": "HuntGroup", "Client type": "SIP", "Model": ""}),
    ]


@pytest.mark.django_db(databases="__all__")
def test_a_detailed_call_history_file_lands_in_the_rollups_with_its_quality_and_queue_figures(full_admin, partner):
    customer = CustomerFactory(partner=partner, region="EU")
    rows = [*call_records(customer.org_id), cdr("not-an-org", "r-8", "call-f")]
    source = open_rows(io.BytesIO(body_of(rows)), kind="call-legs", syntax="csv", layout="webex-cdr")
    result = ingest_batch(scope=scope_for(full_admin), kind="call-legs", rows=source)

    assert (result.accepted, result.duplicates) == (7, 0)
    assert [(r.line, r.error.split(":")[0]) for r in result.rejected] == [(9, "Org UUID")]
    assert source.ignored_columns == ["Call type", "Call outcome", "Hold Duration", "Report time"]
    rollups = CallDailyRollup.objects.using("region_eu").filter(org_id=customer.org_id, day=dt.date(2026, 1, 6))
    totals = rollups.aggregate(
        *(
            Sum(figure)
            for figure in (
                "legs",
                "calls",
                "measured_legs",
                "poor_legs",
                "call_queue_calls",
                "hunt_group_calls",
                "queue_answered",
                "queue_abandoned",
                "queue_overflowed",
                "queue_answered_wait_seconds",
                "queue_abandoned_wait_seconds",
            )
        )
    )
    assert {name.removesuffix("__sum"): value for name, value in totals.items()} == {
        "legs": 7,
        "calls": 5,
        "measured_legs": 0,  # Detailed Call History carries no jitter, latency or loss
        "poor_legs": 0,
        "call_queue_calls": 3,
        "hunt_group_calls": 1,
        "queue_answered": 1,
        "queue_abandoned": 1,
        "queue_overflowed": 1,
        "queue_answered_wait_seconds": 25,
        "queue_abandoned_wait_seconds": 40,
    }
    by_endpoint = dict(rollups.values_list("endpoint_type").annotate(n=Sum("legs")))
    assert by_endpoint == {"desk_phone": 4, "app": 1, "room_device": 1, "other_device": 1}
    leg = CallLeg.objects.using("region_eu").get(leg_id="r-1")
    assert (leg.call_id, leg.direction, leg.duration_seconds, leg.user_id) == (
        "call-a",
        "outbound",
        120,
        "47f0d0c2-f05a-44cc-870d-7a3daf859c6c",
    )


def test_a_file_without_the_columns_of_a_call_leg_is_refused_before_any_row():
    header = b"Start time,Duration,Direction,Call ID\n"
    with pytest.raises(FormatRefused, match="lacks 'Report ID' or 'Local call ID', 'Org UUID'"):
        open_rows(io.BytesIO(header), kind="call-legs", syntax="csv", layout="webex-cdr")


def test_the_webex_layout_is_for_call_legs_only():
    with pytest.raises(FormatRefused, match="ingest it as call-legs, not devices"):
        open_rows(io.BytesIO(b""), kind="devices", syntax="csv", layout="webex-cdr")


def test_the_leg_id_falls_back_to_the_local_call_id_and_the_call_id_to_the_sip_call_id():
    leg = webex.to_call_leg(cdr("o", "", "", **{"Local call ID": "113104021:0", "Call ID": "SSE1@10.0.0.1"}))
    assert (leg["leg_id"], leg["call_id"]) == ("113104021:0", "SSE1@10.0.0.1")


def test_a_time_without_offset_is_utc_as_the_documentation_says():
    leg = webex.to_call_leg(cdr("o", "r", "c", **{"Start time": "2023-10-12 21:22:32.621"}))
    assert leg["started_at"] == "2023-10-12T21:22:32.621000+00:00"


@pytest.mark.parametrize(
    ("client", "model", "mac", "endpoint"),
    [
        ("WXC_CLIENT", "", "", "app"),
        ("TEAMS_WXC_CLIENT", "", "", "app"),
        ("WXC_DEVICE", "8851-3PCC", "6C710D8ABC10", "desk_phone"),
        ("WXC_DEVICE", "Cisco Webex Board 55", "", "room_device"),
        ("WXC_THIRD_PARTY", "Poly VVX 450", "", "desk_phone"),
        ("SIP", "", "", "other_device"),
        ("WXC_SIP_GW", "", "", "other_device"),
        ("", "", "6C710D8ABC10", "desk_phone"),
        ("", "", "", "other_device"),
    ],
)
def test_client_type_and_model_give_the_endpoint(client, model, mac, endpoint):
    values = {"Client type": client, "Model": model, "Device MAC": mac}
    assert webex.to_call_leg(cdr("o", "r", "c", **values))["endpoint_type"] == endpoint


@pytest.mark.parametrize(
    ("values", "outcome"),
    [
        ({"Answered": "true"}, "answered"),
        ({"Answered": "false", "Call transfer Time": "2026-01-06T09:31:00Z"}, "transferred"),
        ({"Answered": "false", "Related call ID": "760583469:0"}, "overflowed"),
        ({"Answered": "false", "Releasing party": "Local"}, "timed_out"),
        ({"Answered": "false", "Releasing party": "Remote"}, "abandoned"),
    ],
)
def test_a_queue_legs_outcome(values, outcome):
    leg = webex.to_call_leg(cdr("o", "r", "c", **{"Queue Type": "Call Queue", **values}))
    assert (leg["feature"], leg["queue_outcome"]) == ("call_queue", outcome)


def test_an_answered_queue_legs_wait_without_ring_duration_is_answer_minus_start():
    values = {"Queue Type": "Call Queue", "Answer time": "2026-01-06T09:30:17.551Z"}
    assert webex.to_call_leg(cdr("o", "r", "c", **values))["queue_wait_seconds"] == 18


def test_agents_and_services_carry_their_feature_without_a_queue_outcome():
    agent = webex.to_call_leg(cdr("o", "r", "c", **{"Redirect reason": "CallQueue"}))
    attendant = webex.to_call_leg(cdr("o", "r", "c", **{"User type": "AutomatedAttendantVideo"}))
    assert (agent["feature"], agent["queue_outcome"]) == ("call_queue", "")
    assert attendant["feature"] == "auto_attendant"


def test_the_site_uuid_is_the_location_and_else_the_location_name_is_looked_up():
    with_site = webex.to_call_leg(cdr("o", "r", "c", **{"Site UUID": "474d4f70-4ef5-4d52-9e1d-b207086629e0"}))
    assert (with_site["location_id"], with_site["location_name"]) == ("474d4f70-4ef5-4d52-9e1d-b207086629e0", "")
    assert webex.to_call_leg(cdr("o", "r", "c"))["location_name"] == "Berlin HQ"


def respelled(column: str) -> str:
    """A column name as some exports write it: in another case, with doubled inner spaces."""
    return column.upper().replace(" ", "  ") if len(column) % 2 else column.lower()


def test_headers_in_any_case_and_spacing_are_read_as_the_documented_columns():
    canonical = body_of(call_records("o"))
    rows = canonical.split(b"\r\n", 1)[1]
    varied = ",".join(f" {respelled(column)} " for column in COLUMNS).encode() + b"\r\n" + rows

    expected = open_rows(io.BytesIO(canonical), kind="call-legs", syntax="csv", layout="webex-cdr")
    source = open_rows(io.BytesIO(varied), kind="call-legs", syntax="csv", layout="webex-cdr")

    assert list(source) == list(expected)
    assert source.ignored_columns == [
        respelled(c) for c in ("Call type", "Call outcome", "Hold Duration", "Report time")
    ]


def test_json_records_in_any_case_and_spacing_are_read_as_the_documented_columns():
    record = cdr("o", "r-1", "call-a", **{"Queue Type": "Call Queue", "Ring duration": "25"})
    varied = {respelled(column): value for column, value in record.items()}
    assert webex.to_call_leg(varied) == webex.to_call_leg(record)


def test_a_header_naming_a_column_in_two_spellings_is_refused():
    header = b"Report ID,Correlation ID,Org UUID,Start time,START TIME,Duration,Direction\n"
    with pytest.raises(FormatRefused, match="names the column 'Start time' twice: as 'Start time' and 'START TIME'"):
        open_rows(io.BytesIO(header), kind="call-legs", syntax="csv", layout="webex-cdr")


@pytest.mark.parametrize("header", [COLUMNS, [column.upper() for column in COLUMNS], ["call id", "Duration"]])
def test_a_webex_report_sent_as_our_call_legs_is_refused_saying_how_to_send_it(header):
    body = ",".join(header).encode() + b"\n" + b",".join([b"x"] * len(header)) + b"\n"
    with pytest.raises(FormatRefused) as refused:
        open_rows(io.BytesIO(body), kind="call-legs", syntax="csv")
    assert str(refused.value) == (
        "this looks like a Webex Calling Detailed Call History report, not call legs in our columns: "
        "send it as the webex-cdr format (--format webex-cdr on the command line, ?format=webex-cdr "
        "in the API, or the format webex-cdr when uploading)"
    )


def test_call_legs_in_our_columns_with_a_webex_column_among_them_are_read_as_ours():
    body = b"leg_id,call_id,org_id,Call ID\nl-1,c-1,o,SSE1@10.0.0.1\n"
    source = open_rows(io.BytesIO(body), kind="call-legs", syntax="csv")
    assert [item.values for item in source] == [
        {"leg_id": "l-1", "call_id": "c-1", "org_id": "o", "Call ID": "SSE1@10.0.0.1"}
    ]
    assert source.ignored_columns == ["Call ID"]
