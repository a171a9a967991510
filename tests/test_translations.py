"""The Korean catalogue uses one word per concept, as the Korean user guide does."""

from django.conf import settings
from django.utils import translation

CATALOGUE = settings.BASE_DIR / "locale" / "ko" / "LC_MESSAGES" / "django.po"


def test_license_is_spelled_the_standard_way():
    assert "라이센스" not in CATALOGUE.read_text(encoding="utf-8")


def test_trials_are_always_called_pyeonggapan():
    assert "체험" not in CATALOGUE.read_text(encoding="utf-8")


def test_the_compiled_catalogue_has_the_standard_spelling():
    with translation.override("ko"):
        assert translation.gettext("License analytics") == "라이선스 분석"
        assert translation.gettext("Start trial") == "평가판 시작"
