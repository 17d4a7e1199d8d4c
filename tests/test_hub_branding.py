"""`jupyter coursekit hub-branding`: the hub's login and spawn pages from the institution's
branding.yaml, checked like JupyterLab's, written as JSON the hub image reads without
coursekit; and coursekit_hub reading either form."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from .test_cli import coursekit

REPO = Path(__file__).resolve().parents[1]
BRANDING = REPO / "images" / "example-branding" / "branding.yaml"
sys.path.insert(0, str(REPO / "images" / "hub"))

import coursekit_hub  # noqa: E402  (images/hub, as the hub finds it)


def test_hub_branding_writes_checked_json_with_the_images_inline(tmp_path):
    out = tmp_path / "hub-branding.json"
    result = coursekit("hub-branding", str(BRANDING), str(out))
    assert result.returncode == 0, result.stderr
    values = json.loads(out.read_text())
    assert values["name"] == "Open University"
    assert values["colors"]["accent"] == "#0b5cab"
    assert values["logo_uri"].startswith("data:image/svg+xml;base64,")
    assert "logo" not in values  # a path in the image means nothing to the hub
    # The hub reads the JSON without coursekit, and the YAML itself where coursekit is.
    assert coursekit_hub.branding_template_vars(str(out)) == {"coursekit_branding": values}
    assert coursekit_hub.branding_template_vars(str(BRANDING)) == {"coursekit_branding": values}


def test_hub_branding_refuses_a_bad_file_and_writes_nothing(tmp_path):
    bad = tmp_path / "branding.yaml"
    bad.write_text("branding:\n  name: X\n  colors: {accent: 'red; background: url(x)'}\n")
    out = tmp_path / "hub-branding.json"
    result = coursekit("hub-branding", str(bad), str(out))
    assert result.returncode == 1
    assert "accent" in result.stderr and "CSS colour" in result.stderr
    assert not out.exists()


def test_a_branding_json_not_mounted_leaves_the_hubs_own_look(tmp_path, capsys):
    assert coursekit_hub.branding_template_vars(str(tmp_path / "absent.json")) == {}
    assert "keeps its own look" in capsys.readouterr().err
    assert coursekit_hub.branding_template_vars(None) == {}
