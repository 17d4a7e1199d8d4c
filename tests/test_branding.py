"""Branding assets: checked for type and size with a message saying which file and why."""

from __future__ import annotations

from pathlib import Path

import pytest

from coursekit.branding import (
    BrandingError,
    asset_file,
    check_asset,
    hub_branding,
    merge_branding,
)
from coursekit.errors import NotFound
from coursekit.lab_policy import Layer, find_branding_file

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 16


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("logo.gif", b"GIF89a", "must be SVG or PNG"),
        ("logo.png", b"<svg/>", "is named .png but is not a PNG image"),
        ("logo.svg", b"\x89PNG", "is named .svg but is not an SVG image"),
        ("logo.svg", b"<svg>" + b" " * 600 * 1024, "the limit is 512 KiB"),
    ],
)
def test_a_bad_logo_is_refused_with_the_reason(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(BrandingError) as caught:
        check_asset("logo", path)
    assert message in caught.value.message
    assert str(path) in caught.value.message


def test_a_missing_logo_says_so(tmp_path):
    with pytest.raises(BrandingError) as caught:
        check_asset("logo", tmp_path / "nothing.svg")
    assert "cannot read the logo" in caught.value.message


def test_module_branding_over_the_institution_with_assets_beside_each_file(tmp_path):
    (tmp_path / "inst").mkdir()
    (tmp_path / "mod").mkdir()
    (tmp_path / "inst" / "logo.png").write_bytes(PNG)
    (tmp_path / "mod" / "logo.svg").write_text("<svg/>")
    institution = Layer(
        "institution",
        str(tmp_path / "inst" / "branding.yaml"),
        (),
        {"branding": {"name": "OU", "logo": "logo.png", "colors": {"accent": "#111111"}}},
    )
    module = Layer(
        "M-1",
        str(tmp_path / "mod" / "course.yaml"),
        ("modules", 0),
        {"branding": {"logo": "logo.svg", "colors": {"accent_dark": "#eeeeee"}}},
    )
    branding, problems = merge_branding(institution, module)
    assert problems == []
    assert branding.values["colors"] == {"accent": "#111111", "accent_dark": "#eeeeee"}
    assert branding.assets == {"logo": tmp_path / "mod" / "logo.svg"}
    assert asset_file(branding, "logo.svg") == (tmp_path / "mod" / "logo.svg", "image/svg+xml")
    # Only the named assets, by key: never a path.
    for name in ("logo.png", "favicon.svg", "..%2Fcourse.yaml"):
        with pytest.raises(NotFound):
            asset_file(branding, name)


def test_a_title_with_an_unknown_field_is_a_located_problem(tmp_path):
    layer = Layer(
        "institution", str(tmp_path / "branding.yaml"), (), {"branding": {"title": "{course}"}}
    )
    branding, problems = merge_branding(layer, None)
    assert "title" not in branding.values
    assert problems[0].path == "branding.title"
    assert "the fields are {name}, {module}, {module_title}" in problems[0].message


def test_the_hub_gets_the_institution_branding_with_images_inline():
    example = Path(__file__).resolve().parent.parent / "images" / "example-branding"
    values = hub_branding(find_branding_file([str(example)], environ={}))
    assert values["name"] == "Open University"
    assert values["colors"]["accent"] == "#0b5cab"
    assert values["logo_uri"].startswith("data:image/svg+xml;base64,")
    assert "logo" not in values


def test_a_broken_branding_file_stops_the_hub_with_the_reason(tmp_path):
    (tmp_path / "branding.yaml").write_text("branding:\n  logo: missing.png\n")
    with pytest.raises(BrandingError) as caught:
        hub_branding(str(tmp_path / "branding.yaml"))
    assert "branding.yaml:2: branding.logo: cannot read the logo" in caught.value.message
