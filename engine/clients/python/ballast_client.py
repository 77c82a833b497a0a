"""A client of `ballast serve` (docs/PROTOCOL.md), standard library only.

    from ballast_client import Client

    client = Client("http://127.0.0.1:7171")
    client.wait_ready()
    client.register_worker(1, hardware=["cpu", "cuda"], cpu_milli=16000, memory_mib=65536, slots=4,
                           gpus=[{"model": "A10", "memory_mib": 24576}])
    client.submit([{"id": 7, "model_id": "google/vit-base-patch16-224",
                    "requirements": {"hardware_any": ["cuda"], "gpu_count": 1}}])
    for seq, event in client.follow(after=0):
        if event["kind"] == "event.task_assigned":
            client.task_started(event["task"], event["worker"])
            ...
            client.task_completed(event["task"], event["worker"], duration_ns=1_500_000_000)

Every command is answered only once it is durable on the server. The client re-sends a request when
the connection fails (a restarting server) until `retry_seconds` have passed; re-sending is safe:
a task id submitted twice is refused as `duplicate_task` and counted as accepted, a report the server
already applied is refused with a kind that says so (`already_started`, `unknown_task`), never applied
twice. Submissions deferred or refused by admission control are sent again after their
`retry_after_ms`.
"""

import http.client
import json
import time
import urllib.parse

__all__ = ["BallastError", "Client", "SubmitOutcome"]

# Kinds that mean "already done": a re-sent command the server applied before.
ALREADY_APPLIED = {"duplicate_task", "duplicate_worker", "already_started"}
# Kinds that mean "send it again later".
BACKPRESSURE = {"deferred", "overloaded"}


class BallastError(Exception):
    """A refusal: `kind` is the protocol's stable error name, `status` the HTTP status (0 for a
    command refused inside a 200 reply)."""

    def __init__(self, kind, message, status=0, retry_after_ms=None, first_retained=None):
        super().__init__(f"{kind}: {message}")
        self.kind = kind
        self.message = message
        self.status = status
        self.retry_after_ms = retry_after_ms
        self.first_retained = first_retained

    @classmethod
    def of(cls, error, status=0):
        return cls(
            error.get("kind", "unknown"),
            error.get("message", ""),
            status,
            error.get("retry_after_ms"),
            error.get("first_retained"),
        )


class SubmitOutcome:
    """What `Client.submit` did: the ids accepted (now or before: `duplicate_task`), and the tasks
    refused for good with their errors."""

    def __init__(self):
        self.accepted = []
        self.refused = {}

    def __repr__(self):
        return f"SubmitOutcome(accepted={len(self.accepted)}, refused={len(self.refused)})"


