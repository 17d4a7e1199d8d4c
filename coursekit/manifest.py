"""Course manifests: find them, read them, check every key, and say exactly what is wrong.

A manifest is YAML baked into the image. Typos that are silently ignored are the commonest
complaint about the tools in this field, so every key is checked against
``schema/course.schema.json`` and every problem names the file, the line, the key path and,
for a misspelt key, the nearest valid one.

A problem never raises out of :func:`load_course`: a bad module is left out and reported,
the others still work, and the server keeps running so the panel can show the problem.
"""

from __future__ import annotations

import difflib
import json
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

MANIFEST_SUFFIXES = (".yaml", ".yml")
# The institution's branding file lives beside the manifests but is not one.
BRANDING_FILES = ("branding.yaml", "branding.yml")
ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".zip")


@dataclass(frozen=True)
class ManifestProblem:
    """One thing wrong with a manifest, located as precisely as the YAML allows."""

    file: str
    line: int | None
    path: str
    message: str
    code: str = "manifest-invalid"

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        key = f" {self.path}:" if self.path else ""
        return f"{where}:{key} {self.message}"

    def to_dict(self) -> dict:
        return {
            "file": self.file,
            "line": self.line,
            "path": self.path,
            "message": self.message,
            "code": self.code,
        }


@dataclass(frozen=True)
class ContentSource:
    """Where some of a module's material comes from."""

    kind: str  # "directory", "git" or "archive"
    location: str
    target: str = "."
    ref: str | None = None
    exclude: tuple[str, ...] = ()

    @property
    def is_remote(self) -> bool:
        return self.kind == "git" or self.location.startswith(("https://", "http://"))


@dataclass(frozen=True)
class InitStep:
    """A first-run command, run once per student and module after the first seed."""

    name: str
    run: str | tuple[str, ...]
    timeout: float = 300.0


@dataclass(frozen=True)
class SharedFolder:
    """A folder the platform mounts into every server, linked into the module directory.

    Staff write it and students read it: the mount, not coursekit, makes it read-only.
    """

    name: str
    path: str  # absolute, or starting with ${NAME}: expanded when the server starts
    title: str = ""


@dataclass(frozen=True)
class Module:
    """One module presentation, as a manifest describes it."""

    code: str
    presentation: str
    title: str = ""
    description: str = ""
    content: tuple[ContentSource, ...] = ()
    init: tuple[InitStep, ...] = ()
    shared: tuple[SharedFolder, ...] = ()
    manifest: str = ""
    raw: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def id(self) -> str:
        """``CODE-PRESENTATION``, the name students, hubs and directories know it by."""
        return f"{self.code}-{self.presentation}"


@dataclass
class Course:
    """Everything the manifests of an image describe, and what was wrong with them."""

    modules: list[Module] = field(default_factory=list)
    problems: list[ManifestProblem] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    def module(self, module_id: str) -> Module | None:
        return next((m for m in self.modules if m.id == module_id), None)


# ---------------------------------------------------------------------------------------
# Finding manifests


def find_manifests(paths: Iterable[str]) -> tuple[list[str], list[ManifestProblem]]:
    """Expand files and directories into the manifest files they hold, in a stable order.

    A directory contributes its ``*.yaml``/``*.yml`` files, sorted by name. A directory that
    does not exist is skipped (the default search path names several that rarely exist); a
    named file that does not exist is a problem.
    """
    files: list[str] = []
    problems: list[ManifestProblem] = []
    for raw in paths:
        path = Path(raw).expanduser()
        if path.is_dir():
            files.extend(
                str(p)
                for p in sorted(path.iterdir())
                if p.suffix in MANIFEST_SUFFIXES and p.name not in BRANDING_FILES and p.is_file()
            )
        elif path.is_file():
            files.append(str(path))
        elif path.suffix in MANIFEST_SUFFIXES:
            problems.append(
                ManifestProblem(
                    str(path), None, "", "no such manifest file", code="manifest-missing"
                )
            )
    seen: set[str] = set()
    unique = [f for f in files if not (f in seen or seen.add(f))]
    return unique, problems


# ---------------------------------------------------------------------------------------
# Reading YAML with line numbers


