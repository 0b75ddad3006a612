"""Plant plausible bugs in the model code, one at a time, and see which the
fast tests catch: ``python tools/mutation_check.py [--only NAME ...]
[--list] [--out mutation.json]``.

The checkout's files (tracked and new ones that git does not ignore; with
``--committed`` the tree of ``HEAD`` instead, e.g. while others edit the
working tree) are copied to a temporary folder; the checkout itself is
never written to.  In
the copy, each mutant of :data:`MUTANTS` replaces one exact snippet of one
file under ``mixedae_mm/models/``, the fast tests of :data:`TESTS` run
there, and the file is put back.  The tests run with the copy as working
directory and first on ``PYTHONPATH`` (and without ``.pyc`` files), so they
import the copy's ``mixedae_mm``, not the editable install of the checkout;
the tool checks this before it plants anything, and checks that the tests
pass on the unmutated copy.

A mutant is *killed* when a test fails (or the run times out), *survived*
when every test passes, and an *error* when its snippet does not occur
exactly once in the current source: the list must follow the code, so a
refactoring that moves a snippet makes the check fail loudly instead of
reporting a survivor.  The exit status is 0 when every mutant was killed
(or survived for the reason written in its ``survives`` field), 1
otherwise.  Run it on one thread, at low priority::

    OMP_NUM_THREADS=1 nice -n 19 .venv/bin/python tools/mutation_check.py
"""
import argparse
import io
import json
import os
import os.path as osp
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import asdict, dataclass
from typing import Dict, List, Optional, Sequence

__all__ = [
    'Mutant', 'MutantError', 'MUTANTS', 'TESTS', 'apply_mutant',
    'copy_checkout', 'parse_args', 'main'
]

#: The repository root of this checkout (``mixedae_mm/tools/..``).
ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

#: The fast tests that cover ``mixedae_mm/models/`` (``-m "not slow"``):
#: 17-32 s a run on one thread of a shared 2-core CPU when nothing fails.
TESTS = (
    'tests/test_mixedae_wiring.py',
    'tests/test_mixmask_soft_loss.py',
    'tests/test_mixing_mask.py',
    'tests/test_decoder_and_head.py',
    'tests/test_contrastive_loss.py',
    'tests/test_homologous_attention.py',
    'tests/test_homologous_layer.py',
    'tests/test_reference_equivalence.py',
    'tests/test_backbone.py',
    'tests/test_mix_mask_validation.py',
    'tests/test_mixedae.py',
    'tests/test_object_aware_model.py',
    'tests/test_mixmask_generator.py',
    'tests/test_mixmask.py',
)


@dataclass(frozen=True)
class Mutant:
    """One planted bug: ``old`` (exactly once in ``path``) becomes ``new``.

    Args:
        name (str): Short unique name.
        path (str): File, relative to the repository root.
        old (str): The exact snippet of the current source.
        new (str): What the bug makes of it.
        bug (str): What the bug would do, in words.
        survives (str): Why it may survive (an equivalent mutant); empty
            for a mutant the tests must kill.
    """

    name: str
    path: str
    old: str
    new: str
    bug: str
    survives: str = ''


class MutantError(ValueError):
    """A mutant that does not apply to the current source."""


_M = 'mixedae_mm/models/'
_SELFSUP = _M + 'selfsup/mixedae.py'
_FULL = _M + 'selfsup/mixedae_full.py'
_MIXMASK = _M + 'selfsup/mixmask.py'
_HEAD = _M + 'heads/mixedae_head.py'
_LOSS = _M + 'losses/homologous_contrastive_loss.py'
_NECK = _M + 'necks/mixedae_neck.py'
_VIT = _M + 'backbones/mixedae_vit.py'
_ATTN = _M + 'utils/homologous_attention.py'
_LAYER = _M + 'utils/homologous_layer.py'
_MASK = _M + 'utils/mixing_mask.py'
_GEN = _M + 'utils/mixmask_generator.py'
_VIEWS = _M + 'utils/view_layout.py'

