"""Customers: create, read, list, search, change with If-Match (R6, R7, R9, R10)."""

from __future__ import annotations

import json
import uuid

import anyio
import httpx
import pytest
from fastapi import FastAPI
from starlette.types import Message

from tests.factories import Staff, audit_events, create_customer, customer_body

pytestmark = pytest.mark.anyio


class TestCreate:
    async def test_web_shop_shape_is_stored_and_returned(
        self, client: httpx.AsyncClient, staff: Staff
    ) -> None:
        body = customer_body(phone="040 123 4567")
        response = await client.post("/api/v1/customers", json=body, headers=staff.headers)

        assert response.status_code == 201
        customer = response.json()
        assert response.headers["etag"] == '"1"'
        assert response.headers["location"] == f"/api/v1/customers/{customer['id']}"
        assert customer["phone"] == "+358401234567"
        assert customer["legal_basis"] == "contract"
        assert customer["version"] == 1
        assert customer["address"] == body["address"]
        read = await client.get(f"/api/v1/customers/{customer['id']}", headers=staff.headers)
        assert read.json() == customer

    async def test_organisation_customer(self, client: httpx.AsyncClient, staff: Staff) -> None:
        body = customer_body(
            type="company",
            organisation={"name": "Esimerkki Oy", "business_id": "0112038-9"},
            is_contact_person=True,
        )
        customer = await create_customer(client, staff.headers, body)

        assert customer["organisation"] == {"name": "Esimerkki Oy", "business_id": "0112038-9"}
        assert customer["is_contact_person"] is True

    @pytest.mark.parametrize(
        ("overrides", "location"),
        [
            ({"date_of_birth": "1990-01-01"}, ["body", "date_of_birth"]),
            ({"type": "robot"}, ["body", "type"]),
            ({"email": "not-an-email"}, ["body", "email"]),
            ({"phone": "12"}, ["body", "phone"]),
            ({"first_name": "A\u0000ino"}, ["body", "first_name"]),
            ({"first_name": "x" * 101}, ["body", "first_name"]),
            ({"language": "de"}, ["body", "language"]),
            ({"source": "cookies"}, ["body", "source"]),
            (
                {"address": {"street": "K 1", "postal_code": "123", "city": "H", "country": "FI"}},
                ["body", "address"],
            ),
            (
                {
                    "address": {
                        "street": "K 1",
                        "postal_code": "00100",
                        "city": "H",
                        "country": "XX",
                    }
                },
                ["body", "address", "country"],
            ),
            ({"type": "company"}, ["body"]),
            (
                {"organisation": {"name": "Oy", "business_id": "0112038-8"}, "type": "company"},
                ["body", "organisation", "business_id"],
            ),
            ({"organisation": {"name": "Oy"}}, ["body"]),
            (
                {"relationship_started_on": "2024-01-02", "relationship_ended_on": "2024-01-01"},
                ["body"],
            ),
        ],
    )
    async def test_invalid_input_is_rejected_with_its_location(
        self,
        client: httpx.AsyncClient,
        staff: Staff,
        overrides: dict[str, object],
        location: list[str],
    ) -> None:
        response = await client.post(
            "/api/v1/customers", json=customer_body(**overrides), headers=staff.headers
        )

        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert problem["status"] == 422
        assert any(error["loc"][: len(location)] == location for error in problem["errors"])

    async def test_invalid_input_is_not_echoed_back(
        self, client: httpx.AsyncClient, staff: Staff
    ) -> None:
        response = await client.post(
            "/api/v1/customers",
            json=customer_body(email="secret-person-at-example.fi"),
            headers=staff.headers,
        )

        assert response.status_code == 422
        assert "secret-person" not in response.text

    async def test_email_is_unique_regardless_of_case(
        self, client: httpx.AsyncClient, staff: Staff, admin: Staff
    ) -> None:
        await create_customer(client, staff.headers, customer_body(email="Aino@Example.fi"))

        again = await client.post(
            "/api/v1/customers", json=customer_body(email="aino@example.FI"), headers=staff.headers
        )

        assert again.status_code == 409
        assert again.json()["detail"] == "Another customer has this e-mail address."
        assert "aino" not in again.text.lower()
        # The refused creation left nothing: one customer, one creation in the audit.
        created = await audit_events(client, admin.headers, action="create", actor_id=staff.id)
        assert [event["entity"] for event in created] == ["customer"]
        after = await client.post(
            "/api/v1/customers",
            json=customer_body(email="toinen@example.fi"),
            headers=staff.headers,
        )
        assert after.status_code == 201

    async def test_concurrent_creations_with_one_email_make_one_customer(
        self, client: httpx.AsyncClient, staff: Staff
    ) -> None:
        statuses: list[int] = []

        async def create(number: int) -> None:
            body = customer_body(email="Kilpa@Example.fi" if number % 2 else "kilpa@example.FI")
            response = await client.post("/api/v1/customers", json=body, headers=staff.headers)
            statuses.append(response.status_code)

        async with anyio.create_task_group() as group:
            for number in range(6):
                group.start_soon(create, number)

        # The unique index decides, in the INSERT itself: 409, never 500.
        assert sorted(statuses) == [201, 409, 409, 409, 409, 409]
        listed = await client.get(
            "/api/v1/customers", params={"email": "kilpa@example.fi"}, headers=staff.headers
        )
        assert len(listed.json()["items"]) == 1