class _Located:
    """The Python value of a YAML document plus the line of every key path in it."""

    def __init__(self) -> None:
        self.lines: dict[tuple, int] = {}
        self.key_lines: dict[tuple, int] = {}
        self.duplicates: list[tuple[tuple, int]] = []

    def build(self, node: yaml.Node, path: tuple = ()) -> Any:
        self.lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            result: dict = {}
            for key_node, value_node in node.value:
                key = _scalar_value(key_node)
                child = (*path, key)
                if key in result:
                    self.duplicates.append((child, key_node.start_mark.line + 1))
                self.key_lines[child] = key_node.start_mark.line + 1
                result[key] = self.build(value_node, child)
            return result
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        return _scalar_value(node)

    def line_of(self, path: Sequence) -> int | None:
        path = tuple(path)
        while path:
            if path in self.key_lines:
                return self.key_lines[path]
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get(())


def _scalar_value(node: yaml.Node) -> Any:
    # Construct scalars with SafeLoader's own rules, so "25J" stays a string and 2025 an int.
    if node.tag == "tag:yaml.org,2002:timestamp":
        # A manifest is JSON-shaped: a date stays the text it was written as (the schema
        # checks its form), so it keeps its time zone and serialises as it came.
        return node.value
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_object(node, deep=True)
    finally:
        loader.dispose()


def _read_yaml(file: str) -> tuple[Any, _Located | None, list[ManifestProblem]]:
    try:
        text = Path(file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        return (
            None,
            None,
            [
                ManifestProblem(
                    file, None, "", f"cannot read the manifest: {err}", "manifest-unreadable"
                )
            ],
        )
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(err, "problem", None) or str(err)
        return (
            None,
            None,
            [ManifestProblem(file, line, "", f"not valid YAML: {reason}", "manifest-not-yaml")],
        )
    if node is None:
        return (
            None,
            None,
            [
                ManifestProblem(
                    file,
                    1,
                    "",
                    "the manifest is empty: it needs a 'modules:' list",
                    "manifest-invalid",
                )
            ],
        )
    located = _Located()
    data = located.build(node)
    problems = [
        ManifestProblem(
            file,
            line,
            _format_path(path),
            f"the key '{path[-1]}' appears twice",
            "manifest-duplicate-key",
        )
        for path, line in located.duplicates
    ]
    return data, located, problems


# ---------------------------------------------------------------------------------------
# Checking against the schema


def schema_dir() -> Path:
    """The folder of coursekit's JSON Schemas, in a wheel or in a source checkout."""
    packaged = Path(__file__).parent / "schema"
    if packaged.is_dir():
        return packaged
    return Path(__file__).parent.parent / "schema"


@lru_cache(maxsize=2)
def _validator(name: str = "course.schema.json"):
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource

    # The course schema refers to branding.schema.json for the keys a module shares
    # with the institution's branding file: both are registered under their $id.
    registry = Registry()
    for other in ("course.schema.json", "branding.schema.json"):
        text = (schema_dir() / other).read_text(encoding="utf-8")
        resource = Resource.from_contents(json.loads(text))
        registry = registry.with_resource(resource.id(), resource)
    schema = json.loads((schema_dir() / name).read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, registry=registry)


def _format_path(path: Sequence) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


_TYPE_NAMES = {
    "object": "a mapping (key: value)",
    "array": "a list",
    "string": "text",
    "number": "a number",
    "integer": "a whole number",
    "boolean": "true or false",
}


def _schema_problems(
    file: str, data: Any, located: _Located, schema: str = "course.schema.json"
) -> list[ManifestProblem]:
    problems = []
    for error in sorted(
        _validator(schema).iter_errors(data), key=lambda e: list(map(str, e.absolute_path))
    ):
        problems.extend(_describe(file, error, located))
    return problems


def _describe(file: str, error, located: _Located) -> list[ManifestProblem]:
    path = list(error.absolute_path)
    schema = error.schema
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = sorted(schema.get("properties", {}))
        out = []
        for key in error.instance:
            if key in allowed:
                continue
            message = f"unknown key '{key}'"
            nearest = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.6)
            if nearest:
                message += f"; did you mean '{nearest[0]}'?"
            else:
                message += f"; valid keys here are: {', '.join(allowed)}"
            out.append(
                ManifestProblem(
                    file,
                    located.line_of([*path, key]),
                    _format_path([*path, key]),
                    message,
                    "manifest-unknown-key",
                )
            )
        return out
    if error.validator == "required":
        missing = re.findall(r"'([^']+)' is a required property", error.message)
        key = missing[0] if missing else "?"
        return [
            ManifestProblem(
                file,
                located.line_of(path),
                _format_path(path),
                f"missing the required key '{key}'",
                "manifest-missing-key",
            )
        ]
    if error.validator == "pattern" and "x-error" in schema:
        message = f"'{error.instance}' {schema['x-error']}"
    elif error.validator == "type":
        wanted = error.validator_value
        wanted = [wanted] if isinstance(wanted, str) else wanted
        message = f"should be {' or '.join(_TYPE_NAMES.get(w, w) for w in wanted)}, not {error.instance!r}"
    else:
        message = error.message
    return [ManifestProblem(file, located.line_of(path), _format_path(path), message)]


