"""What Keras calls do, modelled: layers, Input, Sequential, Model, tensors and tensor operators.

Layer construction binds the source's arguments to the layer model's constructor (Keras's
signature and defaults); a layer call builds it once (shared weights), computes its output
shape and records one node in the layer graph.
"""

from __future__ import annotations

import collections
import functools
import inspect
import re
from dataclasses import dataclass

import libcst as cst

from archlint import dims
from archlint.errors import (
    InputUnlikeWeights, InvalidArgument, LayerError, MeaningChangedInKeras3, ModelInputMismatch, Unresolved, WrongRank,
)
from archlint.evaluate import factory_cache, keras3_checks, project_modules, tensor_ops
from archlint.evaluate.tensor_ops import TensorFunction
from archlint.evaluate.builtins import LIBRARY, call_container_method, has_container_method
from archlint.evaluate.keras_helpers import HELPERS
from archlint.evaluate.objects import MODEL_METHODS_WITHOUT_EFFECT, EvaluatorServices, Function, Method, StaticShape
from archlint.graph import LayerGraph, Node, Position, Tensor
from archlint.keras_names import (
    canonical, is_keras_layer_name, merge_function, missing_from_keras3,
)
from archlint.keras2_arguments import keras1_merge, keras3_arguments
from archlint.layers import REGISTRY, layer_class
from archlint.evaluate.user_classes import (
    BoundMethod, DeclaredLambda, Super, TracedLambda, UserClass, UserClasses, UserLayer, UserObject,
)
from archlint.layers.base import Layer, Weight, known, np, snake_case  # np: numpy, imported when first used
from archlint.layers.opaque import OpaqueLayer
from archlint.models import FunctionalModel, Model, SequentialModel
from archlint.values import LossObject, MetricObject, Ref, Unknown, described

ELEMENTWISE_BINARY = {name for name in tensor_ops.OPERATORS.values() if name != "matmul"}
ARRAY_REDUCTIONS = {"mean", "std", "var", "sum", "max", "min", "prod"}
MODEL_METHODS_WITH_RESULTS = {"fit", "evaluate", "predict", "get_config", "to_json"}
# The names of an Input's unknown axes, by its rank without the batch axis (a longer one numbers them).
AXIS_LETTERS = {1: ["T"], 2: ["T", "C"], 3: ["H", "W", "C"], 4: ["D", "H", "W", "C"]}
CHANNELS_FIRST_AXIS_LETTERS = {1: ["T"], 2: ["C", "T"], 3: ["C", "H", "W"], 4: ["C", "D", "H", "W"]}


def axis_letters(rank: int, data_format: str) -> list[str]:
    """The names of a tensor's axes after the batch's, in the image data format its layers read it in."""
    letters = (CHANNELS_FIRST_AXIS_LETTERS if data_format == "channels_first" else AXIS_LETTERS).get(rank)
    return letters or [f"d{i}" for i in range(1, rank + 1)]


def written_data_format(module: cst.Module) -> str:
    """channels_first when every `data_format=` the file writes out says so, else channels_last."""
    found = {arg.value.evaluated_value.lower() for arg in _keyword_arguments(module, "data_format")
             if isinstance(arg.value, cst.SimpleString) and isinstance(arg.value.evaluated_value, str)}
    return "channels_first" if found == {"channels_first"} else "channels_last"


def _keyword_arguments(module: cst.Module, keyword: str) -> list[cst.Arg]:
    found = []

    class Finder(cst.CSTVisitor):
        def visit_Arg(self, node: cst.Arg) -> None:
            if node.keyword is not None and node.keyword.value == keyword:
                found.append(node)

    module.visit(Finder())
    return found
COMPILE_PARAMETERS = ("optimizer", "loss", "loss_weights", "metrics")  # Model.compile's leading positionals


@dataclass
class Sighting:
    """A model the checked code binds to a module-level name, or calls summary(), compile() or fit() on."""

    symbol: str
    model: Layer
    bound: bool  # bound to the module-level name `symbol`
    trainable: dict | None = None  # at a summary() call: each layer inside the model and its trainable flag then


def is_model(value) -> bool:
    return isinstance(value, Model) or isinstance(value, UserLayer) and value.is_model


def trainable_state(model: Layer) -> dict:
    """Every layer inside the model (the model too), by id, with the layer and its trainable flag."""
    state, pending = {}, [model]
    while pending:
        layer = pending.pop()
        if id(layer) not in state:
            state[id(layer)] = (layer, layer.trainable)
            pending.extend(layer.inner_layers())
    return state


