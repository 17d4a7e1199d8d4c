"""Hub-side coursekit: enrolment from hub groups, the spawn hook, and the profile filter.

Plain Python, importable by any JupyterHub configuration: the local hub
(``images/hub/jupyterhub_config.py``) and the Zero to JupyterHub chart's ``hub.extraConfig``
(``images/hub/values.yaml``) both use it. It deliberately does not import coursekit: the
single-user image carries coursekit, and the hub image has it only to run the exchange
service, installed without coursekit's own dependencies (``install-hub.sh``).

The convention, one hub per module presentation:

- hub group ``TM351-25J``: the user takes module TM351, presentation 25J;
- hub group ``TM351-25J-instructors``: the user teaches it (and so also gets the module).

Groups come from ``c.JupyterHub.load_groups`` in a demo, or from the authenticator in
production (LTI 1.3 or OAuth with ``manage_groups``).
"""

from __future__ import annotations

import copy
import json
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

INSTRUCTOR_SUFFIX = "-instructors"
# CODE-PRESENTATION, as coursekit's REST routes accept it (coursekit/handlers/__init__.py).
MODULE_ID = re.compile(r"^[A-Za-z0-9_]+-[A-Za-z0-9_]+$")
# A profile tagged with this group is offered to every enrolled user of the hub.
EVERYONE = "*"
# Init containers whose name starts with this get the student's enrolment too.
INIT_CONTAINER_PREFIX = "coursekit-"


class NotEnrolled(Exception):
    """The user belongs to no presentation this hub serves: no server, and a message why.

    JupyterHub shows ``jupyterhub_message`` on the spawn page instead of a bare 500.
    """

    def __init__(self, username: str, offered: Iterable[str]) -> None:
        self.username = username
        self.offered = sorted(offered)
        self.jupyterhub_message = (
            f"{username} is not enrolled on {', '.join(self.offered) or 'any module'} on this "
            "hub. If you think you should be, contact your module team."
        )
        super().__init__(self.jupyterhub_message)


@dataclass(frozen=True)
class Enrolment:
    """What a user's hub groups say about them on this hub."""

    modules: list[str] = field(default_factory=list)  # CODE-PRESENTATION, in group order
    teaches: list[str] = field(default_factory=list)  # the modules they are instructor of

    @property
    def role(self) -> str:
        return "instructor" if self.teaches else "student"

    def environment(self) -> dict[str, str]:
        """The variables the single-user server reads (``COURSEKIT_MODULES``, ...)."""
        return {
            "COURSEKIT_MODULES": ",".join(self.modules),
            "COURSEKIT_ROLE": self.role,
            "COURSEKIT_INSTRUCTOR_OF": ",".join(self.teaches),
        }


def enrolment_from_groups(groups: Iterable[str], offered: Iterable[str] | None = None) -> Enrolment:
    """Read a user's enrolment from their hub group names.

    ``offered`` is the presentations this hub serves; groups outside it are ignored (a
    shared identity provider may send every group a user has). ``None`` accepts any group
    shaped like ``CODE-PRESENTATION``, which suits a single hub carrying many images.
    """
    allowed = None if offered is None else set(offered)
    modules: list[str] = []
    teaches: list[str] = []
    for name in groups:
        module_id = name.removesuffix(INSTRUCTOR_SUFFIX)
        if not MODULE_ID.match(module_id) or (allowed is not None and module_id not in allowed):
            continue
        if module_id not in modules:
            modules.append(module_id)
        if name.endswith(INSTRUCTOR_SUFFIX) and module_id not in teaches:
            teaches.append(module_id)
    return Enrolment(modules=modules, teaches=teaches)


def group_names(spawner: Any) -> list[str]:
    """The names of the spawner's user's hub groups (``user.groups`` holds ORM groups)."""
    return [getattr(g, "name", g) for g in spawner.user.groups]


