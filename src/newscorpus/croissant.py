"""``croissant.json``: the build described in MLCommons Croissant 1.0 JSON-LD.

One ``FileSet`` per config with rows (its Parquet shards) and one ``RecordSet`` per config whose
fields mirror the config's :class:`datasets.Features`: strings, integers and booleans map to
schema.org types, lists to ``repeated`` fields, structs to ``subField`` s read with a
``jsonPath``, and each ClassLabel to an integer whose names are in an enumeration record set
(linked with ``references`` where it is not in a list: mlcroissant cannot join list items). A
``split`` field comes from the shard's file name; the ``splits`` record set lists the splits that
have files. ``url``, ``creator`` and ``datePublished`` (required by Croissant 1.0) come from
``url``, ``creator`` and ``date_published`` in ``[tool.newscorpus]``
(:class:`newscorpus.buildinfo.DatasetMetadata`); nothing here reads the clock, so the file is
as reproducible as the rest of the build.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from newscorpus.buildinfo import DatasetMetadata
from newscorpus.features import relation_class_names
from newscorpus.schema import Schema
from newscorpus.splits import SPLITS

if TYPE_CHECKING:
    from datasets import Features

    from newscorpus.buildinfo import Stats
    from newscorpus.project import Project

CONFORMS_TO = "http://mlcommons.org/croissant/1.0"
#: The standard Croissant 1.0 ``@context``.
CONTEXT: dict[str, Any] = {
    "@language": "en",
    "@vocab": "https://schema.org/",
    "citeAs": "cr:citeAs",
    "column": "cr:column",
    "conformsTo": "dct:conformsTo",
    "cr": "http://mlcommons.org/croissant/",
    "rai": "http://mlcommons.org/croissant/RAI/",
    "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "dct": "http://purl.org/dc/terms/",
    "equivalentProperty": "cr:equivalentProperty",
    "examples": {"@id": "cr:examples", "@type": "@json"},
    "extract": "cr:extract",
    "field": "cr:field",
    "fileProperty": "cr:fileProperty",
    "fileObject": "cr:fileObject",
    "fileSet": "cr:fileSet",
    "format": "cr:format",
    "includes": "cr:includes",
    "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath",
    "key": "cr:key",
    "md5": "cr:md5",
    "parentField": "cr:parentField",
    "path": "cr:path",
    "recordSet": "cr:recordSet",
    "references": "cr:references",
    "regex": "cr:regex",
    "repeated": "cr:repeated",
    "replace": "cr:replace",
    "samplingRate": "cr:samplingRate",
    "sc": "https://schema.org/",
    "separator": "cr:separator",
    "source": "cr:source",
    "subField": "cr:subField",
    "transform": "cr:transform",
}
_DATA_TYPES = {
    "string": "sc:Text",
    "large_string": "sc:Text",
    "bool": "sc:Boolean",
    "float32": "sc:Float",
    "float64": "sc:Float",
}
SPLITS_RECORD_SET = "splits"


def croissant(
    project: Project, schema: Schema, features: dict[str, Features], stats: Stats
) -> dict[str, Any]:
    """The Croissant JSON-LD document of a build (as a dict, ready for JSON)."""
    enumerations = {
        tuple(schema.entity_labels): "entity_labels",
        tuple(schema.bio_tags): "ner_tags",
        tuple(schema.relation_labels): "relation_labels",
        tuple(relation_class_names(schema)): "relation_classes",
    }
    splits = [s for s in SPLITS if any(s in stats.splits(c) for c in stats.configs())]
    record_sets: list[dict[str, Any]] = [_splits_record_set(splits)]
    record_sets += [_enumeration(name, names) for names, name in enumerations.items()]
    for config in stats.configs():
        fields = [_split_field(config)]
        fields += [
            _field(config, (column,), feature, enumerations)
            for column, feature in features[config].items()
        ]
        record_sets.append(
            {
                "@type": "cr:RecordSet",
                "@id": config,
                "name": config,
                "description": f"The {config} config: {stats.rows[config].total()} rows.",
                "field": fields,
            }
        )
    metadata = DatasetMetadata.from_project(project)
    optional: dict[str, Any] = {}
    if metadata.url is not None:
        optional["url"] = metadata.url
    if metadata.creators:
        optional["creator"] = [{"@type": "sc:Person", "name": c} for c in metadata.creators]
    if metadata.date_published is not None:
        optional["datePublished"] = metadata.date_published
    return {
        "@context": CONTEXT,
        "@type": "sc:Dataset",
        "name": project.name,
        # Croissant viewers show descriptions as HTML: the maintainer's string stays text.
        "description": html.escape(project.pretty_name, quote=False),
        "conformsTo": CONFORMS_TO,
        **optional,
        "citeAs": (
            f"@misc{{{project.name.replace('-', '_')}, title = {{{_bibtex(project.pretty_name)}}}, "
            f"note = {{version {project.version}}}}}"
        ),
        "license": project.license,
        "version": project.version,
        "inLanguage": project.language,
        "distribution": [
            {
                "@type": "cr:FileSet",
                "@id": f"{config}-parquet",
                "name": f"{config}-parquet",
                "description": f"Parquet shards of the {config} config.",
                "encodingFormat": "application/x-parquet",
                "includes": f"data/{config}/*.parquet",
            }
            for config in stats.configs()
        ],
        "recordSet": record_sets,
    }


def _bibtex(text: str) -> str:
    """Text safe inside a braced BibTeX field: unbalanced braces would end it early."""
    return html.escape(text, quote=False).replace("{", "\\{").replace("}", "\\}")


def _splits_record_set(splits: list[str]) -> dict[str, Any]:
    key = f"{SPLITS_RECORD_SET}/name"
    return {
        "@type": "cr:RecordSet",
        "@id": SPLITS_RECORD_SET,
        "name": SPLITS_RECORD_SET,
        "dataType": "cr:Split",
        "key": {"@id": key},
        "field": [{"@type": "cr:Field", "@id": key, "name": "name", "dataType": "sc:Text"}],
        "data": [{key: split} for split in splits],
    }


def _enumeration(name: str, names: tuple[str, ...]) -> dict[str, Any]:
    """An enumeration record set: a ClassLabel's ids and names."""
    return {
        "@type": "cr:RecordSet",
        "@id": name,
        "name": name,
        "dataType": "sc:Enumeration",
        "key": {"@id": f"{name}/id"},
        "field": [
            {"@type": "cr:Field", "@id": f"{name}/id", "name": "id", "dataType": "sc:Integer"},
            {"@type": "cr:Field", "@id": f"{name}/name", "name": "name", "dataType": "sc:Text"},
        ],
        "data": [{f"{name}/id": i, f"{name}/name": label} for i, label in enumerate(names)],
    }


