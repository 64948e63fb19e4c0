"""Read an uploaded audit CSV: check the file, guess and check the column mapping.

The file is checked in one streaming pass (size, SHA-256, UTF-8, no NUL bytes) before
anything else reads it; `audits.bias.counting` then counts people per category with
pyarrow, into the `Counts` defined here. Nothing here touches the database: the service
decides what is saved, and only after this has succeeded. This module does not import
pyarrow, so the processes that only show audits (every web worker) never load it.

Every problem raises `InvalidInput` whose message names the line and the column.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from audits.bias.choices import AuditType, DataFormat
from governance.core.errors import InvalidInput

CHUNK = 1024 * 1024
INTERSECTION_JOIN = " × "

# Cells read as "category unknown" (compared after trimming, case-insensitively). Such
# people are counted and reported per dimension, never dropped silently.
DEFAULT_UNKNOWN_VALUES = (
    "",
    "unknown",
    "not known",
    "not disclosed",
    "undisclosed",
    "prefer not to say",
    "declined",
    "declined to state",
    "n/a",
    "na",
    "null",
    "none",
)

# Header names each role is guessed from (compared after lower-casing and turning anything
# that is not a letter or digit into "_").
ROLE_SYNONYMS: dict[str, tuple[str, ...]] = {
    "selected": ("selected", "selection", "hired", "advanced", "outcome", "passed", "shortlisted"),
    "score": ("score", "scores", "rating", "model_score", "risk_score"),
    "label": ("label", "y_true", "actual", "ground_truth", "true_label", "target"),
    "prediction": ("prediction", "predicted", "y_pred", "pred", "predicted_label"),
    "applicants": ("applicants", "n", "count", "total", "candidates", "number_of_applicants"),
}
DIMENSION_SYNONYMS = (
    "sex",
    "gender",
    "race",
    "ethnicity",
    "race_ethnicity",
    "race_or_ethnicity",
    "ethnic_group",
    "age_group",
    "age_band",
    "disability",
)

ROLES_BY_FORMAT: dict[tuple[str, str], tuple[str, ...]] = {
    (AuditType.SELECTION, DataFormat.ROWS): ("selected",),
    (AuditType.SELECTION, DataFormat.COUNTS): ("applicants", "selected"),
    (AuditType.SCORING, DataFormat.ROWS): ("score",),
    (AuditType.CLASSIFICATION, DataFormat.ROWS): ("label", "prediction"),
}

# Bounds that keep a mistaken mapping (an id column chosen as a dimension, say) from turning
# into thousands of result rows, and keep names within the stored columns' lengths.
MAX_DIMENSIONS = 5
MAX_NAME_LENGTH = 50
MAX_CATEGORY_LENGTH = 100
MAX_CATEGORIES = 100
MAX_INTERSECTION_CATEGORIES = 2000

NUMBER_RE = r"^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$"
COUNT_RE = r"^\d{1,15}$"


def _normal(name: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", name.strip().lower()).strip("_")


@dataclass(frozen=True)
class ColumnMapping:
    """Which header of the file plays which role; dimensions are named by their header."""

    dimensions: tuple[str, ...]
    roles: Mapping[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"dimensions": list(self.dimensions), **dict(sorted(self.roles.items()))}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ColumnMapping:
        roles = {k: v for k, v in data.items() if k != "dimensions" and v}
        return cls(dimensions=tuple(data.get("dimensions") or ()), roles=roles)

    def used_columns(self) -> list[str]:
        return list(dict.fromkeys([*self.dimensions, *self.roles.values()]))


def required_roles(audit_type: str, data_format: str) -> tuple[str, ...]:
    roles = ROLES_BY_FORMAT.get((audit_type, data_format))
    if roles is None:
        raise InvalidInput(
            "Aggregated counts can only be used for selection audits: scoring needs every "
            "score to find the median, classification needs labels per person.",
            fields={"data_format": "use row-level data for this audit type"},
        )
    return roles


def guess_mapping(header: Sequence[str], audit_type: str, data_format: str) -> ColumnMapping:
    """The mapping suggested from header names; the person uploading confirms or changes it."""
    wanted = ROLES_BY_FORMAT.get((audit_type, data_format), ())
    normal = {_normal(h): h for h in reversed(header)}
    roles = {}
    for role in wanted:
        for synonym in ROLE_SYNONYMS[role]:
            if synonym in normal:
                roles[role] = normal[synonym]
                break
    taken = set(roles.values())
    dimensions = tuple(h for h in header if _normal(h) in DIMENSION_SYNONYMS and h not in taken)
    return ColumnMapping(dimensions=dimensions, roles=roles)


# --- File checks ------------------------------------------------------------------------


@dataclass(frozen=True)
class FileFacts:
    size: int
    sha256: str
    header: tuple[str, ...]


def _seek_start(stream: IO[bytes]) -> None:
    if hasattr(stream, "seek"):
        stream.seek(0)


def inspect_file(stream: IO[bytes], *, max_bytes: int) -> FileFacts:
    """One pass over the bytes: size limit, SHA-256, UTF-8 and NUL checks, and the header."""
    _seek_start(stream)
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")()
    size = 0
    lines_before = 0
    first = b""
    breaks = _LineBreaks()
    while chunk := stream.read(CHUNK):
        size += len(chunk)
        if size > max_bytes:
            raise InvalidInput(
                f"The file is larger than the limit of {max_bytes:,} bytes.",
                fields={"file": f"larger than {max_bytes:,} bytes"},
            )
        digest.update(chunk)
        if b"\x00" in chunk:
            line = lines_before + chunk[: chunk.index(b"\x00")].count(b"\n") + 1
            raise _encoding_error(line, "it contains NUL bytes (is it UTF-16 or a binary file?)")
        try:
            decoder.decode(chunk)
        except UnicodeDecodeError as exc:
            line = lines_before + chunk[: max(exc.start, 0)].count(b"\n") + 1
            raise _encoding_error(line, "it is not valid UTF-8") from None
        breaks.feed(chunk, lines_before)
        if len(first) < 64 * 1024:
            first += chunk[: 64 * 1024]
        lines_before += chunk.count(b"\n")
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise _encoding_error(lines_before + 1, "it ends in the middle of a character") from None
    _seek_start(stream)
    if size == 0:
        raise InvalidInput("The file is empty.", fields={"file": "empty file"})
    if breaks.quoted_break_suspected:
        _refuse_quoted_line_breaks(stream)
    return FileFacts(size=size, sha256=digest.hexdigest(), header=_header(first))


BARE_CR = re.compile(rb"\r(?!\n)")
# Every byte but the quote and the line-break characters, deleted before pairing quotes.
NOT_QUOTE_OR_BREAK = bytes(b for b in range(256) if b not in b'"\r\n')


class _LineBreaks:
    """Line breaks that would make a record span lines or lines be numbered differently.

    Every error names a physical line, counted by LF, and every reader of the file (pyarrow,
    the csv module on the error paths) must agree where records end, so lines end in LF or
    CRLF only, and a quoted value holds no line break. A carriage return without a line feed
    is refused here at once. A quoted line break is only suspected here, in C-speed byte
    operations; `_refuse_quoted_line_breaks` confirms it with the csv module, since a quote
    inside an unquoted value (`O"Brien`) is an ordinary character.
    """

    def __init__(self) -> None:
        self.in_quotes = False
        self.ended_in_cr = False
        self.quoted_break_suspected = False

    def feed(self, chunk: bytes, lines_before: int) -> None:
        self._refuse_bare_cr(chunk, lines_before)
        if self.quoted_break_suspected or (not self.in_quotes and b'"' not in chunk):
            return
        # Keep only quotes and line breaks. Opening and closing quotes then stand next to
        # each other unless a line break sits between them; removing every adjacent pair
        # leaves a quote behind exactly when a quoted value holds a line break. A value still
        # open at either end of the chunk is closed or opened by a quote added there.
        marks = chunk.translate(None, NOT_QUOTE_OR_BREAK)
        if self.in_quotes:
            marks = b'"' + marks
        self.in_quotes = marks.count(b'"') % 2 == 1
        if self.in_quotes:
            marks += b'"'
        self.quoted_break_suspected = b'"' in marks.replace(b'""', b"")

    def _refuse_bare_cr(self, chunk: bytes, lines_before: int) -> None:
        if self.ended_in_cr and not chunk.startswith(b"\n"):
            raise _bare_cr_error(lines_before)
        self.ended_in_cr = chunk.endswith(b"\r")
        if b"\r" not in chunk:
            return
        match = BARE_CR.search(chunk)
        # A CR ending the chunk may have its LF at the start of the next one.
        if match is not None and match.start() < len(chunk) - 1:
            raise _bare_cr_error(lines_before + chunk[: match.start()].count(b"\n") + 1)


def _bare_cr_error(line: int) -> InvalidInput:
    return InvalidInput(
        f"Line {line}: a carriage return (CR) without a line feed. The file must use Windows "
        "(CRLF) or Unix (LF) line breaks; files saved as 'CSV (Macintosh)' use CR alone. "
        "Save it as 'CSV UTF-8' and upload it again.",
        fields={"file": f"line {line}: CR line break without LF", "line": str(line)},
    )


def _refuse_quoted_line_breaks(stream: IO[bytes]) -> None:
    """Error path only: the line where the first quoted value holding a line break starts."""
    reader = csv.reader(_text_lines(stream))
    start = 1
    try:
        for row in reader:
            if any("\n" in value or "\r" in value for value in row):
                raise InvalidInput(
                    f"Line {start}: a quoted value runs over more than one line. Each record "
                    "must be on one line: remove the line breaks inside values and upload the "
                    "file again.",
                    fields={
                        "file": f"line {start}: line break inside a quoted value",
                        "line": str(start),
                    },
                )
            start = reader.line_num + 1
    except csv.Error as exc:
        raise InvalidInput(
            f"Line {start}: the file cannot be read as CSV ({exc}).",
            fields={"file": f"line {start}: not a readable CSV", "line": str(start)},
        ) from None
    finally:
        _seek_start(stream)


def _text_lines(stream: IO[bytes]) -> Iterator[str]:
    _seek_start(stream)
    for number, raw in enumerate(stream):
        yield raw.decode("utf-8-sig" if number == 0 else "utf-8")


def _encoding_error(line: int, why: str) -> InvalidInput:
    return InvalidInput(
        f"Line {line}: the file cannot be read as text because {why}. Save it as CSV in "
        "UTF-8 and upload it again.",
        fields={"file": f"line {line}: not UTF-8 text", "line": str(line)},
    )


def _header(first: bytes) -> tuple[str, ...]:
    text = first.decode("utf-8-sig", errors="replace")
    line = text.split("\n", 1)[0].rstrip("\r")
    if not line.strip():
        raise InvalidInput(
            "Line 1 must be the header with the column names.", fields={"file": "no header"}
        )
    names = tuple(name.strip() for name in next(csv.reader([line])))
    for position, name in enumerate(names, start=1):
        if not name:
            raise InvalidInput(
                f"Line 1: column {position} has no name.",
                fields={"file": f"line 1: column {position} has no name", "line": "1"},
            )
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise InvalidInput(
                f"Line 1: the column name {name!r} appears twice.",
                fields={"file": f"line 1: duplicate column {name!r}", "line": "1"},
            )
        seen.add(name)
    return names


def preview_rows(stream: IO[bytes], *, rows: int = 10) -> tuple[list[str], list[list[str]]]:
    """The header and the first rows, read from the first 256 KB only (for the upload form)."""
    _seek_start(stream)
    head = stream.read(256 * 1024)
    _seek_start(stream)
    text = head.decode("utf-8-sig", errors="replace")
    lines = text.splitlines()
    if len(head) == 256 * 1024 and lines:
        lines = lines[:-1]  # the last line may be cut in half
    try:
        parsed = list(csv.reader(lines[: rows + 1]))
    except csv.Error:
        # No preview then; the upload itself names the line (see `inspect_file`).
        return [], []
    if not parsed:
        return [], []
    return [h.strip() for h in parsed[0]], parsed[1:]


def check_mapping(
    mapping: ColumnMapping, header: Sequence[str], audit_type: str, data_format: str
) -> None:
    """Every role needed is mapped to a distinct column of the file; two or more dimensions."""
    needed = required_roles(audit_type, data_format)
    errors: dict[str, str] = {}
    for role in needed:
        column = mapping.roles.get(role)
        if not column:
            errors[f"{role}_column"] = f"choose the column that holds {role}"
        elif column not in header:
            errors[f"{role}_column"] = f"the file has no column {column!r}"
    if not mapping.dimensions:
        errors["dimensions"] = "choose at least one column to audit (e.g. sex, race_ethnicity)"
    elif len(mapping.dimensions) > MAX_DIMENSIONS:
        errors["dimensions"] = f"at most {MAX_DIMENSIONS} columns can be audited together"
    for column in mapping.dimensions:
        if column not in header:
            errors["dimensions"] = f"the file has no column {column!r}"
        elif column in mapping.roles.values():
            errors["dimensions"] = f"{column!r} is already used as an outcome column"
        elif len(column) > MAX_NAME_LENGTH:
            errors["dimensions"] = (
                f"column names used as dimensions must be at most {MAX_NAME_LENGTH} characters"
            )
    used = [mapping.roles[r] for r in needed if mapping.roles.get(r)]
    if len(set(used)) != len(used):
        errors["columns"] = "each role needs its own column"
    if errors:
        first = next(iter(errors.items()))
        raise InvalidInput(
            f"Column mapping: {first[0]}: {first[1]}. The file's columns are: {', '.join(header)}.",
            fields=errors,
        )


# --- Counting ---------------------------------------------------------------------------


@dataclass
class CategoryCounts:
    category: str
    n: int = 0
    selected: int = 0
    # Classification audits: people with label 1 / 0, and how many of them were predicted 1.
    positives: int | None = None
    true_positives: int | None = None
    negatives: int | None = None
    false_positives: int | None = None


@dataclass
class DimensionCounts:
    dimension: str
    is_intersection: bool
    categories: list[CategoryCounts]
    unknown: int


@dataclass
class Counts:
    total: int
    unknown_count: int
    median_score: float | None
    dimensions: list[DimensionCounts]
