import numpy as np
import pytest

from archlint.errors import IncompatibleShapes, InvalidArgument, UnknownDimension, Unresolved, WrongRank
from archlint.layers.attention import MultiHeadAttention
from archlint.layers.base import Layer
from archlint.layers.rnn import LSTM, Bidirectional
from archlint.values import Unknown
from tests.keras_oracle import archlint_layer, compare_with_keras, keras_or_skip

RNG = np.random.default_rng(1)
BATCH = 2


def states(*widths):
    return [RNG.standard_normal((BATCH, w)).astype(np.float32) for w in widths]


@pytest.mark.parametrize("expr, shape", [
    ("SimpleRNN(4)", (5, 3)),
    ("SimpleRNN(4, activation='relu', return_sequences=True)", (5, 3)),
    ("SimpleRNN(3, use_bias=False, go_backwards=True, return_sequences=True)", (4, 2)),
    ("SimpleRNN(3, return_state=True, return_sequences=True)", (4, 2)),
    ("LSTM(4)", (5, 3)),
    ("LSTM(4, return_sequences=True, return_state=True)", (5, 3)),
    ("LSTM(3, go_backwards=True, return_sequences=True)", (4, 2)),
    ("LSTM(3, go_backwards=True, return_state=True)", (4, 2)),
    ("LSTM(3, activation='relu', recurrent_activation='hard_sigmoid', use_bias=False, return_sequences=True)", (4, 2)),
    ("LSTM(3, unit_forget_bias=False, implementation=1)", (4, 2)),
    ("GRU(4)", (5, 3)),
    ("GRU(4, reset_after=False, return_sequences=True)", (5, 3)),
    ("GRU(3, reset_after=False, use_bias=False)", (4, 2)),
    ("GRU(3, use_bias=False, return_sequences=True)", (4, 2)),
    ("GRU(3, return_state=True, go_backwards=True, return_sequences=True)", (4, 2)),
    ("GRU(3, activation='softsign', recurrent_activation='tanh', return_state=True)", (4, 2)),
    ("SimpleRNN(3, stateful=True, unroll=True, dropout=0.5)", (4, 2)),
    ("ConvLSTM1D(4, 3)", (5, 10, 2)),
    ("ConvLSTM1D(3, 3, padding='same', return_sequences=True, go_backwards=True)", (4, 8, 2)),
    ("ConvLSTM1D(2, 3, dilation_rate=2, activation='relu', unit_forget_bias=False)", (3, 12, 2)),
    ("ConvLSTM2D(3, (3, 3), strides=2, return_state=True)", (3, 9, 9, 2)),
    ("ConvLSTM2D(2, 3, data_format='channels_first', return_sequences=True, use_bias=False, "
     "recurrent_activation='hard_sigmoid')", (3, 2, 7, 7)),
    ("ConvLSTM3D(2, 2)", (2, 4, 4, 4, 1)),
])
def test_recurrent_layers_match_keras(expr, shape):
    compare_with_keras(expr, shape)


@pytest.mark.parametrize("expr, call_kwargs", [
    ("LSTM(3, return_state=True)", {"initial_state": states(3, 3)}),
    ("GRU(3, return_sequences=True)", {"initial_state": states(3)}),
    ("SimpleRNN(3, go_backwards=True)", {"initial_state": states(3)[0]}),
    ("Bidirectional(LSTM(3, return_sequences=True))", {"initial_state": states(3, 3, 3, 3)}),
])
def test_initial_state_matches_keras(expr, call_kwargs):
    compare_with_keras(expr, (4, 2), batch=BATCH, call_kwargs=call_kwargs)


@pytest.mark.parametrize("expr, shape", [
    ("Bidirectional(LSTM(4))", (5, 3)),
    ("Bidirectional(GRU(3, return_sequences=True), merge_mode='sum')", (4, 2)),
    ("Bidirectional(SimpleRNN(3, return_sequences=True), merge_mode='mul')", (4, 2)),
    ("Bidirectional(GRU(3, reset_after=False), merge_mode='ave')", (4, 2)),
    ("Bidirectional(LSTM(3, return_sequences=True), merge_mode=None)", (4, 2)),
    ("Bidirectional(LSTM(3, return_state=True))", (4, 2)),
    ("Bidirectional(SimpleRNN(3, return_state=True, return_sequences=True), merge_mode=None)", (4, 2)),
    ("Bidirectional(GRU(2, return_state=True), merge_mode='sum')", (4, 2)),
    # A different backward layer: Keras's symbolic shape would say 8 wide; the real output is 4 + 3.
    ("Bidirectional(LSTM(4, return_sequences=True), backward_layer=GRU(3, go_backwards=True, return_sequences=True))", (5, 3)),
    ("Bidirectional(LSTM(4, go_backwards=True), backward_layer=SimpleRNN(4))", (5, 3)),
    ("Bidirectional(LSTM(3), trainable=False)", (4, 2)),
])
def test_bidirectional_matches_keras(expr, shape):
    compare_with_keras(expr, shape)


