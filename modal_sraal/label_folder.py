"""``modal-sraal label``: SRAAL picks, a person labels in Label Studio, for a folder of images.

    modal-sraal label init DIR --classes a,b,c [--url URL] [--token TOKEN] [--title TITLE]
    modal-sraal label query DIR --n N
    modal-sraal label pull DIR
    modal-sraal label status DIR

``init`` creates (or reuses) a Label Studio project for image classification
that can read the images of ``DIR``; ``query`` trains the target model on
``DIR/labels.csv``, picks the next images (SRAAL, or k-center (Alg. 1) while
fewer than two classes are labeled) and pushes them as tasks; ``pull``
writes the finished annotations to ``DIR/labels.csv``; ``status`` counts.
The loop's state lives in ``DIR/.modal_sraal/``, written atomically.
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import os
import sys
import time
from collections import Counter
from typing import Any, Dict, List, Optional, Sequence
from urllib.parse import quote

import numpy as np

from ._files import atomic_write
from .annotation import InvalidAnnotationError, LabelStudioOracle, classification_project
from .labelstudio import LabelStudioClient, LabelStudioError, ProjectNotFoundError

__all__ = ["LabelFolder", "find_images", "load_images", "read_labels", "write_labels",
           "IMAGE_SUFFIXES", "DEFAULT_SIZE", "main"]

#: Image files the loop takes (case-insensitive), in ``DIR`` and its subfolders.
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
#: Side of the square every image is resized to (CIFAR's, the paper's setting).
DEFAULT_SIZE = 32
#: The folder of the loop's state, inside ``DIR``.
STATE_DIR = ".modal_sraal"
LABELS_FILE = "labels.csv"
#: Environment variable of Label Studio's local-files document root.
ROOT_VARIABLE = "LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT"
#: Task data fields: the image's path relative to ``DIR`` (the key) and SRAAL's score.
KEY_FIELD, SCORE_FIELD = "path", "sraal_score"
_GRAY_MODES = {"1", "L", "LA", "I", "I;16", "F", "P;L"}


# -- files -------------------------------------------------------------------------
def find_images(folder: str) -> List[str]:
    """Every image under ``folder`` (subfolders too), as sorted POSIX paths relative to it."""
    found = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))   # .modal_sraal, .git
        for name in files:
            if name.lower().endswith(IMAGE_SUFFIXES) and not name.startswith("."):
                found.append(os.path.relpath(os.path.join(root, name), folder).replace(os.sep, "/"))
    return sorted(found)


def detect_channels(folder: str, paths: Sequence[str], sample: int = 64) -> int:
    """1 when every image of a sample is grayscale, else 3."""
    from PIL import Image

    for path in paths[:sample]:
        with Image.open(os.path.join(folder, path)) as im:
            if im.mode not in _GRAY_MODES:
                return 3
    return 1


def load_images(folder: str, paths: Sequence[str], size: int = DEFAULT_SIZE,
                channels: int = 3) -> np.ndarray:
    """The images as a ``(n, channels, size, size)`` uint8 array (Pillow; bilinear resize).

    Raises
    ------
    FileNotFoundError
        Naming the first image that is missing.
    ValueError
        Naming the first file Pillow cannot read.
    """
    from PIL import Image, UnidentifiedImageError

    mode = "L" if channels == 1 else "RGB"
    out = np.empty((len(paths), channels, size, size), dtype=np.uint8)
    for i, path in enumerate(paths):
        full = os.path.join(folder, path)
        try:
            with Image.open(full) as im:
                arr = np.asarray(im.convert(mode).resize((size, size), Image.BILINEAR))
        except FileNotFoundError:
            raise FileNotFoundError(f"Image {path!r} is missing from {folder}.") from None
        except (UnidentifiedImageError, OSError) as exc:
            raise ValueError(f"Cannot read image {path!r} in {folder}: {exc}") from None
        out[i] = arr[None] if channels == 1 else arr.transpose(2, 0, 1)
    return out


def read_labels(folder: str) -> Dict[str, str]:
    """``DIR/labels.csv`` (columns ``path,label``) as ``{path: label}``; empty if absent."""
    path = os.path.join(folder, LABELS_FILE)
    if not os.path.exists(path):
        return {}
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        if reader.fieldnames is None or not {"path", "label"} <= set(reader.fieldnames):
            raise ValueError(f"{path} must have a header with the columns path,label; "
                             f"got {reader.fieldnames}.")
        labels = {}
        for line, row in enumerate(reader, start=2):
            if not row["path"] or not row["label"]:
                raise ValueError(f"{path}, line {line}: empty path or label ({row}).")
            labels[row["path"].replace(os.sep, "/")] = row["label"]
    return labels


def write_labels(folder: str, labels: Dict[str, str]) -> None:
    """Write ``DIR/labels.csv`` atomically, sorted by path."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(["path", "label"])
    writer.writerows(sorted(labels.items()))
    atomic_write(os.path.join(folder, LABELS_FILE), lambda f: f.write(text.getvalue().encode()))


