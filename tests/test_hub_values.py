"""The Kubernetes values for one presentation: valid for the Zero to JupyterHub chart once
merged with its defaults, and their hub.extraConfig doing what the operator's guide says."""

from __future__ import annotations

import asyncio
import copy
import os
import sys
from pathlib import Path
from types import SimpleNamespace

import jsonschema
import pytest
import yaml
from traitlets.config import Config, LazyConfigValue

from .conftest import REPO

HUB_DIR = REPO / "images" / "hub"
VALUES = HUB_DIR / "values.yaml"
# The chart's schema and defaults, kept beside the repository (see its README).
REFERENCE = REPO.parent / "shared" / "reference" / "z2jh"

sys.path.insert(0, str(HUB_DIR))
import coursekit_hub  # noqa: E402


def deep_merge(defaults: dict, overrides: dict) -> dict:
    """Helm's merge of a values file over the chart's: maps merge, anything else replaces,
    and a null removes the chart's key."""
    merged = copy.deepcopy(defaults)
    for key, value in overrides.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def load_yaml(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def chart() -> tuple[dict, dict]:
    if not (REFERENCE / "values.schema.yaml").is_file():
        pytest.skip(f"the chart's reference schema is not at {REFERENCE} on this machine")
    return load_yaml(REFERENCE / "values.yaml"), load_yaml(REFERENCE / "values.schema.yaml")


@pytest.fixture(scope="module")
def merged(chart) -> dict:
    defaults, _ = chart
    return deep_merge(defaults, load_yaml(VALUES))


def schema_errors(values: dict, schema: dict) -> list[str]:
    validator = jsonschema.Draft7Validator(schema)
    return [
        f"{'.'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
        for e in validator.iter_errors(values)
    ]


def get_config_from(values: dict):
    """z2jh's get_config: a dotted key into the release's values."""

    def get_config(key: str, default=None):
        node = values
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                return default
            node = node[part]
        return node

    return get_config


def get_name_from(values: dict):
    """z2jh's get_name: a chart resource's name (``hub`` is the hub's Service), prefixed
    as the chart's fullname template prefixes it."""

    def get_name(name: str) -> str:
        prefix = values.get("fullnameOverride")
        assert isinstance(prefix, str), "names without fullnameOverride depend on the release"
        return f"{prefix}-{name}" if prefix else name

    return get_name


def run_extra_config(values: dict) -> Config:
    """The hub's configuration as the chart's own jupyterhub_config.py builds it
    (zero-to-jupyterhub-k8s, jupyterhub/files/hub/jupyterhub_config.py, at the commit named
    in the reference README): the settings coursekit's snippets build on, then
    ``hub.extraConfig`` run as the chart runs it, each snippet in key order and all in one
    namespace. What needs a cluster (proxy, volumes, scheduling, secrets) is left out."""
    values = copy.deepcopy(values)  # the chart's config, like z2jh's, is edited in place
    get_config = get_config_from(values)
    c = Config()
    c.JupyterHub.spawner_class = "kubespawner.KubeSpawner"
    c.JupyterHub.hub_bind_url = "http://:8081"
    if get_config("singleuser.extraEnv") is not None:
        c.KubeSpawner.environment = get_config("singleuser.extraEnv")
    # The home's mount, then singleuser.storage.extraVolumeMounts (list or dict form).
    c.KubeSpawner.volume_mounts = [{"name": "volume-{username}", "mountPath": "/home/jovyan"}]
    extra_mounts = get_config("singleuser.storage.extraVolumeMounts", [])
    if isinstance(extra_mounts, dict):
        extra_mounts = [{"name": key, **mount} for key, mount in extra_mounts.items()]
    c.KubeSpawner.volume_mounts.extend(extra_mounts)
    c.JupyterHub.services = []
    c.JupyterHub.load_roles = []
    if get_config("cull.enabled", False):
        c.JupyterHub.services.append(
            {
                "name": "jupyterhub-idle-culler",
                "command": ["python3", "-m", "jupyterhub_idle_culler"],
            }
        )
        c.JupyterHub.load_roles.append(
            {"name": "jupyterhub-idle-culler", "services": ["jupyterhub-idle-culler"]}
        )
    for key, service in get_config("hub.services", {}).items():
        service.setdefault("name", key)
        c.JupyterHub.services.append(service)
    for key, role in get_config("hub.loadRoles", {}).items():
        role.setdefault("name", key)
        c.JupyterHub.load_roles.append(role)
    namespace = {
        "c": c,
        "get_config": get_config,
        "get_name": get_name_from(values),
        "os": os,
        "sys": sys,
    }
    for name, source in sorted(get_config("hub.extraConfig", {}).items()):
        exec(compile(source, f"hub.extraConfig.{name}", "exec"), namespace)
    return c


def resolved(value, initial):
    """A setting as the hub would see it: extraConfig extends the chart's, lazily."""
    return value.get_value(initial) if isinstance(value, LazyConfigValue) else value


def spawner_for(name: str, groups: list[str], init_containers: list | None = None, c=None):
    return SimpleNamespace(
        user=SimpleNamespace(name=name, groups=[SimpleNamespace(name=g) for g in groups]),
        environment={},
        args=[],
        init_containers=init_containers or [],
        volume_mounts=copy.deepcopy(c.KubeSpawner.volume_mounts) if c else [],
    )


def test_values_validate_against_the_chart_schema(chart, merged):
    _, schema = chart
    assert schema_errors(merged, schema) == []


def test_the_schema_check_catches_a_mistake(chart, merged):
    _, schema = chart
    broken = copy.deepcopy(merged)
    broken["singleuser"]["storage"]["capacityy"] = "5Gi"
    broken["cull"]["timeout"] = "an hour"
    errors = schema_errors(broken, schema)
    assert any("capacityy" in e for e in errors)
    assert any(e.startswith("cull.timeout") for e in errors)


def test_merge_keeps_chart_defaults_and_lets_values_win():
    merged = deep_merge(
        {"a": {"b": 1, "c": [1, 2]}, "d": 1, "e": {"x": 1}},
        {"a": {"c": [3]}, "d": None, "e": {"y": 2}},
    )
    assert merged == {"a": {"b": 1, "c": [3]}, "e": {"x": 1, "y": 2}}


def test_home_volume_is_keyed_by_the_user_alone(merged):
    storage = merged["singleuser"]["storage"]
    assert storage["type"] == "dynamic"
    assert storage["dynamic"]["pvcNameTemplate"] == "claim-{escaped_username}"
    (seed,) = [c for c in merged["singleuser"]["initContainers"] if c["name"] == "coursekit-seed"]
    assert seed["volumeMounts"] == [
        {"name": storage["dynamic"]["volumeNameTemplate"], "mountPath": storage["homeMountPath"]}
    ]
    assert seed["command"][:3] == ["jupyter", "coursekit", "seed"]


def test_culling_and_resource_limits_are_set(merged):
    assert merged["cull"]["enabled"] is True
    assert merged["cull"]["timeout"] > merged["cull"]["every"] > 0
    assert merged["singleuser"]["memory"]["limit"]
    assert merged["singleuser"]["cpu"]["limit"]


EXCHANGE = "coursekit-exchange"


def services_of(c: Config) -> dict[str, dict]:
    return {service["name"]: service for service in c.JupyterHub.services}


def test_the_release_runs_the_exchange_in_the_hub_pod_on_the_hubs_volume(merged):
    exchange = merged["custom"]["coursekit"]["exchange"]
    c = run_extra_config(merged)
    services = services_of(c)
    assert set(services) == {"jupyterhub-idle-culler", EXCHANGE}  # the chart's culler kept
    service = services[EXCHANGE]
    # Reached through the hub's Service; listening on every address of the pod.
    assert service["url"] == f"http://hub:{exchange['port']}"
    assert service["command"] == [
        "python3",
        "-m",
        "coursekit.exchange.service",
        f"--root={exchange['root']}",
        f"--max-upload-mb={exchange['maxUploadMB']}",
        "--ip=0.0.0.0",
    ]
    assert service["display"] is False
    # Its files live on the hub's own volume, which the chart mounts at /srv/jupyterhub.
    assert merged["hub"]["db"]["type"] == "sqlite-pvc"
    assert Path(exchange["root"]).parent == Path("/srv/jupyterhub")
    # ...which `helm uninstall` leaves for the end-of-presentation archive.
    assert merged["hub"]["db"]["pvc"]["annotations"]["helm.sh/resource-policy"] == "keep"


def test_the_exchange_gets_its_database_url_from_the_hubs_environment(merged, monkeypatch):
    monkeypatch.delenv("COURSEKIT_EXCHANGE_DB_URL", raising=False)
    assert services_of(run_extra_config(merged))[EXCHANGE]["environment"] == {}
    url = "postgresql://exchange:secret@postgres.tm351-25j/exchange"
    monkeypatch.setenv("COURSEKIT_EXCHANGE_DB_URL", url)
    c = run_extra_config(merged)
    assert services_of(c)[EXCHANGE]["environment"] == {"COURSEKIT_EXCHANGE_DB_URL": url}
    # The servers never see it.
    assert "COURSEKIT_EXCHANGE_DB_URL" not in c.KubeSpawner.environment


def test_the_exchange_lets_the_presentations_groups_in_and_reads_their_groups(merged):
    roles = {role["name"]: role for role in run_extra_config(merged).JupyterHub.load_roles}
    assert roles[EXCHANGE]["services"] == [EXCHANGE]
    assert roles[EXCHANGE]["scopes"] == ["read:users:name", "read:users:groups"]
    users = roles[f"{EXCHANGE}-users"]
    assert users["groups"] == ["TM351-25J", "TM351-25J-instructors"]
    assert users["scopes"] == [f"access:services!service={EXCHANGE}"]


def test_every_server_is_told_the_exchange_and_its_token_may_use_it(merged):
    port = merged["custom"]["coursekit"]["exchange"]["port"]
    c = run_extra_config(merged)
    url = f"http://hub:{port}/services/{EXCHANGE}/"
    assert c.KubeSpawner.environment["COURSEKIT_EXCHANGE_URL"] == url
    assert f"access:services!service={EXCHANGE}" in c.KubeSpawner.server_token_scopes
    # The spawn hook adds the enrolment and keeps it.
    spawner = spawner_for("s", ["TM351-25J"])
    spawner.environment = dict(c.KubeSpawner.environment)
    asyncio.run(c.KubeSpawner.pre_spawn_hook(spawner))
    assert spawner.environment["COURSEKIT_EXCHANGE_URL"] == url
    assert spawner.environment["COURSEKIT_MODULES"] == "TM351-25J"


def test_the_exchange_url_follows_the_hubs_service_name(merged):
    renamed = {**merged, "fullnameOverride": "tm351-25j"}
    service = services_of(run_extra_config(renamed))[EXCHANGE]
    assert service["url"].startswith("http://tm351-25j-hub:")


def test_the_hubs_service_and_network_policies_open_the_exchange_port_to_servers(merged):
    port = merged["custom"]["coursekit"]["exchange"]["port"]
    assert {"name": EXCHANGE, "port": port, "targetPort": port} in merged["hub"]["service"][
        "extraPorts"
    ]
    # Into the hub pod, from pods with the label the chart gives every server...
    server_label = {"hub.jupyter.org/network-access-hub": "true"}
    assert server_label.items() <= merged["singleuser"]["extraLabels"].items()
    assert any(
        rule["from"] == [{"podSelector": {"matchLabels": server_label}}]
        and rule["ports"] == [{"port": port, "protocol": "TCP"}]
        for rule in merged["hub"]["networkPolicy"]["ingress"]
    )
    # ...and out of every server, to the hub pod (the chart's labels on it).
    hub_pod = {
        "app.kubernetes.io/name": merged.get("nameOverride") or "jupyterhub",
        "app.kubernetes.io/component": "hub",
    }
    assert merged["singleuser"]["networkPolicy"]["enabled"] is True
    assert any(
        rule["to"] == [{"podSelector": {"matchLabels": hub_pod}}]
        and rule["ports"] == [{"port": port, "protocol": "TCP"}]
        for rule in merged["singleuser"]["networkPolicy"]["egress"]
    )


def test_extra_config_restricts_profiles_to_the_presentation(merged):
    c = run_extra_config(merged)
    profile_list = c.KubeSpawner.profile_list
    student = [p["slug"] for p in profile_list(spawner_for("s", ["TM351-25J"]))]
    assert student == ["tm351-25j", "tm351-25j-previous"]
    teacher = profile_list(spawner_for("t", ["TM351-25J-instructors"]))
    assert [p["slug"] for p in teacher] == ["tm351-25j", "tm351-25j-previous", "tm351-25j-large"]
    assert profile_list(spawner_for("x", ["M269-25J"])) == []


def test_extra_config_passes_enrolment_and_cull_timeout_to_server_and_seed(merged):
    c = run_extra_config(merged)
    spawner = spawner_for("s", ["TM351-25J"], copy.deepcopy(merged["singleuser"]["initContainers"]))
    asyncio.run(c.KubeSpawner.pre_spawn_hook(spawner))
    assert spawner.environment["COURSEKIT_MODULES"] == "TM351-25J"
    assert spawner.environment["COURSEKIT_CULL_TIMEOUT"] == str(merged["cull"]["timeout"])
    seed_env = {e["name"]: e["value"] for e in spawner.init_containers[0]["env"]}
    assert seed_env["COURSEKIT_MODULES"] == "TM351-25J"


def test_shared_folders_are_read_only_but_for_the_presentations_instructors(merged):
    c = run_extra_config(merged)
    shared_root = merged["singleuser"]["extraEnv"]["COURSEKIT_SHARED_ROOT"]
    mounts = {m["mountPath"]: m for m in c.KubeSpawner.volume_mounts}
    assert mounts[shared_root]["readOnly"] is True
    claims = {v["name"]: v for v in merged["singleuser"]["storage"]["extraVolumes"]}
    assert claims[mounts[shared_root]["name"]]["persistentVolumeClaim"]["claimName"]

    def shared_mount(groups):
        spawner = spawner_for("u", groups, c=c)
        asyncio.run(c.KubeSpawner.pre_spawn_hook(spawner))
        return next(m for m in spawner.volume_mounts if m["mountPath"] == shared_root)

    assert shared_mount(["TM351-25J"])["readOnly"] is True
    assert shared_mount(["TM351-25J-instructors"])["readOnly"] is False
    assert mounts[shared_root]["readOnly"] is True  # the next student's is still read-only


def test_extra_config_refuses_a_user_of_another_presentation(merged):
    c = run_extra_config(merged)
    with pytest.raises(coursekit_hub.NotEnrolled):
        asyncio.run(c.KubeSpawner.pre_spawn_hook(spawner_for("x", ["M269-25J"])))


def test_extra_config_creates_groups_and_instructor_roles(merged):
    c = run_extra_config(merged)
    groups = resolved(c.JupyterHub.load_groups, {})
    assert set(groups) == {"TM351-25J", "TM351-25J-instructors"}
    roles = {role["name"]: role for role in c.JupyterHub.load_roles}
    assert roles["tm351-25j-instructor"]["groups"] == ["TM351-25J-instructors"]


def test_extra_config_brands_the_hub_pages_from_the_mounted_json(merged, tmp_path):
    import copy

    import coursekit_hub

    c = run_extra_config(merged)  # no JSON mounted here: JupyterHub's own look
    assert c.JupyterHub.template_paths == [coursekit_hub.TEMPLATES]
    assert resolved(c.JupyterHub.template_vars, {}) == {}
    branded = copy.deepcopy(merged)
    mounted = tmp_path / "hub-branding.json"
    mounted.write_text('{"name": "Open University"}')
    branded["custom"]["coursekit"]["branding"] = str(mounted)
    c = run_extra_config(branded)
    assert resolved(c.JupyterHub.template_vars, {"announcement": "x"}) == {
        "announcement": "x",
        "coursekit_branding": {"name": "Open University"},
    }
