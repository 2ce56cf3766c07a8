"""A ledger row: one figure (value + unit) or one commitment (verb + object), quoted with offsets."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Literal

LedgerPart = Literal["plan", "review"]  # the report's plan (targets) or review (results)
Kind = Literal["figure", "commitment"]


@dataclass(frozen=True)
class Row:
    """One ledger row: a figure (value + unit) or a commitment without a figure (verb + object)."""

    id: str  # P001... (plan) / R001... (review), in report order (unique within one report)
    part: LedgerPart
    kind: Kind
    indicator: str  # what is measured / promised, e.g. 新增就业, 产业载体建设面积
    value: float | None  # as written (1.62 for 1.62万人); None for commitments
    value_max: float | None  # upper end of a range (1-2家)
    unit: str  # as written, with 万/亿: 万人, 亿元, %, 万平方米
    base_value: float | None  # in the base unit: 16200 (人), 5.35e10 (元)
    base_unit: str
    qualifier: str  # 左右 / 以上 / 力争 / 确保 / 不少于 / 超 / 近 / 约 / 累计 / 余, joined by 、
    deadline: str  # 全年 / 如期 / 按计划 / 2025年底 ... when the sentence states one
    verb: str
    object: str
    section: str  # breadcrumb " › ".join(path)
    quote: str  # the clause, verbatim
    start: int
    end: int
    year: int | None = None  # the year of its part: the plan's year for targets, the review's for results
    report: str = ""  # id of the report it is quoted from; start/end index that report's file

    @property
    def is_figure(self) -> bool:
        """True for rows with a number."""
        return self.value is not None


ROW_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Row))