def _write_json(path: str, value: Any) -> None:
    atomic_write(path, lambda f: f.write(json.dumps(value, indent=1).encode()))


def _read_json(path: str) -> Optional[Any]:
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as f:
        return json.load(f)


# -- the loop ------------------------------------------------------------------------
class LabelFolder:
    """The annotation loop of one folder of images (what ``modal-sraal label`` runs).

    Parameters
    ----------
    folder : str
        The folder of images; the state goes to ``folder/.modal_sraal/``.
    url, token : str, optional
        Label Studio's address and token; default ``LABEL_STUDIO_URL`` and
        ``LABEL_STUDIO_API_KEY`` (the address, once given to :meth:`init`,
        is remembered).
    """

    def __init__(self, folder: str, url: Optional[str] = None, token: Optional[str] = None):
        if not os.path.isdir(folder):
            raise FileNotFoundError(f"DIR: {folder!r} is not a folder.")
        self.folder = os.path.abspath(folder)
        self.url, self.token = url, token

    # state
    @property
    def state_path(self) -> str:
        return os.path.join(self.folder, STATE_DIR, "state.json")

    @property
    def journal_path(self) -> str:
        """A query's batch between its choice and its push (see :meth:`query`)."""
        return os.path.join(self.folder, STATE_DIR, "push.json")

    def state(self) -> Dict[str, Any]:
        state = _read_json(self.state_path)
        if state is None:
            raise FileNotFoundError(
                f"{self.folder} has no annotation loop yet: run `modal-sraal label init "
                f"{self.folder} --classes ...` first.")
        return state

    def _client(self, state: Optional[Dict[str, Any]] = None) -> LabelStudioClient:
        url = self.url or os.environ.get("LABEL_STUDIO_URL") or (state or {}).get("url")
        return LabelStudioClient(url, self.token)

    def oracle(self, state: Optional[Dict[str, Any]] = None) -> LabelStudioOracle:
        """The project of this folder; a clear error if it was deleted."""
        state = state or self.state()
        client = self._client(state)
        try:
            client.project(state["project_id"])
        except ProjectNotFoundError:
            raise ProjectNotFoundError(
                f"The Label Studio project of {self.folder} (id {state['project_id']}, "
                f"{state['title']!r}) no longer exists at {client.url}. Run `modal-sraal label "
                f"init {self.folder} --classes {','.join(state['classes'])}` to create a new "
                f"one: labels.csv is kept, and the images that were pending are queried "
                f"again.", 404) from None
        return LabelStudioOracle(client, state["project_id"], state["classes"],
                                 key_field=KEY_FIELD, score_field=SCORE_FIELD)

    def labels(self, classes: Sequence[str], images: Optional[Sequence[str]] = None
               ) -> Dict[str, str]:
        """``labels.csv``, checked: every label a class, every path an image of the folder."""
        labels = read_labels(self.folder)
        bad = sorted((p, lab) for p, lab in labels.items() if lab not in classes)
        if bad:
            raise ValueError(
                f"{LABELS_FILE} has labels that are not among the classes {list(classes)}: "
                f"{bad[:10]}{' ...' if len(bad) > 10 else ''}. Fix those rows, or run `init` "
                f"again with --classes including them.")
        if images is not None:
            missing = sorted(set(labels) - set(images))
            if missing:
                raise FileNotFoundError(
                    f"{len(missing)} labeled image(s) of {LABELS_FILE} are missing from "
                    f"{self.folder}: {missing[:10]}{' ...' if len(missing) > 10 else ''}. "
                    f"Restore them, or delete their rows from {LABELS_FILE} (and their tasks in "
                    f"Label Studio, or `pull` brings them back).")
        return labels

    # commands
    def init(self, classes: Sequence[str], title: Optional[str] = None,
             document_root: Optional[str] = None, size: int = DEFAULT_SIZE,
             channels: str = "auto") -> Dict[str, Any]:
        """Create (or, run again, reuse) the folder's Label Studio project.

        The images must lie below Label Studio's local-files document root
        (``document_root``, default ``LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT``,
        the server's own setting), strictly inside it: Label Studio serves
        them from there. An existing ``labels.csv`` is taken as the starting
        labels.
        """
        classes = [c.strip() for c in classes if c.strip()]
        if len(classes) < 2 or len(set(classes)) != len(classes):
            raise ValueError(f"--classes: give at least two distinct classes, comma-separated; "
                             f"got {classes}.")
        if not (isinstance(size, int) and 8 <= size <= 512):
            raise ValueError(f"--size must be an integer in [8, 512]; got {size!r}.")
        if channels not in ("auto", "1", "3", 1, 3):
            raise ValueError(f"--channels must be auto, 1 or 3; got {channels!r}.")
        images = find_images(self.folder)
        if not images:
            raise FileNotFoundError(f"DIR: no {'/'.join(IMAGE_SUFFIXES)} image under "
                                    f"{self.folder}.")
        root = document_root or os.environ.get(ROOT_VARIABLE)
        if not root:
            raise ValueError(
                f"--document-root: Label Studio serves local images only from below its "
                f"{ROOT_VARIABLE}; give the same folder here (or set the variable).")
        root = os.path.abspath(root)
        if os.path.commonpath([root, self.folder]) != root or root == self.folder:
            raise ValueError(
                f"DIR {self.folder} must lie inside Label Studio's document root {root} "
                f"(a subfolder, not the root itself): move the images there, or restart "
                f"Label Studio with {ROOT_VARIABLE} set to a parent of DIR.")
        labels = self.labels(classes, images)

        previous = _read_json(self.state_path) or {}
        client = self._client(previous)
        client.whoami()   # address and token, checked before anything is created
        title = title or previous.get("title") or f"modal-sraal {os.path.basename(self.folder)}"
        marker = f"modal-sraal active learning on {self.folder}"
        project = None
        if previous.get("project_id") is not None:
            try:
                project = client.project(previous["project_id"])
            except ProjectNotFoundError:
                project = None   # deleted in the UI: make a new one below
        if project is None:   # a project made by an init killed before its state was saved
            project = next((p for p in client.projects()
                            if p.get("description") == marker and p.get("title") == title), None)
        settings = classification_project(classes)
        created = project is None
        if created:
            project = client.create_project(title=title, description=marker, **settings)
        elif project.get("label_config") != settings["label_config"]:
            dropped = sorted(set(previous.get("classes", [])) - set(classes))
            if set(labels.values()) & set(dropped):
                raise ValueError(f"--classes drops {dropped}, which labels.csv uses.")
            client.update_project(project["id"], label_config=settings["label_config"])
        if not any(os.path.abspath(s.get("path", "")) == self.folder
                   for s in client.local_storages(project["id"])):
            client.add_local_storage(project["id"], self.folder, title=os.path.basename(self.folder))
        n_channels = detect_channels(self.folder, images) if channels == "auto" else int(channels)
        state = {
            "format": 1, "url": client.url, "project_id": project["id"], "title": title,
            "classes": classes, "size": size, "channels": n_channels, "document_root": root,
            "initial_labels": previous.get("initial_labels", len(labels)),
            "batches": previous.get("batches", []) if not created else [],
        }
        _write_json(self.state_path, state)
        return {"project_id": project["id"], "created": created, "images": len(images),
                "labels": len(labels), "url": client.url, "channels": n_channels,
                "project_url": f"{client.url}/projects/{project['id']}/data"}

    def query(self, n: int, *, seed: int = 0, max_epochs: int = 30, estimator: Any = None,
              log=print) -> Dict[str, Any]:
        """Pick the next ``n`` images and push them as tasks.

        SRAAL (:func:`~modal_sraal.query.sraal_query`) with the target model
        trained on ``labels.csv``, or k-center (Alg. 1,
        :func:`~modal_sraal.kcenter.kcenter_init`) while fewer than two classes
        are labeled. ``estimator`` replaces the package's CNN (anything with
        ``fit`` and ``predict_proba`` on ``(n, channels, size, size)`` arrays).

        Crash safety: the batch is first written to ``.modal_sraal/push.json``;
        the push creates only the tasks that do not exist yet, in one request;
        the batch is then recorded and the journal removed. A query killed at
        any point is finished by the next one, without a duplicate.
        """
        state = self.state()
        oracle = self.oracle(state)
        journal = _read_json(self.journal_path)
        if journal is not None:
            log(f"finishing the query interrupted at {journal['started']}: pushing its "
                f"{len(journal['keys'])} images")
            return self._push(state, oracle, journal, resumed=True)
        if not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"--n must be a positive integer; got {n!r}.")
        images = find_images(self.folder)
        labels = self.labels(state["classes"], images)
        tasked = oracle.collect(on_invalid="ignore").task_ids
        on_disk = set(images)
        pool = [p for p in images if p not in labels and p not in tasked]
        if n > len(pool):
            raise ValueError(f"--n {n} is more than the {len(pool)} images neither labeled nor "
                             f"pending in Label Studio.")
        t0 = time.perf_counter()
        size, channels = state["size"], state["channels"]
        X_pool = load_images(self.folder, pool, size, channels)
        labeled = sorted(labels)
        journal = {"started": time.strftime("%Y-%m-%d %H:%M:%S"),
                   # unique also across a state lost with its project kept
                   "model_version": f"modal-sraal-{len(state['batches']) + 1}-"
                                    f"{time.strftime('%Y%m%d%H%M%S')}"}
        if len(set(labels.values())) < 2:
            journal.update(self._cold_start(pool, X_pool, labeled + [p for p in tasked
                                                                     if p in on_disk],
                                            n, seed, state, log))
        else:
            journal.update(self._sraal(X_pool, labeled, labels, state, n, seed, max_epochs,
                                       estimator, log))
        picked = journal.pop("picked")
        journal["keys"] = [pool[i] for i in picked]
        journal["seconds"] = time.perf_counter() - t0
        _write_json(self.journal_path, journal)
        return self._push(state, oracle, journal, resumed=False)

    def _cold_start(self, pool, X_pool, seen, n, seed, state, log):
        from .kcenter import kcenter_init

        # the cover grows from what is labeled or pending (seen)
        log(f"fewer than two classes labeled: k-center (Alg. 1) picks {n} images")
        paths = seen + pool
        X = np.concatenate([load_images(self.folder, seen, state["size"], state["channels"]),
                            X_pool])
        Z = self._uir_codes(paths, X, seed)
        picked = kcenter_init(X, n, already_selected=np.arange(len(seen)) if seen else None,
                              embedding=lambda _: Z, random_state=seed) - len(seen)
        return {"kind": "kcenter", "picked": picked.tolist(),
                "scores": (1.0 - np.arange(n) / n).tolist(), "predicted": None,
                "diagnostics": {}}

    def _uir_codes(self, paths, X, seed):
        """The UIR latent means of Alg. 1, kept in ``.modal_sraal/uir.npz``: cold-start
        queries before two classes are labeled reuse them while no image changed."""
        from .kcenter import uir_embedding

        cache = os.path.join(self.folder, STATE_DIR, "uir.npz")
        stamps = np.asarray([os.stat(os.path.join(self.folder, p)).st_mtime_ns for p in paths])
        if os.path.exists(cache):
            with np.load(cache) as old:
                row = {p: i for i, p in enumerate(old["paths"].tolist())}
                if int(old["seed"]) == seed and old["shape"].tolist() == list(X.shape[1:]) \
                        and set(row) == set(paths):
                    take = np.asarray([row[p] for p in paths])
                    if np.array_equal(old["stamps"][take], stamps):
                        return old["Z"][take]
        Z = uir_embedding(X, random_state=seed)
        buffer = io.BytesIO()
        np.savez(buffer, paths=np.asarray(paths), stamps=stamps, Z=Z, seed=seed,
                 shape=np.asarray(X.shape[1:]))
        atomic_write(cache, lambda f: f.write(buffer.getvalue()))
        return Z

    def _sraal(self, X_pool, labeled, labels, state, n, seed, max_epochs, estimator, log):
        from modAL.models import ActiveLearner

        from .models import make_target_classifier
        from .query import sraal_query

        classes, size, channels = state["classes"], state["size"], state["channels"]
        X_lab = load_images(self.folder, labeled, size, channels)
        y_lab = np.asarray([labels[p] for p in labeled])
        net = estimator if estimator is not None else make_target_classifier(
            (channels, size, size), len(classes), classes=classes, max_epochs=max_epochs,
            random_state=seed)
        t0 = time.perf_counter()
        learner = ActiveLearner(estimator=net, X_training=X_lab, y_training=y_lab)
        fit_s = time.perf_counter() - t0
        log(f"target model trained on {len(labeled)} labels in {fit_s:.1f}s; SRAAL ranks "
            f"{len(X_pool)} images")
        t0 = time.perf_counter()
        picked, scores = sraal_query(learner, X_pool, n, random_state=seed)
        query_s = time.perf_counter() - t0
        sraal = learner.sraal_
        diagnostics = {"tracking": float(sraal.tracking_), "fit_seconds": fit_s,
                       "query_seconds": query_s,
                       "train_accuracy": float(learner.score(X_lab, y_lab))}
        return {"kind": "sraal", "picked": np.asarray(picked).tolist(),
                "scores": np.asarray(scores, dtype=float).tolist(),
                "predicted": [str(p) for p in learner.predict(X_pool[picked])],
                "diagnostics": diagnostics}

    def _push(self, state, oracle, journal, resumed):
        root = state["document_root"]
        data = [{"image": "/data/local-files/?d=" + quote(os.path.relpath(
                    os.path.join(self.folder, key), root).replace(os.sep, "/"))}
                for key in journal["keys"]]
        pushed = oracle.push(journal["keys"], journal["scores"], data, journal["predicted"],
                             model_version=journal["model_version"])
        batch = {k: journal[k] for k in ("model_version", "kind", "started", "seconds",
                                         "diagnostics")}
        batch["n"] = len(journal["keys"])
        # recorded once, also when a run killed after this write is finished again
        if not any(b["model_version"] == batch["model_version"] for b in state["batches"]):
            state["batches"].append(batch)
            _write_json(self.state_path, state)
        os.unlink(self.journal_path)
        return {**batch, "pushed": len(pushed), "resumed": resumed, "keys": journal["keys"],
                "scores": journal["scores"], "predicted": journal["predicted"]}

    def pull(self) -> Dict[str, Any]:
        """Write the finished annotations to ``labels.csv`` (the latest per image wins).

        Skipped and cancelled tasks are not labels. Labels already in
        ``labels.csv`` stay unless Label Studio has one for the same image.
        Annotations with a class outside the classes are reported by an
        :class:`~modal_sraal.annotation.InvalidAnnotationError` *after* the
        valid labels are written.
        """
        state = self.state()
        oracle = self.oracle(state)
        got = oracle.collect(on_invalid="ignore")
        before = read_labels(self.folder)
        merged = {**before, **{str(k): v for k, v in got.labels.items()}}
        new = sum(before.get(k) != v for k, v in merged.items())
        write_labels(self.folder, merged)
        missing = sorted(set(merged) - set(find_images(self.folder)))
        summary = {"labels": len(merged), "new_or_changed": new, "pending": len(got.pending),
                   "skipped": len(got.skipped), "missing_images": missing,
                   "per_class": dict(Counter(merged.values()))}
        if got.invalid:
            extra = sorted({str(value) for _, _, value in got.invalid})
            raise InvalidAnnotationError(
                f"labels.csv now holds {len(merged)} labels; " + oracle.describe_invalid(got.invalid)
                + f" To add the class: modal-sraal label init {self.folder} --classes "
                  f"{','.join(state['classes'] + extra)}", got)
        return summary

    def status(self) -> Dict[str, Any]:
        """Counts: images, labeled, pending and skipped in Label Studio, per class; the last query."""
        state = self.state()
        images = find_images(self.folder)
        labels = read_labels(self.folder)
        got = self.oracle(state).collect(on_invalid="ignore")
        unpulled = [k for k, v in got.labels.items() if labels.get(k) != v]
        return {"folder": self.folder, "url": state["url"], "project_id": state["project_id"],
                "images": len(images), "labeled": len(labels), "pending": len(got.pending),
                "skipped": len(got.skipped), "annotated_not_pulled": len(unpulled),
                "invalid_annotations": len(got.invalid),
                "per_class": {c: Counter(labels.values()).get(c, 0) for c in state["classes"]},
                "missing_images": sorted(set(labels) - set(images)),
                "interrupted_query": os.path.exists(self.journal_path),
                "last_query": state["batches"][-1] if state["batches"] else None}


