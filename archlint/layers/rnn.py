"""Recurrent layers (SimpleRNN, LSTM, GRU) and the wrappers Bidirectional and TimeDistributed.

Keras keeps a recurrent layer's weights on its cell; here the layer owns them directly, in
the cell's order (kernel, recurrent_kernel, bias). Masks are not modelled by the forward.
"""

import copy

from archlint import dims
from archlint.dims import format_shape, product
from archlint.errors import IncompatibleShapes, InvalidArgument, UnknownDimension, Unresolved
from archlint.kernels import activations
from archlint.layers.base import (
    REGISTRY, Layer, activation_name, known, np, register, require_rank, size_arg,
)


def layer_arg(value, what: str) -> Layer:
    layer = known(value, what)
    if not isinstance(layer, Layer):
        raise InvalidArgument(f"`{what}` must be a Keras layer instance, got {layer!r}")
    return layer


def as_state_list(initial_state) -> list | None:
    """Keras accepts one state tensor or a list of them."""
    if initial_state is None or isinstance(initial_state, list):
        return initial_state
    if isinstance(initial_state, tuple):
        return list(initial_state)
    return [initial_state]


class BaseRNN(Layer):
    """What SimpleRNN, LSTM and GRU share: Keras's RNN layer around one cell."""

    gates = 1  # how many units-wide blocks the kernels hold
    state_count = 1
    named_sizes = True
    size_arguments = ("units",)

    def __init__(self, units, *, activation, use_bias, return_sequences, return_state, go_backwards,
                 stateful, **kwargs):
        super().__init__(**kwargs)
        self.units = size_arg(units, "units", numpy_ints=False)
        self.activation = activation_name(activation)
        self.use_bias = bool(known(use_bias, "use_bias"))
        self.return_sequences = bool(known(return_sequences, "return_sequences"))
        self.return_state = bool(known(return_state, "return_state"))
        self.go_backwards = bool(known(go_backwards, "go_backwards"))
        self.stateful = bool(known(stateful, "stateful"))

    def unbuilt_copy(self, **changes) -> "BaseRNN":
        """A new layer with the same configuration, as Keras's Bidirectional makes from a config."""
        clone = copy.copy(self)
        clone.weights, clone.sublayers, clone.built = [], [], False
        clone.__dict__.update(changes)
        return clone

    def bias_shape(self) -> tuple[int, ...]:
        return (self.gates * self.units,)

    def build(self, sequences_shape, initial_state=None, **kwargs):
        require_rank(sequences_shape, 3, self)
        features = sequences_shape[-1]
        if dims.unknown(features):
            raise UnknownDimension(f"{self.type_name} needs a known feature axis to size its kernel, got {format_shape(sequences_shape)}")
        if self.stateful and sequences_shape[0] is None:
            raise UnknownDimension(f"a stateful {self.type_name} needs a static batch size, got {format_shape(sequences_shape)}")
        width = self.gates * self.units
        self.kernel = self.add_weight("kernel", (features, width))
        self.recurrent_kernel = self.add_weight("recurrent_kernel", (self.units, width))
        self.bias = self.add_weight("bias", self.bias_shape()) if self.use_bias else None

    def compute_output_shape(self, sequences_shape, initial_state=None, **kwargs):
        require_rank(sequences_shape, 3, self)
        batch, steps = sequences_shape[0], sequences_shape[1]
        output = (batch, steps, self.units) if self.return_sequences else (batch, self.units)
        if self.return_state:
            return [output] + [(batch, self.units)] * self.state_count
        return output

    def count_macs(self, input_shapes, output_shapes):
        # Every time step multiplies its input by the kernel and the previous state by the recurrent
        # kernel, each `gates` blocks of units wide; the gates' element-wise products are not MACs.
        batch, steps, features = input_shapes[0]
        return dims.mul(dims.product((batch, steps)), (features + self.units) * self.gates * self.units)

    # -- forward ----------------------------------------------------------------------------

    def input_projection(self, sequences):
        """x @ kernel (+ the input bias) for every timestep at once: (batch, time, gates*units)."""
        projected = np.matmul(sequences, self.kernel.array)
        if self.bias is not None:
            projected = projected + self.bias.array
        return projected

    def scratch_size(self, input_shapes, output_shapes):
        # The input projected for every timestep at once, and the per-step outputs before they are stacked.
        batch, steps = input_shapes[0][:2]
        return batch * steps * (self.gates + 2) * self.units + super().scratch_size(input_shapes, output_shapes)

    def step(self, projected_input, states):
        """One timestep from the projected input; returns (output, new states)."""
        raise NotImplementedError

    def forward(self, sequences, initial_state=None, mask=None, training=None, **kwargs):
        sequences = np.asarray(sequences, dtype=np.float32)
        states = as_state_list(initial_state)
        if states is None:
            states = [np.zeros((sequences.shape[0], self.units), np.float32)] * self.state_count
        projected = self.input_projection(sequences)
        steps = range(sequences.shape[1])
        # go_backwards reads the sequence in reverse and also returns the outputs in that order.
        outputs = []
        for t in (reversed(steps) if self.go_backwards else steps):
            output, states = self.step(projected[:, t], [np.asarray(s, np.float32) for s in states])
            outputs.append(output)
        result = np.stack(outputs, axis=1) if self.return_sequences else outputs[-1]
        return [result, *states] if self.return_state else result

    def act(self, x):
        return activations.apply(self.activation, x)


