"""The numba kernels' machine code, kept on disk and loaded without importing numba.

A process that finds numba's cache warm still pays, before its first kernel runs, for
``import numba`` (200-300 ms on a 2-CPU VM: its compiler, typing and lowering machinery) and
for setting up its target, although a cached kernel is finished machine code. So, whenever a
background job compiles a kernel or loads it from numba's cache, ventanal also writes the
kernel's object code (what numba's cache holds, the kernel's CPython wrapper included) to a
*native store* of its own. A later process under ``VENTANAL_BACKEND=auto`` loads it from there
through llvmlite alone (its LLVM binding, 30-45 ms to import): numba's three C extension
modules (``_helperlib``, ``_dynfunc``, ``_nrt_python``) are loaded from numba's package
directory as numba itself loads them, without running numba's Python package, and provide what
the code calls (numba's runtime, which allocates the kernels' scratch arrays, and its helper
functions); ``_dynfunc.make_function`` makes the wrapper a Python function, as numba does.

The store holds one file per kernel and kind of arguments (:func:`.call_types.fingerprint`,
which decides numba's types), keyed by everything the code depends on: the sources of
:mod:`ventanal.ops` and :mod:`ventanal.geometry` (whose table layout the kernels compile in),
numba's and llvmlite's installation, Python's version, the CPU (name and features) and numba's
``NUMBA_*`` settings; an entry's kernel name and module must match too. An entry is used only
when all of them match, and only if every symbol the code needs resolves in this process (an
unresolved one would abort the process inside LLVM), so the worst a stale or foreign file can
do is be ignored. The store is
``ventanal-native`` in ``NUMBA_CACHE_DIR`` when it is set, else ``__pycache__/ventanal-native``
beside these modules, else the user's cache directory, else the temporary directory.

Under ``VENTANAL_BACKEND=numba`` and for the arguments the store lacks, numba itself runs (see
:mod:`._backend`); the code is numba's, so the results are the same bits either way. Only ELF
objects (Linux) are read: elsewhere the store stays empty and numba loads as before.
"""

from __future__ import annotations

import builtins
import contextlib
import ctypes
import hashlib
import importlib.machinery
import importlib.util
import os
import pickle
import struct
import sys
import tempfile
import threading
import types

from . import _numba_cache, call_types
from ._memory_handler import FUNCTIONS, build, python_api
from .kernel_table import KERNELS, taking_table

FORMAT = 2
_EXTENSIONS = ("_helperlib", "_dynfunc", "core.runtime._nrt_python")
_lock = threading.RLock()
_state: dict = {}   # "stamp", "directory", "runtime": computed once per process


def _numba_directory() -> str | None:
    """numba's package directory, found without importing numba (None: not installed)."""
    try:
        spec = importlib.util.find_spec("numba")
    except (ImportError, ValueError):   # ValueError: sys.modules["numba"] is None
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return list(spec.submodule_search_locations)[0]


def _file_stamp(path: str) -> tuple:
    try:
        status = os.stat(path)
    except OSError:
        return (path, None)
    return (os.path.basename(path), status.st_mtime_ns, status.st_size)


def stamp() -> str | None:
    """What the store's entries must have been made with, as a hex digest: None when numba or
    llvmlite is not installed. Imports llvmlite's binding (for the CPU)."""
    with _lock:
        if "stamp" not in _state:
            try:
                _state["stamp"] = _compute_stamp()
            except Exception:  # noqa: BLE001  (no CPU name, an unreadable directory...)
                _state["stamp"] = None
        return _state["stamp"]


def _compute_stamp() -> str | None:
    numba_dir = _numba_directory()
    if numba_dir is None or not sys.platform.startswith("linux"):
        return None
    try:
        import llvmlite
        import llvmlite.binding as ll
    except ImportError:
        return None
    # the kernels' modules and what they compile in (the geometry's table columns...)
    here = os.path.dirname(os.path.abspath(__file__))
    sources = sorted(os.path.join(folder, name)
                     for folder in (here, os.path.join(os.path.dirname(here), "geometry"))
                     for name in os.listdir(folder) if name.endswith(".py"))
    settings = sorted((key, value) for key, value in os.environ.items()
                      if key.startswith("NUMBA_") and key != "NUMBA_CACHE_DIR")
    parts = (FORMAT, sys.version, sys.implementation.cache_tag, llvmlite.__version__,
             [_file_stamp(os.path.join(numba_dir, name))
              for name in ("__init__.py", "_version.py")],
             [_file_stamp(path) for path in sources],
             ll.get_host_cpu_name(), ll.get_host_cpu_features().flatten(), settings)
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def directory(create: bool = False) -> str:
    """The store's directory (see the module's docstring); made when ``create``."""
    with _lock:
        if "directory" not in _state:
            _state["directory"] = _choose_directory()
    path = _state["directory"]
    if create:
        os.makedirs(path, exist_ok=True)
    return path


