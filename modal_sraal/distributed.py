"""Data-parallel scoring and SRAAL training across processes, GPUs and nodes.

Built on Hugging Face Accelerate (``accelerate launch`` starts the processes
and sets up ``torch.distributed`` on CPU, one or many GPUs, or several
nodes); skorch's own callback hook averages the gradients. Why Accelerate
and not Ray: skorch already integrates it (``AccelerateMixin``), its
launcher covers the multi-GPU and multi-node cases with the same script,
and it installs as one small pure-Python package on top of torch, where Ray
brings a cluster runtime of its own (docs: Scale).

Two pieces, usable separately:

* :func:`data_parallel` -- a context in which every chunked pass over a
  streamed pool (:func:`modal_sraal.pool.map_rows`: the target's
  ``predict_proba``, SRAAL's encoder, Core-set's embeddings) runs on each
  process's contiguous shard and is gathered, in order, on every process.
  Every process then holds the same scores and selects the same batch.
* :class:`DistributedSRAAL` -- SRAAL trained data-parallel: each process
  draws its own batches and the gradients of the generator and the
  discriminator are averaged after every step, so all processes hold the
  same networks (DistributedDataParallel's semantics, through skorch's
  ``on_grad_computed`` hook instead of a wrapped module).

Launch (here: 2 CPU processes; ``--num_processes 8`` for 8 GPUs; add
``--num_machines``, ``--machine_rank`` and ``--main_process_ip`` per node)::

    accelerate launch --cpu --num_processes 2 my_query_script.py
"""
from __future__ import annotations

import contextlib
from typing import Any, Callable, Iterator, Optional, Tuple

import numpy as np
import torch
from skorch.callbacks import Callback

from . import pool
from ._validation import check_random_state_seed
from .sraal import SRAAL
from .training import TrainingHook

__all__ = ["data_parallel", "shard_bounds", "DistributedSRAAL", "DataParallelTraining",
           "GradientAllReduce"]


def shard_bounds(n: int, rank: int, world_size: int) -> Tuple[int, int]:
    """Contiguous rows ``[start, stop)`` of process ``rank`` among ``world_size``.

    Examples
    --------
    >>> [shard_bounds(10, r, 3) for r in range(3)]
    [(0, 4), (4, 7), (7, 10)]
    """
    base, extra = divmod(n, world_size)
    start = rank * base + min(rank, extra)
    return start, start + base + (1 if rank < extra else 0)


def _world() -> Tuple[int, int]:
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        return torch.distributed.get_rank(), torch.distributed.get_world_size()
    return 0, 1


def _sharded_map(fn: Callable[[np.ndarray], Any], rows: "pool.PoolRows", raw: bool) -> np.ndarray:
    rank, world = _world()
    start, stop = shard_bounds(len(rows), rank, world)
    if stop > start:
        mine = pool.map_rows(fn, rows.subset(np.arange(start, stop)), raw=raw, _local=True)
    else:  # more processes than rows: an empty piece shaped like the others'
        mine = None
    pieces = _gather_objects(mine)
    return np.concatenate([p for p in pieces if p is not None])


def _gather_objects(obj: Any) -> list:
    rank, world = _world()
    if world == 1:
        return [obj]
    from accelerate.utils import gather_object

    return gather_object([obj])


@contextlib.contextmanager
def data_parallel(accelerator: Optional[Any] = None) -> Iterator[None]:
    """Run the chunked passes over streamed pools on every process's shard.

    Parameters
    ----------
    accelerator : accelerate.Accelerator, optional
        Created (which sets up ``torch.distributed``) if not given. Without
        a launcher it is one process and nothing changes.

    Examples
    --------
    >>> import numpy as np
    >>> from modal_sraal.pool import PoolRows, map_rows
    >>> with data_parallel():  # one process: the same as without
    ...     map_rows(lambda c: c.sum(axis=1), PoolRows(np.ones((3, 2))))
    array([2., 2., 2.], dtype=float32)
    """
    if accelerator is None:
        from accelerate import Accelerator

        accelerator = Accelerator(cpu=not torch.cuda.is_available())
    with pool.mapped_by(_sharded_map):
        yield


class GradientAllReduce(Callback):
    """Average every gradient over the processes after each backward pass.

    skorch calls ``on_grad_computed`` between ``loss.backward()`` and the
    optimizer step of every ``train_step``; averaging there is what
    ``DistributedDataParallel`` does, for nets whose ``get_loss`` calls
    several of the module's methods (SRAAL's generator: ``encode``,
    decoders, the adversary), which a wrapped module would not see.
    """

    def on_grad_computed(self, net, named_parameters, X=None, y=None, training=None, **kwargs):
        rank, world = _world()
        if world == 1:
            return
        grads = [p.grad for _, p in named_parameters if p.grad is not None]
        if not grads:
            return
        flat = torch.cat([g.reshape(-1) for g in grads])
        torch.distributed.all_reduce(flat)
        flat /= world
        offset = 0
        for g in grads:
            g.copy_(flat[offset:offset + g.numel()].view_as(g))
            offset += g.numel()


class DistributedSRAAL(SRAAL):
    """:class:`~modal_sraal.SRAAL` trained data-parallel over processes.

    Same parameters and results' meaning as SRAAL. Every process must call
    ``fit`` with the same data (e.g. the same on-disk pool) and the same
    ``random_state``: the networks start identical, each process draws its
    own batches (its seed offset by its rank), the gradients are averaged
    (:class:`GradientAllReduce`), and the stopping decisions are taken by
    process 0 for all, so the networks stay identical. One step of ``P``
    processes sees ``P`` times the batch. In one process it is SRAAL.
    Inside :func:`data_parallel`, encoding the pool is sharded too.
    """

    def training_hooks(self):
        return [*super().training_hooks(), DataParallelTraining()]


class DataParallelTraining(TrainingHook):
    """The hooks that make SRAAL's training loop data-parallel.

    Added last, so its stop decision (process 0's) is the final one.
    """

    def on_build(self, model) -> None:
        for net in (model.generator_, model.discriminator_):
            net.callbacks_.append(("gradient_all_reduce", GradientAllReduce().initialize()))

    def on_train_begin(self, model, train) -> None:
        rank, world = _world()
        if world > 1:  # own batches per process; the networks' seed stays shared
            train.rng = np.random.RandomState((check_random_state_seed(train.rng) + rank) % 2**31)

    def on_check(self, phase, entry, stop) -> bool:
        rank, world = _world()
        if world == 1:
            return stop
        from accelerate.utils import broadcast_object_list

        return bool(broadcast_object_list([stop], from_process=0)[0])

    def on_encode(self, model) -> None:
        # BatchNorm's running statistics are per process: take process 0's,
        # so that every process encodes with the same network.
        rank, world = _world()
        if world > 1:
            for buf in model.generator_.module_.buffers():
                torch.distributed.broadcast(buf, src=0)
