"""Label Studio export and import: annotators correct the current annotations in Label Studio.

An export writes ``tasks.json`` (one task per document: ``data.text`` is ``text.txt``, with
``doc_id``, ``title`` and ``url``; the current annotations as a prediction whose
``model_version`` names the dataset version, entity ids as region ids) and
``label_config.xml`` from the schema (``<Labels>`` for entities, ``<Relations>`` for relations).
Symmetric relations go out with direction ``bi``, others ``right``, head first.

An import reads Label Studio's JSON export: per task, the annotations' ``result`` items of type
``labels`` (regions) and ``relation``. ``left`` swaps head and tail; ``bi`` is only accepted for
a symmetric label. Cancelled annotations are skipped and counted. Without an annotator, a task
with several annotations takes the one marked ``ground_truth``; with ``--annotator NAME`` each
annotation goes to an annotator's set: the ``--annotator-map`` name of its ``completed_by``
user, else ``NAME``, in which ``{user}`` stands for the user (``user7``, or the local part of
the e-mail address when the export names it).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

from newscorpus import collector, fastjson
from newscorpus.annotators import check_annotator_name
from newscorpus.errors import InputError
from newscorpus.formats.base import ExportReport, ImportOptions, ImportPlan
from newscorpus.formats.common import (
    ExportDocument,
    check_output,
    export_documents,
    staged_files,
)
from newscorpus.formats.reading import (
    PlanBuilder,
    Regions,
    is_id,
    item_text,
    load_json_array,
    type_error,
)
from newscorpus.project import Project
from newscorpus.schema import Schema

TASKS_FILE = "tasks.json"
CONFIG_FILE = "label_config.xml"
#: The control and object tag names of the generated config, used in every result item.
FROM_NAME = "label"
TO_NAME = "text"
#: The placeholder in ``--annotator`` for each annotation's Label Studio user.
USER = "{user}"
#: What :func:`_user` calls a user it cannot name.
UNKNOWN_USER = "unknown-user"


def label_config(schema: Schema) -> str:
    """A Label Studio labeling config for the schema's entity and relation labels."""
    lines = ["<View>", "  <Relations>"]
    lines += [f"    <Relation value={quoteattr(label)}/>" for label in schema.relation_labels]
    lines += ["  </Relations>", f'  <Labels name="{FROM_NAME}" toName="{TO_NAME}">']
    lines += [f"    <Label value={quoteattr(label)}/>" for label in schema.entity_labels]
    lines += ["  </Labels>", f'  <Text name="{TO_NAME}" value="$text"/>', "</View>", ""]
    return "\n".join(lines)


def model_version(project: Project) -> str:
    """The prediction's ``model_version``: the dataset it comes from, with its version."""
    return f"{project.name} {project.version}"


def task(project: Project, schema: Schema, doc: ExportDocument) -> dict[str, Any]:
    """One document as a Label Studio task with its annotations as a prediction."""
    data = {"text": doc.text, "doc_id": doc.doc_id, "title": doc.meta.title, "url": doc.meta.url}
    result: list[dict[str, Any]] = [
        {
            "id": e["id"],
            "from_name": FROM_NAME,
            "to_name": TO_NAME,
            "type": "labels",
            "value": {
                "start": e["start"],
                "end": e["end"],
                "text": e["text"],
                "labels": [e["label"]],
            },
        }
        for e in doc.entity_items
    ]
    symmetric = {t.label for t in schema.relation_types if t.symmetric}
    result += [
        {
            "from_id": r["head"],
            "to_id": r["tail"],
            "type": "relation",
            "direction": "bi" if r["label"] in symmetric else "right",
            "labels": [r["label"]],
        }
        for r in doc.relation_items
    ]
    prediction = {"model_version": model_version(project), "result": result}
    return {"data": data, "predictions": [prediction]}


def _owned(name: str) -> bool:
    return name in (TASKS_FILE, CONFIG_FILE)


