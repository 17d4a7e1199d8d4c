"""JupyterLab setting defaults, locked settings and extension policy, per institution and module.

Two layers feed every module: the institution's branding file (``coursekit/branding.yaml``)
and the module's own manifest entry. The precedence, lowest first, is

    JupyterLab's default < institution < module < the student's own setting

except for a locked key, where the student's own value is refused (see
:mod:`coursekit.handlers.settings_lock`).

Every overridden setting is checked against the plugin's real settings schema, found where
JupyterLab itself finds it (the labextension paths first, then the application's schemas
directory), so a typo is caught at ``jupyter coursekit validate`` and at start-up, with the
nearest valid name. Plain Python, no tornado.
"""

from __future__ import annotations

import copy
import difflib
import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from .manifest import (
    BRANDING_FILES,
    Course,
    ManifestProblem,
    Module,
    _format_path,
    _Located,
    _read_yaml,
    _schema_problems,
)

POLICY_KEYS = ("branding", "settings", "locked", "extensions")


# ---------------------------------------------------------------------------------------
# Layers: the institution file and each module's manifest entry


@dataclass
class Layer:
    """The policy keys of one file (the institution's) or one manifest entry (a module's)."""

    name: str  # "institution" or the module id
    file: str
    prefix: tuple  # where the keys sit in the file: () or ("modules", index)
    data: dict
    located: _Located | None = None

    def problem(self, at: Sequence, message: str, code: str) -> ManifestProblem:
        path = (*self.prefix, *at)
        line = self.located.line_of(path) if self.located else None
        return ManifestProblem(self.file, line, _format_path(path), message, code)

    @property
    def base(self) -> Path:
        """Relative asset paths are relative to the file's real folder."""
        return Path(self.file).resolve().parent


def find_branding_file(manifest_paths: Iterable[str], environ: dict | None = None) -> str | None:
    """``$COURSEKIT_BRANDING`` when set, else the first ``branding.yaml`` beside the manifests.

    The manifest paths are searched in the order given (for the default, the Jupyter config
    path, whose system folders an image fills)."""
    value = (environ if environ is not None else os.environ).get("COURSEKIT_BRANDING")
    if value:
        return value
    for raw in manifest_paths:
        path = Path(raw).expanduser()
        folder = path if path.is_dir() else path.parent
        for name in BRANDING_FILES:
            if (folder / name).is_file():
                return str(folder / name)
    return None


def load_institution(file: str | None) -> tuple[Layer | None, list[ManifestProblem]]:
    """Read and check the institution's branding file; no file is no layer and no problem."""
    if file is None:
        return None, []
    if not Path(file).is_file():
        return None, [ManifestProblem(file, None, "", "no such branding file", "branding-missing")]
    data, located, problems = _read_yaml(file)
    if located is None:
        return None, problems
    if not isinstance(data, dict):
        data = data or {}
    problems += _schema_problems(file, data, located, "branding.schema.json")
    if problems:
        return None, problems
    return Layer("institution", file, (), data, located), []


def module_layers(course: Course) -> dict[str, Layer]:
    """One layer per valid module, with line numbers from a second, cheap read of its file."""
    located_by_file: dict[str, _Located | None] = {}
    layers = {}
    for module in course.modules:
        if module.manifest not in located_by_file:
            located_by_file[module.manifest] = _read_yaml(module.manifest)[1]
        layers[module.id] = Layer(
            module.id,
            module.manifest,
            ("modules", _index_of(course, module)),
            {k: module.raw[k] for k in POLICY_KEYS if k in module.raw},
            located_by_file[module.manifest],
        )
    return layers


def _index_of(course: Course, module: Module) -> int:
    data, _, _ = _read_yaml(module.manifest)
    for index, raw in enumerate((data or {}).get("modules", [])):
        if isinstance(raw, dict) and (raw.get("code"), raw.get("presentation")) == (
            module.code,
            module.presentation,
        ):
            return index
    return 0


# ---------------------------------------------------------------------------------------
# Where JupyterLab keeps its schemas and extensions


