"""A Label Studio project as the oracle of an active learning loop.

Push the rows a query picked, with their scores, as labeling tasks; poll or
wait for the annotations; get ``(keys, labels)`` back for ``learner.teach``.
Any pool works: a key identifies a row (an index into the user's pool, or a
file path) and travels in each task's data, so the project itself is the
record of what was pushed, and a push never duplicates a task.

Examples
--------
With a running Label Studio (``LABEL_STUDIO_URL``, ``LABEL_STUDIO_API_KEY``)::

    oracle = LabelStudioOracle.create(["cat", "dog"], title="pets")
    idx, scores = learner.query(X_pool, n_instances=10)
    oracle.push(idx, scores, data=[{"image": url_of(i)} for i in idx],
                predicted=learner.predict(X_pool[idx]))
    rows, labels = oracle.wait(idx, timeout=3600)
    learner.teach(X_pool[rows], labels)
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Dict, Hashable, List, Optional, Sequence, Tuple
from xml.sax.saxutils import quoteattr

import numpy as np

from .labelstudio import LabelStudioClient, LabelStudioError

__all__ = ["LabelStudioOracle", "Collected", "InvalidAnnotationError", "choices_config",
           "classification_project", "serving_priority", "CHOICES_NAME", "IMAGE_NAME"]

#: Names of the ``<Choices>`` and ``<Image>`` tags in :func:`choices_config`.
CHOICES_NAME, IMAGE_NAME = "label", "image"
#: Sampling that makes Label Studio serve the lowest prediction score first.
UNCERTAINTY_SAMPLING = "Uncertainty sampling"


def choices_config(classes: Sequence[str], data_key: str = IMAGE_NAME,
                   object_tag: str = "Image") -> str:
    """Label Studio's labeling interface for single-choice classification.

    ``object_tag`` shows the task's ``data[data_key]`` (``Image``, ``Text``, ...).
    """
    choices = "".join(f"<Choice value={quoteattr(str(c))}/>" for c in classes)
    return (f'<View><{object_tag} name="{IMAGE_NAME}" value="${data_key}"/>'
            f'<Choices name="{CHOICES_NAME}" toName="{IMAGE_NAME}" choice="single" '
            f'showInLine="true">{choices}</Choices></View>')


def classification_project(classes: Sequence[Any], label_config: Optional[str] = None
                           ) -> Dict[str, Any]:
    """Settings of a project that serves tasks in the order of the pushed scores
    (uncertainty sampling, :func:`serving_priority`), with the predictions shown."""
    return {"label_config": label_config or choices_config([str(c) for c in classes]),
            "sampling": UNCERTAINTY_SAMPLING, "show_collab_predictions": True}


def serving_priority(scores: Sequence[float]) -> np.ndarray:
    """Prediction scores that make Label Studio serve the highest score first.

    Label Studio's uncertainty sampling serves the task with the *lowest*
    prediction score first; active learning ranks the *highest* first. The
    priority of a row is its place in the descending order divided by the
    batch size: 0 for the first pick, below 1 for the last (ties keep the
    given order).
    """
    scores = np.asarray(scores, dtype=float)
    order = np.argsort(-scores, kind="stable")
    priority = np.empty(len(scores))
    priority[order] = np.arange(len(scores)) / max(len(scores), 1)
    return priority


@dataclass
class Collected:
    """What a project holds, by key.

    ``labels``: the latest finished annotation of each labeled key;
    ``pending``: keys with a task and no annotation; ``skipped``: keys whose
    only annotations are skipped or cancelled; ``invalid``: annotations whose
    class is not one of the project's classes, as ``(key, task id, value)``;
    ``task_ids``: every key's task.
    """

    labels: Dict[Hashable, Any] = field(default_factory=dict)
    pending: List[Hashable] = field(default_factory=list)
    skipped: List[Hashable] = field(default_factory=list)
    invalid: List[Tuple[Hashable, int, Any]] = field(default_factory=list)
    task_ids: Dict[Hashable, int] = field(default_factory=dict)


class InvalidAnnotationError(ValueError):
    """Annotations with a class outside the project's classes; ``collected`` keeps the rest."""

    def __init__(self, message: str, collected: Collected):
        super().__init__(message)
        self.collected = collected