#: The planted bugs, written against the current source.
MUTANTS = (
    # MixedAE.loss: the wiring from the algorithm to the head
    Mutant('hidden_without_not', _SELFSUP,
           'hidden = ~source_visibility(mix_mask, num_sources)',
           'hidden = source_visibility(mix_mask, num_sources)',
           'reconstruction loss on the shown positions, not the hidden'),
    Mutant('contrastive_cls_column', _SELFSUP,
           'self.contrastive_rows(\n            latent[:, 1:], mix_mask)',
           'self.contrastive_rows(\n            latent[:, :-1], mix_mask)',
           'contrastive features shifted by the cls token'),
    Mutant('contrastive_detached', _SELFSUP,
           'self.contrastive_rows(\n            latent[:, 1:], mix_mask)',
           'self.contrastive_rows(\n            latent[:, 1:].detach(), '
           'mix_mask)',
           'the contrastive regulariser trains nothing'),
    # MixedAE-Full: cross-view rows
    Mutant('full_view_ids_for_image_ids', _FULL,
           'image_ids, _ = stacked_view_ids(',
           '_, image_ids = stacked_view_ids(',
           'positives = same view index, not same image'),
    Mutant('full_ids_wrong_layout', _FULL,
           'ids = ids.view(self.num_views, -1, num_patches)',
           'ids = ids.view(-1, self.num_views, num_patches)',
           'ids no longer aligned with the feature rows'),
    # head
    Mutant('head_no_norm_pix', _HEAD,
           'target = self.construct_target(target)',
           'target = self.patchify(target)',
           'norm_pix ignored: raw pixels as the target'),
    # homologous contrastive loss
    Mutant('hc_no_temperature', _LOSS,
           'logits = z @ z.transpose(1, 2) / self.temperature',
           'logits = z @ z.transpose(1, 2)',
           'temperature dropped'),
    Mutant('hc_normalise_wrong_axis', _LOSS,
           'z = F.normalize(features, dim=-1)',
           'z = F.normalize(features, dim=1)',
           'features normalised over the patches, not the channels'),
    Mutant('hc_self_in_denominator', _LOSS,
           "        logits = logits.masked_fill(self_mask, float('-inf'))\n",
           '',
           'an anchor is its own negative'),
    Mutant('hc_self_is_positive', _LOSS,
           '        positives &= ~self_mask\n',
           '',
           'an anchor is its own positive'),
    Mutant('hc_sum_over_positives', _LOSS,
           'pos_logits / num_pos.clamp(min=1)',
           'pos_logits',
           'sum instead of mean over the positives'),
    Mutant('hc_anchors_without_positive', _LOSS,
           '[has_pos].mean()',
           '.mean()',
           'anchors without a positive averaged in'),
    Mutant('hc_no_loss_weight', _LOSS,
           'return self.loss_weight * loss',
           'return loss',
           'loss_weight ignored'),
    # decoder (unmixing)
    Mutant('neck_cls_tiled', _NECK,
           'x[:, :1].repeat_interleave(num_sources, dim=0)',
           'x[:, :1].repeat(num_sources, 1, 1)',
           'each image gets the cls token of another group'),
    Mutant('neck_unmix_cls_column', _NECK,
           'unmix_tokens(x[:, 1:], mask',
           'unmix_tokens(x[:, :-1], mask',
           'unmixing shifted by the cls token'),
    Mutant('neck_no_cls_token', _NECK,
           'x = torch.cat([cls_tokens, patches], dim=1) + '
           'self.decoder_pos_embed',
           'x = torch.cat([self.mask_token.expand(patches.shape[0], 1, -1),'
           ' patches], dim=1) + self.decoder_pos_embed',
           'the cls token is forgotten in unmixing'),
    Mutant('neck_prediction_cls_column', _NECK,
           'return x[:, 1:, :]',
           'return x[:, :-1, :]',
           'predictions shifted by the cls token'),
    # mixing mask, mixing and unmixing
    Mutant('mask_shares_off_by_one', _MASK,
           'num_patches // num_sources, rounding_mode',
           'num_patches // num_sources + 1, rounding_mode',
           'unequal shares: the last source shows fewer patches'),
    Mutant('visibility_source_major', _MASK,
           'return visible.flatten(0, 1)',
           'return visible.transpose(0, 1).flatten(0, 1)',
           'rows of the visibility in the wrong batch order'),
    Mutant('unmix_fill_where_visible', _MASK,
           'torch.where(visible, mixed[:, None]',
           'torch.where(~visible, mixed[:, None]',
           'mask token where the image is shown'),
    Mutant('mix_from_wrong_group', _MASK,
           'grouped = tokens.view(num_groups, -1, num_patches, dim)',
           'grouped = tokens.view(-1, num_groups, num_patches, dim)'
           '.transpose(0, 1)',
           'mixed images take tokens of other groups'),
    # homologous attention
    Mutant('topk_keeps_k_minus_1', _ATTN,
           'largest = patch_scores.topk(topk, dim=-1',
           'largest = patch_scores.topk(max(topk - 1, 1), dim=-1',
           'TopK keeps K - 1 keys'),
    Mutant('attention_no_scale', _ATTN,
           'return (q * q.shape[-1]**-0.5) @ k.transpose(-2, -1)',
           'return q @ k.transpose(-2, -1)',
           'attention logits without 1/sqrt(d)'),
    Mutant('attention_cls_column_dropped', _ATTN,
           '        scores[..., :num_extra_tokens] = extra\n',
           '',
           'the cls key is masked like a patch key'),
    Mutant('attention_grad_k_transpose', _ATTN,
           'grad_k = (grad_scores.transpose(-2, -1) @ q32)',
           'grad_k = (grad_scores @ q32)',
           'wrong transpose in the hand-written backward'),
    Mutant('homo_acc_counts_own_key', _ATTN,
           'hits = (patch_keep & same).sum(-1, dtype=torch.int32) - own\n'
           '    others = patch_keep.sum(-1, dtype=torch.int32) - own',
           'hits = (patch_keep & same).sum(-1, dtype=torch.int32)\n'
           '    others = patch_keep.sum(-1, dtype=torch.int32)',
           "homo_acc counts the query's own key"),
    Mutant('homo_acc_cls_column', _ATTN,
           'patch_rows = patch_scores[..., num_extra_tokens:, :]',
           'patch_rows = patch_scores[..., :-num_extra_tokens, :]',
           'homo_acc of the fast path shifted by the cls row'),
    # encoder layer and encoder
    Mutant('layer_no_residual', _LAYER,
           'out, acc = self.attn(self.ln1(x), source_ids)\n'
           '        x = x + out',
           'out, acc = self.attn(self.ln1(x), source_ids)\n'
           '        x = out',
           'homologous layer drops its attention residual'),
    Mutant('homo_acc_last_layer', _VIT,
           'torch.stack(accs).mean() if accs',
           'accs[-1] if accs',
           'homo_acc of the last homologous layer, not the mean'),
    Mutant('pos_embed_cls_column', _VIT,
           'tokens = self.patch_embed(x)[0] + self.pos_embed[:, 1:, :]',
           'tokens = self.patch_embed(x)[0] + self.pos_embed[:, :-1, :]',
           'patch positions shifted by the cls position'),
    # MixMask
    Mutant('mixmask_lam_swapped', _MIXMASK,
           'return (lam * loss_fn(z_mix) +\n'
           '                (1 - lam) * loss_fn(self.switch(z_mix)))',
           'return ((1 - lam) * loss_fn(z_mix) +\n'
           '                lam * loss_fn(self.switch(z_mix)))',
           "lam and 1 - lam swapped in MixMask's soft loss"),
    Mutant('mixmask_no_switch', _MIXMASK,
           'return z.flip(0)',
           'return z',
           'the switched term scores the mixed view again'),
    Mutant('mixmask_lam_of_cells', _GEN,
           'return mask, mask.mean().item()',
           'return mask, grid.float().mean().item()',
           'lam as the share of cells, not of pixels'),
    Mutant('views_image_ids_swapped', _VIEWS,
           'return images.repeat(num_views), views.repeat_interleave('
           'batch_size)',
           'return images.repeat_interleave(num_views), views.repeat('
           'batch_size)',
           'view-major ids of the image-major layout'),
)


