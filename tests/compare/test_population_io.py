"""Reading populations: messy CSV, the shipped real population, JSON/YAML lists, errors, and round trips."""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from governance import InputError
from governance.candidate import ReleaseForm
from governance.compare.population import Population
from governance.compare.population_io import load_population, unique_cells, write_population_csv
from governance.compare.synthetic import random_population
from tests.compare.support import MESSY, NOTABLE, ROOT, mixed_population


def _write(tmp_path: Path, text: str, name: str = "p.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def _columns_equal(a: Population, b: Population) -> None:
    assert [a.name(i) for i in range(len(a))] == [b.name(i) for i in range(len(b))]
    for field in (
        "training_flop",
        "training_flop_lower",
        "training_flop_upper",
        "fine_tuning_flop",
        "revenue_usd",
        "parameters",
    ):
        assert np.array_equal(getattr(a, field), getattr(b, field), equal_nan=True), field
    assert set(a.capabilities) == set(b.capabilities)
    for domain in a.capabilities:
        assert np.array_equal(a.capabilities[domain], b.capabilities[domain], equal_nan=True), domain
    assert np.array_equal(a.openness, b.openness)
    assert np.array_equal(a.release.view(np.int64), b.release.view(np.int64))
    assert np.array_equal(a.training_end.view(np.int64), b.training_end.view(np.int64))
    for field in ("organization", "license", "components", "modalities"):
        left, right = getattr(a, field), getattr(b, field)
        assert [left.value(i) for i in range(len(a))] == [right.value(i) for i in range(len(b))], field


@pytest.fixture(name="messy", scope="module")
def _messy() -> Population:
    """The messy fixture, loaded once."""
    assert MESSY.read_bytes().startswith(b"\xef\xbb\xbf"), "the fixture must keep its byte-order mark"
    assert b"\r\n" in MESSY.read_bytes()
    return load_population(MESSY)


@pytest.fixture(name="notable", scope="module")
def _notable() -> Population:
    """The shipped real population, loaded once."""
    return load_population(NOTABLE)


class TestMessyFile:
    """The messy fixture loads with every quirk handled and reported."""

    def test_rows_and_names(self, messy: Population) -> None:
        """Stray whitespace and a line break inside a quoted name collapse; the BOM is not part of a header."""
        names = [messy.name(i) for i in range(len(messy))]
        assert names == ["Alpha Model", "Beta Model", "Gamma", "Delta", "Alpha Model", "Epsilon", "Zeta"]
        assert any("byte-order mark" in note for note in messy.notes)

    def test_duplicates_reported(self, messy: Population) -> None:
        """An exact repeat is dropped with its line; a differing row with the same name is kept and labelled."""
        assert [(d.name, d.kept_line, d.dropped_lines) for d in messy.duplicates] == [("Alpha Model", 2, (5,))]
        assert [(c.name, c.lines) for c in messy.clashes] == [("Alpha Model", (2, 9))]
        assert messy.label(0) == "Alpha Model (line 2)"
        assert messy.label(4) == "Alpha Model (line 9)"

    def test_unknowns_stay_unknown(self, messy: Population) -> None:
        """Blank, 'unknown', 'n/a', '?' and '-' are unknown, never zero."""
        gamma = messy.row(2)
        assert gamma["training_flop"] is None
        assert gamma["revenue_usd"] is None
        assert gamma["capabilities"] == {"bio": None, "cyber": None}
        epsilon = messy.row(5)
        assert epsilon["training_flop"] is None
        assert epsilon["openness"] is None
        assert not messy.compute_known()[[2, 5]].any()
        candidate = messy.candidate(2)
        assert candidate.compute.training_flop is None
        assert candidate.capabilities == {}

    def test_values(self, messy: Population) -> None:
        """Thousands separators, case-insensitive forms, month dates as month ends, padded short rows."""
        assert messy.training_flop[3] == 3e21
        assert messy.release_form(1) is ReleaseForm.API
        assert messy.release[0] == np.datetime64("2024-07-31")
        assert messy.release[3] == np.datetime64("2022-12-31")
        assert messy.row(0)["release"] == "2024-07"
        zeta = messy.row(6)
        assert zeta["training_flop"] == 7e23
        assert zeta["organization"] is None
        assert any("fewer fields" in note for note in messy.notes)
        assert messy.organization.value(1) == "Lab B"

    def test_extra_columns_kept(self, messy: Population) -> None:
        """Columns the engine does not read are kept for display, by their header."""
        assert messy.row(1)["extra"] == {"Source note": "quoted, with comma"}

    def test_aliases(self, messy: Population) -> None:
        """'Training FLOP', 'Organisation' and 'licence' are read as the standard columns."""
        assert messy.license.value(0) == "Apache-2.0"
        assert messy.row(0)["organization"] == "Lab A"


class TestRealPopulation:
    """The shipped notable-models.csv: real models, each row citing its source."""

    def test_loads(self, notable: Population) -> None:
        """Every row loads; one has unknown compute (Grok 3), none is a duplicate."""
        assert len(notable) == 27
        assert not notable.duplicates
        assert not notable.clashes
        unknown = [notable.name(int(i)) for i in np.flatnonzero(~notable.compute_known())]
        assert unknown == ["Grok 3"]

    def test_every_row_cites_a_source(self, notable: Population) -> None:
        """The source column is filled for every row; Epoch AI rows name the snapshot commit."""
        for index in range(len(notable)):
            source = notable.row(index)["extra"]["source"]
            assert source, notable.name(index)
        epoch = [i for i in range(len(notable)) if "open-model-trends" in notable.row(i)["extra"]["source"]]
        assert len(epoch) == 25
        assert all("a72b3e9" in notable.row(i)["extra"]["source"] for i in epoch)

    def test_licences_marked_unverified(self, notable: Population) -> None:
        """Every stated licence says it was not re-verified."""
        for index in range(len(notable)):
            row = notable.row(index)
            if row["license"]:
                assert "not re-verified" in row["extra"]["license_checked"]

    def test_figures(self, notable: Population) -> None:
        """Spot checks against the fact sheet: exact values, GPT-4's interval."""
        by_name = {notable.name(i): i for i in range(len(notable))}
        assert notable.training_flop[by_name["Inflection-2"]] == 1e25
        gpt4 = notable.row(by_name["GPT-4"])
        assert (gpt4["training_flop"], gpt4["training_flop_lower"], gpt4["training_flop_upper"]) == (
            2.1e25,
            8.2e24,
            4.4e25,
        )
        assert notable.training_flop[by_name["Llama 3.1-405B"]] == 3.8e25


class TestErrors:
    """Bad input is refused whole, naming the file, line, column and what was expected."""

    @pytest.mark.parametrize(
        ("text", "message"),
        [
            ("model,flop\nA,1\n", "missing column(s) name, training_flop"),
            ("name,training_flop\nA,abc\n", "p.csv:2"),
            ("name,training_flop\nA,-5\n", "expected a finite number more than 0"),
            ("name,training_flop,cap_bio\nA,1e20,1.5\n", "at most 1"),
            ("name,training_flop\nA,inf\n", "expected a finite number"),
            ("name,training_flop,release\nA,1,2024-13\n", "is not a valid date"),
            ("name,training_flop,release\nA,1,last year\n", "expected YYYY-MM-DD"),
            ("name,training_flop,openness\nA,1,semi\n", "is not a release form"),
            ("name,training_flop,modalities\nA,1,smell\n", "unknown modality"),
            ("name,training_flop\n ,1\n", "the name is blank"),
            ("name,training_flop,name\nA,1,B\n", "appears twice"),
            ("name,training_flop,cap_Bio Risk!\nA,1,0.5\n", "is not a risk-domain name"),
            ("name,training_flop\nA,1,2\n", "the row has 3 fields"),
            ("name,training_flop,training_flop_upper\nA,5e25,1e25\n", "estimate above the upper bound"),
            ("", "the file is empty"),
        ],
    )
    def test_refused(self, tmp_path: Path, text: str, message: str) -> None:
        """Each problem is an InputError whose text says what is wrong."""
        path = _write(tmp_path, text)
        with pytest.raises(InputError) as caught:
            load_population(path)
        assert message in str(caught.value)

    def test_every_problem_listed(self, tmp_path: Path) -> None:
        """Several bad cells give several problems, each located at its line."""
        path = _write(tmp_path, "name,training_flop,cap_bio\nA,x,0.1\nB,1e20,2\nC,1e20,0.3\n")
        with pytest.raises(InputError) as caught:
            load_population(path)
        locations = sorted(p.location for p in caught.value.problems)
        assert locations == [f"{path}:2", f"{path}:3"]

    def test_missing_file(self, tmp_path: Path) -> None:
        """A missing file names itself."""
        with pytest.raises(InputError, match="no such file"):
            load_population(tmp_path / "absent.csv")

    def test_windows_1252(self, tmp_path: Path) -> None:
        """A non-UTF-8 file from a spreadsheet is read as Windows-1252, and the note says so."""
        path = _write(tmp_path, "name,training_flop\nCafé model,1e20\n", encoding="cp1252")
        population = load_population(path)
        assert population.name(0) == "Café model"
        assert any("Windows-1252" in note for note in population.notes)


class TestReaders:
    """The vectorised reader and the csv-module reader give the same population."""

    def test_plain_and_quoted_agree(self, tmp_path: Path) -> None:
        """The same rows, once plain (vectorised reader) and once fully quoted (csv module): equal columns."""
        source = mixed_population(300, seed=21)
        plain = write_population_csv(source, tmp_path / "plain.csv")
        assert b'"' not in plain.read_bytes()
        with plain.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.reader(handle))
        quoted = tmp_path / "quoted.csv"
        with quoted.open("w", encoding="utf-8", newline="") as handle:
            csv.writer(handle, quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerows(rows)
        _columns_equal(load_population(plain), load_population(quoted))

    def test_round_trip(self, tmp_path: Path) -> None:
        """write_population_csv then load_population gives back the same columns."""
        for source in (mixed_population(200, seed=9), random_population(500, seed=2)):
            path = write_population_csv(source, tmp_path / "round.csv", force=True)
            _columns_equal(source, load_population(path))

    def test_unknown_markers_in_numbers(self, tmp_path: Path) -> None:
        """Every unknown marker reads as unknown in a numeric column; zero stays zero."""
        path = _write(
            tmp_path,
            "name,training_flop,revenue_usd\nA,unknown,0\nB,N/A,\nC,?,nan\nD,-,NULL\nE,none,1e9\nF,–,\n",
        )
        population = load_population(path)
        assert np.isnan(population.training_flop).all()
        assert population.revenue_usd[0] == 0.0
        assert np.isnan(population.revenue_usd[1:4]).all()


class TestLists:
    """JSON and YAML lists of candidates or of rows."""

    def test_candidate_documents(self, tmp_path: Path) -> None:
        """A YAML list of candidate documents keeps the candidates as given."""
        documents = [yaml.safe_load(p.read_text()) for p in sorted((ROOT / "examples" / "candidates").glob("*.yaml"))]
        path = tmp_path / "candidates.yaml"
        path.write_text(yaml.safe_dump(documents, sort_keys=False))
        population = load_population(path)
        assert population.documents is not None
        assert len(population) == len(documents)
        assert population.name(0) == documents[0]["model"]["name"]

    def test_rows(self, tmp_path: Path) -> None:
        """A JSON list of rows reads like the CSV; unknowns as null; item numbers locate problems."""
        rows = [
            {"name": "A", "training_flop": 1e24, "openness": "api", "cap_bio": 0.2},
            {"name": "B", "training_flop": None, "release": "2024-05"},
        ]
        path = tmp_path / "rows.json"
        path.write_text(json.dumps(rows))
        population = load_population(path)
        assert population.training_flop[0] == 1e24
        assert math.isnan(population.training_flop[1])
        assert population.release[1] == np.datetime64("2024-05-31")
        path.write_text(json.dumps([*rows, {"name": "C", "training_flop": "lots"}]))
        with pytest.raises(InputError, match="item 3"):
            load_population(path)

    def test_invalid_candidate(self, tmp_path: Path) -> None:
        """A bad candidate document in a list names its index and field."""
        path = tmp_path / "bad.yaml"
        path.write_text(yaml.safe_dump([{"model": {"name": "x"}, "compute": {"training_flop": 1}, "release": {}}]))
        with pytest.raises(InputError) as caught:
            load_population(path)
        assert "0.model.developer" in str(caught.value)

    def test_mixed_list_refused(self, tmp_path: Path) -> None:
        """Candidates and rows cannot be mixed in one list."""
        path = tmp_path / "mixed.json"
        path.write_text(json.dumps([{"name": "A", "training_flop": 1}, {"model": {}}]))
        with pytest.raises(InputError, match="mixes"):
            load_population(path)


class TestScaleReading:
    """A large generated file takes the vectorised path and reads back exactly."""

    def test_large_round_trip(self, tmp_path: Path) -> None:
        """20,000 random rows: written, read, equal."""
        source = random_population(20_000, seed=7)
        path = write_population_csv(source, tmp_path / "big.csv")
        loaded = load_population(path)
        _columns_equal(source, loaded)
        assert loaded.release[0] == source.release[0]
        assert isinstance(loaded.candidate(0).release.date, dt.date)


class TestPlausibleValues:
    """Populations read dates and release forms in the candidate's words and window."""

    @pytest.mark.parametrize("day", ["0001-01-01", "1949", "2200-01"])
    def test_dates_outside_the_window(self, tmp_path: Path, day: str) -> None:
        """A date in year 1 would age any compute to nothing: refused, the window named."""
        path = _write(tmp_path, f"name,training_flop,release\nA,1e25,{day}\n")
        with pytest.raises(InputError, match="outside 1950-01-01 to 2199-12-31"):
            load_population(path)

    def test_open_weights_in_both_spellings(self, tmp_path: Path) -> None:
        """``open_weights`` (the candidate's word) and ``open-weight`` read the same."""
        path = _write(tmp_path, "name,training_flop,openness\nA,1e25,open_weights\nB,1e25,open-weight\n")
        population = load_population(path)
        assert [population.release_form(i) for i in range(2)] == [ReleaseForm.OPEN_WEIGHTS] * 2

    def test_unknown_form_names_the_candidate_words(self, tmp_path: Path) -> None:
        """The error lists the spellings a candidate uses."""
        with pytest.raises(InputError, match="open_weights or open_source"):
            load_population(_write(tmp_path, "name,training_flop,openness\nA,1e25,weights\n"))


class TestUniqueCells:
    """The categorical reader's distinct values and codes are exactly ``np.unique``'s, for any bytes."""

    @given(st.lists(st.binary(max_size=12), max_size=40))
    def test_same_as_numpy(self, values: list[bytes]) -> None:
        """Narrow cells (integer keys) and wide ones (np.unique itself) give np.unique's answer."""
        cells = np.array(values, dtype=np.bytes_) if values else np.zeros(0, dtype="S1")
        unique, inverse = unique_cells(cells)
        expected, codes = np.unique(cells, return_inverse=True)
        assert unique.dtype == expected.dtype
        assert unique.tolist() == expected.tolist()
        assert inverse.tolist() == codes.reshape(-1).tolist()
