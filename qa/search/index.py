"""Stage 3b: build, save and load the index under ``index/``.

Layout (the index describes itself)::

    index/CURRENT                 name of the live build (replaced atomically)
    index/.build.lock             held by the one build running (qa/search/buildlock.py)
    index/<build>/manifest.json   model, dims, each report's file and sha256, chunker version, build time, and the
                                  size and sha256 of every file below (verified at load, qa/search/integrity.py)
    index/<build>/chunks.jsonl    one Chunk per line, in reading order
    index/<build>/lexical.jsonl   the BM25 tokens of each chunk (words, bigrams)
    index/<build>/chunks.faiss    inner-product index of the chunk vectors
    index/<build>/sentences.faiss inner-product index of every sentence of every chunk
    index/<build>/keys.jsonl      authored questions used as extra retrieval keys, with the sentences they hit
    index/<build>/keys.faiss      inner-product index of those questions

One index holds one report or many (``--corpus``/``$QA_CORPUS``: files or folders); every chunk
carries its report's id. An index of another set of reports than the default lives in its own
folder under ``index/sets/`` so that switching sets does not rebuild the default index.

A build is written to a fresh folder and only then made live, so a crash mid-build
leaves the previous index usable. Builds into one folder take turns. No pickle anywhere.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from qa.datafiles import DATA_DIR
from qa.report.chunking import CHUNKER_VERSION, chunk_report
from qa.report.corpus import LIWAN_ID, Report, default_corpus, liwan_file, load_reports
from qa.search.buildlock import BuildBusy, build_lock
from qa.search.embedding import Embedder
from qa.search.integrity import MANIFEST_FILE, Damaged, FileSum, from_json, read_verified, sum_files
from qa.settings import settings
from qa.text.normalize import bigram_tokens, normalize_query, sentence_spans, to_halfwidth, word_tokens
from qa.text.tokenizer import tokenizer_fingerprint
from qa.types import Chunk, Sentence

INDEX_FORMAT = 7  # 5: a checksum of every artifact; 6: keys record places and years; 7: many reports, roles and years
ARTIFACTS = ("chunks.jsonl", "lexical.jsonl", "chunks.faiss", "sentences.faiss", "keys.jsonl", "keys.faiss")
KEYS_FILE = DATA_DIR / "question_keys.jsonl"  # written by `qa train`
KEYS_REPORT = LIWAN_ID  # the report the keys (the authored training questions) are about


class IndexError_(RuntimeError):
    """The index cannot be used as it is (missing, stale or broken)."""


class IndexMissing(IndexError_):
    """No index has been built."""


class IndexStale(IndexError_):
    """The index was built from another corpus, model or chunker."""


class IndexBroken(IndexError_):
    """The index files are damaged, incomplete or inconsistent."""


class IndexBusy(IndexError_):
    """Another build of the same index folder did not finish in time."""


@dataclass(frozen=True)
class ReportSum:
    """One report an index was built from: its file name and the sha256 of its bytes."""

    file: str
    sha256: str


def index_root() -> Path:
    """Where indexes live: ``$QA_INDEX_DIR`` or ``index/`` in ``$QA_HOME`` (read at call time)."""
    return settings().index_root


def index_dir_for(corpus: tuple[Path, ...], root: Path | None = None) -> Path:
    """The index folder for a set of report files: ``root`` itself for the default report, else a folder of its own."""
    root = index_root() if root is None else root
    files = tuple(p.resolve() for p in corpus)
    if files == (liwan_file().resolve(),):
        return root
    key = hashlib.sha256("\n".join(map(str, files)).encode()).hexdigest()[:12]
    return root / "sets" / key


@dataclass(frozen=True)
class Manifest:
    """What an index was built from."""

    format: int
    model: str
    dim: int
    reports: dict[str, ReportSum]  # report id (file stem) -> its file and sha256
    chunker_version: str
    tokenizer: str  # fingerprint of the jieba dictionary and stopword files the BM25 tokens were made with
    built_at: str
    build_seconds: float
    n_chunks: int
    n_sentences: int
    keys_sha256: str = ""  # sha256 of the question keys file the keys were embedded from
    n_keys: int = 0
    files: dict[str, FileSum] = field(default_factory=dict)  # artifact file name -> its size and sha256

    def to_json(self) -> dict[str, Any]:
        """The manifest as written to ``manifest.json``."""
        return asdict(self)

    @classmethod
    def from_json(cls, obj: object) -> Manifest:
        """A manifest from parsed JSON; ``Damaged`` if any field is missing or of the wrong type."""
        manifest: Manifest = from_json(cls, obj, MANIFEST_FILE)
        if set(manifest.files) != set(ARTIFACTS):
            raise Damaged(f"{MANIFEST_FILE} lists files {sorted(manifest.files)}, expected {sorted(ARTIFACTS)}")
        return manifest

    def mismatches(self, model: str, reports: dict[str, str]) -> list[str]:
        """Why this index does not fit the current reports (id -> sha256), model, chunker ([] when it fits)."""
        out = []
        if self.format != INDEX_FORMAT:
            out.append(f"index format {self.format} != {INDEX_FORMAT}")
        if self.model != model:
            out.append(f"model {self.model!r} != {model!r}")
        built = {k: v.sha256 for k, v in self.reports.items()}
        if set(built) != set(reports):
            out.append(f"reports {sorted(built)} != {sorted(reports)}")
        else:
            out += [f"report {k} sha256 {built[k][:12]}… != {v[:12]}…" for k, v in reports.items() if built[k] != v]
        if self.chunker_version != CHUNKER_VERSION:
            out.append(f"chunker {self.chunker_version!r} != {CHUNKER_VERSION!r}")
        if self.keys_sha256 != keys_sha256():
            out.append(f"question keys {self.keys_sha256[:12]}… != {keys_sha256()[:12]}…")
        if self.tokenizer != tokenizer_fingerprint():
            out.append(f"tokenizer data {self.tokenizer} != {tokenizer_fingerprint()}")
        return out


@dataclass(frozen=True)
class Index:
    """A loaded index: chunks, their sentences, vectors and lexical tokens."""

    path: Path
    manifest: Manifest
    reports: tuple[Report, ...]  # in the order given; the first is the default of single-report callers
    chunks: tuple[Chunk, ...]
    sentences: tuple[Sentence, ...]
    chunk_vectors: Any  # faiss.IndexFlatIP over chunks
    sentence_vectors: Any  # faiss.IndexFlatIP over sentences
    words: tuple[tuple[str, ...], ...]  # chunk index -> jieba word tokens
    bigrams: tuple[tuple[str, ...], ...]  # chunk index -> character bigram tokens
    keys: tuple[Key, ...] = ()  # authored questions and the sentences they are answered by
    key_vectors: Any = None  # faiss.IndexFlatIP over the keys' questions

    @property
    def report(self) -> Report:
        """The first report (the only one, for a single-report index)."""
        return self.reports[0]

    def report_of(self, report_id: str) -> Report:
        """The report with this id (``KeyError`` if the index holds none)."""
        for r in self.reports:
            if r.id == report_id:
                return r
        raise KeyError(report_id)


@dataclass(frozen=True)
class Key:
    """An authored question and the sentences of the report that answer it (a retrieval key).

    A question the report cannot answer (status ``partial`` or ``declined``) has no sentences: it
    only tells the answerability model what nearby unanswerable questions look like.
    """

    question: str
    sentences: tuple[int, ...]  # sentence indexes
    status: str = "answered"
    places: tuple[str, ...] = ()  # places its question names, besides the report's own and its city's
    years: tuple[int, ...] = ()  # years its question names


def keys_sha256(path: Path = KEYS_FILE) -> str:
    """sha256 of the question keys file ("" when there is none)."""
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else ""


def read_keys(
    sentences: list[Sentence] | tuple[Sentence, ...], chunks: list[Chunk] | tuple[Chunk, ...], path: Path = KEYS_FILE
) -> list[Key]:
    """The question keys of the keys file, each mapped to the sentences its gold span overlaps.

    The keys were authored about the default report (their offsets index it): an index without that
    report has none, and in an index of many they point only at its sentences.
    """
    own = [i for i, s in enumerate(sentences) if chunks[s.chunk_index].report == KEYS_REPORT]
    if not path.exists() or not own:
        return []
    base = own[0]
    sentences = [sentences[i] for i in own]
    starts = [s.start for s in sentences]
    keys = []
    for d in _read_jsonl(path):
        places, years = tuple(d.get("places", ())), tuple(d.get("years", ()))
        if d.get("status", "answered") != "answered":
            keys.append(Key(d["question"], (), d["status"], places, years))
            continue
        lo = max(bisect.bisect_right(starts, d["start"]) - 1, 0)
        hit = [i for i in range(lo, len(sentences)) if sentences[i].start < d["end"]]
        hit = [i for i in hit if sentences[i].end > d["start"]]
        if hit:
            keys.append(Key(d["question"], tuple(base + i for i in hit), places=places, years=years))
    return keys


def index_text(chunk: Chunk) -> str:
    """The text embedded and tokenised for a chunk: its header, then its words, half-width as questions are."""
    return to_halfwidth(f"{chunk.header} {chunk.text}".strip())


def split_sentences(chunks: tuple[Chunk, ...] | list[Chunk]) -> list[Sentence]:
    """Every sentence of every chunk, with offsets."""
    return [
        Sentence(i, s, e, c.text[s - c.start : e - c.start])
        for i, c in enumerate(chunks)
        for s, e in sentence_spans(c.text, c.start)
    ]


def _flat_ip(vectors: np.ndarray) -> Any:
    """A FAISS inner-product index holding ``vectors`` (already unit length)."""
    idx = faiss.IndexFlatIP(vectors.shape[1])
    idx.add(vectors)
    return idx


def build(
    embedder: Embedder,
    index_dir: Path | None = None,
    corpus: tuple[Path, ...] | None = None,
    wait: float | None = None,
) -> Path:
    """Build an index of the report files ``corpus`` with ``embedder``, make it live; returns its folder.

    ``corpus`` defaults to :func:`default_corpus`, ``index_dir`` to :func:`index_dir_for` the files.

    Holds the folder's build lock throughout: a concurrent build waits up to ``wait`` seconds
    (default ``$QA_BUILD_WAIT`` or 600), then raises ``IndexBusy``.
    """
    corpus = default_corpus() if corpus is None else corpus
    index_dir = index_dir_for(corpus) if index_dir is None else index_dir
    with _build_lock(index_dir, wait):
        return _build(embedder, index_dir, corpus)


@contextmanager
def _build_lock(index_dir: Path, wait: float | None) -> Iterator[None]:
    """The build lock of ``index_dir``; a timeout is an ``IndexBusy`` with its message."""
    try:
        with build_lock(index_dir, wait):
            yield
    except BuildBusy as e:
        raise IndexBusy(str(e)) from e


def _build(embedder: Embedder, index_dir: Path, corpus: tuple[Path, ...]) -> Path:
    """Build and switch ``CURRENT`` to the new build (the caller holds the build lock)."""
    t0 = time.perf_counter()
    reports = load_reports(corpus)
    chunks = [c for r in reports for c in chunk_report(r)]
    sentences = split_sentences(chunks)
    cvec = embedder.encode([index_text(c) for c in chunks])
    svec = embedder.encode([to_halfwidth(s.text) for s in sentences])
    keys = read_keys(sentences, chunks)
    # keys are embedded as the questions they stand for are (normalised), so training reuses their vectors
    kvec = (
        embedder.encode([normalize_query(k.question).embed_text for k in keys])
        if keys
        else np.zeros((0, svec.shape[1]), dtype=np.float32)
    )
    index_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".build-", dir=index_dir))
    try:
        with open(tmp / "chunks.jsonl", "w", encoding="utf-8") as f:
            for c in chunks:
                f.write(json.dumps(c.to_json(), ensure_ascii=False) + "\n")
        with open(tmp / "lexical.jsonl", "w", encoding="utf-8") as f:
            for c in chunks:
                text = index_text(c)
                f.write(
                    json.dumps(
                        {"id": c.id, "words": word_tokens(text), "bigrams": bigram_tokens(text)}, ensure_ascii=False
                    )
                    + "\n"
                )
        faiss.write_index(_flat_ip(cvec), str(tmp / "chunks.faiss"))
        faiss.write_index(_flat_ip(svec), str(tmp / "sentences.faiss"))
        faiss.write_index(_flat_ip(kvec), str(tmp / "keys.faiss"))
        with open(tmp / "keys.jsonl", "w", encoding="utf-8") as f:
            for k in keys:
                row = {"question": k.question, "sentences": list(k.sentences), "status": k.status}
                row |= {"places": list(k.places), "years": list(k.years)} if k.places or k.years else {}
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
        manifest = Manifest(
            format=INDEX_FORMAT,
            model=embedder.name,
            dim=int(cvec.shape[1]),
            reports={r.id: ReportSum(p.name, r.sha256) for r, p in zip(reports, corpus, strict=True)},
            chunker_version=CHUNKER_VERSION,
            tokenizer=tokenizer_fingerprint(),
            built_at=datetime.now(UTC).isoformat(timespec="seconds"),
            build_seconds=round(time.perf_counter() - t0, 3),
            n_chunks=len(chunks),
            n_sentences=len(sentences),
            keys_sha256=keys_sha256(),
            n_keys=len(keys),
            files=sum_files(tmp, ARTIFACTS),  # the files are closed and complete by now
        )
        text = json.dumps(manifest.to_json(), ensure_ascii=False, indent=2) + "\n"
        (tmp / MANIFEST_FILE).write_text(text, encoding="utf-8")
        name = f"build-{reports[0].sha256[:8]}-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S%f')}"
        final = index_dir / name
        os.replace(tmp, final)
        pointer = index_dir / f".CURRENT.{os.getpid()}"
        pointer.write_text(name + "\n")
        os.replace(pointer, index_dir / "CURRENT")  # the atomic switch
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _prune(index_dir, keep=name)
    return final


def _prune(index_dir: Path, keep: str) -> None:
    """Remove builds other than ``keep`` (and leftovers of crashed builds)."""
    for p in index_dir.iterdir():
        if p.is_dir() and p.name != keep and (p.name.startswith("build-") or p.name.startswith(".build-")):
            shutil.rmtree(p, ignore_errors=True)


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Lines of a JSON-lines file."""
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _jsonl_rows(data: bytes) -> list[dict[str, Any]]:
    """The JSON objects of JSON-lines bytes (``ValueError`` if a line is not an object)."""
    lines = data.decode("utf-8").split("\n")  # not splitlines(): a chunk's text may hold U+2028
    rows = [json.loads(line) for line in lines if line.strip()]
    if not all(isinstance(r, dict) for r in rows):
        raise ValueError("a line is not a JSON object")
    return rows