def make_pre_spawn_hook(
    offered: Iterable[str] | None = None,
    environment: Mapping[str, str] | None = None,
    then: Callable[[Any], Any] | None = None,
    shared_mounts: Mapping[str, str] | None = None,
) -> Callable[[Any], Any]:
    """A ``Spawner.pre_spawn_hook`` that passes the user's enrolment to their server.

    Students' servers start with nbgrader's instructor server extensions off
    (``with_instructor_tools_off``).
    Sets ``COURSEKIT_MODULES``, ``COURSEKIT_ROLE`` and ``COURSEKIT_INSTRUCTOR_OF`` plus
    ``environment`` (the hub-wide values, such as the cull timeout) on the server and on
    every init container named ``coursekit-*``, so ``jupyter coursekit seed`` there seeds
    exactly the student's modules. Refuses to start a server for a user with no module
    here: without this a KubeSpawner with an empty profile list would start its default
    image. ``then`` chains an existing hook.

    ``shared_mounts`` maps the name of a volume mount of course shared folders (mounted
    ``readOnly`` for everyone) to the presentation whose instructors may write to it: their
    servers get that mount writable (``with_mounts_writable``). Every server runs as the
    same uid, so the mount is what keeps students from writing.
    """
    offered = None if offered is None else list(offered)
    extra = dict(environment or {})
    shared = dict(shared_mounts or {})

    async def pre_spawn_hook(spawner: Any) -> None:
        enrolment = enrolment_from_groups(group_names(spawner), offered)
        if not enrolment.modules:
            raise NotEnrolled(spawner.user.name, offered or [])
        env = {**extra, **enrolment.environment()}
        spawner.environment = {**spawner.environment, **env}
        if enrolment.role == "student":
            spawner.args = with_instructor_tools_off(spawner.args)
        writable = [name for name, module_id in shared.items() if module_id in enrolment.teaches]
        if writable:
            spawner.volume_mounts = with_mounts_writable(spawner.volume_mounts, writable)
        init_containers = getattr(spawner, "init_containers", None)
        if init_containers:
            spawner.init_containers = with_init_environment(init_containers, env)
        if then is not None:
            result = then(spawner)
            if hasattr(result, "__await__"):
                await result

    return pre_spawn_hook


# nbgrader's server extensions that only instructors get: for students they are switched
# off on the command line, which wins over the jupyter_server_config.d files that enable
# them, so their routes do not exist in a student's server.
INSTRUCTOR_SERVER_EXTENSIONS = (
    "nbgrader.server_extensions.formgrader",
    "nbgrader.server_extensions.course_list",
)


def with_instructor_tools_off(args: Iterable[str]) -> list[str]:
    """``args`` plus the flags that switch off nbgrader's instructor server extensions."""
    args = list(args)
    flags = [
        f"--ServerApp.jpserver_extensions={name}=False" for name in INSTRUCTOR_SERVER_EXTENSIONS
    ]
    return args + [flag for flag in flags if flag not in args]


def with_init_environment(
    init_containers: list[dict] | dict[str, dict], env: Mapping[str, str]
) -> list[dict] | dict[str, dict]:
    """A copy of KubeSpawner's ``init_containers`` (list or dict form) with ``env`` added to
    the coursekit ones; a variable the container already sets is left as it is."""

    def add(container: dict) -> dict:
        if not str(container.get("name", "")).startswith(INIT_CONTAINER_PREFIX):
            return container
        container = copy.deepcopy(container)
        present = {item.get("name") for item in container.get("env", [])}
        container["env"] = list(container.get("env", [])) + [
            {"name": k, "value": v} for k, v in env.items() if k not in present
        ]
        return container

    if isinstance(init_containers, dict):
        return {key: add(c) for key, c in init_containers.items()}
    return [add(c) for c in init_containers]


def with_mounts_writable(
    volume_mounts: list[dict] | dict[str, dict], names: Iterable[str]
) -> list[dict] | dict[str, dict]:
    """A copy of KubeSpawner's ``volume_mounts`` (list or dict form) with the mounts called
    ``names`` writable: a course shared folder, for the presentation's instructors."""
    wanted = set(names)

    def writable(mount: dict) -> dict:
        return {**mount, "readOnly": False} if mount.get("name") in wanted else mount

    if isinstance(volume_mounts, dict):
        return {key: writable(mount) for key, mount in volume_mounts.items()}
    return [writable(mount) for mount in volume_mounts]


