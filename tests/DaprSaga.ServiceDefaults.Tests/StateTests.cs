using System.Text.Json;
using DaprSaga.Contracts;
using DaprSaga.ServiceDefaults.Messaging;
using DaprSaga.ServiceDefaults.State;
using DaprSaga.TestSidecar;
using DaprSaga.TestSidecar.PubSub;
using Microsoft.Extensions.Time.Testing;

namespace DaprSaga.ServiceDefaults.Tests;

/// <summary>Conditional updates, the sharded index and the outbox, against state.redis semantics.</summary>
public sealed class StateTests
{
    private const string Store = Components.OrderStore;

    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UnixEpoch.AddDays(20000));

    public sealed record Counter(int Value);

    /// <summary><see cref="IsAtRest"/> false: work of its own left, as an unfinished step or an open saga; <see cref="AwaitsAPass"/>: an expiry.</summary>
    public sealed record Tally(
        int Value, IReadOnlyList<OutboxMessage> Outbox, string? OutboxListing = null, bool IsAtRest = true, bool AwaitsAPass = false)
        : IOutboxRecord<Tally>
    {
        public bool IsTombstone => false;

        public Tally WithOutbox(IReadOnlyList<OutboxMessage> outbox, string? listing) => this with { Outbox = outbox, OutboxListing = listing };
    }

    /// <summary>A service's sweep work that sees the records not at rest and reports them all at rest, or none.</summary>
    private sealed class Work(bool findsThemAtRest) : IListedWork<Tally>
    {
        public List<string> Seen { get; } = [];

        public Task<IReadOnlyCollection<string>> CarryOnAsync(IReadOnlyDictionary<string, Tally> notAtRest, CancellationToken cancellationToken)
        {
            Seen.AddRange(notAtRest.Keys);
            return Task.FromResult<IReadOnlyCollection<string>>(findsThemAtRest ? [.. notAtRest.Keys] : []);
        }
    }

    private static OutboxMessage Completed(string id) => OutboxMessage.For(new OrderCompleted(id, SagaFlow.Choreography, DateTimeOffset.UnixEpoch));

    /// <summary>Starts the app on <see cref="_clock"/>, which moves only when a test advances it.</summary>
    private Task<TestHost> StartWithClockAsync() =>
        TestHost.StartAsync(_ => { }, configure: b => b.Services.AddSingleton<TimeProvider>(_clock));

    /// <summary>The first change of tally t-1: value 1 and one OrderCompleted to publish.</summary>
    private static Task<Updated<Tally>> FirstChangeAsync(Outbox outbox) => outbox.ChangeAsync<Tally>("t-1", _ => new Tally(1, [Completed("t-1")]), default);

    private static Task<Tally> StoredAsync(TestHost host) => host.Dapr.GetStateAsync<Tally>(Store, "t-1");

    private static IReadOnlyList<CloudEvent> PublishedCompletions(TestHost host) => host.Testbed.PubSub(Components.PubSub).Published(Topics.OrderCompleted);

    private static int OutboxEntries(TestHost host) =>
        host.Testbed.StateStore(Store).Snapshot()
            .Where(kv => kv.Key.Contains("outbox-listing-", StringComparison.Ordinal))
            .Sum(kv => JsonDocument.Parse(kv.Value).RootElement.EnumerateObject().Count());

    [Fact]
    public async Task ConcurrentUpdatesOfOneKeyLoseNoIncrement()
    {
        await using var host = await TestHost.StartAsync(_ => { });

        await Task.WhenAll(Enumerable.Range(0, 20).Select(_ =>
            host.Dapr.UpdateAsync<Counter>(Store, "c", c => new Counter((c?.Value ?? 0) + 1))));

        Assert.Equal(20, (await host.Dapr.GetStateAsync<Counter>(Store, "c")).Value);
    }

    [Fact]
    public async Task WritesOfOneKeyTakeTurnsAndALaterOneKnowsAnotherWentFirst()
    {
        var turns = new WriteTurns();
        var firstIn = new TaskCompletionSource();
        var firstDone = new TaskCompletionSource();
        var first = turns.TakeAsync("product-p1", async waited =>
        {
            firstIn.SetResult();
            await firstDone.Task;
            return waited;
        }, default);
        await firstIn.Task;

        var secondRan = false;
        var second = turns.TakeAsync("product-p1", waited =>
        {
            secondRan = true;
            return Task.FromResult(waited);
        }, default);
        // Another key does not wait.
        Assert.False(await turns.TakeAsync("product-p2", Task.FromResult, default));
        Assert.False(secondRan);

        firstDone.SetResult();
        Assert.False(await first);
        Assert.True(await second);
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
    public async Task AReadOfManyKeysIsBulkReadsOfAFewKeysEachAndReturnsEveryStoredOne()
    {
        await using var host = await TestHost.StartAsync(_ => { });
        foreach (var i in Enumerable.Range(0, 70)) await host.Dapr.SaveStateAsync(Store, $"c-{i}", new Counter(i));
        var before = host.Sidecar.Calls.Snapshot().GetValueOrDefault(SidecarCallKind.StateRead);

        var read = await host.Dapr.ReadManyAsync<Counter>(Store, Enumerable.Range(0, 75).Select(i => $"c-{i}"));

        Assert.Equal(Enumerable.Range(0, 70), read.Values.Select(s => s.Value.Value).Order());
        Assert.Equal("1", read["c-69"].ETag);
        // 75 keys, 32 at a time: each answer stays a small message.
        Assert.Equal(3, host.Sidecar.Calls.Snapshot()[SidecarCallKind.StateRead] - before);
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
    public async Task AFreshKeyIsWrittenUnreadAndOneThatExistsAfterAllIsReadAndDecidedAgain()
    {
        await using var host = await TestHost.StartAsync(_ => { });
        var outbox = host.Services.GetRequiredService<Outbox>();
        // Created as every record is, with first-write: state.redis refuses a second first-write over it.
        await host.Dapr.UpdateAsync<Tally>(Store, "t-taken", _ => new Tally(5, []));
        var seen = new List<int?>();
        Tally Increment(Tally? t)
        {
            seen.Add(t?.Value);
            return new Tally((t?.Value ?? 0) + 1, []);
        }

        await outbox.ChangeAsync<Tally>("t-1", Increment, default, freshKey: true);
        await outbox.ChangeAsync<Tally>("t-taken", Increment, default, freshKey: true);

        // The first decision of each is on nothing, unread; the taken key's first write is refused, so it reads.
        Assert.Equal([null, null, 5], seen);
        Assert.Equal(1, (await StoredAsync(host)).Value);
        Assert.Equal(6, (await host.Dapr.GetStateAsync<Tally>(Store, "t-taken")).Value);
    }

    [Fact]
    public async Task AChangeAndItsEventsAreWrittenTogetherThenPublishedAndTheSweepStrikesOffOnlyWhatWentOutAWhileAgo()
    {
        await using var host = await StartWithClockAsync();
        var outbox = host.Services.GetRequiredService<Outbox>();

        await outbox.ChangeAsync<Tally>("t-1", _ => new Tally(1, [Completed("t-1")], IsAtRest: false), default);

        Assert.Single(PublishedCompletions(host));
        var stored = await StoredAsync(host);
        // Sent, but struck off lazily; listed before its first events were written.
        Assert.Single(stored.Outbox);
        Assert.NotNull(stored.OutboxListing);
        Assert.Equal(1, OutboxEntries(host));

        // Sent just now: left for the record's own next write, so the sweep writes nothing.
        var before = host.Sidecar.Calls.Snapshot();
        await outbox.SweepAsync<Tally>(default);
        Assert.Single((await StoredAsync(host)).Outbox);
        Assert.Equal(0, host.Sidecar.Calls.Snapshot()[SidecarCallKind.StateWrite] - before[SidecarCallKind.StateWrite]);

        // Sent a while ago with no write since: struck off before this process forgets it, and still listed (not at rest).
        _clock.Advance(Outbox.ListedAtLeast);
        await outbox.SweepAsync<Tally>(default);
        stored = await StoredAsync(host);
        Assert.Empty(stored.Outbox);
        Assert.NotNull(stored.OutboxListing);
        Assert.Equal(1, OutboxEntries(host));
        Assert.Single(PublishedCompletions(host));
    }

    [Fact]
    public async Task OnlyTheFirstChangeWithEventsEntersTheIndexAndTheNextWriteStrikesOffWhatWasSent()
    {
        await using var host = await TestHost.StartAsync(_ => { });
        var outbox = host.Services.GetRequiredService<Outbox>();
        await FirstChangeAsync(outbox);
        var listing = (await StoredAsync(host)).OutboxListing;
        var calls = host.Sidecar.Calls.Snapshot();

        await outbox.ChangeAsync<Tally>("t-1", t => t! with { Value = 2, Outbox = [.. t.Outbox, Completed("t-1")] }, default);

        var after = host.Sidecar.Calls.Snapshot();
        // Read and write the record (striking off the first event), then publish the new one.
        Assert.Equal(1, after[SidecarCallKind.StateRead] - calls[SidecarCallKind.StateRead]);
        Assert.Equal(1, after[SidecarCallKind.StateWrite] - calls[SidecarCallKind.StateWrite]);
        Assert.Equal(1, after[SidecarCallKind.Publish] - calls[SidecarCallKind.Publish]);
        var stored = await StoredAsync(host);
        Assert.Equal(listing, stored.OutboxListing);
        Assert.Single(stored.Outbox);
        Assert.Equal(2, PublishedCompletions(host).Count);
    }

    [Fact]
    public async Task TheSweepPublishesWhatAFailedPublishLeftBehind()
    {
        var faults = new FaultPlan(seed: 3).With(FaultKind.PublishError, 1.0);
        await using var host = await TestHost.StartAsync(_ => { }, faults);
        var outbox = host.Services.GetRequiredService<Outbox>();

        await Assert.ThrowsAnyAsync<Exception>(() => FirstChangeAsync(outbox));
        Assert.Single((await StoredAsync(host)).Outbox);
        Assert.Empty(PublishedCompletions(host));

        faults.With(FaultKind.PublishError, 0);
        Assert.Equal(1, await outbox.SweepAsync<Tally>(default));

        Assert.Single(PublishedCompletions(host));
        await outbox.SweepAsync<Tally>(default);
        Assert.Single(PublishedCompletions(host));
        // Sent now, so the record holds it until its next write (or a sweep a while later) strikes it off.
        Assert.Single((await StoredAsync(host)).Outbox);
    }

    [Fact]
    public async Task AfterARestartTheSweepSendsAgainWhatWasNotYetStruckOff()
    {
        await using var host = await StartWithClockAsync();
        await FirstChangeAsync(host.Services.GetRequiredService<Outbox>());
        var restarted = ActivatorUtilities.CreateInstance<Outbox>(host.Services);

        await restarted.SweepAsync<Tally>(default);
        _clock.Advance(Outbox.ListedAtLeast);
        await restarted.SweepAsync<Tally>(default);

        // At least once: the restarted process cannot know the first publish happened; the copy keeps its CloudEvent id.
        var published = PublishedCompletions(host);
        Assert.Equal(2, published.Count);
        Assert.Single(published.Select(e => e.Id).Distinct());
        Assert.Empty((await StoredAsync(host)).Outbox);
    }

    [Fact]
    public async Task TheSweepTakesASentRecordOutOfTheIndexOnlyAfterItsListingTime()
    {
        await using var host = await StartWithClockAsync();
        var outbox = host.Services.GetRequiredService<Outbox>();
        await FirstChangeAsync(outbox);

        await outbox.SweepAsync<Tally>(default);
        Assert.Equal(1, OutboxEntries(host));

        _clock.Advance(Outbox.ListedAtLeast);
        await outbox.SweepAsync<Tally>(default);
        Assert.Equal(0, OutboxEntries(host));
        Assert.Null((await StoredAsync(host)).OutboxListing);

        // Its next change with events enters it again, under a new token.
        await outbox.ChangeAsync<Tally>("t-1", t => t! with { Value = 2, Outbox = [Completed("t-1")] }, default);
        Assert.Equal(1, OutboxEntries(host));
        Assert.NotNull((await StoredAsync(host)).OutboxListing);
        Assert.Equal(2, PublishedCompletions(host).Count);
    }

    [Fact]
    public async Task AWriterThatReadTheRecordBeforeTheSweepUnlistedItRereadsAndEntersItAgain()
    {
        await using var host = await StartWithClockAsync();
        var outbox = host.Services.GetRequiredService<Outbox>();
        await FirstChangeAsync(outbox);
        _clock.Advance(Outbox.ListedAtLeast);

        // The writer decides on the listed record; the sweep unlists it before the writer's write.
        var sweptOnce = false;
        await outbox.ChangeAsync<Tally>("t-1", t =>
        {
            if (!sweptOnce)
            {
                sweptOnce = true;
                outbox.SweepAsync<Tally>(default).GetAwaiter().GetResult();
            }
            return t! with { Value = t.Value + 1, Outbox = [.. t.Outbox, Completed("t-1")] };
        }, default);

        var stored = await StoredAsync(host);
        Assert.Equal(2, stored.Value);
        Assert.NotNull(stored.OutboxListing);
        Assert.Equal(1, OutboxEntries(host));
    }

    [Fact]
    public async Task AnEntryWhoseRecordWasNeverWrittenIsDroppedOnlyWhenAbandoned()
    {
        await using var host = await StartWithClockAsync();
        var outbox = host.Services.GetRequiredService<Outbox>();
        await new OutboxIndex(host.Dapr, Store, _clock).ListAsync("t-crashed");

        _clock.Advance(Outbox.ListedAtLeast);
        await outbox.SweepAsync<Tally>(default);
        Assert.Equal(1, OutboxEntries(host));

        _clock.Advance(Outbox.AbandonedAfter);
        await outbox.SweepAsync<Tally>(default);
        Assert.Equal(0, OutboxEntries(host));
    }

    [Fact]
    public async Task ARecordNotAtRestStaysListedAcrossSweepsAndLeavesOnceAtRestWithNothingUnsent()
    {
        await using var host = await StartWithClockAsync();
        var outbox = host.Services.GetRequiredService<Outbox>();

        // No events, but work of its own left: listed before its write lands.
        await outbox.ChangeAsync<Tally>("t-1", _ => new Tally(1, [], IsAtRest: false), default);
        Assert.NotNull((await StoredAsync(host)).OutboxListing);
        Assert.Equal(1, OutboxEntries(host));

        _clock.Advance(Outbox.ListedAtLeast);
        await outbox.SweepAsync<Tally>(default);
        await outbox.SweepAsync<Tally>(default);
        Assert.Equal(1, OutboxEntries(host));

        // At rest with one event: the next sweep sends nothing twice, strikes it off and unlists the key.
        await outbox.ChangeAsync<Tally>("t-1", t => t! with { Value = 2, IsAtRest = true, Outbox = [Completed("t-1")] }, default);
        await outbox.SweepAsync<Tally>(default);

        Assert.Equal(0, OutboxEntries(host));
        var stored = await StoredAsync(host);
        Assert.Null(stored.OutboxListing);
        Assert.Empty(stored.Outbox);
        Assert.Single(PublishedCompletions(host));
    }

    [Fact]
    public async Task TheSweepHandsItsWorkTheRecordsNotAtRestAndUnlistsThoseTheWorkFindsAtRest()
    {
        await using var host = await StartWithClockAsync();
        var outbox = host.Services.GetRequiredService<Outbox>();
        await outbox.ChangeAsync<Tally>("t-busy", _ => new Tally(1, [], IsAtRest: false), default);
        await FirstChangeAsync(outbox);
        _clock.Advance(Outbox.ListedAtLeast);

        var stillBusy = new Work(findsThemAtRest: false);
        await outbox.SweepAsync(default, stillBusy);
        // t-1 was at rest and sent, so it left; t-busy stays while its work is not done.
        Assert.Equal(["t-busy"], stillBusy.Seen);
        Assert.Equal(1, OutboxEntries(host));

        var done = new Work(findsThemAtRest: true);
        await outbox.SweepAsync(default, done);
        Assert.Equal(["t-busy"], done.Seen);
        Assert.Equal(0, OutboxEntries(host));
    }

    [Fact]
    public async Task AChangeByACallItsCallerRepeatsIsNotListedAndTheRepeatSendsWhatTheFirstCouldNot()
    {
        var faults = new FaultPlan(seed: 3).With(FaultKind.PublishError, 1.0);
        await using var host = await TestHost.StartAsync(_ => { }, faults);
        var outbox = host.Services.GetRequiredService<Outbox>();

        await Assert.ThrowsAnyAsync<Exception>(() => CallRepeats.ServeAsync(() => FirstChangeAsync(outbox)));
        var stored = await StoredAsync(host);
        Assert.Single(stored.Outbox);
        Assert.Null(stored.OutboxListing);
        Assert.Equal(0, OutboxEntries(host));
        Assert.Empty(PublishedCompletions(host));

        // The repeat decides the same (nothing to write) and sends what the record still holds.
        faults.With(FaultKind.PublishError, 0);
        var repeat = await CallRepeats.ServeAsync(() => outbox.ChangeAsync<Tally>("t-1", t => t ?? new Tally(1, [Completed("t-1")]), default));
        Assert.False(repeat.Changed);
        Assert.Single(PublishedCompletions(host));
        Assert.Equal(0, OutboxEntries(host));
        Assert.False(CallRepeats.UntilDone);
    }

    [Fact]
    public async Task ARepeatedCallStillListsARecordThatAwaitsAPass()
    {
        await using var host = await TestHost.StartAsync(_ => { });
        var outbox = host.Services.GetRequiredService<Outbox>();

        await CallRepeats.ServeAsync(() => outbox.ChangeAsync<Tally>("t-1", _ => new Tally(1, [], AwaitsAPass: true, IsAtRest: false), default));

        Assert.NotNull((await StoredAsync(host)).OutboxListing);
        Assert.Equal(1, OutboxEntries(host));
    }

    [Fact]
    public async Task WhatWasSentIsForgottenAfterAWhileSoAnUnlistedRecordDoesNotHoldMemory()
    {
        await using var host = await StartWithClockAsync();
        var outbox = host.Services.GetRequiredService<Outbox>();
        await CallRepeats.ServeAsync(() => FirstChangeAsync(outbox));

        _clock.Advance(Outbox.RemembersSentFor + TimeSpan.FromSeconds(1));
        await outbox.SweepAsync<Tally>(default);
        await CallRepeats.ServeAsync(() => outbox.ChangeAsync<Tally>("t-1", t => t! with { Value = 2 }, default));

        // Forgotten, so not struck off: the next write keeps it and sends it again (same CloudEvent id), as after a restart.
        var published = PublishedCompletions(host);
        Assert.Equal(2, published.Count);
        Assert.Single(published.Select(e => e.Id).Distinct());
        Assert.Single((await StoredAsync(host)).Outbox);
    }

    /// <summary>Work whose step before unlisting fails, then succeeds: what it was given, each time.</summary>
    private sealed class FailingFirstWork : IListedWork<Tally>
    {
        public List<IReadOnlyCollection<Tally>> Given { get; } = [];

        public Task<IReadOnlyCollection<string>> CarryOnAsync(IReadOnlyDictionary<string, Tally> notAtRest, CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyCollection<string>>([]);

        public Task LeavingTheListingAsync(IReadOnlyCollection<Tally> resting, CancellationToken cancellationToken)
        {
            Given.Add(resting);
            return Given.Count == 1 ? throw new InvalidOperationException("index unavailable") : Task.CompletedTask;
        }
    }

    [Fact]
    public async Task ARecordLeavesTheListingOnlyOnceTheWorkBeforeUnlistingSucceeded()
    {
        await using var host = await StartWithClockAsync();
        var outbox = host.Services.GetRequiredService<Outbox>();
        await FirstChangeAsync(outbox);
        _clock.Advance(Outbox.ListedAtLeast);
        var work = new FailingFirstWork();

        await outbox.SweepAsync(default, work);
        Assert.Equal(1, OutboxEntries(host));

        await outbox.SweepAsync(default, work);
        Assert.Equal(0, OutboxEntries(host));
        Assert.Equal([1, 1], work.Given.Select(g => Assert.Single(g).Value));
    }

    [Fact]
    public async Task ARecordThatComesToRestWithNothingToSendLetsGoOfItsEntryAndTheSweepTakesItOutWithoutWritingIt()
    {
        await using var host = await StartWithClockAsync();
        var outbox = host.Services.GetRequiredService<Outbox>();
        await FirstChangeAsync(outbox);

        // Its next write strikes off what was sent: at rest, nothing left to send.
        await outbox.ChangeAsync<Tally>("t-1", t => t! with { Value = 2 }, default);
        var stored = await StoredAsync(host);
        Assert.Empty(stored.Outbox);
        Assert.Null(stored.OutboxListing);
        Assert.Equal(1, OutboxEntries(host));

        _clock.Advance(Outbox.ListedAtLeast);
        var before = host.Sidecar.Calls.Snapshot();
        await outbox.SweepAsync<Tally>(default);

        // One write: the listing shard, not the record.
        Assert.Equal(0, OutboxEntries(host));
        Assert.Equal(1, host.Sidecar.Calls.Snapshot()[SidecarCallKind.StateWrite] - before[SidecarCallKind.StateWrite]);
        Assert.Equal(2, (await StoredAsync(host)).Value);
        Assert.Single(PublishedCompletions(host));
    }
}
