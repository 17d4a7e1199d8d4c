"""The translation catalogue: in step with src/, complete, and found by JupyterLab."""

from __future__ import annotations

import re
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import polib
import pytest
from jupyterlab_server.translation_utils import get_language_pack

import coursekit

REPO = Path(__file__).resolve().parent.parent
LOCALE = REPO / "coursekit" / "locale"
PLACEHOLDER = re.compile(r"%\d+")


def test_catalogue_is_in_step_with_src():
    """A string added to src/ without running scripts/translations fails here."""
    result = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "translations"), "check"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("po_path", sorted(LOCALE.glob("*/LC_MESSAGES/coursekit.po")), ids=str)
def test_translations_keep_every_placeholder(po_path: Path):
    broken = []
    for entry in polib.pofile(str(po_path)).translated_entries():
        wanted = set(PLACEHOLDER.findall(entry.msgid))
        for text in entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]:
            # A singular plural form may leave the count out ("une minute"): not the others.
            if set(PLACEHOLDER.findall(text)) - wanted or (
                not entry.msgid_plural and set(PLACEHOLDER.findall(text)) != wanted
            ):
                broken.append((entry.msgid, text))
    assert broken == []


def test_jupyterlab_serves_the_french_catalogue():
    """The entry point leads JupyterLab's translation server to coursekit/locale."""
    points = {point.name: point for point in entry_points(group="jupyterlab.locale")}
    assert "coursekit" in points, "the installed coursekit is stale: run scripts/install"
    assert points["coursekit"].load() is coursekit

    catalogues, message = get_language_pack("fr_FR")

    assert "coursekit" in catalogues, message or "is jupyterlab-language-pack-fr-FR installed?"
    french = catalogues["coursekit"]
    assert french[""]["domain"] == "coursekit"
    assert french[""]["language"] == "fr-FR"
    assert french["Course"] == ["Cours"]
    assert french["%1 file"] == ["%1 fichier", "%1 fichiers"]
