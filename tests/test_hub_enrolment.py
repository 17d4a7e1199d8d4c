"""coursekit_hub: enrolment from hub groups, the spawn hook and the profile filter."""

from __future__ import annotations

import asyncio
import sys
from types import SimpleNamespace

import pytest

from .conftest import REPO

sys.path.insert(0, str(REPO / "images" / "hub"))
from coursekit_hub import (  # noqa: E402
    NotEnrolled,
    cull_environment,
    enrolment_from_groups,
    exchange_service,
    idle_culler_service,
    instructor_roles,
    make_pre_spawn_hook,
    make_profile_list,
    profiles_for_groups,
    with_init_environment,
    with_mounts_writable,
)

PROFILES = [
    {"slug": "tm351", "display_name": "TM351", "groups": ["TM351-25J"]},
    {"slug": "m269", "display_name": "M269", "groups": ["M269-25J"], "default": True},
    {"slug": "marking", "display_name": "Marking", "groups": ["TM351-25J-instructors"]},
    {"slug": "workshop", "display_name": "Workshop", "groups": ["*"]},
    {"slug": "untagged", "display_name": "Untagged"},
]


def spawner_for(groups, name="student1", init_containers=None):
    return SimpleNamespace(
        user=SimpleNamespace(name=name, groups=[SimpleNamespace(name=g) for g in groups]),
        environment={"KEEP": "1"},
        init_containers=init_containers,
        args=["--allow-root"],
    )


def test_a_presentation_group_enrols_a_student():
    enrolment = enrolment_from_groups(["TM351-25J"])
    assert enrolment.modules == ["TM351-25J"]
    assert enrolment.role == "student"
    assert enrolment.environment() == {
        "COURSEKIT_MODULES": "TM351-25J",
        "COURSEKIT_ROLE": "student",
        "COURSEKIT_INSTRUCTOR_OF": "",
    }


def test_an_instructor_group_gives_the_module_and_the_instructor_role():
    enrolment = enrolment_from_groups(["TM351-25J-instructors"])
    assert enrolment.modules == ["TM351-25J"]
    assert enrolment.teaches == ["TM351-25J"]
    assert enrolment.environment()["COURSEKIT_ROLE"] == "instructor"


def test_two_modules_at_once_keep_group_order_without_repeats():
    groups = ["M269-25J", "TM351-25J-instructors", "TM351-25J", "M269-25J"]
    assert enrolment_from_groups(groups).modules == ["M269-25J", "TM351-25J"]


def test_groups_that_are_not_module_ids_are_ignored():
    assert enrolment_from_groups(["admins", "staff-all-faculty", "a-b-c", ""]).modules == []


def test_a_hub_counts_only_the_presentations_it_serves():
    enrolment = enrolment_from_groups(["M269-25J", "TM351-25J"], offered=["TM351-25J"])
    assert enrolment.modules == ["TM351-25J"]
    assert enrolment_from_groups(["M269-25J-instructors"], offered=["TM351-25J"]).teaches == []


def test_spawn_hook_passes_enrolment_and_hub_settings_to_the_server():
    spawner = spawner_for(["TM351-25J"])
    hook = make_pre_spawn_hook(["TM351-25J"], environment=cull_environment(900, 60))
    asyncio.run(hook(spawner))
    assert spawner.environment == {
        "KEEP": "1",
        "COURSEKIT_MODULES": "TM351-25J",
        "COURSEKIT_ROLE": "student",
        "COURSEKIT_INSTRUCTOR_OF": "",
        "COURSEKIT_CULL_TIMEOUT": "900",
        "COURSEKIT_CULL_EVERY": "60",
    }


def test_a_students_server_starts_with_nbgraders_instructor_extensions_off():
    student, instructor = spawner_for(["TM351-25J"]), spawner_for(["TM351-25J-instructors"])
    hook = make_pre_spawn_hook(["TM351-25J"])
    for spawner in (student, student, instructor):  # a second spawn adds nothing twice
        asyncio.run(hook(spawner))
    assert student.args == [
        "--allow-root",
        "--ServerApp.jpserver_extensions=nbgrader.server_extensions.formgrader=False",
        "--ServerApp.jpserver_extensions=nbgrader.server_extensions.course_list=False",
    ]
    assert instructor.args == ["--allow-root"]


def test_spawn_hook_refuses_a_user_with_no_presentation_here_with_a_message():
    hook = make_pre_spawn_hook(["TM351-25J"])
    with pytest.raises(NotEnrolled) as caught:
        asyncio.run(hook(spawner_for(["M269-25J"], name="visitor")))
    assert "visitor is not enrolled on TM351-25J" in caught.value.jupyterhub_message


def test_spawn_hook_chains_an_existing_hook_sync_or_async():
    seen = []

    async def earlier(spawner):
        seen.append(spawner.environment["COURSEKIT_MODULES"])

    asyncio.run(make_pre_spawn_hook(then=earlier)(spawner_for(["TM351-25J"])))
    asyncio.run(make_pre_spawn_hook(then=lambda s: seen.append("sync"))(spawner_for(["A-B"])))
    assert seen == ["TM351-25J", "sync"]


def test_spawn_hook_tells_the_seeding_init_container_but_no_other():
    containers = [
        {"name": "coursekit-seed", "env": [{"name": "COURSEKIT_ROLE", "value": "fixed"}]},
        {"name": "block-metadata"},
    ]
    spawner = spawner_for(["TM351-25J"], init_containers=containers)
    asyncio.run(make_pre_spawn_hook()(spawner))
    seed, other = spawner.init_containers
    env = {e["name"]: e["value"] for e in seed["env"]}
    assert env["COURSEKIT_MODULES"] == "TM351-25J"
    assert env["COURSEKIT_ROLE"] == "fixed"
    assert "env" not in other
    assert containers[0]["env"] == [{"name": "COURSEKIT_ROLE", "value": "fixed"}]


