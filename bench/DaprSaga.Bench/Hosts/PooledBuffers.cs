using System.Buffers;
using System.Collections;
using System.Reflection;
using System.Runtime.CompilerServices;

namespace DaprSaga.Bench.Hosts;

/// <summary>
/// The bytes ArrayPool&lt;byte&gt;.Shared holds in its caches (one array per size per thread, up to 32
/// per size per core): live to the GC, but a cache the runtime trims lazily, sized by the largest
/// recent messages and the thread count. Found by walking the pool's fields, as it has no API for it.
/// </summary>
public static class PooledBuffers
{
    public static (long Bytes, int Arrays) OfSharedBytePool()
    {
        // A 16-byte probe the walk must find: if it does not, the runtime's layout changed, so fail rather than report zero.
        var probe = ArrayPool<byte>.Shared.Rent(1);
        ArrayPool<byte>.Shared.Return(probe);
        var seen = new HashSet<object>(ReferenceEqualityComparer.Instance);
        long bytes = 0;
        var arrays = 0;
        Walk(ArrayPool<byte>.Shared);
        if (!seen.Contains(probe)) throw new InvalidOperationException("the walk of ArrayPool<byte>.Shared missed its probe");
        return (bytes, arrays);

        void Walk(object? o)
        {
            if (o is null || o is Pointer || !(o.GetType().IsValueType || seen.Add(o))) return;
            switch (o)
            {
                case byte[] array:
                    bytes += array.Length;
                    arrays++;
                    return;
                case Array elements when !elements.GetType().GetElementType()!.IsPrimitive:
                    foreach (var e in elements) Walk(e);
                    return;
                // The per-thread caches are the keys of a ConditionalWeakTable.
                case IEnumerable entries when o.GetType().IsGenericType && o.GetType().GetGenericTypeDefinition() == typeof(ConditionalWeakTable<,>):
                    foreach (var e in entries) Walk(e.GetType().GetProperty("Key")!.GetValue(e));
                    return;
            }
            if (!IsPoolType(o.GetType())) return;
            for (var t = o.GetType(); t is not null; t = t.BaseType)
            {
                foreach (var f in t.GetFields(BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public | BindingFlags.DeclaredOnly))
                    Walk(f.GetValue(o));
            }
        }

        static bool IsPoolType(Type t) =>
            t.Namespace == "System.Buffers" || (t.DeclaringType is { } outer && IsPoolType(outer));
    }
}
