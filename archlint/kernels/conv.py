"""Convolution kernels on channels_last arrays: padding, im2col products, Winograd's F(2x2, 3x3),
depthwise and transposed convolutions, and the windows pooling folds over. The JAX backend's
results, computed with NumPy.
"""

import functools
import itertools

from archlint import dims
from archlint.dims import product
from archlint.kernels import np, parallel


def channels_last(x, data_format):
    return np.moveaxis(x, 1, -1) if data_format == "channels_first" else x


def from_channels_last(x, data_format):
    return np.moveaxis(x, -1, 1) if data_format == "channels_first" else x


def same_padding(length: int, kernel: int, stride: int, dilation: int = 1) -> tuple[int, int]:
    """TensorFlow-style 'same' padding, the extra pixel going after: what every Keras backend does."""
    extent = (kernel - 1) * dilation + 1
    out = (length - 1) // stride + 1
    total = max((out - 1) * stride + extent - length, 0)
    return total // 2, total - total // 2


def pad_input(x, kernel, strides, dilation, padding, fill=0.0):
    """Pad the spatial axes of a channels_last array with `fill` for 'same' or 'causal' windows."""
    if padding == "valid":
        return x
    pads = [(0, 0)]
    for axis, (k, s, d) in enumerate(zip(kernel, strides, dilation), start=1):
        if padding == "causal":
            pads.append(((k - 1) * d, 0))
        else:
            pads.append(same_padding(x.shape[axis], k, s, d))
    pads.append((0, 0))
    return np.pad(x, pads, constant_values=fill)


def valid_output_sizes(x, kernel, strides, dilation):
    """How many whole windows fit along each spatial axis of an already padded channels_last array."""
    return [dims.conv_output_length(n, k, s, "valid", d) for n, k, s, d in zip(x.shape[1:-1], kernel, strides, dilation)]


# The patches of one im2col product are built in pieces of about this size: large enough for
# an efficient matrix product, small enough to keep the runtime's memory near its activations'.
PATCH_BYTES = 16 * 1024 ** 2


def window(x, offset, strides, dilation, out_sizes, leading=(slice(None),)):
    """The strided view of x that kernel position `offset` multiplies, one entry per output position."""
    index = list(leading)
    for o, d, s, n in zip(offset, dilation, strides, out_sizes):
        index.append(slice(o * d, o * d + s * (n - 1) + 1, s))
    return x[tuple(index)]


def windows(x, kernel, strides, dilation, out_sizes):
    """Yield (kernel offset, strided view of x) for each kernel position."""
    for offset in itertools.product(*(range(k) for k in kernel)):
        yield offset, window(x, offset, strides, dilation, out_sizes)


def pool_windows(x, pool_size, strides, padding, fill, combine):
    """Fold `combine` over the windows of a channels_last array, padded with `fill` for 'same'."""
    no_dilation = (1,) * len(pool_size)
    x = pad_input(x, pool_size, strides, no_dilation, padding, fill)
    out_sizes = valid_output_sizes(x, pool_size, strides, no_dilation)
    return functools.reduce(combine, (view for _, view in windows(x, pool_size, strides, no_dilation, out_sizes)))


