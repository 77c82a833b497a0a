"""The protocol of `ballast serve` as a coordinator meets it: the real binary on a loopback port,
driven through the Python client (and raw HTTP where the client would refuse to send something)."""

import http.client
import json
import os
import shutil
import subprocess
import threading

import pytest

from ballast_client import BallastError, Client
from conftest import ROOT, Server, binary, free_port, wait_until


def raw(server, method, path, body=b"", headers=None):
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    connection.request(method, path, body=body, headers=headers or {})
    response = connection.getresponse()
    payload = response.read()
    connection.close()
    return response.status, payload


def cpu_worker(client, worker, slots=2):
    client.register_worker(worker, hardware=["cpu"], cpu_milli=8000, memory_mib=16384, slots=slots)


def test_a_suite_runs_to_the_end_through_the_protocol(client):
    for worker in (1, 2):
        cpu_worker(client, worker)
    outcome = client.submit([{"id": task, "model_id": "bert-base-uncased"} for task in range(1, 41)])
    assert sorted(outcome.accepted) == list(range(1, 41)) and not outcome.refused
    ended, seen, after = {}, [], 0
    while len(ended) < 40:
        events, after = client.events(after=after, wait_ms=2000)
        for seq, event in events:
            seen.append(seq)
            if event["kind"] == "event.task_assigned":
                client.task_started(event["task"], event["worker"])
                client.task_completed(event["task"], event["worker"], duration_ns=1_000_000)
            elif event["kind"] == "event.task_completed":
                assert event["task"] not in ended, "a task ended twice"
                ended[event["task"]] = event["worker"]
    # Numbers rise by one from 1.
    assert seen == list(range(1, len(seen) + 1))
    state = client.state()
    assert state["counters"]["tasks_completed"] == 40 and state["live_tasks"] == 0
    assert client.task(7) == {"task": 7, "state": "ended"}
    assert client.worker(1)["health"] == "healthy"
    # Completions are folded into each worker's history at the next tick.
    wait_until(lambda: client.worker(1)["completed"] + client.worker(2)["completed"] == 40, what="history of 40 runs")


def test_task_and_worker_views_explain(client):
    cpu_worker(client, 1, slots=1)
    client.submit([{"id": 1}, {"id": 2}, {"id": 3, "requirements": {"hardware_any": ["cuda"]}}])
    wait_until(lambda: client.task(1)["state"] == "assigned", what="task 1 assigned")
    assigned = client.task(1)
    assert assigned["worker"] == 1 and "on w1 by composite" in assigned["explain"]
    pending = client.task(2)
    assert pending["state"] == "pending" and pending["explanation"]["busy"] == 1
    wait_until(lambda: client.task(3)["state"] == "ended", what="task 3 found unschedulable")
    with pytest.raises(BallastError) as unknown:
        client.task(99)
    assert (unknown.value.status, unknown.value.kind) == (404, "unknown_task")
    with pytest.raises(BallastError) as no_worker:
        client.worker(42)
    assert (no_worker.value.status, no_worker.value.kind) == (404, "unknown_worker")


def test_resending_a_batch_never_duplicates(client):
    cpu_worker(client, 1)
    batch = [{"id": task} for task in range(100, 110)]
    first = client.commands([{"kind": "command.submit_batch", "tasks": batch}])[0]
    again = client.commands([{"kind": "command.submit_batch", "tasks": batch}])[0]
    assert first == {"ok": True, "accepted": 10}
    assert again["accepted"] == 0 and {entry["error"]["kind"] for entry in again["rejected"]} == {"duplicate_task"}
    # The client counts a duplicate as accepted: it was, the first time.
    assert sorted(client.submit(batch).accepted) == [task["id"] for task in batch]
    assert client.state()["counters"]["tasks_accepted"] == 10


