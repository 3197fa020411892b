"""The HTML report: self-contained, and checked in a real headless Chromium (Debian's ``chromium``).

Chromium loads the file from disk with a recording proxy as its only route to the network. The page's
own script reports whether every chart drew and whether the PNG export works; its
Content-Security-Policy forbids every request and the script counts any that was attempted. Two
controls show that the checks can fail: a page that requests an image reaches the proxy, and the
report with such an image injected reports a blocked request.
"""

from __future__ import annotations

import http.server
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from governance import load_policy
from governance.compare.comparison import compare_population
from governance.compare.population_io import load_population
from governance.compare.report import CSP, SweepSpec, build_report, write_report
from tests.compare.report.png import decode_png
from tests.compare.support import AS_OF, NOTABLE, fixture_policy

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
BROWSER_SERVICE_HOSTS = ("google.com", "googleapis.com", "gvt1.com")
"""Chromium's own background traffic (updates, time, accounts); the report never names these hosts."""

needs_chromium = pytest.mark.skipif(
    CHROMIUM is None,
    reason="Debian's chromium package is not installed (.ci/run installs it: apt-get install chromium)",
)


def _report_html() -> str:
    population = load_population(NOTABLE)
    policies = [
        load_policy("eu-ai-act"),
        load_policy("ca-sb-53"),
        load_policy("illustrative-capability@1.0"),
        fixture_policy("raw-line-inclusive"),
    ]
    comparison = compare_population(population, policies, as_of=AS_OF)
    sweeps = [SweepSpec("eu-ai-act@2024.1-r3", "systemic_risk_compute", 1e22, 1e28, 13)]
    return build_report(comparison, sweeps=sweeps)