# -- command line -------------------------------------------------------------------
def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="modal-sraal label",
                                description=__doc__.splitlines()[0].strip("`"))
    sub = p.add_subparsers(dest="command", required=True)

    def command(name, help):
        c = sub.add_parser(name, help=help, description=help)
        c.add_argument("dir", metavar="DIR", help="the folder of images")
        c.add_argument("--url", help="Label Studio's address (default: $LABEL_STUDIO_URL, "
                                     "then the one given to init)")
        c.add_argument("--token", help="personal access token or legacy token (default: "
                                       "$LABEL_STUDIO_API_KEY)")
        return c

    c = command("init", "create or reuse the folder's Label Studio project")
    c.add_argument("--classes", required=True, help="comma-separated class names")
    c.add_argument("--title", help="project title (default: 'modal-sraal DIRNAME')")
    c.add_argument("--document-root", help=f"Label Studio's local-files root (default: "
                                           f"${ROOT_VARIABLE})")
    c.add_argument("--size", type=int, default=DEFAULT_SIZE,
                   help=f"images are resized to SIZE x SIZE (default {DEFAULT_SIZE})")
    c.add_argument("--channels", default="auto", choices=["auto", "1", "3"],
                   help="1 (grayscale) or 3 (RGB); auto: 1 when every image is grayscale")
    c = command("query", "train on labels.csv, pick the next images, push them as tasks")
    c.add_argument("--n", type=int, required=True, help="images to pick")
    c.add_argument("--seed", type=int, default=0)
    c.add_argument("--epochs", type=int, default=30, help="target model epochs")
    command("pull", "write the finished annotations to DIR/labels.csv")
    c = command("status", "images, labeled, pending, per class, the last query")
    c.add_argument("--json", action="store_true", help="print the status as JSON")
    return p


