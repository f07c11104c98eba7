"""--verify leaves the analysis as it found it: the arrays of a run are the execution's own.

A cache keeps analyses and a pool of workers runs them; neither may see one run's weights on
the layers after it, nor two runs of one analysis see each other's.
"""

import pathlib
import threading
from collections import deque

import numpy as np
import pytest

from archlint.analysis import analyze_file, analyze_source
from archlint.runtime import Execution, verify_file

FIXTURES = pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "models"
# Weights of every kind: convolutions (im2col and Winograd), recurrent and bidirectional layers,
# attention, embeddings, normalization statistics, nested models.
FILES = ["vgg_small.py", "resnet_residual_blocks.py", "depthwise_separable.py", "conv_transpose_output_padding.py",
         "bidirectional_rnn.py", "attention_layers.py", "embedding_options.py", "batchnorm_variants.py",
         "normalization_layer.py", "nested_sequential_in_functional.py", "time_distributed_video.py"]

# Winograd's path needs 3x3 kernels on at least 16 channels over at least 128 output tiles.
CNN = """\
import keras
from keras import layers

inputs = keras.Input(shape=(32, 32, 3))
x = layers.Conv2D(16, 3, padding="same", activation="relu")(inputs)
x = layers.Conv2D(16, 3, padding="same")(x)
x = layers.BatchNormalization()(x)
x = layers.GlobalAveragePooling2D()(x)
outputs = layers.Dense(4)(x)
model = keras.Model(inputs, outputs)
"""


def state(roots) -> list:
    """Everything reachable from `roots` through archlint's own objects and containers, attribute by
    attribute, in the order first met: plain values and arrays by content, other objects (syntax
    trees, functions, classes) by identity."""
    index: dict[int, int] = {}
    records = []
    queue = deque()

    def ref(value):
        if value is None or isinstance(value, (str, int, float, bool)):
            return repr(value)
        if isinstance(value, np.ndarray):
            return ("array", value.shape, value.dtype.str, value.tobytes())
        if not isinstance(value, (list, tuple, dict, set, frozenset)) and \
                not type(value).__module__.startswith("archlint"):
            return ("object", type(value).__qualname__, id(value))
        if id(value) not in index:
            index[id(value)] = len(index)
            queue.append(value)
        return ("ref", index[id(value)])

    for root in roots:
        ref(root)
    while queue:
        value = queue.popleft()
        if isinstance(value, dict):
            items = [(ref(k), ref(v)) for k, v in value.items()]
        elif isinstance(value, (list, tuple, set, frozenset)):
            items = [ref(v) for v in value]
        else:
            fields = dict(getattr(value, "__dict__", {}))
            fields.update((name, getattr(value, name)) for name in getattr(type(value), "__slots__", ())
                          if hasattr(value, name))
            items = [(name, ref(v)) for name, v in fields.items()]
        records.append((type(value).__qualname__, items))
    return records


def analysis_objects(report) -> list:
    """What --verify reads: every reported layer, its weights and the nodes it was called at."""
    return [(row.layer, row.nodes) for model in report.models for row in model.layers]


@pytest.mark.parametrize("name", FILES)
def test_verify_leaves_the_layers_and_weights_as_they_were(name):
    report = analyze_file(str(FIXTURES / name))
    before = state(analysis_objects(report))
    first = [(d.code, d.message) for d in verify_file(report)]
    verified = [model.verified for model in report.models]
    assert state(analysis_objects(report)) == before
    assert [(d.code, d.message) for d in verify_file(report)] == first  # run again on the same analysis
    assert [model.verified for model in report.models] == verified
    assert state(analysis_objects(report)) == before


def test_an_execution_holds_its_arrays_while_it_runs():
    [model] = analyze_source(CNN, "cnn.py").models
    before = state(analysis_objects_of(model))
    execution = Execution(model)
    execution.allocate()
    run = execution.run()
    assert state(analysis_objects_of(model)) == before  # allocated and run: the weights hold no array
    assert run.disagreements == [] and run.not_run == []
    assert len(execution.arrays) == len(execution.weights) == 10  # 2 x (kernel, bias), BatchNorm's 4, Dense's 2
    execution.release()


def analysis_objects_of(model) -> list:
    return [(row.layer, row.nodes) for row in model.layers]


def outputs_alone(model, seed: int, x) -> np.ndarray:
    execution = Execution(model, seed=seed)
    execution.allocate()
    return execution.run([x]).outputs[0]


def test_two_executions_of_one_analysis_keep_their_own_weights():
    [model] = analyze_source(CNN, "cnn.py").models
    x = np.random.default_rng(7).random((1, 32, 32, 3), dtype=np.float32)
    expected = [outputs_alone(model, seed, x) for seed in (1, 2)]
    assert not np.array_equal(*expected)  # the seeds give different weights, so a mix-up would show
    first, second = Execution(model, seed=1), Execution(model, seed=2)
    first.allocate()
    second.allocate()  # allocated after the first, which must keep its own arrays
    np.testing.assert_array_equal(first.run([x]).outputs[0], expected[0])
    np.testing.assert_array_equal(second.run([x]).outputs[0], expected[1])


def test_executions_in_two_threads_at_once_keep_their_own_weights():
    [model] = analyze_source(CNN, "cnn.py").models
    x = np.random.default_rng(7).random((1, 32, 32, 3), dtype=np.float32)
    expected = {seed: outputs_alone(model, seed, x) for seed in (1, 2)}
    executions = {seed: Execution(model, seed=seed) for seed in expected}
    for execution in executions.values():
        execution.allocate()
    results: dict[int, list] = {seed: [] for seed in expected}
    start = threading.Barrier(len(executions))

    def run(seed):
        start.wait()
        for _ in range(5):
            results[seed].append(executions[seed].run([x]).outputs[0])

    threads = [threading.Thread(target=run, args=(seed,)) for seed in executions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for seed, outputs in results.items():
        assert len(outputs) == 5
        for output in outputs:
            np.testing.assert_array_equal(output, expected[seed])
