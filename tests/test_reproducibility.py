"""What a seed's results depend on: the environment line of the demo and the benchmark."""
import numpy as np
import sklearn
import torch

from modal_sraal import describe_environment, numeric_environment
from modal_sraal.benchmark import run_benchmark


def test_numeric_environment_reports_versions_threads_and_kernels():
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        one = numeric_environment()
        torch.set_num_threads(2)
        two = numeric_environment()
    finally:
        torch.set_num_threads(before)
    assert (one["threads"], two["threads"]) == ("1", "2")
    assert one["torch"] == torch.__version__ and one["numpy"] == np.__version__
    assert one["scikit-learn"] == sklearn.__version__
    assert one["cpu_capability"] == torch.backends.cpu.get_cpu_capability()
    assert one["device"] == "cpu" and one["cpu"]
    # the instruction-set extensions that change kernels: a subset of the known ones, in order
    from modal_sraal.reproducibility import KERNEL_FEATURES

    if one["cpu_features"] not in ("unknown", "none"):
        features = one["cpu_features"].split()
        assert features == [f for f in KERNEL_FEATURES if f in features]
        flags = open("/proc/cpuinfo").read().split("flags", 1)[1].split("\n", 1)[0].split()
        assert all(f in flags for f in features)
    line = describe_environment()
    assert f"torch {torch.__version__}," in line and f"numpy {np.__version__}," in line
    assert f"CPU capability {one['cpu_capability']}" in line and line.endswith("device cpu")
    assert f"; {one['cpu_features']}); device" in line


def test_benchmark_records_the_environment_of_every_start(tmp_path):
    kw = dict(stop=0.15, subset=120, max_epochs=1, verbose=0, device="cpu")
    run_benchmark("digits", ["random"], [0], str(tmp_path), **kw)
    run_benchmark("digits", ["random"], [0], str(tmp_path), **kw)   # a resume: nothing to run
    lines = (tmp_path / "environment.txt").read_text().splitlines()
    assert len(lines) == 2
    assert all(l.split(" ", 2)[2] == describe_environment("cpu") for l in lines)