@pytest.fixture(name="report", scope="module")
def _report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The report for the real population under four policies, written once."""
    path = tmp_path_factory.mktemp("report") / "report.html"
    write_report(path, _report_html())
    return path


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str, str]] = []
        self.scripts: list[str] = []
        self.styles: list[str] = []
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes += [(tag, name, value or "") for name, value in attrs]
        self._in = tag if tag in ("script", "style") else None

    def handle_data(self, data: str) -> None:
        if self._in == "script":
            self.scripts.append(data)
        elif self._in == "style":
            self.styles.append(data)

    def handle_endtag(self, tag: str) -> None:
        self._in = None


class TestSelfContained:
    """Nothing in the file points outside it."""

    def test_no_external_references(self, report: Path) -> None:
        """No URL in any attribute, no CSS url() or @import, no network API in the script, no embedding tags."""
        collector = _Collector()
        collector.feed(report.read_text(encoding="utf-8"))
        for tag, name, value in collector.attributes:
            lowered = value.strip().lower()
            assert not re.match(r"^(https?:|//|ftp:|ws:|wss:)", lowered), (tag, name, value)
            if name in ("src", "href", "xlink:href", "action", "srcset", "poster", "data"):
                pytest.fail(f"<{tag} {name}=...> in a report that must reference nothing")
        assert not set(collector.tags) & {"link", "iframe", "object", "embed", "img", "video", "audio", "base"}
        for css in collector.styles:
            assert "url(" not in css and "@import" not in css
        for script in collector.scripts:
            for api in ("fetch(", "XMLHttpRequest", "import(", "WebSocket", "EventSource", "sendBeacon", "http"):
                assert api not in script, api

    def test_content_security_policy(self, report: Path) -> None:
        """The page forbids every request in its own head."""
        text = report.read_text(encoding="utf-8")
        assert f'<meta http-equiv="Content-Security-Policy" content="{CSP}">' in text
        assert "default-src 'none'" in CSP
        assert text.index("Content-Security-Policy") < text.index("<script>")

    def test_charts_and_exports(self, report: Path) -> None:
        """Every chart is an inline SVG with SVG and PNG export buttons."""
        text = report.read_text(encoding="utf-8")
        charts = re.findall(r'<svg id="([^"]+)" class="chart-svg"', text)
        assert {"tier-counts", "agreement", "tier-matrix", "sweep-1", "plane-1", "ageing-1"} <= set(charts)
        for ident in charts:
            assert f'data-export="svg" data-chart="{ident}"' in text
            assert f'data-export="png" data-chart="{ident}"' in text


def _recorder(seen: list[str]) -> type[http.server.BaseHTTPRequestHandler]:
    """A request handler that notes every request line in ``seen`` and answers 404."""

    class Recorder(http.server.BaseHTTPRequestHandler):
        def handle_one_request(self) -> None:
            self.raw_requestline = self.rfile.readline(65537)
            if not self.raw_requestline or not self.parse_request():
                return
            seen.append(f"{self.command} {self.path}")
            self.send_response(404)
            self.end_headers()
            self.wfile.flush()

        def log_message(self, format: str, *args: object) -> None:
            return None

    return Recorder


@pytest.fixture(name="proxy")
def _proxy() -> Iterator[tuple[str, list[str]]]:
    """A recording HTTP proxy on a free local port; every request the browser makes ends up in the list."""
    seen: list[str] = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _recorder(seen))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


def _chromium(tmp_path: Path, page: Path, *extra: str, proxy: str | None = None) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    profile = tmp_path / f"profile-{len(list(tmp_path.iterdir()))}"
    args = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--virtual-time-budget=15000",
        "--hide-scrollbars",
    ]
    if proxy is not None:
        args += [f"--proxy-server={proxy}", "--proxy-bypass-list=<-loopback>"]
    return subprocess.run(
        [*args, *extra, page.resolve().as_uri()], capture_output=True, text=True, timeout=180, check=False
    )


def _hosts(seen: list[str]) -> set[str]:
    hosts = set()
    for line in seen:
        target = line.split(" ", 1)[1]
        host = re.sub(r"^[a-z]+://", "", target).split("/")[0].split(":")[0]
        hosts.add(host)
    return hosts


def _page_requests(seen: list[str]) -> set[str]:
    return {h for h in _hosts(seen) if not any(h == s or h.endswith("." + s) for s in BROWSER_SERVICE_HOSTS)}


@needs_chromium
class TestInChromium:
    """The report opens offline in a real browser, draws every chart, and requests nothing."""

    def test_self_check_and_no_requests(self, report: Path, tmp_path: Path, proxy: tuple[str, list[str]]) -> None:
        """The page's script reports every chart drawn, PNG export working, nothing blocked; the proxy saw nothing."""
        address, seen = proxy
        result = _chromium(tmp_path, report, "--dump-dom", proxy=address)
        assert result.returncode == 0, result.stderr[-2000:]
        body = re.search(r"<body[^>]*>", result.stdout)
        assert body is not None, result.stdout[:500]
        attributes = dict(re.findall(r'([a-z-]+)="([^"]*)"', body.group(0)))
        charts = len(re.findall(r'class="chart-svg"', report.read_text(encoding="utf-8")))
        assert attributes["data-report-status"] == "ok", attributes
        assert attributes["data-charts"] == str(charts)
        assert attributes["data-drawn"] == str(charts)
        assert attributes["data-png"] == "ok"
        assert attributes["data-blocked"] == "0"
        assert "Self-check: " in result.stdout
        assert _page_requests(seen) == set(), seen

    def test_screenshot_is_not_blank(self, report: Path, tmp_path: Path) -> None:
        """A screenshot of the page has the charts' colours and plenty of ink."""
        shot = tmp_path / "report.png"
        result = _chromium(tmp_path, report, f"--screenshot={shot}", "--window-size=900,1400")
        assert shot.is_file(), result.stderr[-2000:]
        pixels = decode_png(shot.read_bytes())[:, :, :3].astype(np.int32)
        assert pixels.shape[:2] == (1400, 900)
        inked = (pixels < 200).any(axis=2).mean()
        assert inked > 0.03, f"only {inked:.1%} of the screenshot is not white"
        colours = {tuple(p) for p in pixels.reshape(-1, 3)[::7].tolist()}
        assert len(colours) > 50
        green, amber = np.array([46, 125, 50]), np.array([230, 161, 0])
        flat = pixels.reshape(-1, 3)
        assert (np.abs(flat - green).sum(axis=1) < 30).any(), "no open-tier green on the page"
        assert (np.abs(flat - amber).sum(axis=1) < 30).any(), "no staged-tier amber on the page"


@needs_chromium
class TestControls:
    """The checks above can fail: a requesting page is caught by the proxy and by the page's own script."""

    def test_proxy_sees_a_requesting_page(self, tmp_path: Path, proxy: tuple[str, list[str]]) -> None:
        """A page (without the report's policy) that loads an image sends the request through the proxy."""
        address, seen = proxy
        page = tmp_path / "leak.html"
        page.write_text('<!doctype html><html><body><img src="http://leak.invalid/pixel.png"></body></html>')
        _chromium(tmp_path, page, "--dump-dom", proxy=address)
        assert "leak.invalid" in _page_requests(seen)

    def test_report_blocks_and_reports_a_request(self, report: Path, tmp_path: Path) -> None:
        """The report with an image injected: the policy blocks it and the self-check fails, naming it."""
        page = tmp_path / "injected.html"
        html = report.read_text(encoding="utf-8")
        page.write_text(html.replace("<main>", '<main><img src="http://leak.invalid/pixel.png">', 1))
        result = _chromium(tmp_path, page, "--dump-dom")
        body = re.search(r"<body[^>]*>", result.stdout)
        assert body is not None
        attributes = dict(re.findall(r'([a-z-]+)="([^"]*)"', body.group(0)))
        assert attributes["data-report-status"] == "failed"
        assert int(attributes["data-blocked"]) >= 1
