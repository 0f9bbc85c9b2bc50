"""Response models built from stored values without validating them again."""

from __future__ import annotations

import httpx
import pytest
from pydantic import BaseModel, PrivateAttr

from customer_registry.core.trusted import trusted
from customer_registry.customers.schemas import Address, CustomerRead
from tests.factories import Staff, create_customer, customer_body

pytestmark = pytest.mark.anyio


async def test_read_and_search_answers_are_valid_response_models(
    client: httpx.AsyncClient, staff: Staff
) -> None:
    """Customers built with `trusted` serialise to what validating them would give."""
    organisation = {"name": "Osuuskunta Esimerkki", "business_id": "1234567-1"}
    created = await create_customer(
        client, staff.headers, customer_body(type="company", organisation=organisation)
    )

    read = await client.get(f"/api/v1/customers/{created['id']}", headers=staff.headers)
    found = await client.get("/api/v1/customers", params={"q": "Virtanen"}, headers=staff.headers)

    for answer in (read.json(), *found.json()["items"]):
        validated = CustomerRead.model_validate(answer)
        assert validated.model_dump(mode="json") == answer
    assert read.json() == created
    assert read.json()["organisation"] == organisation
    assert read.json()["address"]["city"] == customer_body()["address"]["city"]


def test_the_same_instance_as_model_construct() -> None:
    values = {"street": "Esimerkkikatu 1", "postal_code": "00100", "city": "Helsinki"}
    values["country"] = "FI"

    built = trusted(Address, dict(values))

    assert built == Address.model_construct(**values)
    assert built.model_fields_set == set(values)
    assert built.model_dump_json() == Address.model_construct(**values).model_dump_json()


@pytest.mark.parametrize(
    "values",
    [
        {"street": "Esimerkkikatu 1", "postal_code": "00100", "city": "Helsinki"},
        {"street": "K 1", "postal_code": "00100", "city": "Hki", "country": "FI", "extra": 1},
    ],
)
def test_every_field_and_no_other(values: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="takes exactly the fields"):
        trusted(Address, values)


def test_models_that_construction_would_change_are_refused() -> None:
    class WithPrivateState(BaseModel):
        name: str
        _seen: int = PrivateAttr(default=0)

    with pytest.raises(TypeError, match="needs model_construct"):
        trusted(WithPrivateState, {"name": "x"})
