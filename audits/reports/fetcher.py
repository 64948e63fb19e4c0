"""The only way WeasyPrint may load anything while rendering a report.

Report HTML is rendered against a private origin that never resolves (`.invalid` is reserved
for exactly this); the fetcher maps `<origin>/static/…` to the project's own static files and
`<origin>/generated/…` to the images this render produced (charts). Everything else is refused
before any I/O: file://, http(s):// anywhere else, data: URLs other than plain images, other
schemes, traversal out of the static folders. No network request is ever made, so there is
nothing to redirect.
"""

from __future__ import annotations

import logging
import mimetypes
import posixpath
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.exceptions import SuspiciousFileOperation
from weasyprint.urls import URLFetcher, URLFetcherResponse

logger = logging.getLogger(__name__)

ORIGIN = "https://report.invalid"
BASE_URL = ORIGIN + "/"
STATIC_PREFIX = "/static/"
GENERATED_PREFIX = "/generated/"
STATIC_TYPES = {
    ".css": "text/css",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".woff2": "font/woff2",
    ".ttf": "font/ttf",
}
DATA_IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/svg+xml")


class FetchRefused(ValueError):
    """A URL the report renderer may not load."""


def _static_path(relative: str) -> Path:
    clean = posixpath.normpath(relative)
    if clean.startswith(("/", "..")) or "\x00" in clean or clean in (".", ""):
        raise FetchRefused(f"not a static file path: {relative!r}")
    suffix = posixpath.splitext(clean)[1].lower()
    if suffix not in STATIC_TYPES:
        raise FetchRefused(f"static files of type {suffix or 'none'} are not served to reports")
    try:
        if staticfiles_storage.exists(clean):
            return Path(staticfiles_storage.path(clean))
        found = finders.find(clean)
    except (SuspiciousFileOperation, NotImplementedError) as exc:
        raise FetchRefused(f"static path refused: {relative!r}") from exc
    if not found or isinstance(found, list):
        raise FetchRefused(f"no such static file: {relative!r}")
    return Path(found)


class ReportURLFetcher(URLFetcher):
    """Serves the project's static files and this render's images; refuses everything else."""

    def __init__(self, images: Mapping[str, bytes] | None = None) -> None:
        # Only data: images ever reach the standard fetcher; everything else is answered here.
        super().__init__(allowed_protocols=("data",), allow_redirects=False, fail_on_errors=False)
        self.images = dict(images or {})
        self.refused: list[str] = []
        self.served: list[str] = []

    def fetch(self, url: str, headers: object = None) -> URLFetcherResponse:
        try:
            response = self._resolve(url)
        except FetchRefused as exc:
            self.refused.append(url)
            logger.warning("report renderer refused %s: %s", url[:200], exc)
            raise
        self.served.append(url)
        return response

    def _resolve(self, url: str) -> URLFetcherResponse:
        if url.startswith("data:"):
            media_type = url[5:].split(",", 1)[0].split(";", 1)[0].strip().lower()
            if media_type not in DATA_IMAGE_TYPES:
                raise FetchRefused(f"data: URLs of type {media_type or 'text/plain'} are refused")
            return super().fetch(url)
        if not url.startswith(ORIGIN + "/"):
            raise FetchRefused("only the project's own static files and generated images")
        parts = urlsplit(url)
        if parts.query or parts.username or parts.password or parts.port:
            raise FetchRefused("unexpected URL parts")
        path = unquote(parts.path)
        if path.startswith(GENERATED_PREFIX):
            name = path.removeprefix(GENERATED_PREFIX)
            if name not in self.images:
                raise FetchRefused(f"no generated image named {name!r}")
            media_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
            return URLFetcherResponse(url, self.images[name], {"Content-Type": media_type})
        if path.startswith(STATIC_PREFIX):
            file_path = _static_path(path.removeprefix(STATIC_PREFIX))
            media_type = STATIC_TYPES[file_path.suffix.lower()]
            return URLFetcherResponse(url, file_path.read_bytes(), {"Content-Type": media_type})
        raise FetchRefused("only /static/ and /generated/ are served")
