"""The stages of one proxy row, each cached in the row's work directory.

A row (a method and a seed) goes through up to three stages, and each
leaves a small JSON file beside its outputs when it has finished:

- ``pretrain.json``: the pre-training run (``tools/train.py``) ended and
  wrote its last checkpoint;
- ``evaluation.json``: kNN, low-shot kNN and linear probe of the frozen
  encoder;
- ``finetune_<labels>/result.json``: end-to-end fine-tuning on ``labels``
  labelled images.

A stage whose file exists is not run again, so a proxy run that was stopped
continues where it stopped (a pre-training run that was cut part-way
resumes from its last epoch), and a second command (``--family
ablations``) adds rows to the same table.
"""
import json
import os
import os.path as osp
from typing import Optional

__all__ = ['read_stage', 'write_stage', 'stage_path']

PRETRAIN = 'pretrain.json'
EVALUATION = 'evaluation.json'


def stage_path(work_dir: str, stage: str) -> str:
    """The JSON file of ``stage`` (``'pretrain'``, ``'evaluation'`` or
    ``'finetune_<labels>'``) in a row's work directory."""
    if stage.startswith('finetune_'):
        return osp.join(work_dir, stage, 'result.json')
    return osp.join(work_dir, f'{stage}.json')


def read_stage(work_dir: str, stage: str) -> Optional[dict]:
    """The record of a finished stage, or None."""
    path = stage_path(work_dir, stage)
    if not osp.isfile(path):
        return None
    with open(path) as f:
        return json.load(f)


def write_stage(work_dir: str, stage: str, record: dict) -> dict:
    """Mark ``stage`` finished with ``record`` (written atomically)."""
    path = stage_path(work_dir, stage)
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path + '.part', 'w') as f:
        json.dump(record, f, indent=1)
    os.replace(path + '.part', path)
    return record
