"""An index that proves its integrity: checksums of every artifact, a checked manifest, one build at a time.

Every kind of damage is caught twice: ``--no-rebuild`` (``rebuild=False``) refuses with a one-line message
naming the damaged file, and rebuilding says the same and then answers as an undamaged index does.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import faiss
import numpy as np
import pytest
from conftest import FakeEmbedder

from qa.answer.engine import QA
from qa.search import index as ix
from qa.search.buildlock import LOCK_FILE
from qa.search.integrity import file_sum

QUESTION = "今年新增就业目标是多少?"  # answered from the 2025 plan: 新增就业1万人以上
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index folder built once with the fake embedder; tests damage copies of it."""
    folder = tmp_path_factory.mktemp("pristine")
    ix.build(FakeEmbedder(), folder)
    return folder


@pytest.fixture(scope="module")
def right_answer(pristine: Path) -> dict[str, Any]:
    """What the undamaged index answers to QUESTION."""
    return answer_of(ix.load(FakeEmbedder.name, pristine))


def answer_of(index: ix.Index) -> dict[str, Any]:
    """The answer to QUESTION over ``index``, without timings."""
    d = QA(index, FakeEmbedder()).ask(QUESTION).to_json()
    d.pop("timings_ms", None)
    return d


@pytest.fixture
def index_dir(pristine: Path, tmp_path: Path) -> Path:
    """A private copy of the pristine index folder."""
    return Path(shutil.copytree(pristine, tmp_path / "index"))


def build_folder(index_dir: Path) -> Path:
    return index_dir / (index_dir / "CURRENT").read_text().strip()


# --- kinds of damage: each changes one build folder in place ---------------------------------------------


def _vectors(path: Path) -> np.ndarray:
    idx = faiss.read_index(str(path))
    return np.asarray(idx.reconstruct_n(0, idx.ntotal))


def _write_vectors(path: Path, vectors: np.ndarray) -> None:
    idx = faiss.IndexFlatIP(vectors.shape[1])
    idx.add(np.ascontiguousarray(vectors, dtype=np.float32))
    faiss.write_index(idx, str(path))


def reorder_vectors(folder: Path) -> None:
    vecs = _vectors(folder / "sentences.faiss")
    _write_vectors(folder / "sentences.faiss", np.roll(vecs, 1, axis=0))


def corrupt_vectors(folder: Path) -> None:
    vecs = _vectors(folder / "chunks.faiss")
    noise = np.random.default_rng(0).normal(size=vecs.shape).astype(np.float32)
    vecs[::3] = noise[::3] / np.linalg.norm(noise[::3], axis=1, keepdims=True)
    _write_vectors(folder / "chunks.faiss", vecs)


def swap_part_labels(folder: Path) -> None:
    swap = {"review": "plan", "plan": "review"}
    path = folder / "chunks.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    path.write_text(
        "".join(json.dumps({**r, "part": swap.get(r["part"], r["part"])}, ensure_ascii=False) + "\n" for r in rows),
        encoding="utf-8",
    )


def rotate_lexical_rows(folder: Path) -> None:
    path = folder / "lexical.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[1:] + lines[:1]), encoding="utf-8")


def truncate_file(folder: Path) -> None:
    path = folder / "keys.faiss"
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def add_extra_file(folder: Path) -> None:
    (folder / "notes.txt").write_text("left here by hand\n")


def remove_file(folder: Path) -> None:
    (folder / "lexical.jsonl").unlink()


DAMAGE: dict[str, tuple[Callable[[Path], None], str]] = {  # name -> (damage, what the message must say)
    "reordered vectors": (reorder_vectors, "sentences.faiss does not match its checksum"),
    "corrupted vectors": (corrupt_vectors, "chunks.faiss does not match its checksum"),
    "swapped part labels": (swap_part_labels, "chunks.jsonl does not match its checksum"),
    "rotated lexical rows": (rotate_lexical_rows, "lexical.jsonl does not match its checksum"),
    "truncated file": (truncate_file, r"keys.faiss does not match its checksum: \d+ bytes, the build wrote \d+"),
    "extra file": (add_extra_file, "notes.txt is not a file of this build"),
    "missing file": (remove_file, "lexical.jsonl is missing"),
}