@pytest.mark.parametrize("expr, shape", [
    ("TimeDistributed(Dense(4))", (5, 3)),
    ("TimeDistributed(Dense(2, activation='relu'))", (4, 3, 5)),
    ("TimeDistributed(Conv2D(4, 3, padding='same'))", (3, 6, 6, 2)),
    ("TimeDistributed(Flatten())", (3, 2, 4)),
])
def test_time_distributed_matches_keras(expr, shape):
    compare_with_keras(expr, shape)


@pytest.mark.parametrize("expr, shapes, call_kwargs", [
    ("Attention()", [(4, 3), (5, 3)], {}),
    ("Attention(use_scale=True)", [(4, 3), (5, 2), (5, 3)], {}),
    ("Attention(score_mode='concat')", [(4, 3), (5, 3)], {}),
    ("Attention(use_scale=True, score_mode='concat')", [(4, 3), (5, 2), (5, 3)], {}),
    ("Attention(score_mode='concat')", [(4, 3), (5, 1)], {}),
    ("Attention()", [(4, 3), (5, 2), (5, 3)], {"return_attention_scores": True}),
    ("Attention(use_scale=True)", [(5, 3), (5, 3)], {"use_causal_mask": True, "return_attention_scores": True}),
    ("Attention()", [(2, 4, 3), (2, 5, 3)], {"return_attention_scores": True}),
    ("AdditiveAttention()", [(4, 3), (5, 3)], {}),
    ("AdditiveAttention(use_scale=False)", [(4, 3), (5, 2), (5, 3)], {}),
    ("AdditiveAttention()", [(4, 3), (4, 3)], {"use_causal_mask": True, "return_attention_scores": True}),
])
def test_attention_matches_keras(expr, shapes, call_kwargs):
    compare_with_keras(expr, shapes, call_kwargs=call_kwargs)


@pytest.mark.parametrize("expr, shapes, call_kwargs", [
    ("MultiHeadAttention(2, 4)", [(5, 3), (6, 4)], {}),
    ("MultiHeadAttention(2, 4)", [(5, 3), (6, 4), (6, 2)], {}),
    # JAX's fused attention cannot take value_dim != key_dim; returning the scores avoids that path.
    ("MultiHeadAttention(num_heads=3, key_dim=2, value_dim=3, output_shape=7)", [(5, 3), (6, 4)],
     {"return_attention_scores": True}),
    ("MultiHeadAttention(2, 2, output_shape=(2, 3), use_bias=False)", [(5, 3), (6, 4)], {}),
    ("MultiHeadAttention(2, 4)", [(5, 3), (7, 3)], {"return_attention_scores": True}),
    ("MultiHeadAttention(2, 4, attention_axes=1)", [(5, 3), (6, 3)], {"return_attention_scores": True}),
    # A negative axis counts from the heads axis of the projected tensors: -1 attends over heads.
    ("MultiHeadAttention(2, 4, attention_axes=-1)", [(5, 3), (5, 3)], {"return_attention_scores": True}),
    ("MultiHeadAttention(2, 2)", [(3, 4, 3), (5, 2, 3)], {"return_attention_scores": True}),
    ("MultiHeadAttention(2, 2, attention_axes=(2,))", [(3, 4, 3), (3, 5, 3)], {"return_attention_scores": True}),
    ("MultiHeadAttention(2, 2, attention_axes=[-2])", [(3, 4, 3), (3, 5, 3)], {}),
    ("MultiHeadAttention(2, 4)", [(5, 3), (5, 3)], {"use_causal_mask": True}),
    ("MultiHeadAttention(2, 4)", [(5, 3), (6, 3)], {"use_causal_mask": True, "return_attention_scores": True}),
    ("MultiHeadAttention(2, 4)", [(4, 3), (5, 3)],
     {"attention_mask": RNG.random((BATCH, 4, 5)) > 0.3, "return_attention_scores": True}),
    ("MultiHeadAttention(2, 4, sliding_window=2)", [(5, 3), (5, 3)], {"use_causal_mask": True}),
    ("MultiHeadAttention(2, 4, use_gate=True, dropout=0.1)", [(5, 3), (6, 4)], {}),
])
def test_multi_head_attention_matches_keras(expr, shapes, call_kwargs):
    compare_with_keras(expr, shapes, positional=True, call_kwargs=call_kwargs)


