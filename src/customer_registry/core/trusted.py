"""Response models built from values the registry itself stored and already checked."""

from __future__ import annotations

import functools
from typing import Any, TypeVar

from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)


def trusted(model: type[M], values: dict[str, Any]) -> M:
    """An instance of `model` holding `values`, unvalidated (as `model_construct`); a missing
    or unknown field is a `ValueError`."""
    fields = _field_names(model)
    if values.keys() != fields:
        raise ValueError(f"{model.__name__} takes exactly the fields {sorted(fields)}")
    instance = model.__new__(model)
    object.__setattr__(instance, "__dict__", values)
    object.__setattr__(instance, "__pydantic_fields_set__", set(fields))
    object.__setattr__(instance, "__pydantic_extra__", None)
    object.__setattr__(instance, "__pydantic_private__", None)
    return instance


@functools.cache
def _field_names(model: type[BaseModel]) -> frozenset[str]:
    """The model's fields, once it is known to be built by `trusted` as by `model_construct`."""
    if (
        model.__pydantic_root_model__
        or model.__pydantic_post_init__
        or model.__private_attributes__
        or model.model_config.get("extra") == "allow"
    ):
        raise TypeError(f"{model.__name__} needs model_construct")
    return frozenset(model.model_fields)
