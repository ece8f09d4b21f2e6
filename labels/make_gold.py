"""Rebuild the gold-labelled seed corpus through a real Label Studio round trip.

What it does, in order:

1. segments the seed documents with the library (the same code as ``stance segment``);
2. checks the hand-made labels against that segmentation: every statement must have a label
   for every target, and every label must point at a statement id that still exists with the
   same text. Anything else fails loudly, naming the orphaned and unlabelled ids;
3. starts a local Label Studio in a temporary data folder (or uses ``--url``/``--api-key``,
   ``LABEL_STUDIO_URL``/``LABEL_STUDIO_API_KEY``), creates a pair-mode project and imports one
   task per (statement, target), each task carrying its annotations (bulk import: one request
   per 2,000 tasks instead of one per annotation); ``annotator_1`` is the admin user,
   ``annotator_2`` a second user created through the API;
4. pulls the full JSON export and writes it atomically to ``labels/seeds.gold.v1.json``.

Run from the repository root::

    .venv/bin/python labels/make_gold.py            # local studio in a temp folder, ~1-2 min
    .venv/bin/python labels/make_gold.py --check    # only step 2 (seconds, no server)

The project title carries a fingerprint of the statements and labels, so a rerun against the
same server reuses the finished project instead of importing anything twice, and a change to
any label goes to a new project.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import logging
import os
import secrets
import socket
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stance.errors import StanceError
from stance.io import read_jsonl

logger = logging.getLogger("stance.make_gold")
logger.addHandler(logging.NullHandler())

LABELS_DIR = Path(__file__).resolve().parent
REPO = LABELS_DIR.parent
SEEDS_DIR = REPO / "seeds"
SCHEMA_PATH = LABELS_DIR / "schema.v1.yaml"
ANNOTATIONS_1 = LABELS_DIR / "seeds.gold.v1.annotations.jsonl"
ANNOTATIONS_2 = LABELS_DIR / "seeds.gold.v1.annotator2.jsonl"
EXPORT = LABELS_DIR / "seeds.gold.v1.json"

ANNOTATOR_1 = "annotator_1"
ANNOTATOR_2 = "annotator_2"
ANNOTATOR_2_EMAIL = "annotator_2@stance.local"
ROLES_WITH_STANCE = ("Claim", "Premise")
_FIELDS = ("statement_id", "text", "target", "role", "stance", "annotator")
_SHOW = 8  # ids named in one error message
# A per-target model needs this many position-taking pairs, and this many of each stance value
# (labels/README.md explains why).
MIN_POSITIONS = 50
MIN_PER_STANCE = 20

# --------------------------------------------------------------------------- statements


def segment_seeds(seeds_dir: str | os.PathLike[str] = SEEDS_DIR) -> list[dict[str, Any]]:
    """Segment the seed documents exactly as ``stance segment SEEDS_DIR`` does.

    Args:
        seeds_dir: The folder of seed documents (with its ``metadata.yaml``).

    Returns:
        The statement records (DESIGN.md section 1), in document order.

    Example:
        >>> statements = segment_seeds()
        >>> statements[0]["id"].startswith("000_195aff00a3928bad:")
        True
    """
    from stance.segment import segment_paths

    return [statement.to_dict() for statement in segment_paths([Path(seeds_dir)])]


# --------------------------------------------------------------------------- labels


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
        >>> labels = read_labels("labels/seeds.gold.v1.annotations.jsonl", load_schema())
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
) -> LabelCheck:
    """Fail loudly when labels and the current segmentation have drifted apart.

    Args:
        statements: The current segmentation.
        labels: From :func:`read_labels`.
        target_ids: The schema's targets.
        path: The annotations file (named in the message).
        complete: See :func:`compare_labels`.

    Returns:
        The :class:`LabelCheck` when everything matches.

    Raises:
        StanceError: listing orphaned, changed and unlabelled statement ids, with what to do.

    Example:
        >>> check_labels(statements, labels, schema.target_ids, path=ANNOTATIONS_1).labelled_statements
        263
    """
    result = compare_labels(statements, labels, target_ids, complete=complete)
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


# --------------------------------------------------------------------------- tasks


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


# --------------------------------------------------------------------------- studio


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def studio_client(url: str | None = None, api_key: str | None = None, *, data_dir: str | None = None,
                  port: int | None = None) -> Iterator[Any]:
    """Yield a connected :class:`stance.studio.client.StudioClient`.

    With a URL and key (arguments or ``LABEL_STUDIO_URL``/``LABEL_STUDIO_API_KEY``) that server
    is used. Otherwise a local Label Studio is started in ``data_dir`` (a new temporary folder
    when None) and stopped afterwards; a temporary folder is removed.

    Example:
        >>> with studio_client() as client:
        ...     client.url
        'http://127.0.0.1:40123'
    """
    from stance.studio.client import connect
    from stance.studio.server import start, stop

    url = url or os.environ.get("LABEL_STUDIO_URL")
    api_key = api_key or os.environ.get("LABEL_STUDIO_API_KEY")
    if url and api_key:
        yield connect(url, api_key)
        return
    with contextlib.ExitStack() as stack:
        folder = data_dir or stack.enter_context(tempfile.TemporaryDirectory(prefix="stance-gold-studio-"))
        t0 = time.perf_counter()
        st = start(folder, port=port or _free_port())
        logger.info("local Label Studio up at %s after %.0f s", st.url, time.perf_counter() - t0)
        try:
            yield connect(data_dir=folder)
        finally:
            stop(folder)


def ensure_user(client: Any, email: str, username: str) -> int:
    """The id of the user with this email, created (random password, never shown) if missing.

    Example:
        >>> ensure_user(client, "annotator_2@stance.local", "annotator_2")
        2
    """
    def _find() -> int | None:
        for user in client.ls.users.list():
            if (getattr(user, "email", "") or "").lower() == email.lower():
                return int(user.id)
        return None

    found = client.call("listing users", _find)
    if found is not None:
        return found
    user = client.call("creating the second annotator", client.ls.users.create, email=email, username=username,
                       password=secrets.token_urlsafe(18))
    return int(user.id)


@dataclass(frozen=True)
class GoldResult:
    """What a build did: the project, the task and annotation counts, the timings."""

    project: str
    project_id: int
    tasks: int
    annotations: dict[str, int]
    added: int
    export: str
    seconds: dict[str, float]


def make_gold(
    *,
    seeds_dir: str | os.PathLike[str] = SEEDS_DIR,
    schema_path: str | os.PathLike[str] = SCHEMA_PATH,
    annotations: str | os.PathLike[str] = ANNOTATIONS_1,
    second: str | os.PathLike[str] | None = ANNOTATIONS_2,
    out: str | os.PathLike[str] = EXPORT,
    url: str | None = None,
    api_key: str | None = None,
    data_dir: str | None = None,
    port: int | None = None,
) -> GoldResult:
    """Check the labels, push statements and annotations to Label Studio, pull the export.

    Args:
        seeds_dir: Seed documents.
        schema_path: Label schema (pair mode, all its targets).
        annotations: The first annotator's labels (must cover every statement and target).
        second: The second annotator's labels; skipped when the file does not exist.
        out: Where the export goes (written atomically).
        url, api_key: An existing Label Studio; a local one is started when absent.
        data_dir, port: Data folder and port of the local studio.

    Returns:
        A :class:`GoldResult`.

    Raises:
        StanceError: labels out of step with the segmentation, or a Label Studio failure.

    Example:
        >>> make_gold().annotations
        {'annotator_1': 1315, 'annotator_2': 400}
    """
    from stance.schema import labeling_config, load_schema
    from stance.studio.client import pull, push_tasks
    from stance.tasks import build_tasks

    t0 = time.perf_counter()
    schema = load_schema(schema_path)
    statements = segment_seeds(seeds_dir)
    first = read_labels(annotations, schema, annotator=ANNOTATOR_1)
    check_labels(statements, first, schema.target_ids, path=annotations)
    extra: dict[tuple[str, str], Label] = {}
    if second is not None and Path(second).is_file():
        extra = read_labels(second, schema, annotator=ANNOTATOR_2)
        check_labels(statements, extra, schema.target_ids, path=second, complete=False)
    t_check = time.perf_counter() - t0

    title = f"stance gold seeds v{schema.version} {fingerprint(statements, [first, extra])}"
    tasks = build_tasks(statements, schema, mode="pair")
    with studio_client(url, api_key, data_dir=data_dir, port=port) as client:
        t1 = time.perf_counter()
        admin = int(client.call("reading the current user", client.ls.users.whoami).id)
        label_sets = [(admin, first, True)]
        if extra:
            label_sets.append((ensure_user(client, ANNOTATOR_2_EMAIL, ANNOTATOR_2), extra, False))
        xml = labeling_config(schema, "pair")
        description = (f"Gold labels of the seed corpus, guidelines version {schema.guidelines_version} "
                       f"(labels/guidelines.md); built by labels/make_gold.py.")
        pushed = push_tasks(client, title, attach_annotations(tasks, label_sets), xml,
                            schema_version=schema.version, mode="pair", description=description)
        t_push = time.perf_counter() - t1
        pulled = pull(client, title, out)
        t_pull = time.perf_counter() - t1 - t_push
    expected = len(statements) * len(schema.target_ids)
    if pulled.tasks != expected:
        raise StanceError(f"project {title!r} holds {pulled.tasks} tasks, expected {expected}",
                          hint="another process changed the project; rerun against a fresh studio")
    counts = {ANNOTATOR_1: len(first)}
    if extra:
        counts[ANNOTATOR_2] = len(extra)
    return GoldResult(project=title, project_id=pulled.project_id, tasks=pulled.tasks, annotations=counts,
                      added=pushed.added, export=str(out),
                      seconds={"check": round(t_check, 2), "push": round(t_push, 2), "pull": round(t_pull, 2),
                               "total": round(time.perf_counter() - t0, 2)})


# --------------------------------------------------------------------------- report


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


def distribution_markdown(dist: Mapping[str, Mapping[str, Counter[str]]], *, min_positions: int, min_per_stance: int) -> str:
    """Render :func:`label_distribution` as Markdown tables, flagging targets below the thresholds.

    Args:
        dist: From :func:`label_distribution`.
        min_positions: Position-taking pairs (Claim or Premise) a target needs for a per-target model.
        min_per_stance: Pairs of each stance value (Favor, Against) it needs.

    Returns:
        Markdown text.

    Example:
        >>> print(distribution_markdown(dist, min_positions=50, min_per_stance=20))  # doctest: +SKIP
    """
    cols = ["Claim/Favor", "Claim/Against", "Premise/Favor", "Premise/Against", "None"]
    genres = sorted({g for per in dist.values() for g in per if g != "all"})
    lines = ["| target | genre | " + " | ".join(cols) + " | position-taking |",
             "| --- | --- | " + " | ".join("---:" for _ in cols) + " | ---: |"]
    verdicts = []
    for target, per in dist.items():
        for genre in [*genres, "all"]:
            c = per.get(genre, Counter())
            pos = sum(v for k, v in c.items() if k != "None")
            name = f"**{genre}**" if genre == "all" else genre
            lines.append(f"| {target} | {name} | " + " | ".join(str(c.get(k, 0)) for k in cols) + f" | {pos} |")
        c = per.get("all", Counter())
        pos = sum(v for k, v in c.items() if k != "None")
        favor = c.get("Claim/Favor", 0) + c.get("Premise/Favor", 0)
        against = c.get("Claim/Against", 0) + c.get("Premise/Against", 0)
        short = [why for why, bad in (
            (f"{pos} position-taking pairs < {min_positions}", pos < min_positions),
            (f"{favor} Favor < {min_per_stance}", favor < min_per_stance),
            (f"{against} Against < {min_per_stance}", against < min_per_stance),
        ) if bad]
        verdicts.append(f"| {target} | {pos} | {favor} | {against} | " + ("too few: " + "; ".join(short) if short else "enough") + " |")
    head = ["| target | position-taking | Favor | Against | per-target model |", "| --- | ---: | ---: | ---: | --- |"]
    return "\n".join(lines) + "\n\n" + "\n".join(head + verdicts) + "\n"


# --------------------------------------------------------------------------- command line


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``python labels/make_gold.py [--check] [--url URL] ...``; returns the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only check labels against the current segmentation")
    parser.add_argument("--report", action="store_true", help="print the label distribution per target and genre (Markdown)")
    parser.add_argument("--min-positions", type=int, default=MIN_POSITIONS)
    parser.add_argument("--min-per-stance", type=int, default=MIN_PER_STANCE)
    parser.add_argument("--seeds", default=str(SEEDS_DIR))
    parser.add_argument("--annotations", default=str(ANNOTATIONS_1))
    parser.add_argument("--second", default=str(ANNOTATIONS_2))
    parser.add_argument("--out", default=str(EXPORT))
    parser.add_argument("--url", default=None, help="existing Label Studio (else LABEL_STUDIO_URL, else a local one)")
    parser.add_argument("--api-key", default=None, help="its API key (else LABEL_STUDIO_API_KEY)")
    parser.add_argument("--data-dir", default=None, help="data folder for the local studio (default: a temp folder)")
    parser.add_argument("--port", type=int, default=None)
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    try:
        if args.check:
            from stance.schema import load_schema

            schema = load_schema(SCHEMA_PATH)
            statements = segment_seeds(args.seeds)
            first = check_labels(statements, read_labels(args.annotations, schema, annotator=ANNOTATOR_1),
                                 schema.target_ids, path=args.annotations)
            report = {"statements": len(statements), "labelled": first.labelled_statements}
            if Path(args.second).is_file():
                second = check_labels(statements, read_labels(args.second, schema, annotator=ANNOTATOR_2),
                                      schema.target_ids, path=args.second, complete=False)
                report["annotator_2_statements"] = second.labelled_statements
            print(json.dumps({"ok": True, **report}))
            return 0
        if args.report:
            from stance.schema import load_schema

            schema = load_schema(SCHEMA_PATH)
            statements = segment_seeds(args.seeds)
            labels = read_labels(args.annotations, schema, annotator=ANNOTATOR_1)
            check_labels(statements, labels, schema.target_ids, path=args.annotations)
            dist = label_distribution(statements, labels, schema.target_ids)
            print(distribution_markdown(dist, min_positions=args.min_positions, min_per_stance=args.min_per_stance))
            return 0
        result = make_gold(seeds_dir=args.seeds, annotations=args.annotations, second=args.second, out=args.out,
                           url=args.url, api_key=args.api_key, data_dir=args.data_dir, port=args.port)
        print(json.dumps(result.__dict__, indent=2))
        return 0
    except StanceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
