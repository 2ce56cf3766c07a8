"""The one owner of jieba: its dictionary, the project's user dictionary, stopwords and part-of-speech tags.

Every caller that cuts Chinese into words goes through :func:`tokenizer`, so the words and tags
do not depend on which module happened to load jieba first. The tokenizer is a private
``jieba.Tokenizer`` with ``qa/data/jieba_userdict.txt`` loaded, and its part-of-speech tagger
(``jieba.posseg.POSTokenizer``) wraps that same tokenizer, so tagging sees the user dictionary's
words and tags too. jieba's process-wide default tokenizer (``jieba.dt``) is never used.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import re
from pathlib import Path

from qa.datafiles import DATA_DIR, stopwords

USER_DICT = DATA_DIR / "jieba_userdict.txt"
TOKENIZER_FILES = ("jieba_userdict.txt", "stopwords.txt")  # data that changes the BM25 tokens stored in an index
PUNCT = re.compile(r"[\s\W_]+", re.UNICODE)  # a run of spaces and punctuation


class Tokenizer:
    """Jieba words and part-of-speech tags with the project's user dictionary and stopwords."""

    def __init__(self, user_dict: Path = USER_DICT, stop: frozenset[str] | None = None) -> None:
        import jieba
        import jieba.posseg

        jieba.setLogLevel(logging.WARNING)
        self.user_dict = user_dict
        self.stopwords = stopwords() if stop is None else stop
        self._words = jieba.Tokenizer()
        self._words.load_userdict(str(user_dict))  # loads jieba's own dictionary first
        self._tags = jieba.posseg.POSTokenizer(self._words)
        self._tags.makesure_userdict_loaded()  # the user dictionary's tags (白鹅潭 ns) into the tagger

    def search_words(self, text: str) -> list[str]:
        """Jieba words (search mode), lower-cased, without punctuation and stopwords: the BM25 tokens."""
        toks = (t.strip().lower() for t in self._words.cut_for_search(text))
        return [t for t in toks if t and not PUNCT.fullmatch(t) and t not in self.stopwords]

    def pos_tags(self, text: str) -> tuple[tuple[str, str], ...]:
        """(word, part-of-speech flag) pairs, in order; they join back to ``text``."""
        return tuple((p.word, p.flag) for p in self._tags.cut(text))


@functools.cache
def tokenizer() -> Tokenizer:
    """The process's one :class:`Tokenizer` (made on first use)."""
    return Tokenizer()


def tokenizer_fingerprint() -> str:
    """sha256 (first 16 hex digits) of the data files that shape the lexical tokens."""
    h = hashlib.sha256()
    for name in TOKENIZER_FILES:
        h.update((DATA_DIR / name).read_bytes())
    return h.hexdigest()[:16]
