"""Smoke test of the benchmark harness: one seed, two cycles, a small subset."""
import csv
import os

import numpy as np
import pytest

from modal_sraal.benchmark import FIELDS, main, run_benchmark, summarize

SMALL = dict(start=0.10, step=0.05, max_epochs=3, subset=300, verbose=0)


def _rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_harness_smoke_csv_table_plot_and_resume(tmp_path):
    out = str(tmp_path)
    methods = ["sraal", "random", "entropy", "coreset", "mc_dropout", "vaal", "sraal_recon2"]
    # First run stops after one cycle, as if killed; the second must continue, not redo.
    run_benchmark("digits", methods, [0], out, stop=0.15, **SMALL)
    first = _rows(os.path.join(out, "results.csv"))
    assert len(first) == len(methods) * 2
    csv_path = run_benchmark("digits", methods, [0], out, stop=0.20, **SMALL)
    rows = _rows(csv_path)
    assert list(rows[0]) == FIELDS
    assert len(rows) == len(methods) * 3                  # cycles 0, 1, 2; nothing redone
    assert rows[:len(first)] == first                     # finished cycles untouched
    for r in rows:
        assert 0.0 <= float(r["accuracy"]) <= 1.0
        assert int(r["labeled"]) == {0: 30, 1: 45, 2: 60}[int(r["cycle"])]
    sraal = [r for r in rows if r["method"] == "sraal" and r["cycle"] != "0"]
    assert all(float(r["strategy_fit_s"]) > 0 for r in sraal)
    # diagnostics: SRAAL's fit, and every method's batch spread over the classes
    # the CSV's diagnostics are the fitted SRAAL's own (from the run's last checkpoint)
    from modal_sraal import load_checkpoint

    method = load_checkpoint(os.path.join(out, "checkpoints", "sraal_random_seed0.pkl"))["strategy"]
    last = sraal[-1]
    assert float(last["tracking"]) == pytest.approx(method.sraal.tracking_)
    assert float(last["separation"]) == pytest.approx(method.sraal.separation_)
    assert float(last["stl_accuracy"]) == pytest.approx(method.sraal.stl_accuracy_)
    assert int(last["sraal_iters"]) == method.sraal.n_iter_last_ >= 1
    assert float(last["strategy_fit_s"]) == pytest.approx(method.sraal.fit_seconds_)
    # the batch rule: 'sraal' is sraal_query's default ('auto': diverse or dense), 'vaal' keeps
    # the diverse rule it was published with (no isolated share measured)
    assert last["batch_selection"] == method.sraal.batch_selection_["selection"]
    assert all(r["batch_selection"] in ("diverse", "dense") and 0 <= float(r["isolated_share"]) <= 1
               for r in sraal)
    vaal = [r for r in rows if r["method"] == "vaal" and r["cycle"] != "0"]
    assert all(r["batch_selection"] == "diverse" and r["isolated_share"] == "nan" for r in vaal)
    # the share of candidates a reconstruction weight distrusted: only where there is one
    # (sraal's default since 0.14, and tune13's sraal_recon2; vaal keeps it off)
    assert all(r["down_weighted"] == "" for r in vaal)
    recon = [r for r in rows if r["method"] == "sraal_recon2" and r["cycle"] != "0"]
    assert recon and all(0 <= float(r["down_weighted"]) <= 1 for r in recon + sraal)
    assert float(last["down_weighted"]) == pytest.approx(method.sraal.batch_selection_["down_weighted"])
    for r in rows:
        if r["cycle"] != "0":
            assert 1 <= int(r["batch_classes"]) <= 10 and 0 < float(r["batch_top_share"]) <= 1
    assert all(r["tracking"] == "" for r in rows if r["method"] == "random")
    # Same initial pool for every method within the seed: identical cycle-0 accuracy
    # needs identical data (the target model is seeded).
    assert len({r["accuracy"] for r in rows if r["cycle"] == "0"}) == 1

    table = summarize(csv_path, out, reference="sraal", title="smoke")
    assert set(table) == set(methods)
    text = open(os.path.join(out, "summary.md")).read()
    assert "sraal minus each method" in text and "| coreset |" in text
    assert ".. list-table::" in open(os.path.join(out, "summary.rst")).read()
    png = os.path.join(out, "summary.png")
    sub = summarize(csv_path, out, methods=["vaal", "random"], name="sub")
    assert list(sub) == ["vaal", "random"] and os.path.exists(os.path.join(out, "sub.md"))
    assert open(png, "rb").read(4) == b"\x89PNG"
    mean, std, n = table["random"][0.2]
    assert n == 1 and std == 0 and 0 < mean <= 1


