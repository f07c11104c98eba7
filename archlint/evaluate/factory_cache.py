"""The models Keras Applications factories build (`keras.applications.ResNet50(weights=None)`), kept on disk
between runs, so that the next file calling the same factory with the same arguments reads neither
Keras's source nor evaluates it.

An entry holds what the call did, as plain data in the library cache (`.archlint_cache/libraries/`,
signed): every object it made (layers with their arguments and weights, the layer graph's nodes and
tensors, models, findings) as its class and attributes, and what it changed in the evaluation (the
nodes added to the layer graph, the models made, the findings, names numbered, calls counted).
Rebuilding gives the very objects evaluating gives, so whatever the checked code does with the model
next (call it on other shapes, set trainable, take its layers, nest it, --expand-nested, --verify)
goes as it would. The entry is keyed on archlint's version (and, as every cache entry, written and read by the
same archlint code: `disk_cache.code_fingerprint`), the factory, the call's arguments (each plain data:
numbers, strings, None, tuples, lists and dicts of them), the image data format, the --input-shape settings
and the library file read (path, size, modification time, digest), and holds the digest of each library module
read before the call, which it may use; the numbers Keras would give the layers it names depend on the names
numbered before, which the entry says and a replay checks.

A call is kept only when everything it made and did can be said this way; anything else (a user class
in the library's code, named sizes, a finding the code made before at the same place, another file
read) leaves the call to be evaluated every time. So the cache changes how fast a result comes, never
the result.
"""

from __future__ import annotations

import collections
import functools
import importlib
import os

import libcst as cst

from archlint import disk_cache
from archlint.evaluate import library_cache, project_modules, reads
from archlint.evaluate.objects import Event
from archlint.graph import Node, Position, Tensor
from archlint.keras_names import canonical
from archlint.layers.base import Layer, Weight
from archlint.values import Ref, Unknown
from archlint.version import __version__

FORMAT = 3
KIND = "factory"
_PLAIN_CLASSES = (Weight, Tensor, Node, Event, Unknown, Ref)


class NotKept(Exception):
    """The call made or did something an entry cannot say: it is evaluated every time."""


def plain(value):
    """A call's argument as JSON that tells tuples from lists; NotKept for anything but plain data."""
    if value is None or type(value) in (bool, int, str):
        return value
    if type(value) is float:
        return {"float": repr(value)}
    if type(value) in (tuple, list):
        return {type(value).__name__: [plain(item) for item in value]}
    if type(value) is dict and all(type(key) is str for key in value):
        return {"dict": [[key, plain(item)] for key, item in value.items()]}
    raise NotKept(f"an argument is {type(value).__name__}")


def factory_source(qualname: str) -> tuple[str, str, str] | None:
    """For a public Keras Applications factory (`keras.applications.ResNet50`): its source module, its name
    there and the file defining it; None for any other name."""
    module_name, leaf = qualname.rsplit(".", 1)
    index = project_modules.public_index(module_name)
    if index is None or leaf not in index:
        return None
    source, original = index[leaf]
    if source == canonical(module_name) or not source.startswith("keras.src.applications."):
        return None
    keras = project_modules.installed_keras()
    path = project_modules.find(os.path.join(keras, "__init__.py"), source, 0) if keras else None
    return (source, original, path) if path is not None else None


