"""``jupyter coursekit <subcommand>``: what course teams and image builds run."""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path

from jupyter_core.application import JupyterApp
from traitlets import Bool, Int, List, Unicode, default

from . import __version__
from .manifest import default_manifest_paths, load_course
from .modules import ModuleService
from .workspaces import DEFAULT_TEMPLATE, enrolled_from_env

MANIFEST_ALIASES = {"manifest": "CourseKitCommand.manifest_paths"}


class CourseKitCommand(JupyterApp):
    """What every subcommand shares: where the manifests are."""

    version = __version__
    aliases = {**MANIFEST_ALIASES, "log-level": "Application.log_level"}
    flags = {"json": ({"CourseKitCommand": {"json": True}}, "Print machine-readable JSON.")}

    manifest_paths = List(
        Unicode(),
        help="Course manifest files or folders (--manifest FILE, repeatable). "
        "Default: $COURSEKIT_MANIFEST, else a coursekit/ folder under every Jupyter config path.",
    ).tag(config=True)
    json = Bool(False, help="Print machine-readable JSON instead of text.").tag(config=True)

    @default("manifest_paths")
    def _default_manifest_paths(self) -> list[str]:
        return default_manifest_paths()

    def fail(self, message: str, status: int = 2) -> None:
        print(f"jupyter coursekit {self.name.split('-')[-1]}: {message}", file=sys.stderr)
        self.exit(status)


class ValidateCommand(CourseKitCommand):
    name = "coursekit-validate"
    description = """Check course manifests against the schema and the disk.

    jupyter coursekit validate [MANIFEST ...]

    Exits 0 when every manifest is valid, 1 with one line per problem otherwise."""

    aliases = {**CourseKitCommand.aliases, "branding": "ValidateCommand.branding_file"}
    branding_file = Unicode(
        "",
        help="The institution's branding file (--branding FILE). Default: "
        "$COURSEKIT_BRANDING, else branding.yaml beside the manifests.",
    ).tag(config=True)

    def load(self):
        """The manifests and the checked policy; ``course.problems`` holds every problem."""
        from .lab_policy import LabSchemas
        from .policy import CoursePolicy

        paths = self.extra_args or self.manifest_paths
        course = load_course(paths)
        if not course.files and not course.problems:
            self.fail(f"no manifest found in {', '.join(paths) or '(nothing given)'}")
        # Settings, locks, extensions and branding, against the installed JupyterLab.
        lab = LabSchemas.installed()
        policy = CoursePolicy.load(course, paths, self.branding_file or None, lab)
        course.problems.extend(policy.problems)
        return course, policy, lab

    def start(self) -> None:
        course, _, _ = self.load()
        if self.json:
            print(
                json.dumps(
                    {
                        "manifests": course.files,
                        "modules": [m.id for m in course.modules],
                        "problems": [p.to_dict() for p in course.problems],
                    },
                    indent=2,
                )
            )
        else:
            for problem in course.problems:
                print(problem, file=sys.stderr)
            if not course.problems:
                ids = ", ".join(m.id for m in course.modules) or "no modules"
                print(f"{len(course.files)} manifest(s) valid: {ids}")
        self.exit(1 if course.problems else 0)


class HomeCommand(CourseKitCommand):
    """A subcommand that works on a student's home."""

    aliases = {
        **CourseKitCommand.aliases,
        "home": "HomeCommand.home",
        "module": "HomeCommand.modules",
        "workspace-template": "HomeCommand.workspace_template",
    }
    home = Unicode(help="The student's home (default: $HOME).").tag(config=True)
    modules = List(
        Unicode(),
        allow_none=True,
        help="Only these modules, CODE-PRESENTATION (--module, repeatable). Default: $COURSEKIT_MODULES, else all.",
    ).tag(config=True)
    workspace_template = Unicode(DEFAULT_TEMPLATE, help="The module folder's name.").tag(
        config=True
    )

    @default("home")
    def _default_home(self) -> str:
        return os.path.expanduser("~")

    @default("modules")
    def _default_modules(self) -> list[str] | None:
        return enrolled_from_env()

    def module_service(self, create: bool) -> ModuleService:
        home = Path(self.home).expanduser()
        if create and not home.is_dir():
            self.fail(f"the home {home} is not a directory")
        service = ModuleService(self.manifest_paths, home, self.modules, self.workspace_template)
        return service.load(create=create)


