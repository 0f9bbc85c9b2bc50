"""Clients of one request at a time: the finance partner paging through the invoice feed
(S5), and downloading a streamed export (S6). Both run in the benchmark's own process."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import httpx

from bench.load import LoadResult
from bench.loadgen import percentile

FEED_PATH = "/api/v1/billing/invoices"
PAGE_SIZE = 200  # the most a page may hold


@dataclass
class FeedPass:
    """One pass through the invoice feed: what came back and what it should have audited."""

    pages: int = 0
    rows: int = 0
    errors: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    # One read event per order and one per customer on a page; one disclosure per customer.
    audit_expected: int = 0
    disclosures_expected: int = 0
    customers: set[str] = field(default_factory=set)

    def result(self) -> LoadResult:
        ordered = sorted(self.latencies)
        return LoadResult(
            name="pages",
            requests=self.pages + self.errors,
            successes=self.pages,
            errors=self.errors,
            seconds=self.seconds,
            p50_ms=1000 * percentile(ordered, 50),
            p99_ms=1000 * percentile(ordered, 99),
            audit_expected=self.audit_expected,
        )


def page_through(base_url: str, headers: dict[str, str], max_pages: int | None = None) -> FeedPass:
    """Follow `next_cursor` from the start until `has_more` is false (or `max_pages`)."""
    feed = FeedPass()
    cursor: str | None = None
    with httpx.Client(base_url=base_url, headers=headers, timeout=60) as client:
        started = time.perf_counter()
        while max_pages is None or feed.pages < max_pages:
            parameters = {"limit": str(PAGE_SIZE), **({"cursor": cursor} if cursor else {})}
            sent = time.perf_counter()
            response = client.get(FEED_PATH, params=parameters)
            feed.latencies.append(time.perf_counter() - sent)
            if response.status_code != 200:
                # Without the page's cursor the pass cannot go on.
                feed.errors += 1
                break
            page = response.json()
            customers = {item["customer"]["id"] for item in page["items"]}
            feed.pages += 1
            feed.rows += len(page["items"])
            feed.audit_expected += len(page["items"]) + len(customers)
            feed.disclosures_expected += len(customers)
            feed.customers |= customers
            cursor = page["next_cursor"]
            if not page["has_more"]:
                break
        feed.seconds = time.perf_counter() - started
    return feed


@dataclass(frozen=True)
class Download:
    status: int
    body: bytes
    seconds: float
    first_byte_seconds: float


def download(base_url: str, path: str, headers: dict[str, str]) -> Download:
    """Fetch a streamed response whole, timing it to the last byte."""
    chunks: list[bytes] = []
    with httpx.Client(base_url=base_url, headers=headers, timeout=600) as client:
        started = time.perf_counter()
        first_byte = 0.0
        with client.stream("GET", path) as response:
            for chunk in response.iter_bytes():
                if not chunks:
                    first_byte = time.perf_counter() - started
                chunks.append(chunk)
        seconds = time.perf_counter() - started
    return Download(response.status_code, b"".join(chunks), seconds, first_byte)
