"""A build loads with the lowest supported ``datasets`` (and ``pyarrow``), as a user installs it.

The test makes its own virtual environment under the user's cache folder (``NEWSCORPUS_TEST_CACHE``
or ``$XDG_CACHE_HOME`` or ``~/.cache``, then ``newscorpus-tests/``) with
``pip install <this repository> datasets==LOWEST pyarrow==LOWEST`` and no constraints: so pip
also proves that the ranges in pyproject.toml admit the lowest versions. The environment is
reused while pyproject.toml is unchanged (the first run takes a few minutes and needs PyPI); the
current source runs in it through ``PYTHONPATH``. Then, in that environment, plain
``load_dataset`` reads every config with the declared features and split sizes, and
``newscorpus.load``, ``Document.from_row`` and ``to_spacy`` work on the seed.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

from build_helpers import small_project
from conftest import REPO_ROOT, make_project
from newscorpus.buildinfo import LOWEST_DATASETS
from newscorpus.features import config_features
from newscorpus.package import build
from newscorpus.project import load_project
from newscorpus.schema import Schema

#: The oldest releases the library supports: pyproject.toml's lower bounds.
LOWEST = {"datasets": LOWEST_DATASETS, "pyarrow": "16.1.0"}

LOAD = """
import json, sys
import datasets, pyarrow
from datasets import load_dataset
import newscorpus
from newscorpus.nlp import make_nlp

out = {"versions": [datasets.__version__, pyarrow.__version__], "configs": {}}
for folder, config in json.loads(sys.argv[1]):
    ds = load_dataset(folder, config)
    out["configs"][f"{folder}:{config}"] = {
        "splits": {name: len(split) for name, split in ds.items()},
        "features": [split.features.to_dict() for split in ds.values()],
    }
ds = newscorpus.load(sys.argv[2], "documents")
doc = newscorpus.Document.from_row(ds["train"][0], features=ds["train"].features)
spacy_doc = doc.to_spacy(make_nlp())
out["seed"] = [len(doc.entities), len(spacy_doc.spans["entities"])]
print(json.dumps(out))
"""


def test_pyproject_lower_bounds_are_the_tested_lowest_versions() -> None:
    config = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    bounds = {}
    for line in config["project"]["dependencies"]:
        requirement = Requirement(line)
        for spec in requirement.specifier:
            if spec.operator == ">=":
                bounds[requirement.name] = Version(spec.version)
    assert {name: bounds[name] for name in LOWEST} == {
        name: Version(version) for name, version in LOWEST.items()
    }


def lowest_venv() -> Path:
    """The environment with the lowest versions, made once per pyproject.toml."""
    cache = os.environ.get("NEWSCORPUS_TEST_CACHE") or os.environ.get("XDG_CACHE_HOME")
    root = Path(cache) if cache else Path.home() / ".cache"
    key = hashlib.sha256(
        (REPO_ROOT / "pyproject.toml").read_bytes() + json.dumps(LOWEST).encode()
    ).hexdigest()[:16]
    venv = root / "newscorpus-tests" / f"lowest-deps-{key}"
    python = venv / "bin" / "python"
    if python.is_file():
        return venv
    work = venv.with_name(f"{venv.name}.{os.getpid()}.tmp")
    subprocess.run([sys.executable, "-m", "venv", str(work)], check=True)
    pins = [f"{name}=={version}" for name, version in LOWEST.items()]
    install = [str(work / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    subprocess.run(
        [*install, "--disable-pip-version-check", str(REPO_ROOT), *pins],
        check=True,
        capture_output=True,
        env={k: v for k, v in os.environ.items() if k != "PIP_CONSTRAINT"},
    )
    try:
        work.rename(venv)  # atomic: a half-made environment is never reused
    except OSError:  # another run finished first
        shutil.rmtree(work)
    return venv


@pytest.mark.lowest_deps
def test_a_build_loads_with_the_lowest_supported_datasets(tmp_path: Path) -> None:
    small = small_project(tmp_path / "small")
    seed = load_project(make_project(tmp_path / "seed", with_seed=True))
    outs = {project.root: build(project).out for project in (small, seed)}
    features = config_features(Schema.load(small.schema_path))
    wanted = [(str(out), config) for out in outs.values() for config in features]
    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}
    env.update(
        HF_HOME=str(tmp_path / "hf"),
        HF_DATASETS_OFFLINE="1",
        HF_HUB_OFFLINE="1",
        PYTHONPATH=str(REPO_ROOT / "src"),
    )
    python = lowest_venv() / "bin" / "python"
    result = subprocess.run(
        [str(python), "-c", LOAD, json.dumps(wanted), str(outs[seed.root])],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout)
    assert loaded["versions"] == [LOWEST["datasets"], LOWEST["pyarrow"]]
    small_sizes = {
        "documents": {"train": 1, "validation": 1, "test": 1},
        "sentences": {"train": 5, "validation": 3, "test": 2},
        "relations": {"train": 56, "validation": 4},
        "bigbio_kb": {"train": 1, "validation": 1, "test": 1},
    }
    for config, declared in features.items():
        part = loaded["configs"][f"{outs[small.root]}:{config}"]
        assert part["splits"] == small_sizes[config]
        assert all(f == declared.to_dict() for f in part["features"]), config
        assert loaded["configs"][f"{outs[seed.root]}:{config}"]["features"]
    assert loaded["seed"] == [89, 89]
