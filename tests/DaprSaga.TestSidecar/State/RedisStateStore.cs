using System.Globalization;

namespace DaprSaga.TestSidecar.State;

/// <summary>A state write, as daprd hands it to the store (key already prefixed with the app id).</summary>
public sealed record StateWrite(string Key, byte[]? Value, string? ETag, bool FirstWrite, bool LastWrite = false)
{
    /// <summary>components-contrib state.SetRequest.HasETag: an empty ETag is no ETag.</summary>
    public bool HasETag => !string.IsNullOrEmpty(ETag);
}

public sealed record StateOperation(bool IsDelete, StateWrite Write);

/// <summary>ETag errors, with the text of components-contrib `state/errors.go` ETagError.Error.</summary>
public sealed class ETagMismatchException(string inner) : Exception("possible etag mismatch. error from state store: " + inner);

public sealed class ETagInvalidException(string inner) : Exception("invalid etag value: " + inner);

/// <summary>A plain store error (daprd reports it as gRPC Internal).</summary>
public sealed class StateStoreException(string message) : Exception(message);

/// <summary>
/// In-memory model of components-contrib `state/redis/redis.go` (hash per key with fields
/// data, version and first-write; Lua scripts setDefaultQuery / delDefaultQuery):
/// <list type="bullet">
/// <item>a key's ETag is its integer version, 1 on first write, +1 on every write;</item>
/// <item>a write to a missing key succeeds whatever ETag it carries;</item>
/// <item>a write without ETag (or with last-write concurrency, parseETag → 0) succeeds only if
/// the key was never written with first-write concurrency (field "first-write");</item>
/// <item>a failed write with an ETag is ETagMismatch (gRPC Aborted), without one a plain
/// "failed to set key" error (gRPC Internal);</item>
/// <item>a non-integer ETag is ETagInvalid (gRPC InvalidArgument), checked before anything runs;</item>
/// <item>a delete succeeds if the key is missing, the ETag matches, or no ETag was given ("0");
/// any failure is ETagMismatch (a non-integer ETag on delete is simply a mismatch);</item>
/// <item>Multi runs the same scripts in MULTI/EXEC (TxPipeline): Redis does not roll back, so the
/// operations that pass their checks are applied even when another fails, and the first error
/// is returned ("Redis does not support transaction rollbacks" in Multi). Multi does not pass
/// the first-write flag (ARGV[3]), so first-write is not marked inside a transaction.</item>
/// </list>
/// </summary>
public sealed class RedisStateStore(string name)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    private sealed record Entry(byte[] Data, int Version, bool FirstWriteMarked);

    public string Name { get; } = name;

    public (byte[]? Data, string? ETag) Get(string key)
    {
        lock (_gate)
        {
            return _entries.TryGetValue(key, out var e)
                ? (e.Data, e.Version.ToString(CultureInfo.InvariantCulture))
                : (null, null);
        }
    }

    public void Set(StateWrite write)
    {
        var version = ParseETag(write);
        lock (_gate) SetLocked(write, version, markFirstWrite: write.FirstWrite);
    }

    public void Delete(StateWrite delete)
    {
        lock (_gate) DeleteLocked(delete);
    }

    public void Multi(IReadOnlyList<StateOperation> operations)
    {
        // parseETag runs while the pipeline is built, before EXEC: an invalid ETag fails it all.
        var versions = operations.Select(o => o.IsDelete ? 0 : ParseETag(o.Write)).ToArray();
        Exception? first = null;
        lock (_gate)
        {
            for (var i = 0; i < operations.Count; i++)
            {
                try
                {
                    if (operations[i].IsDelete) DeleteLocked(operations[i].Write);
                    else SetLocked(operations[i].Write, versions[i], markFirstWrite: false);
                }
                catch (Exception e) when (e is ETagMismatchException or StateStoreException)
                {
                    first ??= e;
                }
            }
        }
        if (first is not null) throw first;
    }

    /// <summary>Keys with their values, for assertions in tests (never used by apps).</summary>
    public IReadOnlyDictionary<string, byte[]> Snapshot(string keyPrefix = "")
    {
        lock (_gate)
        {
            return _entries.Where(e => e.Key.StartsWith(keyPrefix, StringComparison.Ordinal))
                .ToDictionary(e => e.Key, e => e.Value.Data);
        }
    }

    private static int ParseETag(StateWrite write)
    {
        if (write.LastWrite || !write.HasETag) return 0;
        return int.TryParse(write.ETag, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v)
            ? v
            : throw new ETagInvalidException($"strconv.Atoi: parsing \"{write.ETag}\": invalid syntax");
    }

    private void SetLocked(StateWrite write, int version, bool markFirstWrite)
    {
        _entries.TryGetValue(write.Key, out var current);
        var allowed = current is null
            || current.Version == version
            || (!current.FirstWriteMarked && version == 0);
        if (!allowed)
        {
            var message = $"ERR Error running script: failed to set key {write.Key}";
            if (write.HasETag) throw new ETagMismatchException(message);
            throw new StateStoreException($"failed to set key {write.Key}: {message}");
        }
        _entries[write.Key] = new Entry(
            write.Value ?? [],
            (current?.Version ?? 0) + 1,
            (current?.FirstWriteMarked ?? false) || markFirstWrite);
    }

    private void DeleteLocked(StateWrite delete)
    {
        var etag = delete.HasETag ? delete.ETag! : "0";
        if (!_entries.TryGetValue(delete.Key, out var current)
            || current.Version.ToString(CultureInfo.InvariantCulture) == etag
            || etag == "0")
        {
            _entries.Remove(delete.Key);
            return;
        }
        throw new ETagMismatchException($"ERR Error running script: failed to delete {delete.Key}");
    }
}