class TestCreationRequests:
    """Every form of a creation request is answered as FastAPI answers an endpoint's."""

    async def test_json_with_a_charset_creates(
        self, client: httpx.AsyncClient, staff: Staff
    ) -> None:
        response = await client.post(
            "/api/v1/customers",
            content=json.dumps(customer_body(first_name="Äyräpää")).encode(),
            headers={**staff.headers, "content-type": "Application/JSON; charset=utf-8"},
        )

        assert response.status_code == 201, response.text
        assert response.json()["first_name"] == "Äyräpää"

    @pytest.mark.parametrize(
        ("content", "content_type", "location"),
        [
            (None, "application/json", ["body"]),
            (b"[]", "application/json", ["body"]),
            (b'{"type": "private_person"', "application/json", ["body", 25]),
            (b"\xff\xfe{}", "application/json", ["body", 0]),
            (json.dumps(customer_body()).encode(), "text/plain", ["body"]),
            (json.dumps(customer_body()).encode(), None, ["body"]),
        ],
    )
    async def test_bodies_that_are_not_a_customer_are_422_naming_the_body(
        self,
        client: httpx.AsyncClient,
        staff: Staff,
        content: bytes | None,
        content_type: str | None,
        location: list[object],
    ) -> None:
        headers = dict(staff.headers)
        if content_type is not None:
            headers["content-type"] = content_type
        response = await client.post("/api/v1/customers", content=content, headers=headers)

        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert [error["loc"] for error in response.json()["errors"]][:1] == [location]

    @pytest.mark.parametrize("path", ["/api/v1/customers", "/api/v1/customers/lookup"])
    async def test_a_body_the_client_never_sent_is_refused_as_by_any_route(
        self, app: FastAPI, staff: Staff, path: str
    ) -> None:
        # The client goes away before its body arrives. The creation answers as the lookup,
        # which FastAPI serves as usual.
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": [
                (b"content-type", b"application/json"),
                *((name.lower().encode(), value.encode()) for name, value in staff.headers.items()),
            ],
            "client": ("127.0.0.1", 50000),
            "server": ("registry.test", 80),
        }
        sent: list[Message] = []

        async def receive() -> Message:
            return {"type": "http.disconnect"}

        async def send(message: Message) -> None:
            sent.append(message)

        await app(scope, receive, send)

        assert sent[0]["status"] == 422
        problem = json.loads(sent[1]["body"])
        assert [error["type"] for error in problem["errors"]] == ["body_invalid"]

    @pytest.mark.parametrize("body", [customer_body(), {"type": "robot"}])
    async def test_the_caller_is_checked_before_the_body(
        self, client: httpx.AsyncClient, body: dict[str, object]
    ) -> None:
        response = await client.post("/api/v1/customers", json=body)

        assert response.status_code == 401

    @pytest.mark.parametrize("key", ["with space", "", "k" * 256, "ä"])
    async def test_an_idempotency_key_of_another_form_is_422_and_creates_nothing(
        self, client: httpx.AsyncClient, staff: Staff, admin: Staff, key: str
    ) -> None:
        response = await client.post(
            "/api/v1/customers",
            content=json.dumps(customer_body(email="avain@example.fi")).encode(),
            headers={
                **staff.headers,
                "content-type": "application/json",
                "idempotency-key": key.encode(),
            },
        )

        assert response.status_code == 422, response.text
        locations = [error["loc"] for error in response.json()["errors"]]
        assert locations == [["header", "Idempotency-Key"]]
        created = await audit_events(client, admin.headers, action="create")
        assert [event for event in created if event["entity"] == "customer"] == []

    async def test_the_longest_idempotency_key_is_admitted(
        self, client: httpx.AsyncClient, staff: Staff
    ) -> None:
        headers, body = {**staff.headers, "idempotency-key": "k" * 255}, customer_body()
        first = await client.post("/api/v1/customers", json=body, headers=headers)
        again = await client.post("/api/v1/customers", json=body, headers=headers)

        assert (first.status_code, again.status_code) == (201, 201)
        assert again.json()["id"] == first.json()["id"]
        assert again.headers["idempotent-replayed"] == "true"