class LabelStudio:
    """Label Studio: ``tasks.json`` and ``label_config.xml`` out, its JSON export in."""

    name = "labelstudio"
    summary = "Label Studio: tasks.json (predictions) + label_config.xml; reads its JSON export"
    #: Knows who made each annotation (``completed_by``), so ``--annotator`` may use ``{user}``.
    users = True

    @collector.paused()
    def export(
        self,
        project: Project,
        out: Path,
        doc_ids: Sequence[str] | None,
        *,
        use_cache: bool = True,
    ) -> ExportReport:
        """Write ``label_config.xml`` and ``tasks.json`` into ``out``."""
        check_output(out, _owned, self.name)
        report = ExportReport(self.name, out)
        schema = Schema.load(project.schema_path)
        # One task per line: the C encoder (an indent would use the pure-Python one) and a
        # file that diffs task by task.
        with staged_files(out, [CONFIG_FILE, TASKS_FILE]) as files:
            write = files[TASKS_FILE]
            for doc in export_documents(project, doc_ids):
                write(b",\n" if report.documents else b"[\n")
                write(fastjson.dumps_line(task(project, schema, doc)))
                report.documents += 1
            write("\n]\n" if report.documents else "[]\n")
            files[CONFIG_FILE](label_config(schema))
        report.files += [CONFIG_FILE, TASKS_FILE]
        return report

    @collector.paused()
    def read(self, path: Path, project: Project, options: ImportOptions) -> ImportPlan:
        """Read a Label Studio JSON export (a list of tasks) into a plan."""
        if path.is_dir():
            raise InputError(
                "E202",
                "is a folder; Label Studio import reads the JSON file Label Studio exported.",
                fix="Pass the exported .json file.",
                where=str(path),
            )
        tasks = load_json_array(path, "a list of tasks (Label Studio's JSON export)")
        builder = PlanBuilder(self.name, path, project, options)
        named: dict[str, str] = {}  # set name -> the user it was made for
        for number, item in enumerate(tasks, start=1):
            _read_task(builder, item, f"{path}: task {_task_name(item, number)}", named)
        return builder.finish()


def _task_name(item: object, number: int) -> str:
    ident = item.get("id") if isinstance(item, dict) else None
    return f"{ident}" if is_id(ident) else f"#{number}"


def _read_task(builder: PlanBuilder, item: object, where: str, named: dict[str, str]) -> None:
    if not isinstance(item, dict):
        raise type_error("a task", "an object", item, where)
    data = item.get("data")
    if not isinstance(data, dict):
        raise type_error("the task's data", "an object", data, where)
    text = item_text(
        data.get("text"),
        "data.text",
        fix="Export the project from Label Studio with its task data (JSON export).",
        where=where,
    )
    doc_id, corpus_text = builder.match(data.get("doc_id"), text, where)
    annotations = item.get("annotations", [])
    if not isinstance(annotations, list):
        raise type_error("annotations", "a list", annotations, where)
    kept = []
    for annotation in annotations:
        if not isinstance(annotation, dict):
            raise type_error("an annotation", "an object", annotation, where)
        if annotation.get("was_cancelled") is True:
            builder.plan.skipped["cancelled annotations"] += 1
        else:
            kept.append(annotation)
    if not kept:
        builder.plan.skipped["tasks without annotations"] += 1
        return
    if not builder.selected_doc(doc_id):
        return
    annotator = builder.options.annotator
    if annotator is None:
        chosen = _gold_annotation(kept, where)
        builder.add(doc_id, corpus_text, _regions(builder, chosen, text, where), None)
        return
    for annotation in kept:
        name = _annotator_name(annotation, annotator, builder.options.annotator_map, where)
        _one_user_per_set(named, name, annotation, annotator, where)
        regions = _regions(builder, annotation, text, where)
        builder.add(doc_id, corpus_text, regions, name)


