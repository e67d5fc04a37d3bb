"""Torch modules behind the skorch nets: encoders, decoders and heads.

Images ``(channels, H, W)`` of any size from 8x8 go through a CNN; flat
feature vectors ``(d,)`` through an MLP.
"""
from __future__ import annotations

import math
from typing import Optional, Sequence, Tuple

import torch
from torch import nn
from torch.nn import functional as F

MIN_IMAGE_SIZE = 8


def _n_downsamplings(height: int, width: int) -> int:
    """Stride-2 convolutions needed to bring the smaller side to about 4 (at most 4)."""
    n = 0
    while n < 4 and _side_after(min(height, width), n) > 4:
        n += 1
    return n


def _side_after(size: int, n_down: int) -> int:
    """A side's length after ``n_down`` stride-2 convolutions (kernel 3, padding 1)."""
    for _ in range(n_down):
        size = (size + 1) // 2
    return size


def _norm(channels: int, batchnorm: bool) -> list:
    return [nn.BatchNorm2d(channels)] if batchnorm else []


class ConvEncoder(nn.Module):
    """Strided CNN: ``(c, H, W)`` -> feature vector of ``out_features``."""

    def __init__(self, input_shape: Sequence[int], width: int = 32, batchnorm: bool = False):
        super().__init__()
        c, h, w = input_shape
        if min(h, w) < MIN_IMAGE_SIZE:
            raise ValueError(
                f"Images must be at least {MIN_IMAGE_SIZE}x{MIN_IMAGE_SIZE}; got {h}x{w}."
            )
        self.n_down = _n_downsamplings(h, w)
        layers, ch = [], c
        self.channels = [min(width * 2 ** i, 8 * width) for i in range(self.n_down)]
        for out in self.channels:
            layers += [nn.Conv2d(ch, out, 3, stride=2, padding=1), *_norm(out, batchnorm),
                       nn.LeakyReLU(0.2)]
            ch = out
        # Fixed 4x4 grid whatever the input size, so the FC heads do not depend on H, W
        # (8, 28 and 32 px already end at 4x4: no pooling op, which costs as much as a conv).
        ends_at_4 = _side_after(h, self.n_down) == _side_after(w, self.n_down) == 4
        layers.append(nn.Identity() if ends_at_4 else nn.AdaptiveAvgPool2d(4))
        self.net = nn.Sequential(*layers)
        self.out_features = ch * 16

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).flatten(1)


class ConvDecoder(nn.Module):
    """Mirror of :class:`ConvEncoder`: latent -> image of ``input_shape``."""

    def __init__(self, latent_dim: int, input_shape: Sequence[int], channels: Sequence[int],
                 batchnorm: bool = False):
        super().__init__()
        c, h, w = input_shape
        self.output_size = (h, w)
        chans = list(channels)[::-1]
        self.start = chans[0]
        self.fc = nn.Linear(latent_dim, self.start * 16)
        layers = []
        for i, ch in enumerate(chans):
            out = chans[i + 1] if i + 1 < len(chans) else chans[-1]
            layers += [nn.ConvTranspose2d(ch, out, 4, stride=2, padding=1), *_norm(out, batchnorm),
                       nn.LeakyReLU(0.2)]
        layers.append(nn.Conv2d(chans[-1], c, 3, padding=1))
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        x = self.net(F.leaky_relu(self.fc(z), 0.2).view(-1, self.start, 4, 4))
        if tuple(x.shape[-2:]) != self.output_size:
            x = F.interpolate(x, size=self.output_size, mode="bilinear", align_corners=False)
        return x


def mlp(sizes: Sequence[int], *, final_activation: bool = False) -> nn.Sequential:
    """Linear layers of ``sizes`` with LeakyReLU between them."""
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2 or final_activation:
            layers.append(nn.LeakyReLU(0.2))
    return nn.Sequential(*layers)


