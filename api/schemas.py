"""Schemas shared by every resource family."""

from ninja import Schema
from pydantic import Field


class ErrorOut(Schema):
    detail: str
    errors: list[dict[str, str]] = []


class Paging(Schema):
    """`limit` and `offset` of a list (SPEC 11)."""

    limit: int = Field(50, ge=1, le=1000)
    # SQL's OFFSET is a 64-bit integer: a larger one fails in the database instead of answering 422.
    offset: int = Field(0, ge=0, le=2**63 - 1)
