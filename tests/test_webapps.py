"""Which apps a student gets and the proxy specs coursekit builds for them (no server)."""

from __future__ import annotations

from pathlib import Path

from coursekit.manifest import Module
from coursekit.webapps.catalogue import RSTUDIO_EVENTS, log_tail, plan_apps
from coursekit.workspaces import Workspace


def workspace(home: Path, code: str, apps: dict) -> Workspace:
    module = Module(code=code, presentation="25J", raw={"code": code, "apps": apps})
    return Workspace(module=module, path=home / f"{code}-25J")


def installed(*names: str):
    return lambda binary: f"/opt/bin/{binary}" if binary in names else None


def test_only_enrolled_modules_apps_and_false_means_off(tmp_path):
    plans = plan_apps(
        [workspace(tmp_path, "TM351", {"rstudio": True, "vscode": False})],
        tmp_path,
        tmp_path / "state",
        which=installed("rserver", "code-server"),
    )
    assert [p.app.name for p in plans] == ["rstudio"]


def test_a_missing_binary_means_no_card_but_a_registered_path(tmp_path):
    (plan,) = plan_apps(
        [workspace(tmp_path, "TM351", {"matlab": True})],
        tmp_path,
        tmp_path / "s",
        which=installed(),
    )
    assert plan.spec["launcher_entry"]["enabled"] is False
    assert plan.missing == "matlab-proxy-app is not installed in this image"
    assert plan.to_dict()["installed"] is False


def test_commands_run_through_the_launcher_in_the_module_directory(tmp_path):
    (plan,) = plan_apps(
        [workspace(tmp_path, "TM351", {"rstudio": {"timeout": 90}})],
        tmp_path,
        tmp_path / "state",
        which=installed("rserver"),
        python="/py",
    )
    command = plan.spec["command"]
    assert command[:4] == ["/py", "-m", "coursekit.webapps.launch", "--cwd"]
    assert command[4] == str(tmp_path / "TM351-25J")
    assert command[command.index("--") + 1] == "/opt/bin/rserver"
    assert "--www-socket={unix_socket}" in command
    assert plan.spec["unix_socket"] is True
    assert plan.spec["timeout"] == 90.0
    assert plan.spec["exclude_last_activity_patterns"] == [RSTUDIO_EVENTS]
    plan.prepare()
    conf = (tmp_path / "state" / "rsession.conf").read_text()
    assert f"session-default-working-dir={tmp_path / 'TM351-25J'}" in conf
    assert (tmp_path / "state" / "rsession.conf").stat().st_mode & 0o777 == 0o600


def test_two_modules_share_one_tensorboard_with_a_run_group_each(tmp_path):
    (plan,) = plan_apps(
        [
            workspace(tmp_path, "TM351", {"tensorboard": {"logdir": "runs"}}),
            workspace(tmp_path, "M269", {"tensorboard": True}),
        ],
        tmp_path,
        tmp_path / "state",
        which=installed("tensorboard"),
    )
    command = plan.spec["command"]
    spec = command[command.index("--logdir_spec") + 1]
    assert spec == f"TM351-25J:{tmp_path}/TM351-25J/runs,M269-25J:{tmp_path}/M269-25J/logs"
    assert plan.cwd == tmp_path  # the home that holds both modules
    assert plan.modules == ["TM351-25J", "M269-25J"]
    assert "6006" not in command and "{port}" in command


def test_code_server_has_no_auth_of_its_own_only_a_private_socket(tmp_path):
    (plan,) = plan_apps(
        [workspace(tmp_path, "TM351", {"vscode": True})],
        tmp_path,
        tmp_path / "state",
        which=installed("code-server"),
        env={"JUPYTERHUB_PUBLIC_URL": "https://hub.example.ac.uk/"},
    )
    command = plan.spec["command"]
    assert command[command.index("--auth") + 1] == "none"
    assert command[command.index("--socket-mode") + 1] == "600"
    assert command[command.index("--trusted-origins") + 1] == "hub.example.ac.uk"
    assert not any("bind-addr" in arg for arg in command)


def test_braces_in_paths_are_not_template_fields(tmp_path):
    home = tmp_path / "odd{name}"
    (plan,) = plan_apps(
        [workspace(home, "TM351", {"tensorboard": True})],
        home,
        tmp_path / "state",
        which=installed("tensorboard"),
    )
    rendered = [arg.format(port=1, unix_socket="s", base_url="/") for arg in plan.spec["command"]]
    assert str(home / "TM351-25J" / "logs") in rendered


def test_log_tail_reads_the_last_lines_only(tmp_path):
    log = tmp_path / "app.log"
    log.write_text("".join(f"line {i}\n" for i in range(10_000)))
    assert log_tail(log, lines=3) == ["line 9997", "line 9998", "line 9999"]
    assert log_tail(tmp_path / "missing.log") == []


def test_launched_app_runs_in_its_directory_logs_and_dies_with_the_server(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    log = tmp_path / "app.log"
    pid_file = tmp_path / "pid"
    # A stand-in "server" that launches an app, then is killed without a chance to stop it.
    server = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import subprocess, sys, time; subprocess.Popen(sys.argv[1:]); time.sleep(60)",
            sys.executable,
            "-m",
            "coursekit.webapps.launch",
            "--cwd",
            str(tmp_path),
            "--log",
            str(log),
            "--",
            "sh",
            "-c",
            f"pwd; echo $$ > {pid_file}; exec sleep 60",
        ]
    )
    deadline = time.monotonic() + 20
    while not (pid_file.exists() and pid_file.read_text().strip()):
        assert time.monotonic() < deadline, "the app never started"
        time.sleep(0.05)
    app_pid = int(pid_file.read_text())
    assert log.read_text().splitlines()[0] == str(tmp_path)
    server.send_signal(signal.SIGKILL)
    server.wait()
    while True:
        try:
            os.kill(app_pid, 0)
        except ProcessLookupError:
            break
        # A zombie waiting for init to reap it has stopped too.
        status = Path(f"/proc/{app_pid}/stat").read_text().split()[2]
        if status == "Z":
            break
        assert time.monotonic() < deadline + 10, "the app outlived the server"
        time.sleep(0.05)