class KerasApi:
    def __init__(self, evaluator: EvaluatorServices):
        self.ev = evaluator
        self.graph = LayerGraph()
        self.name_counts: collections.Counter = collections.Counter()
        self.models: list[Model] = []
        self.eager_nodes: list[Node] = []
        # Where the checked code first gave a function, layer or model to a call archlint does not follow, and
        # that call: layers may be called on tensors there that eager_nodes cannot list.
        self.code_handed_over: tuple[Position | None, str] | None = None
        self.unknown_layer_inputs: set[Unknown] = set()  # unknowns already reported as a layer's input
        self.unread_packages: set[str] = set()  # library packages whose AL301 has been reported
        self.model_origin: dict[int, str | None] = {}  # model -> outermost user function that built it
        self.uids: dict[str, int] = {}
        self.classes = UserClasses(self)
        self.tracing = 0  # depth of custom layer call() traces under way
        self.sightings: list[Sighting] = []  # the models the code binds or uses, in that order
        # Keras's default data_format, as keras.config.set_image_data_format last set it (Unknown: not known statically).
        self.image_data_format = "channels_last"
        self.file_data_format: str | None = None  # the data_format the checked file's layers are given, read once
        self.sizes_lost = False  # whether the shape computation under way saw a named size as None

    # -- names and positions --------------------------------------------------------------

    def reset_names(self) -> None:
        """Keras numbers names per session; each analysed model factory starts a fresh one."""
        self.name_counts.clear()
        self.uids.clear()

    def auto_name(self, prefix: str) -> str:
        count = self.name_counts[prefix]
        self.name_counts[prefix] += 1
        return prefix if count == 0 else f"{prefix}_{count}"

    def name_layer(self, layer: Layer, node) -> Layer:
        if layer.name is None:
            layer.name = self.auto_name(snake_case(layer.type_name))
        layer.origin = self.ev.position(node)
        return layer

    # -- calls ------------------------------------------------------------------------------

    def call(self, function, args, kwargs, node):
        if isinstance(function, Ref):
            return self.call_ref(function, args, kwargs, node)
        if isinstance(function, Layer):
            return self.apply_layer(function, args, kwargs, node)
        if isinstance(function, Method):
            return self.call_method(function, args, kwargs, node)
        if isinstance(function, UserClass):
            return self.classes.instantiate(function, args, kwargs, node)
        if isinstance(function, BoundMethod):
            return self.classes.call_method(function.owner, function.cls, function.function, args, kwargs, node)
        return self.ev.unknown(f"call of {described(function)} is not modelled", node)

    def call_ref(self, ref: Ref, args, kwargs, node):
        name = canonical(ref.qualname)
        if name.startswith("keras.optimizers.") and ref.leaf[:1].isupper():
            kwargs = keras3_checks.optimizer_arguments(self.ev, name, kwargs, node)
        keras3_checks.load_model_path(self.ev, name, args, kwargs, node)
        if name in LIBRARY:
            return LIBRARY[name](self.ev, args, kwargs, node)
        cls = layer_class(name)
        if cls is not None:
            return self.construct_layer(cls, args, kwargs, node)
        if name == "keras.layers.merge" and keras1_merge(kwargs) is not None:  # Keras 1 (AL107 at its import)
            merge, options = keras1_merge(kwargs)
            layer = self.construct_layer(REGISTRY[merge], [], options, node)
            return self.apply_layer(layer, [args[0] if args else kwargs.get("inputs")], {}, node)
        merge = merge_function(name)
        if merge is not None:
            inputs, *rest = args if args else [kwargs.pop("inputs", None)]
            layer = self.construct_layer(REGISTRY[merge], rest, kwargs, node)
            return self.apply_layer(layer, [inputs], {}, node)
        function = FUNCTIONS.get(name)
        if function is not None:
            return function(self, args, kwargs, node)
        op = tensor_ops.lookup(name)
        if op is not None:
            keras3_checks.tensorflow_function(self.ev, name, args, kwargs, bool(self.tracing), node)
            return self.apply_tensor_function(op, args, kwargs, node)
        if name.startswith("keras.applications."):
            return self.call_application(ref, name, args, kwargs, node)
        if name.startswith("keras.losses.") and ref.leaf[:1].isupper():
            return LossObject(name, tuple(args), dict(kwargs))
        if name.startswith("keras.metrics.") and ref.leaf[:1].isupper():
            return MetricObject(name)
        if name == "keras.layers.Lambda" and self.traceable_lambda(args, kwargs):
            return self.make_traced_lambda(args, kwargs, node)
        if name == "keras.layers.Lambda" and _declared_lambda_shape(args, kwargs) is not None:
            options = {k: v for k, v in kwargs.items() if k in ("name", "trainable", "dtype")}
            layer = DeclaredLambda(args[0] if args else kwargs["function"], _declared_lambda_shape(args, kwargs),
                                   kwargs.get("arguments"), self, **options)
            return self.name_layer(layer, node)
        if is_keras_layer_name(name):
            leaf = name.rsplit(".", 1)[-1]
            why = "its function is opaque to static analysis" if leaf == "Lambda" else "it is not modelled by archlint"
            layer = OpaqueLayer(leaf, f"{leaf} layer: {why}", weightless=leaf == "Lambda")
            if missing_from_keras3(ref.qualname) is None:  # else AL107 says that Keras has no such layer
                self.ev.report(Unresolved.code,
                               f"{leaf} layer: output shape and parameters unknown because {why}", node)
            return self.name_layer(layer, node)
        missing = project_modules.missing_package(ref.qualname)
        if missing is not None:
            return self.library_model(ref, kwargs, node, project_modules.install_advice(missing))
        if _library_model_class(ref.qualname):
            return self.library_model(ref, kwargs, node, f"{ref.qualname.split('.')[0]} is not a package archlint "
                                                         "reads here")
        return self.ev.unknown(f"{ref.qualname}() is not modelled", node)

    def library_model(self, ref: Ref, kwargs, node, why: str) -> Layer | Unknown:
        """A model or layer of a library archlint cannot read (not installed where it looks, a TF Hub layer): it
        stays in the graph as one layer whose output shape and parameters are unknown, said once per package."""
        kind = _library_model_class(ref.qualname) or ref.leaf
        package = ref.qualname.split(".")[0]
        if not kind[:1].isupper():  # a function of the package: said where what it returns is used
            return self.ev.unknown(f"{ref.qualname}() comes from {package}, which archlint cannot read: {why}", node)
        if package not in self.unread_packages:
            self.unread_packages.add(package)
            self.ev.report(Unresolved.code,
                           f"{ref.qualname}() comes from {package}, which archlint cannot read: {why}; its "
                           "output shape and parameters are unknown", node)
        return self.opaque_model(kind, kwargs, node)

    def preset_model(self, cls_name: str, kwargs, node) -> Layer:
        """`Backbone.from_preset("bert_base_en")`: the architecture is in the preset's configuration on a model
        hub, which archlint does not fetch."""
        self.ev.report(Unresolved.code,
                       f"{cls_name}.from_preset() takes its architecture from a preset's configuration "
                       f"on a model hub, which archlint does not fetch: its output shape and parameters "
                       f"are unknown (build {cls_name}(...) from explicit arguments to have it analysed)",
                       node)
        return self.opaque_model(cls_name, kwargs, node)

    def opaque_model(self, kind: str, kwargs, node) -> Layer:
        # The arguments every Keras layer takes keep their meaning: a name, trainable, a first layer's input_shape.
        common = {key: kwargs[key] for key in ("name", "trainable", "input_shape") if key in kwargs}
        try:
            layer = OpaqueLayer(kind, f"{kind} is a library model archlint cannot read", **common)
        except (LayerError, TypeError, ValueError):
            layer = OpaqueLayer(kind, f"{kind} is a library model archlint cannot read")
        return self.name_layer(layer, node)

    @staticmethod
    def traceable_lambda(args, kwargs) -> bool:
        """A Lambda whose function the checked file defines, without an explicit output_shape or mask."""
        function = args[0] if args else kwargs.get("function")
        return isinstance(function, Function) and len(args) <= 1 and not {"output_shape", "mask"} & set(kwargs)

    def make_traced_lambda(self, args, kwargs, node):
        options = {k: v for k, v in kwargs.items() if k in ("name", "trainable", "dtype")}
        layer = TracedLambda(args[0] if args else kwargs["function"], kwargs.get("arguments"), self, **options)
        return self.name_layer(layer, node)

    def call_application(self, ref: Ref, name: str, args, kwargs, node):
        """A keras.applications model, read from the installed Keras's own source."""
        if project_modules.installed_keras() is None:
            self.ev.report(Unresolved.code, f"{name}() is analysed from the installed Keras's source, and Keras is not "
                                            "installed here: its layers are unknown", node)
            return self.ev.unknown(f"{name}() without an installed Keras", node)
        module_name, leaf = ref.qualname.rsplit(".", 1)
        source = factory_cache.factory_source(ref.qualname)
        key = factory_cache.key(self, ref.qualname, source, args, kwargs) if source is not None else None
        if key is not None:  # the model this call built before, from the library cache
            kept = factory_cache.replay(self, key, source[1], node)
            if kept is not None:
                return kept
        recording = factory_cache.record(self, key, source[1], node) if key is not None else None
        module = self.ev.import_module(module_name, 0, node)
        factory = self.ev.get_attribute(module, leaf, node) if module is not None else None
        if factory is None or isinstance(factory, (Ref, Unknown)):
            return self.ev.unknown(f"{ref.qualname}() is not modelled", node)
        if recording is None:
            return self.ev.call(factory, args, kwargs, node)
        recording.started()
        result = self.ev.call(factory, args, kwargs, node)
        recording.finish(result, args, kwargs)
        return result

    def construct_layer(self, cls, args, kwargs, node) -> Layer:
        if self.image_data_format != "channels_last" and kwargs.get("data_format") is None \
                and "data_format" in _signature(cls, "__init__").parameters:
            # keras.config.set_image_data_format changed the default of every later layer.
            kwargs = {**kwargs, "data_format": self.image_data_format}
        args, kwargs = self.ev.data_numbers.layer_arguments(cls, args, kwargs, node)
        try:
            layer = cls(*args, **kwargs)
        except (LayerError, TypeError) as exc:
            layer = self.invalid_layer(cls, args, kwargs, exc, node)
        except Unresolved as exc:
            self.ev.report(Unresolved.code,
                           f"{cls.__name__}: {exc.reason}; its output shape and parameters are unknown", node)
            layer = OpaqueLayer(cls.__name__, exc.reason)
            # An input shape the code gives but archlint cannot read is not a missing one (no AL302).
            layer.input_shape_given = bool({"input_shape", "input_dim", "batch_input_shape"} & set(kwargs))
        else:
            keras3_checks.keras1_kernel_sides(self.ev, cls, args, kwargs, node)
        if layer.unknown_params_reason:
            self.ev.report(Unresolved.code,
                           f"{cls.__name__}: {layer.unknown_params_reason}; its parameters are unknown", node)
        # Checking a file of Keras itself, its layers are the checked code's own.
        layer.library_made = self.ev.in_library_code()
        return self.name_layer(layer, node)

    def invalid_layer(self, cls, args, kwargs, exc: Exception, node) -> Layer:
        """The error Keras 3 raises, reported; the layer built from the Keras 3 spelling of what a Keras 1/2 call
        meant, when that is what went wrong, so that the model goes on."""
        code = exc.code if isinstance(exc, LayerError) else InvalidArgument.code
        message = exc.message if isinstance(exc, LayerError) else re.sub(r"\w+\.__init__\(\)", f"{cls.__name__}()", str(exc))
        respelt = keras3_arguments(cls, args, kwargs)
        if respelt is not None:
            try:
                layer = cls(*respelt.args, **respelt.kwargs)
            except (LayerError, TypeError):
                pass
            except Unresolved as unresolved:  # the spelling was the fault; a value is also unknown
                self.ev.report(code, f"{cls.__name__}: {message}. In Keras 3, {'; '.join(respelt.changes)}", node)
                self.ev.report(Unresolved.code,
                               f"{cls.__name__}: {unresolved.reason}; its output shape and parameters are "
                               "unknown", node)
                layer = OpaqueLayer(cls.__name__, unresolved.reason)
                layer.input_shape_given = bool({"input_shape", "input_dim"} & set(respelt.kwargs))
                return layer
            else:
                layer.input_batch_size = respelt.batch_size
                self.ev.report(code, f"{cls.__name__}: {message}. In Keras 3, {'; '.join(respelt.changes)}", node)
                return layer
        self.ev.report(code, f"{cls.__name__}: {message}", node)
        return OpaqueLayer(cls.__name__, f"{cls.__name__} has invalid arguments")

    def apply_layer(self, layer: Layer, args, kwargs, node):
        tensors = [t for t in _flatten((args, kwargs)) if isinstance(t, Tensor)]
        if not tensors:
            unknown = next((v for v in _flatten((args, kwargs)) if isinstance(v, Unknown)), None)
            if unknown is None:
                self.ev.report(Unresolved.code, f"{layer.name} is called on something that is not a tensor", node)
                return self.ev.unknown(f"{layer.name} called on a non-tensor", node)
            if unknown not in self.unknown_layer_inputs:  # the layers after it get the same unknown: said once
                self.unknown_layer_inputs.add(unknown)
                self.ev.report(Unresolved.code,
                               f"{layer.name} is called on a value not known statically ({unknown.reason})",
                               node)
            return unknown
        args = keras3_checks.positional_call_arguments(self.ev, layer, list(args), node)
        if isinstance(layer, UserLayer):
            args = keras3_checks.mask_given_positionally(self.ev, layer, layer.call_parameters(), args, kwargs, node)
        position = self.ev.position(node)
        out_shape = None
        unknown = next((v for v in _flatten(args) if isinstance(v, Unknown)), None)
        if unknown is not None:  # `Add()([x, y])` with y not known: no output shape to compute
            self.ev.report(Unresolved.code,
                           f"{layer.name} is called on a value not known statically ({unknown.reason})", node)
        elif all(t.shape is not None for t in tensors):
            shape_args = _map_tensors(args, lambda t: t.shape)
            # A tensor passed by keyword is its shape, marked as one: a custom layer's call() gets a tensor there.
            shape_kwargs = _shape_parameter_names(layer, _map_tensors(kwargs, lambda t: StaticShape(t.shape)))
            out_shape = self.output_shape(layer, shape_args, shape_kwargs, position)
            if out_shape is not None and tensors and all(t.eager for t in tensors):
                out_shape = layer.eager_output_shape(out_shape, *shape_args, **shape_kwargs)
        result = self.record(layer, tensors, out_shape, position, call=(args, kwargs))
        keys = getattr(layer.functional if isinstance(layer, UserLayer) else layer, "output_keys", None)
        if keys is not None and isinstance(result, list) and len(result) == len(keys):
            return dict(zip(keys, result))  # a model whose outputs are a dict gives a dict
        return result

    def output_shape(self, layer: Layer, shape_args, shape_kwargs, position):
        """Build the layer on first use (weights are shared after that) and compute its output shape.

        What Keras would reject is reported with its rule's code; the output is then unknown.
        """
        if isinstance(layer, SequentialModel) and layer.output_tensor is None and shape_args:
            self.build_sequential(layer, shape_args[0], position)
        elif (isinstance(layer, FunctionalModel) or isinstance(layer, SequentialModel) and layer.output_tensor is not None) \
                and not dims.has_sizes(shape_args):
            other, shape = self.model_on_other_shapes(layer, shape_args, position)
            if other:
                layer.built = True  # its layers hold their weights already
                return shape
        if not getattr(layer, "named_sizes", False):
            numbers = dims.data_names([shape_args, shape_kwargs])
            if numbers:  # Keras has a number there, which this layer's shape rule cannot be given
                self.ev.report(Unresolved.code,
                               f"{layer.name} ({layer.type_name}): its input's shape depends on "
                               f"{', '.join(sorted(numbers))}, a number read from data, which archlint does "
                               "not follow through this layer", position, layer)
                return None
            shape_args, shape_kwargs = self.sizes_unnamed(shape_args), self.sizes_unnamed(shape_kwargs)
        try:
            for method in ([] if layer.built else ["build"]) + ["compute_output_shape"]:
                _signature(type(layer), method).bind(layer, *shape_args, **shape_kwargs)
        except TypeError as exc:  # Keras raises TypeError too: `MultiHeadAttention(...)(query)` without a value
            self.ev.report(InvalidArgument.code,
                           f"{layer.name} ({layer.type_name}) is called with arguments it does not take: "
                           f"{exc}", position, layer)
            return None
        listed = len(shape_args[0]) if shape_args and isinstance(shape_args[0], list) else 0
        try:
            if not layer.built:
                layer.build(*shape_args, **shape_kwargs)
                layer.built = True
            elif layer.input_checked_on_call:
                misfit = layer.weights_misfit(*shape_args, **shape_kwargs)
                if misfit:
                    raise InputUnlikeWeights(misfit)
            shape = layer.compute_output_shape(*shape_args, **shape_kwargs)
            if listed and not _is_shape(shape):
                raise TypeError(f"output shape {shape}")
            return shape
        except LayerError as exc:
            self.ev.report(exc.code, f"{layer.name} ({layer.type_name}): {exc.message}", position, layer)
        except Unresolved as exc:
            if not isinstance(layer, OpaqueLayer):
                self.ev.report(Unresolved.code, f"{layer.name} ({layer.type_name}): {exc.reason}", position, layer)
        except (TypeError, ValueError, IndexError, AttributeError):
            if not listed:
                raise
            # A layer taking one tensor, called on a list (`Dense(2)([a, b])`): Keras refuses it too.
            self.ev.report(WrongRank.code,
                           f"{layer.name} ({layer.type_name}) expects one input tensor, but it received a "
                           f"list of {listed}", position, layer)
        return None

    def model_on_other_shapes(self, model: Model, shape_args, position) -> tuple[bool, object]:
        """A built model called on inputs of other shapes than its own (a concrete batch, a 416x416 image on
        Input((None, None, 3))) outputs what its layers compute for those shapes, as Keras runs its graph
        again: (True, that shape); (False, None) when the shapes are its own. Where a layer's shape cannot be
        computed again (a custom layer's traced call), the output is unknown."""
        if isinstance(model, SequentialModel):
            own, given = [model.input_tensor], list(shape_args[:1])
        else:
            own = model.inputs
            given = list(shape_args[0]) if len(shape_args) == 1 and isinstance(shape_args[0], list) \
                and len(own) > 1 else list(shape_args)
        if len(given) != len(own) or all(tuple(t.shape or ()) == tuple(g or ()) for t, g in zip(own, given)):
            return False, None
        refused = next((f"its input {t.node.layer.name if t.node else index} has shape {_shape_text(t.shape)}, "
                        f"given {_shape_text(g)}" for index, (t, g) in enumerate(zip(own, given))
                        if not _input_fits(t.shape, g)), None)
        if refused is not None:
            self.ev.report(ModelInputMismatch.code,
                           f"{model.name} ({model.type_name}) is called on an input its Input does not "
                           f"take: {refused}", position, model)
            return True, None
        shapes = {id(t): tuple(g) if g is not None else None for t, g in zip(own, given)}

        def shape_of(tensor: Tensor):
            shape = known_shape(tensor)
            if shape is None:
                raise Unresolved("a tensor inside it has an unknown shape")
            return shape

        def known_shape(tensor: Tensor):
            if id(tensor) in shapes:
                return shapes[id(tensor)]
            node = tensor.node
            if node is None or node.is_input or tensor.eager:
                return tensor.shape
            layer = node.layer
            if isinstance(layer, (UserLayer, OpaqueLayer)) or not (layer.built or layer.weightless or isinstance(layer, Model)):
                raise Unresolved(f"{layer.name} ({layer.type_name}) cannot be computed again for other input shapes")
            args = _map_tensors(list(node.args), shape_of)
            kwargs = _shape_parameter_names(layer, _map_tensors(dict(node.kwargs), shape_of))
            if isinstance(layer, (FunctionalModel, SequentialModel)):  # a nested model runs its graph again too
                other, out = self.model_on_other_shapes(layer, args, position)
                out = out if other else layer.compute_output_shape(*args)
            else:
                out = layer.compute_output_shape(*args, **kwargs)
            outs = out if isinstance(out, list) else [out]
            for index, produced in enumerate(node.outputs):
                shapes[id(produced)] = tuple(outs[index]) if outs[index] is not None else None
            return shapes[id(tensor)]

        outputs = [model.output_tensor] if isinstance(model, SequentialModel) else model.outputs
        try:
            found = [shape_of(t) for t in outputs]
        except (LayerError, Unresolved, TypeError, ValueError, IndexError, KeyError) as exc:
            reason = getattr(exc, "reason", None) or getattr(exc, "message", None) or str(exc)
            self.ev.report(Unresolved.code, f"{model.name} called on inputs of other shapes than its own: {reason}; "
                                            "its output shape is unknown", position, model)
            return True, None
        single = isinstance(model, SequentialModel) or model.single_output
        return True, found[0] if single else found

    def sizes_unnamed(self, shapes):
        """Shapes for code that reads them as Keras gives them: a named size is None there. The models
        using it can then not know every condition on their sizes."""
        if dims.has_sizes(shapes):
            self.sizes_lost = True
            return _map_shapes(shapes, dims.without_sizes)
        return shapes

    def record(self, layer: Layer, tensors: list[Tensor], out_shape, position, listed: bool = True, call=None):
        """One application of `layer`; `call` is its (args, kwargs) when they are more than `tensors` in order.

        The node keeps the conditions on named sizes its shape computation imposed."""
        eager = all(t.eager for t in tensors)
        args, kwargs = _map_tensors(call, lambda t: t) if call else (tensors, {})  # a copy: the source may mutate its lists
        graph_node = self.graph.add(Node(layer, tensors, position=position, listed=listed, args=tuple(args), kwargs=kwargs))
        graph_node.conditions = dims.take_conditions()
        graph_node.sizes_lost, self.sizes_lost = self.sizes_lost, False
        shapes = out_shape if isinstance(out_shape, list) else [out_shape]
        graph_node.outputs = [Tensor(shape, graph_node, i, eager) for i, shape in enumerate(shapes)]
        if eager and listed and not self.tracing:  # a layer on constants inside call() belongs to the traced layer
            self.eager_nodes.append(graph_node)
        return graph_node.outputs if isinstance(out_shape, list) else graph_node.outputs[0]

    def unresolved_successor(self, tensor: Tensor, reason: str, node) -> Tensor:
        """What `tensor` may have become in code that is not analysed: still connected, its shape unknown."""
        layer = self.name_layer(OpaqueLayer("Unknown", reason), node)
        self.ev.report(Unresolved.code, f"{reason}; what follows has an unknown shape", node, layer)
        return self.record(layer, [tensor], None, self.ev.position(node))

    # -- Input, Sequential, Model ---------------------------------------------------------

    def make_input(self, args, kwargs, node):
        if "tensor" in kwargs:
            kwargs["input_tensor"] = kwargs.pop("tensor")
        if isinstance(kwargs.get("input_tensor"), Tensor):
            return kwargs["input_tensor"]  # Keras makes an InputLayer whose output is that very tensor
        layer = self.construct_layer(REGISTRY["InputLayer"], args, kwargs, node)
        if isinstance(layer, OpaqueLayer):
            given = self.ev.given_shape(layer.name)
            if given is None:
                # A shape read from the data: the model is still found, with what follows unresolved.
                return self.input_tensor(layer, self.ev.position(node), shape=None)
            layer = self.name_layer(REGISTRY["InputLayer"](batch_shape=(None,) + given, name=layer.name), node)
        given = self.ev.given_shape(layer.name)
        if given is not None:  # --input-shape NAME=SHAPE replaces the source's shape
            layer.batch_shape = (layer.batch_shape[0],) + given
        return self.input_tensor(layer, self.ev.position(node))

    def input_tensor(self, layer, position, shape=()) -> Tensor:
        """The tensor of an Input; `shape=None` for one whose shape is not known statically.

        Each unknown axis but the batch's is a size named after the input and the axis (`image.H`), the axes
        ordered as the image data format puts them: keras.config.set_image_data_format's, else the one every
        `data_format=` of the file gives.
        """
        layer.built = True
        if shape == () and layer.batch_shape is not None:
            data_format = self.image_data_format if isinstance(self.image_data_format, str) else "channels_last"
            if data_format == "channels_last":
                if self.file_data_format is None:
                    self.file_data_format = written_data_format(self.ev.module)
                data_format = self.file_data_format
            letters = layer.axis_letters = axis_letters(len(layer.batch_shape) - 1, data_format)
            shape = layer.batch_shape[:1] + tuple(dims.Size.named(f"{layer.name}.{letter}") if d is None else d
                                                  for d, letter in zip(layer.batch_shape[1:], letters))
        graph_node = self.graph.add(Node(layer, [], position=position, is_input=True))
        graph_node.outputs = [Tensor(layer.batch_shape if shape == () else shape, graph_node, 0)]
        return graph_node.outputs[0]

    def make_sequential(self, args, kwargs, node):
        layers = args[0] if args else kwargs.pop("layers", None)
        try:
            model = SequentialModel(*args[1:], **kwargs)
        except TypeError as exc:
            self.ev.report(InvalidArgument.code, f"Sequential: {exc}", node)
            return self.ev.unknown("invalid Sequential", node)
        model.name = model.name or self.auto_name("sequential")
        model.origin = self.ev.position(node)
        self.register_model(model)
        if layers is not None:
            items = self.ev.iterate(layers, node)
            for item in items or []:
                self.sequential_add(model, item, node)
        return model

    def register_model(self, model: Model) -> None:
        self.models.append(model)
        self.model_origin[id(model)] = self.ev.functions[0] if self.ev.functions else None

    def sequential_add(self, model: SequentialModel, item, node) -> None:
        if isinstance(item, REGISTRY["InputLayer"]):
            item = self.input_tensor(item, item.origin)
        if isinstance(item, Tensor) and item.node is not None and item.node.is_input:
            if model.layers or model.input_tensor is not None:
                self.ev.report(InvalidArgument.code, f"Sequential {model.name}: an Input can only come first", node)
                return
            model.input_tensor = model.output_tensor = item
            return
        if not isinstance(item, Layer):
            reason = item.reason if isinstance(item, Unknown) else described(item)
            item = self.name_layer(OpaqueLayer("Unknown", f"not a known layer ({reason})"), node)
            self.ev.report(Unresolved.code,
                           f"Sequential {model.name}: an element is not a known layer ({reason})", node)
        if not model.layers and model.input_tensor is None and item.input_shape_arg is None \
                and isinstance(getattr(item, "input_length", None), int):
            self.ev.report(MeaningChangedInKeras3.code,
                           f"{item.name} (Embedding): Keras 3 ignores input_length, so the model has no "
                           f"input shape until it is fit; add keras.Input(shape=({item.input_length},)) "
                           f"first (archlint goes on with that)", item.origin)
            item.input_shape_arg = (item.input_length,)
        if not model.layers and model.input_tensor is None:
            batch_shape = _first_layer_input(item)
            if batch_shape is not None:
                model.input_tensor = model.output_tensor = self.sequential_input(batch_shape, item.origin)
        model.layers.append(item)
        if model.output_tensor is not None:
            self.sequential_step(model, item)

    def sequential_input(self, batch_shape, position) -> Tensor:
        layer = REGISTRY["InputLayer"](batch_shape=batch_shape)
        layer.name = self.auto_name("input_layer")
        return self.input_tensor(layer, position)

    def sequential_step(self, model: SequentialModel, layer: Layer) -> None:
        position = layer.origin
        tensors = [model.output_tensor]
        out_shape = None
        if model.output_tensor.shape is not None:
            out_shape = self.output_shape(layer, [model.output_tensor.shape], {}, position)
        out = self.record(layer, tensors, out_shape, position)
        if isinstance(out, list):
            out = out[0]
        model.nodes.setdefault(id(layer), []).append(out.node)
        model.output_tensor = out

    def build_sequential(self, model: SequentialModel, input_shape, position) -> None:
        if model.input_tensor is None:
            shape = None if input_shape is None else tuple(input_shape)
            model.input_tensor = model.output_tensor = self.sequential_input(shape, position)
        for layer in model.layers:
            self.sequential_step(model, layer)

    def make_functional(self, args, kwargs, node):
        keras3_checks.model_arguments(self.ev, kwargs, node)
        inputs = args[0] if args else kwargs.pop("inputs", None)
        outputs = args[1] if len(args) > 1 else kwargs.pop("outputs", None)
        if inputs is None or outputs is None:
            return self.instantiate_model_without_graph(node)
        flat_inputs = [t for t in _flatten(inputs) if isinstance(t, Tensor)]
        flat_outputs = [t for t in _flatten(outputs) if isinstance(t, Tensor)]
        if not flat_inputs or not flat_outputs:
            self.ev.report(Unresolved.code, "Model inputs or outputs are not known statically", node)
            return self.ev.unknown("Model with unknown inputs or outputs", node)
        kwargs.pop("name", None) if not isinstance(kwargs.get("name"), str) else None
        model = FunctionalModel(flat_inputs, flat_outputs, **{k: v for k, v in kwargs.items() if k in ("name", "trainable")})
        model.single_output = isinstance(outputs, Tensor)
        # Inputs or outputs given as a dict (a keras_hub backbone's) are seen as that dict, as Keras does.
        model.input_keys = sorted(inputs, key=str) if isinstance(inputs, dict) and len(inputs) == len(flat_inputs) else None
        model.output_keys = sorted(outputs, key=str) if isinstance(outputs, dict) and len(outputs) == len(flat_outputs) \
            else None
        model.name = model.name or self.auto_name("functional")
        model.origin = self.ev.position(node)
        model.built = True
        self.register_model(model)
        return model

    def instantiate_model_without_graph(self, node):
        self.ev.report(Unresolved.code, "keras.Model() without inputs and outputs is not analysed", node)
        return self.ev.unknown("Model without inputs and outputs", node)

    # -- attributes and methods ---------------------------------------------------------------

    def get_attribute(self, obj, name: str, node):
        if isinstance(obj, (UserObject, UserLayer, UserClass, Super)):
            return self.classes.get_attribute(obj, name, node)
        if isinstance(obj, Tensor):
            if name == "shape" or keras3_checks.keras2_shape_attribute(self.ev, obj, name, bool(self.tracing), node):
                return self.shape_of(obj, node)
            if name in TENSOR_METHODS:
                return Method(obj, name)
            if name == "ndim":
                return len(obj.shape) if obj.shape is not None else self.ev.unknown("rank unknown", node)
            if name == "dtype":
                return "float32"
        elif isinstance(obj, Model):
            if name == "layers":
                return list(obj.listed_layers())
            if name in ("output", "outputs", "input", "inputs"):
                return self.model_tensors(obj, name, node)
            if name in ("add", "build", "compile", "get_layer") or name in MODEL_METHODS_WITHOUT_EFFECT:
                return Method(obj, name)
            if name in keras3_checks.REMOVED_MODEL_METHODS:
                return Method(obj, keras3_checks.removed_model_method(self.ev, obj, name, node))
        if isinstance(obj, Layer):
            value = getattr(obj, name, None) if not name.startswith("_") else None
            if name in ("name", "trainable", "built") or isinstance(value, (int, float, str, tuple, dims.Size)):
                # A constructor argument as Keras stores it: layer.units, layer.filters.
                return self.ev.data_numbers.for_code(value)
            if name in ("count_params", "build", "compute_output_shape"):
                return Method(obj, name)
            if name in ("output", "input") and not isinstance(obj, Model):
                return self.layer_tensors(obj, name, node)
            if name in ("output_shape", "input_shape") and not isinstance(obj, Model):
                keras3_checks.layer_shape_attribute(self.ev, obj, name, node)
                tensors = self.layer_tensors(obj, name[:-len("_shape")], node)
                return self.shape_of(tensors, node) if isinstance(tensors, Tensor) else tensors
        if isinstance(obj, StaticShape) and name == "as_list":
            return Method(obj, name)
        if has_container_method(obj, name):
            return Method(obj, name)
        if isinstance(obj, Ref):
            return obj.attr(name)
        return self.ev.unknown(f"attribute `{name}` of {described(obj)} is not modelled", node)

    def set_attribute(self, obj, name: str, value, node) -> None:
        if isinstance(obj, (UserObject, UserLayer)):
            self.classes.set_attribute(obj, name, value)
            return
        if isinstance(obj, Layer) and name == "trainable" and isinstance(value, bool):
            obj.set_trainable(value)

    def receiver_symbol(self, node) -> str:
        """`model` for `model.summary()` at module level; `train.model` inside the function train."""
        receiver = node.func.value if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) else None
        function = self.ev.functions[-1] if self.ev.functions else None
        if not isinstance(receiver, cst.Name):
            return function or "<module>"
        return f"{function}.{receiver.value}" if function else receiver.value

    def get_layer(self, model: Model, args, kwargs, node):
        layers = model.listed_layers()
        name = args[0] if args else kwargs.get("name")
        index = args[1] if len(args) > 1 else kwargs.get("index")
        if isinstance(index, int) and -len(layers) <= index < len(layers):
            return layers[index]
        found = [layer for layer in layers if isinstance(name, str) and layer.name == name]
        return found[0] if found else self.ev.unknown(f"{model.name}.get_layer({name!r}) not found", node)

    def model_tensors(self, model: Model, name: str, node):
        if isinstance(model, FunctionalModel):
            tensors = model.outputs if name.startswith("output") else model.inputs
            keys = getattr(model, "output_keys" if name.startswith("output") else "input_keys", None)
            if keys is not None:
                return dict(zip(keys, tensors))
        elif model.input_tensor is not None:
            tensors = [model.output_tensor if name.startswith("output") else model.input_tensor]
        else:
            return self.ev.unknown(f"{model.name} has no input yet", node)
        if name in ("output", "input"):
            return tensors[0] if len(tensors) == 1 else list(tensors)
        return list(tensors)

    def layer_tensors(self, layer: Layer, name: str, node):
        """layer.output / layer.input: the tensors of its one symbolic application, as Keras requires."""
        applications = [n for n in self.graph.nodes_of(layer) if not all(t.eager for t in n.outputs)]
        if len(applications) != 1:
            return self.ev.unknown(f"layer.{name} of a layer applied {len(applications)} times", node)
        application = applications[0]
        # An InputLayer's own input is empty in Keras 3: its tensor is its output.
        tensors = application.outputs if name == "output" else application.inputs
        return tensors[0] if len(tensors) == 1 else list(tensors)

    def call_method(self, method: Method, args, kwargs, node):
        owner, name = method.owner, method.name
        if isinstance(owner, Tensor) and name in TENSOR_METHODS:
            return TENSOR_METHODS[name](self, owner, args, kwargs, node)
        if isinstance(owner, StaticShape) and name == "as_list":
            return list(owner)
        if isinstance(owner, (list, dict, set, str)):
            return call_container_method(self.ev, owner, name, args, kwargs, node)
        if name in ("summary", "compile", "fit") and is_model(owner):
            summary = name == "summary"
            self.sightings.append(Sighting(self.receiver_symbol(node), owner, False,
                                           trainable_state(owner) if summary else None))
        if name in LAYER_METHODS:
            return LAYER_METHODS[name](self, owner, args, kwargs, node)
        if name in MODEL_METHODS_WITH_RESULTS:  # `_, accuracy = model.evaluate(ds)`: not None
            return self.ev.unknown(f"the result of {name}() is known only at run time", node)
        return None

    # Each method of a Keras layer or model, of an owner of any kind (what does not apply returns None).

    def sequential_add_method(self, owner, args, kwargs, node):
        if isinstance(owner, SequentialModel) and args:
            self.sequential_add(owner, args[0], node)

    def build_method(self, owner, args, kwargs, node):
        if isinstance(owner, SequentialModel):
            shape = args[0] if args else kwargs.get("input_shape")
            if isinstance(shape, (tuple, list)) and owner.output_tensor is None:
                self.build_sequential(owner, tuple(shape), self.ev.position(node))
        elif isinstance(owner, UserLayer):
            return self.classes.build_from_shape(owner, args, kwargs, node)
        elif isinstance(owner, Layer) and not owner.built:
            # `mha.build(query_shape, value_shape)`: every shape the layer's build takes, by position or name.
            given = self.shapes_from_code(list(args) or ([kwargs["input_shape"]] if "input_shape" in kwargs else []),
                                          {k: v for k, v in kwargs.items() if k != "input_shape"})
            if given is not None:
                self.output_shape(owner, *given, self.ev.position(node))
            else:  # Keras builds its weights on a shape archlint does not have: their sizes are unknown
                self.unknown_build(owner, node)
        return None

    def shapes_from_code(self, args, kwargs) -> tuple[list, dict] | None:
        """The shapes the checked code gives a layer's build() or compute_output_shape(), by position and by name;
        None when there are none, or one is not a shape known statically."""
        shapes = [self.shape_from_code(a) for a in args]
        named = {k: self.shape_from_code(v) for k, v in kwargs.items()}
        if not (shapes or named) or not all(_is_shape(s) for s in [*shapes, *named.values()]):
            return None
        return shapes, named

    def shape_from_code(self, value):
        """A shape the checked code gives build() or compute_output_shape(), a number read from data in it the
        size it stands for."""
        def dimensions(shape):
            return tuple(self.ev.data_numbers.size_of(d, "shape") if isinstance(d, Unknown) and d.size is not None
                         else d for d in shape)

        value = _as_shape_argument(value)
        if isinstance(value, list):  # the shapes of a layer's several inputs
            return [dimensions(shape) for shape in value]
        return dimensions(value) if isinstance(value, tuple) else value

    def unknown_build(self, layer: Layer, node) -> None:
        """`layer.build(shape)` with a shape not known statically: the layer's weights are unknown."""
        reason = f"{layer.name}.build() is given a shape not known statically"
        layer.unknown_params_reason = layer.unknown_params_reason or reason
        self.ev.report(Unresolved.code, f"{layer.name} ({layer.type_name}): {reason}; its parameters are unknown",
                       node, layer)

    def compute_output_shape_method(self, owner, args, kwargs, node):
        """`layer.compute_output_shape(shape)` of a modelled layer, as Keras computes it: no build, no graph."""
        if not isinstance(owner, Layer) or isinstance(owner, (Model, OpaqueLayer)):
            return None
        given = self.shapes_from_code(args, kwargs)
        if given is None:
            return self.ev.unknown(f"{owner.name}.compute_output_shape() of a shape not known statically", node)
        shapes, named = given
        try:
            shape = owner.compute_output_shape(*shapes, **named)
        except LayerError as exc:  # Keras raises it there
            self.ev.report(exc.code, f"{owner.name} ({owner.type_name}): {exc.message}", node, owner)
            return self.ev.unknown(f"{owner.name}.compute_output_shape() raises", node)
        except (Unresolved, TypeError, ValueError, IndexError, AttributeError) as exc:
            return self.ev.unknown(f"{owner.name}.compute_output_shape(): {exc}", node)
        # As a tensor's shape reads: a number read from data stays that number, an input's axis is None.
        return _map_shapes(shape, lambda value: StaticShape(
            self.ev.data_numbers.for_code(d) if dims.from_data(d) else None if dims.is_size(d) else d for d in value))

    def get_layer_method(self, owner, args, kwargs, node):
        return self.get_layer(owner, args, kwargs, node) if isinstance(owner, Model) else None

    def compile_method(self, owner, args, kwargs, node):
        if isinstance(owner, (Model, UserLayer)):
            owner.compile_args = {**dict(zip(COMPILE_PARAMETERS, args)), **kwargs}
            keras3_checks.compile_arguments(self.ev, owner.compile_args, node)
            owner.compile_position = self.ev.position(node)

    def add_weight_method(self, owner, args, kwargs, node):
        return self.classes.add_weight(owner, args, kwargs, node) if isinstance(owner, UserLayer) else None

    def count_params_method(self, owner, args, kwargs, node):
        if not isinstance(owner, Layer):
            return None
        return self.ev.data_numbers.for_code(owner.count_params()) if owner.built else \
            self.ev.unknown("layer not built", node)

    # Each method of a NumPy array (a concrete tensor), as a tensor function.

    def get_shape_method(self, owner, args, kwargs, node):
        keras3_checks.symbolic_get_shape(self.ev, owner, bool(self.tracing), node)
        return self.shape_of(owner, node)

    def reshape_method(self, owner, args, kwargs, node):  # x.reshape((n, 784)), x.reshape(n, 784)
        shape = args[0] if len(args) == 1 else tuple(args) if args else kwargs.get("shape")
        return self.apply_tensor_function(tensor_ops.OPS["reshape"], [owner, shape], {}, node)

    def flatten_method(self, owner, args, kwargs, node):  # x.flatten(), x.ravel(): one axis of every item
        if args or kwargs:
            return self.ev.unknown("flatten() with an order is not modelled", node)
        return self.apply_tensor_function(tensor_ops.OPS["reshape"], [owner, (-1,)], {}, node)

    def astype_method(self, owner, args, kwargs, node):
        return self.apply_tensor_function(tensor_ops.OPS["cast"], [owner], {"dtype": args[0] if args else kwargs.get("dtype")}, node)

    # -- tensors ----------------------------------------------------------------------------

    def shape_of(self, tensor, node):
        if isinstance(tensor, Tensor) and tensor.shape is not None:
            if dims.has_axis_sizes(tensor.shape) and tensor.node is not None:
                tensor.node.sizes_read = True
            return StaticShape(self.ev.data_numbers.for_code(d) if dims.from_data(d) else None if dims.is_size(d) else d
                               for d in tensor.shape)
        return self.ev.unknown("shape of a tensor not known statically", node)

    def shape_function(self, args, kwargs, node):
        """keras.ops.shape(x) and the like."""
        return self.shape_of(args[0] if args else None, node)

    def concrete_tensor(self, name: str, args, kwargs, node):
        shape = tensor_ops.factory_shape(name, args, kwargs)
        # Inside a traced call(), a size read from the input's run-time shape (the batch) is None.
        sizes_allowed = (int, type(None)) if self.tracing else int
        if not isinstance(shape, (tuple, list)) or \
                not all(isinstance(d, sizes_allowed) and not isinstance(d, bool) and (d is None or d >= 0) for d in shape):
            return self.ev.unknown(f"{name}() shape not known statically", node)
        return Tensor(tuple(shape), eager=None not in shape)

    def apply_tensor_function(self, op, args, kwargs, node):
        """keras.ops.mean(x, axis=-1) and the like: an unlisted node with the function's output shape."""
        operands, options, ignored = tensor_ops.bind(op, args, kwargs)
        if ignored:
            return self.ev.unknown(f"{op.name}(): argument {', '.join(ignored)} is not modelled", node)
        if op.tensor_args == 0:
            operands = operands[0] if isinstance(operands[0], (list, tuple)) else operands
        operands = [self.as_tensor(v) for v in operands]
        tensors = [v for v in operands if isinstance(v, Tensor)]
        constants = {i: v for i, v in enumerate(operands) if isinstance(v, (int, float)) and not isinstance(v, bool)}
        if tensors and op.name in ELEMENTWISE_BINARY:
            # `j - n_src` with n_src = tf.shape(x)[2] of a run-time length: a scalar whose value only is unknown.
            constants.update({i: None for i, v in enumerate(operands) if v is None})
        if not tensors and operands and len(constants) == len(operands) and op.tensor_args:
            return self.scalar_function(op, operands, options, node)
        if not tensors or len(tensors) + len(constants) != len(operands):
            return self.ev.unknown(f"{op.name}() on values that are not tensors", node)
        position = self.ev.position(node)
        function = TensorFunction(op, options, constants)
        if not all(t.eager for t in tensors) and not self.tracing:
            # Symbolic ops take names from the layers' counter; inside a custom layer's call()
            # Keras traces with backend tensors, which make no operations.
            function.name = self.auto_name(op.name)
        shape = None
        numbers = dims.data_names([t.shape for t in tensors]) if not function.named_sizes else set()
        if numbers:  # Keras has a number there, which this function's shape rule cannot be given
            self.ev.report(Unresolved.code, f"{op.name}(): its input's shape depends on {', '.join(sorted(numbers))}, "
                           "a number read from data, which archlint does not follow through this function", position)
        elif all(t.shape is not None for t in tensors):
            try:
                # A dtype changes no shape: `cast(x, self.compute_dtype)` of a dtype not known is still x's shape.
                known({name: value for name, value in options.items() if name != "dtype"}, f"{op.name}() arguments")
                if self.tracing and op.name == "reshape" and _run_time_size_beside_minus_one(options.get("newshape")):
                    shape = tensor_ops.traced_reshape(tensors[0].shape, tuple(options["newshape"]))
                else:
                    shapes = [t.shape for t in tensors]
                    shape = function.compute_output_shape(*(shapes if function.named_sizes else self.sizes_unnamed(shapes)))
            except LayerError as exc:
                self.ev.report(exc.code, f"{op.name}(): {exc.message}", position)
            except Unresolved as exc:
                self.ev.report(Unresolved.code, f"{op.name}(): {exc.reason}", position)
            except (TypeError, ValueError) as exc:
                self.ev.report(Unresolved.code, f"{op.name}(): arguments not understood ({exc})", position)
        return self.record(function, tensors, shape, position, listed=False)

    def scalar_function(self, op, numbers, options, node):
        """tf.cast(8, tf.float32), ops.sqrt(64.0): a tensor function of plain numbers is a number."""
        if op.name == "cast":
            dtype = options.get("dtype")
            dtype = dtype.leaf if isinstance(dtype, Ref) else dtype
            if not isinstance(dtype, str):
                return self.ev.unknown("cast() to a dtype not known statically", node)
            return (int if "int" in dtype else bool if dtype == "bool" else float)(numbers[0])
        try:
            value = np.asarray(op.forward(*(np.float64(n) for n in numbers), **options))
        except (TypeError, ValueError, ArithmeticError) as exc:
            return self.ev.unknown(f"{op.name}() of numbers failed statically: {exc}", node)
        return value.item() if value.shape == () else self.ev.unknown(f"{op.name}() of numbers", node)

    def range_tensor(self, name: str, args, kwargs, node):
        """keras.ops.arange / tf.range: a constant vector; a bound taken from a run-time shape gives length None."""
        options = tensor_ops.range_options(tensor_ops.RANGE_FUNCTIONS[name], args, kwargs)
        if not all(v is None or isinstance(v, (int, float)) and not isinstance(v, bool) for v in options.values()):
            return self.ev.unknown(f"{name}() of values not known statically", node)
        function = TensorFunction(tensor_ops.OPS["arange"], options, {})
        position = self.ev.position(node)
        try:
            shape = function.compute_output_shape()
        except LayerError as exc:
            self.ev.report(exc.code, f"arange(): {exc.message}", position)
            shape = None
        return self.record(function, [], shape, position, listed=False)

    def literal_tensor(self, name: str, args, kwargs, node):
        """tf.constant([[1, 2], [3, 4]]), np.array(rows) and the like: a constant tensor of the nested lists' shape.
        Of a tensor, convert_to_tensor and the like give that tensor."""
        value = args[0] if args else kwargs.get(tensor_ops.LITERAL_TENSOR_FUNCTIONS[name])
        if isinstance(value, Unknown):
            return value
        if isinstance(value, (Tensor, Weight)):
            options = {k: v for k, v in kwargs.items() if k in tensor_ops.OPS["convert_to_tensor"].options}
            return self.apply_tensor_function(tensor_ops.OPS["convert_to_tensor"], [value], options, node)
        if name == "tensorflow.constant" and (len(args) > 2 or kwargs.get("shape") is not None):
            return self.ev.unknown(f"{name}() with a shape is not modelled", node)
        ndmin = kwargs.get("ndmin", 0) if name.startswith("numpy.") else 0
        if tensor_ops.literal_shape(value) is None or not isinstance(ndmin, int) or isinstance(ndmin, bool):
            return self.ev.unknown(f"{name}() of {described(value)} is not modelled (only equally long nested lists "
                                   "of numbers are)", node)
        function = TensorFunction(tensor_ops.OPS["constant"], {"value": value, "ndmin": ndmin}, {})
        return self.record(function, [], function.compute_output_shape(), self.ev.position(node), listed=False)

    def meshgrid_tensors(self, args, kwargs, node):
        """np.meshgrid(x, y) and the like: a tuple of tensors, one per input (sparse grids are not modelled)."""
        if set(kwargs) - {"indexing"} or not args:
            return self.ev.unknown("meshgrid() of these arguments is not modelled", node)
        # np.linspace gives a list of numbers (builtins.py): a list is the vector of its numbers here.
        tensors = [self.literal_tensor("numpy.array", [value], {}, node) if isinstance(value, list) else value
                   for value in args]
        return tuple(self.apply_tensor_function(tensor_ops.OPS["meshgrid"], [tensors], {"index": index, **kwargs},
                                                node) for index in range(len(args)))

    def linspace_tensor(self, name: str, args, kwargs, node):
        """ops.linspace / tf.linspace of numbers: a constant vector of `num` values."""
        options = tensor_ops.linspace_options(name, args, kwargs)
        if "axis" in kwargs or kwargs.get("endpoint", True) is not True or kwargs.get("retstep", False) is not False \
                or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in options.values()) \
                or not isinstance(options["num"], int) or options["num"] < 0:
            return self.ev.unknown(f"{name}() of values not known statically", node)
        function = TensorFunction(tensor_ops.OPS["linspace"], options, {})
        return self.record(function, [], function.compute_output_shape(), self.ev.position(node), listed=False)

    @staticmethod
    def as_tensor(value):
        """A layer's weight used in its call() is a tensor of the weight's shape; other values stay."""
        return Tensor(value.shape, eager=True) if isinstance(value, Weight) else value

    def tensor_binary(self, op: str, left, right, node):
        if op not in tensor_ops.OPERATORS:
            return self.ev.unknown(f"operator {op} on tensors is not modelled", node)
        return self.apply_tensor_function(tensor_ops.OPS[tensor_ops.OPERATORS[op]], [left, right], {}, node)

    def tensor_unary(self, tensor: Tensor, node):
        return self.apply_tensor_function(tensor_ops.OPS["negative"], [tensor], {}, node)

    def tensor_subscript(self, tensor: Tensor, key, node):
        if isinstance(key, str) and tensor.node is not None and isinstance(tensor.node.layer, OpaqueLayer):
            return Tensor(None, tensor.node, tensor.index)  # an entry of the dict it returns: no operation in Keras
        if tensor.of_sequences:  # x_train[:200] is sequences still; x_train[0] one review's list of word indices
            if not isinstance(key, slice):
                return self.ev.unknown("an item of an array of sequences (imdb, reuters) is a list of its own length",
                                       node)
            result = self.apply_tensor_function(tensor_ops.OPS["get_item"], [tensor], {"key": key}, node)
            if isinstance(result, Tensor):
                result.of_sequences = True
            return result
        return self.apply_tensor_function(tensor_ops.OPS["get_item"], [tensor], {"key": key}, node)

    def subscript(self, value, key, node):
        return self.ev.unknown(f"subscript of {described(value)} is not modelled", node)


