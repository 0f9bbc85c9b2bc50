"""Optimistic concurrency: versions as ETags, `If-Match` required for changes."""

from __future__ import annotations

import re

from customer_registry.core.errors import PreconditionFailed, PreconditionRequired

_ENTITY_TAG = re.compile(r'^(?:W/)?"(\d{1,18})"$')


def etag(version: int) -> str:
    return f'"{version}"'


def expected_version(if_match: str | None) -> int:
    """The version an `If-Match` header names: 428 without one, 412 for one that cannot match."""
    if if_match is None or not if_match.strip():
        raise PreconditionRequired(
            "Send If-Match with the ETag of the version you read, so that no change is lost."
        )
    tags = [tag.strip() for tag in if_match.split(",")]
    versions = []
    for tag in tags:
        match = _ENTITY_TAG.match(tag)
        if match is None:
            raise PreconditionFailed('If-Match must name the ETag of a version, e.g. "3".')
        versions.append(int(match.group(1)))
    if len(set(versions)) != 1:
        raise PreconditionFailed("If-Match must name exactly one version.")
    return versions[0]
