"""Read and validate the knowledge files; every error names the file and the key path."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from lowalp.errors import KnowledgeError

M = TypeVar("M", bound=BaseModel)

_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _StrictLoader(_BaseLoader):  # type: ignore[valid-type,misc]
    """A safe YAML loader that rejects duplicate keys instead of keeping the last one."""


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in seen:
            mark = key_node.start_mark
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r} (line {mark.line + 1})", mark
            )
        seen[key] = loader.construct_object(value_node, deep=True)
    return seen


_StrictLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _construct_mapping,
)


def package_root() -> Traversable:
    """The folder of the bundled knowledge files."""
    return resources.files("lowalp.knowledge")


def read_yaml(text: str, file: str) -> Any:
    try:
        return yaml.load(text, Loader=_StrictLoader)
    except yaml.YAMLError as exc:
        raise KnowledgeError(file, f"not valid YAML: {exc}") from None


def format_validation(exc: ValidationError) -> list[str]:
    out = []
    for err in exc.errors():
        path = ".".join(str(p) for p in err["loc"]) or "(top level)"
        out.append(f"{path}: {err['msg']}")
    return out


def validate(model: type[M], data: Any, file: str) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise KnowledgeError(file, format_validation(exc)) from None


def load_yaml_file(root: Traversable, name: str, model: type[M]) -> M:
    node = root.joinpath(name)
    if not node.is_file():
        raise KnowledgeError(name, "file is missing")
    return validate(model, read_yaml(node.read_text(encoding="utf-8"), name), name)


def load_yaml_dir(root: Traversable, folder: str, model: type[M]) -> list[tuple[str, M]]:
    node = root.joinpath(folder)
    if not node.is_dir():
        raise KnowledgeError(folder, "folder is missing")
    items = sorted((c for c in node.iterdir() if c.name.endswith(".yaml")), key=lambda c: c.name)
    out = []
    for child in items:
        name = f"{folder}/{child.name}"
        out.append(
            (name, validate(model, read_yaml(child.read_text(encoding="utf-8"), name), name))
        )
    return out


def read_csv(root: Traversable, name: str) -> list[dict[str, str]]:
    node = root.joinpath(name)
    if not node.is_file():
        raise KnowledgeError(name, "file is missing")
    text = node.read_text(encoding="utf-8")
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    return list(csv.DictReader(io.StringIO("\n".join(lines))))


def unique(items: Iterable[Any], key: Callable[[Any], str], file: str, what: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items:
        k = key(item)
        if k in out:
            raise KnowledgeError(file, f"duplicate {what} id {k!r}")
        out[k] = item
    return out
