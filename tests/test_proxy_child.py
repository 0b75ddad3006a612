"""The proxy's child processes: exit code, output and their own peak
memory (not inherited from a large parent)."""
import sys

from mixedae_mm.proxy.child import peak_rss_mib, run_child


def test_peak_memory_is_the_childs_own(tmp_path):
    ballast = bytearray(400 * 2**20)  # the parent holds 400 MiB ...
    ballast[::4096] = b'x' * len(ballast[::4096])  # ... resident
    assert peak_rss_mib() >= 400
    small = [sys.executable, '-c', 'print("small")']
    code, peak, tail = run_child(small, str(tmp_path / 'small.log'),
                                 str(tmp_path))
    assert (code, tail) == (0, 'small\n')
    assert 0 < peak < 200, peak  # not the parent's 400 MiB
    big = [
        sys.executable, '-c', 'b = bytearray(300 * 2**20); '
        'b[::4096] = b"x" * len(b[::4096]); print("big", flush=True); '
        'import time; time.sleep(0.2); print("done")'
    ]
    code, peak, _ = run_child(big, str(tmp_path / 'big.log'), str(tmp_path))
    assert code == 0 and 300 <= peak < 500, peak  # inherited: >= 600
    assert (tmp_path / 'big.log').read_text() == 'big\ndone\n'
    del ballast


def test_exit_code_and_lines_are_passed_on(tmp_path):
    lines = []
    code, _, tail = run_child(
        [sys.executable, '-c', 'print("a"); print("b"); raise SystemExit(3)'],
        str(tmp_path / 'log'), str(tmp_path), on_line=lines.append)
    assert code == 3 and lines == ['a\n', 'b\n'] and tail == 'a\nb\n'
