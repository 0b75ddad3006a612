"""Peak memory of a training step: CUDA's allocator, or on the CPU the
live tensor storage seen by a dispatch mode."""
import weakref
from functools import partial
from typing import Callable, Iterable, List, Sequence, Tuple, Union

import torch
from mmengine.optim import OptimWrapper
from torch import nn
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten
from torch.utils.weak import WeakIdKeyDictionary

__all__ = ['TensorMemoryPeak', 'peak_memory']


class TensorMemoryPeak(TorchDispatchMode):
    """Peak bytes of live tensor storage while the mode is active.

    Counts the storages of the given tensors and of every tensor an
    operator creates (forward, backward, optimizer) until it is freed, each
    storage once however many views it has: what the allocator holds for
    tensors, without its caching and the process' other memory (not RSS).

    Args:
        tensors (Iterable[torch.Tensor]): Tensors alive from the start
            (parameters, optimizer state, the batch).
    """

    def __init__(self, tensors: Iterable[torch.Tensor] = ()) -> None:
        super().__init__()
        self._live = WeakIdKeyDictionary()
        self.current = self.peak = 0
        for tensor in tensors:
            self._track(tensor)

    def _free(self, nbytes: int, _ref: weakref.ref) -> None:
        self.current -= nbytes

    def _track(self, tensor: torch.Tensor) -> None:
        storage = tensor.untyped_storage()
        if storage in self._live:
            return
        nbytes = storage.nbytes()
        self._live[storage] = weakref.ref(storage,
                                          partial(self._free, nbytes))
        self.current += nbytes
        self.peak = max(self.peak, self.current)

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        for tensor in tree_flatten(out)[0]:
            if isinstance(tensor, torch.Tensor):
                self._track(tensor)
        return out


def _static_tensors(model: nn.Module,
                    optim_wrapper: OptimWrapper) -> List[torch.Tensor]:
    state = [
        value for param_state in optim_wrapper.optimizer.state.values()
        for value in param_state.values() if isinstance(value, torch.Tensor)
    ]
    return [*model.parameters(), *state]


def peak_memory(step: Callable[[], None], model: nn.Module,
                optim_wrapper: OptimWrapper,
                inputs: Union[torch.Tensor, Sequence[torch.Tensor]]
                ) -> Tuple[int, str]:
    """Peak memory of one training step of one model, in bytes.

    Both counts include the model's parameters, its optimizer state and the
    batch.  On CUDA the step's rise of ``torch.cuda.max_memory_allocated``
    is added to them (the other model's memory is left out); on the CPU
    :class:`TensorMemoryPeak` follows the step (slowly: never time it).

    Args:
        step (Callable[[], None]): One training step (run once here).
        model (nn.Module): The model it trains.
        optim_wrapper (OptimWrapper): Its optimizer (after a first step, so
            that the state exists).
        inputs (torch.Tensor | Sequence[torch.Tensor]): The batch (or its
            views).

    Returns:
        tuple[int, str]: Bytes and how they were measured.
    """
    views = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    static = [*_static_tensors(model, optim_wrapper), *views]
    device = views[0].device
    if device.type == 'cuda':
        torch.cuda.synchronize(device)
        before = torch.cuda.memory_allocated(device)
        torch.cuda.reset_peak_memory_stats(device)
        step()
        torch.cuda.synchronize(device)
        rise = torch.cuda.max_memory_allocated(device) - before
        static_bytes = sum(t.numel() * t.element_size() for t in static)
        return static_bytes + rise, (
            'CUDA max_memory_allocated rise during a step + parameters, '
            'optimizer state and batch')
    tracker = TensorMemoryPeak(static)
    with tracker:
        step()
    return tracker.peak, (
        'CPU peak of live tensor storage during a step (a dispatch mode), '
        'parameters, optimizer state and batch included; not RSS')