def _training_method(name: str):
    """fit, evaluate or predict: their Keras 1 arguments are reported; the result is known at run time only."""
    def run(api: KerasApi, owner, args, kwargs, node):
        if isinstance(owner, Model):
            keras3_checks.training_arguments(api.ev, name, kwargs, node)
        return api.ev.unknown(f"the result of {name}() is known only at run time", node)
    return run


def _reduction_method(name: str):
    """A NumPy array's x.mean(axis=0) and the like."""
    def run(api: KerasApi, owner, args, kwargs, node):
        return api.apply_tensor_function(tensor_ops.OPS[name], [owner, *args], kwargs, node)
    return run


def _named_function(method, name: str):
    """A KerasApi method taking the function's name too, as a function of the call alone."""
    return lambda api, args, kwargs, node: method(api, name, args, kwargs, node)


# The functions of Keras, TensorFlow and NumPy the API computes itself, by canonical name: fn(api, args, kwargs, node).
FUNCTIONS = {
    **dict.fromkeys(("keras.Input", "keras.layers.Input"), KerasApi.make_input),
    **dict.fromkeys(("keras.Sequential", "keras.models.Sequential"), KerasApi.make_sequential),
    **dict.fromkeys(("keras.Model", "keras.models.Model", "keras.models.Functional",
                     "keras.models.functional.Functional"), KerasApi.make_functional),
    **dict.fromkeys(("keras.ops.shape", "keras.backend.int_shape", "tensorflow.shape", "numpy.shape"),
                    KerasApi.shape_function),
    **{name: _named_function(KerasApi.concrete_tensor, name) for name in tensor_ops.TENSOR_FACTORIES},
    **{name: _named_function(KerasApi.range_tensor, name) for name in tensor_ops.RANGE_FUNCTIONS},
    **{name: _named_function(KerasApi.linspace_tensor, name) for name in tensor_ops.LINSPACE_FUNCTIONS},
    **{name: _named_function(KerasApi.literal_tensor, name) for name in tensor_ops.LITERAL_TENSOR_FUNCTIONS},
    **dict.fromkeys(tensor_ops.MESHGRID_FUNCTIONS, KerasApi.meshgrid_tensors),
    **HELPERS,
}