def _faiss(path: Path, name: str, data: bytes, dim: int) -> Any:
    """The inner-product FAISS index serialised in ``data``, refused with a clear message if it is none."""
    try:
        idx = faiss.deserialize_index(np.frombuffer(data, dtype=np.uint8))
    except (RuntimeError, MemoryError) as e:  # FAISS's own message is a C++ source location
        raise IndexBroken(f"{name} in {path} cannot be read as a FAISS index (not one, or cut short)") from e
    if idx.d != dim:
        raise IndexBroken(f"{name} in {path} holds {idx.d}-dimensional vectors, the manifest says {dim}")
    if idx.metric_type != faiss.METRIC_INNER_PRODUCT:
        raise IndexBroken(f"{name} in {path} is not an inner-product index")
    return idx


def _current(index_dir: Path) -> str:
    """The name of the live build, as ``CURRENT`` gives it."""
    current = index_dir / "CURRENT"
    try:
        name = current.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise IndexMissing(f"no index in {index_dir} (run `qa build`)") from None
    except (OSError, ValueError) as e:
        raise IndexBroken(f"cannot read {current}: {e}") from e
    if not name or name in {".", ".."} or Path(name).name != name or not (index_dir / name).is_dir():
        raise IndexBroken(f"{current} names {name!r}, which is no build folder in {index_dir}")
    return name


