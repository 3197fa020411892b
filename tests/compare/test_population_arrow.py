"""The pyarrow reader (CSV, Parquet, Arrow IPC, frames) against the core reader: same populations, same refusals."""

from __future__ import annotations

import builtins
import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from governance import Population
from governance.compare import population_arrow
from governance.compare.population import FORMS
from governance.compare.population_io import load_population, write_population_csv
from governance.compare.synthetic import random_population
from governance.exceptions import InputError
from tests.compare.support import mixed_population
from tests.helpers import invoke_cli

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

ROOT = Path(__file__).resolve().parents[2]
NOTABLE = ROOT / "examples" / "populations" / "notable-models.csv"
MESSY = ROOT / "tests" / "compare" / "data" / "messy.csv"


def _texts(column: Any) -> list[str]:
    return [column.get(i) for i in range(len(column))]


def assert_same(a: Population, b: Population, *, lines: bool = True) -> None:
    """Every field of the two populations is equal (NaN equal to NaN, NaT to NaT)."""
    for field in dataclasses.fields(Population):
        left, right = getattr(a, field.name), getattr(b, field.name)
        if field.name in ("lines", "source", "item_unit", "duplicates", "clashes") and not lines:
            continue
        if isinstance(left, np.ndarray):
            if left.dtype.kind == "M":
                left, right = left.view(np.int64), right.view(np.int64)
            assert left.dtype.kind == right.dtype.kind, field.name
            assert np.array_equal(left, right, equal_nan=left.dtype.kind == "f"), field.name
        elif field.name == "capabilities":
            assert list(left) == list(right)
            for domain in left:
                assert np.array_equal(left[domain], right[domain], equal_nan=True), domain
        elif field.name == "extra":
            assert list(left) == list(right)
            for key in left:
                assert _texts(left[key]) == _texts(right[key]), key
        elif hasattr(left, "codes"):
            assert left.labels == right.labels, field.name
            assert np.array_equal(left.codes, right.codes), field.name
        else:
            assert left == right, field.name


def outcome(path: Path, reader: str) -> Population | InputError:
    try:
        return load_population(path, reader=reader)
    except InputError as exc:
        return exc


def assert_same_outcome(path: Path) -> None:
    core, arrow = outcome(path, "core"), outcome(path, "arrow")
    if isinstance(core, InputError) or isinstance(arrow, InputError):
        assert isinstance(core, InputError) and isinstance(arrow, InputError), (core, arrow)
        assert str(core) == str(arrow)
        assert [(p.location, p.message) for p in core.problems] == [(p.location, p.message) for p in arrow.problems]
    else:
        assert_same(core, arrow)


def _takes_fast_path(path: Path) -> bool:
    from governance.compare.population_io import _read_arrow

    data = path.read_bytes()
    return _read_arrow(data, str(path), "arrow") is not None


class TestCsv:
    """The same CSV bytes through both readers."""

    def test_generated(self, tmp_path: Path) -> None:
        """Generated populations with every column, unknowns, duplicates: identical populations."""
        for k, source in enumerate((mixed_population(400, seed=3), random_population(3000, seed=5))):
            path = write_population_csv(source, tmp_path / f"p{k}.csv")
            assert _takes_fast_path(path)
            assert_same_outcome(path)

    def test_duplicates_and_clashes(self, tmp_path: Path) -> None:
        """Repeated rows dropped and shared names reported the same way."""
        path = tmp_path / "d.csv"
        path.write_text("name,training_flop,note\nA,1e24,x\nA,1e24,x\nA,2e24,y\nB,,\n")
        assert _takes_fast_path(path)
        assert_same_outcome(path)
        population = load_population(path, reader="arrow")
        assert len(population) == 3 and population.duplicates and population.clashes

    @pytest.mark.parametrize(
        "text",
        [
            "name,training_flop\nA,1e24\nB,-1\nC,lots\nD,inf\n",
            "name,training_flop,cap_bio\nA,1e24,1.5\nB,2e24, 0.5 \nC,,nan\n",
            "name,training_flop,release,openness\nA,1,2024-13-01,api\nB,1,2024,weird\n,1,2024-02,closed\n",
            "name,training_flop,modalities\nA,1,text;smell\n",
            "name,name\nA,B\n",
            "name,cost\nA,1\n",
            "name,training_flop\r\nA,1e24\r\nB,unknown\r\n",
            "name,training_flop\nA,1e24\n\nB,2\n",
            "name,training_flop\nA,1e24,extra\nB,2\n",
            "name,training_flop,cap_Bio!\nA,1,0.1\n",
            "name,training_flop_lower,training_flop,training_flop_upper\nA,3,2,1\n",
            "name,training_flop,revenue_usd\nA,1_000,1\nB,0x10,2\n",
        ],
    )
    def test_refusals_and_oddities(self, tmp_path: Path, text: str) -> None:
        """Problems found, worded and located the same way by both readers."""
        path = tmp_path / "odd.csv"
        path.write_bytes(text.encode())
        assert_same_outcome(path)

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(
        rows=st.lists(
            st.lists(
                st.lists(
                    st.sampled_from([*"aZ09.,-+eE \t;_?nN\r\u00a0é/\x00", "1e24", "nan", "unknown", "2024-05"]),
                    max_size=6,
                ).map("".join),
                min_size=5,
                max_size=5,
            ),
            min_size=1,
            max_size=6,
        )
    )
    def test_hostile_cells(self, tmp_path: Path, rows: list[list[str]]) -> None:
        """Arbitrary cells (separators, whitespace, NUL, stray CR, markers): same population or same refusal."""
        header = "name,training_flop,release,organization,cap_bio"
        text = header + "\n" + "\n".join(",".join(row) for row in rows) + "\n"
        path = tmp_path / "hostile.csv"
        path.write_bytes(text.encode())
        assert_same_outcome(path)

    def test_quoted_file_goes_to_core(self, tmp_path: Path) -> None:
        """Quotes (and hence embedded separators or line breaks) are left to the core reader."""
        path = tmp_path / "q.csv"
        path.write_text('name,training_flop\n"A, Inc",1e24\n"B\nC",2\n')
        assert not _takes_fast_path(path)
        assert_same_outcome(path)

    def test_messy_fixture(self) -> None:
        """The messy fixture (BOM, CRLF, quotes) reads the same either way."""
        assert_same_outcome(MESSY)
        assert_same_outcome(NOTABLE)


