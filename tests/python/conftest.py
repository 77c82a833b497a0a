"""Fixtures of the end-to-end tests: the real `ballast` binary started on a loopback port, driven
through the Python client. The binary is `$BALLAST_BIN`, else `target/release/ballast` (build it with
`cargo build --release` first; `.ci/run` does)."""

import os
import re
import signal
import socket
import subprocess
import sys
import time

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "engine", "clients", "python"))

from ballast_client import Client  # noqa: E402


def binary():
    path = os.environ.get("BALLAST_BIN", os.path.join(ROOT, "target", "release", "ballast"))
    if not os.path.exists(path):
        raise RuntimeError(f"{path} does not exist: run `cargo build --release` first, or set BALLAST_BIN")
    return path


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """One `ballast serve` process; `kill()` sends SIGKILL, `start()` starts it again on the same
    data directory and port."""

    def __init__(self, data_dir, port=None, extra=()):
        self.data_dir = str(data_dir)
        self.port = port or free_port()
        self.extra = list(extra)
        self.process = None
        self.log = open(os.path.join(self.data_dir + ".log"), "ab")

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self, wait=True):
        command = [binary(), "serve", "--listen", f"127.0.0.1:{self.port}", "--data", self.data_dir, *self.extra]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=self.log)
        line = self.process.stdout.readline().decode()
        match = re.search(r"listening on (http://\S+)", line)
        if not match:
            raise RuntimeError(f"the server did not start: {line!r} (log: {self.log.name})")
        if wait:
            Client(self.url).wait_ready(timeout=120)
        return self

    def kill(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def server(tmp_path):
    running = Server(tmp_path / "data").start()
    yield running
    running.stop()


@pytest.fixture
def client(server):
    connection = Client(server.url, retry_seconds=60)
    yield connection
    connection.close()


def wait_until(predicate, timeout=30.0, what="the condition"):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() >= deadline:
            raise AssertionError(f"{what} did not hold within {timeout} s")
        time.sleep(0.02)
