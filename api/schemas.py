"""Schemas shared by every resource family."""

from ninja import Schema


class ErrorOut(Schema):
    detail: str
    errors: list[dict[str, str]] = []