def _table(population: Population) -> Any:
    """The population as an Arrow table with typed columns (floats, dates, lists of text)."""
    modalities = [None if v is None else v.split(";") for v in _values(population.modalities)]
    return pa.table(
        {
            "name": [population.name(i) for i in range(len(population))],
            "training_flop": population.training_flop,
            "organization": _values(population.organization),
            "release": pa.array([None if np.isnat(d) else d.item() for d in population.release], pa.date32()),
            "openness": [None if c < 0 else FORMS[c].value for c in population.openness],
            "modalities": pa.array(modalities, pa.list_(pa.string())),
            "parameters": pa.array([None if np.isnan(v) else int(v) for v in population.parameters], pa.int64()),
            **{f"cap_{d}": values for d, values in population.capabilities.items()},
        }
    )


def _values(column: Any) -> list[str | None]:
    return [column.value(i) for i in range(len(column.codes))]


def _csv_twin(population: Population, path: Path) -> Population:
    """The same table written as CSV and read by the core reader."""
    table = _table(population)
    lines = [",".join(table.column_names)]
    for row in table.to_pylist():
        cells = []
        for value in row.values():
            if value is None or (isinstance(value, float) and np.isnan(value)):
                cells.append("")
            elif isinstance(value, list):
                cells.append(";".join(value))
            elif isinstance(value, float):
                cells.append(repr(value))
            else:
                cells.append(str(value))
        lines.append(",".join(cells))
    path.write_text("\n".join(lines) + "\n")
    return load_population(path, reader="core")


@pytest.fixture(name="source", scope="module")
def _source() -> Population:
    population = mixed_population(300, seed=11)
    keep = np.array([i for i in range(len(population)) if "," not in population.name(i)])
    return population.take(keep)


