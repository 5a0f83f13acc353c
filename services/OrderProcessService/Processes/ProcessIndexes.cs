using Dapr.Client;

namespace DaprSaga.OrderProcessService.Processes;

/// <summary>Unfinished instances (for recovery) and every instance (for listing), sharded; a start enters only the running index, as small as the sagas under way.</summary>
public sealed class ProcessIndexes(DaprClient dapr, ServiceIdentity service)
{
    private readonly ShardedIndex _all = new(dapr, service.StateStore, "processes");

    public ShardedIndex Running { get; } = new(dapr, service.StateStore, "running-processes");

    public Task AddAsync(string id, CancellationToken cancellationToken) => Running.AddAsync(id, cancellationToken);

    /// <summary>Into the list of all before out of the running index, so a listing never misses one.</summary>
    public async Task FinishedAsync(IReadOnlyCollection<string> ids, CancellationToken cancellationToken)
    {
        if (ids.Count == 0) return;
        await _all.AddAllAsync(ids, cancellationToken);
        await Running.RemoveAllAsync(ids, cancellationToken);
    }

    /// <summary>Running first: an id leaves it only once in the list of all, so none falls between the two reads.</summary>
    public async Task<IReadOnlyList<string>> ListAsync(CancellationToken cancellationToken)
    {
        var running = await Running.ListAsync(cancellationToken);
        return [.. running.Concat(await _all.ListAsync(cancellationToken)).Distinct(StringComparer.Ordinal)];
    }
}
