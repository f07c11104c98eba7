"""Classes defined in the checked code: plain classes, custom Keras layers and subclassed models.

A custom layer's weights come from its `build` (`self.add_weight(shape=...)`) and from the
layers it holds as attributes; its output shape from `compute_output_shape` when it has
one, else from evaluating `call` on symbolic tensors of the input shapes, as Keras's own
symbolic tracing does.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from archlint.errors import Unresolved
from archlint.evaluate.builtins import Builtin
from archlint.evaluate.objects import MODEL_METHODS_WITHOUT_EFFECT, Function, Method, StaticShape
from archlint.graph import Tensor
from archlint.keras_names import is_keras, is_keras_layer_name
from archlint.layers import layer_class
from archlint.layers.base import Layer, snake_case
from archlint.layers.opaque import OpaqueLayer
from archlint.models import Model
from archlint.values import Ref, Unknown

if TYPE_CHECKING:
    from archlint.evaluate.objects import EvaluatorServices, KerasServices

KERAS_BASES = ("Layer", "Model")
# What a subclass of a concrete Keras layer may change that archlint would then have to follow.
LAYER_METHODS = ("__init__", "build", "call", "compute_output_shape")


class UserClass:
    def __init__(self, name: str, bases: list, namespace: dict, keras_base: str | None,
                 layer_base: str | None = None, library: bool = False):
        self.name = name
        self.library = library  # defined by an installed package archlint reads (keras_hub), not the project
        self.bases = bases
        self.namespace = namespace
        self.keras_base = keras_base
        self.layer_base = layer_base  # a concrete Keras layer it subclasses (`Dense`), if any

    def mro(self) -> list["UserClass"]:
        order = [self]
        for base in self.bases:
            if isinstance(base, UserClass):
                order += [c for c in base.mro() if c not in order]
        return order

    def find(self, name: str, after: "UserClass | None" = None):
        """(class, value) of the first definition of `name` in the MRO, after `after` if given."""
        classes = self.mro()
        if after is not None and after in classes:
            classes = classes[classes.index(after) + 1:]
        for cls in classes:
            if name in cls.namespace:
                return cls, cls.namespace[name]
        return None, None


class UserObject:
    """An instance of a plain class defined in the checked code."""

    def __init__(self, cls: UserClass):
        self.cls = cls
        self.attrs: dict = {}


class BoundMethod:
    def __init__(self, owner, cls: UserClass, function):
        self.owner = owner
        self.cls = cls
        self.function = function


class Super:
    """`super()` inside a method of `cls`, for `owner`."""

    def __init__(self, owner, cls: UserClass):
        self.owner = owner
        self.cls = cls


class UserLayer(Layer):
    """An instance of a Keras Layer or Model subclass defined in the checked code."""

    def __init__(self, cls: UserClass, classes):
        super().__init__()
        self.cls = cls
        self.attrs: dict = {}
        self.classes = classes  # the UserClasses machinery, to run methods
        self.compile_args: dict = {}
        # A Model subclass initialized with inputs and outputs is a functional model of that class
        # (Unknown when they are not known statically).
        self.functional = None

    @property
    def type_name(self) -> str:
        return self.cls.name

    @property
    def is_model(self) -> bool:
        return self.cls.keras_base == "Model"

    def call_parameters(self) -> list[str]:
        """The positional parameters of the class's call() after self (none when it defines no call())."""
        call = self.cls.find("call")[1]
        return _parameter_names(call, keyword_only=False)[1:] if isinstance(call, Function) else []

    def held_layers(self) -> list[Layer]:
        """Layers held as attributes (directly or in lists, tuples and dicts): Keras tracks their weights."""
        found: dict[int, Layer] = {}

        def collect(value):
            if isinstance(value, Layer) and value is not self:
                found.setdefault(id(value), value)
            elif isinstance(value, (list, tuple)):
                for item in value:
                    collect(item)
            elif isinstance(value, dict):
                for item in value.values():
                    collect(item)

        for value in self.attrs.values():
            collect(value)
        return list(found.values())

    def inner_layers(self):
        inner = self.held_layers()
        return inner + [self.functional] if isinstance(self.functional, Layer) else inner

    def all_weights(self):
        if isinstance(self.functional, Layer):
            return self.functional.all_weights()
        found = [(self, w) for w in self.weights]
        for layer in self.held_layers():
            found.extend(layer.all_weights())
        return found

    def build(self, *shapes, **kwargs):
        if self.functional is None:
            self.classes.run_build(self, shapes, kwargs)
        elif isinstance(self.functional, Unknown):
            raise Unresolved(f"{self.cls.name}'s graph is not known statically ({self.functional.reason})")

    def compute_output_shape(self, *shapes, **kwargs):
        if isinstance(self.functional, Layer):
            return self.functional.compute_output_shape(*shapes, **kwargs)
        return self.classes.output_shape(self, shapes, kwargs)

    def count_macs(self, input_shapes, output_shapes):
        return None  # its call is the checked code's own: what it multiplies is not modelled


