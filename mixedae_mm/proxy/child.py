"""Run a training child process and measure its peak memory."""
import subprocess
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


def run_child(command: List[str],
              log_path: str,
              cwd: str,
              env: Optional[Dict[str, str]] = None,
              on_line: Optional[Callable[[str], None]] = None
              ) -> Tuple[int, float, str]:
    """Run ``command``, copy its output to ``log_path``, feed every line to
    ``on_line``, and return its exit code, its peak resident memory and its
    last lines.

    The peak is the child's ``VmHWM`` (:func:`peak_rss_mib`), read at every
    line it prints and a last time before it is reaped; its data-loader
    workers are processes of their own and not included.

    Args:
        command (list[str]): The command.
        log_path (str): File that receives stdout and stderr.
        cwd (str): Working directory of the child.
        env (dict, optional): Its environment (default: ours).
        on_line (callable, optional): Called with every output line.

    Returns:
        tuple: ``(returncode, peak_rss_mib, last_40_lines)``.
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
        peak = 0.
        for line in child.stdout:
            log.write(line)
            tail.append(line)
            peak = max(peak, peak_rss_mib(child.pid) or 0.)
            if on_line is not None:
                on_line(line)
        child.stdout.close()
        # output closed: the child is exiting; its map may still be there
        peak = max(peak, peak_rss_mib(child.pid) or 0.)
        child.wait()
    return child.returncode, peak, ''.join(tail)