class Recording:
    """What one factory call does to the evaluation, from its start to its end."""

    def __init__(self, api, key: list, factory_name: str, node):
        ev = self.ev = api.ev
        self.api, self.key, self.factory_name = api, key, factory_name
        self.entry = ev.position(node)
        if self.entry is None or ev.current_path != ev.path or api.tracing or ev.method_classes:
            raise NotKept("not called from the checked file's own code")
        if any(k[2] is None or k[2] == (self.entry.line, self.entry.column) for k in ev.reported):
            raise NotKept("a finding at this place already")  # it would hide the call's same findings
        self.label = _call_label(ev, factory_name, node)
        self.chain, self.call_ids = tuple(ev.chain), tuple(ev.call_ids)
        self.functions = list(ev.functions)
        self.nodes, self.models, self.events = len(api.graph.nodes), len(api.models), len(ev.events)
        self.calls, self.steps = ev.calls_made, ev.steps
        self.names, self.uids = dict(api.name_counts), dict(api.uids)
        self.modules = dict(ev.modules)
        self.untouched = _untouched(api)

    def started(self) -> None:
        """The factory's module is read: what its names hold now, which the call must leave as it is (a later
        call finds the module as this one left it, a replayed one as it was read)."""
        self.read = [value for path, value in self.ev.modules.items() if path not in self.modules]
        try:
            self.module_state = [_names_state(value) for value in self.read]
        except NotKept:
            self.module_state = None

    def finish(self, result, args, kwargs) -> None:
        """Store the entry when the call can be replayed exactly; otherwise nothing."""
        try:
            entry = self._entry(result, args, kwargs)
        except (NotKept, RecursionError):
            return
        library_cache.store(KIND, self.key, entry)

    def _entry(self, result, args, kwargs) -> dict:
        ev, api = self.ev, self.api
        if [plain(list(args)), plain(dict(kwargs))] != self.key[6:8]:
            raise NotKept("the call changed its arguments")
        if _untouched(api) != self.untouched:
            raise NotKept("the call changed what an entry does not hold")
        if len(self.read) != 1 or len(ev.modules) != len(self.modules) + 1 or self.module_state is None \
                or [_names_state(value) for value in self.read] != self.module_state:
            raise NotKept("the call read other files than the factory's module, or changed its names")
        nodes, models, events = api.graph.nodes[self.nodes:], api.models[self.models:], ev.events[self.events:]
        for model in models:
            origin = self.functions[0] if self.functions else self.factory_name
            if api.model_origin.get(id(model)) != origin:
                raise NotKept("a model made outside the factory's call")
        encoder = _Encoder(self)
        flags = [ev.library_events.get(id(event)) for event in events]
        return {
            # The library modules read before the call, which it may have used (Tiny2 calling tiny.head after Tiny
            # read tiny.py): each decides the result as the factory's own file does.
            "files": [[path, reads.digest(path)] for path in self.modules if ev.is_library_file(path)],
            "result": encoder.value(result),
            "nodes": [encoder.value(node) for node in nodes],
            "models": [encoder.value(model) for model in models],
            "events": [encoder.value(event) for event in events],
            "library_events": flags,
            "objects": encoder.table,
            "calls": ev.calls_made - self.calls,
            "steps": ev.steps - self.steps,
            "names": _counts_read(self.names, api.name_counts),
            "uids": _counts_read(self.uids, api.uids),
        }


def _names_state(module) -> list:
    """A module's names, each with the object it holds and that object's size when it is a container."""
    names = getattr(getattr(module, "frame", None), "names", None)
    if names is None:
        raise NotKept("not a module the evaluator read")
    return [(name, id(value), len(value) if isinstance(value, (list, dict, set)) else None)
            for name, value in names.items()]


def only_called(module: cst.Module) -> frozenset[str]:
    """The names the module imports once and otherwise only calls (`model = ResNet50(weights=None)`): bound to
    what they name, they are read when called, so that a call kept on disk reads no library file."""
    uses = _NameUses()
    module.visit(uses)
    return frozenset(name for name, count in uses.imports.items()
                     if count == 1 and uses.other[name] == 0)


class _NameUses(cst.CSTVisitor):
    """How often each name is bound by an import, and used otherwise than called by name."""

    def __init__(self):
        self.imports: collections.Counter = collections.Counter()
        self.other: collections.Counter = collections.Counter()
        self.callees: set[int] = set()

    def visit_ImportAlias(self, node: cst.ImportAlias) -> bool:
        bound = node.asname.name if node.asname is not None else node.name
        while isinstance(bound, cst.Attribute):  # `import a.b` binds `a`
            bound = bound.value
        if isinstance(bound, cst.Name):
            self.imports[bound.value] += 1
        return False

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Name):
            self.callees.add(id(node.func))

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        node.value.visit(self)  # `x.ResNet50` names an attribute, not the name ResNet50
        return False

    def visit_Arg(self, node: cst.Arg) -> bool:
        node.value.visit(self)  # `f(ResNet50=1)` names a parameter
        return False

    def visit_Name(self, node: cst.Name) -> None:
        if id(node) not in self.callees:
            self.other[node.value] += 1


def _call_label(ev, name: str, node) -> str:
    """How a chain names the factory's call, as the evaluator's call_function does."""
    line = ev.line_of(node)
    return f"{name}() called at {ev.line_label(line)}" if line else f"{name}()"


def _untouched(api) -> tuple:
    """What a factory call must leave as it was for its entry to say all it did."""
    from archlint import dims

    ev = api.ev
    return (len(api.eager_nodes), len(api.sightings), len(api.unknown_layer_inputs), len(api.unread_packages),
            repr(api.image_data_format), api.sizes_lost, len(ev.keras3_checked), len(dims._recorded),
            len(ev.entries), len(ev.functions), len(ev.chain),
            len(ev.data_numbers.taken), len(ev.data_numbers.sizes), len(ev.data_numbers.origins))


def _counts_read(before: dict, after) -> dict:
    """The names (or uids) the call numbered: each one's count before it and how many it took."""
    return {name: [before.get(name, 0), after[name] - before.get(name, 0)]
            for name in after if after[name] != before.get(name, 0)}