class TestRead:
    async def test_unknown_customer(self, client: httpx.AsyncClient, staff: Staff) -> None:
        response = await client.get(f"/api/v1/customers/{uuid.uuid4()}", headers=staff.headers)

        assert response.status_code == 404
        assert response.json()["type"].endswith("/not-found")

    async def test_concurrent_reads_each_answer_their_own_customer(
        self, client: httpx.AsyncClient, staff: Staff, admin: Staff
    ) -> None:
        # Requests take over the sessions and connections of requests that ended: none may
        # answer with, or audit, another request's customer, whatever came before it.
        ids = [
            (await create_customer(client, staff.headers, customer_body()))["id"] for _ in range(4)
        ]
        unknown = str(uuid.uuid4())
        targets = [*ids, unknown, "not-an-id"] * 6
        responses: dict[int, httpx.Response] = {}

        async def read(index: int, target: str) -> None:
            responses[index] = await client.get(
                f"/api/v1/customers/{target}", headers=staff.headers
            )

        async with anyio.create_task_group() as group:
            for index, target in enumerate(targets):
                group.start_soon(read, index, target)

        for index, target in enumerate(targets):
            response = responses[index]
            if target == unknown:
                assert response.status_code == 404
            elif target == "not-an-id":
                assert response.status_code == 422
            else:
                assert response.status_code == 200
                assert response.json()["id"] == target
        for customer_id in ids:
            reads = await audit_events(
                client, admin.headers, action="read", customer_id=customer_id
            )
            assert len(reads) == 6
            assert {event["actor_id"] for event in reads} == {staff.id}

    async def test_malformed_id(self, client: httpx.AsyncClient, staff: Staff) -> None:
        response = await client.get("/api/v1/customers/kerttu-123", headers=staff.headers)

        assert response.status_code == 422
        problem = response.json()
        assert response.headers["content-type"] == "application/problem+json"
        assert [(error["loc"], error["type"]) for error in problem["errors"]] == [
            (["path", "customer_id"], "uuid_parsing")
        ]
        assert "kerttu" not in response.text

    async def test_every_invalid_parameter_is_reported_at_once(
        self, client: httpx.AsyncClient, staff: Staff
    ) -> None:
        response = await client.get(
            "/api/v1/customers/not-an-id", params={"purpose": "curiosity"}, headers=staff.headers
        )

        assert response.status_code == 422
        assert [error["loc"] for error in response.json()["errors"]] == [
            ["path", "customer_id"],
            ["query", "purpose"],
        ]
        assert "curiosity" not in response.text

    async def test_credentials_are_checked_before_parameters(
        self, client: httpx.AsyncClient, staff: Staff
    ) -> None:
        anonymous = await client.get("/api/v1/customers/not-an-id")
        wrong = await client.get(
            "/api/v1/customers/not-an-id", headers={"Authorization": "Bearer not-a-token"}
        )
        api_key = await client.get("/api/v1/customers/not-an-id", headers={"X-API-Key": "crk_x"})

        assert [anonymous.status_code, wrong.status_code, api_key.status_code] == [401, 401, 401]
        assert anonymous.headers["content-type"] == "application/problem+json"

    async def test_read_answers_with_etag_and_request_id(
        self, client: httpx.AsyncClient, staff: Staff
    ) -> None:
        created = await create_customer(client, staff.headers, customer_body())

        response = await client.get(
            f"/api/v1/customers/{created['id']}",
            headers={**staff.headers, "X-Request-ID": "read-1"},
        )

        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        assert response.headers["etag"] == '"1"'
        assert response.headers["x-request-id"] == "read-1"
        assert response.json() == created

    async def test_other_methods_on_a_customer_are_not_allowed(
        self, client: httpx.AsyncClient, staff: Staff
    ) -> None:
        created = await create_customer(client, staff.headers, customer_body())

        response = await client.put(f"/api/v1/customers/{created['id']}", headers=staff.headers)

        assert response.status_code == 405
        assert response.headers["allow"] == "GET, PATCH"

    @pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE", "OPTIONS"])
    async def test_the_lookup_is_never_taken_for_an_id(
        self, client: httpx.AsyncClient, staff: Staff, method: str
    ) -> None:
        response = await client.request(method, "/api/v1/customers/lookup", headers=staff.headers)

        assert response.status_code == 405
        assert response.headers["allow"] == "POST"