class TracedLambda(Layer):
    """keras.layers.Lambda of a function defined in the checked file.

    Keras finds its output shape by calling the function on symbolic tensors; so does archlint.
    It holds no weights; what the function computes is the checked code's own, so its MACs are unknown.
    """

    def __init__(self, function, arguments, api, **kwargs):
        super().__init__(**kwargs)
        self.function = function
        self.arguments = arguments if isinstance(arguments, dict) else {}
        self.api = api

    @property
    def type_name(self) -> str:
        return "Lambda"

    def compute_output_shape(self, input_shape, **kwargs):
        self.api.tracing += 1
        try:
            result = self.api.ev.call(self.function, [_symbolic(input_shape)], dict(self.arguments), None)
        finally:
            self.api.tracing -= 1
        if isinstance(result, Unknown):
            raise Unresolved(f"the Lambda's function gives a value not known statically ({result.reason})")
        return _traced_shapes(result, "the Lambda's function")

    def count_macs(self, input_shapes, output_shapes):
        return None


class DeclaredLambda(TracedLambda):
    """keras.layers.Lambda(fn, output_shape=(1,)): Keras takes the output shape given, after the first size of its
    input's (the batch), without calling the function."""

    def __init__(self, function, output_shape: tuple, arguments, api, **kwargs):
        super().__init__(function, arguments, api, **kwargs)
        self.declared_shape = output_shape

    def compute_output_shape(self, input_shape, **kwargs):
        first = input_shape
        while isinstance(first, list) and first:  # tree.flatten(input_shape)[0]: the first input's first size
            first = first[0]
        return (first[0] if isinstance(first, tuple) and first else None, *self.declared_shape)


