"""Read an uploaded audit CSV and count people per category, vectorised with pyarrow.

The file is checked in one streaming pass (size, SHA-256, UTF-8, no NUL bytes), then read
by pyarrow's multi-threaded CSV reader with every used column as text, so that a category
coded "1" stays a label and a bad number can be located. Validation and group-bys run on
Arrow arrays; Python only sees the (few) groups. Nothing here touches the database: the
service decides what is saved, and only after this has succeeded.

Every problem raises `InvalidInput` whose message names the line and the column.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

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
    return FileFacts(size=size, sha256=digest.hexdigest(), header=_header(first))


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
    parsed = list(csv.reader(lines[: rows + 1]))
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


def count_file(
    source: Any,
    *,
    mapping: ColumnMapping,
    audit_type: str,
    data_format: str,
    unknown_values: Iterable[str] = DEFAULT_UNKNOWN_VALUES,
) -> Counts:
    """Validate the rows and count people (and selections) per category of every dimension.

    `source` is a path or a binary file object positioned anywhere (it is rewound).
    """
    if hasattr(source, "seek"):
        source.seek(0)
    used = mapping.used_columns()
    table = _read(source, used)
    if table.num_rows == 0:
        raise InvalidInput(
            "The file has a header but no data rows.", fields={"file": "no data rows"}
        )
    unknown = {v.strip().lower() for v in unknown_values}
    roles = mapping.roles
    median: float | None = None
    if data_format == DataFormat.COUNTS:
        applicants = _counts_column(table, roles["applicants"], source)
        selected = _counts_column(table, roles["selected"], source)
        _check_selected_within(applicants, selected, roles, source)
        table = pa.table(
            {
                **{d: table[d] for d in mapping.dimensions},
                "_n": applicants,
                "_y": selected,
            }
        )
        aggregations = [("_n", "sum"), ("_y", "sum")]
    elif audit_type == AuditType.SCORING:
        scores = _number_column(table, roles["score"], source)
        median = pc.quantile(scores, q=0.5, interpolation="linear")[0].as_py()
        # §5-301(c): the scoring rate counts scores strictly above the whole sample's median.
        above = pc.cast(pc.greater(scores, pa.scalar(median)), pa.int64())
        table = pa.table({**{d: table[d] for d in mapping.dimensions}, "_y": above})
        aggregations = [("_y", "count"), ("_y", "sum")]
    elif audit_type == AuditType.CLASSIFICATION:
        label = _binary_column(table, roles["label"], source)
        prediction = _binary_column(table, roles["prediction"], source)
        table = pa.table(
            {**{d: table[d] for d in mapping.dimensions}, "_label": label, "_y": prediction}
        )
        aggregations = [("_y", "count"), ("_y", "sum")]
    else:
        selected = _binary_column(table, roles["selected"], source)
        table = pa.table({**{d: table[d] for d in mapping.dimensions}, "_y": selected})
        aggregations = [("_y", "count"), ("_y", "sum")]

    with_labels = audit_type == AuditType.CLASSIFICATION
    groupings: list[tuple[str, tuple[str, ...], bool]] = [
        (d, (d,), False) for d in mapping.dimensions
    ]
    if len(mapping.dimensions) > 1:
        groupings.append((INTERSECTION_JOIN.join(mapping.dimensions), mapping.dimensions, True))
    # One vectorised group-by over every dimension (and the label) at once; each dimension's
    # counts and the intersection's are then sums over those few groups.
    keys = [*mapping.dimensions, "_label"] if with_labels else list(mapping.dimensions)
    grouped = table.group_by(keys).aggregate(aggregations).to_pylist()
    n_key = "_n_sum" if aggregations[0] == ("_n", "sum") else "_y_count"
    dimensions = [
        _collapse(grouped, name, columns, n_key, unknown, is_intersection, with_labels)
        for name, columns, is_intersection in groupings
    ]
    total = int(pc.sum(table["_n"]).as_py() or 0) if "_n" in table.column_names else len(table)
    if total == 0:
        raise InvalidInput(
            "The file counts no applicants at all.", fields={"file": "all counts are 0"}
        )
    for dim in dimensions:
        limit = MAX_INTERSECTION_CATEGORIES if dim.is_intersection else MAX_CATEGORIES
        if len(dim.categories) > limit:
            raise InvalidInput(
                f"{dim.dimension!r} has {len(dim.categories)} different categories (at most "
                f"{limit}): is it an identifier rather than a demographic category?",
                fields={
                    "dimensions": f"{dim.dimension}: too many categories",
                    "column": dim.dimension,
                },
            )
        if not dim.is_intersection and len(dim.categories) < 2:
            found = ", ".join(repr(c.category) for c in dim.categories) or "none"
            raise InvalidInput(
                f"Column {dim.dimension!r} has fewer than two known categories (found: "
                f"{found}); an impact ratio compares at least two.",
                fields={
                    "dimensions": f"{dim.dimension}: a single category",
                    "column": dim.dimension,
                },
            )
    return Counts(
        total=total,
        unknown_count=dimensions[-1].unknown,
        median_score=median,
        dimensions=dimensions,
    )


def _read(source: Any, columns: list[str]) -> pa.Table:
    try:
        return pacsv.read_csv(
            source,
            read_options=pacsv.ReadOptions(use_threads=True, block_size=4 * 1024 * 1024),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(columns, pa.string()),
                include_columns=columns,
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid as exc:
        line = _first_ragged_line(source)
        if line is not None:
            raise InvalidInput(
                f"Line {line}: the number of values does not match the header.",
                fields={"file": f"line {line}: wrong number of values", "line": str(line)},
            ) from None
        raise InvalidInput(
            f"The file cannot be read as CSV: {exc}", fields={"file": "not a readable CSV"}
        ) from None


def _lines(source: Any) -> Iterator[str]:
    """The file's lines as text, without closing a stream the caller owns."""
    stream = source if hasattr(source, "seek") else open(source, "rb")  # noqa: SIM115
    try:
        stream.seek(0)
        for number, raw in enumerate(stream):
            yield raw.decode("utf-8-sig" if number == 0 else "utf-8")
    finally:
        if stream is not source:
            stream.close()