def _keras_call(keras, expr, shapes, positional, call_kwargs):
    """Build and call the Keras layer: symbolically if a shape has None, else on zeros."""
    layer = eval(expr, {"__builtins__": {}}, {**vars(keras.layers), "keras": keras})
    symbolic = any(None in s for s in (shapes if isinstance(shapes, list) else [shapes]))

    def tensor(shape):
        return keras.Input(batch_shape=shape) if symbolic else np.zeros(shape, np.float32)

    inputs = [tensor(s) for s in shapes] if isinstance(shapes, list) else tensor(shapes)
    layer(*(inputs if positional else [inputs]), **call_kwargs)


def _archlint_call(expr, shapes, positional, call_kwargs):
    layer = archlint_layer(expr)
    args = shapes if positional else [shapes]
    layer.build(*args, **call_kwargs)
    layer.compute_output_shape(*args, **call_kwargs)


# Full shapes, batch included; each case is refused by Keras too, at construction, build or first call.
@pytest.mark.parametrize("expr, shapes, positional, error", [
    ("LSTM(4)", (2, 3), False, WrongRank),
    ("SimpleRNN(4)", (2, 3, 2, 2), False, WrongRank),
    ("SimpleRNN(0)", (2, 5, 3), False, InvalidArgument),
    ("GRU(3, use_cudnn='yes')", (2, 5, 3), False, InvalidArgument),
    ("GRU(3)", (None, 4, None), False, UnknownDimension),
    ("LSTM(4, stateful=True)", (None, 5, 3), False, UnknownDimension),
    ("Bidirectional(LSTM(4, go_backwards=True))", (2, 5, 3), False, InvalidArgument),
    ("Bidirectional(LSTM(4), merge_mode='max')", (2, 5, 3), False, InvalidArgument),
    ("Bidirectional(Dense(4))", (2, 5, 3), False, InvalidArgument),
    ("Bidirectional(LSTM(4), backward_layer=LSTM(4, go_backwards=True, return_sequences=True))", (2, 5, 3), False, InvalidArgument),
    ("Bidirectional(LSTM(4), merge_mode='sum', backward_layer=GRU(3, go_backwards=True))", (2, 5, 3), False, IncompatibleShapes),
    ("Bidirectional(LSTM(4))", (2, 3), False, WrongRank),
    ("TimeDistributed(Dense(3))", (2, 4), False, WrongRank),
    ("Attention()", (2, 5, 3), False, InvalidArgument),
    ("Attention()", [(2, 5, 3)], False, InvalidArgument),
    ("Attention(score_mode='additive')", [(2, 5, 3), (2, 6, 3)], False, InvalidArgument),
    ("Attention()", [(2, 5, 3), (2, 6, 4)], False, IncompatibleShapes),
    ("Attention()", [(2, 5, 3), (2, 6, 4), (2, 7, 3)], False, IncompatibleShapes),
    ("AdditiveAttention()", [(2, 5, 3), (2, 6, 2)], False, IncompatibleShapes),
    ("AdditiveAttention()", [(None, 5, None), (None, 6, 3)], False, UnknownDimension),
    ("MultiHeadAttention(2.0, 4)", [(2, 5, 3), (2, 6, 3)], True, InvalidArgument),
    ("MultiHeadAttention(2, 0)", [(2, 5, 3), (2, 6, 3)], True, InvalidArgument),
    ("MultiHeadAttention(2, 4, attention_axes='time')", [(2, 5, 3), (2, 6, 3)], True, InvalidArgument),
    ("MultiHeadAttention(2, 4)", [(2, 5, 3), (2, 5, 3), (2, 6, 3)], True, IncompatibleShapes),
    ("MultiHeadAttention(2, 4)", [(None, 5, 3), (None, None, 3), (None, 5, 3)], True, IncompatibleShapes),
    ("MultiHeadAttention(2, 4)", [(2, 3), (2, 3)], True, WrongRank),
    ("MultiHeadAttention(2, 4)", [(2, 5, 3), (2, 5, 4, 3)], True, WrongRank),
    ("MultiHeadAttention(2, 4)", [(None, 5, None), (None, 6, 3)], True, UnknownDimension),
])
def test_rejected_like_keras(expr, shapes, positional, error):
    keras = keras_or_skip()
    with pytest.raises((ValueError, TypeError, IndexError)):
        _keras_call(keras, expr, shapes, positional, {})
    with pytest.raises(error):
        _archlint_call(expr, shapes, positional, {})


def test_unknown_arguments_are_unresolved():
    unknown = Unknown("a function parameter")
    with pytest.raises(Unresolved):
        LSTM(4, return_sequences=unknown)
    with pytest.raises(Unresolved):
        MultiHeadAttention(unknown, 4)
    with pytest.raises(Unresolved):
        Bidirectional(unknown)


def test_bidirectional_over_an_unmodelled_layer_is_unresolved():
    class CustomRecurrentLayer(Layer):
        pass

    with pytest.raises(Unresolved):
        Bidirectional(CustomRecurrentLayer())
