"""The binary codec (Avro specification, Binary Encoding, Logical Types, Schema Resolution): :class:`Encoder` and :class:`Decoder`.

Both compile their schema (and, for the decoder, the writer × reader pair) into a plan once,
in :mod:`turboavro.resolution`; the compiled kernel in ``_kernels/_codec.pyx`` executes it.
Build them once and reuse them: per record there is no schema work left.
"""
from __future__ import annotations

from ._kernels._codec import Decoder, Encoder

__all__ = ["Decoder", "Encoder"]
