"""MixMask on MMPretrain's Siamese algorithms.

MixMask (Vishniakov, Xing, Shen) fills the masked cells of the online view
with another image of the batch instead of erasing them, and scores the
mixed view against the clean targets of *both* sources, weighted by their
area shares.  Each step, on each process:

1. one grid mask ``M`` of shape ``(H, W)`` is drawn for the whole local
   batch (:class:`~mixedae_mm.models.utils.MixMaskGenerator`), with
   ``lam = M.mean()``;
2. ``x_mix = M * x1 + (1 - M) * flip(x1, 0)``: image ``i`` is mixed with
   image ``N - 1 - i`` (Eq. 1 of the paper); only the first view is mixed;
3. ``z_mix`` = the online embedding of ``x_mix`` (a separate forward pass,
   so separate BatchNorm statistics);
4. because ``M`` is shared, ``x_mix[N - 1 - i]`` *is* the switched image of
   ``i`` (its cells show image ``i`` exactly where ``x_mix[i]`` shows the
   partner), so the switched embeddings are ``z_sw = flip(z_mix, 0)``;
5. ``loss = loss_orig + mix_weight * (lam * L(z_mix, t) +
   (1 - lam) * L(z_sw, t))``, where ``L`` and the clean target ``t`` of
   image ``i`` (from the second view) are the base algorithm's, and
   ``loss_orig`` is the base algorithm's unchanged loss.

The classes below subclass MMPretrain's ``MoCo``, ``BYOL``, ``SimSiam`` and
``BarlowTwins`` and override only ``loss()``; heads, necks, losses and
momentum encoders are theirs.  The mixed term is computed *after* the base
loss, so the base part draws the same random numbers as the base class and,
with ``mix_weight=0``, the total loss equals the base algorithm's.

Logged: ``loss_orig``, ``loss_mix`` (already multiplied by ``mix_weight``;
MMEngine adds every key containing ``loss``), ``lam``, and the collapse
signals ``emb_std`` and ``view_cos`` of the clean views
(:func:`~mixedae_mm.models.utils.embedding_stats`; not summed either).
With ``mix_weight=0`` the mixed pass is skipped: the loss is the base
algorithm's, with the collapse signals logged beside it (``loss_orig``
only, no ``loss_mix`` or ``lam``).
"""
from typing import Callable, Dict, List, Optional, Tuple

import torch
import torch.nn as nn
from mmpretrain.models import BYOL, BarlowTwins, MoCo, SimSiam
from mmpretrain.models.utils import batch_shuffle_ddp, batch_unshuffle_ddp
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from ..utils import MixMaskGenerator, embedding_stats

__all__ = [
    'mix_images', 'check_pairable', 'MixMaskMixin', 'MixMaskMoCo',
    'MixMaskBYOL', 'MixMaskSimSiam', 'MixMaskBarlowTwins'
]

Losses = Dict[str, torch.Tensor]


def check_pairable(batch_size: int) -> None:
    """Raise a ``ValueError`` unless image ``i`` can be paired with image
    ``N - 1 - i`` without pairing an image with itself."""
    if batch_size < 2 or batch_size % 2:
        raise ValueError(
            f'MixMask mixes image i with image N-1-i of the local batch, so '
            f'the batch per process must be even and >= 2, got '
            f'{batch_size} (an odd batch would mix its middle image with '
            'itself). Set train_dataloader.batch_size to an even number and '
            'keep drop_last=True so that the last batch is full too.')