def main(argv: Optional[List[str]] = None) -> Dict[str, Any]:
    args = _parser().parse_args(argv)
    try:
        folder = LabelFolder(args.dir, url=args.url, token=args.token)
        if args.command == "init":
            out = folder.init(args.classes.split(","), title=args.title,
                              document_root=args.document_root, size=args.size,
                              channels=args.channels)
            print(f"{'created' if out['created'] else 'reusing'} project {out['project_id']} at "
                  f"{out['url']}: {out['images']} images ({out['channels']} channel(s)), "
                  f"{out['labels']} starting labels\nlabel at {out['project_url']}")
        elif args.command == "query":
            out = folder.query(args.n, seed=args.seed, max_epochs=args.epochs)
            diag = out["diagnostics"]
            extra = (f"; query {diag['query_seconds']:.1f}s, target fit {diag['fit_seconds']:.1f}s,"
                     f" tracking {diag['tracking']:.2f}" if diag else "")
            print(f"{out['kind']} picked {out['n']} images, {out['pushed']} new tasks "
                  f"({out['model_version']}) in {out['seconds']:.1f}s{extra}")
            for key, score, pred in zip(out["keys"], out["scores"],
                                        out["predicted"] or [None] * out["n"]):
                print(f"  {score:.3f}  {key}" + (f"  (predicted {pred})" if pred else ""))
        elif args.command == "pull":
            out = folder.pull()
            print(f"labels.csv: {out['labels']} labels ({out['new_or_changed']} new or changed); "
                  f"{out['pending']} pending, {out['skipped']} skipped in Label Studio")
            if out["missing_images"]:
                print(f"warning: {len(out['missing_images'])} labeled image(s) are missing from "
                      f"DIR: {out['missing_images'][:10]}", file=sys.stderr)
        else:
            out = folder.status()
            if args.json:
                print(json.dumps(out, indent=1))
            else:
                _print_status(out)
        return out
    except (LabelStudioError, ValueError, FileNotFoundError) as exc:
        print(f"modal-sraal label {args.command}: error: {exc}", file=sys.stderr)
        raise SystemExit(1) from None


def _print_status(s: Dict[str, Any]) -> None:
    lines = [f"{s['folder']} -> project {s['project_id']} at {s['url']}",
             f"images {s['images']}, labeled {s['labeled']}, pending in Label Studio "
             f"{s['pending']}, skipped {s['skipped']}, annotated but not pulled "
             f"{s['annotated_not_pulled']}",
             "per class: " + ", ".join(f"{c} {k}" for c, k in s["per_class"].items())]
    if s["invalid_annotations"]:
        lines.append(f"{s['invalid_annotations']} annotation(s) have a class outside the "
                     f"classes: `pull` names them")
    if s["missing_images"]:
        lines.append(f"missing labeled images: {s['missing_images'][:10]}")
    if s["interrupted_query"]:
        lines.append("a query was interrupted: the next `query` finishes it")
    q = s["last_query"]
    if q:
        d = q["diagnostics"]
        lines.append(f"last query: {q['kind']}, {q['n']} images, {q['seconds']:.1f}s"
                     + (f", tracking {d['tracking']:.2f}, query {d['query_seconds']:.1f}s, "
                        f"target fit {d['fit_seconds']:.1f}s" if d else ""))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
