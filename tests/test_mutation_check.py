"""tools/mutation_check.py: its mutants follow the current source, and a
mutant that no longer applies is an error, never a survivor."""
import os.path as osp
import subprocess
import sys

import pytest

from conftest import ROOT
from mixedae_mm.tools import mutation_check
from mixedae_mm.tools.mutation_check import (MUTANTS, TESTS, Mutant,
                                             MutantError, apply_mutant)


@pytest.mark.parametrize('mutant', MUTANTS, ids=[m.name for m in MUTANTS])
def test_every_mutant_applies_exactly_once_to_the_current_source(mutant):
    """Fails when the code a mutant plants its bug in has changed: update
    the mutant in mixedae_mm/tools/mutation_check.py."""
    assert mutant.path.startswith('mixedae_mm/models/')
    with open(osp.join(ROOT, mutant.path)) as f:
        source = f.read()
    mutated = apply_mutant(source, mutant)
    assert mutated != source
    assert source.count(mutant.old) == 1


def test_names_are_unique_and_the_tests_exist():
    names = [m.name for m in MUTANTS]
    assert len(names) == len(set(names))
    assert 15 <= len(MUTANTS) <= 40
    for path in TESTS:
        assert osp.isfile(osp.join(ROOT, path)), path


def test_a_snippet_found_twice_or_not_at_all_is_an_error():
    mutant = Mutant('flip', 'x.py', 'a + b', 'a - b', 'sign')
    assert apply_mutant('y = a + b\n', mutant) == 'y = a - b\n'
    for source, count in (('y = a * b\n', 0), ('a + b; a + b\n', 2)):
        with pytest.raises(MutantError,
                           match=rf"'flip'.* occurs {count} times in x.py"):
            apply_mutant(source, mutant)
    # a mutant that breaks the syntax would be "killed" by any test run
    with pytest.raises(MutantError, match="'dedent'.* invalid Python"):
        apply_mutant('if a:\n    b = 1\n    c = 2\n',
                     Mutant('dedent', 'x.py', '    b = 1\n', 'b = 1\n', ''))


def test_a_folder_without_git_is_refused(tmp_path):
    with pytest.raises(RuntimeError, match='is not a git checkout'):
        mutation_check.copy_checkout(str(tmp_path), str(tmp_path / 'copy'))


def test_unknown_mutant_names_are_refused():
    with pytest.raises(SystemExit, match=r"unknown mutants \['nope'\]"):
        mutation_check.main(['--only', 'nope', '--list'])


def test_the_script_lists_the_mutants_without_importing_the_package():
    out = subprocess.run(
        [sys.executable, '-X', 'importtime', 'tools/mutation_check.py',
         '--list'], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr[-2000:]
    assert [line.split()[0] for line in out.stdout.splitlines()
            ] == [m.name for m in MUTANTS]
    # loaded by path: a half-edited model file cannot stop the check
    imported = {
        line.rsplit('|', 1)[1].strip()
        for line in out.stderr.splitlines() if line.startswith('import time')
    }
    assert 'argparse' in imported  # the parse of -X importtime works
    assert not {'torch', 'mixedae_mm', 'mixedae_mm.models'} & imported
