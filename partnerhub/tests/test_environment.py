"""Settings read from the environment refuse values they cannot use, naming the variable."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from partnerhub.settings.environment import env_int


def test_a_whole_number_is_read_and_an_unset_or_empty_variable_gives_the_default(monkeypatch):
    monkeypatch.setenv("PARTNERHUB_SOME_DAYS", " 40 ")
    assert env_int("PARTNERHUB_SOME_DAYS", 30) == 40
    monkeypatch.setenv("PARTNERHUB_SOME_DAYS", "")
    assert env_int("PARTNERHUB_SOME_DAYS", 30) == 30
    monkeypatch.delenv("PARTNERHUB_SOME_DAYS")
    assert env_int("PARTNERHUB_SOME_DAYS", 30) == 30


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("13 months", "PARTNERHUB_SOME_DAYS: '13 months' is not a whole number"),
        ("34", "PARTNERHUB_SOME_DAYS: 34 is below the least allowed, 35"),
    ],
)
def test_a_value_that_is_not_a_whole_number_or_too_small_is_refused_by_name(monkeypatch, raw, message):
    monkeypatch.setenv("PARTNERHUB_SOME_DAYS", raw)
    with pytest.raises(ImproperlyConfigured) as refused:
        env_int("PARTNERHUB_SOME_DAYS", 396, least=35)
    assert str(refused.value) == message