def apply_mutant(source: str, mutant: Mutant) -> str:
    """Return ``source`` with the mutant planted.

    Raises:
        MutantError: If ``mutant.old`` does not occur exactly once, or the
            planted source does not compile (a bug no test needs to find).
    """
    count = source.count(mutant.old)
    if count != 1:
        raise MutantError(
            f'mutant {mutant.name!r}: its snippet {mutant.old!r} occurs '
            f'{count} times in {mutant.path} (it must occur once); the code '
            'changed, so update MUTANTS in mixedae_mm/tools/'
            'mutation_check.py to the new source.')
    mutated = source.replace(mutant.old, mutant.new, 1)
    try:
        compile(mutated, mutant.path, 'exec')
    except SyntaxError as error:
        raise MutantError(
            f'mutant {mutant.name!r} makes {mutant.path} invalid Python '
            f'({error.msg}, line {error.lineno}); fix its snippet in '
            'mixedae_mm/tools/mutation_check.py.') from error
    return mutated


def copy_checkout(root: str, dest: str, committed: bool = False) -> int:
    """Copy the files of the checkout at ``root`` that git does not ignore
    (tracked and untracked), or with ``committed`` the tree of ``HEAD``, to
    ``dest``; returns how many.

    Raises:
        RuntimeError: If ``root`` is not a git checkout or git is missing.
    """
    if shutil.which('git') is None or not osp.exists(osp.join(root, '.git')):
        raise RuntimeError(
            f'{root} is not a git checkout (or git is not installed): the '
            'mutation check copies the files that git does not ignore. Run '
            'it in a git clone of the repository.')
    if committed:
        archive = subprocess.run(['git', 'archive', '--format=tar', 'HEAD'],
                                 cwd=root, capture_output=True, check=True)
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
            files = [m for m in tar.getmembers() if m.isfile()]
            tar.extractall(dest, members=files, filter='data')
        return len(files)
    out = subprocess.run(
        ['git', 'ls-files', '-co', '--exclude-standard', '-z'],
        cwd=root, capture_output=True, text=True, check=True)
    count = 0
    for name in filter(None, out.stdout.split('\0')):
        src = osp.join(root, name)
        if osp.isfile(src):
            os.makedirs(osp.join(dest, osp.dirname(name)), exist_ok=True)
            shutil.copy2(src, osp.join(dest, name))
            count += 1
    return count