class TestList:
    async def test_pages_through_every_customer_once(
        self, client: httpx.AsyncClient, staff: Staff
    ) -> None:
        created = {
            (await create_customer(client, staff.headers, customer_body()))["id"] for _ in range(5)
        }
        seen: list[str] = []
        params: dict[str, str | int] = {"limit": 2}
        while True:
            page = (
                await client.get("/api/v1/customers", params=params, headers=staff.headers)
            ).json()
            assert len(page["items"]) <= 2
            seen.extend(item["id"] for item in page["items"])
            if page["next_cursor"] is None:
                break
            params["cursor"] = page["next_cursor"]

        assert sorted(seen) == sorted(created)

    @pytest.mark.parametrize("limit", [0, -1, 201, "many"])
    async def test_limit_bounds(
        self, client: httpx.AsyncClient, staff: Staff, limit: object
    ) -> None:
        response = await client.get(
            "/api/v1/customers", params={"limit": str(limit)}, headers=staff.headers
        )

        assert response.status_code == 422

    async def test_invalid_parameters_are_reported_together_after_the_credentials(
        self, client: httpx.AsyncClient, staff: Staff
    ) -> None:
        params = {"q": "", "type": "robot", "cursor": "not a cursor", "limit": "0"}

        anonymous = await client.get("/api/v1/customers", params=params)
        response = await client.get("/api/v1/customers", params=params, headers=staff.headers)

        assert anonymous.status_code == 401
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        assert [(error["loc"], error["type"]) for error in response.json()["errors"]] == [
            (["query", "q"], "string_too_short"),
            (["query", "type"], "enum"),
            (["query", "cursor"], "string_pattern_mismatch"),
            (["query", "limit"], "greater_than_equal"),
        ]

    async def test_limit_200_is_allowed(self, client: httpx.AsyncClient, staff: Staff) -> None:
        response = await client.get(
            "/api/v1/customers", params={"limit": 200}, headers=staff.headers
        )

        assert response.status_code == 200

    async def test_forged_cursor_is_rejected(self, client: httpx.AsyncClient, staff: Staff) -> None:
        for cursor in ("not-a-cursor", "WyJ4Il0", "W10"):
            response = await client.get(
                "/api/v1/customers", params={"cursor": cursor}, headers=staff.headers
            )
            assert response.status_code == 422

    async def test_search_by_name_email_and_organisation_and_filter_by_type(
        self, client: httpx.AsyncClient, staff: Staff
    ) -> None:
        aino = await create_customer(
            client, staff.headers, customer_body(first_name="Aino", last_name="Aaltonen")
        )
        company = await create_customer(
            client,
            staff.headers,
            customer_body(
                type="company",
                first_name="Pekka",
                last_name="Puupää",
                email="pekka@puutarha.example",
                organisation={"name": "Puutarha Oy", "business_id": None},
            ),
        )

        async def search(**params: str) -> list[str]:
            response = await client.get("/api/v1/customers", params=params, headers=staff.headers)
            assert response.status_code == 200
            return [item["id"] for item in response.json()["items"]]

        assert await search(q="aalto") == [aino["id"]]
        assert await search(q="PUUTARHA") == [company["id"]]
        assert await search(q="pekka@") == [company["id"]]
        assert await search(type="company") == [company["id"]]
        assert await search(email="PEKKA@puutarha.example") == [company["id"]]
        assert await search(q="%") == []
        assert await search(q="_") == []
        assert await search(q="/") == []
        assert await search(q="p_kka") == []
        assert await search(q="nobody") == []