class UserClasses:
    """Creating, calling and inspecting instances of classes defined in the checked code."""

    def __init__(self, api: KerasServices):
        self.api = api
        self.ev: EvaluatorServices = api.ev

    def make(self, name: str, bases: list, namespace: dict) -> UserClass:
        keras_base = layer_base = None
        for base in bases:
            if isinstance(base, Ref) and is_keras(base.qualname) and base.leaf in KERAS_BASES:
                keras_base = base.leaf
            elif isinstance(base, Ref) and is_keras_layer_name(base.qualname):
                layer_base = base.leaf
            elif isinstance(base, UserClass) and (base.keras_base or base.layer_base):
                keras_base, layer_base = base.keras_base, base.layer_base
        return UserClass(name, bases, namespace, keras_base, layer_base, self.ev.in_library_code())

    def layer_subclass(self, cls: UserClass, args, kwargs, node) -> Layer:
        """An instance of a subclass of a concrete Keras layer: that layer itself under the subclass's name
        when the subclass changes none of its methods, else one layer of unknown shape and parameters."""
        changed = [name for name in LAYER_METHODS if cls.find(name)[1] is not None]
        modelled = layer_class(f"keras.layers.{cls.layer_base}")
        if changed == ["call"] and modelled is not None:
            # Its weights are the Keras layer's (build is not changed); what its own call gives is not followed.
            reason = f"{cls.name} subclasses keras.layers.{cls.layer_base} and overrides its call"
            return self.api.construct_layer(_call_rewritten(modelled, cls.name, reason), args, kwargs, node)
        if changed or modelled is None:
            why = f"overrides its {', '.join(changed)}" if changed else "archlint does not model that layer"
            layer = OpaqueLayer(cls.name, f"{cls.name} subclasses keras.layers.{cls.layer_base} and {why}")
            self.ev.report(Unresolved.code, f"{layer.reason}: its output shape and parameters are unknown", node)
            return self.api.name_layer(layer, node)
        return self.api.construct_layer(_renamed(modelled, cls.name), args, kwargs, node)

    def instantiate(self, cls: UserClass, args, kwargs, node):
        if cls.layer_base and not cls.keras_base:
            return self.layer_subclass(cls, args, kwargs, node)
        owner_cls, init = cls.find("__init__")
        if cls.keras_base == "Model" and init is None and _functional_arguments(args, kwargs):
            # Keras's Model.__new__ makes `MyModel(inputs, outputs)` a functional model of that graph.
            if not isinstance(kwargs.get("name"), str):
                kwargs = {**kwargs, "name": self.api.auto_name(snake_case(cls.name))}
            return self.api.make_functional(list(args), dict(kwargs), node)
        if cls.keras_base:
            obj = UserLayer(cls, self)
            obj.origin = self.ev.position(node)
        else:
            obj = UserObject(cls)
        if init is not None:
            self.call_method(obj, owner_cls, init, args, kwargs, node)
        elif cls.keras_base:
            self.layer_init(obj, args, kwargs, node)
        if isinstance(obj, UserLayer) and obj.name is None:
            obj.name = self.api.auto_name(snake_case(cls.name))
        return obj

    def layer_init(self, layer: UserLayer, args, kwargs, node) -> None:
        """Keras's Layer.__init__ arguments: a name, trainable, dtype (others are accepted silently);
        a Model's inputs and outputs make it a functional model, as Model.__init__ does."""
        name = kwargs.get("name")
        layer.name = name if isinstance(name, str) else layer.name or self.api.auto_name(snake_case(layer.cls.name))
        if isinstance(kwargs.get("trainable"), bool):
            layer.trainable = kwargs["trainable"]
        if layer.is_model and (len(args) >= 2 or "inputs" in kwargs and "outputs" in kwargs):
            functional = self.api.make_functional(list(args), {**kwargs, "name": layer.name}, node)
            # A graph that is not known (its AL301 is reported) leaves the model incomplete, not empty.
            layer.functional = functional
            layer.built = not isinstance(functional, Unknown)

    def call_method(self, owner, cls: UserClass, function, args, kwargs, node, star=None, double_star=None):
        self.ev.method_classes.append((cls, owner))
        try:
            return self.ev.call_function(function, [owner, *args], kwargs, node, star, double_star)
        finally:
            self.ev.method_classes.pop()

    def make_super(self, node):
        if not self.ev.method_classes:
            return self.ev.unknown("super() outside a method", node)
        cls, owner = self.ev.method_classes[-1]
        return Super(owner, cls)

    # -- attributes -----------------------------------------------------------------------

    def get_attribute(self, obj, name: str, node):
        if isinstance(obj, Super):
            return self.super_attribute(obj, name, node)
        if isinstance(obj, UserClass):
            if name == "from_preset" and obj.library:
                return Builtin(f"{obj.name}.from_preset",
                               lambda ev, *args, **kwargs: self.api.preset_model(obj.name, kwargs, node))
            _, value = obj.find(name)
            return value if value is not None else self.ev.unknown(f"{obj.name}.{name} is not defined", node)
        if name in obj.attrs:
            return obj.attrs[name]
        cls, value = obj.cls.find(name)
        if value is not None:
            return self.bind(obj, cls, value)
        if isinstance(obj, UserLayer):
            if name in ("name", "trainable", "built"):
                return getattr(obj, name)
            if name in ("add_weight", "count_params") or \
                    obj.is_model and (name in ("build", "compile") or name in MODEL_METHODS_WITHOUT_EFFECT):
                return Method(obj, name)
            if obj.is_model and name == "layers":
                return obj.held_layers()
            if isinstance(obj.functional, Model):
                # A functional model of a Model subclass (a keras_hub backbone): its graph's inputs, outputs, layers.
                if name == "_flatten_layers":  # Keras's own walk over the model's layers
                    return Builtin("_flatten_layers", lambda ev, *args, **kwargs: obj.functional.listed_layers())
                return self.api.get_attribute(obj.functional, name, node)
        return self.ev.unknown(f"attribute `{name}` of {obj.cls.name} is not known", node)

    def bind(self, obj, cls, value):
        if not isinstance(value, Function) or value.method_kind == "staticmethod":
            return value
        if value.method_kind == "classmethod":
            return BoundMethod(obj.cls, cls, value)
        if value.method_kind == "property":
            return self.call_method(obj, cls, value, [], {}, None)
        return BoundMethod(obj, cls, value)

    def set_attribute(self, obj, name: str, value) -> None:
        obj.attrs[name] = value
        if isinstance(obj, UserLayer) and name == "trainable" and isinstance(value, bool):
            obj.set_trainable(value)
        elif isinstance(obj, UserLayer) and name == "name" and isinstance(value, str):
            obj.name = value

    def super_attribute(self, sup: Super, name: str, node):
        cls, value = sup.owner.cls.find(name, after=sup.cls)
        if value is not None:
            return self.bind(sup.owner, cls, value)
        if isinstance(sup.owner, UserLayer) and name == "__init__":
            return Builtin("Layer.__init__", lambda ev, *args, **kwargs: self.layer_init(sup.owner, args, kwargs, node))
        if name == "get_config":
            return Builtin("get_config", lambda ev, *args, **kwargs: {})
        return Builtin(name, lambda ev, *args, **kwargs: None)

    # -- custom layers ----------------------------------------------------------------------

    def add_weight(self, layer: UserLayer, args, kwargs, node):
        shape = args[0] if args else kwargs.get("shape")
        shape = () if shape is None else shape
        shape = (shape,) if isinstance(shape, int) else shape
        if not isinstance(shape, (tuple, list)) or not all(isinstance(d, int) and not isinstance(d, bool) for d in shape):
            reason = shape.reason if isinstance(shape, Unknown) else f"shape {shape!r}"
            raise Unresolved(f"{layer.name}.add_weight() with a shape not known statically ({reason})")
        name = kwargs.get("name")
        trainable = kwargs.get("trainable", True)
        return layer.add_weight(name if isinstance(name, str) else f"variable_{len(layer.weights)}", shape,
                                trainable if isinstance(trainable, bool) else True)

    def build_from_shape(self, layer: UserLayer, args, kwargs, node) -> None:
        """layer.build(shape): runs the class's own build; without one, Keras 3 builds none of its layers."""
        shape = args[0] if args else kwargs.get("input_shape")
        if layer.cls.find("build")[1] is not None:
            if not layer.built and isinstance(shape, (tuple, list)):
                self.run_build(layer, [tuple(shape)])
            elif not layer.built:
                self.api.unknown_build(layer, node)
        elif layer.is_model:
            self.ev.report(Unresolved.code,
                           f"{layer.cls.name}.build(shape) does not build the layers of a subclassed model "
                           "in Keras 3; call the model on keras.Input(...) to build them", node)
        layer.built = True

    def run_build(self, layer: UserLayer, shapes, kwargs=None) -> None:
        cls, build = layer.cls.find("build")
        if build is not None:
            args, named = self.shape_arguments(layer, build, shapes, kwargs or {})
            self.checked(self.call_method(layer, cls, build, args, named, None), layer, "build()")
        elif layer.cls.find("compute_output_shape")[1] is not None and \
                any(not inner.built for inner in layer.held_layers()):
            # Keras builds the layers a layer without build() holds by tracing its call (its output shape then
            # comes from compute_output_shape, which builds nothing).
            try:
                self.traced_call(layer, shapes, kwargs or {})
            except Unresolved as exc:  # known enough when the trace reached every layer it holds
                unbuilt = [inner.name for inner in layer.held_layers() if not inner.built]
                if unbuilt:
                    layer.unknown_params_reason = (f"Keras builds {', '.join(unbuilt)} by tracing its call, which "
                                                   f"archlint cannot follow: {exc.reason}")

    def output_shape(self, layer: UserLayer, shapes, kwargs):
        cls, compute = layer.cls.find("compute_output_shape")
        if compute is not None:
            args, named = self.shape_arguments(layer, compute, shapes, kwargs)
            result = self.checked(self.call_method(layer, cls, compute, args, named, None), layer,
                                  "compute_output_shape()")
            return _as_shape(result, layer)
        return self.traced_call(layer, shapes, kwargs)

    def shape_arguments(self, layer: UserLayer, method, shapes, kwargs) -> tuple[list, dict]:
        """The arguments Keras gives the layer's build() or compute_output_shape() for a call on tensors of these
        shapes (`kwargs`: by the call's argument names; Keras's update_shapes_dict_for_target_fn): a method of
        one argument gets the first tensor's shape; one of several, `NAME_shape` for each tensor argument NAME."""
        _, call = layer.cls.find("call")
        call_names = _parameter_names(call)[1:] if call is not None else []
        given = {name: shape for name, shape in zip(call_names, shapes) if name != "mask"}  # Keras leaves a mask out
        given.update({name: value for name, value in kwargs.items() if name != "mask" and _holds_shapes(value)})
        in_call_order = [name for name in call_names if name in given] + [name for name in given if name not in call_names]
        names = _parameter_names(method)[1:]
        if len(names) == 1:
            return [shapes[0] if shapes else given[in_call_order[0]] if given else None], {}
        given = {f"{name}_shape": given[name] for name in in_call_order}
        missing = [name for name in names if not name.endswith("_shape") or name[:-len("_shape")] not in call_names]
        if missing or not names:
            return list(shapes), {}  # Keras refuses such a signature; archlint evaluates the method as written
        return [], {name: shape for name, shape in given.items() if name in names}

    def traced_call(self, layer: UserLayer, shapes, kwargs):
        """The output shape(s) of the layer's call() traced on symbolic tensors, as Keras traces it; the inner
        layers' nodes stay inside this layer."""
        cls, call = layer.cls.find("call")
        if call is None:
            raise Unresolved(f"custom layer {layer.cls.name} defines neither call() nor compute_output_shape()")
        inputs = [_symbolic(shape) for shape in shapes]
        self.api.tracing += 1
        try:
            result = self.call_method(layer, cls, call, inputs, keyword_tensors(kwargs), None)
        finally:
            self.api.tracing -= 1
        return _output_shapes(self.checked(result, layer, "call()"), layer)

    def checked(self, value, layer, what):
        if isinstance(value, Unknown):
            raise Unresolved(f"{layer.cls.name}.{what} gives a value not known statically ({value.reason})")
        return value


