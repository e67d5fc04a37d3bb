"""A real Label Studio server for the tests, on 127.0.0.1 only, started and stopped by them.

Label Studio pins its own Django and numpy, so it lives in its own virtualenv
(``make labelstudio`` builds ``.venv-labelstudio``; ``MODAL_SRAAL_LABEL_STUDIO``
names another ``label-studio`` executable). The first user, its legacy token
and the local-files settings are all given through environment variables;
a personal access token is minted through the API once the server is up.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from typing import Optional

import requests

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXECUTABLE_VARIABLE = "MODAL_SRAAL_LABEL_STUDIO"
DEFAULT_EXECUTABLE = os.path.join(REPO, ".venv-labelstudio", "bin", "label-studio")
LEGACY_TOKEN = "modal-sraal-legacy-token"
START_TIMEOUT = 420   # first start migrates a new database: 1-2 min on 2 cores


@dataclass
class Server:
    url: str
    legacy_token: str
    personal_token: str
    document_root: str
    log: str
    process: Optional[subprocess.Popen] = None

    def api(self, method: str, path: str, **kwargs):
        """A call as the simulated annotator makes it (plain requests, not our client)."""
        r = requests.request(method, self.url + path, timeout=30,
                             headers={"Authorization": f"Token {self.legacy_token}"}, **kwargs)
        r.raise_for_status()
        return r.json() if r.content else None

    def tasks(self, project: int):
        return self.api("GET", "/api/tasks/", params={"project": project, "fields": "all",
                                                      "page_size": 10_000})["tasks"]

    def annotate(self, task: int, label: Optional[str], cancelled: bool = False):
        result = [] if label is None else [{"from_name": "label", "to_name": "image",
                                            "type": "choices", "value": {"choices": [label]}}]
        return self.api("POST", f"/api/tasks/{task}/annotations/",
                        json={"result": result, "was_cancelled": cancelled})


def executable() -> Optional[str]:
    path = os.environ.get(EXECUTABLE_VARIABLE, DEFAULT_EXECUTABLE)
    return path if os.path.exists(path) else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(workdir: str) -> Server:
    """Start Label Studio with a new database under ``workdir``; wait until it answers."""
    exe = executable()
    root = os.path.join(workdir, "root")
    data = os.path.join(workdir, "data")
    os.makedirs(root), os.makedirs(data)
    port = _free_port()
    env = {**os.environ,
           "LABEL_STUDIO_USERNAME": "annotator@example.com",
           "LABEL_STUDIO_PASSWORD": "modal-sraal-test",
           "LABEL_STUDIO_USER_TOKEN": LEGACY_TOKEN,
           "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true",
           "LABEL_STUDIO_BASE_DATA_DIR": data,
           "LABEL_STUDIO_LATEST_VERSION_CHECK": "false",
           "LABEL_STUDIO_LOCAL_FILES_SERVING_ENABLED": "true",
           "LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT": root}
    log = os.path.join(workdir, "label-studio.log")
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [exe, "start", "--no-browser", "--internal-host", "127.0.0.1", "--port", str(port)],
            env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            if requests.get(url + "/health/", timeout=5).json().get("status") == "UP":
                break
        except (requests.RequestException, ValueError):
            pass
        time.sleep(2)
    else:
        stop(process)
        raise RuntimeError(f"Label Studio did not answer within {START_TIMEOUT}s:\n" + _tail(log))
    if process.poll() is not None:
        raise RuntimeError("Label Studio exited at start:\n" + _tail(log))
    server = Server(url, LEGACY_TOKEN, "", root, log, process)
    server.personal_token = server.api("POST", "/api/token/")["token"]
    return server


def stop(process: subprocess.Popen) -> None:
    """SIGTERM to the server's process group, SIGKILL after 20 s."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)


def _tail(path: str, n: int = 3000) -> str:
    with open(path, "rb") as f:
        return f.read()[-n:].decode(errors="replace")
