"""Run a training child process and measure its peak memory."""
import os
import subprocess
from collections import deque
from typing import Callable, Dict, List, Optional, Tuple

__all__ = ['run_child', 'peak_rss_mib']


def peak_rss_mib() -> float:
    """Peak resident memory of this process so far, in MiB (Linux)."""
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_child(command: List[str],
              log_path: str,
              cwd: str,
              env: Optional[Dict[str, str]] = None,
              on_line: Optional[Callable[[str], None]] = None
              ) -> Tuple[int, float, str]:
    """Run ``command``, copy its output to ``log_path``, feed every line to
    ``on_line``, and return its exit code, its peak resident memory and its
    last lines.

    The child is reaped with ``os.wait4``, whose resource usage is the
    child's own (``ru_maxrss``: the largest resident set of the child and
    the processes it waited for, e.g. its data-loader workers).

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
        for line in child.stdout:
            log.write(line)
            tail.append(line)
            if on_line is not None:
                on_line(line)
        child.stdout.close()
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
    return child.returncode, usage.ru_maxrss / 1024, ''.join(tail)