def test_init_environment_keeps_kubespawners_dict_form():
    result = with_init_environment({"01": {"name": "coursekit-seed"}}, {"A": "1"})
    assert result == {"01": {"name": "coursekit-seed", "env": [{"name": "A", "value": "1"}]}}


SHARED_MOUNTS = [
    {"name": "volume-s", "mountPath": "/home/jovyan"},
    {"name": "coursekit-shared", "mountPath": "/srv/coursekit/shared", "readOnly": True},
]


@pytest.mark.parametrize(
    ("groups", "writable"),
    [
        (["TM351-25J"], False),  # a student
        (["M269-25J", "M269-25J-instructors", "TM351-25J"], False),  # teaches another module
        (["TM351-25J", "TM351-25J-instructors"], True),
    ],
)
def test_only_the_presentations_instructors_get_its_shared_folders_writable(groups, writable):
    spawner = spawner_for(groups)
    spawner.volume_mounts = [dict(m) for m in SHARED_MOUNTS]
    hook = make_pre_spawn_hook(shared_mounts={"coursekit-shared": "TM351-25J"})
    asyncio.run(hook(spawner))
    home, shared = spawner.volume_mounts
    assert shared["readOnly"] is (not writable)
    assert home == SHARED_MOUNTS[0]
    assert SHARED_MOUNTS[1]["readOnly"] is True  # the hub-wide list is not changed


def test_writable_mounts_keep_kubespawners_dict_form():
    mounts = {"01": {"name": "coursekit-shared", "readOnly": True}, "02": {"name": "other"}}
    assert with_mounts_writable(mounts, ["coursekit-shared"]) == {
        "01": {"name": "coursekit-shared", "readOnly": False},
        "02": {"name": "other"},
    }


def test_students_see_only_their_presentations_profiles():
    slugs = [p["slug"] for p in profiles_for_groups(PROFILES, ["TM351-25J"])]
    assert slugs == ["tm351", "workshop"]


def test_instructors_also_see_their_students_profiles():
    slugs = [p["slug"] for p in profiles_for_groups(PROFILES, ["TM351-25J-instructors"])]
    assert slugs == ["tm351", "marking", "workshop"]


def test_an_untagged_profile_reaches_nobody_and_the_unenrolled_get_nothing():
    assert profiles_for_groups(PROFILES, ["admins"]) == []
    assert "untagged" not in [p["slug"] for p in profiles_for_groups(PROFILES, ["M269-25J"])]


def test_exactly_one_visible_profile_is_the_default():
    tm351 = profiles_for_groups(PROFILES, ["TM351-25J"])
    assert [p.get("default", False) for p in tm351] == [True, False]
    both = profiles_for_groups(
        [
            {"slug": "a", "default": True, "groups": ["*"]},
            {"slug": "b", "default": True, "groups": ["*"]},
        ],
        ["TM351-25J"],
    )
    assert [p.get("default", False) for p in both] == [True, False]


def test_profiles_reach_kubespawner_without_the_tag_and_the_catalogue_is_untouched():
    (profile, _) = profiles_for_groups(PROFILES, ["TM351-25J"])
    assert "groups" not in profile
    assert PROFILES[0]["groups"] == ["TM351-25J"] and "default" not in PROFILES[0]


def test_a_groups_tag_written_as_a_string_is_an_error():
    with pytest.raises(TypeError, match="groups must be a list"):
        profiles_for_groups([{"slug": "x", "groups": "TM351-25J"}], ["TM351-25J"])


def test_profile_list_callable_reads_the_spawners_user_groups():
    profile_list = make_profile_list(PROFILES, offered=["TM351-25J"])
    assert [p["slug"] for p in profile_list(spawner_for(["TM351-25J"]))] == ["tm351", "workshop"]
    assert profile_list(spawner_for(["M269-25J"])) == []


def test_instructor_roles_scope_the_roster_to_the_presentation():
    (role,) = instructor_roles(["TM351-25J"])
    assert role["groups"] == ["TM351-25J-instructors"]
    assert all(scope.endswith("!group=TM351-25J") for scope in role["scopes"])
    assert not any(scope.startswith(("access:", "admin")) for scope in role["scopes"])


def test_idle_culler_service_and_its_role_match():
    service, role = idle_culler_service(3600, 300, python="py")
    assert service["command"] == [
        "py",
        "-m",
        "jupyterhub_idle_culler",
        "--timeout=3600",
        "--cull-every=300",
    ]
    assert role["services"] == [service["name"]]
    assert "delete:servers" in role["scopes"]


def test_the_exchange_database_url_reaches_the_service_in_its_environment_only():
    url = "postgresql://exchange:secret@db.internal/exchange"
    service, _, server_environment = exchange_service(
        "/srv/x",
        8790,
        ["TM351-25J"],
        hub_environ={"COURSEKIT_EXCHANGE_DB_URL": url, "COURSEKIT_EXCHANGE_UPGRADE_DB": "1"},
    )
    # The upgrade switch too: an operator sets it on the hub for the one start that needs it.
    assert service["environment"] == {
        "COURSEKIT_EXCHANGE_DB_URL": url,
        "COURSEKIT_EXCHANGE_UPGRADE_DB": "1",
    }
    assert not any("secret" in part for part in service["command"])
    assert "secret" not in str(server_environment)
    default, _, _ = exchange_service("/srv/x", 8790, ["TM351-25J"])
    assert not default["environment"]  # SQLite under --root
