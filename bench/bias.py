"""Bias audit benchmark: computing an audit from a large CSV, against a plain read of it.

    .venv/bin/python bench/bias.py [--rows 1000000] [--repeat 3] [--libraries]

Generates row-level CSVs with two dimensions (sex, race/ethnicity) and a 0/1 outcome, then
in separate child processes (so each peak-memory figure is that step's alone):
- a plain `pyarrow.csv.read_csv` of the file (the floor for any computation on it);
- the audit computation the upload service runs: the checking pass (size, SHA-256, UTF-8),
  the typed read, row validation, group-bys per dimension and the intersection, and the
  statistics (impact ratios, z and Fisher tests, fairness metrics).
Sizes of a quarter, a half and the full row count show how time and memory grow.
`--libraries` adds the comparison that chose pyarrow: read + validation + group-bys in
pyarrow, pandas and polars (each that can be imported).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import PYTHON, ROOT, machine, peak_rss_mb, run_json, write_section

SEXES = ["Female", "Male", ""]
RACES = [
    "Hispanic or Latino",
    "White",
    "Black or African American",
    "Asian",
    "Native Hawaiian or Other Pacific Islander",
    "American Indian or Alaska Native",
    "Two or More Races",
]


def generate(path: Path, rows: int, seed: int = 1) -> None:
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pacsv

    rng = np.random.default_rng(seed)
    sex = rng.choice(np.array(SEXES, dtype=object), rows, p=[0.48, 0.5, 0.02])
    race = rng.choice(
        np.array(RACES, dtype=object), rows, p=[0.18, 0.45, 0.17, 0.14, 0.01, 0.015, 0.035]
    )
    selected = (rng.random(rows) < 0.3).astype(np.int8)
    table = pa.table({"sex": sex, "race_ethnicity": race, "selected": selected})
    pacsv.write_csv(table, path, write_options=pacsv.WriteOptions(quoting_style="none"))


def _warm_up_file() -> str:
    """A tiny file of the same shape: one pass over it loads every library and kernel, so the
    timed run measures a single upload in a running server, not the process's imports."""
    path = Path(tempfile.gettempdir()) / f"bench-bias-warm-{os.getpid()}.csv"
    path.write_text("sex,race_ethnicity,selected\nFemale,White,1\nMale,Asian,0\nMale,White,1\n")
    return str(path)


def child_read(path: str) -> dict[str, object]:
    import pyarrow.csv as pacsv

    pacsv.read_csv(_warm_up_file())
    started = time.perf_counter()
    table = pacsv.read_csv(path)
    return {"seconds": time.perf_counter() - started, "rows": table.num_rows}


def child_audit(path: str) -> dict[str, object]:
    from bench.common import setup_django

    setup_django()
    from audits.bias import analysis, counting, engine

    mapping = engine.ColumnMapping(("sex", "race_ethnicity"), {"selected": "selected"})

    def compute(source: str) -> tuple[Any, list[Any]]:
        with open(source, "rb") as stream:
            facts = engine.inspect_file(stream, max_bytes=1 << 40)
        engine.check_mapping(mapping, facts.header, "selection", "rows")
        counts = counting.count_file(
            source, mapping=mapping, audit_type="selection", data_format="rows"
        )
        figures, _ = analysis.analyse(
            analysis.inputs_from_counts(counts),
            total=counts.total,
            exclusions={},
            privileged={},
            classification=False,
        )
        return counts, figures

    compute(_warm_up_file())
    started = time.perf_counter()
    counts, figures = compute(path)
    return {
        "seconds": time.perf_counter() - started,
        "rows": counts.total,
        "categories": len(figures),
    }


def child_library(name: str, path: str) -> dict[str, object]:
    """Read, check the 0/1 column and group by each dimension and the pair, in one library."""
    run_library(name, _warm_up_file())
    started = time.perf_counter()
    run_library(name, path)
    return {"seconds": time.perf_counter() - started}


def run_library(name: str, path: str) -> None:
    keys = (["sex"], ["race_ethnicity"], ["sex", "race_ethnicity"])
    if name == "pyarrow":
        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.csv as pacsv

        types = {"sex": pa.string(), "race_ethnicity": pa.string(), "selected": pa.string()}
        table = pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(column_types=types))
        assert pc.all(pc.is_in(table["selected"], value_set=pa.array(["0", "1"]))).as_py()
        table = table.set_column(2, "selected", pc.cast(table["selected"], pa.int64()))
        for group in keys:
            table.group_by(group).aggregate([("selected", "sum"), ("selected", "count")])
    elif name == "pandas":
        import pandas as pd

        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        assert frame["selected"].isin(["0", "1"]).all()
        frame["selected"] = frame["selected"].astype("int64")
        for group in keys:
            frame.groupby(group)["selected"].agg(["sum", "count"])
    elif name == "polars":
        import polars as pl

        frame = pl.read_csv(path, infer_schema=False)
        assert frame["selected"].is_in(["0", "1"]).all()
        frame = frame.with_columns(pl.col("selected").cast(pl.Int64))
        for group in keys:
            frame.group_by(group).agg(pl.col("selected").sum(), pl.len())
    else:
        raise ValueError(name)