def test_harness_cli_init_experiment(tmp_path, capsys):
    main(["--dataset", "digits", "--experiment", "init", "--seeds", "0", "--subset", "200",
          "--stop", "0.15", "--max-epochs", "2", "--out", str(tmp_path), "--quiet"])
    rows = _rows(tmp_path / "results.csv")
    assert {r["init"] for r in rows} == {"random", "kcenter"}
    assert "sraal (kcenter init)" in capsys.readouterr().out
    assert os.path.exists(tmp_path / "init_kcenter_seed0.npy")


def test_harness_rejects_unknown_method(tmp_path):
    with pytest.raises(ValueError, match="unknown methods"):
        run_benchmark("digits", ["nope"], [0], str(tmp_path))


def test_harness_validation_mode_holds_out_part_of_the_training_split(tmp_path):
    # digits: 1,347 training images; validation mode trains on 75% of them (1,010).
    csv_path = run_benchmark("digits", ["random"], [0], str(tmp_path), start=0.10, step=0.05,
                             stop=0.15, max_epochs=2, verbose=0, validation=True)
    rows = _rows(csv_path)
    assert [int(r["labeled"]) for r in rows] == [101, 151]   # round(50.5) == 50


def test_harness_segmentation_smoke(tmp_path):
    from modal_sraal.benchmark import DATASETS, synthetic_segmentation

    tiny = synthetic_segmentation(n_train=60, n_test=20, size=16, n_classes=3)
    with DATASETS.registered("tiny-seg", tiny):
        csv_path = run_benchmark("tiny-seg", ["sraal", "random", "entropy", "coreset", "vaal"],
                                 [0], str(tmp_path), start=0.2, step=0.1, stop=0.3,
                                 max_epochs=2, verbose=0)
    assert "tiny-seg" not in DATASETS
    rows = _rows(csv_path)
    assert len(rows) == 10 and {int(r["labeled"]) for r in rows} == {12, 18}
    assert all(0.0 <= float(r["accuracy"]) <= 1.0 for r in rows)   # mean IoU
    table = summarize(csv_path, str(tmp_path), reference="sraal", name="seg", metric="test mean IoU")
    assert set(table) == {"sraal", "random", "entropy", "coreset", "vaal"}
    assert "Test mean IoU (%)" in open(tmp_path / "seg.md").read()


def test_harness_restarts_a_run_whose_checkpoint_is_lost(tmp_path):
    # Rows of a killed run whose checkpoint is gone cannot be continued: the run
    # starts over and its stale rows are replaced, never duplicated.
    out = str(tmp_path)
    run_benchmark("digits", ["random"], [0], out, stop=0.15, **SMALL)
    os.remove(os.path.join(out, "checkpoints", "random_random_seed0.pkl"))
    csv_path = run_benchmark("digits", ["random"], [0], out, stop=0.20, **SMALL)
    assert [int(r["cycle"]) for r in _rows(csv_path)] == [0, 1, 2]


def test_harness_upgrades_an_old_results_file(tmp_path):
    """A results.csv written before the diagnostic columns existed is rewritten
    with today's columns when a run appends to it; old rows keep their values."""
    from modal_sraal.query import batch_spread

    old_fields = FIELDS[:12]
    path = tmp_path / "results.csv"
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=old_fields)
        w.writeheader()
        w.writerow(dict(zip(old_fields, ["digits", "old", "random", "9", "0", "30", "0.1", "0.5",
                                         "1", "", "", ""])))
    run_benchmark("digits", ["random"], [0], str(tmp_path), stop=0.15, **SMALL)
    rows = _rows(path)
    assert list(rows[0]) == FIELDS and rows[0]["method"] == "old" and rows[0]["accuracy"] == "0.5"
    assert len(rows) == 3
    assert batch_spread(np.array([1, 1, 2, 3])) == {"batch_classes": 3, "batch_top_share": 0.5}