class Client:
    def __init__(self, url="http://127.0.0.1:7171", token=None, timeout=120.0, retry_seconds=30.0):
        parsed = urllib.parse.urlsplit(url)
        if parsed.scheme != "http":
            raise ValueError("only http:// URLs are served (put TLS in front of the server)")
        self.host = parsed.hostname or "127.0.0.1"
        self.port = parsed.port or 80
        self.token = token
        self.timeout = timeout
        self.retry_seconds = retry_seconds
        self._connection = None

    # --- transport ---------------------------------------------------------------------------

    def _connect(self):
        if self._connection is None:
            self._connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        return self._connection

    def close(self):
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def request(self, method, path, body=None, retry=True):
        """Sends one request and returns (status, headers, bytes); re-sends it while the server is
        unreachable, for up to `retry_seconds`."""
        data = None if body is None else json.dumps(body, separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        deadline = time.monotonic() + (self.retry_seconds if retry else 0.0)
        pause = 0.05
        while True:
            try:
                connection = self._connect()
                connection.request(method, path, body=data, headers=headers)
                response = connection.getresponse()
                payload = response.read()
                if response.getheader("Connection", "").lower() == "close":
                    self.close()
                return response.status, response, payload
            except (ConnectionError, http.client.HTTPException, OSError):
                self.close()
                if time.monotonic() >= deadline:
                    raise
                time.sleep(pause)
                pause = min(pause * 2, 1.0)

    def _json(self, method, path, body=None, retry=True):
        status, _, payload = self.request(method, path, body, retry)
        value = json.loads(payload) if payload else {}
        if status >= 400:
            raise BallastError.of(value.get("error", {}), status)
        return value

    # --- commands ----------------------------------------------------------------------------

    def commands(self, commands):
        """Sends commands (recording `command.*` objects without `t`) and returns one result per
        command, as the server answered (`{"ok": true, ...}` or `{"error": {...}}`). Waits and re-sends
        the whole request when the server answers `overloaded` (429) or is restarting (503)."""
        while True:
            try:
                return self._json("POST", "/v1/commands", {"commands": list(commands)})["results"]
            except BallastError as error:
                if error.kind in ("overloaded", "not_ready"):
                    time.sleep((error.retry_after_ms or 100) / 1000)
                    continue
                raise

    def command(self, command):
        """One command; raises its refusal, except a refusal that says it was applied before."""
        result = self.commands([command])[0]
        error = result.get("error")
        if error and error.get("kind") not in ALREADY_APPLIED:
            raise BallastError.of(error)
        return result

    def register_worker(self, worker_id, hardware=("cpu",), cpu_milli=1000, memory_mib=1024, slots=1,
                        gpus=(), browsers=(), tags=()):
        worker = {"id": worker_id, "hardware": list(hardware), "cpu_milli": cpu_milli,
                  "memory_mib": memory_mib, "slots": slots}
        if gpus:
            worker["gpus"] = list(gpus)
        if browsers:
            worker["browsers"] = list(browsers)
        if tags:
            worker["tags"] = list(tags)
        return self.command({"kind": "command.register_worker", "worker": worker})

    def heartbeat(self, worker, utilization=None):
        command = {"kind": "command.heartbeat", "worker": worker}
        if utilization:
            command["utilization"] = utilization
        return self.command(command)

    def heartbeats(self, workers):
        """One heartbeat for each worker, in one request."""
        return self.commands([{"kind": "command.heartbeat", "worker": worker} for worker in workers])

    def drain_worker(self, worker):
        return self.command({"kind": "command.drain_worker", "worker": worker})

    def remove_worker(self, worker):
        return self.command({"kind": "command.remove_worker", "worker": worker})

    def submit(self, tasks, batch_size=100_000, give_up_seconds=600.0):
        """Submits tasks (dicts of the `TaskDto` fields; `priority` 5 and `test_type` `inference` by
        default) in batches. Tasks deferred or refused by admission control are sent again after their
        hint; a `duplicate_task` counts as accepted (it was, earlier). Returns a SubmitOutcome."""
        outcome = SubmitOutcome()
        waiting = [dict({"priority": 5, "test_type": "inference"}, **task) for task in tasks]
        deadline = time.monotonic() + give_up_seconds
        while waiting:
            retry = []
            pause_ms = 0
            for start in range(0, len(waiting), batch_size):
                batch = waiting[start:start + batch_size]
                result = self.commands([{"kind": "command.submit_batch", "tasks": batch}])[0]
                if "error" in result:
                    raise BallastError.of(result["error"])
                refused = {entry["index"]: entry["error"] for entry in result.get("rejected", [])}
                for index, task in enumerate(batch):
                    error = refused.get(index)
                    if error is None or error["kind"] == "duplicate_task":
                        outcome.accepted.append(task["id"])
                    elif error["kind"] in BACKPRESSURE:
                        retry.append(task)
                        pause_ms = max(pause_ms, error.get("retry_after_ms") or 100)
                    else:
                        outcome.refused[task["id"]] = BallastError.of(error)
            waiting = retry
            if waiting:
                if time.monotonic() >= deadline:
                    for task in waiting:
                        outcome.refused[task["id"]] = BallastError("deferred", "still deferred when giving up")
                    break
                time.sleep(pause_ms / 1000)
        return outcome

    def cancel(self, task):
        return self.command({"kind": "command.cancel_task", "task": task})

    def task_started(self, task, worker):
        return self.command({"kind": "command.task_started", "task": task, "worker": worker})

    def task_completed(self, task, worker, duration_ns):
        return self.command({"kind": "command.task_completed", "task": task, "worker": worker,
                             "duration_ns": int(duration_ns)})

    def task_failed(self, task, worker, reason, retryable):
        return self.command({"kind": "command.task_failed", "task": task, "worker": worker,
                             "reason": reason, "retryable": bool(retryable)})

    def task_released(self, task, worker):
        return self.command({"kind": "command.task_released", "task": task, "worker": worker})

    # --- events and views --------------------------------------------------------------------

    def events(self, after=0, limit=1000, wait_ms=0):
        """Events after `after`: returns (list of (seq, event), next). Raises `events_not_retained`
        (410) when some events after `after` are no longer kept."""
        query = urllib.parse.urlencode({"after": after, "limit": limit, "wait_ms": wait_ms})
        page = self._json("GET", f"/v1/events?{query}")
        return [(entry["seq"], entry["event"]) for entry in page["events"]], page["next"]

    def follow(self, after=0, wait_ms=1000, limit=10_000, stop=None):
        """Yields (seq, event) forever (or until `stop()` is true), long-polling and reconnecting to a
        restarting server; resumes after the last event seen, so nothing is missed or repeated."""
        while stop is None or not stop():
            events, after = self.events(after, limit, wait_ms)
            yield from events

    def stream(self, after=0):
        """Yields (seq, event) from `GET /v1/events/stream` (Server-Sent Events) until the connection
        ends; call it again with the last seq to resume."""
        connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        headers = {"Accept": "text/event-stream", "Last-Event-ID": str(after)}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        connection.request("GET", "/v1/events/stream", headers=headers)
        response = connection.getresponse()
        if response.status != 200:
            value = json.loads(response.read() or b"{}")
            raise BallastError.of(value.get("error", {}), response.status)
        seq, data, name = None, [], None
        try:
            for raw in response:
                line = raw.decode().rstrip("\r\n")
                if not line:
                    if data:
                        payload = json.loads("\n".join(data))
                        if name == "error":
                            raise BallastError.of(payload)
                        yield int(seq), payload
                    seq, data, name = None, [], None
                elif line.startswith("id:"):
                    seq = line[3:].strip()
                elif line.startswith("data:"):
                    data.append(line[5:].lstrip())
                elif line.startswith("event:"):
                    name = line[6:].strip()
        finally:
            connection.close()

    def task(self, task):
        return self._json("GET", f"/v1/tasks/{task}")

    def worker(self, worker):
        return self._json("GET", f"/v1/workers/{worker}")

    def state(self):
        return self._json("GET", "/v1/state")

    def metrics(self):
        status, _, payload = self.request("GET", "/metrics")
        if status != 200:
            raise BallastError.of(json.loads(payload).get("error", {}), status)
        return payload.decode()

    def ready(self):
        try:
            status, _, _ = self.request("GET", "/readyz", retry=False)
            return status == 200
        except OSError:
            return False

    def wait_ready(self, timeout=60.0):
        deadline = time.monotonic() + timeout
        while not self.ready():
            if time.monotonic() >= deadline:
                raise TimeoutError(f"the server at {self.host}:{self.port} is not ready after {timeout} s")
            time.sleep(0.05)
