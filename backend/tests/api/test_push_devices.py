"""A signed-in user's push devices: register (again: refresh), list, remove."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.crud import push_device as push_device_crud
from tests.factories import auth_headers, make_consumer
from tests.utils import assert_error

DEVICES = "/api/v1/users/me/push-devices"
TOKEN = "fcm:APA91bH-example_token.1234567890"


def test_register_list_refresh_and_remove(client: TestClient, session: Session) -> None:
    user = make_consumer(session)
    headers = auth_headers(user)
    response = client.put(f"{DEVICES}/{TOKEN}", json={"platform": "android"}, headers=headers)
    assert response.status_code == 200, response.text
    first = response.json()
    assert (first["token"], first["platform"]) == (TOKEN, "android")
    again = client.put(f"{DEVICES}/{TOKEN}", json={"platform": "ios"}, headers=headers).json()
    assert again["platform"] == "ios"
    assert again["created_at"] == first["created_at"]
    listed = client.get(DEVICES, headers=headers).json()
    assert [d["token"] for d in listed] == [TOKEN]
    assert client.delete(f"{DEVICES}/{TOKEN}", headers=headers).status_code == 204
    assert client.get(DEVICES, headers=headers).json() == []
    assert_error(client.delete(f"{DEVICES}/{TOKEN}", headers=headers), 404, "not_found")


def test_a_token_moves_to_whoever_registers_it_last(client: TestClient, session: Session) -> None:
    first, second = make_consumer(session), make_consumer(session)
    client.put(f"{DEVICES}/{TOKEN}", json={"platform": "android"}, headers=auth_headers(first))
    client.put(f"{DEVICES}/{TOKEN}", json={"platform": "android"}, headers=auth_headers(second))
    assert push_device_crud.tokens_of(session, user_id=first.id) == []
    assert push_device_crud.tokens_of(session, user_id=second.id) == [TOKEN]
    # Not the first user's any more: removing it is a 404 for them.
    assert_error(client.delete(f"{DEVICES}/{TOKEN}", headers=auth_headers(first)), 404)


def test_bad_input_and_anonymous_callers(client: TestClient, session: Session) -> None:
    headers = auth_headers(make_consumer(session))
    assert_error(client.put(f"{DEVICES}/{TOKEN}", json={"platform": "nokia"}, headers=headers), 422)
    assert_error(client.put(f"{DEVICES}/{TOKEN}", json={}, headers=headers), 422)
    assert_error(client.put(f"{DEVICES}/short", json={"platform": "ios"}, headers=headers), 422)
    assert_error(
        client.put(f"{DEVICES}/bad%20token!", json={"platform": "ios"}, headers=headers), 422
    )
    assert_error(client.put(f"{DEVICES}/{TOKEN}", json={"platform": "ios"}), 401)
    assert_error(client.get(DEVICES), 401)
    assert_error(client.delete(f"{DEVICES}/{TOKEN}"), 401)
