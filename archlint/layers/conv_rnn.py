"""Convolutional LSTMs (ConvLSTM1D, 2D, 3D): an LSTM whose input and recurrent products are convolutions.

Keras keeps the weights on the layer's ConvLSTMCell; here the layer owns them, in the cell's order (kernel,
recurrent_kernel, bias). The input convolution takes the layer's strides, padding and dilation; the recurrent
one runs over the state with padding 'same' and stride 1. Masks are not modelled by the forward.
"""

from archlint import dims
from archlint.errors import UnknownDimension
from archlint.kernels import activations
from archlint.kernels.conv import channels_last, conv_forward, from_channels_last
from archlint.layers.base import activation_name, known, np, register, require_rank, size_arg
from archlint.layers.conv import WindowedConv
from archlint.layers.rnn import as_state_list


class BaseConvLSTM(WindowedConv):
    size_arguments = ("filters",)
    gates = 4  # input, forget, cell, output

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
                 dropout=0.0, recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, unroll=False, zero_output_for_mask=False, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.filters = size_arg(filters, "filters")
        self.read_window_args(kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias)
        self.forbid_strided_dilation()
        self.recurrent_activation = activation_name(recurrent_activation)
        self.return_sequences = bool(known(return_sequences, "return_sequences"))
        self.return_state = bool(known(return_state, "return_state"))
        self.go_backwards = bool(known(go_backwards, "go_backwards"))
        self.stateful = bool(known(stateful, "stateful"))

    def step_shape(self, sequences_shape):
        """One timestep's shape: the sequence without its time axis."""
        require_rank(sequences_shape, self.rank + 3, self)
        return (sequences_shape[0], *sequences_shape[2:])

    def build(self, sequences_shape, initial_state=None, **kwargs):
        step = self.step_shape(sequences_shape)
        if any(dims.unknown(n) for n in self.spatial(step)):
            raise UnknownDimension(f"{self.type_name} needs static spatial axes (Keras: ConvLSTM layers only support "
                                   f"static input shapes for the spatial dimension), got "
                                   f"{dims.format_shape(sequences_shape)}")
        channels = self.channels(step)
        if dims.unknown(channels):
            raise UnknownDimension(f"{self.type_name} needs a known channel axis, got "
                                   f"{dims.format_shape(sequences_shape)}")
        if self.stateful and sequences_shape[0] is None:
            raise UnknownDimension(f"a stateful {self.type_name} needs a static batch size, got "
                                   f"{dims.format_shape(sequences_shape)}")
        width = self.gates * self.filters
        self.kernel = self.add_weight("kernel", self.kernel_size + (channels, width))
        self.recurrent_kernel = self.add_weight("recurrent_kernel", self.kernel_size + (self.filters, width))
        self.bias = self.add_weight("bias", (width,)) if self.use_bias else None

    def state_shape(self, sequences_shape):
        """The state's (and one timestep's output's) shape: the input convolution's output."""
        return self.sliding_output_shape(self.step_shape(sequences_shape), self.filters)

    def compute_output_shape(self, sequences_shape, initial_state=None, **kwargs):
        state = self.state_shape(sequences_shape)
        output = (state[0], sequences_shape[1], *state[1:]) if self.return_sequences else state
        return [output, state, state] if self.return_state else output

    def count_macs(self, input_shapes, output_shapes):
        # Every timestep convolves its input and the previous state, each into `gates` blocks of filters.
        state = self.state_shape(input_shapes[0])
        window = dims.product(self.kernel_size)
        per_step = dims.mul(self.positions(state), window * (self.channels(self.step_shape(input_shapes[0]))
                                                              + self.filters) * self.gates * self.filters)
        return dims.mul(input_shapes[0][1], per_step)

    def forward(self, sequences, initial_state=None, mask=None, training=None, **kwargs):
        sequences = np.asarray(sequences, dtype=np.float32)
        ones = (1,) * self.rank
        states = as_state_list(initial_state)
        if states is None:
            state = self.state_shape(sequences.shape)
            if self.data_format == "channels_first":
                state = (state[0], *state[2:], state[1])
            h = c = np.zeros(state, np.float32)
        else:
            h, c = (channels_last(np.asarray(s, np.float32), self.data_format) for s in states)
        steps = range(sequences.shape[1])
        outputs = []
        for t in (reversed(steps) if self.go_backwards else steps):
            z = conv_forward(channels_last(sequences[:, t], self.data_format), self.kernel.array, self.strides,
                             self.dilation_rate, self.padding)
            if self.bias is not None:
                z = z + self.bias.array
            z = z + conv_forward(h, self.recurrent_kernel.array, ones, ones, "same")
            i, f, g, o = np.split(z, self.gates, axis=-1)
            c = self.recurrent_act(f) * c + self.recurrent_act(i) * activations.apply(self.activation, g)
            h = self.recurrent_act(o) * activations.apply(self.activation, c)
            outputs.append(from_channels_last(h, self.data_format))
        result = np.stack(outputs, axis=1) if self.return_sequences else outputs[-1]
        if self.return_state:
            return [result, from_channels_last(h, self.data_format), from_channels_last(c, self.data_format)]
        return result

    def recurrent_act(self, x):
        return activations.apply(self.recurrent_activation, x)


@register
class ConvLSTM1D(BaseConvLSTM):
    rank = 1


@register
class ConvLSTM2D(BaseConvLSTM):
    rank = 2


@register
class ConvLSTM3D(BaseConvLSTM):
    rank = 3
