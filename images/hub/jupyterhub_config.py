"""JupyterHub for one module presentation, on one machine: the local demo (scripts/hub).

The same conventions as the Kubernetes release (values.yaml beside this file), with a local
spawner instead of KubeSpawner. Everything a run may vary comes from the environment, so
scripts/hub and the end-to-end test start the same file:

  COURSEKIT_HUB_STATE          folder for the database, cookie secret and homes (required)
  COURSEKIT_HUB_PRESENTATIONS  the presentations this hub serves (default TM351-25J)
  COURSEKIT_HUB_STUDENTS       demo students, comma separated (default student1,student2)
  COURSEKIT_HUB_INSTRUCTORS    demo instructors (default instructor1)
  COURSEKIT_HUB_PASSWORD       the demo's shared password (default coursekit-demo)
  COURSEKIT_HUB_URL            where the hub listens (default http://127.0.0.1:8000)
  COURSEKIT_HUB_API_PORT       the hub's internal API port on 127.0.0.1 (default 8081)
  COURSEKIT_PROXY_API_PORT     configurable-http-proxy's API port on 127.0.0.1 (default 8001)
  COURSEKIT_CULL_TIMEOUT       idle seconds before a server is stopped (default 3600)
  COURSEKIT_CULL_EVERY         how often the culler looks (default 300)
  COURSEKIT_EXCHANGE_PORT      the nbgrader exchange service's port on 127.0.0.1 (default 8790)
  COURSEKIT_EXCHANGE_MAX_UPLOAD_MB  the largest submission or release it accepts (default 100)
  COURSEKIT_EXCHANGE_DB_URL    its catalog in PostgreSQL, postgresql://user:password@host/db
                               (default: SQLite in the state folder's exchange/)
  COURSEKIT_SPAWN_TIMEOUT      seconds a server has to start (default 90)
  COURSEKIT_HUB_SERVER_ARGS    extra single-user server arguments, space separated
                               (the spawn-storm benchmark turns coursekit off with one)
  COURSEKIT_MANIFEST           course manifests for the servers (default: this repo's
                               images/example-course; unset in an image, which has its own)
  COURSEKIT_HUB_BRANDING       the institution's branding for the login and spawn pages
                               (default: this repo's images/example-branding/branding.yaml)

The course shared folder's volume is the state folder's shared/ (from the example at first).

Start it with: jupyterhub -f images/hub/jupyterhub_config.py (scripts/hub does this).
"""

import json
import os
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import coursekit_hub  # noqa: E402  (beside this file, found through the line above)

from coursekit.exchange import nbgrader_config  # noqa: E402

c = get_config()  # noqa: F821  (provided by JupyterHub when it loads this file)


def env_list(name: str, default: str) -> list[str]:
    return [item for item in os.environ.get(name, default).replace(" ", ",").split(",") if item]


state = Path(os.environ["COURSEKIT_HUB_STATE"]).resolve()
state.mkdir(parents=True, exist_ok=True)
presentations = env_list("COURSEKIT_HUB_PRESENTATIONS", "TM351-25J")
students = env_list("COURSEKIT_HUB_STUDENTS", "student1,student2")
instructors = env_list("COURSEKIT_HUB_INSTRUCTORS", "instructor1")
cull_timeout = int(os.environ.get("COURSEKIT_CULL_TIMEOUT", "3600"))
cull_every = int(os.environ.get("COURSEKIT_CULL_EVERY", "300"))

# -- network: loopback only ---------------------------------------------------------------
c.JupyterHub.bind_url = os.environ.get("COURSEKIT_HUB_URL", "http://127.0.0.1:8000")
c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{os.environ.get('COURSEKIT_HUB_API_PORT', '8081')}"
c.ConfigurableHTTPProxy.api_url = (
    f"http://127.0.0.1:{os.environ.get('COURSEKIT_PROXY_API_PORT', '8001')}"
)
c.ConfigurableHTTPProxy.pid_file = str(state / "jupyterhub-proxy.pid")
# configurable-http-proxy comes from npm: PATH, else the copy scripts/hub installs here.
local_chp = HERE / "node_modules" / ".bin" / "configurable-http-proxy"
if not shutil.which("configurable-http-proxy") and local_chp.exists():
    c.ConfigurableHTTPProxy.command = [str(local_chp)]

# -- state: SQLite and a cookie secret, kept between runs -------------------------------------
c.JupyterHub.db_url = f"sqlite:///{state / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(state / "jupyterhub_cookie_secret")

# -- authentication: a demo allow-list with one shared password ----------------------------
# Production uses LTI 1.3 (ltiauthenticator) or OAuth (oauthenticator) with
# manage_groups, so the groups below come from the institution: see docs/operators.md.
c.JupyterHub.authenticator_class = "shared-password"
c.SharedPasswordAuthenticator.user_password = os.environ.get(
    "COURSEKIT_HUB_PASSWORD", "coursekit-demo"
)
c.Authenticator.allowed_users = set(students + instructors)

# -- enrolment: hub groups, created at start ------------------------------------------------
# Group TM351-25J takes the module; TM351-25J-instructors teaches it.
c.JupyterHub.load_groups = {}
for module_id in presentations:
    c.JupyterHub.load_groups[module_id] = {"users": students}
    c.JupyterHub.load_groups[f"{module_id}{coursekit_hub.INSTRUCTOR_SUFFIX}"] = {
        "users": instructors
    }

