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
    line = describe_environment()
    assert f"torch {torch.__version__}," in line and f"numpy {np.__version__}," in line
    assert f"CPU capability {one['cpu_capability']}" in line and line.endswith("device cpu")


def test_benchmark_records_the_environment_of_every_start(tmp_path):
    kw = dict(stop=0.15, subset=120, max_epochs=1, verbose=0, device="cpu")
    run_benchmark("digits", ["random"], [0], str(tmp_path), **kw)
    run_benchmark("digits", ["random"], [0], str(tmp_path), **kw)   # a resume: nothing to run
    lines = (tmp_path / "environment.txt").read_text().splitlines()
    assert len(lines) == 2
    assert all(l.split(" ", 2)[2] == describe_environment("cpu") for l in lines)