def mix_images(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Eq. 1: ``x_mix[i] = M * x[i] + (1 - M) * x[N - 1 - i]``.

    Args:
        x (torch.Tensor): Images ``(N, C, H, W)``.
        mask (torch.Tensor): ``(H, W)`` of 0 / 1, shared by the batch.

    Returns:
        torch.Tensor: The mixed images ``(N, C, H, W)``.
    """
    return torch.where(mask.bool(), x, x.flip(0))


class MixMaskMixin:
    """MixMask's mixing and its area-weighted loss, for a Siamese algorithm.

    Put it before the base class (``class MixMaskMoCo(MixMaskMixin,
    MoCo)``); it takes two keyword arguments besides the base class's.

    Args:
        mask_cfg (dict, optional): Keyword arguments of
            :class:`~mixedae_mm.models.utils.MixMaskGenerator`. Defaults to
            ``dict(grid_size=8)`` (ImageNet's block masks, ratio 0.5).
        mix_weight (float): Factor of the mixed term; 1.0 is MixMask, 0.0
            is the base algorithm (no mixed pass; its loss, plus the
            logged collapse signals). Defaults to 1.0.
    """

    def __init__(self,
                 *args,
                 mask_cfg: Optional[dict] = None,
                 mix_weight: float = 1.0,
                 **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if mix_weight < 0:
            raise ValueError(f'mix_weight must be >= 0, got {mix_weight}.')
        mask_cfg = dict(grid_size=8) if mask_cfg is None else dict(mask_cfg)
        self.mask_generator = MixMaskGenerator(**mask_cfg)
        self.mix_weight = float(mix_weight)

    def mix(self, x: torch.Tensor) -> Tuple[torch.Tensor, float]:
        """Mix image ``i`` with image ``N - 1 - i`` under one new mask.

        Args:
            x (torch.Tensor): Images ``(N, C, H, W)``, ``N`` even.

        Returns:
            tuple[torch.Tensor, float]: ``x_mix`` ``(N, C, H, W)`` and
            ``lam``, the share of image ``i`` in ``x_mix[i]``.
        """
        check_pairable(x.shape[0])
        mask, lam = self.mask_generator(
            x.shape[-2], x.shape[-1], device=x.device)
        return mix_images(x, mask), lam

    @staticmethod
    def switch(z: torch.Tensor) -> torch.Tensor:
        """Embeddings of the switched images: ``flip(z_mix, 0)``.

        Right only because the mask is shared by the batch: then
        ``x_mix[N - 1 - i]`` is image ``i``'s switched image (Eq. 2).
        """
        return z.flip(0)

    def soft_loss(self, lam: float, z_mix: torch.Tensor,
                  loss_fn: Callable[[torch.Tensor], torch.Tensor]
                  ) -> torch.Tensor:
        """``lam * L(z_mix) + (1 - lam) * L(switch(z_mix))`` (Eq. 4's mixed
        terms), ``L`` comparing row ``i`` with image ``i``'s target."""
        return (lam * loss_fn(z_mix) +
                (1 - lam) * loss_fn(self.switch(z_mix)))

    @property
    def mixes(self) -> bool:
        """Whether the mixed term is computed (``mix_weight > 0``)."""
        return self.mix_weight > 0

    def mixmask_losses(self, loss_orig: torch.Tensor,
                       loss_mix: Optional[torch.Tensor], lam: Optional[float],
                       stats: Dict[str, torch.Tensor]) -> Losses:
        """The loss dict: ``loss_orig``, ``mix_weight * loss_mix`` and
        ``lam`` (when mixing), and the collapse signals ``stats``.
        """
        losses = dict(loss_orig=loss_orig)
        if loss_mix is not None:
            losses.update(
                loss_mix=self.mix_weight * loss_mix,
                lam=torch.tensor(lam, device=loss_orig.device))
        losses.update(stats)
        return losses

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """Online embedding ``neck(backbone(x))[0]``, ``(N, D)``."""
        return self.neck(self.backbone(x))[0]


@MODELS.register_module()
class MixMaskMoCo(MixMaskMixin, MoCo):
    """MixMask on MoCo (v1 / v2, as configured), the paper's main setting.

    The mixed queries use the same keys ``k`` (momentum encoder, clean
    second view), the same queue and temperature as the clean queries; only
    the clean keys are enqueued, once per step.

    Args:
        mask_cfg (dict, optional): See :class:`MixMaskMixin`.
        mix_weight (float): See :class:`MixMaskMixin`.
        **kwargs: :class:`mmpretrain.models.MoCo`'s arguments.
    """

    def loss(self, inputs: List[torch.Tensor], data_samples: List[DataSample],
             **kwargs) -> Losses:
        """Compute ``loss_orig`` (MoCo's) and ``loss_mix``.

        Args:
            inputs (List[torch.Tensor]): The two views, each ``(N, C, H, W)``.
            data_samples (List[DataSample]): Unused.

        Returns:
            dict[str, torch.Tensor]: ``loss_orig``, ``loss_mix``, ``lam``
            (the last two only when mixing), ``emb_std``, ``view_cos``.
        """
        assert isinstance(inputs, list)
        im_q, im_k = inputs[0], inputs[1]
        check_pairable(im_q.shape[0])
        # MoCo's own steps, in its order (so its random draws are the same)
        q = nn.functional.normalize(self.embed(im_q), dim=1)  # (N, D)
        with torch.no_grad():
            self.encoder_k.update_parameters(
                nn.Sequential(self.backbone, self.neck))
            im_k, idx_unshuffle = batch_shuffle_ddp(im_k)
            k = nn.functional.normalize(self.encoder_k(im_k)[0], dim=1)
            k = batch_unshuffle_ddp(k, idx_unshuffle)  # (N, D)
        queue = self.queue.clone().detach()  # (D, K)

        def contrast(query: torch.Tensor) -> torch.Tensor:
            l_pos = torch.einsum('nc,nc->n', [query, k]).unsqueeze(-1)
            l_neg = torch.einsum('nc,ck->nk', [query, queue])
            return self.head.loss(l_pos, l_neg)

        loss_orig = contrast(q)
        loss_mix, lam = None, None
        if self.mixes:  # one extra online pass; the same keys and queue
            x_mix, lam = self.mix(im_q)
            q_mix = nn.functional.normalize(self.embed(x_mix), dim=1)
            loss_mix = self.soft_loss(lam, q_mix, contrast)
        self._dequeue_and_enqueue(k)  # clean keys only
        return self.mixmask_losses(loss_orig, loss_mix, lam,
                                   embedding_stats(q, k))


@MODELS.register_module()
class MixMaskBYOL(MixMaskMixin, BYOL):
    """MixMask on BYOL.

    The mixed view's online projection goes through the predictor of
    ``head`` and is compared with the target network's projection of the
    clean second view; the mixed term gets BYOL's per-term factor 2.

    Args:
        mask_cfg (dict, optional): See :class:`MixMaskMixin`.
        mix_weight (float): See :class:`MixMaskMixin`.
        **kwargs: :class:`mmpretrain.models.BYOL`'s arguments.
    """

    def loss(self, inputs: List[torch.Tensor], data_samples: List[DataSample],
             **kwargs) -> Losses:
        """Compute ``loss_orig`` (BYOL's) and ``loss_mix``.

        Args:
            inputs (List[torch.Tensor]): The two views, each ``(N, C, H, W)``.
            data_samples (List[DataSample]): Unused.

        Returns:
            dict[str, torch.Tensor]: ``loss_orig``, ``loss_mix``, ``lam``
            (the last two only when mixing), ``emb_std``, ``view_cos``.
        """
        assert isinstance(inputs, list)
        img_v1, img_v2 = inputs[0], inputs[1]
        check_pairable(img_v1.shape[0])
        proj_online_v1 = self.embed(img_v1)
        proj_online_v2 = self.embed(img_v2)
        with torch.no_grad():
            self.target_net.update_parameters(
                nn.Sequential(self.backbone, self.neck))
            proj_target_v1 = self.target_net(img_v1)[0]
            proj_target_v2 = self.target_net(img_v2)[0]
        loss_orig = 2. * (self.head.loss(proj_online_v1, proj_target_v2) +
                          self.head.loss(proj_online_v2, proj_target_v1))

        loss_mix, lam = None, None
        if self.mixes:
            x_mix, lam = self.mix(img_v1)
            loss_mix = 2. * self.soft_loss(
                lam, self.embed(x_mix),
                lambda z: self.head.loss(z, proj_target_v2))
        return self.mixmask_losses(
            loss_orig, loss_mix, lam,
            embedding_stats(proj_online_v1, proj_target_v2))


@MODELS.register_module()
class MixMaskSimSiam(MixMaskMixin, SimSiam):
    """MixMask on SimSiam.

    The target of the mixed view is the online embedding of the clean
    second view (the head detaches it, as SimSiam does); the mixed term
    gets SimSiam's per-term factor 0.5.

    Args:
        mask_cfg (dict, optional): See :class:`MixMaskMixin`.
        mix_weight (float): See :class:`MixMaskMixin`.
        **kwargs: :class:`mmpretrain.models.SimSiam`'s arguments.
    """

    def loss(self, inputs: List[torch.Tensor], data_samples: List[DataSample],
             **kwargs) -> Losses:
        """Compute ``loss_orig`` (SimSiam's) and ``loss_mix``.

        Args:
            inputs (List[torch.Tensor]): The two views, each ``(N, C, H, W)``.
            data_samples (List[DataSample]): Unused.

        Returns:
            dict[str, torch.Tensor]: ``loss_orig``, ``loss_mix``, ``lam``
            (the last two only when mixing), ``emb_std``, ``view_cos``.
        """
        assert isinstance(inputs, list)
        img_v1, img_v2 = inputs[0], inputs[1]
        check_pairable(img_v1.shape[0])
        z1 = self.embed(img_v1)
        z2 = self.embed(img_v2)
        loss_orig = 0.5 * (self.head.loss(z1, z2) + self.head.loss(z2, z1))

        loss_mix, lam = None, None
        if self.mixes:
            x_mix, lam = self.mix(img_v1)
            loss_mix = 0.5 * self.soft_loss(lam, self.embed(x_mix),
                                            lambda z: self.head.loss(z, z2))
        return self.mixmask_losses(loss_orig, loss_mix, lam,
                                   embedding_stats(z1, z2))


@MODELS.register_module()
class MixMaskBarlowTwins(MixMaskMixin, BarlowTwins):
    """MixMask on Barlow Twins.

    The mixed view's embedding is cross-correlated with the clean second
    view's, through the same head and loss as the base term.

    Args:
        mask_cfg (dict, optional): See :class:`MixMaskMixin`.
        mix_weight (float): See :class:`MixMaskMixin`.
        detach_target (bool): Stop the mixed term's gradient through the
            second view's embedding (Barlow Twins itself is symmetric and
            detaches nothing). Defaults to False.
        **kwargs: :class:`mmpretrain.models.BarlowTwins`'s arguments.
    """

    def __init__(self, *args, detach_target: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.detach_target = detach_target

    def loss(self, inputs: List[torch.Tensor], data_samples: List[DataSample],
             **kwargs) -> Losses:
        """Compute ``loss_orig`` (Barlow Twins') and ``loss_mix``.

        Args:
            inputs (List[torch.Tensor]): The two views, each ``(N, C, H, W)``.
            data_samples (List[DataSample]): Unused.

        Returns:
            dict[str, torch.Tensor]: ``loss_orig``, ``loss_mix``, ``lam``
            (the last two only when mixing), ``emb_std``, ``view_cos``.
        """
        assert isinstance(inputs, list)
        img_v1, img_v2 = inputs[0], inputs[1]
        check_pairable(img_v1.shape[0])
        z1 = self.embed(img_v1)
        z2 = self.embed(img_v2)
        loss_orig = self.head.loss(z1, z2)

        loss_mix, lam = None, None
        if self.mixes:
            target = z2.detach() if self.detach_target else z2
            x_mix, lam = self.mix(img_v1)
            loss_mix = self.soft_loss(lam, self.embed(x_mix),
                                      lambda z: self.head.loss(z, target))
        return self.mixmask_losses(loss_orig, loss_mix, lam,
                                   embedding_stats(z1, z2))
