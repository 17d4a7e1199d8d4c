"""Cell-level three-way merge of notebooks with nbdime.

The base is the version this student was given, "local" the student's notebook and
"remote" the course's new one. Where both sides changed the same thing the student's side
stays (the caller then saves the course's version beside it). The result never holds
conflict markers, always validates, and keeps every cell and output the student wrote:
if it would not, there is no merge and the student's file is left as it is.
"""

from __future__ import annotations

import argparse
import json
import logging
from dataclasses import dataclass


@dataclass
class MergeResult:
    merged: bytes | None  # the notebook to write, or None when no safe merge exists
    conflicts: int  # places where both changed the same thing (the student's side kept)
    message: str = ""


def _args() -> argparse.Namespace:
    # "mergetool" leaves conflicts marked and unresolved instead of writing inline markers;
    # we then resolve each to the student's side ourselves.
    return argparse.Namespace(
        merge_strategy="mergetool",
        input_strategy=None,
        output_strategy=None,
        ignore_transients=True,
        log_level="WARNING",
    )


def _student_work_kept(base, local, merged) -> bool:
    """Every cell the student wrote or changed, and every output they have, is in ``merged``."""
    base_sources = {c.source for c in base.cells}
    merged_sources = {c.source for c in merged.cells}
    merged_outputs = {
        json.dumps(c.get("outputs", []), sort_keys=True) for c in merged.cells if c.get("outputs")
    }
    for cell in local.cells:
        if cell.source not in base_sources and cell.source not in merged_sources:
            return False
        outputs = cell.get("outputs")
        if outputs and json.dumps(outputs, sort_keys=True) not in merged_outputs:
            return False
    return True


def merge_notebooks(base: bytes, local: bytes, remote: bytes) -> MergeResult:
    """Merge the course's changes (base -> remote) into the student's notebook (local)."""
    import nbformat  # lazy: the server imports the engine at start, nbdime is heavy
    from nbdime.merging.decisions import apply_decisions
    from nbdime.merging.notebooks import decide_notebook_merge

    logging.getLogger("nbdime").setLevel(logging.ERROR)  # "unhandled conflict" is expected
    try:
        nb_base, nb_local, nb_remote = (
            nbformat.reads(data.decode("utf-8"), as_version=4) for data in (base, local, remote)
        )
    except Exception as err:  # not JSON, not a notebook: nbformat raises several types
        return MergeResult(None, 0, f"cannot read a notebook to merge: {err}")
    try:
        decisions = decide_notebook_merge(nb_base, nb_local, nb_remote, _args())
        conflicts = [d for d in decisions if d.conflict]
        for decision in conflicts:
            decision.action = "local"
            decision.conflict = False
        merged = nbformat.from_dict(apply_decisions(nb_base, decisions))
        for cell in merged.cells:
            if "id" not in cell and merged.nbformat_minor >= 5:
                cell["id"] = nbformat.v4.new_code_cell().id
        nbformat.validate(merged)
    except Exception as err:  # nbdime raises plain exceptions on internal failures
        return MergeResult(None, 0, f"the notebook merge failed: {err}")
    if not _student_work_kept(nb_base, nb_local, merged):
        return MergeResult(None, len(conflicts), "a merge would have lost some of your cells")
    return MergeResult(nbformat.writes(merged).encode("utf-8") + b"\n", len(conflicts))
