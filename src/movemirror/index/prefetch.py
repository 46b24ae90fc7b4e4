"""A software prefetch for numba code: asks the CPU for a cache line before it is read."""

from __future__ import annotations

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

CACHE_LINE = 64  # bytes


@intrinsic
def prefetch(typingctx, array, i, j, k):
    """Starts fetching the cache line holding array[i, j, k] (a 3-D array) into all cache
    levels, without waiting for it and without bounds checks (LLVM's llvm.prefetch: a hint,
    never a fault)."""
    def codegen(context, builder, signature, args):
        kind = signature.args[0]
        view = context.make_array(kind)(context, builder, args[0])
        index = [context.cast(builder, value, ty, types.intp)
                 for value, ty in zip(args[1:], signature.args[1:], strict=True)]
        pointer = cgutils.get_item_pointer2(
            context, builder, view.data, cgutils.unpack_tuple(builder, view.shape),
            cgutils.unpack_tuple(builder, view.strides), kind.layout, index,
            wraparound=False, boundscheck=False)
        byte = builder.bitcast(pointer, ir.IntType(8).as_pointer())
        word = ir.IntType(32)
        function = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(ir.VoidType(), [byte.type, word, word, word]),
            "llvm.prefetch.p0")
        builder.call(function, [byte, word(0), word(3), word(1)])  # read, keep, data
        return context.get_dummy_value()

    return types.void(array, i, j, k), codegen
