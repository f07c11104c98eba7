"""Embedding: a trainable lookup table indexed by integer inputs."""

from archlint.errors import InvalidArgument, Unresolved
from archlint.layers.base import Layer, known, np, positive_int, register
from archlint.values import Unknown


def exact_positive_int(value, what: str) -> int:
    """Keras's Embedding takes only true ints for its sizes: 10.0 is rejected."""
    value = known(value, what)
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise InvalidArgument(f"`{what}` must be a positive integer, got {value!r}")
    return value


@register
class Embedding(Layer):
    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform", embeddings_regularizer=None,
                 embeddings_constraint=None, mask_zero=False, weights=None, lora_rank=None, lora_alpha=None,
                 quantization_config=None, input_length=None, **kwargs):
        # `input_length` is deprecated in Keras 3: accepted with a warning and otherwise ignored (a Keras 2 first
        # layer's input shape, which the evaluator reads as such with a warning).
        super().__init__(**kwargs)
        self.input_length = input_length
        if isinstance(input_dim, Unknown):  # a vocabulary read from data: the output shape does not need it
            self.input_dim = None
            self.unknown_params_reason = f"`input_dim` is not known statically ({input_dim.reason})"
        else:
            self.input_dim = exact_positive_int(input_dim, "input_dim")
        self.output_dim = exact_positive_int(output_dim, "output_dim")
        self.mask_zero = mask_zero
        lora_rank = known(lora_rank, "lora_rank")
        self.lora_rank = positive_int(lora_rank, "lora_rank") if lora_rank else None
        if self.lora_rank and embeddings_constraint is not None:
            raise InvalidArgument("LoRA is incompatible with `embeddings_constraint`")

    def build(self, input_shape=None, **kwargs):
        if self.input_dim is None:
            return  # no table to size: the parameters stay unknown (see unknown_params_reason)
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
        if self.input_dim is None:
            raise Unresolved(self.unknown_params_reason)
        table = self.embeddings.value
        if self.lora_rank:
            # Keras's build re-enables LoRA without the constructor's `lora_alpha`, so the
            # factors are always scaled by lora_rank / lora_rank = 1.
            table = table + np.matmul(self.lora_a.value, self.lora_b.value)
        # Keras casts non-integer indices to int32 before the lookup.
        return np.take(table, x.astype(np.int32), axis=0).astype(np.float32)