def _first_ragged_line(source: Any) -> int | None:
    """Error path only: the physical line of the first row whose width differs from the header."""
    reader = csv.reader(_lines(source))
    width = None
    for row in reader:
        if width is None:
            width = len(row)
            continue
        if row and len(row) != width:
            return reader.line_num
    return None


def _line_of_row(source: Any, index: int) -> int:
    """Error path only: the physical line of data row `index` (blank lines are skipped)."""
    seen = -1
    for number, line in enumerate(_lines(source), start=1):
        if number == 1 or not line.rstrip("\r\n"):
            continue
        seen += 1
        if seen == index:
            return number
    return index + 2


def _row_error(source: Any, index: int, column: str, value: str, problem: str) -> InvalidInput:
    line = _line_of_row(source, index)
    shown = value if len(value) <= 40 else value[:40] + "…"
    return InvalidInput(
        f"Line {line}, column {column!r}: {shown!r} {problem}.",
        fields={
            "file": f"line {line}, column {column!r}: {problem}",
            "line": str(line),
            "column": column,
        },
    )


def _first_bad(values: pa.Array, ok: pa.Array) -> int | None:
    ok = pc.fill_null(ok, False)
    if pc.all(ok).as_py():
        return None
    return int(pc.index(ok, False).as_py())


def _binary_column(table: pa.Table, column: str, source: Any) -> pa.Array:
    raw = table[column]
    if pc.all(pc.is_in(raw, value_set=pa.array(["0", "1"]))).as_py():
        return pc.cast(raw, pa.int64())
    values = pc.utf8_trim_whitespace(raw)
    ok = pc.is_in(values, value_set=pa.array(["0", "1"]))
    bad = _first_bad(values, ok)
    if bad is not None:
        raise _row_error(source, bad, column, values[bad].as_py(), "is not 0 or 1")
    return pc.cast(values, pa.int64())