def test_harness_resumes_a_run_killed_after_its_first_cycle(tmp_path):
    """Only cycle 0 written (and checkpointed): the next call continues from it,
    without a second cycle-0 row."""
    run_benchmark("digits", ["random"], [0], str(tmp_path), stop=0.10, **SMALL)
    assert [r["cycle"] for r in _rows(tmp_path / "results.csv")] == ["0"]
    run_benchmark("digits", ["random"], [0], str(tmp_path), stop=0.15, **SMALL)
    assert [r["cycle"] for r in _rows(tmp_path / "results.csv")] == ["0", "1"]


def test_noise_levels_are_each_images_added_noise_in_the_benchmarks_order():
    from modal_sraal.benchmark.data import load_benchmark_data, noise_levels
    from modal_sraal.datasets import train_test

    X0, y0 = train_test("digits")[0], train_test("digits")[2]
    Xm = load_benchmark_data("digits-mixed")[0]
    sd = noise_levels("digits-mixed")
    measured = (Xm - X0).reshape(len(X0), -1).std(axis=1)
    assert sd.shape == (len(X0),) and 0 <= sd.min() and sd.max() <= 1.0
    assert np.corrcoef(sd, measured)[0, 1] > 0.98            # the same image, row by row
    # validation: the same rows as load_benchmark_data's training part (matched by the clean
    # labels' order and by the noise each row carries)
    Xv, _, yv, _, _ = load_benchmark_data("digits-mixed", validation=True)
    sd_v = noise_levels("digits-mixed", validation=True)
    index = {x.tobytes(): i for i, x in enumerate(Xm)}
    rows = [index[x.tobytes()] for x in Xv]
    np.testing.assert_array_equal(sd_v, sd[rows])
    np.testing.assert_array_equal(yv, y0[rows])
    np.testing.assert_array_equal(noise_levels("digits-noisy", validation=True), 0.5)
    with pytest.raises(ValueError, match="dataset='digits' has no added noise"):
        noise_levels("digits")


def test_noisy_data_sets_are_fixed_and_keep_the_clean_labels():
    from modal_sraal.benchmark.data import load_benchmark_data
    from modal_sraal.datasets import train_test

    X0, Xt0, y0, yt0 = train_test("digits")
    X, Xt, y, yt, task = load_benchmark_data("digits-noisy")
    again = load_benchmark_data("digits-noisy")[0]
    assert task == "classification" and X.shape == X0.shape and Xt.shape == Xt0.shape
    np.testing.assert_array_equal(y, y0)
    np.testing.assert_array_equal(yt, yt0)
    np.testing.assert_array_equal(X, again)   # the same noise on every load
    assert abs(float((X - X0).std()) - 0.5) < 0.01
    # mixed: one standard deviation per image, spread over [0, 1] (sigma 0.5)
    Xm = load_benchmark_data("digits-mixed")[0]
    per_image = (Xm - X0).reshape(len(X0), -1).std(axis=1)
    assert per_image.min() < 0.1 and per_image.max() > 0.85
    assert abs(float(np.median(per_image)) - 0.5) < 0.08


@pytest.mark.parametrize("flag, even", [([], True), (["--fixed-target-batches"], False)])
def test_harness_cli_target_batches(tmp_path, monkeypatch, flag, even):
    from modal_sraal.benchmark import protocol

    made = []

    def spy(*args, **kwargs):
        net = make_target(*args, **kwargs)
        made.append(net.even_batches)
        return net

    make_target = protocol.make_target
    monkeypatch.setattr(protocol, "make_target", spy)
    main(["--dataset", "digits", "--methods", "random", "--seeds", "0", "--subset", "200",
          "--stop", "0.15", "--max-epochs", "1", "--out", str(tmp_path), "--quiet", *flag])
    assert made == [even]


