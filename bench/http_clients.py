"""A provider call's client CPU: the workers' threads with urllib3 against one event loop.

Issue 15 suggests running a worker's debates on one event loop "with the SDKs' async clients"
rather than one thread per debate. This measures what that shape would save on the part it
changes, the HTTP exchange: ``--concurrency`` callers each POST ``--requests`` chat requests
(a 9 kB prompt, as a debate turn's) one after another to the loopback OpenAI fake, which
answers after 200 ms from a process of its own, so that only the client's CPU is counted
(``getrusage`` of this process). Each caller encodes its request and decodes the reply as a
turn does. The clients:

- ``urllib3 threads``: what a worker does now, ``debates.backends.json_post.JsonPost``, one
  thread a caller;
- ``httpx threads``: the transport under the SDKs' own (sync) clients;
- ``httpx.AsyncClient``: the transport under the SDKs' async clients, every caller a task on
  one event loop;
- ``aiohttp``: an asyncio HTTP client with a compiled parser, if it is installed (it is not a
  dependency of hyposcore).

The clients take turns, ``--rounds`` times; prints each one's median CPU per request and its
ratio to urllib3's.

    .venv/bin/python -m bench.http_clients [--concurrency 64] [--requests 15] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import multiprocessing
import resource
import statistics
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection

import httpx

from debates.backends.json_post import JsonPost
from tests.fakes.openai_server import FakeOpenAIServer

REPLY_SECONDS = 0.2
HEADERS = {"Content-Type": "application/json", "Authorization": "Bearer bench-key"}
PROMPT = {
    "model": "fake-model",
    "messages": [
        {"role": "system", "content": "Rules of the debate. " * 150},
        {"role": "user", "content": "The fenced case and the transcript so far. " * 150},
    ],
}

# Runs ``callers`` callers of ``requests`` POSTs each to ``url``; returns when all are done.
Client = Callable[[str, int, int], None]


def _serve(pipe: Connection) -> None:
    with FakeOpenAIServer(delay=REPLY_SECONDS) as server:
        pipe.send(server.base_url)
        pipe.recv()  # until told to stop


def _in_threads(call: Callable[[], None], callers: int, requests: int) -> None:
    failures: list[BaseException] = []

    def caller() -> None:
        try:
            for _ in range(requests):
                call()
        except BaseException as exc:  # re-raised below: a failed call voids the measure
            failures.append(exc)

    threads = [threading.Thread(target=caller) for _ in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]


def urllib3_threads(url: str, callers: int, requests: int) -> None:
    post = JsonPost(
        url, headers=HEADERS, timeout=30.0, provider="fake", error_detail=lambda _body: None
    )
    _in_threads(lambda: post("/chat/completions", PROMPT), callers, requests)


def httpx_threads(url: str, callers: int, requests: int) -> None:
    limits = httpx.Limits(max_connections=callers, max_keepalive_connections=callers)
    with httpx.Client(base_url=url, limits=limits, timeout=30.0, headers=HEADERS) as client:

        def call() -> None:
            reply = client.post("/chat/completions", content=json.dumps(PROMPT).encode())
            json.loads(reply.raise_for_status().content)

        _in_threads(call, callers, requests)


def httpx_async(url: str, callers: int, requests: int) -> None:
    async def run() -> None:
        limits = httpx.Limits(max_connections=callers, max_keepalive_connections=callers)
        async with httpx.AsyncClient(
            base_url=url, limits=limits, timeout=30.0, headers=HEADERS
        ) as client:

            async def caller() -> None:
                for _ in range(requests):
                    body = json.dumps(PROMPT).encode()
                    reply = await client.post("/chat/completions", content=body)
                    json.loads(reply.raise_for_status().content)

            await asyncio.gather(*(caller() for _ in range(callers)))

    asyncio.run(run())


def aiohttp_loop(url: str, callers: int, requests: int) -> None:
    import aiohttp

    async def run() -> None:
        connector = aiohttp.TCPConnector(limit=callers)
        async with aiohttp.ClientSession(connector=connector) as session:

            async def caller() -> None:
                for _ in range(requests):
                    body = json.dumps(PROMPT).encode()
                    async with session.post(
                        f"{url}/chat/completions", data=body, headers=HEADERS
                    ) as reply:
                        reply.raise_for_status()
                        json.loads(await reply.read())

            await asyncio.gather(*(caller() for _ in range(callers)))

    asyncio.run(run())


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def cpu_ms_per_request(client: Client, url: str, callers: int, requests: int) -> float:
    client(url, 2, 2)  # connections, imports and first-use costs outside the measure
    started = _cpu_seconds()
    client(url, callers, requests)
    return 1000 * (_cpu_seconds() - started) / (callers * requests)


def clients() -> dict[str, Client]:
    found: dict[str, Client] = {
        "urllib3 threads (the workers' path)": urllib3_threads,
        "httpx threads (the SDKs' sync transport)": httpx_threads,
        "httpx.AsyncClient, one event loop (the SDKs' async clients)": httpx_async,
    }
    if importlib.util.find_spec("aiohttp") is not None:
        found["aiohttp, one event loop"] = aiohttp_loop
    return found


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=64, help="callers at once")
    parser.add_argument("--requests", type=int, default=15, help="POSTs per caller")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    ours, theirs = multiprocessing.Pipe()
    server = multiprocessing.Process(target=_serve, args=(theirs,), daemon=True)
    server.start()
    try:
        url = ours.recv()
        results: dict[str, list[float]] = {name: [] for name in clients()}
        for _ in range(args.rounds):
            for name, client in clients().items():
                started = time.perf_counter()
                results[name].append(
                    cpu_ms_per_request(client, url, args.concurrency, args.requests)
                )
                wall = time.perf_counter() - started
                print(f"  {name}: {results[name][-1]:.3f} ms ({wall:.1f} s)", flush=True)
    finally:
        ours.send("stop")
        server.join(timeout=10)
    if "aiohttp, one event loop" not in results:
        print("aiohttp is not installed: `.venv/bin/pip install aiohttp` to measure it too")
    base = statistics.median(results["urllib3 threads (the workers' path)"])
    print(f"client CPU per request, {args.concurrency} callers, median of {args.rounds}:")
    for name, runs in results.items():
        median = statistics.median(runs)
        shown = ", ".join(f"{r:.3f}" for r in runs)
        print(f"  {name}: {shown} -> {median:.3f} ms ({median / base:.2f}x)")


if __name__ == "__main__":
    main()