# -- idle culling, announced to the servers so they can warn students -----------------------
culler, culler_role = coursekit_hub.idle_culler_service(
    cull_timeout, cull_every, python=sys.executable
)
c.JupyterHub.services = [culler]
c.JupyterHub.load_roles = [culler_role, *coursekit_hub.instructor_roles(presentations)]

# -- single-user servers: a persistent home each, coursekit told who the student is --------
# SimpleLocalProcessSpawner runs every server as this machine's user: fine for a demo, not
# for students (on Kubernetes each server is its own pod with its own volume).
c.JupyterHub.spawner_class = "jupyterhub.spawner.SimpleLocalProcessSpawner"
c.SimpleLocalProcessSpawner.home_dir_template = str(state / "homes" / "{username}")
singleuser = Path(sys.executable).parent / "jupyterhub-singleuser"
c.Spawner.cmd = [str(singleuser) if singleuser.exists() else "jupyterhub-singleuser"]
c.Spawner.notebook_dir = "~"
c.Spawner.default_url = "/lab"
# A server that is not up in time is stopped and its spawn reported failed. 90 s suits one
# machine in class; the spawn-storm benchmark, 20 starts on 2 cores, needs longer.
c.Spawner.start_timeout = c.Spawner.http_timeout = int(
    os.environ.get("COURSEKIT_SPAWN_TIMEOUT", "90")
)
c.Spawner.args = os.environ.get("COURSEKIT_HUB_SERVER_ARGS", "").split()
# A development checkout's own JupyterLab extension (its .dev-env puts it on JUPYTER_PATH)
# reaches the servers, as its Python code does through PYTHONPATH: without this they would
# show whichever build is installed in the environment. Unset in an image.
c.Spawner.env_keep.append("JUPYTER_PATH")
if os.getuid() == 0:
    # Jupyter refuses to run as root unless told; in a course image it never is root.
    c.Spawner.args.append("--allow-root")
# Every local server shares this machine's loopback, so a server extension that listens on
# a fixed port (jupyter-ai's MCP server, 3001) would have every server but the first fail
# to bind it; on Kubernetes each server has its own network and keeps it.
c.Spawner.args.append("--ServerApp.jpserver_extensions=jupyter_server_mcp=False")

environment = coursekit_hub.cull_environment(cull_timeout, cull_every)
example_course = HERE.parent / "example-course"
manifest = os.environ.get("COURSEKIT_MANIFEST") or (
    str(example_course) if example_course.is_dir() else ""
)
if manifest:
    environment["COURSEKIT_MANIFEST"] = manifest
# The course shared folder's volume (a manifest's `shared:`), filled from the example once.
# Every local server runs as this machine's user, so here everyone may write to it; on
# Kubernetes students' servers mount it read-only (values.yaml).
shared_root = state / "shared"
example_shared = example_course / "shared"
if not shared_root.exists() and example_shared.is_dir():
    shutil.copytree(example_shared, shared_root)
shared_root.mkdir(exist_ok=True)
environment["COURSEKIT_SHARED_ROOT"] = str(shared_root)
c.Spawner.environment = environment
c.Spawner.pre_spawn_hook = coursekit_hub.make_pre_spawn_hook(presentations)

# -- the coursekit nbgrader exchange: a hub service, no volume shared between servers ----
exchange, exchange_roles, exchange_environment = coursekit_hub.exchange_service(
    root=str(state / "exchange"),
    port=int(os.environ.get("COURSEKIT_EXCHANGE_PORT", "8790")),
    groups=list(c.JupyterHub.load_groups),
    python=sys.executable,
    max_upload_mb=float(os.environ.get("COURSEKIT_EXCHANGE_MAX_UPLOAD_MB", "100")),
    hub_environ=os.environ,  # COURSEKIT_EXCHANGE_DB_URL, when the exchange uses a database
)
c.JupyterHub.services.append(exchange)
c.JupyterHub.load_roles.extend(exchange_roles)
c.Spawner.environment.update(exchange_environment)
c.Spawner.server_token_scopes = coursekit_hub.SERVER_TOKEN_SCOPES
# nbgrader itself (the instructor's formgrader, `nbgrader` in a terminal) must use it too. A
# course image has that from `jupyter coursekit apply` (its nbgrader_config.json); this demo's
# servers run from the development environment, so they find the same file on
# JUPYTER_CONFIG_PATH.
server_config = state / "server-config"
server_config.mkdir(exist_ok=True)
(server_config / "nbgrader_config.json").write_text(json.dumps(nbgrader_config(), indent=1))
c.Spawner.environment["JUPYTER_CONFIG_PATH"] = str(server_config)

# -- branding: the login and spawn pages in the same branding file as JupyterLab ------------
# COURSEKIT_HUB_BRANDING: the JSON `jupyter coursekit hub-branding` writes at image build, or
# (where coursekit is installed, as in this demo) the branding.yaml itself. Default here:
# the example institution's branding.
example_branding = HERE.parent / "example-branding" / "branding.yaml"
branding = os.environ.get("COURSEKIT_HUB_BRANDING") or (
    str(example_branding) if example_branding.is_file() else ""
)
c.JupyterHub.template_paths = [coursekit_hub.TEMPLATES]
c.JupyterHub.template_vars = coursekit_hub.branding_template_vars(branding)
