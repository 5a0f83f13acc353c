using System.Globalization;

namespace DaprSaga.TestSidecar.State;

/// <summary>
/// A state write, as daprd hands it to the store (key already prefixed with the app id);
/// <paramref name="TtlInSeconds"/> is the request's `ttlInSeconds` metadata, unparsed.
/// </summary>
public sealed record StateWrite(string Key, byte[]? Value, string? ETag, bool FirstWrite, bool LastWrite = false, string? TtlInSeconds = null)
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
/// the first-write flag (ARGV[3]), so first-write is not marked inside a transaction;</item>
/// <item>TTL (parseTTL, then EXPIRE or PERSIST after the set script): `ttlInSeconds` > 0 expires the
/// key that many seconds after the write (Redis deletes it once the clock is past that millisecond),
/// &lt;= 0 removes any expiry, absent or empty leaves the key's expiry as it is (HSET keeps it; our
/// components set no global ttlInSeconds); a value strconv.ParseInt refuses is a store error
/// "failed to parse ttl from metadata: ..." before anything runs. Set returns on a failed script
/// before EXPIRE/PERSIST, Multi queues them after the EVAL so they still apply to the existing key;</item>
/// <item>an expired key is a missing one: read as absent, written as new (version 1, no first-write
/// mark, no expiry unless the write sets one), left out of <see cref="Snapshot"/>.</item>
/// </list>
/// </summary>
public sealed class RedisStateStore(string name, TimeProvider timeProvider)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    /// <summary>A key's hash; <paramref name="ExpiresAtMs"/> is its Redis expiry (Unix ms), null when it has none.</summary>
    private sealed record Entry(byte[] Data, int Version, bool FirstWriteMarked, long? ExpiresAtMs);

    public string Name { get; } = name;

    public (byte[]? Data, string? ETag) Get(string key)
    {
        lock (_gate)
        {
            return LiveLocked(key) is { } e
                ? (e.Data, e.Version.ToString(CultureInfo.InvariantCulture))
                : (null, null);
        }
    }

    public void Set(StateWrite write)
    {
        var version = ParseETag(write);
        var ttl = ParseTtl(write);
        lock (_gate)
        {
            SetLocked(write, version, markFirstWrite: write.FirstWrite);
            if (ApplyTtlLocked(write.Key, ttl) is { } expireError)
                throw new StateStoreException($"failed to set key {write.Key} ttl: {expireError}");
        }
    }

    public void Delete(StateWrite delete)
    {
        lock (_gate) DeleteLocked(delete);
    }

    public void Multi(IReadOnlyList<StateOperation> operations)
    {
        // parseETag and parseTTL run while the pipeline is built, before EXEC: an invalid value fails it all.
        var parsed = operations
            .Select(o => o.IsDelete ? (0, null) : (Version: ParseETag(o.Write), Ttl: ParseTtl(o.Write)))
            .ToArray();
        Exception? first = null;
        lock (_gate)
        {
            for (var i = 0; i < operations.Count; i++)
            {
                try
                {
                    if (operations[i].IsDelete) DeleteLocked(operations[i].Write);
                    else SetLocked(operations[i].Write, parsed[i].Version, markFirstWrite: false);
                }
                catch (Exception e) when (e is ETagMismatchException or StateStoreException)
                {
                    first ??= e;
                }
                // EXPIRE/PERSIST are queued after the EVAL and run even when it failed.
                if (!operations[i].IsDelete && ApplyTtlLocked(operations[i].Write.Key, parsed[i].Ttl) is { } expireError)
                    first ??= new StateStoreException(expireError);
            }
        }
        if (first is not null) throw first;
    }

    /// <summary>Keys with their values, for assertions in tests (never used by apps).</summary>
    public IReadOnlyDictionary<string, byte[]> Snapshot(string keyPrefix = "")
    {
        lock (_gate)
        {
            var now = NowMs;
            return _entries.Where(e => e.Key.StartsWith(keyPrefix, StringComparison.Ordinal) && !IsExpired(e.Value, now))
                .ToDictionary(e => e.Key, e => e.Value.Data);
        }
    }

    private long NowMs => timeProvider.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>Redis keyIsExpired: a key lives through its expiry millisecond and is gone after it.</summary>
    private static bool IsExpired(Entry entry, long nowMs) => entry.ExpiresAtMs is { } at && nowMs > at;

    /// <summary>The key's entry unless it is missing or expired (an expired one is dropped, as Redis does on access).</summary>
    private Entry? LiveLocked(string key)
    {
        if (!_entries.TryGetValue(key, out var entry)) return null;
        if (!IsExpired(entry, NowMs)) return entry;
        _entries.Remove(key);
        return null;
    }

    /// <summary>
    /// parseTTL: strconv.ParseInt(val, 10, 0) of a non-empty `ttlInSeconds`; null when it is absent or empty.
    /// </summary>
    private static long? ParseTtl(StateWrite write)
    {
        if (string.IsNullOrEmpty(write.TtlInSeconds)) return null;
        var (seconds, error) = GoParseInt(write.TtlInSeconds);
        return error is null
            ? seconds
            : throw new StateStoreException(
                $"failed to parse ttl from metadata: strconv.ParseInt: parsing {GoQuote(write.TtlInSeconds)}: {error}");
    }

    /// <summary>
    /// Go's strconv.ParseInt(s, 10, 64): an optional sign, then ASCII digits only (no spaces,
    /// underscores or prefixes); the error is whichever of "invalid syntax" / "value out of range"
    /// the left-to-right scan meets first.
    /// </summary>
    private static (long Value, string? Error) GoParseInt(string s)
    {
        var negative = s[0] == '-';
        var digits = s[0] is '+' or '-' ? s.AsSpan(1) : s.AsSpan();
        if (digits.IsEmpty) return (0, "invalid syntax");
        ulong magnitude = 0;
        foreach (var c in digits)
        {
            if (c is < '0' or > '9') return (0, "invalid syntax");
            if (magnitude > (ulong.MaxValue - (ulong)(c - '0')) / 10) return (0, "value out of range");
            magnitude = magnitude * 10 + (ulong)(c - '0');
        }
        const ulong limit = 1UL << 63;
        if (!negative && magnitude >= limit) return (0, "value out of range");
        if (negative && magnitude > limit) return (0, "value out of range");
        return (negative ? (long)(0 - magnitude) : (long)magnitude, null);
    }

    /// <summary>strconv.Quote for the error text: double quotes, with quotes, backslashes and controls escaped.</summary>
    private static string GoQuote(string s)
    {
        var quoted = new System.Text.StringBuilder("\"");
        foreach (var c in s)
        {
            quoted.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\t' => "\\t",
                '\r' => "\\r",
                _ when char.IsControl(c) => $"\\x{(int)c:x2}",
                _ => c.ToString(),
            });
        }
        return quoted.Append('"').ToString();
    }

    /// <summary>
    /// EXPIRE key ttl (ttl &gt; 0) or PERSIST key (ttl &lt;= 0) after the set script; nothing for no ttl.
    /// Both are no-ops on a missing key. Returns Redis's error for an expiry it cannot represent.
    /// </summary>
    private string? ApplyTtlLocked(string key, long? ttl)
    {
        if (ttl is not { } seconds || LiveLocked(key) is not { } entry) return null;
        if (seconds <= 0)
        {
            _entries[key] = entry with { ExpiresAtMs = null };
            return null;
        }
        // expireGenericCommand refuses an expiry that overflows milliseconds since the epoch.
        var now = NowMs;
        if (seconds > long.MaxValue / 1000 || seconds * 1000 > long.MaxValue - now)
            return "ERR invalid expire time in 'expire' command";
        _entries[key] = entry with { ExpiresAtMs = now + seconds * 1000 };
        return null;
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
        var current = LiveLocked(write.Key);
        var allowed = current is null
            || current.Version == version
            || (!current.FirstWriteMarked && version == 0);
        if (!allowed)
        {
            var message = $"ERR Error running script: failed to set key {write.Key}";
            if (write.HasETag) throw new ETagMismatchException(message);
            throw new StateStoreException($"failed to set key {write.Key}: {message}");
        }
        // HSET/HINCRBY keep the key's expiry; EXPIRE/PERSIST come after, in ApplyTtlLocked.
        _entries[write.Key] = new Entry(
            write.Value ?? [],
            (current?.Version ?? 0) + 1,
            (current?.FirstWriteMarked ?? false) || markFirstWrite,
            current?.ExpiresAtMs);
    }

    private void DeleteLocked(StateWrite delete)
    {
        var etag = delete.HasETag ? delete.ETag! : "0";
        if (LiveLocked(delete.Key) is not { } current
            || current.Version.ToString(CultureInfo.InvariantCulture) == etag
            || etag == "0")
        {
            _entries.Remove(delete.Key);
            return;
        }
        throw new ETagMismatchException($"ERR Error running script: failed to delete {delete.Key}");
    }
}