def _parameter_names(function, keyword_only: bool = True) -> list[str]:
    """A function's parameters that take one argument each (self included), in order; `keyword_only`: also those
    after `*`."""
    params = function.node.params
    return [p.name.value for p in (*params.posonly_params, *params.params,
                                   *(params.kwonly_params if keyword_only else ()))]


def _holds_shapes(value) -> bool:
    """Whether a keyword argument of a layer call was a tensor (its shape, marked so) or tensors."""
    if isinstance(value, StaticShape):
        return True
    return isinstance(value, (list, tuple)) and bool(value) and all(_holds_shapes(v) for v in value)


def _functional_arguments(args, kwargs) -> bool:
    """Whether a Model is constructed as Keras's functional API is: with inputs and outputs."""
    return len(args) >= 2 or len(args) == 1 and "outputs" in kwargs or "inputs" in kwargs and "outputs" in kwargs


def keyword_tensors(kwargs):
    """The keyword arguments of a traced call(): a tensor's shape (passed as one) becomes a symbolic tensor again;
    another tuple is a shape some other caller gave, which call() never takes."""
    return {k: _symbolic(v) if isinstance(v, StaticShape) else v for k, v in kwargs.items()
            if isinstance(v, StaticShape) or not isinstance(v, tuple)}


def _symbolic(shape):
    if isinstance(shape, list):
        return [_symbolic(s) for s in shape]
    if isinstance(shape, dict):  # a dict of tensors passed to call() stays a dict, by the same keys
        return {key: _symbolic(s) for key, s in shape.items()}
    if isinstance(shape, tuple) and shape and all(isinstance(s, (tuple, list, dict)) for s in shape):
        return tuple(_symbolic(s) for s in shape)  # a tuple of tensors, where a shape holds sizes
    if shape is None:  # call(x, None): Keras lets None through where it takes only tensors positionally
        return None
    return Tensor(tuple(shape))