class TestUpdate:
    async def test_patch_with_current_version(
        self, client: httpx.AsyncClient, staff: Staff
    ) -> None:
        customer = await create_customer(client, staff.headers, customer_body())

        response = await client.patch(
            f"/api/v1/customers/{customer['id']}",
            json={"last_name": "Korhonen", "phone": None, "source": "customer_notice"},
            headers={**staff.headers, "If-Match": '"1"'},
        )

        assert response.status_code == 200
        changed = response.json()
        assert response.headers["etag"] == '"2"'
        assert changed["last_name"] == "Korhonen"
        assert changed["phone"] is None
        assert changed["source"] == "customer_notice"
        assert changed["first_name"] == customer["first_name"]
        assert changed["version"] == 2

    async def test_missing_if_match_is_428_and_stale_is_412(
        self, client: httpx.AsyncClient, staff: Staff
    ) -> None:
        customer = await create_customer(client, staff.headers, customer_body())
        path = f"/api/v1/customers/{customer['id']}"

        missing = await client.patch(path, json={"last_name": "B"}, headers=staff.headers)
        first = await client.patch(
            path, json={"last_name": "B"}, headers={**staff.headers, "If-Match": '"1"'}
        )
        stale = await client.patch(
            path, json={"last_name": "C"}, headers={**staff.headers, "If-Match": '"1"'}
        )

        assert missing.status_code == 428
        assert first.status_code == 200
        assert stale.status_code == 412
        assert (await client.get(path, headers=staff.headers)).json()["last_name"] == "B"

    async def test_concurrent_patches_with_one_version_exactly_one_wins(
        self, client: httpx.AsyncClient, staff: Staff
    ) -> None:
        customer = await create_customer(client, staff.headers, customer_body())
        path = f"/api/v1/customers/{customer['id']}"
        statuses: list[int] = []

        async def patch(name: str) -> None:
            response = await client.patch(
                path, json={"last_name": name}, headers={**staff.headers, "If-Match": '"1"'}
            )
            statuses.append(response.status_code)

        async with anyio.create_task_group() as group:
            for name in ("Left", "Right", "Middle"):
                group.start_soon(patch, name)

        assert sorted(statuses) == [200, 412, 412]
        assert (await client.get(path, headers=staff.headers)).json()["version"] == 2

    @pytest.mark.parametrize(
        "patch",
        [
            {"first_name": None},
            {"nickname": "Ainoliini"},
            {"organisation": {"name": "Oy"}},
            {"relationship_ended_on": "1999-01-01"},
        ],
    )
    async def test_invalid_changes_are_rejected(
        self, client: httpx.AsyncClient, staff: Staff, patch: dict[str, object]
    ) -> None:
        customer = await create_customer(client, staff.headers, customer_body())

        response = await client.patch(
            f"/api/v1/customers/{customer['id']}",
            json=patch,
            headers={**staff.headers, "If-Match": '"1"'},
        )

        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"

    async def test_email_taken_by_another_customer(
        self, client: httpx.AsyncClient, staff: Staff
    ) -> None:
        first = await create_customer(client, staff.headers, customer_body())
        second = await create_customer(client, staff.headers, customer_body())

        response = await client.patch(
            f"/api/v1/customers/{second['id']}",
            json={"email": str(first["email"]).upper()},
            headers={**staff.headers, "If-Match": '"1"'},
        )

        assert response.status_code == 409

    async def test_no_delete_endpoint(self, client: httpx.AsyncClient, staff: Staff) -> None:
        customer = await create_customer(client, staff.headers, customer_body())

        response = await client.delete(f"/api/v1/customers/{customer['id']}", headers=staff.headers)

        assert response.status_code == 405
