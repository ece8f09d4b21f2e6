"""Source documents of an export's statements, to check statement offsets against."""

from __future__ import annotations

import os
from pathlib import Path

from stance.errors import StanceError

__all__ = ["read_documents"]


def read_documents(path: str | os.PathLike[str]) -> dict[str, str]:
    """Load source document texts to check statement offsets against.

    Documents are read exactly as ``stance segment`` reads them (same decoding, same HTML text
    extraction), so the offsets it wrote point into the same text.

    Args:
        path: The ``--documents`` side file of ``stance segment`` (JSONL with ``doc_id`` and
            ``text``), or the files/folder that were segmented (.txt, .md, .html, .jsonl).

    Returns:
        ``{doc_id: text}``.

    Example:
        >>> docs = read_documents("seeds")
        >>> sorted(docs)[:1]
        ['000_195aff00a3928bad']
    """
    from stance.segment.documents import iter_documents

    path = Path(path)
    if not path.exists():
        raise StanceError(f"documents {path} do not exist", hint="give the --documents file or the folder you segmented")
    docs = {d.doc_id: d.text for d in iter_documents([path])}
    if not docs:
        raise StanceError(f"{path} holds no documents", hint="give the --documents file or the folder you segmented")
    return docs