# ---------------------------------------------------------------------------------------
# Checks the schema cannot express


def _content_problems(
    file: str, base: Path, entry: dict, path: list, located: _Located
) -> list[ManifestProblem]:
    problems = []

    def problem(message: str, at: list, code: str = "manifest-invalid") -> None:
        problems.append(ManifestProblem(file, located.line_of(at), _format_path(at), message, code))

    kinds = [k for k in ("source", "git", "archive") if k in entry]
    if len(kinds) != 1:
        found = f"found {', '.join(repr(k) for k in kinds)}" if kinds else "found none"
        problem(
            f"a content entry needs exactly one of 'source', 'git' or 'archive' ({found})", path
        )
        return problems
    kind = kinds[0]
    if "ref" in entry and kind != "git":
        problem("'ref' goes only with 'git'", [*path, "ref"])
    target = entry.get("target", ".")
    if os.path.isabs(target) or ".." in Path(target).parts:
        problem(
            f"target '{target}' must stay inside the module directory (relative, no '..')",
            [*path, "target"],
            "unsafe-path",
        )
    location = entry[kind]
    if kind == "source":
        resolved = _resolve(base, location)
        if not resolved.exists():
            problem(
                f"the content directory '{resolved}' does not exist",
                [*path, "source"],
                "manifest-missing-path",
            )
        elif not resolved.is_dir():
            problem(
                f"'{resolved}' is not a directory (an archive goes under 'archive:')",
                [*path, "source"],
                "manifest-missing-path",
            )
    elif kind == "archive":
        if not location.endswith(ARCHIVE_SUFFIXES):
            problem(f"'{location}' is not a .tar.gz, .tgz or .zip archive", [*path, "archive"])
        elif not location.startswith(("https://", "http://")):
            resolved = _resolve(base, location)
            if not resolved.is_file():
                problem(
                    f"the archive '{resolved}' does not exist",
                    [*path, "archive"],
                    "manifest-missing-path",
                )
    return problems


def _shared_problems(
    file: str, base: Path, module: dict, path: list, located: _Located
) -> list[ManifestProblem]:
    """A shared folder's name must be free in the module directory: not taken by another
    shared folder, nor by the content (which would then be seeded through the link)."""
    problems = []

    def problem(message: str, at: list) -> None:
        problems.append(ManifestProblem(file, located.line_of(at), _format_path(at), message))

    seen: set[str] = set()
    for index, entry in enumerate(module["shared"]):
        name = entry.get("name") if isinstance(entry, dict) else None
        if not isinstance(name, str):
            continue
        at = [*path, index, "name"]
        if name in seen:
            problem(f"two shared folders are named '{name}': each needs a name of its own", at)
        seen.add(name)
        for c_index, source in enumerate(module.get("content") or []):
            if _content_uses(base, source, name):
                problem(
                    f"the course content (content[{c_index}]) already has '{name}': "
                    "give the shared folder a name the content does not use",
                    at,
                )
    return problems


def _content_uses(base: Path, entry: Any, name: str) -> bool:
    """Whether a content entry delivers something called ``name`` at the module's top."""
    if not isinstance(entry, dict):
        return False
    target = Path(str(entry.get("target", ".")))
    if target.parts:
        return target.parts[0] == name
    source = entry.get("source")
    return isinstance(source, str) and os.path.lexists(_resolve(base, source) / name)


def _resolve(base: Path, location: str) -> Path:
    """Relative paths in a manifest are relative to the manifest's own folder."""
    path = Path(location).expanduser()
    return path if path.is_absolute() else (base / path)


