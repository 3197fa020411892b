"""The ledger and audit commands as a user runs them: record, verify, replay, export, audit, prove, browse."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from tests.helpers import invoke_cli

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "candidates"
AS_OF = "2026-11-28"


def run(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the CLI in this process, in ``cwd`` (no ledger variables inherited unless given)."""
    return invoke_cli(*args, cwd=cwd, env=env)


def _flat(text: str) -> str:
    return " ".join(text.split())


def _count(path: Path) -> int:
    connection = sqlite3.connect(path)
    try:
        return int(connection.execute("SELECT count(*) FROM ledger_decisions").fetchone()[0])
    finally:
        connection.close()


@pytest.fixture(scope="module", name="recorded")
def _recorded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder whose default ledger holds the four examples decided under the illustrative policy."""
    folder = tmp_path_factory.mktemp("recorded")
    files = [str(path) for path in sorted(EXAMPLES.glob("*.yaml"))]
    result = run(
        "decide", *files, "--policy", "illustrative-capability@1.0", "--as-of", AS_OF, "--record",
        "--actor", "release-ci", "--format", "json", cwd=folder,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "recorded 4 decision(s)" in _flat(result.stderr)
    pubkey = run("ledger", "pubkey", "--out", "ledger.pub", cwd=folder)
    assert pubkey.returncode == 0, pubkey.stderr
    return folder


@pytest.fixture(name="copy")
def _copy(recorded: Path, tmp_path: Path) -> Path:
    """A private copy of the recorded folder, to damage."""
    target = tmp_path / "copy"
    shutil.copytree(recorded, target)
    return target


class TestRecord:
    """decide --record appends every decision, and prints the same decisions as without it."""

    def test_json_output_is_unchanged(self, recorded: Path, tmp_path: Path) -> None:
        """--record changes nothing on stdout; the ledger and its private key exist."""
        files = [str(path) for path in sorted(EXAMPLES.glob("*.yaml"))]
        plain = run("decide", *files, "-p", "illustrative-capability@1.0", "--as-of", AS_OF, "-f", "json", cwd=tmp_path)
        recorded_run = run(
            "decide", *files, "-p", "illustrative-capability@1.0", "--as-of", AS_OF, "-f", "json", "--record",
            cwd=tmp_path,
        )  # fmt: skip
        assert recorded_run.returncode == 0, recorded_run.stderr
        assert json.loads(plain.stdout) == json.loads(recorded_run.stdout)
        assert (tmp_path / "governance-ledger.sqlite").is_file() and (tmp_path / "governance-ledger.key").is_file()
        assert _count(tmp_path / "governance-ledger.sqlite") == 4

    def test_wrong_key_appends_nothing(self, copy: Path, tmp_path: Path) -> None:
        """Another key: exit 5, no entry added."""
        other = tmp_path / "other.key"
        assert (
            run(
                "ledger", "keygen", "--key", str(other), "--ledger", str(tmp_path / "o.sqlite"), cwd=tmp_path
            ).returncode
            == 0
        )
        before = _count(copy / "governance-ledger.sqlite")
        result = run(
            "decide", str(EXAMPLES / "small-open-model.yaml"), "-p", "illustrative-capability@1.0", "--record",
            "--key", str(other), cwd=copy,
        )  # fmt: skip
        assert result.returncode == 5 and "not registered" in _flat(result.stderr)
        assert _count(copy / "governance-ledger.sqlite") == before

    def test_demo_records_and_verifies(self, tmp_path: Path) -> None:
        """demo --record fills a ledger and verifies it."""
        result = run("demo", "--record", "--as-of", AS_OF, "-f", "json", cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        assert "verified" in result.stderr and len(json.loads(result.stdout)) == _count(
            tmp_path / "governance-ledger.sqlite"
        )


class TestVerify:
    """ledger verify: exit 0 when intact; exit 6 naming the entry and the fault otherwise."""

    def test_intact(self, recorded: Path) -> None:
        """With the public key given, and as JSON."""
        result = run("ledger", "verify", "--pubkey", "ledger.pub", cwd=recorded)
        assert result.returncode == 0, result.stderr
        assert "entries 4" in _flat(result.stdout) and "--pubkey" in result.stdout
        report = json.loads(run("ledger", "verify", "-f", "json", cwd=recorded).stdout)
        assert report["ok"] and report["entries"] == 4 and report["fault"] is None

    def test_altered_entry(self, copy: Path) -> None:
        """An UPDATE behind governance's back (triggers dropped): altered, at seq 2, with its decision id."""
        path = copy / "governance-ledger.sqlite"
        connection = sqlite3.connect(path)
        decision_id = connection.execute("SELECT decision_id FROM ledger_decisions WHERE seq = 2").fetchone()[0]
        connection.execute("DROP TRIGGER ledger_decisions_no_update")
        connection.execute("UPDATE ledger_decisions SET actor = 'mallory' WHERE seq = 2")
        connection.commit()
        connection.close()
        result = run("ledger", "verify", cwd=copy)
        assert result.returncode == 6
        message = _flat(result.stderr)
        assert "altered at entry seq 2" in message and decision_id in message
        assert "Traceback" not in result.stderr

    def test_deleted_checkpoint(self, copy: Path) -> None:
        """A checkpoint row deleted between two later appends: missing, naming the append's entries; exit 6."""
        candidate = str(EXAMPLES / "small-open-model.yaml")
        for _ in range(2):
            more = run("decide", candidate, "-p", "illustrative-capability@1.0", "--record", cwd=copy)
            assert more.returncode == 0, more.stderr
        assert run("ledger", "verify", cwd=copy).returncode == 0
        path = copy / "governance-ledger.sqlite"
        connection = sqlite3.connect(path)
        connection.execute("DROP TRIGGER ledger_checkpoints_no_delete")
        connection.execute("DELETE FROM ledger_checkpoints WHERE tree_size = 5")
        connection.commit()
        connection.close()
        result = run("ledger", "verify", "--format", "json", cwd=copy)
        assert result.returncode == 6
        fault = json.loads(result.stdout)["fault"]
        assert fault["kind"] == "missing" and fault["seq"] == 4
        assert "(size 5) is missing: a checkpoint was deleted" in fault["detail"]
        export = run("ledger", "export", "--bundle", "audit.jsonl", cwd=copy)
        assert export.returncode == 0, export.stderr
        audit = run("audit", "verify", "audit.jsonl", cwd=copy)
        assert audit.returncode == 6 and "missing at entry seq 4" in _flat(audit.stderr)

    def test_wrong_public_key(self, copy: Path, tmp_path: Path) -> None:
        """A key from elsewhere: bad signature, exit 6."""
        other = run(
            "ledger", "keygen", "--key", str(tmp_path / "x.key"), "--ledger", str(tmp_path / "x.sqlite"), cwd=tmp_path
        )
        (tmp_path / "x.pub").write_text(other.stdout)
        result = run("ledger", "verify", "--pubkey", str(tmp_path / "x.pub"), cwd=copy)
        assert result.returncode == 6 and "bad signature at entry seq 0" in _flat(result.stderr)

    def test_kept_checkpoint(self, copy: Path) -> None:
        """A checkpoint saved now is extended by later appends."""
        assert run("ledger", "checkpoint", "--out", "kept.note", cwd=copy).returncode == 0
        assert "—" in (copy / "kept.note").read_text()
        more = run(
            "decide", str(EXAMPLES / "small-open-model.yaml"), "-p", "illustrative-capability@1.0", "--record", cwd=copy
        )
        assert more.returncode == 0, more.stderr
        result = run("ledger", "verify", "--checkpoint", "kept.note", "--pubkey", "ledger.pub", cwd=copy)
        assert result.returncode == 0, result.stderr
        assert "extends the checkpoint you trust (size 4)" in _flat(result.stdout)