def test_run_difference_gives_the_paired_interval_and_the_test_against_the_bar(tmp_path):
    # SRAAL minus random per seed over the cycles after the start: +1, +2, +3, +2 points;
    # the start (cycle 0) and a seed random did not finish are left out
    from scipy import stats

    from modal_sraal.benchmark.report import run_difference
    from modal_sraal.benchmark.storage import append_row

    path = str(tmp_path / "results.csv")
    gains = {0: 1.0, 1: 2.0, 2: 3.0, 3: 2.0}
    for seed, gain in gains.items():
        for cycle in (0, 1, 2):
            base = 0.5 + 0.01 * seed + 0.1 * cycle
            # the gain is split unevenly over the cycles; only its mean over them counts
            step = 0.0 if cycle == 0 else gain * (0.5 if cycle == 1 else 1.5)
            for method, acc in (("random", base), ("sraal", base + step / 100)):
                append_row(path, dict(dataset="digits", method=method, init="random", seed=seed,
                                      cycle=cycle, labeled=10, fraction=0.1 * (cycle + 1),
                                      accuracy=acc))
    append_row(path, dict(dataset="digits", method="sraal", init="random", seed=9, cycle=1,
                          labeled=10, fraction=0.2, accuracy=0.9))
    r = run_difference(path, "sraal", "random", bar=1.5)
    d = np.array(list(gains.values()))
    half = stats.t.ppf(0.975, 3) * d.std(ddof=1) / 2
    assert r["n"] == 4 and r["mean"] == pytest.approx(2.0)
    assert (r["low"], r["high"]) == pytest.approx((2.0 - half, 2.0 + half))
    assert r["p_bar"] == pytest.approx(stats.ttest_1samp(d, 1.5).pvalue)
    assert r["p_zero"] < r["p_bar"]
    with pytest.raises(ValueError, match="'margin'"):
        run_difference(path, "sraal", "margin")
    with pytest.raises(ValueError, match="confidence"):
        run_difference(path, "sraal", "random", confidence=95)
    # rows of another initial pool are not mixed in
    append_row(path, dict(dataset="digits", method="sraal", init="kcenter", seed=0, cycle=1,
                          labeled=10, fraction=0.2, accuracy=0.1))
    assert run_difference(path, "sraal", "random", bar=1.5) == r


def test_ceiling_gap_pairs_each_seed_with_its_own_ceiling(tmp_path):
    # random stands 10 + seed points below the seed's ceiling over the cycles after the
    # start, SRAAL gains 2 points; a seed without a ceiling and the start are left out
    from modal_sraal.benchmark.report import ceiling_gap
    from modal_sraal.benchmark.storage import append_row

    path, top = str(tmp_path / "results.csv"), str(tmp_path / "ceiling.csv")
    for seed in (0, 1, 2):
        for cycle in (0, 1, 2):
            base = 0.5 + 0.1 * cycle - 0.01 * seed
            for method, acc in (("random", base), ("sraal", base + (0.02 if cycle else 0.0))):
                append_row(path, dict(dataset="digits", method=method, init="random", seed=seed,
                                      cycle=cycle, labeled=10, fraction=(0.1, 0.2, 0.3)[cycle],
                                      accuracy=acc))
    for seed in (0, 1):   # mean of random over cycles 1-2 is 0.65 - 0.01 * seed
        append_row(top, dict(dataset="digits", method="random", init="random", seed=seed,
                             cycle=0, labeled=100, fraction=1.0, accuracy=0.75))
    r = ceiling_gap(path, top, "sraal")
    assert r["n"] == 2 and r["ceiling"] == pytest.approx(75.0)
    assert r["gap"] == pytest.approx(10.5) and r["gain"] == pytest.approx(2.0)
    assert r["share"] == pytest.approx(2.0 / 10.5) and r["bar_share"] == pytest.approx(1.5 / 10.5)
    assert r["gap_by_fraction"] == pytest.approx({0.2: 15.5, 0.3: 5.5})
    with pytest.raises(ValueError, match="ceiling_csv"):
        ceiling_gap(path, path, "sraal")   # no row has every training row labeled
    with pytest.raises(ValueError, match="'margin'"):
        ceiling_gap(path, top, "sraal", "margin")
