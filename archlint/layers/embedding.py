"""Embedding: a trainable lookup table indexed by integer inputs."""

from archlint.errors import InvalidArgument
from archlint.layers.base import Layer, known, np, positive_int, register, size_arg


@register
class Embedding(Layer):
    named_sizes = True
    size_arguments = ("input_dim", "output_dim")

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform", embeddings_regularizer=None,
                 embeddings_constraint=None, mask_zero=False, weights=None, lora_rank=None, lora_alpha=None,
                 quantization_config=None, input_length=None, **kwargs):
        # `input_length` is deprecated in Keras 3: accepted with a warning and otherwise ignored (a Keras 2 first
        # layer's input shape, which the evaluator reads as such with a warning).
        super().__init__(**kwargs)
        self.input_length = input_length
        # Keras takes only true ints for its sizes (10.0 is rejected); a vocabulary read from data is a named size.
        self.input_dim = size_arg(input_dim, "input_dim", numpy_ints=False)
        self.output_dim = size_arg(output_dim, "output_dim", numpy_ints=False)
        self.mask_zero = mask_zero
        lora_rank = known(lora_rank, "lora_rank")
        self.lora_rank = positive_int(lora_rank, "lora_rank") if lora_rank else None
        if self.lora_rank and embeddings_constraint is not None:
            raise InvalidArgument("LoRA is incompatible with `embeddings_constraint`")

    def build(self, input_shape=None, **kwargs):
        # With LoRA the full table is frozen and only the low-rank factors train.
        self.embeddings = self.add_weight("embeddings", (self.input_dim, self.output_dim),
                                          trainable=self.lora_rank is None)
        if self.lora_rank:
            self.lora_a = self.add_weight("lora_embeddings_a", (self.input_dim, self.lora_rank))
            self.lora_b = self.add_weight("lora_embeddings_b", (self.lora_rank, self.output_dim))

    def compute_output_shape(self, input_shape, **kwargs):
        return (*input_shape, self.output_dim)

    def count_macs(self, input_shapes, output_shapes):
        return 0  # a lookup copies rows of the table: nothing is multiplied

    def forward(self, x, **kwargs):
        table = self.embeddings.array
        if self.lora_rank:
            # Keras's build re-enables LoRA without the constructor's `lora_alpha`, so the
            # factors are always scaled by lora_rank / lora_rank = 1.
            table = table + np.matmul(self.lora_a.array, self.lora_b.array)
        # Keras casts non-integer indices to int32 before the lookup.
        return np.take(table, x.astype(np.int32), axis=0).astype(np.float32)


@register
class ReversibleEmbedding(Embedding):
    """An Embedding that also maps back to the vocabulary (`layer(x, reverse=True)`), with its own reverse table
    unless `tie_weights` (language model heads in keras_hub)."""

    def __init__(self, input_dim, output_dim, tie_weights=True, embeddings_initializer="uniform",
                 embeddings_regularizer=None, embeddings_constraint=None, mask_zero=False, reverse_dtype=None,
                 logit_soft_cap=None, **kwargs):
        super().__init__(input_dim, output_dim, embeddings_initializer=embeddings_initializer,
                         embeddings_regularizer=embeddings_regularizer, embeddings_constraint=embeddings_constraint,
                         mask_zero=mask_zero, **kwargs)
        self.tie_weights = known(tie_weights, "tie_weights")
        self.logit_soft_cap = known(logit_soft_cap, "logit_soft_cap")

    def build(self, input_shape=None, **kwargs):
        super().build(input_shape)
        if not self.tie_weights:
            self.reverse_embeddings = self.add_weight("reverse_embeddings", (self.output_dim, self.input_dim))

    def compute_output_shape(self, input_shape, reverse=False, **kwargs):
        if known(reverse, "reverse"):
            return (*input_shape[:-1], self.input_dim)
        return (*input_shape, self.output_dim)

    def count_macs(self, input_shapes, output_shapes):
        shape = output_shapes[0] if isinstance(output_shapes, list) else output_shapes
        if len(shape) == 0 or shape[-1] != self.input_dim:
            return 0
        rows = 1
        for size in shape[:-1]:
            if size is None:
                return None
            rows *= size
        return rows * self.output_dim * self.input_dim if input_shapes and len(input_shapes[0]) == len(shape) else 0

    def forward(self, x, reverse=False, **kwargs):
        if not reverse:
            return super().forward(x)
        kernel = self.embeddings.array.T if self.tie_weights else self.reverse_embeddings.array
        logits = np.matmul(x.astype(np.float32), kernel)
        if self.logit_soft_cap is not None:
            logits = np.tanh(logits / self.logit_soft_cap) * self.logit_soft_cap
        return logits.astype(np.float32)