class ListCommand(HomeCommand):
    name = "coursekit-list"
    description = """List the modules a student gets and where their workspaces are."""

    def start(self) -> None:
        service = self.module_service(create=False)
        if self.json:
            print(json.dumps(service.describe(), indent=2))
        else:
            for workspace in service.workspaces:
                title = f"  {workspace.module.title}" if workspace.module.title else ""
                print(f"{workspace.module.id}\t{workspace.path}{title}")
            for problem in service.problems:
                print(problem, file=sys.stderr)
        self.exit(1 if service.problems else 0)


class SeedCommand(HomeCommand):
    name = "coursekit-seed"
    aliases = {**HomeCommand.aliases, "copy-threads": "SeedCommand.copy_threads"}
    copy_threads = Int(
        2, min=1, help="Threads that copy the folders a first seed adds (1: one file at a time)."
    ).tag(config=True)
    description = """Seed every selected module's content into the student's home.

    jupyter coursekit seed [--manifest FILE]... [--home DIR] [--module CODE-PRESENTATION]... [--json]

    Exits 0 when every module seeded without errors, 1 when a module reported errors,
    2 with a one-line reason for bad input (a bad manifest, a missing home)."""

    def start(self) -> None:
        from .errors import CourseKitError
        from .seeding import seed_module

        # Problems are reported once, as the one-line reason below, not also as log lines.
        logging.getLogger("coursekit").addHandler(logging.NullHandler())
        service = self.module_service(create=True)
        if service.problems:
            self.fail(str(service.problems[0]))
        if not service.workspaces:
            self.fail("no module to seed (check --manifest and --module)")
        reports, failed = [], False
        for workspace in service.workspaces:
            if workspace.error:
                print(f"{workspace.module.id}: {workspace.error.message}", file=sys.stderr)
                failed = True
                continue
            try:
                report = seed_module(
                    workspace.module,
                    workspace.path,
                    progress=self._progress_bar(),
                    copy_threads=self.copy_threads,
                )
            except CourseKitError as err:
                self.fail(f"{workspace.module.id}: {err.message}")
            if sys.stderr.isatty() and not self.json:
                print(file=sys.stderr)
            reports.append(report)
            failed = failed or bool(report.errors)
            if not self.json:
                print(f"{report.module_id}: {report.summary()}")
                for error in report.errors:
                    print(f"  {error['path']}: {error['message']}", file=sys.stderr)
                for conflict in report.conflicts:
                    path, copy = conflict["path"], conflict["course_copy"]
                    print(f"  {path}: the course's version is in {copy}")
        if self.json:
            print(json.dumps({"modules": [r.to_dict() for r in reports]}, indent=2))
        self.exit(1 if failed else 0)

    def _progress_bar(self):
        if self.json or not sys.stderr.isatty():
            return None

        def draw(progress) -> None:
            total = max(progress.bytes_total, 1)
            filled = int(30 * progress.bytes_done / total) if progress.bytes_total else 0
            line = (
                f"\r{progress.module_id} {progress.phase:<8} [{'#' * filled:<30}] "
                f"{progress.files_done}/{progress.files_total} files"
            )
            print(line, end="", file=sys.stderr, flush=True)

        return draw


class IndexCommand(CourseKitCommand):
    name = "coursekit-index"
    description = """Write the content index (.coursekit-index.json) of a content folder.

    jupyter coursekit index DIR [DIR ...]

    Run at image build time: with the index, a student's start with nothing new reads one
    small file instead of hashing the course."""

    def start(self) -> None:
        from .errors import CourseKitError
        from .seeding import build_index

        if not self.extra_args:
            self.fail("name the content folder to index: jupyter coursekit index DIR")
        for folder in self.extra_args:
            try:
                path = build_index(Path(folder))
            except CourseKitError as err:
                self.fail(err.message)
            if not self.json:
                print(f"indexed {folder}: {path}")
        self.exit(0)


