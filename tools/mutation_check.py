"""Plant plausible bugs in the model code one at a time and report which
the fast tests catch: ``OMP_NUM_THREADS=1 nice -n 19 python
tools/mutation_check.py [--only NAME ...] [--committed] [--list] [--out
report.json]``.  The checkout is copied to a temporary folder; it is never
modified."""
import importlib.util
import os.path as osp
import sys

# loaded by path, not through the package: the check needs neither
# mixedae_mm nor its dependencies importable here (a half-edited working
# tree would otherwise stop it; the tests run in the copy)
_PATH = osp.join(
    osp.dirname(osp.dirname(osp.abspath(__file__))), 'mixedae_mm', 'tools',
    'mutation_check.py')
_SPEC = importlib.util.spec_from_file_location('mutation_check', _PATH)
mutation_check = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(mutation_check)

if __name__ == '__main__':
    sys.exit(mutation_check.main())
