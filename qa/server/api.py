"""The JSON API: ``POST /api/ask``, ``GET /api/ledger``, ``GET /api/health``.

``/api/ask`` returns the object ``qa ask --json`` prints (``Answer.to_json``); ``/api/ledger`` the
rows ``qa ledger --json`` prints, filtered by the same options. Bad input gets a 4xx with a
message: 422 for a wrong type, a missing or unknown field, an empty question or one over
300 characters; 404 for a report the index does not hold.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, StrictStr
from starlette.responses import Response

from qa.answer.engine import MAX_QUESTION_CHARS, QA, refusal, refuse
from qa.ledger.build import filter_rows
from qa.ledger.table import row_dicts
from qa.text.normalize import without_surrogates

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
        default=None,
        max_length=200,
        description="answer only from this report (its id; GET /api/health lists them); default: all reports served",
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


def api_router(qa: QA) -> APIRouter:
    """The routes, bound to one engine (its reports and their ledgers)."""
    router = APIRouter(prefix="/api", tags=["api"])
    manifest = qa.index.manifest
    ids = qa.library.ids()

    @router.post(
        "/ask",
        response_class=JSONBytes,
        summary="Answer one question (the `qa ask --json` object)",
        responses={
            200: {"description": "question, answer, status, citations with offsets, passages, timings_ms ..."},
            404: {"description": "a report the index does not hold"},
            413: {"description": "request body over 64 KiB"},
            422: {"description": "wrong type, missing or unknown field, empty question or over 300 characters"},
        },
    )
    async def ask(body: AskRequest) -> Response:
        """The same object as ``qa ask --json``; follow-ups are not read (there is no conversation)."""
        if body.report is not None and body.report not in ids:
            raise InputError(
                404, "report", f"no report {body.report!r} here; the reports are {', '.join(ids)}", "unknown_report"
            )
        question = without_surrogates(body.question)
        refused = refuse(question)
        if refused is not None:
            raise InputError(422, "question", refused.message, refusal(question) or "input")
        return JSONBytes(qa.ask(question, report=body.report).to_json())

    @router.get("/ledger", response_class=JSONBytes, summary="The ledger rows (`qa ledger --json`), filtered")
    async def ledger_rows(
        part: Annotated[Literal["plan", "review"] | None, Query(description="only this part")] = None,
        section: Annotated[str | None, Query(max_length=MAX_FILTER_CHARS, description="breadcrumb contains")] = None,
        keyword: Annotated[
            str | None, Query(max_length=MAX_FILTER_CHARS, description="indicator, quote, object or section has")
        ] = None,
        figures: Annotated[bool, Query(description="only rows with a number")] = False,
        report: Annotated[str | None, Query(max_length=200, description="only this report (its id)")] = None,
    ) -> Response:
        """Each report's targets and results, as ``qa ledger --json --report --part --section --keyword --figures``."""
        if report is not None and report not in ids:
            raise InputError(
                404, "report", f"no report {report!r} here; the reports are {', '.join(ids)}", "unknown_report"
            )
        ledger = [row for rid, rows in qa.ledgers.items() if report in (None, rid) for row in rows]
        rows = filter_rows(ledger, part=part, section=section, keyword=keyword, figures_only=figures)
        return JSONBytes(row_dicts(rows))

    @router.get("/health", response_class=JSONBytes, summary="Liveness, and what the server answers from")
    async def health() -> Response:
        """``status``, the reports (id, title, years, sha256) and the index the answers come from."""
        return JSONBytes(
            {
                "status": "ok",
                "report": ids[0] if len(ids) == 1 else None,
                "reports": [
                    {
                        "id": r.id,
                        "title": r.title,
                        "review_year": r.review_year,
                        "plan_year": r.plan_year,
                        "sha256": manifest.reports[r.id].sha256,
                    }
                    for r in qa.index.reports
                ],
                "model": manifest.model,
                "chunks": manifest.n_chunks,
                "ledger_rows": sum(len(rows) for rows in qa.ledgers.values()),
            }
        )

    return router


def add_api(app: FastAPI, qa: QA) -> None:
    """Mount the routes and their error handlers on ``app``."""
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(InputError, on_input_error)
    app.include_router(api_router(qa))