def _allowed(cls: type) -> bool:
    """The classes an entry may make: the layers and models archlint models Keras's with, and plain values."""
    if cls in _PLAIN_CLASSES:
        return True
    return issubclass(cls, Layer) and cls.__module__.startswith(("archlint.layers.", "archlint.models"))


class _Encoder:
    """Objects as a table of plain entries; a value is a JSON scalar, or [index] into the table. The table is
    filled one object at a time (a model's graph is deeper than Python's recursion goes)."""

    def __init__(self, recording: Recording):
        self.recording = recording
        self.table: list = []
        self.index: dict[int, int] = {}
        self.kept: list = []  # the objects encoded, alive while their ids are in `index`
        self.pending: list = []

    def value(self, value):
        """`value` as the entry says it; the objects it reaches are all in the table on return."""
        said = self.reference(value)
        while self.pending:
            number, item = self.pending.pop()
            self.table[number] = self.entry(item)
        return said

    def reference(self, value):
        if value is None or type(value) in (bool, int, str):
            return value
        if type(value) is float:
            return {"float": repr(value)}
        found = self.index.get(id(value))
        if found is None:
            found = self.index[id(value)] = len(self.table)
            self.kept.append(value)
            self.table.append(None)
            self.pending.append((found, value))
        return [found]

    def entry(self, value):
        kind = type(value)
        if kind is list:
            return ["list", [self.reference(item) for item in value]]
        if kind is tuple:
            return ["tuple", [self.reference(item) for item in value]]
        if kind is dict:
            if not all(type(key) is str for key in value):
                raise NotKept("a mapping by object")
            return ["dict", [[key, self.reference(item)] for key, item in value.items()]]
        if kind is Position:
            return ["position", *self.position(value)]
        if not _allowed(kind) or not hasattr(value, "__dict__") or _slots(kind):
            raise NotKept(f"{kind.__name__} objects are not kept")
        return ["object", f"{kind.__module__}:{kind.__qualname__}",
                [[name, self.reference(item)] for name, item in vars(value).items()]]

    def position(self, position: Position) -> tuple:
        """A place inside the call: the checked file's call site, then the chain and call numbers past it."""
        recording = self.recording
        entry, depth = recording.entry, len(recording.chain)
        if (position.line, position.column, position.end_line, position.end_column) != \
                (entry.line, entry.column, entry.end_line, entry.end_column) \
                or position.chain[:depth] != recording.chain or position.call_ids[:depth] != recording.call_ids \
                or position.chain[depth:depth + 1] != (recording.label,) \
                or position.call_ids[depth:depth + 1] != (recording.calls + 1,):
            raise NotKept("a position outside the factory's call")
        ids = [None if number is None else number - recording.calls for number in position.call_ids[depth + 1:]]
        if any(number is not None and number <= 1 for number in ids):
            raise NotKept("a position numbered before the factory's call")
        return list(position.chain[depth + 1:]), ids


def _slots(cls: type) -> bool:
    return any("__slots__" in vars(base) for base in cls.__mro__ if base is not object)


def key(api, qualname: str, source: tuple[str, str, str], args, kwargs) -> list | None:
    """The entry's key for calling the factory `qualname` (found at `source`) with these arguments, or None
    when the call is not kept."""
    ev = api.ev
    if ev.current_path != ev.path or not isinstance(api.image_data_format, str):
        return None
    try:
        arguments = [plain(list(args)), plain(dict(kwargs)), plain({k: v for k, v in sorted(ev.input_shapes.items())})]
        module_file = disk_cache.file_key(source[2])
    except (NotKept, OSError, RecursionError):
        return None
    return [FORMAT, __version__, canonical(qualname), source[0], source[1], module_file,
            *arguments, api.image_data_format]


def record(api, key: list, factory_name: str, node) -> Recording | None:
    try:
        return Recording(api, key, factory_name, node)
    except NotKept:
        return None