@dataclass
class LabSchemas:
    """The settings schemas and extension names of the installed JupyterLab.

    Looked up the way jupyterlab_server's settings handler does: a federated extension's
    ``<labextensions path>/<package>/schemas/<package>/<plugin>.json`` first, then the
    application's ``schemas/<package>/<plugin>.json``."""

    app_dir: str
    labextensions_path: list[str]

    @classmethod
    def installed(cls) -> LabSchemas:
        from jupyter_core.paths import jupyter_path
        from jupyterlab.commands import get_app_dir

        return cls(get_app_dir(), jupyter_path("labextensions"))

    @property
    def schemas_dir(self) -> str:
        return os.path.join(self.app_dir, "schemas")

    @property
    def app_settings_dir(self) -> str:
        """Where system-level ``overrides.json`` and ``page_config.json`` live."""
        return os.path.join(self.app_dir, "settings")

    def schema(self, plugin_id: str) -> dict | None:
        package, _, plugin = plugin_id.partition(":")
        if not package or not plugin:
            return None
        candidates = [
            Path(p, package, "schemas", package, plugin + ".json") for p in self.labextensions_path
        ]
        candidates.append(Path(self.schemas_dir, package, plugin + ".json"))
        for path in candidates:
            if path.is_file():
                return json.loads(path.read_text(encoding="utf-8"))
        return None

    @cached_property
    def plugin_ids(self) -> list[str]:
        """Every plugin id that has a settings schema (for 'did you mean')."""
        found = set()
        for root in self.labextensions_path:
            # <package>/schemas/<package>/<plugin>.json, the package possibly @scoped
            for schema in Path(root).glob("**/schemas/**/*.json"):
                rel = schema.relative_to(root).parts
                package = "/".join(rel[rel.index("schemas") + 1 : -1])
                found.add(f"{package}:{schema.stem}")
        for schema in Path(self.schemas_dir).glob("**/*.json"):
            rel = schema.relative_to(self.schemas_dir).parts
            found.add(f"{'/'.join(rel[:-1])}:{schema.stem}")
        return sorted(found)

    @cached_property
    def packages(self) -> list[str]:
        """Every installed extension package: JupyterLab's own and the federated ones."""
        names = set()
        static = Path(self.app_dir, "static", "package.json")
        if static.is_file():
            meta = json.loads(static.read_text(encoding="utf-8")).get("jupyterlab", {})
            names.update(meta.get("extensions", {}))
            names.update(meta.get("mimeExtensions", {}))
        for root in self.labextensions_path:
            for package_json in Path(root).glob("*/package.json"):
                names.add(package_json.parent.name)
            for package_json in Path(root).glob("@*/*/package.json"):
                names.add(f"{package_json.parent.parent.name}/{package_json.parent.name}")
        return sorted(names)


# ---------------------------------------------------------------------------------------
# Checking a layer against the real schemas


def _nearest(word: str, choices: Iterable[str]) -> str:
    match = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean '{match[0]}'?" if match else ""


def check_layer(layer: Layer, lab: LabSchemas) -> list[ManifestProblem]:
    """Every unknown plugin, unknown key, invalid value and unknown extension in a layer."""
    from jsonschema import Draft7Validator

    problems = []

    def plugin_schema(section: str, plugin_id: str) -> dict | None:
        schema = lab.schema(plugin_id)
        if schema is None:
            problems.append(
                layer.problem(
                    (section, plugin_id),
                    f"no installed JupyterLab plugin '{plugin_id}' has settings"
                    + _nearest(plugin_id, lab.plugin_ids),
                    "setting-unknown-plugin",
                )
            )
        return schema

    for plugin_id, values in (layer.data.get("settings") or {}).items():
        schema = plugin_schema("settings", plugin_id)
        if schema is None:
            continue
        properties = schema.get("properties", {})
        known = {}
        for key, value in values.items():
            if key not in properties:
                problems.append(
                    layer.problem(
                        ("settings", plugin_id, key),
                        f"'{plugin_id}' has no setting '{key}'" + _nearest(key, properties),
                        "setting-unknown-key",
                    )
                )
            else:
                known[key] = value
        # The plugin's own schema, as JupyterLab validates a user's settings (draft 7),
        # but not its 'required': an override is a partial set of settings.
        partial = {k: v for k, v in schema.items() if k != "required"}
        for error in Draft7Validator(partial).iter_errors(known):
            at = ("settings", plugin_id, *error.absolute_path)
            problems.append(
                layer.problem(at, f"invalid value: {error.message}", "setting-invalid-value")
            )
    for plugin_id, keys in (layer.data.get("locked") or {}).items():
        schema = plugin_schema("locked", plugin_id)
        if schema is None:
            continue
        properties = schema.get("properties", {})
        for index, key in enumerate(keys):
            if key not in properties:
                problems.append(
                    layer.problem(
                        ("locked", plugin_id, index),
                        f"'{plugin_id}' has no setting '{key}' to lock" + _nearest(key, properties),
                        "setting-unknown-key",
                    )
                )
    for verb, names in (layer.data.get("extensions") or {}).items():
        for index, name in enumerate(names):
            package = name.partition(":")[0]
            if package not in lab.packages:
                problems.append(
                    layer.problem(
                        ("extensions", verb, index),
                        f"no installed JupyterLab extension '{package}'"
                        + _nearest(package, lab.packages),
                        "extension-unknown",
                    )
                )
    return problems


# ---------------------------------------------------------------------------------------
# Precedence