class ApplyCommand(ValidateCommand):
    name = "coursekit-apply"
    description = """Write the system-level JupyterLab files from the manifests and branding.

    jupyter coursekit apply [MANIFEST ...] [--branding FILE] [--prefix DIR]

    Run at image build time, after the extensions are installed. Writes setting defaults
    (overrides.d/coursekit.json), extension policy (labconfig/page_config.d/coursekit.json)
    and server config (jupyter_server_config.d/coursekit-branding.json); a second run changes
    nothing and says so. Exits 1 (writing nothing) when the policy has problems, 2 when a
    file cannot be written."""

    aliases = {
        **ValidateCommand.aliases,
        "prefix": "ApplyCommand.prefix",
        "app-settings-dir": "ApplyCommand.app_settings_dir",
    }
    prefix = Unicode(
        sys.prefix,
        help="The environment whose etc/jupyter gets the page and server config (--prefix).",
    ).tag(config=True)
    app_settings_dir = Unicode(
        "",
        help="JupyterLab's application settings folder (--app-settings-dir). Default: the "
        "installed JupyterLab's, or PREFIX/share/jupyter/lab/settings with --prefix.",
    ).tag(config=True)

    def start(self) -> None:
        from .apply import ApplyContext, ApplyError, plan, write

        course, policy, lab = self.load()
        if course.problems:
            for problem in course.problems:
                print(problem, file=sys.stderr)
            print("nothing written: fix the problems above first", file=sys.stderr)
            self.exit(1)
        settings_dir = self.app_settings_dir or (
            lab.app_settings_dir
            if Path(self.prefix).resolve() == Path(sys.prefix).resolve()
            else os.path.join(self.prefix, "share", "jupyter", "lab", "settings")
        )
        context = ApplyContext(
            policy, policy.image(), Path(self.prefix), Path(settings_dir), course.modules
        )
        try:
            results = write(plan(context))
        except ApplyError as err:
            self.fail(err.message)
        if self.json:
            print(json.dumps([{"path": str(p), "result": r} for p, r in results], indent=2))
        elif all(result == "unchanged" for _, result in results):
            print("nothing to change: the system files already match the policy")
        else:
            for path, result in results:
                if result != "unchanged":
                    print(f"{result} {path}")
        self.exit(0)


class HubBrandingCommand(CourseKitCommand):
    name = "coursekit-hub-branding"
    description = """Write the hub's branding (login and spawn pages) from the institution's file.

    jupyter coursekit hub-branding BRANDING.yaml OUTPUT.json

    Run where the course image is built: the hub image has no coursekit, so it reads this
    checked JSON (images inline) through COURSEKIT_HUB_BRANDING. Same file, same look."""

    def start(self) -> None:
        from .branding import BrandingError, hub_branding

        if len(self.extra_args) != 2:
            self.fail("usage: jupyter coursekit hub-branding BRANDING.yaml OUTPUT.json")
        source, output = self.extra_args
        try:
            values = hub_branding(source)
        except BrandingError as err:
            self.fail(err.message, status=1)
        try:
            Path(output).write_text(json.dumps(values, indent=2, sort_keys=True) + "\n")
        except OSError as err:
            self.fail(f"cannot write {output}: {err.strerror or err}")
        if not self.json:
            print(f"hub branding from {source}: {output}")
        self.exit(0)


class CourseKitApp(JupyterApp):
    name = "jupyter-coursekit"
    version = __version__
    description = "coursekit: module workspaces and course content for teaching hubs."
    subcommands = {
        "validate": (ValidateCommand, ValidateCommand.description.splitlines()[0]),
        "list": (ListCommand, ListCommand.description.splitlines()[0]),
        "seed": (SeedCommand, SeedCommand.description.splitlines()[0]),
        "index": (IndexCommand, IndexCommand.description.splitlines()[0]),
        "apply": (ApplyCommand, ApplyCommand.description.splitlines()[0]),
        "hub-branding": (HubBrandingCommand, HubBrandingCommand.description.splitlines()[0]),
    }

    def start(self) -> None:
        if self.subapp is None:
            self.print_help()
            print("\nSubcommands: " + ", ".join(sorted(self.subcommands)), file=sys.stderr)
            self.exit(2)
        super().start()


main = CourseKitApp.launch_instance

if __name__ == "__main__":
    main()