class GeneratorModule(nn.Module):
    """Unified representation generator (§3.2): one encoder, two Gaussian latents.

    * UIR latent ``(mu_uir, logvar_uir)`` -> decoder reconstructing the input;
    * STL latent ``(mu_stl, logvar_stl)`` -> classifier head predicting the label.

    ``forward`` returns ``(x_hat, mu_uir, logvar_uir, mu_stl, logvar_stl, logits)``;
    with ``use_stl=False`` the STL tensors have zero columns. With
    ``task='segmentation'`` the STL decoder is a convolutional decoder and
    ``logits`` has shape ``(n, n_classes, H, W)``.
    """

    def __init__(
        self,
        input_shape: Sequence[int],
        n_classes: int = 0,
        latent_dim: int = 32,
        use_stl: bool = True,
        width: int = 32,
        hidden: int = 256,
        task: str = "classification",
        batchnorm: bool = False,
    ):
        super().__init__()
        self.input_shape = tuple(int(s) for s in input_shape)
        self.latent_dim = latent_dim
        self.use_stl = bool(use_stl and n_classes > 0)
        if task not in ("classification", "segmentation"):
            raise ValueError(f"task must be 'classification' or 'segmentation'; got {task!r}.")
        if task == "segmentation" and len(self.input_shape) != 3:
            raise ValueError("task='segmentation' needs images (channels, H, W).")
        self.task = task
        if len(self.input_shape) == 3:
            self.encoder = ConvEncoder(self.input_shape, width, batchnorm)
            self.decoder = ConvDecoder(latent_dim, self.input_shape, self.encoder.channels, batchnorm)
            feat = self.encoder.out_features
        elif len(self.input_shape) == 1:
            d = self.input_shape[0]
            self.encoder = mlp([d, hidden, hidden], final_activation=True)
            self.decoder = mlp([latent_dim, hidden, hidden, d])
            feat = hidden
        else:
            raise ValueError(
                f"input_shape must be (channels, H, W) or (n_features,); got {input_shape}."
            )
        self.uir_head = nn.Linear(feat, 2 * latent_dim)
        if self.use_stl:
            self.stl_head = nn.Linear(feat, 2 * latent_dim)
            if task == "segmentation":
                # STL decoder of §3.2 for segmentation: a per-pixel label map.
                c, h, w = self.input_shape
                self.classifier = ConvDecoder(latent_dim, (n_classes, h, w), self.encoder.channels,
                                              batchnorm)
            else:
                self.classifier = mlp([latent_dim, hidden, n_classes])

    @property
    def representation_dim(self) -> int:
        """Width of the unified representation."""
        return self.latent_dim * (2 if self.use_stl else 1)

    def encode(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """Return ``(mu_uir, logvar_uir, mu_stl, logvar_stl)``."""
        h = self.encoder(x)
        mu_uir, logvar_uir = self.uir_head(h).chunk(2, dim=1)
        if self.use_stl:
            mu_stl, logvar_stl = self.stl_head(h).chunk(2, dim=1)
        else:
            mu_stl = logvar_stl = h.new_zeros(h.shape[0], 0)
        return mu_uir, logvar_uir, mu_stl, logvar_stl

    def _sample(self, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
        # Reparameterization trick while training; the mean at inference (§3.4).
        if not self.training:
            return mu
        return mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        mu_uir, logvar_uir, mu_stl, logvar_stl = self.encode(x)
        x_hat = self.decoder(self._sample(mu_uir, logvar_uir))
        if self.use_stl:
            logits = self.classifier(self._sample(mu_stl, logvar_stl))
        else:
            logits = x.new_zeros(x.shape[0], 0)
        return x_hat, mu_uir, logvar_uir, mu_stl, logvar_stl, logits


class DiscriminatorModule(nn.Module):
    """State discriminator (§3.3): MLP on the unified representation.

    Returns one *logit* per row; the sigmoid is applied by the loss
    (``BCEWithLogitsLoss``, numerically stable) and by
    :meth:`SRAALDiscriminator.predict_state`.
    """

    def __init__(self, input_dim: int, hidden: Sequence[int] = (512, 512, 512, 512)):
        super().__init__()
        self.net = mlp([int(input_dim), *hidden, 1])
        # Input standardization: identity until :meth:`rescale_inputs`.
        self.register_buffer("input_shift", torch.zeros(int(input_dim)))
        self.register_buffer("input_scale", torch.ones(int(input_dim)))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net((z - self.input_shift) / self.input_scale).squeeze(-1)

    @torch.no_grad()
    def reset_weights(self, output_rate: Optional[float] = None) -> None:
        """Draw every layer's weights afresh (torch's default initialization),
        with the output's bias at the log-odds of ``output_rate`` if given; the
        input standardization is kept.

        A fit toward states that average ``output_rate`` starts at their level
        instead of at 0.5, so its steps go to ordering the rows.
        """
        linears = [layer for layer in self.net if isinstance(layer, nn.Linear)]
        for layer in linears:
            layer.reset_parameters()
        if output_rate is not None:
            rate = min(max(float(output_rate), 1e-4), 1 - 1e-4)
            linears[-1].bias.fill_(math.log(rate / (1 - rate)))

    @torch.no_grad()
    def rescale_inputs(self, shift: torch.Tensor, scale: torch.Tensor) -> None:
        """Standardize inputs with ``(z - shift) / scale`` from now on, without
        changing the function: the first layer absorbs the change.

        The UIR and STL means come on different scales; on equal scales,
        Adam's equal-sized steps move every input's weights alike.
        """
        first = self.net[0]
        shift = shift.to(first.weight).clone()
        scale = scale.to(first.weight).clamp_min(1e-6).clone()
        # W (z - s0) / c0 + b = W' (z - s1) / c1 + b'  for every z
        w = first.weight / self.input_scale
        first.bias += w @ (shift - self.input_shift)
        first.weight.copy_(w * scale)
        self.input_shift.copy_(shift)
        self.input_scale.copy_(scale)
