"""The proxy's child processes: exit code, output and their own peak
memory (not inherited from a large parent)."""
import sys

from mixedae_mm.proxy.child import peak_rss_mib, run_child


def test_peak_memory_is_the_childs_own(tmp_path):
    ballast = bytearray(400 * 2**20)  # the parent holds 400 MiB ...
    ballast[::4096] = b'x' * len(ballast[::4096])  # ... resident
    assert peak_rss_mib() >= 400
    # a small child that lives long enough to be polled (50 ms)
    small = [
        sys.executable, '-c', 'import time; print("small"); time.sleep(0.5)'
    ]
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


def test_a_child_that_ends_at_once_has_no_peak_rather_than_a_wrong_one(
        tmp_path):
    """Its memory map is gone before its output closes: unknown (None),
    never 0 or the parent's peak."""
    code, peak, tail = run_child([sys.executable, '-c', 'print("x")'],
                                 str(tmp_path / 'log'), str(tmp_path))
    assert (code, tail) == (0, 'x\n')
    assert peak is None or 0 < peak < 200, peak


def test_exit_code_and_lines_are_passed_on(tmp_path):
    lines = []
    code, _, tail = run_child(
        [sys.executable, '-c', 'print("a"); print("b"); raise SystemExit(3)'],
        str(tmp_path / 'log'), str(tmp_path), on_line=lines.append)
    assert code == 3 and lines == ['a\n', 'b\n'] and tail == 'a\nb\n'
