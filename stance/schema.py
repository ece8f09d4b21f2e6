"""The label schema (roles, stances, targets) and the Label Studio configs generated from it.

A schema is a versioned YAML file that belongs to a project: ``stance init`` writes one from the
generic template shipped in the package (``stance/resources/schema.template.yaml``), and the
demo corpus has its own (``seeds/schema.yaml``). There is no default schema: every caller names
its file. The labeling configs for Label Studio are always generated from it by
:func:`labeling_config`, never kept by hand beside it, so the labels a project shows and the
labels an export is parsed with cannot drift apart.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from stance.errors import StanceError
from stance.io import read_yaml

__all__ = [
    "Target",
    "Schema",
    "load_schema",
    "schema_from_dict",
    "schema_template",
    "render_schema",
    "labeling_config",
    "MODES",
    "SCHEMA_MARKER",
]

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

MODES: tuple[str, ...] = ("pair", "discovery")

#: Written into the project description and the generated XML; read back by ``stance push``.
SCHEMA_MARKER = "stance-schema"

_TOP_KEYS = {"version", "guidelines_version", "name", "description", "roles", "stances", "targets"}
_REQUIRED_TOP = ("version", "roles", "stances", "targets")
_TARGET_KEYS = {"id", "name", "definition"}
# Target ids become parts of Label Studio control names (``stance_<id>``) and task keys.
_ID_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
_RELATIONS = ("supports", "attacks")
_VERSION_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._]{0,31}$")


@dataclass(frozen=True)
class Target:
    """One stance target: a position that statements can be for or against.

    Attributes:
        id: Short identifier (letters, digits, underscores), used in task data and control names.
        name: Short human-readable name shown to annotators and used as the model's target text.
        definition: One paragraph saying what Favor and Against mean for this target.
    """

    id: str
    name: str
    definition: str


@dataclass(frozen=True)
class Schema:
    """A loaded, validated label schema.

    Attributes:
        version: Schema version (a string such as ``"1"``); carried by every task and export.
        guidelines_version: Version of the written annotation guidelines.
        roles: Argument roles, ``("Claim", "Premise", "None")`` in the template and the demo schema.
        stances: Stance values, ``("Favor", "Against", "None")`` in the template and the demo schema.
        targets: The targets, in file order.
        name: Optional schema name.
        description: Optional free text.
        path: The file it was loaded from, if any.
    """

    version: str
    guidelines_version: str
    roles: tuple[str, ...]
    stances: tuple[str, ...]
    targets: tuple[Target, ...]
    name: str = ""
    description: str = ""
    path: str | None = None

    @property
    def target_ids(self) -> tuple[str, ...]:
        """The target ids in file order."""
        return tuple(t.id for t in self.targets)

    def target(self, target_id: str) -> Target:
        """Return the target with this id.

        Raises:
            StanceError: naming the unknown id and the known ones.

        Example:
            >>> schema.target("kuril_sovereignty").name
            'Russian sovereignty over the southern Kuril Islands'
        """
        for t in self.targets:
            if t.id == target_id:
                return t
        raise StanceError(
            f"unknown target {target_id!r} in schema {self.path or self.version}",
            hint=f"known targets: {', '.join(self.target_ids)}",
        )

    def select_targets(self, ids: list[str] | tuple[str, ...] | None) -> tuple[Target, ...]:
        """Return the targets named by ``ids`` (all targets when ``ids`` is None or empty).

        Raises:
            StanceError: when an id is unknown, naming it and the known ids.

        Example:
            >>> [t.id for t in schema.select_targets(["us_japan_alliance"])]
            ['us_japan_alliance']
        """
        if not ids:
            return self.targets
        unknown = [i for i in ids if i not in self.target_ids]
        if unknown:
            raise StanceError(
                f"unknown target id(s) {', '.join(unknown)} for schema version {self.version}",
                hint=f"choose from: {', '.join(self.target_ids)}",
            )
        return tuple(self.target(i) for i in dict.fromkeys(ids))

    @property
    def span_labels(self) -> tuple[str, ...]:
        """Roles that can be marked as spans in discovery mode (every role except ``None``)."""
        return tuple(r for r in self.roles if r != "None")


SCHEMA_TEMPLATE = "schema.template.yaml"


def schema_template() -> str:
    """The generic schema template shipped in the package (a valid schema with one example target).

    Example:
        >>> schema_from_dict(yaml.safe_load(schema_template())).target_ids
        ('example_position',)
    """
    from stance.resources import resource_text

    return resource_text(SCHEMA_TEMPLATE)


def render_schema(targets: list[Target] | tuple[Target, ...] | None = None, *, name: str | None = None) -> str:
    """The template's text with its ``targets`` (and optionally ``name``) replaced.

    The template's comments and the other keys are kept as written; the result is checked
    with :func:`schema_from_dict` before it is returned.

    Args:
        targets: The project's targets; the template's example target when None or empty.
        name: The schema's ``name`` (e.g. the project folder's name).

    Returns:
        YAML text ready to write as ``schema.yaml``.

    Example:
        >>> text = render_schema([Target("remote_work", "Remote work", "Favor: ...; Against: ...")])
        >>> "id: remote_work" in text
        True
    """
    import yaml

    text = schema_template()
    if name:
        text = re.sub(r"(?m)^name: .*$", lambda _: "name: " + yaml.safe_dump(name, default_style='"').strip(), text, count=1)
    if targets:
        head, sep, _ = text.partition("\ntargets:\n")
        items = [{"id": t.id, "name": t.name, "definition": t.definition} for t in targets]
        body = yaml.safe_dump(items, sort_keys=False, allow_unicode=True, width=96)
        text = head + sep + "".join(f"  {line}\n" if line else "\n" for line in body.splitlines())
    schema_from_dict(yaml.safe_load(text), where="the rendered schema")
    return text


def _fail(path: str, message: str, hint: str | None = None) -> StanceError:
    return StanceError(f"schema {path}: {message}", hint=hint)


def _str_list(raw: Any, field: str, where: str) -> tuple[str, ...]:
    if not isinstance(raw, list) or not raw:
        raise _fail(where, f"`{field}` must be a non-empty list of strings, found {raw!r}")
    out: list[str] = []
    for item in raw:
        # YAML reads a bare None as the string "None" but `null`/`~` as None: accept only strings.
        if not isinstance(item, str) or not item.strip():
            raise _fail(where, f"`{field}` has a value that is not a non-empty string: {item!r}",
                        hint="quote it, e.g. \"None\"")
        out.append(item.strip())
    dupes = sorted({x for x in out if out.count(x) > 1})
    if dupes:
        raise _fail(where, f"`{field}` repeats {', '.join(dupes)}")
    return tuple(out)


def schema_from_dict(raw: Mapping[str, Any], *, where: str = "<dict>") -> Schema:
    """Validate a parsed schema mapping and build a :class:`Schema`.

    Args:
        raw: The parsed YAML.
        where: How to name the source in errors (usually the file path).

    Returns:
        The frozen schema.

    Raises:
        StanceError: one readable line naming the bad field and value.

    Example:
        >>> schema_from_dict({"version": "1", "roles": ["Claim", "None"], "stances": ["Favor", "None"],
        ...                   "targets": [{"id": "t1", "name": "T", "definition": "..."}]}).version
        '1'
    """
    if not isinstance(raw, Mapping):
        raise _fail(where, f"expected a mapping at the top level, found {type(raw).__name__}")
    unknown = sorted(set(raw) - _TOP_KEYS)
    if unknown:
        raise _fail(where, f"unknown key(s) {', '.join(map(str, unknown))}",
                    hint=f"allowed keys: {', '.join(sorted(_TOP_KEYS))}")
    missing = [k for k in _REQUIRED_TOP if k not in raw]
    if missing:
        raise _fail(where, f"missing key(s) {', '.join(missing)}")
    version = raw["version"]
    if isinstance(version, bool) or not isinstance(version, (str, int)) or not _VERSION_RE.match(str(version)):
        raise _fail(where, f"`version` must be a string such as \"1\" or \"2.1\", found {version!r}",
                    hint="letters, digits, dots and underscores only")
    guidelines = raw.get("guidelines_version", version)
    if isinstance(guidelines, bool) or not isinstance(guidelines, (str, int)) or not _VERSION_RE.match(str(guidelines)):
        raise _fail(where, f"`guidelines_version` must be a string such as \"1\", found {guidelines!r}")
    roles = _str_list(raw["roles"], "roles", where)
    stances = _str_list(raw["stances"], "stances", where)
    if "None" not in stances:
        raise _fail(where, f"`stances` must include \"None\" (no position), found {list(stances)}")

    raw_targets = raw["targets"]
    if not isinstance(raw_targets, list) or not raw_targets:
        raise _fail(where, "`targets` must be a non-empty list of {id, name, definition}")
    targets: list[Target] = []
    seen: set[str] = set()
    for i, item in enumerate(raw_targets):
        at = f"targets[{i}]"
        if not isinstance(item, Mapping):
            raise _fail(where, f"{at} must be a mapping with id, name, definition, found {item!r}")
        bad = sorted(set(item) - _TARGET_KEYS)
        if bad:
            raise _fail(where, f"{at} has unknown key(s) {', '.join(map(str, bad))}",
                        hint="allowed keys: definition, id, name")
        for key in ("id", "name", "definition"):
            value = item.get(key)
            if not isinstance(value, str) or not value.strip():
                raise _fail(where, f"{at}.{key} must be a non-empty string, found {value!r}")
        tid = item["id"].strip()
        if not _ID_RE.match(tid):
            raise _fail(where, f"{at}.id {tid!r} is not a valid target id",
                        hint="use a letter then letters, digits or underscores (at most 64), e.g. us_japan_alliance")
        if tid in seen:
            raise _fail(where, f"{at}.id {tid!r} is used twice")
        seen.add(tid)
        targets.append(Target(id=tid, name=" ".join(item["name"].split()), definition=" ".join(item["definition"].split())))

    for field, value in (("name", raw.get("name", "")), ("description", raw.get("description", ""))):
        if value is not None and not isinstance(value, str):
            raise _fail(where, f"`{field}` must be a string, found {value!r}")
    return Schema(
        version=str(version).strip(),
        guidelines_version=str(guidelines).strip(),
        roles=roles,
        stances=stances,
        targets=tuple(targets),
        name=raw.get("name") or "",
        description=" ".join((raw.get("description") or "").split()),
        path=None if where == "<dict>" else where,
    )


def load_schema(path: str | Path | None = None) -> Schema:
    """Load and validate a schema YAML file.

    Args:
        path: The YAML file (``--schema``); there is no default.

    Returns:
        A frozen :class:`Schema`.

    Raises:
        StanceError: when the file is missing, not YAML, or a field is wrong (the field is named).

    Example:
        >>> schema = load_schema("seeds/schema.yaml")
        >>> schema.version, schema.target_ids[0]
        ('1', 'kuril_sovereignty')
    """
    if path is None:
        raise StanceError("no label schema given",
                          hint="pass --schema FILE; `stance init` writes a schema.yaml to edit "
                               "(the demo corpus's is seeds/schema.yaml)")
    path = Path(path)
    raw = read_yaml(path, what="schema file",
                    hint="check the --schema path; `stance init` writes a schema.yaml to edit")
    return schema_from_dict(raw, where=str(path))


def _attr(value: str) -> str:
    """Escape text for a double-quoted XML attribute (also newlines, which XML would fold)."""
    return escape(value, {'"': "&quot;", "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})


def _ls_text(value: str) -> str:
    """Static text for Label Studio: ``$name`` would be read as a task-data variable."""
    return value.replace("$", "＄")


def _choices(name: str, values: tuple[str, ...], *, to_name: str = "text", multiple: bool = False,
             hints: Mapping[str, str] | None = None, indent: str = "    ") -> list[str]:
    kind = "multiple" if multiple else "single-radio"
    lines = [f'{indent}<Choices name="{_attr(name)}" toName="{to_name}" choice="{kind}" showInline="{str(not multiple).lower()}">']
    for v in values:
        hint = f' hint="{_attr(_ls_text(hints[v]))}"' if hints and v in hints else ""
        lines.append(f'{indent}  <Choice value="{_attr(v)}"{hint}/>')
    lines.append(f"{indent}</Choices>")
    return lines


def _context(indent: str = "  ") -> list[str]:
    return [
        f'{indent}<View style="padding: 6px 10px; background: #f6f6f6; border-radius: 4px">',
        f'{indent}  <Header value="$title" size="5"/>',
        f'{indent}  <Text name="holder" value="$holder" granularity="word"/>',
        f"{indent}</View>",
        f'{indent}<View style="color: #666; font-size: 90%">',
        f'{indent}  <Header value="Previous statement" size="6"/>',
        f'{indent}  <Text name="prev_text" value="$prev_text" granularity="word"/>',
        f"{indent}</View>",
    ]


def _next(indent: str = "  ") -> list[str]:
    return [
        f'{indent}<View style="color: #666; font-size: 90%">',
        f'{indent}  <Header value="Next statement" size="6"/>',
        f'{indent}  <Text name="next_text" value="$next_text" granularity="word"/>',
        f"{indent}</View>",
    ]


_REVIEW = (
    '  <View style="padding: 6px 10px; border-left: 4px solid #d9822b; margin-bottom: 8px">',
    '    <Header value="Answers to adjudicate: they differ on $review_conflicts" size="5"/>',
    '    <Text name="review_answers" value="$review_answers" granularity="word"/>',
    "  </View>",
)


def labeling_config(schema: Schema, mode: str = "pair", *, targets: tuple[Target, ...] | None = None,
                    review: bool = False) -> str:
    """Generate the Label Studio labeling config (XML) for a schema.

    Pair mode (one task per statement × target) has the controls ``role`` and ``stance``;
    discovery mode (one task per statement) has ``targets`` (multiple choice of target ids), one
    ``stance_<id>`` shown only when that target is ticked, ``span`` labels for claim and premise
    spans and ``supports``/``attacks`` relations. Both show the holder, document title, previous
    and next statements; pair mode also shows the target name and definition.

    Args:
        schema: The loaded schema.
        mode: ``"pair"`` or ``"discovery"``.
        targets: Discovery mode only: the targets to offer (all by default).
        review: For an adjudication project: show every annotator's answers (task fields
            ``review_answers`` and ``review_conflicts``, see ``stance.adjudication``) above the task.

    Returns:
        The XML as a string; it records the schema version in a leading comment.

    Example:
        >>> xml = labeling_config(load_schema("seeds/schema.yaml"), "pair")
        >>> '<Choices name="stance"' in xml
        True
    """
    if mode not in MODES:
        raise StanceError(f"unknown mode {mode!r}", hint="use --mode pair or --mode discovery")
    marker = f"<!-- {SCHEMA_MARKER}={schema.version} guidelines={schema.guidelines_version} mode={mode} -->"
    lines = ["<View>", f"  {marker}", *(_REVIEW if review else ())]
    if mode == "pair":
        lines += [
            '  <View style="padding: 6px 10px; border-left: 4px solid #3b7ddd; margin-bottom: 8px">',
            '    <Header value="$target_name" size="4"/>',
            '    <Text name="target_definition" value="$target_definition" granularity="word"/>',
            "  </View>",
            *_context(),
            '  <Header value="Statement" size="6"/>',
            '  <Text name="text" value="$text" granularity="word"/>',
            *_next(),
            '  <Header value="Argument role of the statement" size="6"/>',
            *_choices("role", schema.roles),
            '  <Header value="Stance of the holder toward the target" size="6"/>',
            *_choices("stance", schema.stances),
        ]
    else:
        offered = targets if targets is not None else schema.targets
        hints = {t.id: f"{t.name}: {t.definition}" for t in offered}
        lines += [
            *_context(),
            '  <Header value="Statement" size="6"/>',
            '  <Labels name="span" toName="text">',
            *[f'    <Label value="{_attr(r)}"/>' for r in schema.span_labels],
            "  </Labels>",
            '  <Text name="text" value="$text" granularity="word"/>',
            "  <Relations>",
            *[f'    <Relation value="{r}"/>' for r in _RELATIONS],
            "  </Relations>",
            *_next(),
            '  <Header value="Targets the holder takes a position on" size="6"/>',
            *_choices("targets", tuple(t.id for t in offered), multiple=True, hints=hints),
        ]
        for t in offered:
            lines += [
                f'  <View visibleWhen="choice-selected" whenTagName="targets" whenChoiceValue="{_attr(t.id)}">',
                f'    <Header value="{_attr(_ls_text("Stance toward: " + t.name))}" size="6"/>',
                *_choices(f"stance_{t.id}", schema.stances),
                "  </View>",
            ]
    lines.append("</View>")
    return "\n".join(lines) + "\n"
