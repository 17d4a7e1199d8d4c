"""The course policy of an image: branding, settings, locks and extensions, all checked.

One object the server (at start-up), ``jupyter coursekit validate`` and ``jupyter coursekit
apply`` share, so a problem is reported the same way everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from .branding import Branding, merge_branding
from .lab_policy import (
    LabSchemas,
    Layer,
    Policy,
    find_branding_file,
    image_policy,
    load_policy,
    module_policy,
)
from .manifest import Course, ManifestProblem


@dataclass
class CoursePolicy:
    branding_file: str | None
    institution: Layer | None = None
    modules: dict[str, Layer] = field(default_factory=dict)
    problems: list[ManifestProblem] = field(default_factory=list)

    @classmethod
    def load(
        cls,
        course: Course,
        manifest_paths: Iterable[str],
        branding_file: str | None = None,
        lab: LabSchemas | None = None,
    ) -> CoursePolicy:
        """Read and check everything; ``lab`` None skips the JupyterLab schema checks."""
        branding_file = branding_file or find_branding_file(manifest_paths)
        institution, modules, problems = load_policy(course, branding_file, lab)
        policy = cls(branding_file, institution, modules, problems)
        for module_id in [None, *modules]:
            policy.problems += policy.branding(module_id)[1]
        policy.problems += image_policy(institution, modules)[1]
        # Asset problems of the institution file would repeat once per module.
        policy.problems = list(dict.fromkeys(policy.problems))
        return policy

    def branding(self, module_id: str | None) -> tuple[Branding, list[ManifestProblem]]:
        """The institution's branding under ``module_id``'s (None: the institution's alone)."""
        return merge_branding(self.institution, self.modules.get(module_id or ""))

    def module(self, module_id: str | None) -> Policy:
        return module_policy(self.institution, self.modules.get(module_id or ""))

    def image(self) -> Policy:
        return image_policy(self.institution, self.modules)[0]