def _choose_directory() -> str:
    override = os.environ.get("NUMBA_CACHE_DIR")
    if override:
        return os.path.join(override, "ventanal-native")
    here = os.path.dirname(os.path.abspath(__file__))
    user = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    for candidate in (os.path.join(here, "__pycache__", "ventanal-native"),
                      os.path.join(user, "ventanal", "native")):
        try:
            os.makedirs(candidate, exist_ok=True)
        except OSError:
            continue
        if os.access(candidate, os.W_OK):
            return candidate
    return os.path.join(tempfile.gettempdir(), "ventanal-native")


def _path(kind: str, key: object) -> str | None:
    digest = stamp()
    if digest is None:
        return None
    name = hashlib.sha256(repr((digest, key)).encode()).hexdigest()[:32]
    return os.path.join(directory(), f"{kind}-{name}.bin")


def _read(path: str | None):
    if path is None:
        return None
    try:
        with open(path, "rb") as file:
            value = pickle.load(file)
    except Exception:  # noqa: BLE001  (missing, truncated or foreign: not in the store)
        return None
    return value if isinstance(value, dict) and value.get("format") == FORMAT else None


def _write(path: str | None, value: dict) -> None:
    """Write ``value`` to ``path`` whole or not at all (a temporary file, then a rename)."""
    if path is None:
        return
    with contextlib.suppress(OSError):
        directory(create=True)
        temporary = f"{path}.{os.getpid()}.{threading.get_ident()}.tmp"
        try:
            with open(temporary, "wb") as file:
                pickle.dump({"format": FORMAT, **value}, file, protocol=4)
            os.replace(temporary, path)
        finally:
            with contextlib.suppress(OSError):
                os.unlink(temporary)


def constants() -> dict | None:
    """The values the dispatch modules read beside the kernels (``vector_bytes``,
    ``PLANE_ROWS``, ``PLANE_VECTORS``) as the kernels in the store were compiled with; None
    when the store has nothing for this process."""
    entry = _read(_path("constants", None))
    return entry.get("constants") if entry else None


def save(name: str, fingerprint: tuple, compiled, object_code: bytes | None,
         values: dict) -> bool:
    """Write the kernel ``name`` compiled by numba for arguments of ``fingerprint``
    (``compiled``: numba's compile result; ``object_code``: its object code when numba no
    longer holds it, a kernel loaded from numba's cache) and the constants ``values``.
    True if written. Called with numba loaded, on the background thread."""
    if fingerprint is None or stamp() is None:
        return False
    if object_code is None:
        try:
            object_code = compiled.library._get_compiled_object()
        except Exception:  # noqa: BLE001  (numba kept no object code: nothing to store)
            return False
    fndesc = compiled.fndesc
    _write(_path("kernel", (name, fingerprint)),
           {"object": bytes(object_code), "wrapper": fndesc.llvm_cpython_wrapper_name,
            "environment": fndesc.env_name, "module": fndesc.modname,
            "name": fndesc.qualname.split(".")[-1]})
    if _state.get("constants saved") != values:   # once a process, as they do not change
        _write(_path("constants", None), {"constants": dict(values)})
        _state["constants saved"] = dict(values)
    return True


def save_compiled(name: str, fingerprint: tuple, compiled, kernels) -> bool:
    """:func:`save` a kernel numba compiled (or loaded from its cache: its object code is then
    :func:`._numba_cache.object_code`), with the constants of numba's namespace ``kernels``,
    and the result memory's functions (once a process). A failure only means that the next
    process compiles it again."""
    try:
        values = {"vector_bytes": kernels.vector_bytes(), "PLANE_ROWS": kernels.PLANE_ROWS,
                  "PLANE_VECTORS": kernels.PLANE_VECTORS}
        if not _state.get("functions saved"):
            _state["functions saved"] = True
            _save_memory_functions()
        return save(name, fingerprint, compiled,
                    _numba_cache.object_code(compiled.fndesc.mangled_name), values)
    except Exception:  # noqa: BLE001
        return False


def _save_memory_functions() -> None:
    """Store the result memory's native functions (numba ``cfunc`` s, loaded)."""
    from . import _numba_memory

    for name in FUNCTIONS:
        function = getattr(_numba_memory, f"pool_{name}")
        symbol = function._wrapper_name   # "cfunc." + the function's mangled name
        try:
            code = function._library._get_compiled_object()
        except Exception:  # noqa: BLE001  (loaded from numba's cache)
            code = _numba_cache.object_code(symbol.split(".", 1)[1])
        if code is not None:
            _write(_path("function", name), {"object": bytes(code), "symbol": symbol})


