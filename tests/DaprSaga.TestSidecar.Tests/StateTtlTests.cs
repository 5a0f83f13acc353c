using Dapr;
using Dapr.Client;
using Grpc.Core;
using Microsoft.Extensions.Time.Testing;

namespace DaprSaga.TestSidecar.Tests;

/// <summary>`ttlInSeconds` state metadata through the real DaprClient, with `state.redis` expiry on the fake clock.</summary>
public sealed class StateTtlTests() : HostedTest<StateTtlTests.Rig>(Rig.StartAsync)
{
    private const string Store = "ttl-store";

    private DaprClient Dapr => Host.Dapr;

    private FakeTimeProvider Clock => Host.Clock;

    private static Dictionary<string, string> Ttl(string seconds) => new() { ["ttlInSeconds"] = seconds };

    private static StatusCode CodeOf(DaprException e) => Assert.IsType<RpcException>(e.InnerException).StatusCode;

    [Fact]
    public async Task AValueWithATtlIsReadableThroughItsLastMillisecondAndAbsentAfter()
    {
        await Dapr.SaveStateAsync(Store, "k", new Item("a", 1), metadata: Ttl("60"));

        Clock.Advance(TimeSpan.FromSeconds(60));
        Assert.Equal((new Item("a", 1), "1"), await Dapr.GetStateAndETagAsync<Item>(Store, "k"));
        Clock.Advance(TimeSpan.FromMilliseconds(1));

        Assert.Equal((null, ""), await Dapr.GetStateAndETagAsync<Item>(Store, "k"));
        var item = Assert.Single(await Dapr.GetBulkStateAsync<Item>(Store, ["k"], parallelism: 1));
        Assert.Null(item.Value);
        Assert.Equal("", item.ETag);
        Assert.Empty(Host.Testbed.StateStore(Store).Snapshot());
    }

    [Fact]
    public async Task AfterExpiryAFirstWriteCreateSucceedsAsOnAMissingKeyWithAFreshETag()
    {
        var firstWrite = new StateOptions { Concurrency = ConcurrencyMode.FirstWrite };
        await Dapr.SaveStateAsync(Store, "k", new Item("old", 1), firstWrite, Ttl("10"));
        Assert.True(await Dapr.TrySaveStateAsync(Store, "k", new Item("old", 2), "1", firstWrite));

        Clock.Advance(TimeSpan.FromSeconds(11));
        await Dapr.SaveStateAsync(Store, "k", new Item("new", 1), firstWrite);

        Assert.Equal((new Item("new", 1), "1"), await Dapr.GetStateAndETagAsync<Item>(Store, "k"));
        // The new key has no expiry of its own.
        Clock.Advance(TimeSpan.FromDays(30));
        Assert.Equal(new Item("new", 1), await Dapr.GetStateAsync<Item>(Store, "k"));
    }

    [Fact]
    public async Task AnETagWriteToAnExpiredKeySucceedsAsOnAMissingKey()
    {
        await Dapr.SaveStateAsync(Store, "k", new Item("a", 1), metadata: Ttl("10"));
        await Dapr.SaveStateAsync(Store, "k", new Item("a", 2));

        Clock.Advance(TimeSpan.FromSeconds(11));

        Assert.True(await Dapr.TrySaveStateAsync(Store, "k", new Item("b", 1), "2"));
        Assert.Equal((new Item("b", 1), "1"), await Dapr.GetStateAndETagAsync<Item>(Store, "k"));
    }

    [Fact]
    public async Task ALaterWriteWithoutTtlKeepsTheKeysExpiry()
    {
        await Dapr.SaveStateAsync(Store, "k", new Item("a", 1), metadata: Ttl("60"));
        Clock.Advance(TimeSpan.FromSeconds(30));
        await Dapr.SaveStateAsync(Store, "k", new Item("a", 2));

        Clock.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(new Item("a", 2), await Dapr.GetStateAsync<Item>(Store, "k"));
        Clock.Advance(TimeSpan.FromMilliseconds(1));

        Assert.Null(await Dapr.GetStateAsync<Item>(Store, "k"));
    }

    [Fact]
    public async Task ALaterWriteWithATtlRestartsTheExpiryFromThatWrite()
    {
        await Dapr.SaveStateAsync(Store, "k", new Item("a", 1), metadata: Ttl("60"));
        Clock.Advance(TimeSpan.FromSeconds(30));
        await Dapr.SaveStateAsync(Store, "k", new Item("a", 2), metadata: Ttl("60"));

        Clock.Advance(TimeSpan.FromSeconds(60));
        Assert.Equal(new Item("a", 2), await Dapr.GetStateAsync<Item>(Store, "k"));
        Clock.Advance(TimeSpan.FromMilliseconds(1));

        Assert.Null(await Dapr.GetStateAsync<Item>(Store, "k"));
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("0")]
    public async Task ATtlOfZeroOrLessPersistsTheKey(string ttl)
    {
        await Dapr.SaveStateAsync(Store, "k", new Item("a", 1), metadata: Ttl("60"));
        await Dapr.SaveStateAsync(Store, "k", new Item("a", 2), metadata: Ttl(ttl));

        Clock.Advance(TimeSpan.FromDays(365));

        Assert.Equal((new Item("a", 2), "2"), await Dapr.GetStateAndETagAsync<Item>(Store, "k"));
    }