def _read_manifest(path: Path) -> Manifest:
    """The manifest of the build in ``path``: stale if of another format, broken if damaged."""
    file = path / MANIFEST_FILE
    try:
        fields = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise IndexBroken(f"cannot read {file}: {e}") from e
    if isinstance(fields, dict) and type(fields.get("format")) is int and fields["format"] != INDEX_FORMAT:
        raise IndexStale(f"index in {path} has format {fields['format']}, this version reads {INDEX_FORMAT}")
    try:
        return Manifest.from_json(fields)
    except Damaged as e:
        raise IndexBroken(f"index in {path} is damaged: {e}") from e


def load(
    model: str, index_dir: Path | None = None, corpus: tuple[Path, ...] | None = None, verify: bool = True
) -> Index:
    """Load the live index of ``corpus``, refusing one that is missing, stale, damaged or inconsistent.

    ``verify=False`` skips the artifact checksums; it exists only to measure what they cost.
    """
    corpus = default_corpus() if corpus is None else corpus
    index_dir = index_dir_for(corpus) if index_dir is None else index_dir
    name = _current(index_dir)
    try:
        return _load_build(index_dir / name, model, corpus, verify)
    except IndexBroken:
        if _current(index_dir) == name:
            raise
    return _load_build(index_dir / _current(index_dir), model, corpus, verify)  # a build went live meanwhile


