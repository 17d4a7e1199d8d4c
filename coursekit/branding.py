"""Branding: the institution's look with a module's overrides, and its checked assets.

The format is ``schema/branding.schema.json`` (the ``branding:`` key of the institution file
and of a module). The server serves the merged result at ``/coursekit/api/branding`` and the
assets under ``/coursekit/api/branding/assets/<name>``; the hub's templates read the same
file through :func:`hub_branding`. Plain Python, no tornado.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .errors import CourseKitError, NotFound
from .lab_policy import Layer, deep_merge
from .manifest import ManifestProblem

ASSET_KEYS = ("logo", "favicon", "css")
IMAGE_TYPES = {".svg": "image/svg+xml", ".png": "image/png"}
CSS_TYPES = {".css": "text/css"}
MAX_ASSET_BYTES = 512 * 1024
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
TITLE_FIELDS = {"name": "", "module": "", "module_title": ""}


class BrandingError(CourseKitError):
    code = "branding-invalid"
    status = 422


@dataclass
class Branding:
    """The branding one student sees: the institution's, under their module's."""

    values: dict = field(default_factory=dict)
    assets: dict[str, Path] = field(default_factory=dict)  # key -> checked file

    def to_dict(self, asset_url: str) -> dict:
        """What ``GET /coursekit/api/branding`` answers: assets as URLs."""
        out = {k: v for k, v in self.values.items() if k not in ASSET_KEYS}
        for key, path in self.assets.items():
            out[key] = f"{asset_url}/{key}{path.suffix}"
        return out


def check_asset(key: str, path: Path) -> None:
    """An SVG or PNG image (a CSS file for ``css``) of at most 512 KiB, or a BrandingError."""
    allowed = CSS_TYPES if key == "css" else IMAGE_TYPES
    if path.suffix.lower() not in allowed:
        raise BrandingError(
            f"the {key} '{path}' must be {' or '.join(s[1:].upper() for s in allowed)}"
        )
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            head = handle.read(512)
    except OSError as err:
        raise BrandingError(f"cannot read the {key} '{path}': {err.strerror}") from err
    if size > MAX_ASSET_BYTES:
        raise BrandingError(
            f"the {key} '{path}' is {size // 1024} KiB; the limit is {MAX_ASSET_BYTES // 1024} KiB"
        )
    suffix = path.suffix.lower()
    if suffix == ".png" and not head.startswith(PNG_MAGIC):
        raise BrandingError(f"the {key} '{path}' is named .png but is not a PNG image")
    if suffix == ".svg" and b"<svg" not in head.lower() and b"<?xml" not in head.lower():
        raise BrandingError(f"the {key} '{path}' is named .svg but is not an SVG image")


def merge_branding(
    institution: Layer | None, module: Layer | None
) -> tuple[Branding, list[ManifestProblem]]:
    """Institution < module, key by key; each asset resolved beside the file naming it."""
    values: dict = {}
    assets: dict[str, Path] = {}
    problems = []
    for layer in (institution, module):
        if layer is None:
            continue
        own = layer.data.get("branding") or {}
        values = deep_merge(values, own)
        if "title" in own:
            try:
                own["title"].format_map(TITLE_FIELDS)
            except (KeyError, ValueError, IndexError) as err:
                problems.append(
                    layer.problem(
                        ("branding", "title"),
                        f"'{own['title']}' is not a title: {err!s}; the fields are "
                        + ", ".join("{" + f + "}" for f in TITLE_FIELDS),
                        "branding-invalid",
                    )
                )
                values.pop("title")
        for key in ASSET_KEYS:
            if key not in own:
                continue
            path = Path(own[key]).expanduser()
            path = path if path.is_absolute() else layer.base / path
            try:
                check_asset(key, path)
            except BrandingError as err:
                problems.append(layer.problem(("branding", key), err.message, err.code))
                assets.pop(key, None)
                continue
            assets[key] = path
    return Branding(values, assets), problems


def asset_file(branding: Branding, name: str) -> tuple[Path, str]:
    """The checked file behind ``/branding/assets/<name>`` and its content type.

    Only the files the branding names are served: ``name`` is a key plus its suffix, never a
    path, so nothing else on disk can be reached."""
    key, _, suffix = name.partition(".")
    path = branding.assets.get(key)
    if path is None or path.suffix != f".{suffix}":
        raise NotFound(f"no branding asset '{name}'", code="branding-asset-not-found")
    check_asset(key, path)  # again: the file may have changed since start-up
    return path, {**IMAGE_TYPES, **CSS_TYPES}[path.suffix.lower()]


def hub_branding(branding_file: str | None) -> dict:
    """The institution branding for the hub's login and spawn pages, for JupyterHub's
    ``template_vars``: the branding values, plus each checked image as a ``data:`` URI
    (``logo_uri``, ``favicon_uri``) so the templates need no route of their own.

    Raises BrandingError naming every problem, so a hub never starts with a broken look."""
    import base64

    from .lab_policy import load_institution

    institution, problems = load_institution(branding_file)
    if not problems:
        branding, problems = merge_branding(institution, None)
    if problems:
        raise BrandingError("; ".join(str(p) for p in problems))
    out = {k: v for k, v in branding.values.items() if k not in ASSET_KEYS}
    for key, path in branding.assets.items():
        if key in ("logo", "favicon"):
            encoded = base64.b64encode(path.read_bytes()).decode("ascii")
            out[f"{key}_uri"] = f"data:{IMAGE_TYPES[path.suffix.lower()]};base64,{encoded}"
    return out