def _env(copy: str) -> Dict[str, str]:
    env = dict(os.environ)
    env['PYTHONPATH'] = os.pathsep.join(
        [copy] + [p for p in env.get('PYTHONPATH', '').split(os.pathsep)
                  if p])
    env['PYTHONDONTWRITEBYTECODE'] = '1'  # no stale bytecode of a mutant
    for key in ('OMP_NUM_THREADS', 'MKL_NUM_THREADS'):
        env.setdefault(key, '1')
    return env


def _check_imports_the_copy(copy: str) -> str:
    out = subprocess.run(
        [sys.executable, '-c',
         'import mixedae_mm.models, os; '
         'print(os.path.realpath(mixedae_mm.models.__file__))'],
        cwd=copy, env=_env(copy), capture_output=True, text=True)
    where = out.stdout.strip()
    if out.returncode or not where.startswith(osp.realpath(copy) + os.sep):
        raise RuntimeError(
            'the tests in the copy would not import its mixedae_mm (they '
            f'import {where or out.stderr[-2000:]!r}); the mutants would be '
            'planted where no test sees them.')
    return where


def _run_tests(copy: str, tests: Sequence[str],
               timeout: float) -> Dict[str, object]:
    cmd = [
        sys.executable, '-m', 'pytest', '-x', '-q', '-m', 'not slow', '-p',
        'no:cacheprovider', '-o', 'addopts=', '-rfE', *tests
    ]
    start = time.perf_counter()
    try:
        out = subprocess.run(cmd, cwd=copy, env=_env(copy),
                             capture_output=True, text=True,
                             timeout=timeout)
    except subprocess.TimeoutExpired:
        return dict(passed=False, seconds=timeout, failed=['(timeout)'])
    failed = [
        line.split()[1] for line in out.stdout.splitlines()
        if line.startswith(('FAILED ', 'ERROR '))
    ]
    if out.returncode and not failed:
        failed = [out.stdout[-300:] + out.stderr[-300:]]
    return dict(passed=out.returncode == 0,
                seconds=round(time.perf_counter() - start, 1),
                failed=failed)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    """Parse the mutation check's arguments."""
    parser = argparse.ArgumentParser(
        description='Plant each mutant of mixedae_mm/tools/mutation_check.py'
        ' in a copy of the checkout and run the fast model tests')
    parser.add_argument('--only', nargs='+', metavar='NAME',
                        help='only these mutants')
    parser.add_argument('--tests', nargs='+', default=list(TESTS),
                        help='test files or node ids (default: TESTS)')
    parser.add_argument('--timeout', type=float, default=600.,
                        help='seconds per test run; a run that takes longer '
                        'counts as killed')
    parser.add_argument('--committed', action='store_true',
                        help='copy the tree of HEAD, not the working tree')
    parser.add_argument('--list', action='store_true',
                        help='list the mutants and exit')
    parser.add_argument('--out', help='write the report as JSON here')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    """Run the check; returns the exit status (see the module docstring)."""
    args = parse_args(argv)
    mutants = list(MUTANTS)
    if args.only:
        names = {m.name for m in mutants}
        unknown = sorted(set(args.only) - names)
        if unknown:
            raise SystemExit(f'unknown mutants {unknown}; --list lists them')
        mutants = [m for m in mutants if m.name in args.only]
    if args.list:
        for m in mutants:
            print(f'{m.name:32s} {m.path}: {m.bug}')
        return 0

    # a SIGTERM unwinds like Ctrl-C: the running tests are killed, the copy
    # is removed
    signal.signal(signal.SIGTERM, lambda *_: sys.exit('terminated'))
    results = []
    with tempfile.TemporaryDirectory(prefix='mutation-check-') as copy:
        copy_checkout(ROOT, copy, args.committed)
        print(f'copy: {copy}; imports {_check_imports_the_copy(copy)}',
              flush=True)
        baseline = _run_tests(copy, args.tests, args.timeout)
        if not baseline['passed']:
            raise SystemExit('the tests fail without any mutant: '
                             f'{baseline["failed"]}; fix them first')
        print(f'baseline: the tests pass ({baseline["seconds"]} s)',
              flush=True)
        for mutant in mutants:
            path = osp.join(copy, mutant.path)
            with open(path) as f:
                original = f.read()
            try:
                mutated = apply_mutant(original, mutant)
            except MutantError as error:
                result = dict(status='error', seconds=0., failed=[],
                              error=str(error))
            else:
                try:
                    with open(path, 'w') as f:
                        f.write(mutated)
                    result = _run_tests(copy, args.tests, args.timeout)
                finally:
                    with open(path, 'w') as f:
                        f.write(original)
                result['status'] = ('survived'
                                    if result.pop('passed') else 'killed')
            result.update(asdict(mutant))
            del result['old'], result['new']
            results.append(result)
            by = ', '.join(result['failed'][:2]) or result.get('error', '')
            print(f'{result["status"]:8s} {mutant.name:32s} '
                  f'{result["seconds"]:6.1f} s  {by}', flush=True)

    counts = {
        status: sum(r['status'] == status for r in results)
        for status in ('killed', 'survived', 'error')
    }
    unexpected = [
        r['name'] for r in results
        if r['status'] == 'error' or (r['status'] == 'survived'
                                      and not r['survives'])
    ]
    print(f'{len(results)} mutants: {counts["killed"]} killed, '
          f'{counts["survived"]} survived, {counts["error"]} errors'
          + (f'; unexpected: {unexpected}' if unexpected else ''))
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(dict(tests=list(args.tests), counts=counts,
                           unexpected=unexpected, mutants=results), f,
                      indent=2)
    return 1 if unexpected else 0