def _gold_annotation(kept: list[dict[str, Any]], where: str) -> dict[str, Any]:
    """The only annotation, or the one marked ``ground_truth``."""
    if len(kept) == 1:
        return kept[0]
    truth = [a for a in kept if a.get("ground_truth") is True]
    if len(truth) == 1:
        return truth[0]
    listed = ", ".join(
        f"{a.get('id')} (by {_user(a.get('completed_by'))})" for a in (truth or kept)
    )
    raise InputError(
        "E164",
        f"has {len(kept)} annotations and {len(truth) or 'none'} of them marked ground truth "
        f"({listed}), so it is not clear which one is gold.",
        fix="Mark one as ground truth in Label Studio and export again, or import each into its "
        "annotator's set with --annotator '{user}'.",
        where=where,
    )


def _user(completed_by: object) -> str:
    """A Label Studio user as a name: the e-mail's local part when given, else ``user<id>``."""
    if isinstance(completed_by, dict):
        email = completed_by.get("email")
        if isinstance(email, str) and "@" in email:
            local = re.sub(r"[^a-z0-9._-]+", "-", email.split("@")[0].lower()).strip("-.")
            if local:
                return local
        completed_by = completed_by.get("id")
    # Not a bool: JSON true is no user id, though Python counts it an int.
    return f"user{completed_by}" if type(completed_by) is int else UNKNOWN_USER


def _user_keys(completed_by: object) -> list[str]:
    """The names ``--annotator-map`` may use for a user: its id, and its e-mail if given."""
    if isinstance(completed_by, dict):
        keys = [str(completed_by.get("id")), str(completed_by.get("email"))]
        return [k for k in keys if k != "None"]
    return [str(completed_by)]


def _annotator_name(
    annotation: dict[str, Any], template: str, mapping: dict[str, str], where: str
) -> str:
    completed_by = annotation.get("completed_by")
    mapped = {mapping[key] for key in _user_keys(completed_by) if key in mapping}
    if len(mapped) > 1:
        raise InputError(
            "E161",
            f"annotation {annotation.get('id')}'s user is mapped to {len(mapped)} sets "
            f"({', '.join(sorted(mapped))}) by its id and its e-mail.",
            fix="Map each user once with --annotator-map (by id or by e-mail).",
            where=where,
        )
    if mapped:
        return mapped.pop()
    if USER in template and (completed_by is None or _user(completed_by) == UNKNOWN_USER):
        raise InputError(
            "E161",
            f"annotation {annotation.get('id')} has no completed_by user id or e-mail "
            f"({json.dumps(completed_by)[:60]}), so it names no user for --annotator "
            f"{template!r}.",
            fix="Import with --annotator NAME, or map it with --annotator-map.",
            where=where,
        )
    name = template.replace(USER, _user(completed_by))
    if USER in template:  # a name of the tool's user: checked here, to name the user
        check_annotator_name(
            name,
            f"{where}, annotation {annotation.get('id')}",
            fix=f"Map the user to a set with --annotator-map {_user_keys(completed_by)[0]}=NAME.",
        )
    return name


def _one_user_per_set(
    named: dict[str, str], name: str, annotation: dict[str, Any], template: str, where: str
) -> None:
    """Refuse a second user whose name makes the same set as another's (``jose@a`` and
    ``José@b`` both make ``jose``): their work would be merged into one annotator's set.
    Users mapped to one set on purpose (``--annotator-map``) are not checked.

    Raises:
        InputError: E161 naming both users.
    """
    completed_by = annotation.get("completed_by")
    if USER not in template or name != template.replace(USER, _user(completed_by)):
        return
    user = _user_keys(completed_by)[0]
    first = named.setdefault(name, user)
    if first != user:
        raise InputError(
            "E161",
            f"users {first} and {user} both make the set name {name!r}, so their work would be "
            "merged into one annotator's set.",
            fix=f"Map one of them to a set of its own with --annotator-map {user}=NAME.",
            where=f"{where}, annotation {annotation.get('id')}",
        )


