"""The one validation pass over an export, shared by ``stance dataset`` and ``stance agreement``.

Problems are collected by kind while the export streams past, so one message names every task
id involved and says how to fix it. Refused: controls or labels outside the schema, mixed task
modes, offsets that do not match the source, two different tasks with one id, tasks made with
different schema versions, annotations without an annotator, relations to regions that do not
exist. A task exported twice (the same id, the same content) is kept once and reported.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from stance.errors import StanceError
from stance.export.records import format_ids

__all__ = ["Problems", "HINTS", "check_offsets", "TaskIds", "check_versions"]

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

HINTS = {
    "control": "the project's labeling config has controls this schema does not know; pass the --schema the "
    "tasks were made with, or regenerate the project with `stance tasks`",
    "label": "the labeling config offers values the schema does not; pass the matching --schema, or fix the "
    "labeling config and re-annotate those tasks",
    "choice": "a single-choice control holds several values; set choice=\"single\" in the labeling config and "
    "fix those annotations",
    "data": "each task's data needs 'text' (and 'target' in pair mode); export the project made by `stance tasks`",
    "mode": "export pair-mode and discovery-mode projects separately",
    "offsets": "the source text changed since the tasks were made: re-run `stance segment` and `stance tasks`, "
    "or pass the --documents the tasks were made from",
    "spans": "Label Studio stores span offsets as given; fix those annotations in Label Studio, or pass "
    "--repair-spans to realign spans whose text occurs in the statement",
    "schema": "pass the --schema file whose version the tasks were made with (labels/schema.vN.yaml)",
    "split": "a task's 'split' must be train, validation or test",
    "annotator": "every annotation needs 'completed_by' (the annotator's user); download the export again with "
    "`stance pull` (or Export → JSON), or delete those annotations from the file",
    "relations": "a relation must join two regions of the same annotation; delete the dangling relation in Label "
    "Studio (or draw the missing region again) and export again",
    "ids": "task ids are unique within one Label Studio project: do not concatenate exports of different "
    "projects; download the export again with `stance pull`",
    "versions": "tasks made with different schema versions cannot be pooled: export them from separate projects, "
    "or remake the odd tasks with `stance tasks` and the current schema",
}


class Problems:
    """Collects problems by kind so that one message names every task id involved."""

    def __init__(self) -> None:
        self.ids: dict[tuple[str, str], list[Any]] = defaultdict(list)
        self.anonymous: list[int] = []  # tasks with an annotation that names no annotator
        self.named = 0  # annotations that name their annotator

    def check_anonymous(self) -> str | None:
        """Refuse annotations without an annotator among named ones; report an export that names none.

        Returns:
            A warning when no annotation names its annotator (an export from another tool), else None.
        """
        if not self.anonymous:
            return None
        if self.named:
            for task_id in self.anonymous:
                self.add("annotator", f"{len(self.anonymous)} annotation(s) without 'completed_by' among "
                         f"{self.named} that name their annotator", task_id)
            return None
        return (f"no annotation names its annotator ('completed_by'): each of the {len(self.anonymous)} counts as "
                "a separate annotator, so agreement figures between them mean little")

    def add(self, kind: str, detail: str, task_id: Any) -> None:
        """Record one problem of ``kind`` (a key of :data:`HINTS`) in one task."""
        ids = self.ids[(kind, detail)]
        if not ids or ids[-1] != task_id:
            ids.append(task_id)

    def raise_first(self, path: Path) -> None:
        """Raise the first problem found (the others are logged as warnings); nothing when none."""
        if not self.ids:
            return
        (kind, detail), ids = next(iter(self.ids.items()))
        others = len(self.ids) - 1
        also = f"; {others} other problem(s) too, logged as warnings" if others else ""
        for (k, d), i in list(self.ids.items())[1:]:
            logger.warning("%s: %s in task(s) %s", k, d, format_ids(i))
        hint = HINTS.get(kind, "fix the export or the schema")
        raise StanceError(f"{path}: {detail} in task(s) {format_ids(ids)}{also}", hint=hint)


class TaskIds:
    """Tells a task exported twice (kept once) from two different tasks sharing an id (refused)."""

    def __init__(self) -> None:
        self.seen: dict[int, int] = {}
        self.repeated: list[int] = []

    @staticmethod
    def _content(raw: Mapping[str, Any]) -> int:
        data = raw.get("data") or {}
        # Annotation ids and edit times, not the results: cheap, and an edit moves updated_at.
        answers = tuple((a.get("id"), a.get("updated_at")) for a in raw.get("annotations") or () if isinstance(a, dict))
        return hash((str(data.get("task_key")), str(data.get("text")), str(data.get("target")), answers))

    def first_time(self, task_id: int, raw: Mapping[str, Any], problems: Problems) -> bool:
        """True the first time a task id is seen; a repeat is recorded (same content) or a problem (different)."""
        content = self._content(raw)
        old = self.seen.get(task_id)
        if old is None:
            self.seen[task_id] = content
            return True
        if old == content:
            self.repeated.append(task_id)
        else:
            problems.add("ids", "two different tasks with the same id", task_id)
        return False

    def warning(self) -> str | None:
        """The report line for tasks exported twice, or None."""
        if not self.repeated:
            return None
        ids = sorted(set(self.repeated))
        return (f"{len(ids)} task(s) appear more than once with the same content and are counted once: "
                f"{format_ids(ids)} (download the export again with `stance pull` to get a clean file)")


def check_versions(versions: Mapping[str, list[int]], schema_version: str, path: Path) -> str:
    """The schema version of the export's tasks; refuses mixed versions or one other than the schema's.

    Args:
        versions: ``{version: [task ids]}`` as found in the task data.
        schema_version: The version of the schema given.
        path: The export, for the message.

    Returns:
        The one version the tasks were made with (the schema's when the tasks record none).
    """
    if not versions:
        return schema_version
    if len(versions) > 1:
        by_size = sorted(versions.items(), key=lambda kv: (-len(kv[1]), kv[0]))
        main, odd = by_size[0][0], by_size[1:]
        detail = "; ".join(f"version {v} in task(s) {format_ids(ids)}" for v, ids in odd)
        raise StanceError(f"{path}: most tasks were made with schema version {main}, but {detail}",
                          hint=HINTS["versions"])
    found = next(iter(versions))
    if found != schema_version:
        raise StanceError(
            f"{path}: tasks were made with schema version {found}, but the schema given is version {schema_version}",
            hint=HINTS["schema"],
        )
    return found


def check_offsets(
    task_id: int,
    data: Mapping[str, Any],
    text: str,
    documents: Mapping[str, str] | None,
    problems: Problems,
    counts: Counter[str],
) -> int | None:
    """Check a statement's ``start``/``end`` against its text and source; returns ``start`` (or None)."""
    start, end = data.get("start"), data.get("end")
    if not isinstance(start, int) or not isinstance(end, int):
        return None
    if end - start != len(text):
        problems.add("offsets", f"statement text of {len(text)} characters at offsets {start}:{end}", task_id)
        return start
    if documents is None:
        return start
    source = documents.get(str(data.get("doc_id")))
    if source is None:
        counts["offsets_unchecked"] += 1
        return start
    if source[start:end] != text:
        problems.add("offsets", f"statement text that is not the source text at its offsets (document {data.get('doc_id')})", task_id)
    else:
        counts["offsets_checked"] += 1
    return start
