using Dapr;
using Dapr.Client;

namespace DaprSaga.ServiceDefaults.State;

/// <summary>The outcome of a conditional update: the stored value and whether this call changed it.</summary>
public sealed record Updated<T>(T? Value, bool Changed);

/// <summary>A value as read, with the ETag a conditional write of it needs.</summary>
public sealed record Stored<T>(T Value, string ETag);

public static class StateStoreExtensions
{
    private const int MaxAttempts = 25;

    // Keys per bulk read: its answer is one gRPC message, which the client reads into a pooled array of its size.
    private const int KeysPerBulkRead = 32;

    // Creates use first-write concurrency so two racing creators cannot both win.
    public static readonly StateOptions FirstWrite = new() { Concurrency = ConcurrencyMode.FirstWrite };

    /// <summary>
    /// Bulk reads of <paramref name="keys"/> (<see cref="KeysPerBulkRead"/> at a time), by key. A key that is absent,
    /// or that the bulk read failed on (the SDK drops an item's error), is left out: callers that act on absence read it again.
    /// </summary>
    public static async Task<IReadOnlyDictionary<string, Stored<T>>> ReadManyAsync<T>(
        this DaprClient dapr, string store, IEnumerable<string> keys, CancellationToken cancellationToken = default)
        where T : class
    {
        var read = new Dictionary<string, Stored<T>>(StringComparer.Ordinal);
        // Chunk never yields an empty list, which GetBulkStateAsync refuses.
        foreach (var chunk in keys.Distinct(StringComparer.Ordinal).Chunk(KeysPerBulkRead))
        {
            var items = await dapr.GetBulkStateAsync<T?>(store, chunk, parallelism: 8, cancellationToken: cancellationToken);
            foreach (var item in items.Where(i => i.Value is not null)) read[item.Key] = new Stored<T>(item.Value!, item.ETag);
        }
        return read;
    }

    /// <summary>
    /// Read-modify-write with optimistic concurrency: reads the value and its ETag, asks
    /// <paramref name="decide"/> for the next value (null = leave as is), and writes it only if
    /// nothing changed meanwhile: with the ETag, or first-write when creating. Any failed
    /// conditional write (TrySaveState false, or the store's plain error for a first-write
    /// conflict) means another writer won: reload, re-decide, retry.
    /// </summary>
    public static Task<Updated<T>> UpdateAsync<T>(
        this DaprClient dapr, string store, string key, Func<T?, T?> decide, CancellationToken cancellationToken = default)
        where T : class =>
        dapr.UpdateAsync<T>(store, key, (current, _) => ValueTask.FromResult(decide(current)), cancellationToken);

    /// <summary>As above, with the request metadata of each write (e.g. <see cref="ExpiresAfter"/>), decided from the value written.</summary>
    public static Task<Updated<T>> UpdateAsync<T>(
        this DaprClient dapr, string store, string key, Func<T?, T?> decide, Func<T, IReadOnlyDictionary<string, string>?> metadataOf,
        CancellationToken cancellationToken = default)
        where T : class =>
        dapr.WriteIfUnchangedAsync<T>(store, key, (current, _) => ValueTask.FromResult(decide(current)), metadataOf, cancellationToken);

    /// <summary>The request metadata that lets the store expire a key (`ttlInSeconds`, state.redis and state.postgresql v2).</summary>
    public static IReadOnlyDictionary<string, string> ExpiresAfter(TimeSpan ttl) =>
        new Dictionary<string, string> { ["ttlInSeconds"] = ((long)Math.Ceiling(ttl.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture) };

    /// <summary>As above, for a decision that must do something first (e.g. enter an index) before its value may be written.</summary>
    public static Task<Updated<T>> UpdateAsync<T>(
        this DaprClient dapr, string store, string key, Func<T?, CancellationToken, ValueTask<T?>> decide, CancellationToken cancellationToken = default)
        where T : class =>
        dapr.WriteIfUnchangedAsync(store, key, decide, metadataOf: null, cancellationToken);

    internal static async Task<Updated<T>> WriteIfUnchangedAsync<T>(
        this DaprClient dapr, string store, string key, Func<T?, CancellationToken, ValueTask<T?>> decide,
        Func<T, IReadOnlyDictionary<string, string>?>? metadataOf, CancellationToken cancellationToken, bool freshKey = false)
        where T : class
    {
        for (var attempt = 1; ; attempt++)
        {
            // A fresh key is taken as absent unread: the first write refuses it if it exists after all.
            var (current, etag) = attempt == 1 && freshKey
                ? (null, null)
                : await dapr.GetStateAndETagAsync<T>(store, key, cancellationToken: cancellationToken);
            var next = await decide(current, cancellationToken);
            if (next is null || ReferenceEquals(next, current)) return new(current, false);
            var metadata = metadataOf?.Invoke(next);
            try
            {
                if (string.IsNullOrEmpty(etag))
                {
                    await dapr.SaveStateAsync(store, key, next, FirstWrite, metadata, cancellationToken);
                    return new(next, true);
                }
                if (await dapr.TrySaveStateAsync(store, key, next, etag, metadata: metadata, cancellationToken: cancellationToken)) return new(next, true);
            }
            catch (DaprException) when (attempt < MaxAttempts && string.IsNullOrEmpty(etag))
            {
                // A racing creator got there first (state.redis reports it as a plain error).
            }
            if (attempt >= MaxAttempts)
                throw new InvalidOperationException($"gave up updating {key} in {store} after {attempt} conflicting attempts");
        }
    }
}
