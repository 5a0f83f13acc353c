using System.Text.Json;
using Dapr;
using Dapr.Client;
using Grpc.Core;

namespace DaprSaga.OrderProcessService.Processes;

/// <summary>Every instance (for listing) and the unfinished ones (for recovery), sharded.</summary>
public sealed class ProcessIndexes(DaprClient dapr, ServiceIdentity service)
{
    private const int MaxAttempts = 25;

    public ShardedIndex All { get; } = new(dapr, service.StateStore, "processes");

    public ShardedIndex Running { get; } = new(dapr, service.StateStore, "running-processes");

    /// <summary>
    /// One bulk read of both shards and one transaction of their ETag-guarded writes. Any failed
    /// write means read both again and write only what still lacks the id, so no other id is lost.
    /// </summary>
    public async Task AddAsync(string id, CancellationToken cancellationToken)
    {
        string[] keys = [All.KeyOf(id), Running.KeyOf(id)];
        for (var attempt = 1; ; attempt++)
        {
            // A key the bulk read fails on comes back absent; the first-write below then fails.
            var lacking = (await dapr.GetBulkStateAsync<SortedSet<string>>(service.StateStore, keys, keys.Length, cancellationToken: cancellationToken))
                .Where(s => s.Value?.Contains(id) != true)
                .ToList();
            if (lacking.Count == 0) return;
            if (await TryWriteAsync(lacking, id, cancellationToken)) return;
            if (attempt >= MaxAttempts)
                throw new InvalidOperationException($"gave up indexing {id} after {attempt} conflicting attempts");
        }
    }

    private async Task<bool> TryWriteAsync(List<BulkStateItem<SortedSet<string>>> lacking, string id, CancellationToken cancellationToken)
    {
        try
        {
            if (lacking.Count > 1 && lacking.All(s => !string.IsNullOrEmpty(s.ETag)))
            {
                // Not SaveBulkStateAsync: it leaves out the Dapr API token (dapr/dotnet-sdk#1282).
                await dapr.ExecuteStateTransactionAsync(service.StateStore,
                    lacking.Select(s => new StateTransactionRequest(s.Key, Serialized(s.Value, id), StateOperationType.Upsert, s.ETag)).ToList(),
                    cancellationToken: cancellationToken);
                return true;
            }
            var written = true;
            foreach (var shard in lacking)
            {
                // Alone: inside a transaction state.redis does not mark a key first-write.
                if (string.IsNullOrEmpty(shard.ETag))
                    await dapr.SaveStateAsync(service.StateStore, shard.Key, With(null, id), StateStoreExtensions.FirstWrite, cancellationToken: cancellationToken);
                else
                    written &= await dapr.TrySaveStateAsync(service.StateStore, shard.Key, With(shard.Value, id), shard.ETag, cancellationToken: cancellationToken);
            }
            return written;
        }
        // A failed transaction, or a racing first writer of a shard: both come back Internal.
        catch (DaprException e) when (e.InnerException is RpcException { StatusCode: StatusCode.Internal })
        {
            return false;
        }
    }

    private static SortedSet<string> With(SortedSet<string>? set, string id) => new(set ?? [], StringComparer.Ordinal) { id };

    // Written as DaprClient writes state (camelCase JSON), so ShardedIndex reads it back as a set.
    private static byte[] Serialized(SortedSet<string>? set, string id) =>
        JsonSerializer.SerializeToUtf8Bytes(With(set, id), ServiceDefaultsExtensions.JsonOptions);
}