# The methods of Keras layers and models: fn(api, owner, args, kwargs, node), None for an owner they do not apply to.
LAYER_METHODS = {
    "add": KerasApi.sequential_add_method,
    "build": KerasApi.build_method,
    "compute_output_shape": KerasApi.compute_output_shape_method,
    "get_layer": KerasApi.get_layer_method,
    "compile": KerasApi.compile_method,
    "add_weight": KerasApi.add_weight_method,
    "count_params": KerasApi.count_params_method,
    **{name: _training_method(name) for name in ("fit", "evaluate", "predict")},
}

# The methods of a NumPy array (a concrete tensor) the API follows: fn(api, tensor, args, kwargs, node).
TENSOR_METHODS = {
    "get_shape": KerasApi.get_shape_method,
    "reshape": KerasApi.reshape_method,
    "astype": KerasApi.astype_method,
    **dict.fromkeys(("flatten", "ravel"), KerasApi.flatten_method),
    **{name: _reduction_method(name) for name in ARRAY_REDUCTIONS},
}


@functools.lru_cache(maxsize=1024)
def _signature(cls: type, method: str) -> inspect.Signature:
    """A layer method's signature, self included: read once per class, not once per layer call."""
    return inspect.signature(getattr(cls, method))


def _shape_parameter_names(layer: Layer, shape_kwargs: dict) -> dict:
    """Keras builds a layer called as `mha(query=q, value=v)` with `query_shape` and `value_shape`."""
    if not shape_kwargs:
        return shape_kwargs
    accepted = set()
    for method in ("build", "compute_output_shape"):
        accepted.update(_signature(type(layer), method).parameters)
    return {f"{name}_shape" if name not in accepted and f"{name}_shape" in accepted else name: value
            for name, value in shape_kwargs.items()}


