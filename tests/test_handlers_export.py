"""GET /coursekit/api/modules/{id}/download through a real server."""

from __future__ import annotations

import io
import zipfile

import pytest
from tornado.httpclient import HTTPClientError


async def download(jp_fetch, module_id):
    return await jp_fetch("coursekit", "api", "modules", module_id, "download")


async def test_download_streams_the_module_as_a_zip(jp_serverapp, jp_fetch, jp_root_dir):
    module = jp_root_dir / "TM351-25J"
    (module / "week1.ipynb").write_text('{"cells": []}')
    (module / ".coursekit").mkdir()
    (module / ".coursekit" / "record.json").write_text("{}")
    response = await download(jp_fetch, "TM351-25J")
    assert response.code == 200
    assert response.headers["Content-Type"] == "application/zip"
    assert 'filename="TM351-25J.zip"' in response.headers["Content-Disposition"]
    assert response.headers["X-Coursekit-Expected-Bytes"] == str(len('{"cells": []}'))
    with zipfile.ZipFile(io.BytesIO(response.body)) as zf:
        assert zf.namelist() == ["TM351-25J/week1.ipynb"]


async def test_download_of_a_module_not_taken_is_404(jp_fetch):
    with pytest.raises(HTTPClientError) as caught:
        await download(jp_fetch, "XX999-25J")
    assert caught.value.code == 404
    assert b"module-not-found" in caught.value.response.body


async def test_download_never_leaves_the_module_folder(jp_fetch, jp_root_dir):
    (jp_root_dir / "M269-25J" / "private.txt").write_text("other module")
    (jp_root_dir / "TM351-25J" / "link").symlink_to(
        jp_root_dir / "M269-25J", target_is_directory=True
    )
    response = await download(jp_fetch, "TM351-25J")
    with zipfile.ZipFile(io.BytesIO(response.body)) as zf:
        assert not [n for n in zf.namelist() if "private" in n]
