"""kill -9 under load, 20 times (the full run: `python3 tests/python/durability.py --kills 100`), and a
restart that keeps placements, history, event numbers and the coordinator's progress."""

import os
import subprocess
import sys

from ballast_client import Client
from conftest import ROOT, Server, wait_until
import durability


def test_nothing_acknowledged_is_lost_or_duplicated_across_sigkills(tmp_path):
    # Snapshots every MiB of journal: recoveries read snapshots, journal suffixes and retained events.
    result = durability.run(
        kills=20, seed=7, data_dir=str(tmp_path), tasks_per_batch=100, workers=32, slots=8, extra=["--snapshot-after-mib", "1"]
    )
    assert result["kills"] == 20
    assert result["acknowledged_tasks"] > 1000
    assert result["violations"] == [] and result["lost"] == 0 and result["duplicated"] == 0, result
    assert result["ended_tasks"] == result["acknowledged_tasks"]
    assert result["last_seq"] == result["server_last_seq"]
    with open(str(tmp_path / "data") + ".log") as log:
        recoveries = [line for line in log if " recovered " in line]
    assert len(recoveries) == 21
    assert any("snapshot_lines=0 " not in line for line in recoveries), "no recovery read a snapshot"


def test_a_restart_keeps_placements_and_numbers(tmp_path):
    server = Server(tmp_path / "data").start()
    try:
        restart_keeps_placements(server)
    finally:
        server.stop()


def restart_keeps_placements(server):
    client = Client(server.url, retry_seconds=60)
    client.register_worker(1, hardware=["cpu"], cpu_milli=4000, memory_mib=8192, slots=2)
    client.register_worker(2, hardware=["cpu"], cpu_milli=4000, memory_mib=8192, slots=2)
    client.submit([{"id": task, "model_id": "bert-base-uncased"} for task in range(1, 11)])
    wait_until(lambda: client.state()["placed"] == 4, what="four tasks placed")
    placed = {task: client.task(task) for task in range(1, 11)}
    on_workers = {task: info["worker"] for task, info in placed.items() if info["state"] == "assigned"}
    first = next(iter(on_workers))
    client.task_started(first, on_workers[first])
    last_seq = client.state()["last_seq"]
    server.kill()
    server.start()
    client.wait_ready()
    assert client.state()["last_seq"] == last_seq
    for task, worker in on_workers.items():
        info = client.task(task)
        assert info["worker"] == worker and info["state"] == ("running" if task == first else "assigned"), info
    assert sum(1 for task in range(1, 11) if client.task(task)["state"] == "pending") == 6
    # A resubmission is still a duplicate; numbering goes on from where it stopped.
    results = client.commands([{"kind": "command.submit_task", "task": {"id": 3, "priority": 5, "test_type": "inference"}}])
    assert results[0]["error"]["kind"] == "duplicate_task"
    client.task_completed(first, on_workers[first], duration_ns=2_000_000_000)
    events, _ = client.events(after=last_seq, wait_ms=5000)
    assert events[0][0] == last_seq + 1
    assert ("event.task_completed", first) in [(event["kind"], event.get("task")) for _, event in events]


def test_the_example_coordinator_resumes_after_server_restarts(tmp_path):
    server = Server(tmp_path / "data").start()
    try:
        coordinator_resumes(server, tmp_path)
    finally:
        server.stop()


def coordinator_resumes(server, tmp_path):
    state_file = str(tmp_path / "coordinator.json")
    example = os.path.join(ROOT, "engine", "clients", "python", "example_coordinator.py")
    coordinator = subprocess.Popen(
        [sys.executable, example, "--url", server.url, "--tasks", "600", "--run-ms", "20", "120", "--state", state_file],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    for _ in range(3):
        wait_until(lambda: os.path.exists(state_file), what="the coordinator saving its state")
        try:
            coordinator.wait(timeout=1.0)
            break
        except subprocess.TimeoutExpired:
            server.kill()
            server.start(wait=False)
    out, err = coordinator.communicate(timeout=240)
    assert coordinator.returncode == 0, err.decode()
    summary = __import__("json").loads(out.decode().strip().splitlines()[-1])
    assert summary["ended_twice"] == 0
    assert summary.get("completed", 0) + summary.get("failed", 0) == 600