def _regions(builder: PlanBuilder, annotation: dict[str, Any], text: str, where: str) -> Regions:
    """The regions and relations of one annotation."""
    where = f"{where}, annotation {annotation.get('id')}"
    result = annotation.get("result", [])
    if not isinstance(result, list):
        raise type_error("result", "a list", result, where)
    regions = builder.regions(text, where)
    for item in result:
        if not isinstance(item, dict):
            raise type_error("a result item", "an object", item, where)
        kind = item.get("type")
        if kind == "labels":
            _add_region(regions, item, where)
        elif kind == "relation":
            _add_relation(builder, regions, item, where)
        else:
            builder.plan.skipped[f"result items of type {kind!r} (not representable)"] += 1
    return regions


def _add_region(regions: Regions, item: dict[str, Any], where: str) -> None:
    region_id, value = item.get("id"), item.get("value")
    # Nearly every region is well formed: kept after a few type tests, the message for one
    # that is not written only then.
    if type(region_id) is str and type(value) is dict:
        labels, expected = value.get("labels"), value.get("text")
        if (
            type(labels) is list
            and len(labels) == 1
            and (expected is None or type(expected) is str)
        ):
            regions.add_span(region_id, value.get("start"), value.get("end"), labels[0], expected)
            return
    _add_unusual_region(regions, item, where)


def _add_unusual_region(regions: Regions, item: dict[str, Any], where: str) -> None:
    """:func:`_add_region` for a region it could not settle at once: kept (an integer id),
    or refused with an error naming the region."""
    region_id = item.get("id")
    if not is_id(region_id):
        raise type_error("a region's id", "a string", region_id, where)
    where = f"{where}, region {region_id}"
    value = item.get("value")
    if not isinstance(value, dict):
        raise type_error("value", "an object", value, where)
    labels = value.get("labels")
    if not isinstance(labels, list) or len(labels) != 1:
        raise InputError(
            "E161",
            f"value.labels must hold exactly one label, not {json.dumps(labels)[:60]}; a span "
            "has one label in this corpus.",
            fix="Give the region one label in Label Studio (two labels: two regions).",
            where=where,
        )
    expected = value.get("text")
    if expected is not None and not isinstance(expected, str):
        raise type_error("value.text", "a string", expected, where)
    regions.add_span(str(region_id), value.get("start"), value.get("end"), labels[0], expected)


def _add_relation(builder: PlanBuilder, regions: Regions, item: dict[str, Any], where: str) -> None:
    head, tail = item.get("from_id"), item.get("to_id")
    where = f"{where}, relation {head} -> {tail}"
    if not is_id(head) or not is_id(tail):
        raise type_error("from_id and to_id", "region ids", [head, tail], where)
    labels = item.get("labels")
    if not isinstance(labels, list) or len(labels) != 1:
        count = len(labels) if isinstance(labels, list) else 0
        raise InputError(
            "E167",
            f"relation from region {head} to region {tail} has {count or 'no'} label(s) "
            f"{json.dumps(labels) if count else ''}".rstrip()
            + "; a relation needs exactly one.",
            fix="Choose one relation label for it in Label Studio (or delete it).",
            where=where,
        )
    label = labels[0]
    direction = item.get("direction", "right")
    if direction == "left":
        head, tail = tail, head
    elif direction == "bi":
        relation = builder.schema.relation(label) if isinstance(label, str) else None
        if relation is not None and not relation.symmetric:
            raise InputError(
                "E168",
                f"relation {label!r} from region {item.get('from_id')} to region "
                f"{item.get('to_id')} has direction 'bi', but {label} is directed "
                f"({relation.signature()}).",
                fix="Set the direction to right (from head to tail) or left in Label Studio.",
                where=where,
            )
    elif direction != "right":
        raise InputError(
            "E168",
            f"relation direction {direction!r} is not one of right, left, bi.",
            fix="Set the direction in Label Studio.",
            where=where,
        )
    regions.add_relation(str(head), str(tail), label, where)


FORMAT = LabelStudio()
