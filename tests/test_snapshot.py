"""The snapshot counts (tests/data/snapshot.json) against what the code gives now; the command that rewrites them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from snapshot import SNAPSHOT, diff, dumps, load, main, message, observe


def test_the_code_gives_the_snapshot_counts() -> None:
    changes = diff(load(), observe())
    assert not changes, message(changes)


def test_the_file_is_in_its_one_format() -> None:
    """Sorted keys, indent 2, UTF-8 as written: a regeneration's git diff shows only the counts that moved."""
    assert SNAPSHOT.read_text(encoding="utf-8") == dumps(load())


def test_diff_names_each_changed_new_and_gone_key() -> None:
    kept = {"r": {"a": 1, "b": {"x": 2}, "gone": 3}}
    seen = {"r": {"a": 1, "b": {"x": 5}, "new": 4}}
    assert diff(kept, seen) == ["  r.b.x: 2 -> 5", "  r.gone: 3 -> gone", "  r.new: new, 4"]
    assert diff(seen, seen) == []


def test_the_command_writes_only_with_update(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stale = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    report = next(iter(stale))
    stale[report]["ledger_figure_rows"]["plan"] += 1
    path = tmp_path / "snapshot.json"
    path.write_text(dumps(stale), encoding="utf-8")
    assert main([], path=path) == 1  # a difference: said, not written
    out = capsys.readouterr().out
    assert f"{report}.ledger_figure_rows.plan: " in out and "make snapshot" in out
    assert json.loads(path.read_text(encoding="utf-8")) == stale
    assert main(["--update"], path=path) == 0  # on purpose: written
    assert path.read_text(encoding="utf-8") == dumps(observe())
    assert main([], path=path) == 0
