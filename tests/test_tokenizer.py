"""The one jieba owner (qa.text.tokenizer): user dictionary in words and tags, and no import-order effects."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from qa.text.normalize import pos_tags, word_tokens
from qa.text.tokenizer import tokenizer

ROOT = Path(__file__).resolve().parent.parent

# Build the ledger in a fresh process after touching jieba through one module first, and print
# every row's verb, object and indicator, and the tags qa.text.normalize gives afterwards.
READINGS = """
import json, sys
if sys.argv[1] == "ledger.rules":
    from qa.ledger.rules import verb_object
    verb_object("城市居民收入增长与经济增长同步")  # tags with jieba before anything else does
else:
    from qa.text.normalize import pos_tags, word_tokens
    word_tokens("固定资产投资")
    pos_tags("固定资产投资")
from qa.report.corpus import load_report
from qa.ledger.build import build_ledger
from qa.text.normalize import pos_tags
rows = [[r.id, r.verb, r.object, r.indicator] for r in build_ledger(load_report())]
print(json.dumps({"rows": rows, "tags": pos_tags("一般公共预算收入增长3.7%")}, ensure_ascii=False))
"""


def readings(first: str) -> dict[str, list[list[str]]]:
    out = subprocess.run(
        [sys.executable, "-c", READINGS, first], cwd=ROOT, capture_output=True, text=True, check=True, timeout=300
    )
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def test_ledger_readings_do_not_depend_on_which_module_loads_jieba_first() -> None:
    ledger_first, normalize_first = readings("ledger.rules"), readings("text.normalize")
    assert ledger_first == normalize_first
    verbs = {row[0]: (row[1], row[2]) for row in ledger_first["rows"]}
    # 固定资产投资 and 一般公共预算收入 are single words of the user dictionary, not verbs.
    assert verbs["P002"] == ("完成", "535亿元")
    assert verbs["R006"] == ("增长", "3.7%")
    assert ["一般公共预算收入", "n"] in ledger_first["tags"]


def test_tags_and_words_use_the_user_dictionary() -> None:
    tags = dict(tokenizer().pos_tags("推动白鹅潭和海龙围的固定资产投资"))
    assert tags["白鹅潭"] == tags["海龙围"] == "ns"  # the user dictionary's own tag (a place)
    assert tags["固定资产投资"] == "n"
    assert "固定资产投资" in word_tokens("今年固定资产投资目标")
    assert pos_tags("长者饭堂") == (("长者饭堂", "n"),)


def test_one_tokenizer_per_process_and_stopwords_dropped() -> None:
    assert tokenizer() is tokenizer()
    words = word_tokens("荔湾区的长者饭堂，有多少个？")
    assert "长者饭堂" in words
    assert not set(words) & tokenizer().stopwords
    assert "，" not in words and "？" not in words