def profiles_for_groups(
    profiles: Iterable[Mapping[str, Any]],
    groups: Iterable[str],
    offered: Iterable[str] | None = None,
) -> list[dict]:
    """The profiles a user may choose, for KubeSpawner.

    Each profile carries ``groups``: the hub groups (module ids, instructor groups, or
    ``"*"`` for every enrolled user) that see it. A profile without ``groups`` is shown to
    nobody: an untagged image must not reach every student by accident. An instructor
    group implies its module, so instructors see their students' images. The ``groups``
    tag is removed from what KubeSpawner gets, and exactly one profile is the default.
    """
    groups = list(groups)
    enrolment = enrolment_from_groups(groups, offered)
    if not enrolment.modules:
        return []
    member_of = set(groups) | set(enrolment.modules) | {EVERYONE}
    visible = []
    for profile in profiles:
        tags = profile.get("groups") or []
        if isinstance(tags, str):
            raise TypeError(f"profile {profile.get('slug')!r}: groups must be a list, not {tags!r}")
        if member_of.intersection(tags):
            visible.append({k: copy.deepcopy(v) for k, v in profile.items() if k != "groups"})
    defaults = [p for p in visible if p.get("default")]
    for extra_default in defaults[1:]:
        extra_default.pop("default")
    if visible and not defaults:
        visible[0]["default"] = True
    return visible


def make_profile_list(
    profiles: Iterable[Mapping[str, Any]], offered: Iterable[str] | None = None
) -> Callable[[Any], list[dict]]:
    """A callable for ``c.KubeSpawner.profile_list``: each user sees their groups' profiles.

    KubeSpawner calls it for the options form and again when the server starts, so a slug
    posted for a profile outside the user's list is rejected there.
    """
    catalogue = [dict(p) for p in profiles]
    offered = None if offered is None else list(offered)

    def profile_list(spawner: Any) -> list[dict]:
        return profiles_for_groups(catalogue, group_names(spawner), offered)

    return profile_list


def presentation_groups(presentations: Iterable[str]) -> list[str]:
    """The hub groups of these presentations: each one's students, then its instructors."""
    return [group for m in presentations for group in (m, f"{m}{INSTRUCTOR_SUFFIX}")]


def instructor_roles(presentations: Iterable[str]) -> list[dict]:
    """``load_roles`` entries: each presentation's instructors may see its roster and
    activity (who is enrolled, whose server runs), not the students' servers or files."""
    roles = []
    for module_id in presentations:
        group = f"{module_id}{INSTRUCTOR_SUFFIX}"
        roles.append(
            {
                "name": f"{module_id.lower()}-instructor",
                "description": f"Instructors of {module_id}: the roster and server activity",
                "scopes": [
                    f"list:users!group={module_id}",
                    f"read:users!group={module_id}",
                    f"read:groups!group={module_id}",
                ],
                "groups": [group],
            }
        )
    return roles


def idle_culler_service(
    timeout: int, every: int, python: str = "python3", extra_args: Iterable[str] = ()
) -> tuple[dict, dict]:
    """The jupyterhub-idle-culler as a hub-managed service, and the role it needs."""
    service = {
        "name": "idle-culler",
        "command": [
            python,
            "-m",
            "jupyterhub_idle_culler",
            f"--timeout={timeout}",
            f"--cull-every={every}",
            *extra_args,
        ],
    }
    role = {
        "name": "idle-culler",
        "description": "Stop servers idle for longer than the timeout",
        "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
        "services": ["idle-culler"],
    }
    return service, role


def cull_environment(timeout: int, every: int) -> dict[str, str]:
    """What a single-user server needs to warn before it is culled: it is stopped between
    ``timeout`` and ``timeout + every`` seconds after its last activity."""
    return {"COURSEKIT_CULL_TIMEOUT": str(int(timeout)), "COURSEKIT_CULL_EVERY": str(int(every))}


EXCHANGE_SERVICE = "coursekit-exchange"
# What the exchange service is given from the hub's own environment: a hub-managed service
# inherits none of it. COURSEKIT_EXCHANGE_DB_URL is its database (PostgreSQL), which on
# Kubernetes reaches the hub from a Secret through hub.extraEnv; COURSEKIT_EXCHANGE_UPGRADE_DB
# lets it upgrade that database's schema to a newer coursekit's (set for one start).
EXCHANGE_HUB_ENVIRONMENT = ("COURSEKIT_EXCHANGE_DB_URL", "COURSEKIT_EXCHANGE_UPGRADE_DB")


