"""Attention layers: MultiHeadAttention, Attention (dot-product) and AdditiveAttention."""

import string

from archlint import dims
from archlint.dims import format_shape, product
from archlint.errors import IncompatibleShapes, InvalidArgument, UnknownDimension, WrongRank
from archlint.layers.base import Layer, axis_arg, float_arg, known, np, register, shape_arg
from archlint.values import NumpyInt

# What Keras subtracts from (Attention) or puts in place of (MultiHeadAttention) a masked score.
MASKED_SCORE = 1e9


def softmax(x, axis):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return (e / np.sum(e, axis=axis, keepdims=True)).astype(np.float32)


def causal_mask(query_length: int, key_length: int):
    """True where a query position may attend: key index <= query index."""
    return np.arange(query_length)[:, None] >= np.arange(key_length)[None, :]


def strict_positive_int(value, what: str, optional: bool = False):
    """MultiHeadAttention's own check: an int instance above zero (2.0 is refused); a number read from data is one."""
    if dims.from_data(value):
        return value
    value = known(value, what)
    if optional and value is None:
        return None
    if not isinstance(value, int) or isinstance(value, NumpyInt) or value <= 0:
        raise InvalidArgument(f"`{what}` must be a positive integer, got {value!r}")
    return value


def attention_equations(rank: int, attention_axes: tuple[int, ...]):
    """Keras's `_build_attention_equation`: (key . query) and (scores . value) einsums over projected tensors."""
    letters = string.ascii_lowercase
    target = letters[:rank]
    batch_axes = [i for i in range(rank) if i not in attention_axes and i != rank - 1]
    source = ""
    next_letter = rank
    for i in range(rank):
        if i in batch_axes or i == rank - 1:
            source += target[i]
        else:
            source += letters[next_letter]
            next_letter += 1
    product = "".join([target[i] for i in batch_axes] + [target[i] for i in attention_axes]
                      + [source[i] for i in attention_axes])
    return f"{source},{target}->{product}", f"{product},{source}->{target}", batch_axes


