"""The nbgrader plugin wiring and the archive helpers, without a hub (the whole cycle
through a real hub is tests/test_exchange_hub.py)."""

from __future__ import annotations

import io
import tarfile

import pytest
from nbgrader.exchange import ExchangeFactory, default
from traitlets.config import Config

from coursekit.errors import CourseKitError
from coursekit.exchange import nbgrader_plugins
from coursekit.exchange.client import ExchangeClient, ExchangeNotConfigured, pack, unpack


def test_nbgraders_filesystem_exchange_stays_the_default():
    factory = ExchangeFactory(config=Config())
    assert factory.submit is default.ExchangeSubmit
    assert factory.collect is default.ExchangeCollect


def test_use_coursekit_exchange_replaces_every_plugin():
    config = Config()
    nbgrader_plugins.use_coursekit_exchange(config)
    factory = ExchangeFactory(config=config)
    for trait, name in nbgrader_plugins.PLUGINS.items():
        assert getattr(factory, trait) is getattr(nbgrader_plugins, name), trait


def plugin_built_by_nbgrader(config: Config, tmp_path) -> object:
    """The fetch plugin as nbgrader's apps build it: through the factory, with its parts."""
    from nbgrader.auth import Authenticator
    from nbgrader.coursedir import CourseDirectory

    config.CourseDirectory.root = str(tmp_path)
    factory = ExchangeFactory(config=config)
    return factory.FetchAssignment(
        coursedir=CourseDirectory(config=config),
        authenticator=Authenticator(config=config),
        config=config,
    )


def test_without_an_exchange_service_the_plugins_hand_over_to_nbgraders_own(tmp_path, monkeypatch):
    monkeypatch.delenv("COURSEKIT_EXCHANGE_URL", raising=False)
    config = Config()
    nbgrader_plugins.use_coursekit_exchange(config)  # as an image's nbgrader_config.json does
    assert type(plugin_built_by_nbgrader(config, tmp_path)) is default.ExchangeFetchAssignment

    monkeypatch.setenv("COURSEKIT_EXCHANGE_URL", "http://hub:8090/services/coursekit-exchange/")
    on_a_hub = plugin_built_by_nbgrader(config, tmp_path)
    assert type(on_a_hub) is nbgrader_plugins.ExchangeFetchAssignment
    assert on_a_hub.service_url == "http://hub:8090/services/coursekit-exchange/"

    monkeypatch.delenv("COURSEKIT_EXCHANGE_URL")
    config.Exchange.service_url = "http://127.0.0.1:8790/services/coursekit-exchange/"
    configured = plugin_built_by_nbgrader(config, tmp_path)
    assert type(configured) is nbgrader_plugins.ExchangeFetchAssignment


def test_pack_and_unpack_keep_files_and_drop_links(tmp_path):
    source = tmp_path / "ps1"
    (source / "data").mkdir(parents=True)
    (source / "problem1.ipynb").write_text("{}")
    (source / "data" / "x.csv").write_text("a\n")
    (source / "secret").symlink_to("/etc/passwd")
    (source / ".ipynb_checkpoints").mkdir()
    archive = pack(source, ignore=lambda d, names: [n for n in names if n.startswith(".")])
    names = unpack(archive, tmp_path / "out")
    assert sorted(names) == ["data/x.csv", "problem1.ipynb"]
    assert (tmp_path / "out" / "data" / "x.csv").read_text() == "a\n"


def test_unpack_refuses_members_outside_the_destination(tmp_path):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        info = tarfile.TarInfo("../escaped.txt")
        info.size = 1
        tar.addfile(info, io.BytesIO(b"x"))
    with pytest.raises(tarfile.OutsideDestinationError):
        unpack(buffer.getvalue(), tmp_path / "out")
    assert not (tmp_path / "escaped.txt").exists()


def test_a_server_without_an_exchange_says_so():
    with pytest.raises(ExchangeNotConfigured):
        ExchangeClient("", "token")
    with pytest.raises(ExchangeNotConfigured):
        ExchangeClient("http://127.0.0.1:1/services/x/", "")


def test_an_unreachable_exchange_is_a_clear_error():
    client = ExchangeClient("http://127.0.0.1:9/services/coursekit-exchange/", "t", timeout=5)
    with pytest.raises(CourseKitError) as raised:
        client.releases("TM351-25J")
    assert raised.value.code == "exchange-unavailable"
    assert "cannot be reached" in raised.value.message