class TestTables:
    """Parquet, Arrow IPC and data frames read as the CSV does."""

    def test_parquet_and_ipc(self, tmp_path: Path, source: Population) -> None:
        """Typed Parquet and Arrow files (by extension and by magic bytes) equal the CSV read by the core."""
        expected = _csv_twin(source, tmp_path / "twin.csv")
        table = _table(source)
        pq.write_table(table, tmp_path / "p.parquet")
        with pa.OSFile(str(tmp_path / "p.arrow"), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
            writer.write_table(table)
        with pa.OSFile(str(tmp_path / "s.arrows"), "wb") as sink, pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table)
        (tmp_path / "p.data").write_bytes((tmp_path / "p.parquet").read_bytes())
        for name in ("p.parquet", "p.arrow", "s.arrows", "p.data"):
            loaded = load_population(tmp_path / name)
            assert_same(expected, loaded, lines=False)
            assert loaded.item_unit == "row"

    def test_frames(self, source: Population) -> None:
        """pandas and polars frames, with and without pyarrow, equal the CSV read by the core."""
        pandas = pytest.importorskip("pandas")
        polars = pytest.importorskip("polars")
        table = _table(source)
        frames = [table.to_pandas(), polars.from_arrow(table)]
        results = [Population.from_frame(frame) for frame in frames]
        assert_same(results[0], results[1])
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(population_arrow, "available", lambda: False)
            results += [Population.from_frame(frame) for frame in frames]
        for other in results[1:]:
            assert_same(results[0], other, lines=False)
        assert isinstance(frames[0], pandas.DataFrame)

    def test_frame_problems_name_the_row(self) -> None:
        """A bad cell in a frame is reported with its row, counted from 1, by either path."""
        pandas = pytest.importorskip("pandas")
        frame = pandas.DataFrame({"name": ["A", "B"], "training_flop": [1e24, -5.0], "release": ["2024-01", "May"]})
        messages = []
        for available in (True, False):
            with pytest.MonkeyPatch.context() as patch:
                patch.setattr(population_arrow, "available", lambda available=available: available)
                with pytest.raises(InputError) as caught:
                    Population.from_frame(frame, source="frame")
            messages.append([(p.location, p.message) for p in caught.value.problems])
        assert ("frame: row 2", "column 'release': 'May': is not a date; expected YYYY-MM-DD, YYYY-MM or YYYY") in (
            messages[0]
        )
        assert messages[0] == messages[1]
        assert ("frame: row 2", "column 'training_flop': '-5.0'; expected a finite number more than 0") in messages[1]

    def test_frame_dates_and_missing(self) -> None:
        """Timestamps at midnight read as dates, pandas' missing markers as unknown."""
        pandas = pytest.importorskip("pandas")
        frame = pandas.DataFrame(
            {
                "name": ["A", "B"],
                "training_flop": pandas.array([10**9, None], dtype="Int64"),
                "release": pandas.to_datetime(["2024-03-01", None]),
            }
        )
        for available in (True, False):
            with pytest.MonkeyPatch.context() as patch:
                patch.setattr(population_arrow, "available", lambda available=available: available)
                population = Population.from_frame(frame)
            assert population.training_flop[0] == 1e9 and np.isnan(population.training_flop[1])
            assert population.release[0] == np.datetime64(dt.date(2024, 3, 1)) and np.isnat(population.release[1])

    def test_not_a_frame(self) -> None:
        """Anything but a data frame is refused with what was expected."""
        with pytest.raises(InputError, match="expected a pandas or polars DataFrame"):
            Population.from_frame([{"name": "A"}])

    def test_damaged_parquet(self, tmp_path: Path) -> None:
        """A damaged Parquet file is an input error, not a traceback."""
        path = tmp_path / "bad.parquet"
        path.write_bytes(b"PAR1 this is not parquet")
        with pytest.raises(InputError, match="not a readable Parquet file"):
            load_population(path)

    def test_decompression_bomb(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """A small Parquet file that decompresses to far more than its size is refused before it is read."""
        path = tmp_path / "bomb.parquet"
        names = pa.array(["same model"] * 200_000)
        pq.write_table(pa.table({"name": names, "training_flop": pa.array([1e25] * 200_000)}), path)
        monkeypatch.setattr(population_arrow, "EXPANSION_FLOOR", 0)
        with pytest.raises(InputError, match=r"decompresses to [\d,]+ bytes; expected at most"):
            load_population(path)
        monkeypatch.setattr(population_arrow, "MAX_EXPANSION", 10**6)
        assert len(load_population(path)) == 1  # read in full; the 199,999 repeats of the one row are dropped

    def test_without_pyarrow(self, tmp_path: Path, source: Population, monkeypatch: pytest.MonkeyPatch) -> None:
        """Without pyarrow a CSV still reads (core reader) and a Parquet file says what to install."""
        pq.write_table(_table(source), tmp_path / "p.parquet")
        real_import = builtins.__import__

        def no_pyarrow(name: str, *args: Any, **kwargs: Any) -> Any:
            if name.split(".")[0] == "pyarrow":
                raise ImportError(name)
            return real_import(name, *args, **kwargs)

        monkeypatch.setattr(builtins, "__import__", no_pyarrow)
        monkeypatch.setattr(population_arrow, "available", lambda: False)
        with pytest.raises(InputError, match=r"needs pyarrow; pip install 'governance\[frames\]'"):
            load_population(tmp_path / "p.parquet")
        assert len(load_population(NOTABLE)) > 0
        with pytest.raises(InputError, match="needs pyarrow"):
            load_population(NOTABLE, reader="arrow")


class TestCli:
    """compare and sweep take Parquet and Arrow files."""

    def test_compare_parquet(self, tmp_path: Path) -> None:
        """The notable-models population as Parquet compares as the CSV does."""
        import pyarrow.csv as pacsv

        table = pacsv.read_csv(NOTABLE)
        pq.write_table(table, tmp_path / "notable.parquet")
        common = ("--policy", "eu-ai-act", "--policy", "ca-sb-53", "--as-of", "2026-11-28", "--format", "json")
        from_csv = invoke_cli("compare", "--population", str(NOTABLE), *common)
        from_parquet = invoke_cli("compare", "--population", str(tmp_path / "notable.parquet"), *common)
        assert from_parquet.returncode == 0, from_parquet.stderr
        assert '"tiers"' in from_parquet.stdout
        assert from_csv.stdout.count('"tier"') == from_parquet.stdout.count('"tier"')