def _split_field(config: str) -> dict[str, Any]:
    return {
        "@type": "cr:Field",
        "@id": f"{config}/split",
        "name": "split",
        "description": "The split, from the shard's file name.",
        "dataType": "sc:Text",
        "source": {
            "fileSet": {"@id": f"{config}-parquet"},
            "extract": {"fileProperty": "filename"},
            "transform": {"regex": f"^({'|'.join(SPLITS)})-\\d+-of-\\d+\\.parquet$"},
        },
    }


def _list_of_records(feature: Any) -> bool:
    from datasets import List

    return isinstance(feature, List) and isinstance(feature.feature, dict)


def _field(
    config: str,
    path: tuple[str, ...],
    feature: Any,
    enumerations: dict[tuple[str, ...], str],
    in_list: bool = False,
) -> dict[str, Any]:
    """The Croissant field of one feature; ``path`` is (column, sub-key, ...)."""
    from datasets import ClassLabel, List, Value

    field: dict[str, Any] = {
        "@type": "cr:Field",
        "@id": "/".join((config, *path)),
        "name": path[-1],
    }
    source: dict[str, Any] = {
        "fileSet": {"@id": f"{config}-parquet"},
        "extract": {"column": path[0]},
    }
    if len(path) > 1:
        source["transform"] = {"jsonPath": ".".join(path[1:])}
    if isinstance(feature, List):
        field["repeated"] = True
        feature = feature.feature
        in_list = True
        if isinstance(feature, List):
            # Croissant has no list of lists: BigBIO's [start, end] offset pairs are described
            # as one repeated integer field (flattened when read through mlcroissant).
            field["description"] = "Lists of integers, e.g. [start, end] offset pairs."
            feature = feature.feature
    if isinstance(feature, dict):
        # mlcroissant fails on a list of records inside a list item (BigBIO's `normalized`):
        # those sub-fields are left out here, and named, but stay in the Parquet files.
        nested = [k for k, sub in feature.items() if in_list and _list_of_records(sub)]
        field["subField"] = [
            _field(config, (*path, key), sub, enumerations, in_list)
            for key, sub in feature.items()
            if key not in nested
        ]
        if nested:
            field["description"] = (
                f"Also has {', '.join(nested)} (lists of records inside a list) in the Parquet "
                "files, not described here."
            )
        return field
    field["source"] = source
    if isinstance(feature, ClassLabel):
        name = enumerations[tuple(feature.names)]
        field["dataType"] = "sc:Integer"
        field["description"] = f"Label id; names in the `{name}` record set."
        if not in_list:
            field["references"] = {"field": {"@id": f"{name}/id"}}
    elif isinstance(feature, Value):
        dtype = str(feature.dtype)
        field["dataType"] = "sc:Integer" if "int" in dtype else _DATA_TYPES[dtype]
    else:
        raise TypeError(f"no Croissant type for feature {feature!r} at {'/'.join(path)}")
    return field