def measure(step: str, path: Path, repeat: int) -> dict[str, float]:
    runs = [
        run_json([PYTHON, str(Path(__file__)), "--child", step, str(path)]) for _ in range(repeat)
    ]
    return {
        "seconds": statistics.median(float(r["seconds"]) for r in runs),  # type: ignore[arg-type]
        "peak_mb": max(float(r["peak_mb"]) for r in runs),  # type: ignore[arg-type]
    }


def library_available(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--libraries", action="store_true")
    parser.add_argument("--child", nargs=2)
    args = parser.parse_args()
    if args.child:
        step, path = args.child
        if step == "read":
            result = child_read(path)
        elif step == "audit":
            result = child_audit(path)
        else:
            result = child_library(step.removeprefix("lib-"), path)
        print(json.dumps({**result, "peak_mb": peak_rss_mb()}))
        return

    lines = []
    with tempfile.TemporaryDirectory(prefix="bench-bias-") as folder:
        largest = None
        for rows in (args.rows // 4, args.rows // 2, args.rows):
            path = Path(folder) / f"audit-{rows}.csv"
            generate(path, rows)
            read = measure("read", path, args.repeat)
            audit = measure("audit", path, args.repeat)
            ratio = audit["seconds"] / read["seconds"]
            size_mb = path.stat().st_size / 1e6
            lines.append(
                f"| {rows:,} | {size_mb:.0f} MB | {read['seconds']:.2f} s, {read['peak_mb']:.0f} MB "
                f"| {audit['seconds']:.2f} s, {audit['peak_mb']:.0f} MB | {ratio:.1f}× |"
            )
            largest = (rows, read, audit, ratio)
        library_lines = []
        if args.libraries and largest is not None:
            path = Path(folder) / f"audit-{args.rows}.csv"
            for name in ("pyarrow", "pandas", "polars"):
                if not library_available(name):
                    library_lines.append(f"| {name} | not installed | |")
                    continue
                result = measure(f"lib-{name}", path, args.repeat)
                library_lines.append(
                    f"| {name} | {result['seconds']:.2f} s | {result['peak_mb']:.0f} MB |"
                )
    assert largest is not None
    rows, read, audit, ratio = largest
    library_table = ""
    if library_lines:
        library_table = (
            "\nLibrary comparison (`--libraries`): read, check the 0/1 column, group by each "
            f"dimension and the pair, {rows:,} rows, median of {args.repeat}, peak memory of "
            "the child process:\n\n| library | time | peak memory |\n|---|---|---|\n"
            + "\n".join(library_lines)
            + "\n"
        )
    write_section(
        "bias",
        f"""
## Bias audits (`bench/bias.py`)

Command: `.venv/bin/python bench/bias.py --rows {args.rows} --repeat {args.repeat}{" --libraries" if args.libraries else ""}`
on {machine()}; each figure is the median of {args.repeat} runs, each in a fresh child process that first
handles a three-row file of the same shape (so imports and kernel set-up, paid once per server
process, are not timed), with that process's peak resident memory (interpreter and libraries
included).

Row-level CSV, two dimensions (sex, race/ethnicity; 2 % unknown sex) and a 0/1 outcome. "Audit"
is everything the upload service computes before saving: the checking pass (size, SHA-256,
UTF-8), the typed read, row validation, group-bys for both dimensions and their intersection,
and the statistics (impact ratios, z and Fisher tests, parity metrics).

| rows | file | plain `pyarrow.csv.read_csv` | audit computation | audit ÷ read |
|---|---|---|---|---|
{chr(10).join(lines)}

Targets: {rows:,} rows in a few seconds with peak memory under 1 GB (measured
{audit["seconds"]:.2f} s and {audit["peak_mb"]:.0f} MB), audit ÷ read at most 3× (measured
{ratio:.1f}×), memory growing linearly with the rows.
{library_table}""",
    )


if __name__ == "__main__":
    os.chdir(ROOT)
    main()
