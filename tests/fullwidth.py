"""A converter: a half-width report as provincial reports are published (full-width punctuation, 　　 indents).

Used by tests/test_corpora.py to check that the parser reads the genre, not the bytes of one file:
the Liwan report converted this way must parse to the same structure and answer with the same sentences.
"""

from __future__ import annotations

import re

SALUTATION = "各位代表"
_PUNCT = str.maketrans({",": "，", ";": "；", "(": "（", ")": "）", "!": "！", "?": "？"})
_COLON = re.compile(r"(?<!\d):|:(?!\d)")  # a colon, except in a ratio (2.31:1)
INDENT = "\u3000\u3000"


def to_published(text: str) -> str:
    """Full-width ， ； （ ） ！ ？ ： and every line after the salutation indented with two ideographic spaces."""
    out, body = [], False
    for line in text.split("\n"):
        body = body or line.startswith(SALUTATION)
        converted = _COLON.sub("：", line.translate(_PUNCT))
        out.append(INDENT + converted if body and line.strip() and not line.startswith(SALUTATION) else converted)
    return "\n".join(out)