def _number_column(table: pa.Table, column: str, source: Any) -> pa.Array:
    values = pc.utf8_trim_whitespace(table[column])
    ok = pc.match_substring_regex(values, NUMBER_RE)
    bad = _first_bad(values, ok)
    if bad is not None:
        raise _row_error(source, bad, column, values[bad].as_py(), "is not a number")
    return pc.cast(values, pa.float64())


def _counts_column(table: pa.Table, column: str, source: Any) -> pa.Array:
    values = pc.utf8_trim_whitespace(table[column])
    ok = pc.match_substring_regex(values, COUNT_RE)
    bad = _first_bad(values, ok)
    if bad is not None:
        value = values[bad].as_py()
        if re.fullmatch(r"-\s*\d+", value or ""):
            problem = "is negative; a count cannot be"
        elif re.fullmatch(r"\d+", value or ""):
            problem = "is too large for a count of people"
        else:
            problem = "is not a whole number"
        raise _row_error(source, bad, column, value, problem)
    return pc.cast(values, pa.int64())


def _check_selected_within(
    applicants: pa.Array, selected: pa.Array, roles: Mapping[str, str], source: Any
) -> None:
    over = pc.greater(selected, applicants)
    if pc.any(over).as_py():
        index = int(pc.index(over, True).as_py())
        line = _line_of_row(source, index)
        a, s = applicants[index].as_py(), selected[index].as_py()
        raise InvalidInput(
            f"Line {line}, column {roles['selected']!r}: {s} selected is more than the "
            f"{a} applicants in column {roles['applicants']!r}.",
            fields={
                "file": f"line {line}: selected greater than applicants",
                "line": str(line),
                "column": roles["selected"],
            },
        )


def _category(raw: Any, unknown: set[str]) -> str | None:
    text = "" if raw is None else str(raw).strip()
    return None if text.lower() in unknown else text


def _collapse(
    grouped: list[dict[str, Any]],
    name: str,
    columns: tuple[str, ...],
    n_key: str,
    unknown: set[str],
    is_intersection: bool,
    with_labels: bool,
) -> DimensionCounts:
    merged: dict[str, CategoryCounts] = {}
    unknown_people = 0
    # Python sees only the groups (a few dozen), never the rows: trimming and the unknown
    # markers are applied per distinct raw value.
    for group in grouped:
        parts = [_category(group[c], unknown) for c in columns]
        for column, part in zip(columns, parts, strict=True):
            if part is not None and len(part) > MAX_CATEGORY_LENGTH:
                raise InvalidInput(
                    f"Column {column!r} has a category longer than {MAX_CATEGORY_LENGTH} "
                    f"characters ({part[:40]!r}…).",
                    fields={"dimensions": f"{column}: category too long", "column": column},
                )
        n, y = int(group[n_key] or 0), int(group["_y_sum"] or 0)
        if any(p is None for p in parts):
            unknown_people += n
            continue
        key = INTERSECTION_JOIN.join(p for p in parts if p is not None)
        counts = merged.setdefault(key, CategoryCounts(category=key))
        counts.n += n
        counts.selected += y
        if with_labels:
            if counts.positives is None:
                counts.positives = counts.true_positives = 0
                counts.negatives = counts.false_positives = 0
            if group["_label"] == 1:
                counts.positives = (counts.positives or 0) + n
                counts.true_positives = (counts.true_positives or 0) + y
            else:
                counts.negatives = (counts.negatives or 0) + n
                counts.false_positives = (counts.false_positives or 0) + y
    categories = [merged[key] for key in sorted(merged)]
    return DimensionCounts(
        dimension=name,
        is_intersection=is_intersection,
        categories=categories,
        unknown=unknown_people,
    )