def load(name: str, fingerprint: tuple):
    """The kernel ``name`` for arguments of ``fingerprint`` as a Python function, from the
    store, or None (not stored, stale, or this process cannot load it)."""
    entry = _read(_path("kernel", (name, fingerprint)))
    if entry is None or (entry.get("name"), entry.get("module")) != (
            name, f"{__package__}.{KERNELS[name][0]}"):
        return None
    with _lock:
        loaded = _load_object(entry, entry.get("wrapper"), entry.get("environment"))
        if loaded is None:
            return None
        engine, wrapper, slot = loaded
        dynfunc = _runtime().dynfunc
        environment = dynfunc.Environment({"__name__": entry["module"]})
        ctypes.c_void_p.from_address(slot).value = id(environment)
        # the engine (its code) and the environment live as long as the function
        return dynfunc.make_function(types.ModuleType(entry["module"]), entry["name"],
                                     f"ventanal kernel {name}, loaded from the native store",
                                     wrapper, environment, (engine, environment))


def _memory_functions() -> dict[str, int] | None:
    """The addresses of the result memory's functions from the store (kept loaded for the
    process's life: NumPy may call them until it ends), or None."""
    addresses = {}
    with _lock:
        for name in FUNCTIONS:
            entry = _read(_path("function", name)) or {}
            loaded = _load_object(entry, entry.get("symbol"))
            if loaded is None:
                return None
            # never released, not even at interpreter exit, when module globals go
            python_api("Py_IncRef", None, ctypes.py_object)(loaded[0])
            addresses[name] = loaded[1]
    return addresses


def _load_object(entry: dict | None, function: str | None, variable: str | None = None):
    """(engine, address of ``function``, address of ``variable``) of the object code of the
    store's ``entry`` loaded into a new llvmlite engine, or None."""
    if not entry or not function:
        return None
    runtime = _runtime()
    if runtime is None:
        return None
    ll = runtime.ll
    try:
        missing = [symbol for symbol in undefined_symbols(entry["object"])
                   if not ll.address_of_symbol(symbol) and not hasattr(runtime.process, symbol)]
        if missing:
            return None
        machine = ll.Target.from_default_triple().create_target_machine(
            cpu=runtime.cpu, features=runtime.features, opt=0, jit=True)
        module = ll.parse_assembly("")
        module.triple = ll.get_process_triple()
        engine = ll.create_mcjit_compiler(module, machine)
        engine.add_object_file(ll.ObjectFileRef.from_data(entry["object"]))
        engine.finalize_object()
        address = engine.get_function_address(function)
        slot = engine.get_global_value_address(variable) if variable else None
    except Exception:  # noqa: BLE001
        return None
    if not address or (variable and not slot):
        return None
    return engine, address, slot


def _runtime():
    """llvmlite's binding (``ll``) with numba's C helpers and runtime registered for LLVM,
    numba's ``_dynfunc``, the process's symbols (``process``) and the host CPU's name and
    features, or None. The C extension modules load from numba's directory under their own
    names and leave ``sys.modules`` as it was: a later ``import numba`` gets the same
    initialised modules from the interpreter's extension cache, not a second initialisation."""
    if "runtime" in _state:
        return _state["runtime"]
    _state["runtime"] = None
    numba_dir = _numba_directory()
    if numba_dir is None:
        return None
    try:
        import llvmlite.binding as ll

        modules = {name.rsplit(".", 1)[-1]: _extension(numba_dir, name) for name in _EXTENSIONS}
        ll.initialize_native_target()
        ll.initialize_native_asmprinter()
    except Exception:  # noqa: BLE001
        return None
    helper, dynfunc, nrt = modules["_helperlib"], modules["_dynfunc"], modules["_nrt_python"]
    nrt.memsys_use_cpython_allocator()   # what numba's runtime module does at import
    # the symbols numba registers (numba.core.base._load_global_helpers, runtime/nrt.py)
    ll.add_symbol("_Py_NoneStruct", id(None))
    for table in (helper.c_helpers, dynfunc.c_helpers):
        for name, address in table.items():
            ll.add_symbol("numba_" + name, address)
    for name, address in nrt.c_helpers.items():
        ll.add_symbol(name if name.startswith("_") else "NRT_" + name, address)
    for value in vars(builtins).values():
        if isinstance(value, type) and issubclass(value, BaseException):
            ll.add_symbol(f"PyExc_{value.__name__}", id(value))
    _state["runtime"] = types.SimpleNamespace(
        ll=ll, dynfunc=dynfunc, process=ctypes.CDLL(None), cpu=ll.get_host_cpu_name(),
        features=ll.get_host_cpu_features().flatten())
    return _state["runtime"]


