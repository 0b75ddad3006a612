"""The README and the docs/ pages point at files that exist.

Every relative Markdown link of README.md and docs/**/*.md must resolve to a
file or folder of the repository, and every script or config that a command
in a fenced code block names (``tools/...py``, ``tools/...sh``,
``configs/...py``) must exist. Placeholders (``CONFIG``, ``work_dirs/...``)
are not checked: only tokens that start with ``tools/`` or ``configs/`` are.
In the README a pattern (``{a,b}``, ``*``, ``<...>``) in such a token is an
error, because the front page must give commands that run as written; in the
docs pages patterns are skipped.
"""
import glob
import os
import os.path as osp
import re
import shlex
import subprocess
from typing import Dict, List, Tuple
from urllib.parse import unquote

import pytest

from conftest import ROOT

README = osp.join(ROOT, 'README.md')
DOCS = sorted(
    glob.glob(osp.join(ROOT, 'docs', '**', '*.md'), recursive=True))

FENCE = re.compile(r'^[ \t]*(```|~~~)')
INLINE_CODE = re.compile(r'(`+)(?:(?!\1).)+?\1', re.S)
# [text](target) and ![alt](target), with an optional "title"; the text may
# span lines but holds no brackets once inline code is blanked
LINK = re.compile(r'!?\[[^\[\]]*\]\(\s*<?([^()\s<>]+)>?(?:\s+"[^"]*")?\s*\)')
EXTERNAL = ('http://', 'https://', 'mailto:')
PATH_TOKEN = re.compile(r'^(?:\./)?((?:tools|configs)/\S*\.(?:py|sh))$')
PATTERN_CHARS = set('{}*?<>[]$')


def split_fences(text: str) -> Tuple[str, List[Tuple[int, str]]]:
    """Split Markdown into prose and fenced code.

    Returns:
        tuple: The prose with every fenced line blanked (line numbers kept)
        and the fenced lines as ``(line number, line)``.
    """
    prose, code, in_fence = [], [], False
    for number, line in enumerate(text.split('\n'), start=1):
        if FENCE.match(line):
            in_fence = not in_fence
            prose.append('')
        elif in_fence:
            code.append((number, line))
            prose.append('')
        else:
            prose.append(line)
    return '\n'.join(prose), code


def broken_links(path: str, root: str = ROOT) -> List[str]:
    """Relative links of a Markdown file whose target does not exist.

    Args:
        path (str): The Markdown file.
        root (str): The repository; a link may not leave it.

    Returns:
        list[str]: ``'<file>:<line>: <target>'`` for each broken link.
    """
    text = open(path, encoding='utf-8').read()
    prose, _ = split_fences(text)
    # blank inline code but keep its newlines, so line numbers stay right
    prose = INLINE_CODE.sub(lambda m: '\n' * m.group(0).count('\n'), prose)
    problems = []
    for match in LINK.finditer(prose):
        target = match.group(1)
        if target.startswith(EXTERNAL) or target.startswith('#'):
            continue
        line = prose.count('\n', 0, match.start()) + 1
        where = f'{osp.relpath(path, root)}:{line}: {target}'
        file_part = unquote(target.split('#', 1)[0].split('?', 1)[0])
        if file_part.startswith('/'):
            problems.append(f'{where} (absolute path; link relatively)')
            continue
        resolved = osp.normpath(osp.join(osp.dirname(path), file_part))
        if osp.relpath(resolved, root).startswith('..'):
            problems.append(f'{where} (outside the repository)')
        elif not osp.exists(resolved):
            problems.append(f'{where} (no such file or folder)')
    return problems


def command_paths(path: str) -> List[Tuple[int, str]]:
    """Tokens under ``tools/`` or ``configs/`` ending in ``.py`` or ``.sh``
    in the fenced code blocks of a Markdown file.

    Returns:
        list[tuple[int, str]]: ``(line number, token)``, in file order.
    """
    _, code = split_fences(open(path, encoding='utf-8').read())
    found = []
    for number, line in code:
        try:
            tokens = shlex.split(line, comments=False)
        except ValueError:  # an unbalanced quote in a comment or prose
            tokens = line.split()
        for token in tokens:
            token = token.strip('`\'",;()')
            match = PATH_TOKEN.match(token)
            if match:
                found.append((number, match.group(1)))
    return found


def missing_command_paths(path: str,
                          patterns_allowed: bool,
                          root: str = ROOT) -> List[str]:
    """Scripts and configs named in code blocks that do not exist.

    Args:
        path (str): The Markdown file.
        patterns_allowed (bool): Skip tokens with ``{}``, ``*``, ``<>``, ...
            (docs pages); if False they are reported (the README).
        root (str): The repository the paths are relative to.

    Returns:
        list[str]: ``'<file>:<line>: <token> (why)'`` for each problem.
    """
    problems = []
    for number, token in command_paths(path):
        where = f'{osp.relpath(path, root)}:{number}: {token}'
        if PATTERN_CHARS & set(token):
            if not patterns_allowed:
                problems.append(f'{where} (a pattern, not a file: name '
                                'the real file in a README command)')
        elif not osp.isfile(osp.join(root, token)):
            problems.append(f'{where} (no such file)')
    return problems