def assert_refused_then_rebuilt(
    index_dir: Path, expected: str, right_answer: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    """--no-rebuild refuses with ``expected`` (a regex) in one line; rebuilding says so and answers rightly."""
    with pytest.raises(ix.IndexBroken, match=expected) as refused:
        ix.open_index(FakeEmbedder(), rebuild=False, index_dir=index_dir)
    assert "\n" not in str(refused.value)
    capsys.readouterr()
    rebuilt = ix.open_index(FakeEmbedder(), rebuild=True, index_dir=index_dir)
    err = capsys.readouterr().err.strip()
    assert re.search(expected, err) and "rebuilding the index" in err and "\n" not in err
    assert answer_of(rebuilt) == right_answer
    assert ix.load(FakeEmbedder.name, index_dir).path == rebuilt.path  # the rebuilt index verifies


@pytest.mark.parametrize("kind", list(DAMAGE))
def test_damaged_artifact_is_refused_or_rebuilt(
    kind: str, index_dir: Path, right_answer: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    damage, expected = DAMAGE[kind]
    folder = build_folder(index_dir)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    damage(folder)
    assert {p.name: p.read_bytes() for p in folder.iterdir()} != before  # the damage is real
    assert_refused_then_rebuilt(index_dir, expected, right_answer, capsys)


def test_swapped_labels_without_the_checksums_answer_wrongly(index_dir: Path, right_answer: dict[str, Any]) -> None:
    """Why the checksums matter: the swapped labels pass every other check and mislabel the answer."""
    swap_part_labels(build_folder(index_dir))
    wrong = answer_of(ix.load(FakeEmbedder.name, index_dir, verify=False))
    assert wrong != right_answer
    assert right_answer["citations"][0]["part"] == "plan" and "1万人以上" in right_answer["answer"]


@pytest.mark.parametrize("name", ix.ARTIFACTS)
def test_every_artifact_is_checked_when_truncated_or_missing(index_dir: Path, name: str) -> None:
    path = build_folder(index_dir) / name
    data = path.read_bytes()
    path.write_bytes(data[:-1])
    expected = f"{name} does not match its checksum: {len(data) - 1} bytes, the build wrote {len(data)}"
    with pytest.raises(ix.IndexBroken, match=expected):
        ix.load(FakeEmbedder.name, index_dir)
    path.unlink()
    with pytest.raises(ix.IndexBroken, match=f"{name} is missing"):
        ix.load(FakeEmbedder.name, index_dir)


def _manifest_path(index_dir: Path) -> Path:
    return build_folder(index_dir) / "manifest.json"


def _edit_manifest(index_dir: Path, edit: Callable[[dict[str, Any]], object]) -> None:
    path = _manifest_path(index_dir)
    path.write_text(json.dumps(edit(json.loads(path.read_text(encoding="utf-8"))), ensure_ascii=False))


def _drop(key: str) -> Callable[[dict[str, Any]], object]:
    return lambda m: {k: v for k, v in m.items() if k != key}


MANIFESTS: dict[str, tuple[Callable[[dict[str, Any]], object], str]] = {  # name -> (edit, message)
    "array": (lambda m: [], "manifest.json holds an array, not an object"),
    "null": (lambda m: None, "manifest.json holds null, not an object"),
    "string": (lambda m: "manifest", "manifest.json holds a string, not an object"),
    "number": (lambda m: 5, "manifest.json holds a number, not an object"),
    "missing keys": (_drop("files"), "manifest.json lacks files"),
    "dim a string": (lambda m: {**m, "dim": "64"}, "manifest.json: dim should be an integer, not a string"),
    "count a boolean": (lambda m: {**m, "n_chunks": True}, "n_chunks should be an integer, not a boolean"),
    "files an array": (lambda m: {**m, "files": []}, "files should be an object, not an array"),
    "a size a string": (
        lambda m: {**m, "files": {**m["files"], "keys.faiss": {**m["files"]["keys.faiss"], "size": "1"}}},
        r"files\.keys\.faiss: size should be an integer, not a string",
    ),
    "a file unlisted": (
        lambda m: {**m, "files": {k: v for k, v in m["files"].items() if k != "chunks.faiss"}},
        "manifest.json lists files",
    ),
}


@pytest.mark.parametrize("kind", list(MANIFESTS))
def test_manifest_of_the_wrong_shape_is_damage(
    kind: str, index_dir: Path, right_answer: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    edit, expected = MANIFESTS[kind]
    _edit_manifest(index_dir, edit)
    assert_refused_then_rebuilt(index_dir, expected, right_answer, capsys)


def _replace_artifact(index_dir: Path, name: str, data: bytes) -> None:
    """Replace an artifact and record its new checksum, as a careless hand edit might: only later checks see it."""
    (build_folder(index_dir) / name).write_bytes(data)
    _edit_manifest(
        index_dir, lambda m: {**m, "files": {**m["files"], name: file_sum(data).__dict__}}
    )  # the checksums now agree


def test_a_file_that_is_no_faiss_index_gets_a_clear_message(
    index_dir: Path, right_answer: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    _replace_artifact(index_dir, "keys.faiss", b"this is not a FAISS index\n")
    expected = "keys.faiss in .* cannot be read as a FAISS index"
    with pytest.raises(ix.IndexBroken, match=expected) as e:
        ix.load(FakeEmbedder.name, index_dir)
    assert "index_read.cpp" not in str(e.value) and "Error in" not in str(e.value)
    assert_refused_then_rebuilt(index_dir, "cannot be read as a FAISS index", right_answer, capsys)


def test_vectors_of_another_dimension_get_a_clear_message(
    index_dir: Path, right_answer: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    vecs = _vectors(build_folder(index_dir) / "sentences.faiss")[:, :32]
    tmp = build_folder(index_dir).parent / "narrow.faiss"
    _write_vectors(tmp, vecs)
    data = tmp.read_bytes()
    tmp.unlink()
    _replace_artifact(index_dir, "sentences.faiss", data)
    expected = "holds 32-dimensional vectors, the manifest says 64"
    assert_refused_then_rebuilt(index_dir, expected, right_answer, capsys)


@pytest.mark.parametrize("pointer", ["build-gone", "..", "", "../elsewhere"])
def test_current_naming_no_build_is_broken(
    pointer: str, index_dir: Path, right_answer: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    (index_dir / "CURRENT").write_text(pointer + "\n")
    assert_refused_then_rebuilt(index_dir, "which is no build folder", right_answer, capsys)


def test_a_load_that_meets_a_build_going_live_reads_the_new_build(
    index_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A build may prune the folder a reader was reading; the reader then follows CURRENT once more."""
    old = build_folder(index_dir)
    new = Path(shutil.copytree(old, index_dir / "build-newer"))
    swap_part_labels(old)  # stands for a folder half gone under the reader
    real = ix.read_verified

    def switch_then_read(folder: Path, files: Any) -> dict[str, bytes]:
        (index_dir / "CURRENT").write_text(new.name + "\n")  # the other build goes live now
        return real(folder, files)

    monkeypatch.setattr(ix, "read_verified", switch_then_read)
    assert ix.load(FakeEmbedder.name, index_dir).path == new
    (index_dir / "CURRENT").write_text(old.name + "\n")
    monkeypatch.setattr(ix, "read_verified", real)
    with pytest.raises(ix.IndexBroken, match=r"chunks\.jsonl does not match"):  # CURRENT unchanged: no retry
        ix.load(FakeEmbedder.name, index_dir)


# --- one build at a time ---------------------------------------------------------------------------------

BUILD_SCRIPT = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    sys.path.insert(0, {tests!r})
    from conftest import FakeEmbedder
    from qa.search.index import build
    print(build(FakeEmbedder(), Path(sys.argv[1])).name)
    """
)


def test_three_concurrent_builds_take_turns(tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    script = BUILD_SCRIPT.format(tests=str(ROOT / "tests"))
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(index_dir)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    results = [(p.wait(timeout=600), p.stdout.read(), p.stderr.read()) for p in procs]  # type: ignore[union-attr]
    for code, _, err in results:
        assert code == 0 and "Traceback" not in err, err
    assert sum("waiting for another build" in err for _, _, err in results) >= 1
    names = {out.strip() for _, out, _ in results}
    assert len(names) == 3  # each made its own build, one after another
    live = (index_dir / "CURRENT").read_text().strip()
    assert live in names
    assert [p.name for p in index_dir.iterdir() if p.is_dir()] == [live]  # one build, no half-written leftovers
    loaded = ix.load(FakeEmbedder.name, index_dir)  # and it verifies
    assert loaded.path.name == live and loaded.chunks


def test_a_build_gives_up_with_a_message_while_another_holds_the_lock(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with open(tmp_path / LOCK_FILE, "ab") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        with pytest.raises(ix.IndexBusy, match=r"another build of .* still holds \.build\.lock after 0\.3s"):
            ix.build(FakeEmbedder(), tmp_path, wait=0.3)
    assert "waiting for another build" in capsys.readouterr().err
    assert not (tmp_path / "CURRENT").exists()
    assert ix.build(FakeEmbedder(), tmp_path, wait=0.3).is_dir()  # the lock is free again


def test_a_rebuild_that_waited_uses_the_index_the_other_build_made(
    index_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """open_index re-checks once it holds the lock, so N workers facing one stale index build it once."""
    good = build_folder(index_dir).name
    (index_dir / "CURRENT").write_text("build-gone\n")
    calls = []
    real_lock = ix.build_lock

    def lock_then_repair(folder: Path, wait: float | None) -> Any:
        (index_dir / "CURRENT").write_text(good + "\n")  # another process finished a build meanwhile
        calls.append(folder)
        return real_lock(folder, wait)

    monkeypatch.setattr(ix, "build_lock", lock_then_repair)
    monkeypatch.setattr(ix, "_build", lambda *a: pytest.fail("built although a good index was live"))
    loaded = ix.open_index(FakeEmbedder(), rebuild=True, index_dir=index_dir)
    assert loaded.path.name == good and calls == [index_dir]


# --- through the command line, with the real model ------------------------------------------------------


@pytest.mark.model
@pytest.mark.parametrize("kind", ["swapped part labels", "manifest []"])
def test_cli_refuses_a_damaged_index_in_one_line(kind: str, real_qa: Any, tmp_path: Path) -> None:
    index_dir = Path(shutil.copytree(real_qa.index.path.parent, tmp_path / "index"))
    if kind == "manifest []":
        _manifest_path(index_dir).write_text("[]")
        expected = "manifest.json holds an array, not an object"
    else:
        swap_part_labels(build_folder(index_dir))
        expected = "chunks.jsonl does not match its checksum"
    r = subprocess.run(
        [sys.executable, "-m", "qa", "ask", "--no-rebuild", QUESTION],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "QA_INDEX_DIR": str(index_dir)},
    )
    assert r.returncode == 3 and r.stdout == ""
    assert expected in r.stderr and "Traceback" not in r.stderr
    assert r.stderr.strip().count("\n") == 0, r.stderr
