"""An example coordinator for `ballast serve`: it registers a pool of (simulated) workers, submits a
test suite, follows the event stream, runs what it is assigned, reports every outcome, and resumes
after a restart of the server or of itself.

    python3 example_coordinator.py --url http://127.0.0.1:7171 --workers 8 --tasks 500 \
        --state coordinator.json

The workers are simulated in this process (each test "runs" for a random time), so the example runs
anywhere; a real coordinator starts the test on the worker named by `event.task_assigned` instead.
Its whole state (the last event seen, what runs where) is saved to `--state` after every step, so a
coordinator killed and started again with the same file carries on where it stopped; the server's
replies are durable, so a killed server, started again on its data directory, carries on too.
Prints a JSON summary at the end: tasks ended by outcome, and how many ended twice (always 0).
"""

import argparse
import json
import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from ballast_client import BallastError, Client  # noqa: E402

ENDS = {"event.task_completed": "completed", "event.task_failed": "failed",
        "event.task_cancelled": "cancelled", "event.task_unschedulable": "unschedulable"}


def load_state(path):
    if path and os.path.exists(path):
        with open(path) as file:
            return json.load(file)
    return {"registered": False, "submitted": False, "last_seq": 0, "queued": {}, "running": {},
            "ended": {}, "ended_twice": 0}


def save_state(path, state):
    if not path:
        return
    temporary = path + ".tmp"
    with open(temporary, "w") as file:
        json.dump(state, file)
    os.replace(temporary, path)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:7171")
    parser.add_argument("--token", default=None)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--slots", type=int, default=2)
    parser.add_argument("--tasks", type=int, default=200)
    parser.add_argument("--first-task", type=int, default=1)
    parser.add_argument("--run-ms", type=int, nargs=2, default=[20, 200], metavar=("MIN", "MAX"))
    parser.add_argument("--fail-percent", type=float, default=2.0, help="attempts that fail (retryable)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--state", default=None, help="a file to save the coordinator's state to")
    parser.add_argument("--timeout", type=float, default=300.0)
    args = parser.parse_args(argv)

    rng = random.Random(args.seed)
    client = Client(args.url, token=args.token, retry_seconds=args.timeout)
    client.wait_ready(timeout=args.timeout)
    state = load_state(args.state)
    workers = list(range(1, args.workers + 1))
    if not state["registered"]:
        for worker in workers:
            client.register_worker(worker, hardware=["cpu"], cpu_milli=8000, memory_mib=16384, slots=args.slots)
        state["registered"] = True
        save_state(args.state, state)
    task_ids = range(args.first_task, args.first_task + args.tasks)
    if not state["submitted"]:
        suite = [{"id": task, "model_id": rng.choice(["bert-base-uncased", "openai/whisper-tiny",
                                                      "google/vit-base-patch16-224"])} for task in task_ids]
        outcome = client.submit(suite)
        for task, error in outcome.refused.items():
            state["ended"][str(task)] = "refused: " + error.kind
        state["submitted"] = True
        save_state(args.state, state)

    started_at = time.monotonic()
    last_heartbeat = 0.0
    # queued: task -> worker (assigned, waiting for a slot); running: task -> [worker, finish time (wall)]
    while len(state["ended"]) < args.tasks:
        if time.monotonic() - started_at > args.timeout:
            print(json.dumps({"error": "timed out", "ended": len(state["ended"])}))
            return 2
        now = time.time()
        if now - last_heartbeat >= 1.0:
            client.heartbeats(workers)
            last_heartbeat = now
        # Finish what is due, then start what has a free slot.
        for task, (worker, finish) in list(state["running"].items()):
            if finish <= now:
                del state["running"][task]
                try:
                    if rng.random() * 100 < args.fail_percent:
                        client.task_failed(int(task), worker, "simulated infrastructure error", True)
                    else:
                        duration_ns = int(rng.uniform(*args.run_ms) * 1e6)
                        client.task_completed(int(task), worker, duration_ns)
                except BallastError as error:
                    # A report re-sent after a lost reply finds the task already ended (or moved):
                    # the events say how it ended.
                    if error.kind not in ("unknown_task", "not_on_worker"):
                        raise
        busy = {}
        for worker, _ in state["running"].values():
            busy[worker] = busy.get(worker, 0) + 1
        for task, worker in list(state["queued"].items()):
            if busy.get(worker, 0) < args.slots:
                del state["queued"][task]
                try:
                    client.task_started(int(task), worker)
                except BallastError as error:
                    if error.kind in ("unknown_task", "not_on_worker"):
                        continue  # cancelled or moved meanwhile: the events say so
                    raise
                busy[worker] = busy.get(worker, 0) + 1
                state["running"][task] = [worker, now + rng.uniform(*args.run_ms) / 1000]
        try:
            events, state["last_seq"] = client.events(after=state["last_seq"], limit=10_000, wait_ms=20)
        except BallastError as error:
            if error.kind != "events_not_retained":
                raise
            # Missed events: ask the server where each task we have not seen end is.
            for task in task_ids:
                if str(task) in state["ended"]:
                    continue
                info = client.task(task)
                if info["state"] == "ended":
                    state["ended"][str(task)] = "ended"
            state["last_seq"] = error.first_retained - 1
            continue
        for _, event in events:
            kind, task = event["kind"], str(event.get("task"))
            if kind in ("event.task_assigned", "event.task_migrated"):
                state["queued"][task] = event.get("worker", event.get("to"))
            elif kind == "event.task_requeued":
                state["queued"].pop(task, None)
                state["running"].pop(task, None)
            elif kind == "event.task_recalled":
                if task in state["queued"]:
                    del state["queued"][task]
                    client.task_released(int(task), event["worker"])
            elif kind in ENDS:
                if task in state["ended"]:
                    state["ended_twice"] += 1
                state["ended"][task] = ENDS[kind]
                state["queued"].pop(task, None)
                state["running"].pop(task, None)
        save_state(args.state, state)

    summary = {"tasks": args.tasks, "ended_twice": state["ended_twice"]}
    for outcome in state["ended"].values():
        summary[outcome] = summary.get(outcome, 0) + 1
    print(json.dumps(summary, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