@register
class SimpleRNN(BaseRNN):
    def __init__(self, units, activation="tanh", use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros", kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, unroll=False, seed=None, **kwargs):
        super().__init__(units, activation=activation, use_bias=use_bias, return_sequences=return_sequences,
                         return_state=return_state, go_backwards=go_backwards, stateful=stateful,
                         activity_regularizer=activity_regularizer, **kwargs)

    def step(self, projected_input, states):
        h = self.act(projected_input + np.matmul(states[0], self.recurrent_kernel.array))
        return h, [h]


class GatedRNN(BaseRNN):
    """LSTM and GRU: a recurrent activation for the gates, and Keras's cuDNN switch."""

    def __init__(self, units, *, recurrent_activation, use_cudnn, **kwargs):
        kwargs.pop("implementation", None)  # Keras accepts it; it changes nothing at inference
        super().__init__(units, **kwargs)
        self.recurrent_activation = activation_name(recurrent_activation)
        if known(use_cudnn, "use_cudnn") not in ("auto", True, False):
            raise InvalidArgument(f"`use_cudnn` must be one of 'auto', True, False, got {use_cudnn!r}")

    def recurrent_act(self, x):
        return activations.apply(self.recurrent_activation, x)


@register
class LSTM(GatedRNN):
    gates = 4  # input, forget, cell, output
    state_count = 2  # h, c

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", unit_forget_bias=True, kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, unroll=False, use_cudnn="auto", **kwargs):
        super().__init__(units, activation=activation, recurrent_activation=recurrent_activation,
                         use_bias=use_bias, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, use_cudnn=use_cudnn,
                         activity_regularizer=activity_regularizer, **kwargs)

    def step(self, projected_input, states):
        h, c = states
        z = projected_input + np.matmul(h, self.recurrent_kernel.array)
        i, f, g, o = np.split(z, 4, axis=-1)
        c = self.recurrent_act(f) * c + self.recurrent_act(i) * self.act(g)
        h = self.recurrent_act(o) * self.act(c)
        return h, [h, c]


@register
class GRU(GatedRNN):
    gates = 3  # update, reset, candidate

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0, recurrent_dropout=0.0,
                 seed=None, return_sequences=False, return_state=False, go_backwards=False, stateful=False,
                 unroll=False, reset_after=True, use_cudnn="auto", **kwargs):
        super().__init__(units, activation=activation, recurrent_activation=recurrent_activation,
                         use_bias=use_bias, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, use_cudnn=use_cudnn,
                         activity_regularizer=activity_regularizer, **kwargs)
        self.reset_after = bool(known(reset_after, "reset_after"))

    def bias_shape(self):
        # reset_after keeps separate input and recurrent biases, stacked on a leading axis.
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def input_projection(self, sequences):
        projected = np.matmul(sequences, self.kernel.array)
        if self.bias is not None:
            projected = projected + (self.bias.array[0] if self.reset_after else self.bias.array)
        return projected

    def step(self, projected_input, states):
        (h,) = states
        u = self.units
        recurrent = self.recurrent_kernel.array
        x_z, x_r, x_h = np.split(projected_input, 3, axis=-1)
        if self.reset_after:
            inner = np.matmul(h, recurrent)
            if self.bias is not None:
                inner = inner + self.bias.array[1]
            r_z, r_r, r_h = np.split(inner, 3, axis=-1)
            z, r = self.recurrent_act(x_z + r_z), self.recurrent_act(x_r + r_r)
            candidate = self.act(x_h + r * r_h)
        else:
            # The reset gate applies to the state before the recurrent kernel.
            inner = np.matmul(h, recurrent[:, :2 * u])
            z, r = self.recurrent_act(x_z + inner[:, :u]), self.recurrent_act(x_r + inner[:, u:])
            candidate = self.act(x_h + np.matmul(r * h, recurrent[:, 2 * u:]))
        h = z * h + (1 - z) * candidate
        return h, [h]