def exchange_service(
    root: str,
    port: int,
    groups: Iterable[str],
    python: str = "python3",
    max_upload_mb: float = 100,
    host: str = "127.0.0.1",
    listen: str | None = None,
    hub_environ: Mapping[str, str] | None = None,
) -> tuple[dict, list[dict], dict[str, str]]:
    """The coursekit nbgrader exchange as a hub-managed service.

    Returns the service, the roles it needs (it reads users' groups; ``groups`` may use
    it), and the environment that tells single-user servers where it is. Servers reach it
    with their own ``JUPYTERHUB_API_TOKEN``, so that token must carry the service's access
    scope: see ``SERVER_TOKEN_SCOPES``. Its catalog goes in PostgreSQL when the hub has
    ``COURSEKIT_EXCHANGE_DB_URL`` (``postgresql://...``): passed on in its environment,
    not its command line, where any local user could read the password.

    ``host`` is the name the servers (and the proxy) reach it by: loopback on one machine,
    the hub's Kubernetes Service in a Zero to JupyterHub release, where the service must
    then ``listen`` on another address (``0.0.0.0``: the pod cannot listen on a Service's
    address). ``hub_environ`` (the hub's ``os.environ``) passes on the variables in
    ``EXCHANGE_HUB_ENVIRONMENT`` that are set.
    """
    url = f"http://{host}:{port}"
    command = [
        python,
        "-m",
        "coursekit.exchange.service",
        f"--root={root}",
        f"--max-upload-mb={max_upload_mb}",
    ]
    if listen:
        command.append(f"--ip={listen}")
    hub_environ = hub_environ or {}
    service = {
        "name": EXCHANGE_SERVICE,
        "url": url,
        "command": command,
        "environment": {k: hub_environ[k] for k in EXCHANGE_HUB_ENVIRONMENT if hub_environ.get(k)},
        # An API for the servers' tokens, not a page: no link in the hub's Services menu.
        "display": False,
    }
    roles = [
        {
            "name": EXCHANGE_SERVICE,
            "description": "The exchange asks the hub which groups (courses) a user is in",
            "scopes": ["read:users:name", "read:users:groups"],
            "services": [EXCHANGE_SERVICE],
        },
        {
            "name": f"{EXCHANGE_SERVICE}-users",
            "description": "Students and instructors may use the nbgrader exchange",
            "scopes": [f"access:services!service={EXCHANGE_SERVICE}"],
            "groups": sorted(set(groups)),
        },
    ]
    environment = {"COURSEKIT_EXCHANGE_URL": f"{url}/services/{EXCHANGE_SERVICE}/"}
    return service, roles, environment


# JupyterHub's default ``server`` role, plus the exchange: the token a server gets.
SERVER_TOKEN_SCOPES = [
    "users:activity!user",
    "access:servers!server",
    f"access:services!service={EXCHANGE_SERVICE}",
]


# The branded page templates (page.html: every hub page), beside this module wherever
# install-hub.sh puts it.
TEMPLATES = str(Path(__file__).resolve().parent / "coursekit_hub_templates")


def branding_template_vars(path: str | None) -> dict:
    """``template_vars`` for the branded hub pages (:data:`TEMPLATES`).

    ``path`` is the JSON that ``jupyter coursekit hub-branding`` writes from the
    institution's branding.yaml at image build (the hub image has no coursekit), or, where
    coursekit is installed (the local demo), the branding.yaml itself, checked as
    JupyterLab's is. No path, or a JSON file not mounted: JupyterHub's own look."""
    if not path:
        return {}
    if path.endswith(".json"):
        try:
            with open(path, encoding="utf-8") as stream:
                return {"coursekit_branding": json.load(stream)}
        except FileNotFoundError:
            print(
                f"coursekit_hub: no branding at {path}; the hub keeps its own look", file=sys.stderr
            )
            return {}
    from coursekit.branding import hub_branding

    return {"coursekit_branding": hub_branding(path)}
