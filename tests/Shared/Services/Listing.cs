using Dapr.Client;
using DaprSaga.ServiceDefaults.Messaging;
using DaprSaga.ServiceDefaults.State;

namespace DaprSaga.Tests;

/// <summary>A service's outbox listing, read and entered as the service itself does.</summary>
public static class Listing
{
    /// <summary>The listed keys, as the sweep reads them.</summary>
    public static async Task<IReadOnlyList<string>> KeysAsync(DaprClient dapr, string store) =>
        [.. (await new OutboxIndex(dapr, store, TimeProvider.System).EntriesAsync()).Select(e => e.Key).Order(StringComparer.Ordinal)];

    /// <summary>Stores <paramref name="record"/> as a writer that crashed after its write leaves it: listed first, at <paramref name="clock"/>'s time.</summary>
    public static async Task StoreListedAsync<T>(DaprClient dapr, string store, string key, T record, TimeProvider clock)
        where T : class, IOutboxRecord<T>
    {
        var token = await new OutboxIndex(dapr, store, clock).ListAsync(key);
        await dapr.UpdateAsync<T>(store, key, _ => record.WithOutbox(record.Outbox, token));
    }
}