MERGE_MODES = ("concat", "sum", "mul", "ave", None)


@register
class Bidirectional(Layer):
    named_sizes = True

    def __init__(self, layer, merge_mode="concat", weights=None, backward_layer=None, **kwargs):
        layer = layer_arg(layer, "layer")
        if backward_layer is not None:
            backward_layer = layer_arg(backward_layer, "backward_layer")
        merge_mode = known(merge_mode, "merge_mode")
        if merge_mode not in MERGE_MODES:
            raise InvalidArgument(f"`merge_mode` must be one of 'sum', 'mul', 'ave', 'concat', None, got {merge_mode!r}")
        super().__init__(**kwargs)
        for wrapped in (layer, backward_layer):
            if wrapped is None or isinstance(wrapped, BaseRNN):
                continue
            if type(wrapped) in REGISTRY.values():
                raise InvalidArgument(f"Bidirectional needs a recurrent layer, got {wrapped.type_name}")
            # A layer archlint does not model (a custom cell, ConvLSTM2D...) may well be recurrent.
            raise Unresolved(f"Bidirectional wraps {wrapped.type_name}, which archlint does not model")
        # Keras rebuilds both directions from the layer's config: the wrapped instance itself stays unused.
        self.forward_layer = layer.unbuilt_copy()
        self.backward_layer = backward_layer or layer.unbuilt_copy(go_backwards=True)
        if self.forward_layer.go_backwards == self.backward_layer.go_backwards:
            raise InvalidArgument("Bidirectional's forward and backward layers must have different `go_backwards` values")
        for attribute in ("stateful", "return_sequences", "return_state"):
            if getattr(self.forward_layer, attribute) != getattr(self.backward_layer, attribute):
                raise InvalidArgument(f"Bidirectional's forward and backward layers must have the same `{attribute}`")
        self.merge_mode = merge_mode
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        self.sublayers = [self.forward_layer, self.backward_layer]

    def build(self, sequences_shape, initial_state=None, **kwargs):
        for direction in self.sublayers:
            if not direction.built:
                direction.build(sequences_shape)
                direction.built = True

    def count_macs(self, input_shapes, output_shapes):
        # Both directions read the whole sequence; merging them is element-wise.
        total = 0
        for direction in self.sublayers:
            produced = direction.compute_output_shape(input_shapes[0])
            macs = direction.count_macs(input_shapes[:1], produced if isinstance(produced, list) else [produced])
            if macs is None:
                return None
            total += macs
        return total

    def compute_output_shape(self, sequences_shape, initial_state=None, **kwargs):
        forward = self.forward_layer.compute_output_shape(sequences_shape)
        backward = self.backward_layer.compute_output_shape(sequences_shape)
        states = []
        if self.return_state:
            (forward, *forward_states), (backward, *backward_states) = forward, backward
            states = forward_states + backward_states
        if self.merge_mode is None:
            return [forward, backward] + states
        if self.merge_mode == "concat":
            # The true width; Keras's symbolic shape doubles the forward width even when they differ.
            merged = forward[:-1] + (forward[-1] + backward[-1],)
        else:
            try:
                merged = dims.broadcast(forward, backward)
            except IncompatibleShapes as error:
                raise IncompatibleShapes(f"Bidirectional merge_mode={self.merge_mode!r} cannot combine the "
                                         f"two directions: {error.message}") from None
        return [merged] + states if self.return_state else merged

    def scratch_size(self, input_shapes, output_shapes):
        # Each direction's forward, whose results are all held until they are merged.
        total = super().scratch_size(input_shapes, output_shapes)
        for direction in self.sublayers:
            produced = direction.compute_output_shape(input_shapes[0])
            produced = produced if isinstance(produced, list) else [produced]
            total += direction.scratch_size(input_shapes[:1], produced) + sum(map(product, produced))
        return total

    def forward(self, sequences, initial_state=None, mask=None, training=None, **kwargs):
        forward_state = backward_state = None
        if initial_state is not None:
            states = as_state_list(initial_state)
            half = len(states) // 2
            forward_state, backward_state = states[:half], states[half:]
        y = self.forward_layer.forward(sequences, initial_state=forward_state)
        y_rev = self.backward_layer.forward(sequences, initial_state=backward_state)
        states = []
        if self.return_state:
            (y, *forward_states), (y_rev, *backward_states) = y, y_rev
            states = forward_states + backward_states
        if self.return_sequences:
            y_rev = np.flip(y_rev, axis=1)
        if self.merge_mode is None:
            return [y, y_rev] + states
        merged = {
            "concat": lambda: np.concatenate([y, y_rev], axis=-1),
            "sum": lambda: y + y_rev,
            "mul": lambda: y * y_rev,
            "ave": lambda: (y + y_rev) / 2,
        }[self.merge_mode]()
        return [merged] + states if self.return_state else merged


