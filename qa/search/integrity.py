"""Proof that an index build folder holds what its build wrote.

The build records the size and sha256 of every artifact file in ``manifest.json``; loading reads each
file once, checks it against that record, and parses the same bytes it checked (no second read that
could see another file). Any difference is damage: a reordered or corrupted vector, a swapped label,
a rotated row, a truncated, missing or extra file. The manifest itself is checked field by field
against the dataclass it stands for, so a manifest of the wrong JSON type is damage too, not a crash.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args, get_origin, get_type_hints

MANIFEST_FILE = "manifest.json"


class Damaged(ValueError):
    """An index file is not what the build wrote (the message names the file and says how)."""


@dataclass(frozen=True)
class FileSum:
    """The size and content hash of one artifact file, as written by the build."""

    size: int  # bytes
    sha256: str  # hex digest of the whole file


def file_sum(data: bytes) -> FileSum:
    """The size and sha256 of ``data``."""
    return FileSum(len(data), hashlib.sha256(data).hexdigest())


def sum_files(folder: Path, names: Iterable[str]) -> dict[str, FileSum]:
    """The size and sha256 of each named file in ``folder`` (call once the files are complete)."""
    return {name: file_sum((folder / name).read_bytes()) for name in names}


def read_verified(folder: Path, files: Mapping[str, FileSum]) -> dict[str, bytes]:
    """The bytes of every artifact in ``folder`` by name, each checked against ``files``.

    Raises ``Damaged`` naming the first file that is missing, unexpected, of another size or of
    another content than the build wrote.
    """
    present = {p.name for p in folder.iterdir()} - {MANIFEST_FILE}
    if missing := sorted(set(files) - present):
        raise Damaged(f"{missing[0]} is missing")
    if extra := sorted(present - set(files)):
        raise Damaged(f"{extra[0]} is not a file of this build")
    out = {}
    for name, want in files.items():
        data = (folder / name).read_bytes()
        got = file_sum(data)
        if got.size != want.size:
            raise Damaged(f"{name} does not match its checksum: {got.size} bytes, the build wrote {want.size}")
        if got.sha256 != want.sha256:
            raise Damaged(
                f"{name} does not match its checksum: sha256 {got.sha256[:12]}…, the build wrote {want.sha256[:12]}…"
            )
        out[name] = data
    return out


def from_json(cls: type[Any], obj: object, what: str) -> Any:
    """An instance of the dataclass ``cls`` from parsed JSON, every field present and of its type.

    Handles the field types a manifest uses: int, float, str and ``dict[str, <dataclass>]``.
    Raises ``Damaged`` saying which field of ``what`` is wrong.
    """
    if not isinstance(obj, dict):
        raise Damaged(f"{what} holds {_json_type(obj)}, not an object")
    hints = get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    if missing := [n for n in names if n not in obj]:
        raise Damaged(f"{what} lacks {', '.join(missing)}")
    if extra := sorted(set(obj) - set(names)):
        raise Damaged(f"{what} has unknown keys {', '.join(map(str, extra))}")
    return cls(**{n: _value(hints[n], obj[n], f"{what}: {n}") for n in names})


def _value(hint: Any, value: object, where: str) -> Any:
    """``value`` checked against the type ``hint`` (nested dataclasses are built)."""
    if get_origin(hint) is dict:
        key_type, item_type = get_args(hint)
        if not isinstance(value, dict) or not all(isinstance(k, key_type) for k in value):
            raise Damaged(f"{where} should be an object, not {_json_type(value)}")
        return {k: _value(item_type, v, f"{where}.{k}") for k, v in value.items()}
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return from_json(hint, value, where)
    ok = {
        int: isinstance(value, int) and not isinstance(value, bool),
        float: isinstance(value, int | float) and not isinstance(value, bool),
        str: isinstance(value, str),
    }.get(hint)
    if ok is None:
        raise TypeError(f"no JSON check for {hint!r} ({where})")
    if not ok:
        raise Damaged(f"{where} should be {_TYPE_NAMES[hint]}, not {_json_type(value)}")
    return float(value) if hint is float else value  # type: ignore[arg-type]


_TYPE_NAMES = {int: "an integer", float: "a number", str: "a string"}


def _json_type(value: object) -> str:
    """How JSON would name ``value``'s type, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"
