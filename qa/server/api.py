"""The JSON API: ``POST /api/ask``, ``GET /api/ledger``, ``GET /api/health``.

``/api/ask`` returns the object ``qa ask --json`` prints (``Answer.to_json``); ``/api/ledger`` the
rows ``qa ledger --json`` prints, filtered by the same options. Bad input gets a 4xx with a
message: 422 for a wrong type, a missing or unknown field, an empty question or one over
300 characters; 404 for a report this server does not answer from.
"""

from __future__ import annotations

import os
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, StrictStr
from starlette.responses import Response

from qa.answer.engine import MAX_QUESTION_CHARS, QA, refuse
from qa.ledger.build import filter_rows
from qa.ledger.row import Row
from qa.ledger.table import row_dicts
from qa.text.normalize import clean_input, without_surrogates

_THREADPOOL = os.environ.get("QA_API_THREADPOOL") == "1"
MAX_FILTER_CHARS = 100  # a ledger section or keyword filter
EXAMPLE_QUESTION = "今年新增就业目标是多少?"


class JSONBytes(Response):
    """A JSON response serialised by orjson (UTF-8, not ASCII-escaped)."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        """The body."""
        return orjson.dumps(content)


class AskRequest(BaseModel):
    """One question, and optionally the report it is about."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"question": EXAMPLE_QUESTION}]})

    question: StrictStr = Field(description=f"the question, 1-{MAX_QUESTION_CHARS} characters")
    report: StrictStr | None = Field(
        default=None, max_length=200, description="the report's id (GET /api/health names it); default: the one served"
    )


class InputError(Exception):
    """Input the API refuses, answered with ``status`` and the same shape as a validation error."""

    def __init__(self, status: int, field: str, message: str, kind: str) -> None:
        super().__init__(message)
        self.status, self.field, self.message, self.kind = status, field, message, kind


def _error_body(errors: list[dict[str, Any]]) -> dict[str, Any]:
    """``{"detail": [{"loc", "msg", "type"}]}``: never the input itself, which may be huge or not encodable."""
    return {
        "detail": [{"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": e.get("type")} for e in errors]
    }


async def on_validation_error(request: Request, exc: Exception) -> Response:
    """422 for a body or query of the wrong shape."""
    errors = exc.errors() if isinstance(exc, RequestValidationError) else []
    return JSONBytes(_error_body(list(errors)), status_code=422)


async def on_input_error(request: Request, exc: Exception) -> Response:
    """The status and message of an :class:`InputError`."""
    assert isinstance(exc, InputError)
    return JSONBytes(_error_body([{"loc": ["body", exc.field], "msg": exc.message, "type": exc.kind}]), exc.status)


def api_router(qa: QA, report_id: str, ledger: list[Row]) -> APIRouter:
    """The routes, bound to one engine, the id of its report and its ledger rows."""
    router = APIRouter(prefix="/api", tags=["api"])
    manifest = qa.index.manifest

    @router.post(
        "/ask",
        response_class=JSONBytes,
        summary="Answer one question (the `qa ask --json` object)",
        responses={
            200: {"description": "question, answer, status, citations with offsets, passages, timings_ms ..."},
            404: {"description": "a report this server does not answer from"},
            413: {"description": "request body over 64 KiB"},
            422: {"description": "wrong type, missing or unknown field, empty question or over 300 characters"},
        },
    )
    async def ask(body: AskRequest) -> Response:
        """The same object as ``qa ask --json``; follow-ups are not read (there is no conversation)."""
        if body.report is not None and body.report != report_id:
            raise InputError(404, "report", f"this server answers from the report {report_id!r} only", "unknown_report")
        question = without_surrogates(body.question)
        refused = refuse(question)
        if refused is not None:
            kind = "too_long" if clean_input(question) else "empty"
            raise InputError(422, "question", refused.message, kind)
        return JSONBytes(qa.ask(question).to_json())

    @router.get("/ledger", response_class=JSONBytes, summary="The ledger rows (`qa ledger --json`), filtered")
    async def ledger_rows(
        part: Annotated[Literal["plan2025", "review2024"] | None, Query(description="only this part")] = None,
        section: Annotated[str | None, Query(max_length=MAX_FILTER_CHARS, description="breadcrumb contains")] = None,
        keyword: Annotated[
            str | None, Query(max_length=MAX_FILTER_CHARS, description="indicator, quote, object or section has")
        ] = None,
        figures: Annotated[bool, Query(description="only rows with a number")] = False,
    ) -> Response:
        """Rows of 2025 commitments and 2024 results, as ``qa ledger --json --part --section --keyword --figures``."""
        rows = filter_rows(ledger, part=part, section=section, keyword=keyword, figures_only=figures)
        return JSONBytes(row_dicts(rows))

    @router.get("/health", response_class=JSONBytes, summary="Liveness, and what the server answers from")
    async def health() -> Response:
        """``status``, the report id and the index the answers come from."""
        return JSONBytes(
            {
                "status": "ok",
                "report": report_id,
                "corpus_sha256": manifest.corpus_sha256,
                "model": manifest.model,
                "chunks": manifest.n_chunks,
                "ledger_rows": len(ledger),
            }
        )

    return router


def add_api(app: FastAPI, qa: QA, report_id: str, ledger: list[Row]) -> None:
    """Mount the routes and their error handlers on ``app``."""
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(InputError, on_input_error)
    app.include_router(api_router(qa, report_id, ledger))
