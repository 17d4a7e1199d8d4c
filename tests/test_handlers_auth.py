"""Every coursekit route refuses a request that carries no credentials, and one that is
authenticated but not authorized."""

from __future__ import annotations

import re

import pytest
from jupyter_server.auth.authorizer import Authorizer
from tornado.httpclient import HTTPClientError
from tornado.web import RequestHandler

from coursekit.handlers import route_table


class _App:
    modules = seeding = None

    def __getattr__(self, name):  # any service a future route asks for
        return None


def concrete_urls() -> list[tuple[str, str]]:
    """(method, url) for every route and every verb its handler defines."""
    urls = []
    for pattern, handler, *_ in route_table(_App()):
        url = pattern.replace("(?P<module_id>[A-Za-z0-9_]+-[A-Za-z0-9_]+)", "TM351-25J")
        url = url.replace(r"(?P<name>[a-z]+\.[a-z]+)", "logo.svg")
        url = re.sub(r"\(\?P<assignment>[^)]*\)", "ps1", url)
        url = re.sub(r"\(\?P<action>[^)]*\)", "submit", url)
        assert "(" not in url, f"add a sample value for {pattern}"
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
            if getattr(handler, method.lower()) is not getattr(RequestHandler, method.lower()):
                urls.append((method, url))
    return urls


ROUTES = concrete_urls()


def test_the_route_table_is_not_empty():
    assert ("GET", "/coursekit/api/modules") in ROUTES


@pytest.mark.parametrize(("method", "url"), ROUTES)
async def test_route_needs_authentication(jp_fetch, method, url):
    body = b"{}" if method in ("POST", "PUT", "PATCH") else None
    with pytest.raises(HTTPClientError) as caught:
        await jp_fetch(
            *url.strip("/").split("/"), method=method, body=body, headers={"Authorization": ""}
        )
    assert caught.value.code in (401, 403)


class DenyCourseKit(Authorizer):
    def is_authorized(self, handler, user, action, resource):
        return resource != "coursekit"


@pytest.fixture
def jp_server_config(jp_server_config):
    # Everything in this file runs with an authorizer that grants all but coursekit, so a
    # 403 proves the routes ask for the "coursekit" resource, not that the server is shut.
    return {
        **jp_server_config,
        "ServerApp": {**jp_server_config["ServerApp"], "authorizer_class": DenyCourseKit},
    }


async def test_other_resources_still_pass_the_authorizer(jp_fetch):
    assert (await jp_fetch("api", "contents")).code == 200


@pytest.mark.parametrize(("method", "url"), ROUTES)
async def test_route_needs_authorization(jp_fetch, method, url):
    body = b"{}" if method in ("POST", "PUT", "PATCH") else None
    with pytest.raises(HTTPClientError) as caught:
        await jp_fetch(*url.strip("/").split("/"), method=method, body=body)
    assert caught.value.code == 403


def test_no_coursekit_route_is_reported_as_unauthenticated(jp_configurable_serverapp, course_dir):
    """jupyter_server warns about extension routes that skip authentication; none is ours."""
    import warnings

    from jupyter_server.utils import JupyterServerAuthWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        jp_configurable_serverapp(
            jpserver_extensions={"coursekit": True},
            config={
                "ServerApp": {"allow_unauthenticated_access": False},
                "CourseKit": {"manifest_paths": [str(course_dir)]},
            },
        )
    auth_warnings = [
        str(w.message) for w in caught if issubclass(w.category, JupyterServerAuthWarning)
    ]
    assert not [w for w in auth_warnings if "coursekit" in w.lower()], auth_warnings
