"""A file uploaded on the data feeds page: read and ingested as the API reads a body, with the
same size limit, the same formats and the same answer, for admins who may ingest and would
rather not script the API (a Webex Calling export downloaded from Control Hub, say)."""

from contextlib import ExitStack
from dataclasses import dataclass
from typing import IO, BinaryIO, cast

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from accounts.scope import Scope

from .formats import UTF8, FormatRefused, text_encoding
from .services import BatchResult, ingest_batch
from .sources import (
    DAMAGED_GZIP,
    FORMATS,
    GZIP_MAGIC,
    TooLarge,
    gunzipped_aside,
    open_rows,
    reading_format,
    sniff_syntax,
)
from .validation import KINDS


class UploadForm(forms.Form):
    kind = forms.ChoiceField(choices=[(kind, kind) for kind in KINDS], label=_("Kind of rows"))
    file = forms.FileField(label=_("File"))
    format = forms.ChoiceField(
        choices=[("", _("By the file's name")), *((name, name) for name in FORMATS)],
        required=False,
        label=_("Format"),
        help_text=_("webex-cdr: a Webex Calling Detailed Call History report, for call-legs."),
    )
    encoding = forms.CharField(initial=UTF8, max_length=40, label=_("Text encoding"))

    def clean_encoding(self) -> str:
        try:
            return text_encoding(self.cleaned_data["encoding"].strip() or UTF8)
        except ValueError as error:
            raise forms.ValidationError(str(error)) from None

    def clean_file(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["file"]
        limit: int = settings.PARTNERHUB_INGEST_MAX_BYTES
        if upload.size is not None and upload.size > limit:
            raise forms.ValidationError(
                _("The file is %(size)s bytes; at most %(limit)s are taken at once. Split it, or use the command line.")
                % {"size": f"{upload.size:,}", "limit": f"{limit:,}"}
            )
        return upload

    def clean(self) -> dict[str, object]:
        cleaned = super().clean() or {}
        upload = cleaned.get("file")
        if isinstance(upload, UploadedFile):
            chosen = cleaned.get("format") or None
            if reading_format(chosen, upload.name or "") is None:
                self.add_error(
                    "format",
                    _("The name %(name)s does not tell the file's format: choose it here.") % {"name": upload.name},
                )
            elif chosen == "webex-cdr" and cleaned.get("kind") != "call-legs":
                self.add_error("kind", _("A Webex Calling report holds call legs: choose call-legs."))
        return cleaned


@dataclass(frozen=True, slots=True)
class UploadResult:
    """What became of an uploaded file's rows, and its columns that nothing reads."""

    name: str
    kind: str
    result: BatchResult
    ignored_columns: list[str]


def ingest_upload(scope: Scope, form: UploadForm) -> UploadResult:
    """Ingest the valid form's file for the scope. Raises FormatRefused, naming what is wrong,
    for a file that cannot be read (a header or gzip data that is not what it says, rows that
    decompress beyond the size limit) before any of its rows is stored."""
    data = form.cleaned_data
    upload: UploadedFile = data["file"]
    kind: str = data["kind"]
    how = reading_format(data["format"] or None, upload.name or "")
    assert how is not None, "the form checked the format"
    with ExitStack() as stack:
        rows = cast(BinaryIO, upload.open("rb"))
        gzipped = rows.read(len(GZIP_MAGIC)) == GZIP_MAGIC
        rows.seek(0)
        if gzipped:
            rows = cast(BinaryIO, _gunzipped(rows, stack))
        syntax, layout, otherwise = how
        if syntax is None:
            syntax, rows = sniff_syntax(rows, otherwise)
        source = open_rows(
            rows, kind=kind, syntax=syntax, layout=layout, encoding=data["encoding"], partner_id=scope.partner_id
        )
        result = ingest_batch(scope=scope, kind=kind, rows=source, source="web")
        return UploadResult(upload.name or "", kind, result, source.ignored_columns)


def _gunzipped(stream: IO[bytes], stack: ExitStack) -> IO[bytes]:
    """A gzip file decompressed aside first (kept until `stack` closes): one that expands beyond
    the limit, or is damaged, is refused with nothing of it stored."""
    limit: int = settings.PARTNERHUB_INGEST_MAX_BYTES
    try:
        return stack.enter_context(gunzipped_aside(stream, limit))
    except TooLarge:
        raise FormatRefused(
            f"the file decompresses to more than {limit:,} bytes, the most taken at once; split it, "
            "or use the command line"
        ) from None
    except EOFError:
        raise FormatRefused("the gzip data is cut short: it ends inside its compressed data") from None
    except DAMAGED_GZIP as error:
        raise FormatRefused(f"the file is not valid gzip ({error})") from None
