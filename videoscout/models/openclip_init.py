"""Initialisation that open_clip 3.3 skips when a model is built without a checkpoint."""

from __future__ import annotations

import torch
from torch import nn


def init_coca_decoder(model: nn.Module) -> None:
    """Give a CoCa decoder's output projection real initial values.

    ``MultimodalTransformer`` creates it with ``torch.empty`` and its own ``init_parameters``
    fails (it looks for a ``transformer`` attribute it does not have), so a model built from a
    config starts from uninitialised memory: logits of 1e30 on a bad day. Checkpoints overwrite
    the projection; random-weight and from-scratch models need this.
    """
    decoder = getattr(model, "text_decoder", None)
    projection = getattr(decoder, "text_projection", None)
    if projection is not None:
        with torch.no_grad():
            nn.init.normal_(projection, std=decoder.width**-0.5)