def test_the_checks_find_what_is_broken(tmp_path):
    """The checkers themselves: broken links and paths are reported with
    file and line, valid and external ones are not."""
    root = str(tmp_path / 'repo')
    docs = tmp_path / 'repo' / 'docs'
    docs.mkdir(parents=True)
    (docs / 'here.md').write_text('x')
    (tmp_path / 'outside.md').write_text('x')
    (tmp_path / 'repo' / 'configs').mkdir()
    (tmp_path / 'repo' / 'configs' / 'real.py').write_text('')
    page = docs / 'page.md'
    page.write_text('\n'.join([
        '# Title',
        'A [good link](here.md#section) and [a folder](../docs/).',
        'An [external](https://example.org/none.md), [mail](mailto:a@b.c),',
        '[an anchor](#title) and `[code](not-a-link.md)`.',
        'A [broken one](missing.md#x) and an image ![pic](img/none.png),',
        'a [link over',
        'two lines](gone/) and [escaping](../../outside.md).',
        'Not a [link] (x.md), [link][ref] nor [title](here.md "A title").',
        '```bash',
        '[not a link](in-code.md)',
        'python tools/no_such_tool.py configs/real.py',
        'tools/dist_train.sh configs/x/{a,b}.py 8  # a pattern',
        '```',
    ]))
    rel = 'docs/page.md'
    assert broken_links(str(page), root) == [
        f'{rel}:5: missing.md#x (no such file or folder)',
        f'{rel}:5: img/none.png (no such file or folder)',
        f'{rel}:6: gone/ (no such file or folder)',
        f'{rel}:7: ../../outside.md (outside the repository)',
    ]
    assert command_paths(str(page)) == [
        (11, 'tools/no_such_tool.py'),
        (11, 'configs/real.py'),
        (12, 'tools/dist_train.sh'),
        (12, 'configs/x/{a,b}.py'),
    ]
    assert missing_command_paths(str(page), True, root) == [
        f'{rel}:11: tools/no_such_tool.py (no such file)',
        f'{rel}:12: tools/dist_train.sh (no such file)',
    ]
    strict = missing_command_paths(str(page), False, root)
    assert len(strict) == 3
    assert strict[2].startswith(f'{rel}:12: configs/x/{{a,b}}.py (a pattern')


def test_the_pages_exist():
    """The pages other pages and helpers refer to by name."""
    for name in ('get_started', 'training_and_transfer', 'proxy', 'mixmask',
                 'benchmarks', 'reliability', 'logging_and_visualisation'):
        assert osp.isfile(osp.join(ROOT, 'docs', name + '.md')), name


@pytest.mark.parametrize('path', [README] + DOCS,
                         ids=lambda p: osp.relpath(p, ROOT))
def test_relative_links_resolve(path):
    problems = broken_links(path)
    assert not problems, 'broken links:\n' + '\n'.join(problems)


def test_readme_commands_name_existing_files():
    problems = missing_command_paths(README, patterns_allowed=False)
    assert not problems, 'README commands name missing files:\n' + '\n'.join(
        problems)
    # the quick start is really checked, not skipped by a too narrow pattern
    named = [token for _, token in command_paths(README)]
    for token in ('tools/dist_train.sh', 'tools/publish_backbone.py',
                  'configs/mixedae_vit-b_1600e.py'):
        assert token in named, f'no README command names {token}'
    assert sum(t.startswith('configs/mixedae/benchmarks/') for t in named) >= 3


def test_docs_commands_name_existing_files():
    problems = [p for path in DOCS
                for p in missing_command_paths(path, patterns_allowed=True)]
    assert not problems, 'docs commands name missing files:\n' + '\n'.join(
        problems)


def make_targets() -> Dict[str, str]:
    """The Makefile's targets and their recipes (one line each here)."""
    targets, current = {}, None
    for line in open(osp.join(ROOT, 'Makefile')).read().split('\n'):
        match = re.match(r'^([A-Za-z][\w-]*):', line)
        if match:
            current = match.group(1)
            targets[current] = ''
        elif line.startswith('\t') and current:
            targets[current] += line.strip() + '\n'
    return targets


def test_the_two_setup_commands_agree_with_makefile_and_ci():
    """The README's two commands exist as make targets that set up first,
    and CI runs the README's test command."""
    _, code = split_fences(open(README, encoding='utf-8').read())
    commands = {line.split('#')[0].strip() for _, line in code}
    assert {'make demo', 'make test'} <= commands
    targets = make_targets()
    for name in ('demo', 'test', 'setup'):
        assert name in targets, f'Makefile has no target {name!r}'
    makefile = open(osp.join(ROOT, 'Makefile')).read()
    assert re.search(r'^demo: setup\b', makefile, re.M)
    assert re.search(r'^test: setup\b', makefile, re.M)
    assert 'tools/setup_env.sh' in targets['setup']
    ci = open(osp.join(ROOT, '.ci', 'run')).read()
    ci_commands = [line.strip() for line in ci.split('\n')
                   if line.strip() and not line.lstrip().startswith('#')]
    assert ci_commands[-1] == 'make test'
    # make knows the targets (a dry run, nothing is executed)
    for name in ('demo', 'test'):
        result = subprocess.run(['make', '-n', name], cwd=ROOT,
                                capture_output=True, text=True,
                                env=dict(os.environ, MAKEFLAGS=''))
        assert result.returncode == 0, result.stderr
        assert 'tools/setup_env.sh' in result.stdout
