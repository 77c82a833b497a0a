"""The kill -9 harness: runs `ballast serve` under load, kills it with SIGKILL at random moments,
starts it again on the same data directory, and checks from the client's own record that nothing
acknowledged was lost or duplicated.

    python3 tests/python/durability.py --kills 100 --json kill9.json

Load: a coordinator submits batches of tasks, follows the events, starts and completes what it is
assigned on its simulated workers, and heartbeats. Checks, from what the client was told:
- every acknowledged submission is accepted exactly once (one `task_accepted` event) and ends exactly
  once (one end event);
- no task is ever assigned to a worker while it is assigned to another (without a requeue or an end
  between);
- event numbers never go back and never skip, across every restart.
Exits non-zero, printing the violations, if any check fails.
"""

import argparse
import json
import os
import random
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from conftest import Server  # noqa: E402
from ballast_client import BallastError, Client  # noqa: E402

ENDS = {"event.task_completed", "event.task_failed", "event.task_cancelled", "event.task_unschedulable"}


def run(kills, seed, data_dir, tasks_per_batch=200, workers=16, slots=4, settle_seconds=120.0, extra=()):
    server = Server(os.path.join(data_dir, "data"), extra=extra).start()
    try:
        return load_and_kill(server, kills, seed, tasks_per_batch, workers, slots, settle_seconds)
    finally:
        server.kill()


def load_and_kill(server, kills, seed, tasks_per_batch, workers, slots, settle_seconds):
    rng = random.Random(seed)
    client = Client(server.url, retry_seconds=120)
    record = {"acknowledged": set(), "accepted": {}, "ended": {}, "placed_on": {}, "violations": []}
    last_seq = 0
    next_task = 1
    kills_done = 0
    events_seen = 0
    next_kill = time.monotonic() + rng.uniform(0.2, 1.2)
    for worker in range(1, workers + 1):
        client.register_worker(worker, hardware=["cpu"], cpu_milli=16000, memory_mib=65536, slots=slots)

    def violation(text):
        if len(record["violations"]) < 50:
            record["violations"].append(text)

    def follow(wait_ms):
        nonlocal last_seq, events_seen
        events, _ = client.events(after=last_seq, limit=20_000, wait_ms=wait_ms)
        started = []
        for seq, event in events:
            if seq != last_seq + 1:
                violation(f"event {seq} follows {last_seq}")
            last_seq = seq
            events_seen += 1
            kind, task = event["kind"], event.get("task")
            if kind == "event.task_accepted":
                record["accepted"][task] = record["accepted"].get(task, 0) + 1
                if record["accepted"][task] > 1:
                    violation(f"task {task} accepted twice")
            elif kind in ("event.task_assigned", "event.task_migrated"):
                worker = event.get("worker", event.get("to"))
                holder = record["placed_on"].get(task)
                if holder is not None and kind == "event.task_assigned":
                    violation(f"task {task} assigned to {worker} while on {holder}")
                record["placed_on"][task] = worker
                started.append((task, worker))
            elif kind == "event.task_requeued":
                record["placed_on"].pop(task, None)
            elif kind in ENDS:
                record["placed_on"].pop(task, None)
                record["ended"][task] = record["ended"].get(task, 0) + 1
                if record["ended"][task] > 1:
                    violation(f"task {task} ended twice")
        reports = []
        for task, worker in started:
            reports.append({"kind": "command.task_started", "task": task, "worker": worker})
            reports.append({"kind": "command.task_completed", "task": task, "worker": worker,
                            "duration_ns": rng.randint(1, 50) * 1_000_000})
        if reports:
            client.commands(reports)

    while kills_done < kills:
        batch = [{"id": task} for task in range(next_task, next_task + tasks_per_batch)]
        next_task += tasks_per_batch
        outcome = client.submit(batch)
        record["acknowledged"].update(outcome.accepted)
        for task, error in outcome.refused.items():
            violation(f"task {task} refused: {error}")
        client.heartbeats(range(1, workers + 1))
        follow(wait_ms=5)
        if time.monotonic() >= next_kill:
            server.kill()
            kills_done += 1
            time.sleep(rng.uniform(0.0, 0.2))
            server.start(wait=False)
            next_kill = time.monotonic() + rng.uniform(0.2, 1.2)
    # Let everything acknowledged end.
    deadline = time.monotonic() + settle_seconds
    while time.monotonic() < deadline:
        client.heartbeats(range(1, workers + 1))
        follow(wait_ms=200)
        if all(record["ended"].get(task) for task in record["acknowledged"]):
            break
    lost = [task for task in record["acknowledged"] if not record["ended"].get(task)]
    never_accepted = [task for task in record["acknowledged"] if not record["accepted"].get(task)]
    for task in lost[:20]:
        violation(f"task {task} acknowledged but never ended")
    for task in never_accepted[:20]:
        violation(f"task {task} acknowledged but never accepted")
    state = client.state()
    server.stop()
    return {
        "kills": kills_done,
        "acknowledged_tasks": len(record["acknowledged"]),
        "ended_tasks": sum(1 for task in record["acknowledged"] if record["ended"].get(task)),
        "lost": len(lost),
        "duplicated": sum(1 for count in record["accepted"].values() if count > 1)
        + sum(1 for count in record["ended"].values() if count > 1),
        "events": events_seen,
        "last_seq": last_seq,
        "server_last_seq": state["last_seq"],
        "violations": record["violations"],
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", default=None)
    parser.add_argument("--snapshot-after-mib", type=int, default=None, help="snapshot the ledger this often")
    args = parser.parse_args(argv)
    extra = [] if args.snapshot_after_mib is None else ["--snapshot-after-mib", str(args.snapshot_after_mib)]
    with tempfile.TemporaryDirectory() as data_dir:
        result = run(args.kills, args.seed, data_dir, extra=extra)
    text = json.dumps(result, indent=2)
    print(text)
    if args.json:
        with open(args.json, "w") as file:
            file.write(text + "\n")
    return 1 if result["violations"] or result["lost"] or result["duplicated"] else 0


if __name__ == "__main__":
    sys.exit(main())