def _extension(numba_dir: str, name: str):
    full = "numba." + name
    loaded = sys.modules.get(full)
    if loaded is not None:
        return loaded
    base = os.path.join(numba_dir, *name.split("."))
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        if os.path.exists(base + suffix):
            spec = importlib.util.spec_from_file_location(full, base + suffix)
            break
    else:
        raise ImportError(f"numba's {full} not found in {numba_dir}")
    module = importlib.util.module_from_spec(spec)
    if sys.modules.get(full) is module:
        del sys.modules[full]
    return module


def undefined_symbols(elf: bytes) -> list[str]:
    """The symbols an ELF64 little-endian relocatable object needs from outside (ValueError
    for anything else).

    >>> undefined_symbols(b"not an object")
    Traceback (most recent call last):
    ValueError: not an ELF64 little-endian object
    """
    if elf[:4] != b"\x7fELF" or elf[4] != 2 or elf[5] != 1:
        raise ValueError("not an ELF64 little-endian object")
    section_offset, = struct.unpack_from("<Q", elf, 0x28)
    entry_size, count = struct.unpack_from("<HH", elf, 0x3A)
    sections = [struct.unpack_from("<IIQQQQIIQQ", elf, section_offset + i * entry_size)
                for i in range(count)]
    names = []
    for _, kind, _, _, offset, size, link, _, _, symbol_size in sections:
        if kind != 2:   # SHT_SYMTAB
            continue
        strings_offset = sections[link][4]
        for start in range(offset, offset + size, symbol_size):
            name_at, _, _, section = struct.unpack_from("<IBBH", elf, start)
            if section == 0 and name_at:   # SHN_UNDEF
                end = elf.index(b"\0", strings_offset + name_at)
                names.append(elf[strings_offset + name_at:end].decode())
    return names


# ---------------------------------------------------------------------------------------------
# The kernels' namespace under ``auto`` (see :mod:`._backend`)
# ---------------------------------------------------------------------------------------------

class NativeKernel:
    """A kernel of :data:`.kernel_table.KERNELS` as the native store has it, one function per
    kind of arguments (:func:`.call_types.fingerprint`), loaded by the background thread.

    For arguments whose function is not loaded: in a rehearsal (the background thread), it is
    loaded from the store, or else numba is imported and its guarded kernel compiles it (and
    stores it for the next process); in an op, numba's guarded kernel takes the call if numba
    is loaded, else the op is marked for a rehearsal and :class:`._backend.KernelsNotReady`
    sends it to the NumPy path."""

    def __init__(self, name: str, position: int | None, prelude: bool, backend) -> None:
        self.name, self.position, self.prelude = name, position, prelude
        self.backend = backend
        self.functions: dict[tuple, object] = {}
        self.__name__ = name

    def __repr__(self) -> str:
        return f"NativeKernel({self.name}, {len(self.functions)} loaded)"

    def __call__(self, *args):
        backend = self.backend
        fingerprint = call_types.fingerprint(args)
        function = self.functions.get(fingerprint)
        rehearsing = backend.rehearsing()
        if function is None and rehearsing and fingerprint is not None:
            loaded = load(self.name, fingerprint)
            if loaded is not None:
                function = self.functions[fingerprint] = taking_table(loaded, self.position)
        if function is not None:
            if rehearsing and not self.prelude:
                raise backend.Rehearsed
            return function(*args)
        numba = backend.numba_namespace(load=rehearsing)
        if numba is not None:
            return getattr(numba, self.name)(*args)
        if rehearsing:   # numba cannot be imported: nothing more to do
            raise backend.Rehearsed
        backend.mark_missing()
        raise backend.KernelsNotReady(f"kernel {self.name} not loaded yet")


def _result_memory():
    """The result memory on the store's functions (once a process), or None."""
    if "result memory" not in _state:
        functions = _memory_functions()
        _state["result memory"] = build(functions) if functions else None
    return _state["result memory"]


def kernels(backend, values: dict | None = None):
    """The namespace of the dispatch modules' kernels backed by the native store, with the
    constants its kernels were compiled with; None when the store has none for this process
    (or it cannot be loaded here). Loads llvmlite and numba's C extensions, not numba.
    ``backend`` is :mod:`._backend` (its rehearsals, its numba namespace), passed in rather
    than imported, which would make the two modules import each other."""
    import numpy as np

    values = values or constants()
    if not values or _runtime() is None:
        return None
    vector_bytes = int(values["vector_bytes"])
    namespace = types.SimpleNamespace(
        **{name: NativeKernel(name, position, prelude, backend)
           for name, (_, position, prelude) in KERNELS.items()},
        vector_bytes=lambda: vector_bytes,
        vector_lanes=lambda dtype: vector_bytes // np.dtype(dtype).itemsize,
        PLANE_ROWS=int(values["PLANE_ROWS"]), PLANE_VECTORS=int(values["PLANE_VECTORS"]),
        result_memory=_result_memory(), native=True)
    return namespace
