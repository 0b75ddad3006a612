"""Run a training child process and measure its peak memory."""
import subprocess
import threading
from collections import deque
from typing import Callable, Dict, List, Optional, Tuple

__all__ = ['run_child', 'peak_rss_mib']


def peak_rss_mib(pid: Optional[int] = None) -> Optional[float]:
    """Peak resident memory (``VmHWM``) of a live process, in MiB, or None
    where ``/proc`` does not say (another OS, or the process has exited).

    ``getrusage``'s ``ru_maxrss`` is no substitute for a child: across
    ``exec`` Linux keeps the larger of the old and the new memory map's peak,
    so a child started by a big parent reports at least the parent's peak.
    ``VmHWM`` belongs to the process's own memory map.
    """
    path = f'/proc/{pid or "self"}/status'
    try:
        with open(path) as f:
            for line in f:
                if line.startswith('VmHWM:'):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


class _PeakSampler(threading.Thread):
    """Reads a live process's ``VmHWM`` every ``interval`` seconds until
    stopped; ``peak`` is the largest value read (None if none was).

    ``VmHWM`` only ever grows while the process lives, and it disappears
    when the process exits (before its output closes), so a read at its
    last printed line can come too late; a poll does not depend on when
    the process prints.
    """

    def __init__(self, pid: int, interval: float = 0.05) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.peak: Optional[float] = None
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            value = peak_rss_mib(self.pid)
            if value is not None:
                self.peak = max(self.peak or 0., value)
            self._stop_event.wait(self.interval)

    def stop(self) -> Optional[float]:
        self._stop_event.set()
        self.join()
        return self.peak


def run_child(command: List[str],
              log_path: str,
              cwd: str,
              env: Optional[Dict[str, str]] = None,
              on_line: Optional[Callable[[str], None]] = None
              ) -> Tuple[int, Optional[float], str]:
    """Run ``command``, copy its output to ``log_path``, feed every line to
    ``on_line``, and return its exit code, its peak resident memory and its
    last lines.

    The peak is the child's ``VmHWM`` (:func:`peak_rss_mib`), polled every
    50 ms while it lives; its data-loader
    workers are processes of their own and not included.  A child that
    ends before the first poll has no measured peak (None).

    Args:
        command (list[str]): The command.
        log_path (str): File that receives stdout and stderr.
        cwd (str): Working directory of the child.
        env (dict, optional): Its environment (default: ours).
        on_line (callable, optional): Called with every output line.

    Returns:
        tuple: ``(returncode, peak_rss_mib or None, last_40_lines)``.
    """
    tail = deque(maxlen=40)
    with open(log_path, 'w') as log:
        child = subprocess.Popen(
            command,
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1)
        sampler = _PeakSampler(child.pid)
        sampler.start()
        try:
            for line in child.stdout:
                log.write(line)
                tail.append(line)
                if on_line is not None:
                    on_line(line)
            child.stdout.close()
            child.wait()
        finally:
            peak = sampler.stop()
    return child.returncode, peak, ''.join(tail)