def replay(api, key: list, factory_name: str, node):
    """What the call stored under `key` gives, rebuilt into the evaluation; None when there is no such entry
    or it does not fit the evaluation as it is."""
    ev = api.ev
    entry = library_cache.load(KIND, key)
    if not isinstance(entry, dict):
        return None
    try:
        files = [(path, digest) for path, digest in entry["files"]]
        if not all(type(path) is str and type(digest) is str and reads.digest(path) == digest
                   for path, digest in files):
            return None
        recording = Recording(api, key, factory_name, node)
        for counts, current in ((entry["names"], api.name_counts), (entry["uids"], api.uids)):
            if any(current.get(name, 0) != before for name, (before, _) in counts.items()):
                return None
        decoder = _Decoder(recording, entry["objects"])
        result = decoder.value(entry["result"])
        nodes = [decoder.value(item) for item in entry["nodes"]]
        models = [decoder.value(item) for item in entry["models"]]
        events = [decoder.value(item) for item in entry["events"]]
        flags = entry["library_events"]
        calls, steps = entry["calls"], entry["steps"]
        if not (all(type(n) is Node for n in nodes) and all(isinstance(m, Layer) for m in models)
                and all(type(e) is Event for e in events) and len(flags) == len(events)
                and type(calls) is int and type(steps) is int):
            return None
    except (NotKept, KeyError, TypeError, ValueError, IndexError, AttributeError, ImportError, RecursionError):
        return None
    if ev.steps + steps > ev.max_steps:  # the evaluated call would stop inside, at the step budget: evaluate it
        return None
    for node_ in nodes:
        api.graph.add(node_)
    for model in models:
        api.models.append(model)
        api.model_origin[id(model)] = recording.functions[0] if recording.functions else factory_name
    for event, flag in zip(events, flags):
        event_key = (event.code, event.message, event.position and (event.position.line, event.position.column),
                     id(event.layer))
        if event_key not in ev.reported:  # as the evaluator's report() keeps each finding once
            ev.reported.add(event_key)
            ev.events.append(event)
            if flag is not None:
                ev.library_events[id(event)] = flag
    for counts, current in ((entry["names"], api.name_counts), (entry["uids"], api.uids)):
        for name, (_, taken) in counts.items():
            current[name] = current.get(name, 0) + taken
    ev.calls_made += calls
    ev.steps += steps
    for path in [key[5][0], *(path for path, _ in files)]:  # the result depends on these as if they had been read
        reads.read(path)
    return result


@functools.lru_cache(maxsize=256)
def _entry_class(name: str) -> type:
    """The class an entry names ("archlint.layers.conv:Conv2D"), when it is one an entry may make."""
    module, _, qualname = name.partition(":")
    cls = getattr(importlib.import_module(module), qualname) if module.startswith("archlint.") else None
    if not isinstance(cls, type) or not _allowed(cls) or _slots(cls):
        raise TypeError(f"{name} is not a class an entry may make")
    return cls


class _Decoder:
    """The table's objects made first, then filled: references between them need no recursion. Tuples, which
    cannot be made before their items, are made when first needed."""

    def __init__(self, recording: Recording, table: list):
        self.recording, self.table = recording, table
        self.made: dict[int, object] = {}
        self.tuples_making: set[int] = set()
        fill = []
        for number, (kind, *body) in enumerate(table):
            if kind == "list":
                self.made[number] = []
            elif kind == "dict":
                self.made[number] = {}
            elif kind == "position":
                self.made[number] = self.position(*body)
            elif kind == "object":
                cls = _entry_class(body[0])
                self.made[number] = cls.__new__(cls)
            elif kind != "tuple":
                raise ValueError(f"an entry of kind {kind!r}")
            if kind in ("list", "dict", "object"):
                fill.append((number, kind, body))
        for number, kind, body in fill:
            made = self.made[number]
            if kind == "list":
                made.extend(self.value(item) for item in body[0])
            elif kind == "dict":
                for name, item in body[0]:
                    if type(name) is not str:
                        raise TypeError("a key that is not a string")
                    made[name] = self.value(item)
            else:
                for name, item in body[1]:
                    if type(name) is not str:
                        raise TypeError("an attribute that is not a string")
                    object.__setattr__(made, name, self.value(item))

    def value(self, value):
        if value is None or type(value) in (bool, int, str):
            return value
        if type(value) is dict and set(value) == {"float"}:
            return float(value["float"])
        if type(value) is list and len(value) == 1 and type(value[0]) is int and value[0] >= 0:
            number = value[0]
            if number not in self.made:
                self.made[number] = self.tuple(number)
            return self.made[number]
        raise ValueError("not an entry's value")

    def tuple(self, number: int) -> tuple:
        kind, items = self.table[number]
        if kind != "tuple" or number in self.tuples_making:
            raise ValueError("not a tuple, or a tuple inside itself")
        self.tuples_making.add(number)
        return tuple(self.value(item) for item in items)

    def position(self, chain, ids) -> Position:
        recording = self.recording
        entry = recording.entry
        if not all(type(step) is str for step in chain) or len(ids) != len(chain) \
                or not all(number is None or type(number) is int for number in ids):
            raise TypeError("a position that is not one")
        numbers = tuple(None if number is None else number + recording.calls for number in ids)
        return Position(entry.line, entry.column, entry.end_line, entry.end_column,
                        (*recording.chain, recording.label, *chain),
                        (*recording.call_ids, recording.calls + 1, *numbers))
