"""Downloads over real HTTP on the local stack: the gateway passes the 302 on, and following it (as
`curl -L` does) fetches the file from the local S3 with a `Content-Disposition` naming it."""

from __future__ import annotations

import re
from urllib.parse import unquote

import pytest
import requests

from tests.e2e.conftest import LocalStackProcess
from tests.e2e.test_local_stack_api import Client, _printed, assert_problem

CONTENT = b"First Name,E-mail Address\nAda,ada@example.com\n"
FILENAME = "Q1; Größe export.csv"


@pytest.fixture(scope="module")
def client(local_stack: LocalStackProcess) -> Client:
    return Client(local_stack.api_url, _printed(local_stack, "API key"), _printed(local_stack, "workspace"))


@pytest.fixture(scope="module")
def run(client: Client) -> dict[str, object]:
    document = client.upload(CONTENT, FILENAME)
    assert document["filename"] == FILENAME
    return client.create_run(str(document["id"]))


def test_input_download_is_a_302_that_curl_l_follows_to_the_named_file(client: Client, run: dict[str, object]) -> None:
    path = client.ws(f"/runs/{run['id']}/input/download")

    redirect = client.request("GET", path, allow_redirects=False)
    followed = client.request("GET", path)

    assert redirect.status_code == 302
    assert redirect.headers["Location"].startswith("http://127.0.0.1:")
    assert redirect.headers["X-Request-Id"]
    assert followed.status_code == 200
    assert followed.content == CONTENT
    disposition = followed.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="Q1_ Gr__e export.csv"; ')
    match = re.search(r"filename\*=UTF-8''(\S+)$", disposition)
    assert match is not None and unquote(match.group(1)) == FILENAME


def test_redirect_false_answers_a_link_to_the_same_file(client: Client, run: dict[str, object]) -> None:
    response = client.request("GET", client.ws(f"/runs/{run['id']}/input/download"), params={"redirect": "false"})

    assert response.status_code == 200
    assert requests.get(response.json()["url"], timeout=10).content == CONTENT


def test_output_download_of_a_queued_run_is_409(client: Client, run: dict[str, object]) -> None:
    response = client.request("GET", client.ws(f"/runs/{run['id']}/output/download"), allow_redirects=False)

    assert_problem(response, 409, "OUTPUT_NOT_READY")
