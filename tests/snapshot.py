"""Snapshot counts: what the code gives today on the real reports, kept as data in tests/data/snapshot.json.

These numbers are the current output of the parser and the ledger, not facts known apart from the code
(those stay in the tests beside the hand-counted files). ``observe()`` computes them from the real code;
``tests/test_snapshot.py`` compares them with the file, and this module's command rewrites the file, only
when asked:

    python -m tests.snapshot            # print what changed; exit 1 if anything did
    python -m tests.snapshot --update   # rewrite tests/data/snapshot.json (make snapshot); review its git diff
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from qa.ledger.build import build_ledger
from qa.report.corpus import load_report

SNAPSHOT = Path(__file__).resolve().parent / "data" / "snapshot.json"
UPDATE = "`make snapshot` (or `python -m tests.snapshot --update`)"


def observe() -> dict[str, Any]:
    """The counts as the code gives them now, keyed by report id, then by what is counted."""
    liwan = load_report()
    figures = Counter(r.part for r in build_ledger(liwan) if r.kind == "figure")
    return {
        liwan.id: {
            "ledger_figure_rows": {"plan": figures["plan"], "review": figures["review"]},
        },
    }


def dumps(data: dict[str, Any]) -> str:
    """The file's one format: sorted keys, indent 2, UTF-8 as written (no \\u escapes), a final newline."""
    return json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def load(path: Path = SNAPSHOT) -> dict[str, Any]:
    """The counts kept in the file (an empty dict when there is no file yet)."""
    if not path.exists():
        return {}
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _flat(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"a": {"b": 1}}`` -> ``{"a.b": 1}``: one dotted key per value."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            out.update(_flat(value, name + "."))
        else:
            out[name] = value
    return out


def diff(kept: dict[str, Any], observed: dict[str, Any]) -> list[str]:
    """One line per dotted key whose value differs: changed, new (only observed) or gone (only kept)."""
    old, new = _flat(kept), _flat(observed)
    lines = []
    for key in sorted(old.keys() | new.keys()):
        if key not in new:
            lines.append(f"  {key}: {old[key]!r} -> gone")
        elif key not in old:
            lines.append(f"  {key}: new, {new[key]!r}")
        elif old[key] != new[key]:
            lines.append(f"  {key}: {old[key]!r} -> {new[key]!r}")
    return lines


def message(changes: list[str], path: Path = SNAPSHOT) -> str:
    """What changed (file value -> observed value) and how to accept it on purpose."""
    return (
        f"the code's counts differ from {path.name} (kept -> observed):\n"
        + "\n".join(changes)
        + f"\nIf the change is intended, regenerate with {UPDATE} and commit the file's diff with the change."
    )


def main(argv: list[str] | None = None, path: Path = SNAPSHOT) -> int:
    """Compare (exit 1 on a difference) or, with ``--update``, rewrite the file (exit 0)."""
    parser = argparse.ArgumentParser(prog="python -m tests.snapshot", description=__doc__.splitlines()[0])
    parser.add_argument("--update", action="store_true", help=f"rewrite {SNAPSHOT.name} with the observed counts")
    args = parser.parse_args(argv)
    observed = observe()
    changes = diff(load(path), observed)
    if args.update:
        path.write_text(dumps(observed), encoding="utf-8")
        print(f"wrote {path}" + (":\n" + "\n".join(changes) if changes else " (no count changed)"))
        return 0
    if changes:
        print(message(changes, path))
        return 1
    print(f"{path.name}: every count matches")
    return 0


if __name__ == "__main__":
    sys.exit(main())