def _build_module(file: str, base: Path, raw: dict) -> Module:
    content = []
    for entry in raw.get("content", []):
        kind = next(k for k in ("source", "git", "archive") if k in entry)
        location = entry[kind]
        if kind != "git" and not location.startswith(("https://", "http://")):
            location = str(_resolve(base, location))
        content.append(
            ContentSource(
                kind="directory" if kind == "source" else kind,
                location=location,
                target=entry.get("target", "."),
                ref=entry.get("ref"),
                exclude=tuple(entry.get("exclude", ())),
            )
        )
    init = tuple(
        InitStep(
            name=step["name"],
            run=step["run"] if isinstance(step["run"], str) else tuple(step["run"]),
            timeout=float(step.get("timeout", 300)),
        )
        for step in raw.get("init", [])
    )
    shared = tuple(
        SharedFolder(name=entry["name"], path=entry["path"], title=entry.get("title", ""))
        for entry in raw.get("shared", [])
    )
    return Module(
        code=raw["code"],
        presentation=raw["presentation"],
        title=raw.get("title", ""),
        description=raw.get("description", ""),
        content=tuple(content),
        init=init,
        shared=shared,
        manifest=file,
        raw=raw,
    )


# ---------------------------------------------------------------------------------------
# The entry point


def load_course(paths: Iterable[str]) -> Course:
    """Read every manifest found under ``paths`` into one :class:`Course`.

    Each module is all or nothing: a module with any problem is left out (so a typo can
    never seed half a module), and the rest of the file still counts. A problem outside any
    module (not YAML, an unknown top-level key) leaves out the whole file.
    """
    files, problems = find_manifests(paths)
    course = Course(files=files, problems=problems)
    for file in files:
        data, located, read_problems = _read_yaml(file)
        course.problems.extend(read_problems)
        if located is None:
            continue
        found = _schema_problems(file, data, located)
        # Relative paths follow the manifest's real location, so an image can link
        # /etc/jupyter/coursekit/X.yaml to a course folder that carries its content.
        base = Path(file).resolve().parent
        if isinstance(data, dict) and isinstance(data.get("modules"), list):
            for index, raw in enumerate(data["modules"]):
                if not isinstance(raw, dict):
                    continue
                for c_index, entry in enumerate(raw.get("content") or []):
                    at = f"modules[{index}].content[{c_index}]"
                    # An entry the schema already faulted (a typo, say) gets no second message.
                    if isinstance(entry, dict) and not any(p.path.startswith(at) for p in found):
                        found.extend(
                            _content_problems(
                                file, base, entry, ["modules", index, "content", c_index], located
                            )
                        )
                if isinstance(raw.get("shared"), list):
                    found.extend(
                        _shared_problems(file, base, raw, ["modules", index, "shared"], located)
                    )
        course.problems.extend(found)
        bad_modules = {
            p.path.split("]")[0] + "]"
            for p in found + read_problems
            if p.path.startswith("modules[")
        }
        file_is_bad = any(not p.path.startswith("modules[") for p in found + read_problems)
        if file_is_bad:
            continue
        for index, raw in enumerate(data["modules"]):
            if f"modules[{index}]" in bad_modules:
                continue
            module = _build_module(file, base, raw)
            previous = course.module(module.id)
            if previous is not None:
                course.problems.append(
                    ManifestProblem(
                        file,
                        located.line_of(["modules", index]),
                        f"modules[{index}]",
                        f"module {module.id} is described twice (first in {previous.manifest}); this one is ignored",
                        "manifest-duplicate-module",
                    )
                )
                continue
            course.modules.append(module)
    return course


def parse_module_ids(text: str) -> list[str]:
    """Split a ``COURSEKIT_MODULES``-style list: comma or space separated ``CODE-PRESENTATION``."""
    return [part for part in re.split(r"[,\s]+", text.strip()) if part]


def default_manifest_paths(environ: dict | None = None) -> list[str]:
    """``COURSEKIT_MANIFEST`` (paths separated by ``os.pathsep``) when set, else a
    ``coursekit/`` folder under every Jupyter config path (the image's ``/etc/jupyter``,
    ``/usr/local/etc/jupyter``, the environment's and the user's)."""
    value = (environ if environ is not None else os.environ).get("COURSEKIT_MANIFEST")
    if value:
        return [p for p in value.split(os.pathsep) if p]
    from jupyter_core.paths import jupyter_config_path

    return [os.path.join(p, "coursekit") for p in jupyter_config_path()]