def test_bad_input_gets_a_typed_4xx(server, client):
    cases = [
        (b"not json", 400, "bad_json"),
        (b'{"commands": 5}', 400, "bad_json"),
        (b'{"commands": [1, 2], "extra": NaN}', 400, "bad_json"),
        (b"", 400, "bad_json"),
        (json.dumps({"commands": [{"kind": "command.heartbeat"}] * 100_001}).encode(), 400, "too_many_commands"),
    ]
    for body, status, kind in cases:
        got_status, payload = raw(server, "POST", "/v1/commands", body)
        assert (got_status, json.loads(payload)["error"]["kind"]) == (status, kind), body[:60]
    huge = b'{"commands":[' + b" " * (65 << 20) + b"]}"
    got_status, payload = raw(server, "POST", "/v1/commands", huge)
    assert (got_status, json.loads(payload)["error"]["kind"]) == (413, "body_too_large")
    # Per command: each bad one refused with its kind, the others applied.
    cpu_worker(client, 1)
    results = client.commands([
        {"kind": "command.heartbeat", "worker": "one"},
        {"kind": "command.nope"},
        {"kind": "event.task_assigned", "task": 1, "worker": 1, "attempt": 1},
        {"kind": "command.heartbeat", "worker": 1, "utilization": {"cpu": 1.5}},
        {"kind": "command.heartbeat", "worker": 77},
        {"kind": "command.task_started", "task": 5, "worker": 1},
        {"kind": "command.submit_task", "task": {"id": 5, "priority": 12, "test_type": "inference"}},
        {"kind": "command.submit_task", "task": {"id": 6, "priority": 5, "test_type": "sleeping"}},
        {"kind": "command.submit_batch", "tasks": []},
        {"kind": "command.register_worker", "worker": {"id": 1, "cpu_milli": 1, "memory_mib": 1, "slots": 1}},
        {"kind": "command.heartbeat", "worker": 1},
    ])
    kinds = [result.get("error", {}).get("kind", "ok") for result in results]
    assert kinds == ["bad_command", "bad_command", "bad_command", "bad_utilization", "unknown_worker",
                     "unknown_task", "out_of_range", "bad_command", "empty_batch", "duplicate_worker", "ok"]
    for method, path, status, kind in [
        ("GET", "/v1/nothing", 404, "not_found"),
        ("DELETE", "/v1/state", 405, "method_not_allowed"),
        ("GET", "/v1/tasks/abc", 400, "bad_request"),
        ("GET", "/v1/tasks/-1", 400, "bad_request"),
        ("GET", "/v1/workers/99999999999999999999999", 400, "bad_request"),
        ("GET", "/v1/events?after=x", 400, "bad_request"),
        ("GET", "/v1/events?limit=0", 400, "bad_request"),
        ("GET", "/v1/events?wait_ms=99999999", 400, "bad_request"),
        ("GET", "/v1/events?after=99999999", 400, "bad_request"),
    ]:
        got_status, payload = raw(server, method, path)
        assert (got_status, json.loads(payload)["error"]["kind"]) == (status, kind), path
    # The server is still serving after all of it.
    assert client.state()["workers"] == 1


def test_a_long_poll_returns_as_soon_as_an_event_exists(client):
    cpu_worker(client, 1)
    _, after = client.events(after=0)
    answer = {}

    def poll():
        answer["page"] = Client(f"http://{client.host}:{client.port}").events(after=after, wait_ms=20_000)

    poller = threading.Thread(target=poll)
    poller.start()
    client.submit([{"id": 1}])
    poller.join(timeout=15)
    assert not poller.is_alive(), "the long poll did not return when an event came"
    events, _ = answer["page"]
    assert events[0] == (after + 1, {"kind": "event.task_accepted", "task": 1})


def test_the_stream_resumes_from_last_event_id(client):
    cpu_worker(client, 1)
    client.submit([{"id": task} for task in range(1, 6)])
    stream = client.stream(after=0)
    first = [next(stream) for _ in range(3)]
    assert [seq for seq, _ in first] == [1, 2, 3]
    rest = client.stream(after=3)
    assert [seq for seq, _ in (next(rest) for _ in range(3))] == [4, 5, 6]


