"""Text normalisation shared by company resolution and term matching."""

from __future__ import annotations

import unicodedata

# Characters that never distinguish two spellings of a term: "GPUDirect RDMA" = "GPUDirectRDMA",
# "Megatron-LM" = "Megatron LM", "K8S" = "k8s".
_IGNORED = set(" \t\n\r\u3000-_‐‑–—−·・.'\"`*")


def fold(text: str) -> str:
    """NFKC (full-width → half-width), case-fold, and drop spaces, hyphens and light punctuation."""
    return fold_with_map(text)[0]


def fold_with_map(text: str) -> tuple[str, list[int]]:
    """Like ``fold``, also returning for each folded character the index of its source character."""
    if unicodedata.is_normalized("NFKC", text):
        low = text.casefold()
        if len(low) == len(text):  # the common case: one character in, one out
            keep = [i for i, c in enumerate(low) if c not in _IGNORED]
            return "".join([low[i] for i in keep]), keep
    out: list[str] = []
    where: list[int] = []
    for i, ch in enumerate(text):
        for c in unicodedata.normalize("NFKC", ch).casefold():
            if c in _IGNORED:
                continue
            out.append(c)
            where.append(i)
    return "".join(out), where


def is_word_char(ch: str) -> bool:
    """A Latin letter or digit: such runs must not be matched in the middle (``Ray`` in ``array``)."""
    return ch.isascii() and ch.isalnum()
