"""Remake the report screenshots in docs/img with headless Chromium (Debian's ``chromium`` package).

Usage (from the repository root)::

    python docs/img/screenshots.py

It builds two reports: the shipped real population under four policies, and a synthetic population
with capability scores (for the decision-region chart, where the real population has none). It
takes a screenshot of the top of the first report, and one of each chart shown in docs/compare.md,
cut out of the report as a page of its own so that the picture is exactly the report's SVG.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from governance import compare_population, load_policy, load_population
from governance.compare.report import SweepSpec, build_report
from governance.compare.synthetic import random_population

AS_OF = dt.date(2026, 11, 28)
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--virtual-time-budget=15000",
)


def _size(markup: str, attribute: str) -> int:
    """The chart's ``width`` or ``height`` attribute, in pixels."""
    match = re.search(attribute + r'="([\d.]+)"', markup)
    if match is None:
        raise SystemExit(f"a chart has no {attribute} attribute")
    return int(float(match.group(1)))


def shoot(chromium: str, page: Path, out: Path, width: int, height: int, profile: Path) -> None:
    """Screenshot ``page`` at the given window size."""
    subprocess.run(
        [chromium, *FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}", f"--screenshot={out}",
         page.as_uri()],
        check=True,
        capture_output=True,
        timeout=180,
    )  # fmt: skip


def charts(html: str) -> dict[str, tuple[str, int, int]]:
    """Every chart of a report: id to (SVG markup, width, height)."""
    found = {}
    for markup, ident in re.findall(r'(<svg id="([^"]+)" class="chart-svg".*?</svg>)', html, re.S):
        found[ident] = (markup, _size(markup, "width"), _size(markup, "height"))
    return found


def main() -> None:
    """Build the reports and write the PNG files."""
    chromium = shutil.which("chromium")
    if chromium is None:
        raise SystemExit("chromium is not installed (apt-get install chromium)")
    os.chdir(ROOT)  # so that the report names the population as a user would type it
    real = compare_population(
        load_population("examples/populations/notable-models.csv"),
        [load_policy(ref, as_of=AS_OF) for ref in ("eu-ai-act", "ca-sb-53", "ny-raise", "illustrative-capability")],
        as_of=AS_OF,
    )
    real_html = build_report(
        real,
        sweeps=[SweepSpec("eu-ai-act@2024.1", "systemic_risk_compute", 1e23, 1e27, 41)],
        title="Notable models under four policies",
    )
    synthetic = compare_population(
        random_population(600, seed=1),
        [load_policy("illustrative-capability", as_of=AS_OF), load_policy("eu-ai-act", as_of=AS_OF)],
        as_of=AS_OF,
    )
    synthetic_html = build_report(synthetic, sweeps=[], title="Synthetic population")
    wanted = {
        "compare-tier-counts.png": (real_html, "tier-counts"),
        "compare-tier-matrix.png": (real_html, "tier-matrix"),
        "compare-sweep.png": (real_html, "sweep-1"),
        "compare-ageing.png": (real_html, "ageing-1"),
        "compare-plane.png": (synthetic_html, "plane-1"),
        "compare-agreement.png": (synthetic_html, "agreement"),
    }
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        report = work / "report.html"
        report.write_text(real_html, encoding="utf-8")
        shoot(chromium, report, HERE / "compare-report-top.png", 1200, 1500, work / "profile")
        for name, (html, ident) in wanted.items():
            markup, width, height = charts(html)[ident]
            page = work / f"{ident}.html"
            page.write_text(f'<!doctype html><html><body style="margin:0">{markup}</body></html>', encoding="utf-8")
            shoot(chromium, page, HERE / name, width, height, work / "profile")
            print(f"wrote docs/img/{name}")


if __name__ == "__main__":
    main()
