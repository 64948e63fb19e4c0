"""Uploads that never sit in memory whole: every file goes to a temporary file on disk.

Django keeps uploads under FILE_UPLOAD_MAX_MEMORY_SIZE in memory; for public endpoints that
accept large files, that bound times the number of workers is memory anyone can take. These
views and parsers stream each file to disk in 64 KB chunks instead.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import wraps
from typing import IO, Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParser as DjangoMultiPartParser
from django.http.multipartparser import MultiPartParserError
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from rest_framework.exceptions import ParseError
from rest_framework.parsers import DataAndFiles, MultiPartParser

from governance.core.errors import InvalidInput

CHUNK = 1024 * 1024


def disk_uploads(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Page decorator: files posted to `view` are written to temporary files.

    The handlers must be set before anything reads the body, and the CSRF middleware reads
    it for every POST; so CSRF is checked here instead, after the handlers are in place
    (the pattern Django's upload-handler documentation gives).
    """
    protected = csrf_protect(view)

    @csrf_exempt
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        request.upload_handlers = [TemporaryFileUploadHandler(request)]
        return protected(request, *args, **kwargs)

    return wrapper


class DiskMultiPartParser(MultiPartParser):
    """DRF's multipart parser with the temporary-file handler only."""

    def parse(
        self,
        stream: Any,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> DataAndFiles:
        context = parser_context or {}
        request = context["request"]
        meta = request.META.copy()
        meta["CONTENT_TYPE"] = media_type
        encoding = context.get("encoding", settings.DEFAULT_CHARSET)
        handlers = [TemporaryFileUploadHandler(request)]
        try:
            data, files = DjangoMultiPartParser(meta, stream, handlers, encoding).parse()
        except MultiPartParserError as exc:
            raise ParseError(f"Multipart form parse error - {exc}") from exc
        return DataAndFiles(data, files)


def chunks_of(handle: IO[bytes]) -> Iterator[bytes]:
    """Read a file from its start in 1 MB pieces, leaving it at the start again."""
    handle.seek(0)
    while piece := handle.read(CHUNK):
        yield piece
    handle.seek(0)


def media_type_of(upload: UploadedFile) -> str:
    # The name's extension decides, not the browser's claim: the claim is whatever the client
    # sent, while the extension is what a reader's software will open the file as. A name
    # without a known extension is opaque bytes, whatever the client claims.
    guessed, _ = mimetypes.guess_type(upload.name or "")
    return guessed or "application/octet-stream"


def check_upload(
    upload: UploadedFile, *, limit: int, allowed: Sequence[str], field: str = "file"
) -> str:
    """Refuse a file over `limit` bytes or of a media type not `allowed`; returns its type."""
    if upload.size is None or upload.size > limit:
        raise InvalidInput(
            f"{upload.name} is {upload.size or 0:,} bytes; evidence files may be at most "
            f"{limit:,} bytes.",
            fields={field: "too large"},
        )
    media_type = media_type_of(upload)
    if media_type not in allowed:
        raise InvalidInput(
            f"{upload.name} is {media_type}, which is not accepted as evidence. Accepted: "
            f"{', '.join(allowed)}.",
            fields={field: "type not allowed"},
        )
    return media_type