    [Fact]
    public async Task AFailedWriteLeavesTheKeysExpiryAsItWas()
    {
        // Set returns on the failed script, before EXPIRE: the key keeps no expiry.
        var firstWrite = new StateOptions { Concurrency = ConcurrencyMode.FirstWrite };
        await Dapr.SaveStateAsync(Store, "k", new Item("a", 1), firstWrite);

        var e = await Assert.ThrowsAsync<DaprException>(() => Dapr.SaveStateAsync(Store, "k", new Item("b", 1), firstWrite, Ttl("10")));

        Assert.Equal(StatusCode.Internal, CodeOf(e));
        Clock.Advance(TimeSpan.FromSeconds(11));
        Assert.Equal(new Item("a", 1), await Dapr.GetStateAsync<Item>(Store, "k"));
    }

    [Fact]
    public async Task ATransactionUpsertWithATtlExpires()
    {
        await Dapr.ExecuteStateTransactionAsync(Store,
        [
            new StateTransactionRequest("a", Json(new Item("a", 1)), StateOperationType.Upsert, metadata: Ttl("5")),
            new StateTransactionRequest("b", Json(new Item("b", 1)), StateOperationType.Upsert),
        ]);

        Clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(new Item("a", 1), await Dapr.GetStateAsync<Item>(Store, "a"));
        Clock.Advance(TimeSpan.FromMilliseconds(1));

        Assert.Null(await Dapr.GetStateAsync<Item>(Store, "a"));
        Assert.Equal(new Item("b", 1), await Dapr.GetStateAsync<Item>(Store, "b"));
    }

    [Fact]
    public async Task AFailedTransactionUpsertStillSetsTheExistingKeysExpiry()
    {
        // MULTI/EXEC: the EXPIRE queued after the failed EVAL still runs.
        await Dapr.SaveStateAsync(Store, "a", new Item("a", 1));
        await Dapr.SaveStateAsync(Store, "a", new Item("a", 2));

        await Assert.ThrowsAsync<DaprException>(() => Dapr.ExecuteStateTransactionAsync(Store,
            [new StateTransactionRequest("a", Json(new Item("stale", 0)), StateOperationType.Upsert, etag: "1", metadata: Ttl("5"))]));

        Assert.Equal(new Item("a", 2), await Dapr.GetStateAsync<Item>(Store, "a"));
        Clock.Advance(TimeSpan.FromSeconds(5) + TimeSpan.FromMilliseconds(1));
        Assert.Null(await Dapr.GetStateAsync<Item>(Store, "a"));
    }

    [Fact]
    public async Task ANonIntegerTtlFailsTheSaveWithInternalAndWritesNothing()
    {
        var e = await Assert.ThrowsAsync<DaprException>(() => Dapr.SaveStateAsync(Store, "k", new Item("a", 1), metadata: Ttl("1.5")));

        Assert.Equal(StatusCode.Internal, CodeOf(e));
        Assert.Contains(
            "failed saving state in state store ttl-store: failed to parse ttl from metadata: strconv.ParseInt: parsing \"1.5\": invalid syntax",
            e.InnerException!.Message, StringComparison.Ordinal);
        Assert.Null(await Dapr.GetStateAsync<Item>(Store, "k"));
    }

    [Fact]
    public async Task ATtlBeyondInt64FailsAsOutOfRange()
    {
        var e = await Assert.ThrowsAsync<DaprException>(() => Dapr.SaveStateAsync(Store, "k", new Item("a", 1), metadata: Ttl("9223372036854775808")));

        Assert.Equal(StatusCode.Internal, CodeOf(e));
        Assert.Contains("parsing \"9223372036854775808\": value out of range", e.InnerException!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ANonIntegerTtlInATransactionFailsItWholeBeforeAnythingRuns()
    {
        var e = await Assert.ThrowsAsync<DaprException>(() => Dapr.ExecuteStateTransactionAsync(Store,
        [
            new StateTransactionRequest("a", Json(new Item("a", 1)), StateOperationType.Upsert),
            new StateTransactionRequest("b", Json(new Item("b", 1)), StateOperationType.Upsert, metadata: Ttl("soon")),
        ]));

        Assert.Equal(StatusCode.Internal, CodeOf(e));
        Assert.Contains("failed to parse ttl from metadata", e.InnerException!.Message, StringComparison.Ordinal);
        Assert.Null(await Dapr.GetStateAsync<Item>(Store, "a"));
    }

    private static byte[] Json(Item item) => System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(item, ServiceDefaults.ServiceDefaultsExtensions.JsonOptions);

    public sealed record Item(string Name, int Count);

    /// <summary>A testbed on a fake clock, one sidecar with the store on it, and a DaprClient on that sidecar.</summary>
    public sealed class Rig(Testbed testbed, Sidecar sidecar, FakeTimeProvider clock) : IAsyncDisposable
    {
        public Testbed Testbed => testbed;

        public FakeTimeProvider Clock => clock;

        public DaprClient Dapr { get; } = sidecar.NewDaprClient();

        public static async Task<Rig> StartAsync()
        {
            var clock = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
            var testbed = new Testbed(timeProvider: clock);
            try
            {
                return new Rig(testbed, await testbed.StartSidecarAsync(new SidecarOptions("ttl-app") { StateStores = [Store] }), clock);
            }
            catch
            {
                await testbed.DisposeAsync();
                throw;
            }
        }

        public async ValueTask DisposeAsync()
        {
            Dapr.Dispose();
            await sidecar.DisposeAsync();
            await testbed.DisposeAsync();
        }
    }
}
