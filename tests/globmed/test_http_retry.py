"""The shared retry policy: what is retried, what is not, and what is reported when giving up (async and sync)."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from globmed.http_retry import NotRetried, RetriesExhausted, RetryPolicy, open_with_retries, send_with_retries

FAST = RetryPolicy(max_retries=3, backoff_base_s=0.001, backoff_max_s=0.01)


def scripted(responses: list, seen: list) -> httpx.MockTransport:
    """A transport answering with `responses` in turn (an exception is raised), recording requests in `seen`."""

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        answer = responses[len(seen) - 1]
        if isinstance(answer, Exception):
            raise answer
        return answer

    return httpx.MockTransport(handler)


def run(responses: list, parse=lambda r: r.json()["ok"]):
    """Send through a transport that answers with `responses` in turn; return (result, attempts, requests)."""
    seen = []

    async def go():
        async with httpx.AsyncClient(transport=scripted(responses, seen), base_url="http://127.0.0.1") as client:
            return await send_with_retries(lambda: client.post("/x", json={}), parse, FAST, timeout_s=2)

    return (*asyncio.run(go()), len(seen))


def test_retries_5xx_429_and_transport_errors_then_succeeds():
    responses = [httpx.Response(500), httpx.Response(429, headers={"retry-after": "0"}),
                 httpx.ConnectError("refused"), httpx.Response(200, json={"ok": 7})]
    assert run(responses) == (7, 4, 4)


def test_client_errors_are_not_retried():
    with pytest.raises(NotRetried, match="HTTP 401"):
        run([httpx.Response(401, text="bad key"), httpx.Response(200, json={"ok": 1})])


def test_gives_up_with_the_last_reason():
    responses = [httpx.Response(503), httpx.ReadTimeout("slow"), httpx.Response(200, json={"other": 1}),
                 httpx.Response(200, text="not json")]
    with pytest.raises(RetriesExhausted) as info:
        run(responses)
    assert info.value.attempts == 4
    assert info.value.reason == "HTTP 200 with a body that is not the expected response"


def test_delay_honours_retry_after_and_caps_backoff():
    policy = RetryPolicy(max_retries=5, backoff_base_s=1.0, backoff_max_s=4.0)
    assert policy.delay(0, "2.5") == 2.5
    assert policy.delay(0, "600") == 4.0
    assert all(0 <= policy.delay(10) <= 4.0 for _ in range(50))
    assert all(0 <= policy.delay(0, "Wed, 21 Oct 2026 07:28:00 GMT") <= 1.0 for _ in range(50))


def test_opening_a_stream_is_retried_until_the_status_is_good():
    """The sync loop behind streamed chat: failed openings are read (for the message), closed, and retried."""
    answers = [httpx.ConnectError("refused"), httpx.Response(503, text="warming up"), httpx.Response(200, text="ok")]
    seen = []
    with httpx.Client(transport=scripted(answers, seen), base_url="http://127.0.0.1") as client:
        request = client.build_request("POST", "/x", json={})
        response = open_with_retries(lambda: client.send(request, stream=True), FAST, timeout_s=2)
        assert response.status_code == 200 and response.read() == b"ok" and len(seen) == 3
        answers[:] = [httpx.Response(503, text="still warming") for _ in range(4)]
        seen.clear()
        with pytest.raises(RetriesExhausted) as info:
            open_with_retries(lambda: client.send(request, stream=True), FAST, timeout_s=2)
        assert (info.value.reason, info.value.attempts, info.value.text) == ("HTTP 503", 4, "still warming")
        answers[:] = [httpx.Response(404, text="no route")]
        seen.clear()
        with pytest.raises(NotRetried, match="HTTP 404: 'no route'"):
            open_with_retries(lambda: client.send(request, stream=True), FAST)