def deep_merge(base: dict, over: dict) -> dict:
    """``over`` on top of ``base``: mappings merge key by key, anything else replaces."""
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


@dataclass
class Policy:
    """What JupyterLab gets for one module (or for an image's modules together)."""

    settings: dict = field(default_factory=dict)  # plugin id -> key -> value
    locked: dict = field(default_factory=dict)  # plugin id -> sorted keys
    disabled: list = field(default_factory=list)
    enabled: list = field(default_factory=list)  # re-enabled over the institution
    locked_extensions: list = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "settings": self.settings,
            "locked": self.locked,
            "disabled": self.disabled,
            "enabled": self.enabled,
            "locked_extensions": self.locked_extensions,
        }


def module_policy(institution: Layer | None, module: Layer | None) -> Policy:
    """Institution < module; locks add up; a module's 'enable' undoes an institution's 'disable'."""
    layers = [layer.data for layer in (institution, module) if layer is not None]
    settings: dict = {}
    locked: dict[str, set] = {}
    disabled: set = set()
    enabled: set = set()
    locked_ext: set = set()
    for data in layers:
        settings = deep_merge(settings, data.get("settings") or {})
        for plugin_id, keys in (data.get("locked") or {}).items():
            locked.setdefault(plugin_id, set()).update(keys)
        ext = data.get("extensions") or {}
        disabled = (disabled - set(ext.get("enable", []))) | set(ext.get("disable", []))
        enabled = (enabled - set(ext.get("disable", []))) | set(ext.get("enable", []))
        locked_ext |= set(ext.get("lock", []))
    return Policy(
        settings,
        {k: sorted(v) for k, v in sorted(locked.items())},
        sorted(disabled),
        sorted(enabled),
        sorted(locked_ext),
    )


def image_policy(
    institution: Layer | None, modules: dict[str, Layer]
) -> tuple[Policy, list[ManifestProblem]]:
    """One policy for every module of an image (system-level files are per image).

    Modules that set the same key to different values, or disagree on an extension, are a
    problem: a hub per presentation has one module, an image with several must agree."""
    if not modules:
        return module_policy(institution, None), []
    problems: list[ManifestProblem] = []
    combined = Policy()
    owner: dict[tuple, str] = {}
    for module_id, layer in modules.items():
        policy = module_policy(institution, layer)
        for plugin_id, values in policy.settings.items():
            for key, value in values.items():
                current = combined.settings.setdefault(plugin_id, {})
                if key in current and current[key] != value:
                    problems.append(
                        layer.problem(
                            ("settings", plugin_id, key),
                            f"{module_id} sets '{key}' differently from {owner[(plugin_id, key)]} "
                            "in the same image; modules of one image must agree",
                            "setting-conflict",
                        )
                    )
                    continue
                current[key] = value
                owner.setdefault((plugin_id, key), module_id)
        for plugin_id, keys in policy.locked.items():
            combined.locked[plugin_id] = sorted(set(combined.locked.get(plugin_id, [])) | set(keys))
        for name in policy.disabled:
            if name in combined.enabled:
                problems.append(
                    layer.problem(
                        ("extensions",),
                        f"{module_id} disables '{name}', which another module of the image enables",
                        "extension-conflict",
                    )
                )
        combined.disabled = sorted(set(combined.disabled) | set(policy.disabled))
        combined.enabled = sorted(set(combined.enabled) | set(policy.enabled))
        combined.locked_extensions = sorted(
            set(combined.locked_extensions) | set(policy.locked_extensions)
        )
    return combined, problems


def load_policy(
    course: Course, branding_file: str | None, lab: LabSchemas | None
) -> tuple[Layer | None, dict[str, Layer], list[ManifestProblem]]:
    """The institution layer, a layer per module, and every problem (checked when ``lab``)."""
    institution, problems = load_institution(branding_file)
    modules = module_layers(course)
    if lab is not None:
        for layer in [institution, *modules.values()]:
            if layer is not None:
                problems += check_layer(layer, lab)
    return institution, modules, problems


def effective_setting(
    plugin_schema: dict, policy: Policy, plugin_id: str, user: dict | None = None
) -> dict:
    """The value a student sees for each key: default < policy < user, unless locked.

    This is the precedence rule in one place; JupyterLab applies the same order (schema
    default, system overrides, user settings) and the lock handler refuses user values
    for locked keys."""
    values = {k: v.get("default") for k, v in plugin_schema.get("properties", {}).items()}
    values = deep_merge(values, policy.settings.get(plugin_id, {}))
    locked = set(policy.locked.get(plugin_id, []))
    # A user value replaces the default whole, as in JupyterLab's composite settings.
    values.update({k: copy.deepcopy(v) for k, v in (user or {}).items() if k not in locked})
    return values