def _is_shape(value) -> bool:
    """A shape (a tuple of dimensions) or a list of shapes, as layers' compute_output_shape returns."""
    if isinstance(value, list):
        return all(_is_shape(item) for item in value)
    return isinstance(value, tuple) and all(d is None or isinstance(d, (int, str, dims.Size)) for d in value)


def _map_shapes(value, fn):
    """fn applied to each shape (a tuple of dimensions) inside lists and dicts of them."""
    if isinstance(value, tuple) and all(d is None or isinstance(d, (int, dims.Size)) for d in value):
        return StaticShape(fn(value)) if isinstance(value, StaticShape) else fn(value)
    if isinstance(value, (list, tuple)):
        return type(value)(_map_shapes(v, fn) for v in value)
    if isinstance(value, dict):
        return {k: _map_shapes(v, fn) for k, v in value.items()}
    return value


def _flatten(value):
    """Keras's tree.flatten: sequences in order, dicts by sorted key."""
    if isinstance(value, (list, tuple)):
        return [x for item in value for x in _flatten(item)]
    if isinstance(value, dict):
        return [x for key in sorted(value, key=str) for x in _flatten(value[key])]
    return [value]


def _declared_lambda_shape(args, kwargs) -> tuple | None:
    """The output shape a Lambda of the file's function is given as a tuple of sizes (without the batch), or None
    (a callable, a list or nested shapes, other arguments: not modelled)."""
    function = args[0] if args else kwargs.get("function")
    shape = args[1] if len(args) > 1 else kwargs.get("output_shape")
    if not isinstance(function, Function) or len(args) > 2 or \
            set(kwargs) - {"function", "output_shape", "mask", "arguments", "name", "trainable", "dtype"}:
        return None
    if not isinstance(shape, tuple) or not all(d is None or isinstance(d, int) and not isinstance(d, bool) and d >= 0
                                               for d in shape):
        return None
    return shape


