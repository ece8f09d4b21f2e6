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
   ``annotator_2`` and the ``adjudicator`` are users created through the API, and only the
   adjudicator's decisions (on the pairs where the two annotators disagree) are ground truth;
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
import json
import logging
import os
import socket
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stance.demo import studio_label_sets  # noqa: F401
from stance.errors import StanceError
from stance.gold import (  # noqa: F401  (re-exported for tests and users of this script)
    ADJUDICATOR,
    GOLD_ADJUDICATIONS,
    GoldLabels,
    check_gold,
    ANNOTATOR_1,
    ANNOTATOR_2,
    ANNOTATOR_2_EMAIL,
    GOLD_ANNOTATIONS,
    GOLD_ANNOTATIONS_2,
    GOLD_EXPORT,
    Label,
    LabelCheck,
    attach_annotations,
    check_labels,
    choice_result,
    compare_labels,
    fingerprint,
    label_distribution,
    read_labels,
)
from stance.studio.users import ensure_user  # noqa: F401

logger = logging.getLogger("stance.make_gold")
logger.addHandler(logging.NullHandler())


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

LABELS_DIR = Path(__file__).resolve().parent
REPO = LABELS_DIR.parent
SEEDS_DIR = REPO / "seeds"
SCHEMA_PATH = SEEDS_DIR / "schema.yaml"
ANNOTATIONS_1 = LABELS_DIR / GOLD_ANNOTATIONS
ANNOTATIONS_2 = LABELS_DIR / GOLD_ANNOTATIONS_2
ADJUDICATIONS = LABELS_DIR / GOLD_ADJUDICATIONS
EXPORT = LABELS_DIR / GOLD_EXPORT

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
    adjudications: str | os.PathLike[str] | None = ADJUDICATIONS,
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
        adjudications: The adjudicator's decisions on the pairs where the two disagree, imported
            as ground-truth annotations; skipped when None or missing.
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
    extra = read_labels(second, schema, annotator=ANNOTATOR_2) if second is not None and Path(second).is_file() else {}
    decided = (read_labels(adjudications, schema, annotator=ADJUDICATOR)
               if adjudications is not None and Path(adjudications).is_file() else {})
    paths = {"first": Path(annotations), "second": Path(second or ""), "adjudicated": Path(adjudications or "")}
    gold = GoldLabels(first=first, second=extra, adjudicated=decided, paths=paths)
    check_gold(statements, gold, schema)
    t_check = time.perf_counter() - t0

    title = f"stance gold seeds v{schema.version} {fingerprint(statements, [first, extra, decided])}"
    tasks = build_tasks(statements, schema, mode="pair")
    with studio_client(url, api_key, data_dir=data_dir, port=port) as client:
        t1 = time.perf_counter()
        label_sets = studio_label_sets(client, gold)
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
    if decided:
        counts[ADJUDICATOR] = len(decided)
    return GoldResult(project=title, project_id=pulled.project_id, tasks=pulled.tasks, annotations=counts,
                      added=pushed.added, export=str(out),
                      seconds={"check": round(t_check, 2), "push": round(t_push, 2), "pull": round(t_pull, 2),
                               "total": round(time.perf_counter() - t0, 2)})


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
    parser.add_argument("--adjudications", default=str(ADJUDICATIONS))
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
            second_path, adj_path = Path(args.second), Path(args.adjudications)
            gold = GoldLabels(
                first=read_labels(args.annotations, schema, annotator=ANNOTATOR_1),
                second=read_labels(second_path, schema, annotator=ANNOTATOR_2) if second_path.is_file() else {},
                adjudicated=read_labels(adj_path, schema, annotator=ADJUDICATOR) if adj_path.is_file() else {},
                paths={"first": Path(args.annotations), "second": second_path, "adjudicated": adj_path},
            )
            check_gold(statements, gold, schema)
            report = {"statements": len(statements), "labelled": len({sid for sid, _ in gold.first}),
                      "annotator_2_statements": len({sid for sid, _ in gold.second}),
                      "adjudicated_pairs": len(gold.adjudicated)}
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
        result = make_gold(seeds_dir=args.seeds, annotations=args.annotations, second=args.second,
                           adjudications=args.adjudications, out=args.out,
                           url=args.url, api_key=args.api_key, data_dir=args.data_dir, port=args.port)
        print(json.dumps(result.__dict__, indent=2))
        return 0
    except StanceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