class TestReplay:
    """ledger replay: reproduces, or shows a diff and exits 6."""

    def test_reproduces(self, recorded: Path) -> None:
        """All four entries reproduce."""
        result = run("ledger", "replay", cwd=recorded)
        assert result.returncode == 0, result.stderr
        assert "4 reproduce byte for byte, 0 do not" in _flat(result.stdout)

    def test_changed_decision(self, copy: Path) -> None:
        """A stored tier changed: the entry is named with a diff."""
        path = copy / "governance-ledger.sqlite"
        connection = sqlite3.connect(path)
        connection.execute("DROP TRIGGER ledger_decisions_no_update")
        connection.execute(
            'UPDATE ledger_decisions SET decision = CAST(replace(CAST(decision AS TEXT), \'"tier":"open"\', '
            '\'"tier":"restricted"\') AS BLOB) WHERE seq = 3'
        )
        connection.commit()
        connection.close()
        result = run("ledger", "replay", cwd=copy)
        assert result.returncode == 6
        out = _flat(result.stdout)
        assert "seq 3" in out and '/tier: "restricted" → "open"' in out and "--- recorded" in result.stdout
        assert "do not reproduce" in _flat(result.stderr)


class TestBundles:
    """export, then audit verify / replay with nothing but the bundle."""

    def test_offline_audit(self, recorded: Path, tmp_path: Path) -> None:
        """The bundle alone, in another folder, verifies with the public key and replays."""
        assert run("ledger", "export", "--bundle", str(tmp_path / "audit.jsonl"), cwd=recorded).returncode == 0
        auditor = tmp_path / "auditor"
        auditor.mkdir()
        shutil.copy(tmp_path / "audit.jsonl", auditor)
        shutil.copy(recorded / "ledger.pub", auditor)
        verified = run("audit", "verify", "audit.jsonl", "--pubkey", "ledger.pub", cwd=auditor)
        assert verified.returncode == 0, verified.stderr
        replayed = run("audit", "replay", "audit.jsonl", cwd=auditor)
        assert replayed.returncode == 0 and "4 reproduce byte for byte" in _flat(replayed.stdout)

    def test_truncated(self, recorded: Path, tmp_path: Path) -> None:
        """A bundle cut short: exit 6, 'truncated'."""
        bundle = tmp_path / "b.jsonl"
        run("ledger", "export", "--bundle", str(bundle), cwd=recorded)
        data = bundle.read_bytes()
        bundle.write_bytes(data[: len(data) * 2 // 3])
        result = run("audit", "verify", str(bundle), cwd=tmp_path)
        assert result.returncode == 6 and "truncated" in _flat(result.stderr)

    def test_other_ledgers_bundle(self, recorded: Path, tmp_path: Path) -> None:
        """A bundle of another ledger checked with this ledger's key or origin: exit 6."""
        other = tmp_path / "other"
        other.mkdir()
        assert run("demo", "--record", "--as-of", AS_OF, cwd=other).returncode == 0
        run("ledger", "export", "--bundle", "other.jsonl", cwd=other)
        result = run("audit", "verify", str(other / "other.jsonl"), "--pubkey", "ledger.pub", cwd=recorded)
        assert result.returncode == 6 and "bad signature" in result.stderr
        origin = json.loads(run("ledger", "verify", "-f", "json", cwd=recorded).stdout)["origin"]
        result = run("audit", "verify", str(other / "other.jsonl"), "--origin", origin, cwd=recorded)
        assert result.returncode == 6 and "exported from ledger" in _flat(result.stderr)

    def test_bad_files(self, recorded: Path, tmp_path: Path) -> None:
        """A missing bundle or a non-bundle is an input error (exit 2); export refuses to overwrite."""
        assert run("audit", "verify", "absent.jsonl", cwd=tmp_path).returncode == 2
        bundle = tmp_path / "b.jsonl"
        run("ledger", "export", "--bundle", str(bundle), cwd=recorded)
        result = run("audit", "verify", str(bundle), "--witnesses", "1", cwd=tmp_path)
        assert result.returncode == 2 and "served ledger" in result.stderr
        result = run("audit", "verify", "https://127.0.0.1:9/log", cwd=tmp_path)
        assert result.returncode == 2 and "--pubkey" in result.stderr
        (tmp_path / "notes.txt").write_text("hello\n")
        result = run("audit", "replay", "notes.txt", cwd=tmp_path)
        assert result.returncode == 2 and "not an audit bundle" in result.stderr
        result = run("ledger", "export", "--bundle", str(tmp_path / "notes.txt"), cwd=recorded)
        assert result.returncode == 2 and (tmp_path / "notes.txt").read_text() == "hello\n"


class TestProofsAndBrowsing:
    """prove / audit proof, list and show with filters, whatif, keys, migrate."""

    def test_prove(self, recorded: Path, tmp_path: Path) -> None:
        """An inclusion proof checks offline; an edited one does not."""
        decision_id = json.loads(run("ledger", "list", "-f", "json", "-n", "1", cwd=recorded).stdout)[0]["decision_id"]
        proof = tmp_path / "proof.json"
        assert run("ledger", "prove", decision_id, "--out", str(proof), cwd=recorded).returncode == 0
        checked = run("audit", "proof", str(proof), "--pubkey", str(recorded / "ledger.pub"), cwd=tmp_path)
        assert checked.returncode == 0 and f"decision {decision_id} is entry 3" in _flat(checked.stdout)
        document = json.loads(proof.read_text())
        document["entry"]["actor"] = "mallory"
        proof.write_text(json.dumps(document))
        assert run("audit", "proof", str(proof), cwd=tmp_path).returncode == 6
        assert run("ledger", "prove", "no-such-decision", cwd=recorded).returncode == 2

    @pytest.mark.parametrize("width", [80, 100, 140, 200])
    def test_list_keeps_ids_whole(self, recorded: Path, width: int, monkeypatch: pytest.MonkeyPatch) -> None:
        """At any terminal width every decision id stands whole on one line (to be copied), within the width."""
        from governance.cli._app import console

        monkeypatch.setattr(console, "width", width)
        ids = [row["decision_id"] for row in json.loads(run("ledger", "list", "-f", "json", cwd=recorded).stdout)]
        table = run("ledger", "list", cwd=recorded)
        assert table.returncode == 0, table.stderr
        lines = table.stdout.splitlines()
        assert all(len(line) <= width for line in lines)
        for decision_id in ids:
            assert any(decision_id in line for line in lines), (decision_id, table.stdout)
        assert "restricted" in table.stdout and "Unevaluated 30B" in table.stdout

    def test_list_filters(self, recorded: Path) -> None:
        """--tier, --model, --policy and dates select entries; newest first."""
        everything = json.loads(run("ledger", "list", "-f", "json", cwd=recorded).stdout)
        assert [row["seq"] for row in everything] == [3, 2, 1, 0]
        tiers = {row["tier"] for row in everything}
        for tier in tiers:
            chosen = json.loads(run("ledger", "list", "--tier", tier, "-f", "json", cwd=recorded).stdout)
            assert chosen and all(row["tier"] == tier for row in chosen)
        olmo = json.loads(run("ledger", "list", "--model", "olmo", "-f", "json", cwd=recorded).stdout)
        assert [row["model"] for row in olmo] == ["OLMo 7B"]
        assert json.loads(run("ledger", "list", "--policy", "eu-ai-act", "-f", "json", cwd=recorded).stdout) == []
        day = everything[0]["recorded_at"][:10]
        assert (
            len(json.loads(run("ledger", "list", "--since", day, "--until", day, "-f", "json", cwd=recorded).stdout))
            == 4
        )
        assert json.loads(run("ledger", "list", "--until", "2000-01-01", "-f", "json", cwd=recorded).stdout) == []
        assert run("ledger", "list", "--since", "yesterday", cwd=recorded).returncode == 2
        assert "OLMo 7B" in run("ledger", "list", cwd=recorded).stdout

    def test_show(self, recorded: Path) -> None:
        """By sequence number or id; unknown ones exit 2."""
        shown = json.loads(run("ledger", "show", "0", "-f", "json", cwd=recorded).stdout)
        assert shown["seq"] == 0 and shown["covered_by_checkpoint"] == 4 and "tier" in shown["decision"]
        table = run("ledger", "show", shown["decision_id"], cwd=recorded)
        assert table.returncode == 0 and "entry 0" in table.stdout and "tier" in table.stdout
        assert run("ledger", "show", "999", cwd=recorded).returncode == 2

    def test_whatif(self, recorded: Path) -> None:
        """Re-deciding under another version reports how many would change."""
        result = run("ledger", "whatif", "--policy", "illustrative-capability@2.0", "-f", "json", cwd=recorded)
        assert result.returncode == 0, result.stderr
        report = json.loads(result.stdout)
        assert report["considered"] == 4 and report["policy"] == "illustrative-capability@2.0"
        assert run("ledger", "whatif", "--policy", "no-such-policy@1", cwd=recorded).returncode == 3

    def test_keys_and_migrate(self, recorded: Path, tmp_path: Path) -> None:
        """keygen refuses to overwrite; pubkey reads a key file; migrate has nothing to do."""
        key = recorded / "governance-ledger.key"
        assert run("ledger", "keygen", "--key", str(key), cwd=recorded).returncode == 2
        line = run("ledger", "pubkey", "--key", str(key), cwd=tmp_path).stdout.strip()
        assert line == (recorded / "ledger.pub").read_text().strip()
        result = run("ledger", "migrate", cwd=recorded)
        assert result.returncode == 0 and "nothing to do" in result.stdout


@pytest.mark.parametrize(
    "args",
    [
        ("ledger", "verify"),
        ("ledger", "replay"),
        ("ledger", "export", "--bundle", "b.jsonl"),
        ("ledger", "prove", "x"),
        ("ledger", "consistency", "1"),
        ("ledger", "list"),
        ("ledger", "show", "1"),
        ("ledger", "whatif", "--policy", "illustrative-capability@1.0"),
        ("ledger", "checkpoint"),
        ("ledger", "pubkey"),
        ("ledger", "migrate"),
    ],
)
def test_missing_ledger(tmp_path: Path, args: tuple[str, ...]) -> None:
    """Every ledger command on a folder without a ledger: exit 5, a clear message, nothing created."""
    result = run(*args, cwd=tmp_path)
    assert result.returncode == 5, (result.stdout, result.stderr)
    assert "no ledger at" in result.stderr and "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []
