"""liwan-qa: ask the 2025 Liwan District government work report, get verbatim cited quotes."""

from qa.types import Answer, Chunk, Citation, Hit, Section

__all__ = ["Answer", "Chunk", "Citation", "Hit", "Section", "load_qa"]


def load_qa(model: str | None = None, rebuild: bool = True):  # type: ignore[no-untyped-def]
    """The QA engine (see :func:`qa.answer.engine.load_qa`); imported lazily to keep `import qa` light."""
    from qa.answer.engine import load_qa as _load

    return _load(model, rebuild)
