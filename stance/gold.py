"""Hand-made gold labels: read them, check them against the current segmentation, load them
into Label Studio as annotations (the users come from :mod:`stance.studio.users`).

Gold labels live in ``labels/`` as one JSONL line per (statement, target)::

    {"statement_id", "text", "target", "role", "stance", "annotator"}

in three files, as a labelling team would produce them: ``annotator_1``'s independent pass
over every statement and target, ``annotator_2``'s independent pass over a random sample, and
the ``adjudicator``'s decisions on the pairs where the two disagreed. In Label Studio the
adjudications are ground-truth annotations: they decide the gold label (the dataset's vote
follows them) and are left out of the agreement figures, which compare the independent passes.

The statement text is kept beside the id so that a change of segmentation is detected
(:func:`check_labels` fails loudly, naming the orphaned and unlabelled ids) instead of
silently orphaning labels. ``labels/make_gold.py`` and ``stance demo`` both use this module.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stance.errors import StanceError
from stance.io import read_jsonl

__all__ = [
    "ADJUDICATOR", "ADJUDICATOR_EMAIL", "ANNOTATOR_1", "ANNOTATOR_2", "ANNOTATOR_2_EMAIL", "GOLD_ADJUDICATIONS",
    "GOLD_ANNOTATIONS", "GOLD_ANNOTATIONS_2", "GOLD_EXPORT",
    "GoldLabels", "Label", "LabelCheck", "attach_annotations", "check_gold", "check_labels", "choice_result",
    "compare_labels", "fingerprint", "label_distribution", "label_sets", "read_gold", "read_labels",
]

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

# File names inside a labels folder (the repository's labels/).
GOLD_ANNOTATIONS = "seeds.gold.v1.annotations.jsonl"
GOLD_ANNOTATIONS_2 = "seeds.gold.v1.annotator2.jsonl"
GOLD_ADJUDICATIONS = "seeds.gold.v1.adjudications.jsonl"
GOLD_EXPORT = "seeds.gold.v1.json"

ANNOTATOR_1 = "annotator_1"
ANNOTATOR_2 = "annotator_2"
ANNOTATOR_2_EMAIL = "annotator_2@stance.local"
ADJUDICATOR = "adjudicator"
ADJUDICATOR_EMAIL = "adjudicator@stance.local"
ROLES_WITH_STANCE = ("Claim", "Premise")
_FIELDS = ("statement_id", "text", "target", "role", "stance", "annotator")
_SHOW = 8  # ids named in one error message


@dataclass(frozen=True)
class Label:
    """One hand label: the role and stance of one statement toward one target."""

    statement_id: str
    text: str
    target: str
    role: str
    stance: str
    annotator: str
    line: int


def read_labels(path: str | os.PathLike[str], schema: Any, *, annotator: str | None = None) -> dict[tuple[str, str], Label]:
    """Read an annotations JSONL file (one line per statement and target) and check each line.

    Args:
        path: ``labels/seeds.gold.v1.annotations.jsonl`` or the second annotator's file.
        schema: The label schema (roles, stances, target ids).
        annotator: When given, every line must name this annotator.

    Returns:
        ``{(statement_id, target): Label}``.

    Raises:
        StanceError: naming the file and line of a missing field, an unknown role, stance or
            target, a role/stance pair that does not fit, or a repeated (statement, target).

    Example:
        >>> labels = read_labels("labels/seeds.gold.v1.annotations.jsonl", load_schema("seeds/schema.yaml"))
        >>> labels[("001_d1caa0e424b30984:...", "treaty_1956_basis")].stance
        'Against'
    """
    path = Path(path)
    out: dict[tuple[str, str], Label] = {}
    for lineno, rec in read_jsonl(path, what="annotations file"):
        where = f"{path} line {lineno}"
        missing = [f for f in _FIELDS if not isinstance(rec.get(f), str) or not rec.get(f)]
        if missing:
            raise StanceError(f"{where}: missing or empty field(s) {', '.join(missing)}",
                              hint=f"each line needs {', '.join(_FIELDS)}")
        if rec["target"] not in schema.target_ids:
            raise StanceError(f"{where}: unknown target {rec['target']!r}", hint=f"targets: {', '.join(schema.target_ids)}")
        if rec["role"] not in schema.roles:
            raise StanceError(f"{where}: unknown role {rec['role']!r}", hint=f"roles: {', '.join(schema.roles)}")
        if rec["stance"] not in schema.stances:
            raise StanceError(f"{where}: unknown stance {rec['stance']!r}", hint=f"stances: {', '.join(schema.stances)}")
        if (rec["role"] in ROLES_WITH_STANCE) != (rec["stance"] != "None"):
            raise StanceError(f"{where}: role {rec['role']} with stance {rec['stance']}",
                              hint="Claim and Premise take Favor or Against; role None takes stance None (guidelines section 1)")
        if annotator is not None and rec["annotator"] != annotator:
            raise StanceError(f"{where}: annotator {rec['annotator']!r}, expected {annotator!r}",
                              hint="keep one annotator per file")
        key = (rec["statement_id"], rec["target"])
        if key in out:
            raise StanceError(f"{where}: statement {key[0]} and target {key[1]} already labelled on line {out[key].line}",
                              hint="keep one line per statement and target")
        out[key] = Label(rec["statement_id"], rec["text"], rec["target"], rec["role"], rec["stance"], rec["annotator"], lineno)
    return out


@dataclass(frozen=True)
class LabelCheck:
    """Labels compared with the current segmentation.

    Attributes:
        orphaned: Labelled statement ids that the segmenter no longer produces.
        changed: Statement ids whose text differs from the text stored with the label.
        unlabelled: ``(statement_id, target)`` pairs of current statements without a label.
        labelled_statements: Current statements with at least one label.
    """

    orphaned: list[str]
    changed: list[str]
    unlabelled: list[tuple[str, str]]
    labelled_statements: int

    @property
    def ok(self) -> bool:
        """No orphaned, changed or (when completeness is required) unlabelled pairs."""
        return not (self.orphaned or self.changed or self.unlabelled)


def compare_labels(
    statements: Sequence[Mapping[str, Any]],
    labels: Mapping[tuple[str, str], Label],
    target_ids: Sequence[str],
    *,
    complete: bool = True,
) -> LabelCheck:
    """Compare labels with the current statements (no exception; see :func:`check_labels`).

    Args:
        statements: The current segmentation.
        labels: From :func:`read_labels`.
        target_ids: The schema's targets.
        complete: Every current statement must have every target (the gold file). When False
            (a second annotator's sample), only the statements that have labels must have
            every target.

    Returns:
        A :class:`LabelCheck`.

    Example:
        >>> compare_labels(segment_seeds(), read_labels(ANNOTATIONS_1, schema), schema.target_ids).ok
        True
    """
    text_of = {s["id"]: s["text"] for s in statements}
    labelled_ids = {sid for sid, _ in labels}
    orphaned = sorted(sid for sid in labelled_ids if sid not in text_of)
    changed = sorted({lab.statement_id for lab in labels.values()
                      if lab.statement_id in text_of and text_of[lab.statement_id] != lab.text})
    wanted = [s["id"] for s in statements] if complete else [s["id"] for s in statements if s["id"] in labelled_ids]
    unlabelled = [(sid, t) for sid in wanted for t in target_ids if (sid, t) not in labels]
    return LabelCheck(orphaned, changed, unlabelled, len(labelled_ids & set(text_of)))


def check_labels(
    statements: Sequence[Mapping[str, Any]],
    labels: Mapping[tuple[str, str], Label],
    target_ids: Sequence[str],
    *,
    path: str | os.PathLike[str],
    complete: bool = True,
    per_target: bool = True,
) -> LabelCheck:
    """Fail loudly when labels and the current segmentation have drifted apart.

    Args:
        statements: The current segmentation.
        labels: From :func:`read_labels`.
        target_ids: The schema's targets.
        path: The annotations file (named in the message).
        complete: See :func:`compare_labels`.
        per_target: When False (a sparse file such as the adjudications), a labelled statement
            need not have every target.

    Returns:
        The :class:`LabelCheck` when everything matches.

    Raises:
        StanceError: listing orphaned, changed and unlabelled statement ids, with what to do.

    Example:
        >>> check_labels(statements, labels, schema.target_ids, path=ANNOTATIONS_1).labelled_statements
        263
    """
    result = compare_labels(statements, labels, target_ids, complete=complete)
    if not per_target:  # a sparse file (adjudications): only ids and texts must still match
        result = LabelCheck(result.orphaned, result.changed, [], result.labelled_statements)
    if result.ok:
        return result
    parts = []
    if result.orphaned:
        parts.append(f"{len(result.orphaned)} labelled statement id(s) no longer produced by the segmenter "
                     f"(orphaned): {_ids(result.orphaned)}")
    if result.changed:
        parts.append(f"{len(result.changed)} statement id(s) whose text changed since labelling: {_ids(result.changed)}")
    if result.unlabelled:
        sids = sorted({sid for sid, _ in result.unlabelled})
        parts.append(f"{len(sids)} current statement(s) without a label for every target "
                     f"({len(result.unlabelled)} pairs): {_ids(sids)}")
    raise StanceError(
        f"{path} does not match the current segmentation of the seeds: " + "; ".join(parts),
        hint="the segmenter changed statement boundaries; label the new statements (every target) following "
        "labels/guidelines.md, drop or re-id the orphaned lines, then rerun labels/make_gold.py --check",
    )


def _ids(ids: Sequence[str]) -> str:
    shown = ", ".join(ids[:_SHOW])
    return shown + (f" and {len(ids) - _SHOW} more" if len(ids) > _SHOW else "")


def choice_result(role: str, stance: str) -> list[dict[str, Any]]:
    """The Label Studio ``result`` of one pair-mode annotation.

    Example:
        >>> [r["value"]["choices"] for r in choice_result("Claim", "Favor")]
        [['Claim'], ['Favor']]
    """
    return [
        {"from_name": "role", "to_name": "text", "type": "choices", "value": {"choices": [role]}},
        {"from_name": "stance", "to_name": "text", "type": "choices", "value": {"choices": [stance]}},
    ]


def attach_annotations(
    tasks: Sequence[dict[str, Any]],
    label_sets: Sequence[tuple[int, Mapping[tuple[str, str], Label], bool]],
) -> list[dict[str, Any]]:
    """Give each pair-mode task the annotations of every annotator who labelled it.

    Args:
        tasks: From :func:`stance.tasks.build_tasks` (pair mode).
        label_sets: ``(user_id, labels, ground_truth)`` per annotator.

    Returns:
        New task dicts with an ``annotations`` list, ready for a bulk import.

    Example:
        >>> attach_annotations(tasks, [(1, labels, True)])[0]["annotations"][0]["completed_by"]
        1
    """
    out = []
    for task in tasks:
        data = task["data"]
        key = (data["statement_id"], data["target"])
        annotations = [
            # lead_time is left out: the labels were not timed, and a made-up time would mislead.
            {"result": choice_result(lab.role, lab.stance), "completed_by": user_id, "ground_truth": gt}
            for user_id, labels, gt in label_sets
            if (lab := labels.get(key)) is not None
        ]
        out.append({**task, "annotations": annotations})
    return out


def fingerprint(statements: Sequence[Mapping[str, Any]], label_sets: Sequence[Mapping[tuple[str, str], Label]]) -> str:
    """A short hash of the statements and all labels (names the project of one exact build).

    Example:
        >>> len(fingerprint(statements, [labels]))
        10
    """
    h = hashlib.sha1()
    for s in statements:
        h.update(f"{s['id']}\t{s['text']}\n".encode())
    for labels in label_sets:
        for key in sorted(labels):
            lab = labels[key]
            h.update(f"{lab.annotator}\t{key[0]}\t{key[1]}\t{lab.role}\t{lab.stance}\n".encode())
    return h.hexdigest()[:10]


def label_distribution(
    statements: Sequence[Mapping[str, Any]],
    labels: Mapping[tuple[str, str], Label],
    target_ids: Sequence[str],
) -> dict[str, dict[str, Counter[str]]]:
    """Count labels per target and genre.

    Args:
        statements: The current segmentation (for each statement's genre).
        labels: From :func:`read_labels`.
        target_ids: The schema's targets, in order.

    Returns:
        ``{target: {genre: Counter}}`` where the counter keys are ``"None"`` and
        ``"Claim/Favor"``, ``"Premise/Against"`` …; genre ``"all"`` sums the genres.

    Example:
        >>> label_distribution(statements, labels, schema.target_ids)["kuril_sovereignty"]["all"]["Claim/Favor"]
        36
    """
    genre_of = {s["id"]: str(s.get("genre") or "unknown") for s in statements}
    out: dict[str, dict[str, Counter[str]]] = {t: defaultdict(Counter) for t in target_ids}
    for (sid, target), lab in labels.items():
        key = "None" if lab.role == "None" else f"{lab.role}/{lab.stance}"
        out[target][genre_of.get(sid, "unknown")][key] += 1
        out[target]["all"][key] += 1
    return {t: dict(v) for t, v in out.items()}


@dataclass(frozen=True)
class GoldLabels:
    """The gold labels of a labels folder.

    Attributes:
        first: ``annotator_1``'s independent labels, covering every statement and target.
        second: ``annotator_2``'s independent labels on a random sample (empty when there is none).
        adjudicated: The adjudicator's decisions where the two disagreed (empty when none).
        paths: ``{"first"|"second"|"adjudicated": file}`` for the files that exist.
    """

    first: Mapping[tuple[str, str], Label]
    second: Mapping[tuple[str, str], Label]
    adjudicated: Mapping[tuple[str, str], Label]
    paths: Mapping[str, Path]

    def gold(self) -> dict[tuple[str, str], tuple[str, str]]:
        """The gold ``(role, stance)`` per (statement, target): the adjudication where there is one.

        Example:
            >>> read_gold("labels", schema).gold()[("004_b1e4814de7f370c4:cb8401f3bd", "treaty_1956_basis")]
            ('None', 'None')
        """
        out = {key: (lab.role, lab.stance) for key, lab in self.first.items()}
        out.update({key: (lab.role, lab.stance) for key, lab in self.adjudicated.items()})
        return out


def read_gold(labels_dir: str | os.PathLike[str], schema: Any) -> GoldLabels:
    """Read the gold labels of a labels folder (the first pass is required, the rest optional).

    Args:
        labels_dir: Folder holding ``seeds.gold.v1.annotations.jsonl`` and optionally the second
            pass and the adjudications.
        schema: The label schema.

    Returns:
        A :class:`GoldLabels`.

    Example:
        >>> len(read_gold("labels", load_schema("seeds/schema.yaml")).first)
        1115
    """
    folder = Path(labels_dir)
    files = {"first": folder / GOLD_ANNOTATIONS, "second": folder / GOLD_ANNOTATIONS_2,
             "adjudicated": folder / GOLD_ADJUDICATIONS}
    first = read_labels(files["first"], schema, annotator=ANNOTATOR_1)
    second = read_labels(files["second"], schema, annotator=ANNOTATOR_2) if files["second"].is_file() else {}
    adjudicated = (read_labels(files["adjudicated"], schema, annotator=ADJUDICATOR)
                   if files["adjudicated"].is_file() else {})
    paths = {name: path for name, path in files.items() if name == "first" or path.is_file()}
    return GoldLabels(first=first, second=second, adjudicated=adjudicated, paths=paths)


def check_gold(statements: Sequence[Mapping[str, Any]], gold: GoldLabels, schema: Any) -> None:
    """Fail loudly unless the gold labels fit the current segmentation (see :func:`check_labels`).

    Also checks that every adjudication settles a pair both annotators labelled differently.

    Example:
        >>> check_gold(statements, read_gold("labels", schema), schema)
    """
    check_labels(statements, gold.first, schema.target_ids, path=gold.paths["first"])
    if gold.second:
        check_labels(statements, gold.second, schema.target_ids, path=gold.paths["second"], complete=False)
    if gold.adjudicated:
        path = gold.paths["adjudicated"]
        check_labels(statements, gold.adjudicated, schema.target_ids, path=path, complete=False, per_target=False)
        stray = sorted(f"{sid} / {t}" for sid, t in gold.adjudicated
                       if (sid, t) not in gold.second
                       or (gold.first[(sid, t)].role, gold.first[(sid, t)].stance)
                       == (gold.second[(sid, t)].role, gold.second[(sid, t)].stance))
        if stray:
            raise StanceError(f"{path}: {len(stray)} adjudication(s) on pairs where the annotators did not disagree: "
                              f"{_ids(stray)}", hint="adjudicate only pairs with two different answers")
        open_pairs = sorted(f"{sid} / {t}" for (sid, t), lab in gold.second.items()
                            if (lab.role, lab.stance) != (gold.first[(sid, t)].role, gold.first[(sid, t)].stance)
                            and (sid, t) not in gold.adjudicated)
        if open_pairs:
            raise StanceError(f"{path}: {len(open_pairs)} disagreement(s) between the annotators are not adjudicated: "
                              f"{_ids(open_pairs)}", hint="add one adjudicator line per disagreeing pair")


def label_sets(gold: GoldLabels, first: int, second: int | None = None,
               adjudicator: int | None = None) -> list[tuple[int, Mapping[tuple[str, str], Label], bool]]:
    """Pair each annotator's labels with a Label Studio user id, for :func:`attach_annotations`.

    Only the adjudications are ground truth. Users are made by :mod:`stance.studio.users`.

    Args:
        gold: From :func:`read_gold`.
        first: User id of ``annotator_1``.
        second: User id of ``annotator_2`` (needed when there is a second pass).
        adjudicator: User id of the adjudicator (needed when there are adjudications).

    Returns:
        ``[(user_id, labels, ground_truth), ...]`` for the annotators that have labels.

    Example:
        >>> [gt for _, _, gt in label_sets(read_gold("labels", schema), 1, 2, 3)]  # doctest: +SKIP
        [False, False, True]
    """
    sets: list[tuple[int, Mapping[tuple[str, str], Label], bool]] = [(first, gold.first, False)]
    for user, labels, truth, who in ((second, gold.second, False, ANNOTATOR_2),
                                     (adjudicator, gold.adjudicated, True, ADJUDICATOR)):
        if labels:
            if user is None:
                raise StanceError(f"the gold labels have {who} labels but no Label Studio user was given for them",
                                  hint="pass the user id (stance.studio.users.ensure_user)")
            sets.append((user, labels, truth))
    return sets