@register
class MultiHeadAttention(Layer):
    named_sizes = True
    size_arguments = ("num_heads", "key_dim", "value_dim", "output_shape")

    def __init__(self, num_heads, key_dim, value_dim=None, dropout=0.0, use_bias=True, output_shape=None,
                 attention_axes=None, sliding_window=None, flash_attention=None,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", kernel_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 use_gate=False, seed=None, **kwargs):
        self.num_heads = strict_positive_int(num_heads, "num_heads")
        self.key_dim = strict_positive_int(key_dim, "key_dim")
        value_dim = strict_positive_int(value_dim, "value_dim", optional=True)
        self.value_dim = self.key_dim if value_dim is None else value_dim
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.use_bias = bool(known(use_bias, "use_bias"))
        self.use_gate = bool(known(use_gate, "use_gate"))
        # Keras treats any falsy output_shape (None, 0, ()) as "the query's last axis".
        output_shape = known(output_shape, "output_shape")
        if dims.from_data(output_shape):
            output_shape = (output_shape,)
        self.output_shape = shape_arg(output_shape, "output_shape") if output_shape else None
        if self.output_shape and None in self.output_shape:
            raise InvalidArgument(f"`output_shape` must be fully defined, got {output_shape!r}")
        attention_axes = known(attention_axes, "attention_axes")
        if isinstance(attention_axes, int):
            attention_axes = (attention_axes,)
        if attention_axes is not None and not isinstance(attention_axes, (list, tuple)):
            raise InvalidArgument(f"`attention_axes` must be an int, list, or tuple, got {attention_axes!r}")
        self.attention_axes = None if attention_axes is None else axis_arg(attention_axes, "attention_axes")
        self.sliding_window = strict_positive_int(sliding_window, "sliding_window", optional=True)
        self.flash_attention = bool(known(flash_attention, "flash_attention"))
        if self.flash_attention and float_arg(dropout, "dropout") > 0:
            raise InvalidArgument("dropout is not supported when flash attention is enabled")

    # -- shapes -----------------------------------------------------------------------------

    def normalized_axes(self, value_rank: int) -> tuple[int, ...]:
        """Attention axes as indices into the projected (batch..., heads, dim) tensors."""
        rank = value_rank + 1
        if self.attention_axes is None:
            return tuple(range(1, rank - 2))
        axes = tuple(a if a >= 0 else rank - 1 + a for a in self.attention_axes)
        for axis in axes:
            if not 0 <= axis < rank - 1:
                raise InvalidArgument(f"`attention_axes`={self.attention_axes} is out of range for inputs of rank {value_rank}")
        return axes

    def check_shapes(self, query_shape, value_shape, key_shape) -> None:
        # Keras compares these literally, so an unknown length (an input's named axis) against a known one is
        # refused too; a number read from data is a number there, which may equal the other.
        def message():
            return ("all axes of `value` and `key` but the last must be equal, got "
                    f"value {format_shape(value_shape)} and key {format_shape(key_shape)}")

        values, keys = value_shape[1:-1], key_shape[1:-1]
        if len(values) != len(keys) or not all(dims.equal_as_keras_sees(a, b, IncompatibleShapes.code, message)
                                               for a, b in zip(values, keys)):
            raise IncompatibleShapes(message())
        # Keras accepts these symbolically, but the attention einsums fail on the first call.
        if len(query_shape) < 3:
            raise WrongRank(f"MultiHeadAttention expects a query of rank at least 3, got {format_shape(query_shape)}")
        if len(query_shape) != len(value_shape):
            raise WrongRank(f"MultiHeadAttention expects query and value of the same rank, got "
                            f"{format_shape(query_shape)} and {format_shape(value_shape)}")
        self.normalized_axes(len(value_shape))

    def build(self, query_shape, value_shape, key_shape=None, **kwargs):
        key_shape = value_shape if key_shape is None else key_shape
        self.check_shapes(query_shape, value_shape, key_shape)
        query_dim, key_dim, value_dim = query_shape[-1], key_shape[-1], value_shape[-1]
        if any(dims.unknown(d) for d in (query_dim, key_dim, value_dim)):
            raise UnknownDimension("MultiHeadAttention needs known last axes to size its projections, got "
                                   f"query {format_shape(query_shape)}, value {format_shape(value_shape)}, key {format_shape(key_shape)}")
        heads = self.num_heads
        projections = [("query", query_dim, self.key_dim), ("key", key_dim, self.key_dim)]
        if self.use_gate:
            projections.append(("gate", query_dim, self.value_dim))
        projections.append(("value", value_dim, self.value_dim))
        self.projections = {}
        for name, input_dim, head_dim in projections:
            kernel = self.add_weight(f"{name}/kernel", (input_dim, heads, head_dim))
            bias = self.add_weight(f"{name}/bias", (heads, head_dim)) if self.use_bias else None
            self.projections[name] = (kernel, bias)
        output_shape = self.output_shape or (query_dim,)
        kernel = self.add_weight("attention_output/kernel", (heads, self.value_dim, *output_shape))
        bias = self.add_weight("attention_output/bias", output_shape) if self.use_bias else None
        self.projections["attention_output"] = (kernel, bias)

    def compute_output_shape(self, query_shape, value_shape, key_shape=None, return_attention_scores=False, **kwargs):
        key_shape = value_shape if key_shape is None else key_shape
        self.check_shapes(query_shape, value_shape, key_shape)
        output = tuple(query_shape[:-1]) + (self.output_shape or (query_shape[-1],))
        if not known(return_attention_scores, "return_attention_scores"):
            return output
        if self.flash_attention:
            raise InvalidArgument("attention scores cannot be returned when flash attention is enabled")
        # The true shape of the scores; Keras's symbolic shape assumes (batch, heads, Tq, Tq).
        projected_query = tuple(query_shape[:-1]) + (self.num_heads, self.key_dim)
        projected_key = tuple(key_shape[:-1]) + (self.num_heads, self.key_dim)
        axes = self.normalized_axes(len(value_shape))
        _, _, batch_axes = attention_equations(len(value_shape) + 1, axes)
        scores = (tuple(projected_query[i] for i in batch_axes) + tuple(projected_query[i] for i in axes)
                  + tuple(projected_key[i] for i in axes))
        return [output, scores]

    def count_macs(self, input_shapes, output_shapes):
        # The projections (a key has the value's positions), then per head and per query position the
        # scores over the attended key positions (key_dim each) and the weighted values (value_dim each).
        query, value = input_shapes[0], input_shapes[1]
        query_rows, value_rows = dims.product(query[:-1]), dims.product(value[:-1])
        attended = dims.product(value[axis] for axis in self.normalized_axes(len(value)))
        if None in (query_rows, value_rows, attended):
            return None
        kernels = {name: kernel.size for name, (kernel, _) in self.projections.items()}
        from_query = kernels["query"] + kernels.get("gate", 0) + kernels["attention_output"]
        from_value = kernels["key"] + kernels["value"]
        scores = query_rows * self.num_heads * attended * (self.key_dim + self.value_dim)
        return query_rows * from_query + value_rows * from_value + scores

    # -- forward ----------------------------------------------------------------------------

    def project(self, name, x, contracted_axes: int = 1):
        kernel, bias = self.projections[name]
        y = np.tensordot(x, kernel.array, axes=(list(range(x.ndim - contracted_axes, x.ndim)), list(range(contracted_axes))))
        return y if bias is None else y + bias.array

    def scratch_size(self, input_shapes, output_shapes):
        # The three projections, the scores (three times: scores, their softmax, the weights) and the
        # attended values; the scores' bound takes every axis between batch and features as attended.
        query, value = input_shapes[0], input_shapes[1]
        key = input_shapes[2] if len(input_shapes) > 2 else value
        width = self.num_heads * max(self.key_dim, self.value_dim)
        projected = (2 * product(query[:-1]) + product(key[:-1]) + product(value[:-1])) * width
        scores = query[0] * self.num_heads * product(query[1:-1]) * product(key[1:-1])
        return projected + 3 * scores + super().scratch_size(input_shapes, output_shapes)

    def attention_mask(self, query, value, value_mask, key_mask, attention_mask, use_causal_mask):
        """Keras's `_compute_attention_mask`, without the query's implicit Keras mask: (B|1, T, S) or None."""
        masks = []
        for mask in (value_mask, key_mask):
            if mask is not None:
                masks.append(np.expand_dims(np.asarray(mask).astype(bool), -2))
        query_length, value_length = query.shape[1], value.shape[1]
        if use_causal_mask:
            masks.append(causal_mask(query_length, value_length)[None])
        if self.sliding_window is not None:
            distance = np.abs(np.arange(query_length)[:, None] - np.arange(value_length)[None, :])
            masks.append((distance < self.sliding_window)[None])
        if attention_mask is not None:
            masks.append(np.asarray(attention_mask).astype(bool))
        if not masks:
            return None
        combined = masks[0]
        for mask in masks[1:]:
            combined = combined & mask
        return combined

    def forward(self, query, value, key=None, query_mask=None, value_mask=None, key_mask=None, attention_mask=None,
                return_attention_scores=False, training=None, use_causal_mask=False, **kwargs):
        # An explicit query_mask is ignored as in Keras, which replaces it by the query's implicit mask.
        key = value if key is None else key
        mask = self.attention_mask(query, value, value_mask, key_mask, attention_mask, use_causal_mask)
        projected_query = self.project("query", query) * np.float32(1.0 / np.sqrt(self.key_dim))
        projected_key = self.project("key", key)
        projected_value = self.project("value", value)
        axes = self.normalized_axes(value.ndim)
        dot_equation, combine_equation, _ = attention_equations(value.ndim + 1, axes)
        scores = np.einsum(dot_equation, projected_key, projected_query)
        normalized = tuple(range(scores.ndim - len(axes), scores.ndim))
        if mask is not None:
            # The mask gains axes in front of the attention axes until it matches the scores.
            while mask.ndim < scores.ndim:
                mask = np.expand_dims(mask, -2 * len(axes) - 1)
            scores = np.where(mask, scores, -MASKED_SCORE)
        weights = softmax(scores, normalized)
        if mask is not None:
            weights = np.where(mask, weights, 0.0).astype(np.float32)
        attended = np.einsum(combine_equation, weights, projected_value)
        if self.use_gate:
            attended = attended * (1.0 / (1.0 + np.exp(-self.project("gate", query))))
        output = self.project("attention_output", attended, contracted_axes=2).astype(np.float32)
        return [output, weights] if return_attention_scores else output


def query_value_key(inputs, layer: Layer):
    """Attention's inputs: a list [query, value] or [query, value, key]; the key defaults to the value."""
    if not isinstance(inputs, list):
        raise InvalidArgument(f"{layer.type_name} must be called on a list [query, value] or [query, value, key]")
    if not 2 <= len(inputs) <= 3:
        raise InvalidArgument(f"{layer.type_name} accepts a list of 2 or 3 inputs, got {len(inputs)}")
    query, value = inputs[0], inputs[1]
    return query, value, inputs[2] if len(inputs) == 3 else value


@register
class Attention(Layer):
    """Luong-style attention: softmax(score(query, key)) @ value."""

    named_sizes = True

    def __init__(self, use_scale=False, score_mode="dot", dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.use_scale = bool(known(use_scale, "use_scale"))
        self.score_mode = known(score_mode, "score_mode")
        if self.score_mode not in ("dot", "concat"):
            raise InvalidArgument(f"`score_mode` must be 'dot' or 'concat', got {self.score_mode!r}")

    def scores_add_query_and_key(self) -> bool:
        return self.score_mode == "concat"

    def check_shapes(self, query, value, key) -> None:
        # Keras's symbolic shape skips these; the first call fails in the matmuls. Where a size is an input's named
        # axis (None to Keras) nothing is checked; a number read from data makes the check a condition on it.
        def scores_message():
            return f"{self.type_name} cannot score query {format_shape(query)} against key {format_shape(key)}"

        def lengths_message():
            return (f"{self.type_name} needs key and value of the same length, got key {format_shape(key)} and "
                    f"value {format_shape(value)}")

        q, k = query[-1], key[-1]
        if not (dims.unknown(q) or dims.unknown(k)):
            relation = ("eq", q, k)
            if self.scores_add_query_and_key():  # added rather than multiplied: the feature axes broadcast
                relation = ("or", [relation, ("eq", q, 1), ("eq", k, 1)])
            if not dims.holds(relation, IncompatibleShapes.code, scores_message):
                raise IncompatibleShapes(scores_message())
        if len(key) >= 2 and len(value) >= 2 and not (dims.unknown(key[-2]) or dims.unknown(value[-2])) \
                and not dims.same(key[-2], value[-2], IncompatibleShapes.code, lengths_message):
            raise IncompatibleShapes(lengths_message())

    def build(self, inputs_shape, **kwargs):
        self.check_shapes(*query_value_key(inputs_shape, self))
        self.scale = self.add_weight("scale", ()) if self.use_scale else None
        self.concat_score_weight = self.add_weight("concat_score_weight", ()) if self.score_mode == "concat" else None

    def compute_output_shape(self, inputs_shape, return_attention_scores=False, **kwargs):
        query, value, key = query_value_key(inputs_shape, self)
        self.check_shapes(query, value, key)
        output = (*query[:-1], value[-1])
        if known(return_attention_scores, "return_attention_scores"):
            return [output, (*query[:-1], key[-2])]
        return output

    def count_macs(self, input_shapes, output_shapes):
        # A score per query-key pair over the features (a dot product, or the summed tanh terms of the
        # concat and additive modes), then the values weighted by the scores. Keys have the values' length.
        query, value = input_shapes[0], input_shapes[1]
        pairs = dims.mul(dims.product(query[:-1]), value[-2])
        return dims.mul(pairs, dims.add(query[-1], value[-1]))

    def scratch_size(self, input_shapes, output_shapes):
        # Scores, softmax and weights; an additive score first holds query + key for every pair.
        query, value = input_shapes[0], input_shapes[1]
        pairs = product(query[:-1]) * value[-2]
        summed = 2 * pairs * query[-1] if self.scores_add_query_and_key() else 0
        return 3 * pairs + summed + super().scratch_size(input_shapes, output_shapes)

    def scores(self, query, key):
        if self.score_mode == "dot":
            scores = np.matmul(query, np.swapaxes(key, -2, -1))
            return scores if self.scale is None else scores * self.scale.array
        summed = np.expand_dims(query, -2) + np.expand_dims(key, -3)
        if self.scale is not None:
            summed = self.scale.array * summed
        return self.concat_score_weight.array * np.sum(np.tanh(summed), axis=-1)

    def forward(self, inputs, mask=None, training=False, return_attention_scores=False, use_causal_mask=False, **kwargs):
        query, value, key = query_value_key(inputs, self)
        scores = self.scores(query, key)
        if use_causal_mask:
            scores = np.where(causal_mask(*scores.shape[-2:]), scores, scores - MASKED_SCORE)
        weights = softmax(scores, -1)
        output = np.matmul(weights, value).astype(np.float32)
        return [output, weights] if return_attention_scores else output


@register
class AdditiveAttention(Attention):
    """Bahdanau-style attention: the scores are sum(scale * tanh(query + key))."""

    def __init__(self, use_scale=True, dropout=0.0, **kwargs):
        super().__init__(use_scale=use_scale, dropout=dropout, **kwargs)

    def scores_add_query_and_key(self) -> bool:
        return True

    def build(self, inputs_shape, **kwargs):
        query, value, key = query_value_key(inputs_shape, self)
        self.check_shapes(query, value, key)
        if self.use_scale and dims.unknown(query[-1]):
            raise UnknownDimension(f"AdditiveAttention needs a known query feature axis to size `scale`, got {format_shape(query)}")
        self.scale = self.add_weight("scale", (query[-1],)) if self.use_scale else None

    def scores(self, query, key):
        summed = np.tanh(np.expand_dims(query, -2) + np.expand_dims(key, -3))
        return np.sum(summed if self.scale is None else self.scale.array * summed, axis=-1)
