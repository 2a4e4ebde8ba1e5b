"""Encode a rendered RGB image as PNG quickly and reproducibly, with its DPI.

A 300-dpi A3 page is 17 million pixels; Pillow's adaptive row filters and
matplotlib's RGBA output make saving it slower than drawing it.  Maps are
mostly flat colour, which deflate packs well without row filters, so rows
are written unfiltered (filter type 0) at zlib level 1: about three times
faster than the usual writer and smaller.  The rows are deflated in four
fixed slices on worker threads (zlib releases the GIL), joined into one zlib
stream with sync-flush boundaries, as pigz does: the slice count does not
depend on the machine, so the bytes do not either.  No time or software
chunks are written, so the same pixels always give the same bytes.

Deflate comes from zlib-ng (``zlib-ng`` on PyPI, pinned), a maintained
drop-in for zlib that is about twice as fast at level 1 for a slightly
larger file; the standard zlib is the fallback, also deterministic.
"""
from __future__ import annotations

import struct
from concurrent.futures import ThreadPoolExecutor

import numpy as np

try:
    from zlib_ng import zlib_ng as zlib
except ImportError:  # pragma: no cover - the pinned requirements install it
    import zlib

SIGNATURE = b"\x89PNG\r\n\x1a\n"
SLICES = 4  # fixed: the output must not depend on the number of cores


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def _deflate_rows(rgb: np.ndarray, first: int, stop: int, level: int, last: bool) -> tuple[bytes, memoryview]:
    """Lay out rows ``first``..``stop`` of ``rgb`` as PNG scanlines (filter 0) and deflate them.

    Returns the raw-deflate bytes and the scanlines (the zlib stream's Adler-32
    runs over all of them in order).  Copying out of matplotlib's strided RGBA
    buffer is done here, on the worker thread (numpy and zlib release the GIL).
    """
    height, width, _ = rgb.shape
    rows = np.empty((stop - first, width * 3 + 1), dtype=np.uint8)
    rows[:, 0] = 0  # filter type 0 (none) on every row
    rows[:, 1:].reshape(stop - first, width, 3)[...] = rgb[first:stop]
    data = memoryview(rows).cast("B")
    packer = zlib.compressobj(level, zlib.DEFLATED, -15)  # raw deflate, no header
    body = packer.compress(data) + packer.flush(zlib.Z_FINISH if last else zlib.Z_SYNC_FLUSH)
    return body, data


def _zlib_stream(rgb: np.ndarray, level: int) -> bytes:
    """Deflate the scanlines of ``rgb`` in fixed slices on threads and join them into one zlib stream."""
    bounds = np.linspace(0, rgb.shape[0], SLICES + 1).astype(int)
    with ThreadPoolExecutor(max_workers=SLICES) as pool:
        parts = list(pool.map(lambda i: _deflate_rows(rgb, bounds[i], bounds[i + 1], level, i == SLICES - 1),
                              range(SLICES)))
    checksum = 1
    for _, data in parts:  # Adler-32 runs on, slice after slice, over the whole uncompressed stream
        checksum = zlib.adler32(data, checksum)
    header = bytes([0x78, 0x01])  # deflate, 32 KiB window, fastest; (0x7801 % 31 == 0)
    return header + b"".join(body for body, _ in parts) + struct.pack(">I", checksum & 0xFFFFFFFF)


def encode_png(rgb: np.ndarray, dpi: float, level: int = 1) -> bytes:
    """Return PNG bytes of an (height, width, 3) uint8 array (any strides), with a pHYs chunk for ``dpi``."""
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ValueError("expected an (h, w, 3) uint8 array")
    height, width, _ = rgb.shape
    pixels_per_metre = int(round(dpi / 0.0254))
    return (SIGNATURE
            + _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + _chunk(b"pHYs", struct.pack(">IIB", pixels_per_metre, pixels_per_metre, 1))
            + _chunk(b"IDAT", _zlib_stream(rgb, level))
            + _chunk(b"IEND", b""))


def figure_png(fig, dpi: float) -> bytes:
    """Draw a matplotlib figure (Agg, at its own dpi) and return it as PNG bytes."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    canvas.draw()
    return encode_png(np.asarray(canvas.buffer_rgba())[:, :, :3], dpi)