def _load_build(path: Path, model: str, corpus: tuple[Path, ...], verify: bool) -> Index:
    """Load the build in ``path``: manifest, staleness, checksums, then the files' contents."""
    manifest = _read_manifest(path)
    reports = load_reports(corpus)
    if why := manifest.mismatches(model, {r.id: r.sha256 for r in reports}):
        raise IndexStale(f"index in {path} does not match: " + "; ".join(why))
    try:
        data = read_verified(path, manifest.files) if verify else {n: (path / n).read_bytes() for n in ARTIFACTS}
    except Damaged as e:
        raise IndexBroken(f"index in {path} is damaged: {e}") from e
    except OSError as e:
        raise IndexBroken(f"cannot read index files in {path}: {e}") from e
    try:
        chunks = tuple(Chunk.from_json(d) for d in _jsonl_rows(data["chunks.jsonl"]))
        lexical = _jsonl_rows(data["lexical.jsonl"])
        words = tuple(tuple(d["words"]) for d in lexical)
        bigrams = tuple(tuple(d["bigrams"]) for d in lexical)
        keys = tuple(
            Key(
                d["question"],
                tuple(d["sentences"]),
                d.get("status", "answered"),
                tuple(d.get("places", ())),
                tuple(d.get("years", ())),
            )
            for d in _jsonl_rows(data["keys.jsonl"])
        )
    except (ValueError, TypeError, KeyError, AttributeError) as e:
        raise IndexBroken(f"cannot read index files in {path}: {e}") from e
    cvec = _faiss(path, "chunks.faiss", data["chunks.faiss"], manifest.dim)
    svec = _faiss(path, "sentences.faiss", data["sentences.faiss"], manifest.dim)
    kvec = _faiss(path, "keys.faiss", data["keys.faiss"], manifest.dim)
    sentences = tuple(split_sentences(chunks))
    problems = []
    if len(chunks) != manifest.n_chunks or cvec.ntotal != len(chunks) or len(lexical) != len(chunks):
        problems.append(
            f"{len(chunks)} chunks, {cvec.ntotal} vectors, {len(lexical)} token rows, manifest says {manifest.n_chunks}"
        )
    elif any(d.get("id") != c.id for d, c in zip(lexical, chunks, strict=True)):
        problems.append("the token rows are not in the order of the chunks")
    if svec.ntotal != len(sentences) or len(sentences) != manifest.n_sentences:
        problems.append(
            f"{svec.ntotal} sentence vectors for {len(sentences)} sentences, manifest says {manifest.n_sentences}"
        )
    if kvec.ntotal != len(keys) or len(keys) != manifest.n_keys:
        problems.append(f"{kvec.ntotal} key vectors for {len(keys)} keys, manifest says {manifest.n_keys}")
    if any(
        (k.status == "answered") != bool(k.sentences) or max(k.sentences, default=0) >= len(sentences) for k in keys
    ):
        problems.append("a question key's sentences do not fit its status, or point past the last sentence")
    texts = {r.id: r.text for r in reports}
    if any(c.report not in texts or texts[c.report][c.start : c.end] != c.text for c in chunks):
        problems.append("a chunk's text differs from its report between its offsets")
    if problems:
        raise IndexBroken(f"index in {path} is inconsistent: " + "; ".join(problems))
    return Index(path, manifest, reports, chunks, sentences, cvec, svec, words, bigrams, keys, kvec)


def open_index(
    embedder: Embedder, rebuild: bool = True, index_dir: Path | None = None, corpus: tuple[Path, ...] | None = None
) -> Index:
    """Load the index; when it is missing, stale or damaged, rebuild it (saying so) or refuse."""
    corpus = default_corpus() if corpus is None else corpus
    index_dir = index_dir_for(corpus) if index_dir is None else index_dir
    try:
        return load(embedder.name, index_dir, corpus)
    except IndexError_ as e:
        if not rebuild:
            raise
        print(f"qa: {e}; rebuilding the index …", file=sys.stderr)
    with _build_lock(index_dir, None):
        try:  # a build that held the lock while this process waited may have made a good index
            return load(embedder.name, index_dir, corpus)
        except IndexError_:
            _build(embedder, index_dir, corpus)
    return load(embedder.name, index_dir, corpus)
