"""Count people per category of every dimension, vectorised with pyarrow.

The file, already checked by `engine.inspect_file`, is read by pyarrow's multi-threaded CSV
reader with every used column as text, so that a category coded "1" stays a label and a bad
number can be located. Validation and group-bys run on Arrow arrays; Python only sees the
(few) groups. Services import this module inside the functions that count a file, because
pyarrow costs tens of megabytes in every process that loads it.

Every problem raises `InvalidInput` whose message names the line and the column.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from audits.bias.choices import AuditType, DataFormat
from audits.bias.engine import (
    COUNT_RE,
    DEFAULT_UNKNOWN_VALUES,
    INTERSECTION_JOIN,
    MAX_CATEGORIES,
    MAX_CATEGORY_LENGTH,
    MAX_INTERSECTION_CATEGORIES,
    NUMBER_RE,
    CategoryCounts,
    ColumnMapping,
    Counts,
    DimensionCounts,
)
from governance.core.errors import InvalidInput


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
    try:
        for row in reader:
            if width is None:
                width = len(row)
                continue
            if row and len(row) != width:
                return reader.line_num
    except csv.Error:  # e.g. a value over the csv module's field size limit
        return None
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


def _refuse_first_bad(
    values: pa.Array, ok: pa.Array, column: str, source: Any, problem: Callable[[str], str]
) -> None:
    """Raise for the first value that is not `ok`, naming its line; `problem` words it."""
    ok = pc.fill_null(ok, False)
    if pc.all(ok).as_py():
        return
    bad = int(pc.index(ok, False).as_py())
    value = values[bad].as_py() or ""
    raise _row_error(source, bad, column, value, problem(value))


def _binary_column(table: pa.Table, column: str, source: Any) -> pa.Array:
    raw = table[column]
    if pc.all(pc.is_in(raw, value_set=pa.array(["0", "1"]))).as_py():
        return pc.cast(raw, pa.int64())
    values = pc.utf8_trim_whitespace(raw)
    ok = pc.is_in(values, value_set=pa.array(["0", "1"]))
    _refuse_first_bad(values, ok, column, source, lambda _: "is not 0 or 1")
    return pc.cast(values, pa.int64())


def _number_column(table: pa.Table, column: str, source: Any) -> pa.Array:
    values = pc.utf8_trim_whitespace(table[column])
    ok = pc.match_substring_regex(values, NUMBER_RE)
    _refuse_first_bad(values, ok, column, source, lambda _: "is not a number")
    return pc.cast(values, pa.float64())


def _count_problem(value: str) -> str:
    if re.fullmatch(r"-\s*\d+", value):
        return "is negative; a count cannot be"
    if re.fullmatch(r"\d+", value):
        return "is too large for a count of people"
    return "is not a whole number"


def _counts_column(table: pa.Table, column: str, source: Any) -> pa.Array:
    values = pc.utf8_trim_whitespace(table[column])
    ok = pc.match_substring_regex(values, COUNT_RE)
    _refuse_first_bad(values, ok, column, source, _count_problem)
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