def _output_shapes(result, layer):
    return _traced_shapes(result, f"{layer.cls.name}.call()")


def _traced_shapes(result, what: str):
    """The output shape(s) of a traced call: a tensor's shape, or a list of them."""
    if isinstance(result, Tensor):
        if result.shape is None:
            raise Unresolved(f"{what} gives a tensor of unknown shape")
        return result.shape
    if isinstance(result, (list, tuple)) and result and all(isinstance(t, Tensor) for t in result):
        return [_traced_shapes(t, what) for t in result]
    raise Unresolved(f"{what} does not return tensors archlint can follow")


def _as_shape(result, layer):
    if isinstance(result, (tuple, list)) and all(d is None or isinstance(d, int) for d in result):
        return tuple(result)
    if isinstance(result, list) and all(isinstance(s, tuple) for s in result):
        return result
    raise Unresolved(f"{layer.cls.name}.compute_output_shape() gives {result!r}")


@functools.lru_cache(maxsize=256)
def _call_rewritten(layer_class: type, name: str, reason: str) -> type:
    """The modelled Keras layer class under a subclass's name, with its weights, when the subclass rewrites only
    its call: an application's output is unknown, for `reason`."""
    def unknown_output(self, *args, **kwargs):
        raise Unresolved(reason)
    return type(name, (layer_class,), {"compute_output_shape": unknown_output, "forward": unknown_output})


def _renamed(layer_class: type, name: str) -> type:
    """The modelled Keras layer class under a subclass's name, which Keras shows as the layer's type."""
    return type(name, (layer_class,), {})