def conv_forward(x, kernel, strides, dilation, padding, groups=1):
    """N-d convolution of a channels_last array with a kernel of shape (*k, C/groups, F)."""
    k_spatial = kernel.shape[:-2]
    x = pad_input(x, k_spatial, strides, dilation, padding)
    out_sizes = valid_output_sizes(x, k_spatial, strides, dilation)
    per_group_in, filters = kernel.shape[-2:]
    if groups == 1 and winograd_pays(kernel.shape, strides, dilation, out_sizes, x.shape[0]):
        return winograd_conv(x, kernel, out_sizes)
    if groups == 1:
        return dense_conv(x, kernel, strides, dilation, out_sizes)
    if per_group_in == 1:  # depthwise: each channel meets only its own filters
        return channelwise_conv(x, kernel.reshape(*k_spatial, groups, filters // groups), strides, dilation, out_sizes)
    per_group_out = filters // groups
    return np.concatenate([
        dense_conv(x[..., g * per_group_in:(g + 1) * per_group_in], kernel[..., g * per_group_out:(g + 1) * per_group_out],
                   strides, dilation, out_sizes)
        for g in range(groups)], axis=-1)


def pieces(batch: int, rows: int, row_bytes: int) -> list[tuple[int, int, int]]:
    """(batch index, first row, row count) pieces of at most PATCH_BYTES together for all workers at once,
    and at least as many as there are workers where the rows allow."""
    per_piece = max(1, min(-(-rows // parallel.workers()), PATCH_BYTES // parallel.workers() // max(row_bytes, 1)))
    return [(b, start, min(per_piece, rows - start)) for b in range(batch) for start in range(0, rows, per_piece)]


def dense_conv(x, kernel, strides, dilation, out_sizes):
    """im2col: the input under every kernel position side by side, times the flattened kernel, in
    pieces along the first output axis so that the patches stay near PATCH_BYTES."""
    *k_spatial, channels, filters = kernel.shape
    out = np.empty((x.shape[0], *out_sizes, filters), dtype=np.float32)
    flat_kernel = np.ascontiguousarray(kernel, dtype=np.float32).reshape(-1, filters)
    if all(k == 1 for k in k_spatial):  # a 1x1 convolution reads the input in place where strides allow
        picked = window(x, [0] * len(k_spatial), strides, dilation, out_sizes)
        parallel.matmul(np.ascontiguousarray(picked).reshape(-1, channels), flat_kernel, out.reshape(-1, filters))
        return out
    row_bytes = product(out_sizes[1:]) * flat_kernel.shape[0] * 4
    if x.shape[0] * out_sizes[0] * row_bytes <= PATCH_BYTES:
        # Few output positions: one set of patches, and the product split by filters instead of rows.
        patches = im2col(x, k_spatial, strides, dilation, (x.shape[0], *out_sizes), leading=(slice(None),))
        parallel.matmul(patches.reshape(-1, flat_kernel.shape[0]), flat_kernel, out.reshape(-1, filters))
        return out

    def run(piece):
        b, start, count = piece
        # Input rows from this piece's first output row on, so that the windows count from there.
        patches = im2col(x[b, start * strides[0]:], k_spatial, strides, dilation, (count, *out_sizes[1:]))
        np.matmul(patches.reshape(-1, flat_kernel.shape[0]), flat_kernel, out=out[b, start:start + count].reshape(-1, filters))

    parallel.each(run, pieces(x.shape[0], out_sizes[0], row_bytes))
    return out


def im2col(x, k_spatial, strides, dilation, sizes, leading=()):
    """The patches (*sizes, kernel positions * C) of x under every kernel position, in the kernel's order.

    Without dilation along the last spatial axis, a whole row of the kernel reads one contiguous
    span of x at each output position (x's last two axes being contiguous), so a row is copied at once.
    """
    *k_rows, k_last = k_spatial
    channels = x.shape[-1]
    patches = np.empty((*sizes, product(k_rows), k_last * channels), dtype=np.float32)
    whole_rows = dilation[-1] == 1 and x.strides[-2] == channels * x.itemsize and x.strides[-1] == x.itemsize
    for i, row in enumerate(itertools.product(*(range(k) for k in k_rows))):
        if whole_rows:
            start = window(x, (*row, 0), strides, dilation, sizes[len(leading):], leading)
            span = np.lib.stride_tricks.as_strided(start, (*sizes, k_last * channels), (*start.strides[:-1], x.itemsize),
                                                   writeable=False)
            patches[..., i, :] = span
        else:
            for j in range(k_last):
                view = window(x, (*row, j), strides, dilation, sizes[len(leading):], leading)
                patches[..., i, j * channels:(j + 1) * channels] = view
    return patches


# Winograd's F(2x2, 3x3) (Lavin and Gray, 2015): G transforms the kernel, B^T each 4x4 input tile
# (tiles overlap by two), A^T turns the 4x4 products back into a 2x2 output tile.
WINOGRAD_G = ((1.0, 0.0, 0.0), (0.5, 0.5, 0.5), (0.5, -0.5, 0.5), (0.0, 0.0, 1.0))


def winograd_pays(kernel_shape, strides, dilation, out_sizes, batch) -> bool:
    """Only for 3x3 stride-1 kernels, and only where the tiles outweigh transforming the kernel
    and the channels are enough for the 16 matrix products to be efficient."""
    *k_spatial, channels, _ = kernel_shape
    tiles = batch * product(-(-n // 2) for n in out_sizes)
    return tuple(k_spatial) == (3, 3) and strides == (1, 1) and dilation == (1, 1) and channels >= 16 and tiles >= 128


def winograd_conv(x, kernel, out_sizes):
    """A 3x3, stride-1 convolution of a padded channels_last array by Winograd's F(2x2, 3x3): 16
    products per channel pair and 2x2 output tile where the direct sum needs 36, as 16 matrix
    products over all tiles, taken in pieces of rows of tiles that stay near PATCH_BYTES."""
    batch, (channels, filters) = x.shape[0], kernel.shape[2:]
    tile_rows, tile_cols = (-(-n // 2) for n in out_sizes)
    missing = (2 * tile_rows + 2 - x.shape[1], 2 * tile_cols + 2 - x.shape[2])
    if any(missing):  # an odd output size: the last tiles reach one row or column past the input
        x = np.pad(x, [(0, 0), (0, missing[0]), (0, missing[1]), (0, 0)])
    g = np.asarray(WINOGRAD_G, dtype=np.float32)
    transformed = np.tensordot(g, np.tensordot(g, kernel, axes=(1, 0)), axes=(1, 1))  # (column, row, C, F)
    transformed = np.ascontiguousarray(transformed.swapaxes(0, 1)).reshape(16, channels, filters)
    out = np.empty((batch, 2 * tile_rows, 2 * tile_cols, filters), dtype=np.float32)

    def run(piece):
        b, start, count = piece
        tiles = np.empty((16, count, tile_cols, channels), dtype=np.float32)
        transform_tiles(x[b, 2 * start:2 * (start + count) + 2], tiles)
        products = np.matmul(tiles.reshape(16, -1, channels), transformed)
        untransform_tiles(products.reshape(4, 4, count, tile_cols, filters), out[b, 2 * start:2 * (start + count)])

    parallel.each(run, pieces(batch, tile_rows, 16 * tile_cols * max(channels, filters) * 4))
    return out[:, :out_sizes[0], :out_sizes[1]]


def transform_tiles(x, tiles):
    """B^T d B for every 4x4 tile d of x (rows, columns, C): entry (i, j) of each goes to tiles[4 * i + j]."""
    _, rows, cols, _ = tiles.shape
    r = [x[a:a + 2 * rows:2] for a in range(4)]  # row a of every tile
    for i, combined in enumerate((r[0] - r[2], r[1] + r[2], r[2] - r[1], r[1] - r[3])):
        c = [combined[:, a:a + 2 * cols:2] for a in range(4)]  # then column a
        np.subtract(c[0], c[2], out=tiles[4 * i])
        np.add(c[1], c[2], out=tiles[4 * i + 1])
        np.subtract(c[2], c[1], out=tiles[4 * i + 2])
        np.subtract(c[1], c[3], out=tiles[4 * i + 3])


def untransform_tiles(m, out):
    """A^T m A for the 4x4 products m of every tile: the 2x2 output tiles, written into out (2*rows, 2*cols, F)."""
    _, _, rows, cols, filters = m.shape
    tiles = out.reshape(rows, 2, cols, 2, filters)
    for i, combined in enumerate((m[0] + m[1] + m[2], m[1] - m[2] - m[3])):
        tiles[:, i, :, 0] = combined[0] + combined[1] + combined[2]
        tiles[:, i, :, 1] = combined[1] - combined[2] - combined[3]


def channelwise_conv(x, kernel, strides, dilation, out_sizes):
    """Depthwise convolution, kernel (*k, C, M): output channel c*M + m sums x[..., c] * kernel[..., c, m]."""
    *k_spatial, channels, multiplier = kernel.shape
    out = np.zeros((x.shape[0], *out_sizes, channels, multiplier), dtype=np.float32)
    term = np.empty_like(out)
    for offset, view in windows(x, k_spatial, strides, dilation, out_sizes):
        np.multiply(view[..., None], kernel[offset], out=term)
        out += term
    return out.reshape(*out.shape[:-2], channels * multiplier)


def depthwise_forward(x, kernel, strides, dilation, padding):
    """Each channel convolved with its own filters: kernel (*k, C, M) gives output channel c*M + m, as in JAX."""
    *k_spatial, channels, multiplier = kernel.shape
    return conv_forward(x, kernel.reshape(*k_spatial, 1, channels * multiplier), strides, dilation, padding, groups=channels)


def transpose_padding(kernel: int, stride: int, dilation: int, padding: str, output_padding: int | None) -> tuple[int, int]:
    """The (before, after) padding JAX gives the stride-spread input so that the result has Keras's length."""
    extent = (kernel - 1) * dilation + 1
    if padding == "valid":
        extra = max(extent, stride) - extent if output_padding is None else output_padding
        return extent - 1, extent - 1 + extra
    if output_padding is None:
        total = stride + extent - 2
    else:
        total = extent + extent % 2 - 2 + output_padding
    before = min((total + 1) // 2, extent - 1)
    return before, total - before


def conv_transpose_forward(x, kernel, strides, dilation, padding, output_padding):
    """Transposed convolution of a channels_last array with a kernel of shape (*k, F, C).

    As jax.lax.conv_transpose does it: zeros go between input positions (strides - 1 of
    them), the result is padded, then convolved with the spatially flipped kernel.
    """
    rank = len(strides)
    spread = np.zeros((x.shape[0], *((n - 1) * s + 1 for n, s in zip(x.shape[1:-1], strides)), x.shape[-1]), dtype=np.float32)
    spread[(slice(None), *(slice(None, None, s) for s in strides))] = x
    extra = output_padding or (None,) * rank
    pads = [transpose_padding(k, s, d, padding, op) for k, s, d, op in zip(kernel.shape[:-2], strides, dilation, extra)]
    spread = np.pad(spread, [(0, 0), *pads, (0, 0)])
    flipped = np.swapaxes(kernel[(slice(None, None, -1),) * rank], -1, -2)
    return conv_forward(spread, flipped, (1,) * rank, dilation, "valid")
