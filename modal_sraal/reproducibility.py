"""What a run's numbers depend on besides its seed.

A seed fixes every random draw, but not the order of floating-point
operations: that follows the number of torch threads, the CPU kernels torch
picks at run time (``torch.backends.cpu.get_cpu_capability()``: AVX2, AVX512,
...; oneDNN and the BLAS choose theirs by CPU too) and the library versions.
Two runs with the same seed make the same selections when all of these match;
:func:`describe_environment` prints them, so that a run that does not
reproduce another can be told from a bug (the demo prints it first, the
benchmark writes it to ``environment.txt`` beside its results).
"""
from __future__ import annotations

import platform
from typing import Dict

import numpy as np
import sklearn
import skorch
import torch

from ._skorch_utils import resolve_device

__all__ = ["numeric_environment", "describe_environment", "KERNEL_FEATURES"]


#: CPU instruction-set extensions whose presence changes the kernels oneDNN and the BLAS pick
#: (and so the order of floating-point operations), as ``/proc/cpuinfo`` names them.
KERNEL_FEATURES = ("avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16", "avx512_fp16",
                   "avx_vnni", "amx_tile", "amx_bf16", "amx_int8")


def _cpuinfo(key: str) -> str:
    """The first ``key`` line's value in ``/proc/cpuinfo`` ('' where there is none)."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith(key):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return ""


def _cpu_model() -> str:
    """The CPU's model name (``/proc/cpuinfo`` on Linux, else :mod:`platform`'s guess)."""
    return _cpuinfo("model name") or platform.processor() or platform.machine()


def _cpu_features() -> str:
    """Which of :data:`KERNEL_FEATURES` the CPU has, space-separated ('unknown' off Linux).

    Two CPUs sold under one model name (a virtual machine's "Xeon Processor") can differ
    here, and a seed's selections with them.
    """
    flags = _cpuinfo("flags").split()
    if not flags:
        return "unknown"
    return " ".join(f for f in KERNEL_FEATURES if f in flags) or "none"


def numeric_environment(device: str = "cpu") -> Dict[str, str]:
    """What the floating-point results of a run depend on, besides its seed.

    Parameters
    ----------
    device : str, default='cpu'
        The device the run trains on (``'auto'`` is resolved); for CUDA, the
        GPU's name is added.

    Returns
    -------
    dict of str to str
        Library versions (torch, numpy, scikit-learn, skorch), ``threads``
        (``torch.get_num_threads()``), ``cpu_capability`` (the kernels torch
        dispatches to), ``cpu`` (the model), ``cpu_features`` (which of
        :data:`KERNEL_FEATURES` it has) and ``device``.

    Examples
    --------
    >>> env = numeric_environment()
    >>> sorted(env)
    ['cpu', 'cpu_capability', 'cpu_features', 'device', 'numpy', 'scikit-learn', 'skorch', 'threads', 'torch']
    """
    device = resolve_device(device)
    env = {"torch": torch.__version__, "numpy": np.__version__,
           "scikit-learn": sklearn.__version__, "skorch": skorch.__version__,
           "threads": str(torch.get_num_threads()),
           "cpu_capability": torch.backends.cpu.get_cpu_capability(),
           "cpu": _cpu_model(), "cpu_features": _cpu_features(), "device": device}
    if device.startswith("cuda"):
        env["device"] = f"{device} ({torch.cuda.get_device_name(torch.device(device))})"
    return env


def describe_environment(device: str = "cpu") -> str:
    """:func:`numeric_environment` as one line, for logs and printed results.

    Examples
    --------
    >>> line = describe_environment()
    >>> line.startswith("torch ") and "torch threads " in line
    True
    """
    e = numeric_environment(device)
    return (f"torch {e['torch']}, numpy {e['numpy']}, scikit-learn {e['scikit-learn']}, "
            f"skorch {e['skorch']}; torch threads {e['threads']}, CPU capability "
            f"{e['cpu_capability']} ({e['cpu']}; {e['cpu_features']}); device {e['device']}")
