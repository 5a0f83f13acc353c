using Dapr.Client;
using DaprSaga.ServiceDefaults;
using DaprSaga.ServiceDefaults.State;

namespace DaprSaga.OrderProcessService.Processes;

/// <summary>Every instance (for listing) and the unfinished ones (for recovery), sharded.</summary>
public sealed class ProcessIndexes(DaprClient dapr, ServiceIdentity service)
{
    public ShardedIndex All { get; } = new(dapr, service.StateStore, "processes");

    public ShardedIndex Running { get; } = new(dapr, service.StateStore, "running-processes");
}