def test_events_no_longer_retained_are_refused_not_skipped(tmp_path):
    server = Server(tmp_path / "data", extra=["--events-retained", "10"]).start()
    try:
        client = Client(server.url)
        cpu_worker(client, 1)
        client.submit([{"id": task} for task in range(1, 50)])
        wait_until(lambda: client.state()["last_seq"] > 40, what="events published")
        with pytest.raises(BallastError) as gone:
            client.events(after=0)
        assert (gone.value.status, gone.value.kind) == (410, "events_not_retained")
        events, _ = client.events(after=gone.value.first_retained - 1)
        assert events[0][0] == gone.value.first_retained
        status, _ = raw(server, "GET", "/v1/events/stream?after=0")
        assert status == 410
    finally:
        server.stop()


def test_metrics_pass_promtool(client):
    cpu_worker(client, 1)
    client.submit([{"id": 1}])
    wait_until(lambda: client.task(1)["state"] == "assigned", what="the task assigned")
    text = client.metrics()
    for name in ["ballast_placements_total 1", "ballast_tasks_accepted_total 1", "ballast_submit_to_assign_wait_seconds_bucket",
                 "ballast_tick_seconds_count", "ballast_journal_commit_seconds_bucket", 'ballast_workers{health="healthy"} 1',
                 "ballast_queue_depth", 'ballast_workers_thermal{state="warming"} 1', "ballast_journal_fsyncs_total"]:
        assert name in text, name
    promtool = shutil.which("promtool")
    assert promtool, "promtool (Debian's prometheus package) is needed: .ci/run installs it"
    check = subprocess.run([promtool, "check", "metrics"], input=text.encode(), capture_output=True)
    assert check.returncode == 0, check.stdout.decode() + check.stderr.decode()


def test_the_openapi_document_is_the_committed_one(client):
    status, _, payload = client.request("GET", "/openapi.json")
    assert status == 200
    served = json.loads(payload)
    with open(os.path.join(ROOT, "docs", "openapi.json")) as file:
        assert served == json.load(file), "docs/openapi.json is stale: regenerate it from GET /openapi.json"
    assert served["openapi"].startswith("3.1")
    kinds = {item["title"] for item in served["components"]["schemas"]["Command"]["oneOf"]}
    assert "command.submit_batch" in kinds and len(kinds) == 11


def test_tokens(tmp_path):
    # Not loopback and no token: the server refuses to start, and says why.
    refused = subprocess.run([binary(), "serve", "--listen", f"0.0.0.0:{free_port()}", "--data", str(tmp_path / "a")],
                             capture_output=True, timeout=30)
    assert refused.returncode != 0 and b"--token-file" in refused.stderr
    short = tmp_path / "short"
    short.write_text("abc\n")
    refused = subprocess.run([binary(), "serve", "--token-file", str(short), "--data", str(tmp_path / "b")],
                             capture_output=True, timeout=30)
    assert refused.returncode != 0 and b"at least 16" in refused.stderr
    token_file = tmp_path / "token"
    token_file.write_text("s3cret-token-0123456789\n")
    server = Server(tmp_path / "data", extra=["--token-file", str(token_file)]).start()
    try:
        status, payload = raw(server, "GET", "/v1/state")
        assert (status, json.loads(payload)["error"]["kind"]) == (401, "unauthorized")
        status, _ = raw(server, "GET", "/v1/state", headers={"Authorization": "Bearer s3cret-token-0123456788"})
        assert status == 401
        assert raw(server, "GET", "/healthz")[0] == 200
        client = Client(server.url, token="s3cret-token-0123456789")
        assert client.state()["workers"] == 0
    finally:
        server.stop()


def test_a_second_server_on_the_same_data_directory_is_refused(server):
    second = subprocess.run([binary(), "serve", "--listen", f"127.0.0.1:{free_port()}", "--data", server.data_dir],
                            capture_output=True, timeout=60)
    assert second.returncode != 0 and b"store" in second.stderr