@register
class TimeDistributed(Layer):
    """Applies the wrapped layer to every timestep: axis 1 folds into the batch."""

    def __init__(self, layer, **kwargs):
        layer = layer_arg(layer, "layer")
        super().__init__(**kwargs)
        self.layer = layer
        self.sublayers = [layer]

    @property
    def named_sizes(self) -> bool:
        """It computes with named sizes where the layer it wraps does."""
        return getattr(self.layer, "named_sizes", False)

    def child_shape(self, input_shape):
        require_rank(input_shape, 3, self, at_least=True)
        return (input_shape[0], *input_shape[2:])

    def build(self, input_shape, **kwargs):
        child_shape = self.child_shape(input_shape)
        if not self.layer.built:
            self.layer.build(child_shape)
            self.layer.built = True

    def count_macs(self, input_shapes, output_shapes):
        # The wrapped layer once on every time step, the steps folded into the batch as the forward does.
        (batch, steps, *item_in), (_, _, *item_out) = input_shapes[0], output_shapes[0]
        folded = dims.mul(batch, steps)
        return self.layer.count_macs([(folded, *item_in)], [(folded, *item_out)])

    def compute_output_shape(self, input_shape, **kwargs):
        child_output = self.layer.compute_output_shape(self.child_shape(input_shape))
        return (child_output[0], input_shape[1], *child_output[1:])

    def scratch_size(self, input_shapes, output_shapes):
        # The wrapped layer runs once on every timestep folded into the batch.
        (batch, steps, *item_in), (_, _, *item_out) = input_shapes[0], output_shapes[0]
        return self.layer.scratch_size([(batch * steps, *item_in)], [(batch * steps, *item_out)]) + \
            super().scratch_size(input_shapes, output_shapes)

    def forward(self, x, mask=None, training=None, **kwargs):
        batch, steps = x.shape[:2]
        y = self.layer.forward(x.reshape((batch * steps, *x.shape[2:])))
        return y.reshape((batch, steps, *y.shape[1:]))
