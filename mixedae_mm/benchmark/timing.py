"""Interleaved timing of callables, synchronised on CUDA."""
import time
from typing import Callable, Dict, List

import torch

__all__ = ['time_interleaved']


def _synchronize(device: torch.device) -> None:
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def time_interleaved(calls: Dict[str, Callable[[], None]], iters: int,
                     warmup: int,
                     device: torch.device) -> Dict[str, Dict[str, List]]:
    """Time callables interleaved A/B/A/B: every round calls each once, so
    slow phases of a shared machine hit all of them alike.

    Args:
        calls (dict[str, Callable]): Name to a callable (e.g. one step).
        iters (int): Timed rounds.
        warmup (int): Untimed rounds first.
        device (torch.device): Synchronised around every timed call.

    Returns:
        dict[str, dict[str, list[float]]]: For every name, the seconds of
        every timed call: ``wall`` (elapsed) and ``cpu`` (this process' CPU
        time, all threads: on a shared machine a single-threaded run's CPU
        time does not count the time other processes held the cores).
    """
    for _ in range(warmup):
        for call in calls.values():
            call()
    times = {name: dict(wall=[], cpu=[]) for name in calls}
    for _ in range(iters):
        for name, call in calls.items():
            _synchronize(device)
            wall, cpu = time.perf_counter(), time.process_time()
            call()
            _synchronize(device)
            times[name]['wall'].append(time.perf_counter() - wall)
            times[name]['cpu'].append(time.process_time() - cpu)
    return times