def _run_time_size_beside_minus_one(newshape) -> bool:
    return isinstance(newshape, (list, tuple)) and any(d is None for d in newshape) and -1 in newshape


def _map_tensors(value, fn):
    if isinstance(value, Tensor):
        return fn(value)
    if isinstance(value, list):
        return [_map_tensors(v, fn) for v in value]
    if isinstance(value, tuple):
        return tuple(_map_tensors(v, fn) for v in value)
    if isinstance(value, dict):
        return {k: _map_tensors(v, fn) for k, v in value.items()}
    return value


CONSTRUCTORS = ("from_preset", "from_config")


def _as_shape_argument(value):
    """A shape given to build(): a tuple, or a list of tuples for a layer of several inputs."""
    if isinstance(value, list) and value and all(isinstance(v, (tuple, list)) for v in value):
        return [tuple(v) for v in value]
    return tuple(value) if isinstance(value, (tuple, list)) else value


def _input_fits(own, given) -> bool:
    """Whether Keras's input check of a built model lets `given` through its Input of shape `own`: every axis but
    the batch that both give as a number must agree, after a last axis of 1 is dropped from each (Keras's
    allow_last_axis_squeeze; the ranks themselves are not compared)."""
    if own is None or not isinstance(given, tuple):
        return True
    spec = (None,) + tuple(own[1:])
    given = given[:-1] if given and given[-1] == 1 else given
    spec = spec[:-1] if spec and spec[-1] == 1 else spec
    return all(not (_number(a) and _number(b)) or a == b for a, b in zip(spec, given))


def _number(dim) -> bool:
    return isinstance(dim, int) and not isinstance(dim, bool)


def _shape_text(shape) -> str:
    return "(" + ", ".join("None" if not _number(d) else str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def _first_layer_input(layer: Layer) -> tuple | None:
    """The batch shape a Sequential takes from its first layer, as Keras's Sequential builds itself: the
    layer's `input_shape=` argument, or the single input of a model that has one (ResNet50(input_shape=...))."""
    if layer.input_shape_arg is not None:
        return (getattr(layer, "input_batch_size", None),) + layer.input_shape_arg
    if isinstance(layer, FunctionalModel) and len(layer.inputs) == 1:
        return layer.inputs[0].shape
    if isinstance(layer, SequentialModel) and layer.input_tensor is not None:
        return layer.input_tensor.shape
    return None


def _library_model_class(qualname: str) -> str | None:
    """`BertBackbone` for keras_hub.models.BertBackbone(...) or its .from_preset(...); None for other callables."""
    parts = qualname.split(".")
    if parts[0] not in project_modules.MODEL_LIBRARIES:
        return None
    if parts[-1] in CONSTRUCTORS:
        parts.pop()
    return parts[-1] if len(parts) > 1 and parts[-1][:1].isupper() else None
