"""Pictures of one mixed group: sources, mixed input, reconstructions and
the homologous attention of one patch."""
from typing import Dict, List, Optional, Sequence

import matplotlib
import numpy as np
import torch

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402

from ..models.utils import (HomologousTransformerEncoderLayer,  # noqa: E402
                            source_visibility)

__all__ = ['reconstruct_group', 'draw_reconstruction', 'SOURCE_COLORS']

#: One colour per source image (up to 10 sources).
SOURCE_COLORS = ['tab:red', 'tab:blue', 'tab:green', 'tab:orange',
                 'tab:purple', 'tab:cyan', 'tab:pink', 'tab:olive',
                 'tab:brown', 'tab:gray']


def _patchify(imgs: torch.Tensor, p: int) -> torch.Tensor:
    B, C, H, W = imgs.shape
    x = imgs.reshape(B, C, H // p, p, W // p, p)
    return torch.einsum('nchpwq->nhwpqc', x).reshape(B, -1, p * p * C)


def _unpatchify(x: torch.Tensor, p: int, h: int, w: int) -> torch.Tensor:
    B = x.shape[0]
    x = x.reshape(B, h, w, p, p, -1)
    return torch.einsum('nhwpqc->nchpwq', x).reshape(B, -1, h * p, w * p)


@torch.no_grad()
def reconstruct_group(model: torch.nn.Module, images: torch.Tensor,
                      mix_mask: torch.Tensor,
                      query_patch: int) -> Dict[str, np.ndarray]:
    """Run a MixedAE on one group of ``G`` normalised images.

    Args:
        model (torch.nn.Module): A :class:`MixedAE` (in eval mode).
        images (torch.Tensor): ``(G, 3, H, W)``, normalised as the model's
            data preprocessor does.
        mix_mask (torch.Tensor): ``(1, N)`` mixing mask.
        query_patch (int): Patch index whose attention is shown.

    Returns:
        dict: ``sources`` and ``reconstructions`` ``(G, H, W, 3)``, ``mixed``
        ``(H, W, 3)`` (RGB in [0, 1]), ``mix_mask`` ``(h, w)``,
        ``attention`` ``(h, w)`` (head-averaged homologous attention of the
        query patch in the last homologous layer, or None), ``kept`` ``(h,
        w)`` bool (keys kept by TopK in any head), ``homo_acc`` (float).
    """
    backbone, head = model.backbone, model.head
    G = backbone.num_sources
    p = head.patch_size
    h, w = backbone.patch_resolution

    captured: List[torch.Tensor] = []
    homo_layers = [
        m for m in backbone.layers
        if isinstance(m, HomologousTransformerEncoderLayer)
    ]
    handle = None
    if homo_layers:
        handle = homo_layers[-1].attn.register_forward_hook(
            lambda mod, args, out: captured.append(args[0]))
    try:
        latent, mix_mask, homo_acc = backbone(images, mask=mix_mask)
    finally:
        if handle is not None:
            handle.remove()
    pred = model.neck(latent, mix_mask, G)

    # undo the per-patch normalisation of the target with the true patch
    # statistics, as MAE's visualisation does
    target = _patchify(images, p)
    if head.norm_pix:
        mean = target.mean(dim=-1, keepdim=True)
        var = target.var(dim=-1, keepdim=True)
        pred = pred * (var + 1.e-6)**.5 + mean
    visible = source_visibility(mix_mask, G)[..., None]
    pasted = torch.where(visible, target, pred)
    mixed = _patchify(images, p).view(1, G, h * w, -1)
    mixed = mixed.gather(
        1, mix_mask[:, None, :, None].expand(-1, 1, -1, mixed.shape[-1]))[:,
                                                                          0]

    mean = model.data_preprocessor.mean.view(1, 3, 1, 1)
    std = model.data_preprocessor.std.view(1, 3, 1, 1)

    def to_rgb(x: torch.Tensor) -> np.ndarray:
        x = (x * std + mean) / 255.
        return x.clamp(0, 1).permute(0, 2, 3, 1).cpu().numpy()

    out = dict(
        sources=to_rgb(images),
        reconstructions=to_rgb(_unpatchify(pasted, p, h, w)),
        mixed=to_rgb(_unpatchify(mixed, p, h, w))[0],
        mix_mask=mix_mask[0].view(h, w).cpu().numpy(),
        attention=None,
        kept=None,
        homo_acc=float(homo_acc) if homo_acc is not None else float('nan'))
    if captured:
        attn = homo_layers[-1].attn
        probs, keep, _ = attn.attention_probs(captured[0])
        row = query_patch + attn.num_extra_tokens
        out['attention'] = probs[0, :, row, attn.num_extra_tokens:].mean(
            0).view(h, w).cpu().numpy()
        out['kept'] = keep[0, :, row, attn.num_extra_tokens:].any(0).view(
            h, w).cpu().numpy()
    return out


def _frame(ax, color: str, width: float = 4) -> None:
    for spine in ax.spines.values():
        spine.set_edgecolor(color)
        spine.set_linewidth(width)
    ax.set_xticks([])
    ax.set_yticks([])


def _patch_borders(ax, mix_mask: np.ndarray, p: int,
                   selected: Optional[np.ndarray] = None) -> None:
    h, w = mix_mask.shape
    for i in range(h):
        for j in range(w):
            if selected is not None and not selected[i, j]:
                continue
            ax.add_patch(
                Rectangle((j * p - .5, i * p - .5),
                          p,
                          p,
                          fill=False,
                          edgecolor=SOURCE_COLORS[mix_mask[i, j] %
                                                  len(SOURCE_COLORS)],
                          linewidth=1.2))


def draw_reconstruction(result: Dict[str, np.ndarray],
                        patch_size: int,
                        query_patch: int,
                        out_file: str,
                        names: Optional[Sequence[str]] = None) -> None:
    """Draw :func:`reconstruct_group`'s result into a PNG.

    Row 1: the source images (frame colour = source).  Row 2: the mixed
    input with every patch border coloured by its source; the homologous
    attention of the query patch (white box); the keys TopK kept for it,
    coloured by their source.  Row 3: each image's reconstruction (its shown
    patches pasted back, the hidden ones predicted).
    """
    sources = result['sources']
    G = len(sources)
    names = list(names) if names else [f'image {i}' for i in range(G)]
    cols = max(G, 3)
    fig, axes = plt.subplots(3, cols, figsize=(3 * cols, 9.6))
    for ax in axes.flat:
        ax.axis('off')
    mix_mask = result['mix_mask']
    w = mix_mask.shape[1]
    qi, qj = divmod(query_patch, w)

    for i in range(G):
        color = SOURCE_COLORS[i % len(SOURCE_COLORS)]
        for row, img, title in ((0, sources[i], names[i]),
                                (2, result['reconstructions'][i],
                                 f'reconstruction of {names[i]}')):
            ax = axes[row, i]
            ax.axis('on')
            ax.imshow(img)
            ax.set_title(title, fontsize=9, color=color)
            _frame(ax, color)

    ax = axes[1, 0]
    ax.axis('on')
    ax.imshow(result['mixed'])
    _patch_borders(ax, mix_mask, patch_size)
    ax.set_title('mixed input (borders: source)', fontsize=9)
    _frame(ax, 'black', 1)

    query_box = dict(
        xy=(qj * patch_size - .5, qi * patch_size - .5),
        width=patch_size,
        height=patch_size,
        fill=False,
        edgecolor='white',
        linewidth=2.5)
    if result['attention'] is not None:
        ax = axes[1, 1]
        ax.axis('on')
        ax.imshow(result['mixed'])
        ax.imshow(
            np.kron(result['attention'], np.ones((patch_size, patch_size))),
            cmap='inferno',
            alpha=0.65)
        ax.add_patch(Rectangle(**query_box))
        qsrc = names[mix_mask[qi, qj]]
        ax.set_title(f'homologous attention of patch {query_patch}\n'
                     f'(from {qsrc})', fontsize=9)
        _frame(ax, SOURCE_COLORS[mix_mask[qi, qj] % len(SOURCE_COLORS)])

        ax = axes[1, 2]
        ax.axis('on')
        ax.imshow(result['mixed'] * 0.35)
        _patch_borders(ax, mix_mask, patch_size, selected=result['kept'])
        ax.add_patch(Rectangle(**query_box))
        kept = result['kept']
        hits = (mix_mask[kept] == mix_mask[qi, qj]).mean()
        ax.set_title(
            f'TopK keys of the patch: {hits:.0%} homologous\n'
            f'(homo_acc of the group {result["homo_acc"]:.2f})',
            fontsize=9)
        _frame(ax, 'black', 1)
    if cols > 3 and result['kept'] is not None:
        axes[1, 3].text(
            0.0, 0.5,
            'frame / border colour = source image\n'
            'white box = the query patch\n'
            f'TopK keeps {int(result["kept"].sum())} patch keys for it\n'
            'reconstruction: shown patches pasted back,\n'
            'hidden ones predicted',
            fontsize=9, va='center', transform=axes[1, 3].transAxes)
    fig.suptitle('MixedAE: sources, mixed input, homologous attention, '
                 'reconstructions')
    fig.tight_layout()
    fig.savefig(out_file, dpi=100)
    plt.close(fig)
