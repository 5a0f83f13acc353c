using DaprSaga.Contracts;
using DaprSaga.ServiceDefaults.Messaging;
using DaprSaga.ServiceDefaults.State;
using DaprSaga.TestSidecar;

namespace DaprSaga.ServiceDefaults.Tests;

/// <summary>Conditional updates, the sharded index and the outbox, against state.redis semantics.</summary>
public sealed class StateTests
{
    private const string Store = Components.OrderStore;

    public sealed record Counter(int Value);

    public sealed record Tally(int Value, IReadOnlyList<OutboxMessage> Outbox) : IOutboxRecord<Tally>
    {
        public Tally WithOutbox(IReadOnlyList<OutboxMessage> outbox) => this with { Outbox = outbox };
    }

    [Fact]
    public async Task ConcurrentUpdatesOfOneKeyLoseNoIncrement()
    {
        await using var host = await TestHost.StartAsync(_ => { });

        await Task.WhenAll(Enumerable.Range(0, 20).Select(_ =>
            host.Dapr.UpdateAsync<Counter>(Store, "c", c => new Counter((c?.Value ?? 0) + 1))));

        Assert.Equal(20, (await host.Dapr.GetStateAsync<Counter>(Store, "c")).Value);
    }

    [Fact]
    public async Task ADecisionToLeaveTheValueAloneWritesNothing()
    {
        await using var host = await TestHost.StartAsync(_ => { });
        await host.Dapr.UpdateAsync<Counter>(Store, "c", _ => new Counter(1));

        var updated = await host.Dapr.UpdateAsync<Counter>(Store, "c", c => c);

        Assert.False(updated.Changed);
        Assert.Equal("1", (await host.Dapr.GetStateAndETagAsync<Counter>(Store, "c")).etag);
    }

    [Fact]
    public async Task TheShardedIndexListsWhatWasAddedAndNotRemoved()
    {
        await using var host = await TestHost.StartAsync(_ => { });
        var index = new ShardedIndex(host.Dapr, Store, "open", shards: 4);

        await Task.WhenAll(Enumerable.Range(0, 30).Select(i => index.AddAsync($"o-{i}")));
        await index.RemoveAsync("o-3");

        var listed = await index.ListAsync();
        Assert.Equal(29, listed.Count);
        Assert.DoesNotContain("o-3", listed);
        Assert.True(host.Testbed.StateStore(Store).Snapshot().Keys.Count(k => k.Contains("open-index-", StringComparison.Ordinal)) > 1);
    }

    [Fact]
    public async Task AChangeAndItsEventsAreWrittenTogetherThenPublishedAndStruckOff()
    {
        await using var host = await TestHost.StartAsync(_ => { });
        var outbox = host.Services.GetRequiredService<Outbox>();

        await outbox.ChangeAsync<Tally>("t-1", _ => new Tally(1, [OutboxMessage.For(new OrderCompleted("t-1", SagaFlow.Choreography, DateTimeOffset.UnixEpoch))]), default);

        Assert.Single(host.Testbed.PubSub(Components.PubSub).Published(Topics.OrderCompleted));
        Assert.Empty((await host.Dapr.GetStateAsync<Tally>(Store, "t-1")).Outbox);
        Assert.Equal(0, await outbox.SweepAsync<Tally>(default));
    }

    [Fact]
    public async Task TheSweepPublishesWhatAFailedPublishLeftBehind()
    {
        var faults = new FaultPlan(seed: 3).With(FaultKind.PublishError, 1.0);
        await using var host = await TestHost.StartAsync(_ => { }, faults);
        var outbox = host.Services.GetRequiredService<Outbox>();

        await Assert.ThrowsAnyAsync<Exception>(() => outbox.ChangeAsync<Tally>("t-1",
            _ => new Tally(1, [OutboxMessage.For(new OrderCompleted("t-1", SagaFlow.Choreography, DateTimeOffset.UnixEpoch))]), default));
        Assert.Single((await host.Dapr.GetStateAsync<Tally>(Store, "t-1")).Outbox);
        Assert.Empty(host.Testbed.PubSub(Components.PubSub).Published(Topics.OrderCompleted));

        faults.With(FaultKind.PublishError, 0);
        Assert.Equal(1, await outbox.SweepAsync<Tally>(default));

        Assert.Single(host.Testbed.PubSub(Components.PubSub).Published(Topics.OrderCompleted));
        Assert.Empty((await host.Dapr.GetStateAsync<Tally>(Store, "t-1")).Outbox);
        Assert.Equal(0, await outbox.SweepAsync<Tally>(default));
    }
}