class LabelStudioOracle:
    """A Label Studio project that labels what an active learner picks.

    Parameters
    ----------
    client : LabelStudioClient
    project_id : int
    classes : sequence
        The labels annotators choose from; an annotation outside them is
        reported, never taken.
    key_field : str, default='key'
        The task data field that holds each row's key.
    score_field : str, default='score'
        The task data field that holds each row's score (shown in Label
        Studio's data manager).
    """

    def __init__(self, client: LabelStudioClient, project_id: int, classes: Sequence[Any], *,
                 key_field: str = "key", score_field: str = "score"):
        self.client = client
        self.project_id = int(project_id)
        self.classes = list(classes)
        self.key_field = key_field
        self.score_field = score_field

    @classmethod
    def create(cls, classes: Sequence[Any], title: str, *, url: Optional[str] = None,
               token: Optional[str] = None, label_config: Optional[str] = None,
               description: str = "", **kwargs: Any) -> "LabelStudioOracle":
        """A new project for single-choice classification (:func:`choices_config`),
        served in the order of the scores pushed (uncertainty sampling)."""
        client = LabelStudioClient(url, token)
        project = client.create_project(title=title, description=description,
                                        **classification_project(classes, label_config))
        return cls(client, project["id"], classes, **kwargs)

    @classmethod
    def connect(cls, project_id: int, classes: Sequence[Any], *, url: Optional[str] = None,
                token: Optional[str] = None, **kwargs: Any) -> "LabelStudioOracle":
        """An existing project; :class:`~modal_sraal.labelstudio.ProjectNotFoundError` if it is gone."""
        client = LabelStudioClient(url, token)
        client.project(project_id)
        return cls(client, project_id, classes, **kwargs)

    # -- out: tasks ------------------------------------------------------------
    def push(self, keys: Sequence[Hashable], scores: Sequence[float],
             data: Sequence[Dict[str, Any]], predicted: Optional[Sequence[Any]] = None,
             model_version: Optional[str] = None) -> List[Hashable]:
        """Create a task per key that has none yet; the keys pushed.

        Parameters
        ----------
        keys : sequence of int or str
            Row identifiers (pool indices, paths), unique.
        scores : sequence of float
            The query's scores (higher = label first); Label Studio serves the
            batch in this order (:func:`serving_priority`).
        data : sequence of dict
            Each task's data as the labeling interface reads it, e.g.
            ``{"image": url}``.
        predicted : sequence, optional
            The target model's label for each row, shown as a pre-annotation.
        model_version : str, optional
            Tags the batch's predictions; the project is switched to it so
            that Label Studio orders by this batch. Default: a timestamp.

        A key that already has a task (pending, labeled or skipped) is not
        pushed again, so pushing the same batch twice (after a crash, say)
        creates no duplicate. The tasks are created in one request: all or
        none.
        """
        keys = [_plain(k) for k in keys]
        n = len(keys)
        if len(set(keys)) != n:
            raise ValueError("keys: the same key appears twice in one push.")
        for name, values in (("scores", scores), ("data", data), ("predicted", predicted)):
            if values is not None and len(values) != n:
                raise ValueError(f"{name} has {len(values)} entries for {n} keys.")
        scores = np.asarray(scores, dtype=float)
        if not np.isfinite(scores).all():
            raise ValueError("scores: NaN or infinite score.")
        if predicted is not None:
            unknown = sorted({str(p) for p in predicted} - {str(c) for c in self.classes})
            if unknown:
                raise ValueError(f"predicted: labels {unknown} are not among the project's "
                                 f"classes {self.classes}.")
        version = model_version or time.strftime("modal-sraal-%Y%m%d-%H%M%S")
        existing = set(self.collect(on_invalid="ignore").task_ids)
        priority = serving_priority(scores)
        tasks, pushed = [], []
        for i, key in enumerate(keys):
            if key in existing:
                continue
            result = [] if predicted is None else [{
                "from_name": CHOICES_NAME, "to_name": IMAGE_NAME, "type": "choices",
                "value": {"choices": [str(predicted[i])]}}]
            tasks.append({
                "data": {**data[i], self.key_field: key, self.score_field: float(scores[i])},
                "predictions": [{"model_version": version, "score": float(priority[i]),
                                 "result": result}]})
            pushed.append(key)
        if tasks:
            self.client.import_tasks(self.project_id, tasks)
        if tasks or model_version is not None:
            # Label Studio sets a project's model_version only on its first
            # import: without this, a later batch would be served at random.
            # Also with nothing new under a named version: a push interrupted
            # after its import, finished again.
            try:
                self.client.update_project(self.project_id, model_version=version)
            except LabelStudioError as exc:
                # 400: no prediction carries this version (every task predates it)
                if tasks or exc.status != 400:
                    raise
        return pushed

    # -- in: annotations -------------------------------------------------------
    def collect(self, on_invalid: str = "raise") -> Collected:
        """Read every task and its annotations (:class:`Collected`).

        The latest non-cancelled annotation of a key wins (across its tasks
        too, should a key have several). ``on_invalid='raise'`` raises
        :class:`InvalidAnnotationError` when an annotation's class is not one
        of ``classes`` (the valid ones ride on the error); ``'ignore'``
        leaves them in ``invalid``.
        """
        if on_invalid not in ("raise", "ignore"):
            raise ValueError(f"on_invalid must be 'raise' or 'ignore'; got {on_invalid!r}.")
        allowed = {str(c): c for c in self.classes}
        out = Collected()
        latest: Dict[Hashable, Tuple[str, int, Any, int]] = {}
        closed = set()   # keys with an annotation that gave no label: skipped, cancelled
        for task in self.client.tasks(self.project_id):
            key = task.get("data", {}).get(self.key_field)
            if key is None:  # a task this loop did not create
                continue
            out.task_ids.setdefault(key, task["id"])
            for a in task.get("annotations", []):
                value = None if a.get("was_cancelled") else _choice(a)
                if value is None:
                    closed.add(key)
                    continue
                stamp = (a.get("updated_at") or a.get("created_at") or "", a.get("id", 0))
                if key not in latest or stamp > latest[key][:2]:
                    latest[key] = (*stamp, value, task["id"])
        for key, (_, _, value, task_id) in latest.items():
            if value in allowed:
                out.labels[key] = allowed[value]
            else:
                out.invalid.append((key, task_id, value))
        answered = set(latest)
        for key in out.task_ids:
            if key not in answered:
                (out.skipped if key in closed else out.pending).append(key)
        if out.invalid and on_invalid == "raise":
            raise InvalidAnnotationError(self.describe_invalid(out.invalid), out)
        return out

    def describe_invalid(self, invalid: Sequence[Tuple[Hashable, int, Any]]) -> str:
        """One message naming each annotation outside the classes and what to do."""
        shown = "; ".join(f"task {tid} ({self.key_field} {key!r}): {value!r}"
                          for key, tid, value in invalid[:10])
        more = f" and {len(invalid) - 10} more" if len(invalid) > 10 else ""
        return (f"{len(invalid)} annotation(s) in project {self.project_id} have a class that "
                f"is not one of {self.classes}: {shown}{more}. Correct them in Label Studio, "
                f"or add the class to the project's classes, then read the annotations again; "
                f"the other labels are kept.")

    def poll(self, keys: Optional[Sequence[Hashable]] = None) -> Tuple[np.ndarray, np.ndarray]:
        """The labels available now: ``(keys, labels)``, restricted to ``keys`` if given."""
        labels = self.collect().labels
        wanted = labels if keys is None else [k for k in map(_plain, keys) if k in labels]
        return np.asarray(list(wanted)), np.asarray([labels[k] for k in wanted])

    def wait(self, keys: Sequence[Hashable], timeout: float, interval: float = 5.0
             ) -> Tuple[np.ndarray, np.ndarray]:
        """Poll until every key is labeled or skipped, or ``timeout`` seconds pass.

        Returns the ``(keys, labels)`` labeled by then (skipped keys have no
        label); compare the length with ``keys`` to see whether all came.
        """
        keys = [_plain(k) for k in keys]
        deadline = time.monotonic() + timeout
        while True:
            got = self.collect()
            if all(k in got.labels or k in got.skipped for k in keys) \
                    or time.monotonic() >= deadline:
                done = [k for k in keys if k in got.labels]
                return np.asarray(done), np.asarray([got.labels[k] for k in done])
            time.sleep(min(interval, max(0.0, deadline - time.monotonic())))


def _choice(annotation: Dict[str, Any]) -> Optional[str]:
    for item in annotation.get("result", []):
        if item.get("from_name") == CHOICES_NAME and item.get("value", {}).get("choices"):
            return str(item["value"]["choices"][0])
    return None


def _plain(key: Any) -> Hashable:
    """numpy integers and strings as JSON's own (keys travel in task data)."""
    if isinstance(key, (np.integer,)):
        return int(key)
    if isinstance(key, np.str_):
        return str(key)
    return key
