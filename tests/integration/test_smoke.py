from tests.integration.conftest import Api, make_csv_upload


def test_create_get_list_cancel_run(api: Api) -> None:
    document_id = make_csv_upload(api)
    created = api.call("POST", api.ws("/runs"), json_body={"inputDocumentId": document_id})
    assert created.status == 201, created.body
    run = created.json()
    assert run["status"] == "queued"
    assert created.headers["Location"] == run["links"]["self"]
    got = api.call("GET", api.ws(f"/runs/{run['id']}"))
    assert got.status == 200
    again = api.call("GET", api.ws(f"/runs/{run['id']}"), headers={"If-None-Match": got.headers["ETag"]})
    assert again.status == 304
    listed = api.call("GET", api.ws("/runs"))
    assert [item["id"] for item in listed.json()["items"]] == [run["id"]]
    cancelled = api.call("POST", api.ws(f"/runs/{run['id']}/cancel"))
    assert cancelled.status == 200, cancelled.body
    assert cancelled.json()["status"] == "cancelled"
