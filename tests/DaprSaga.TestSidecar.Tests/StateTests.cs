using System.Text;
using Dapr;
using Dapr.Client;
using Grpc.Core;

namespace DaprSaga.TestSidecar.Tests;

/// <summary>State through the real DaprClient, with `state.redis` semantics.</summary>
public sealed class StateTests() : HostedTest<TestApp>(() =>
    TestApp.StartAsync(new SidecarOptions("state-app") { StateStores = [Store] }, _ => { }))
{
    private const string Store = "test-store";

    private DaprClient Dapr => Host.Dapr;

    private static StatusCode CodeOf(DaprException e) => Assert.IsType<RpcException>(e.InnerException).StatusCode;

    [Fact]
    public async Task AMissingKeyReadsAsDefaultWithAnEmptyETag()
    {
        var (value, etag) = await Dapr.GetStateAndETagAsync<Item>(Store, "missing");

        Assert.Null(value);
        Assert.Equal("", etag);
    }

    [Fact]
    public async Task ETagsAreIntegerVersionsStartingAtOneAndGrowingOnEveryWrite()
    {
        await Dapr.SaveStateAsync(Store, "k", new Item("a", 1));
        var (_, first) = await Dapr.GetStateAndETagAsync<Item>(Store, "k");
        await Dapr.SaveStateAsync(Store, "k", new Item("a", 2));
        var (value, second) = await Dapr.GetStateAndETagAsync<Item>(Store, "k");

        Assert.Equal("1", first);
        Assert.Equal("2", second);
        Assert.Equal(new Item("a", 2), value);
    }

    [Fact]
    public async Task KeysAreStoredUnderTheAppIdPrefix()
    {
        await Dapr.SaveStateAsync(Store, "k", new Item("a", 1));

        var stored = Host.Testbed.StateStore(Store).Snapshot();

        Assert.Equal(["state-app||k"], stored.Keys);
        Assert.Equal("""{"name":"a","count":1}""", Encoding.UTF8.GetString(stored["state-app||k"]));
    }

    [Fact]
    public async Task AStaleETagMakesTrySaveStateReturnFalseAndChangesNothing()
    {
        await Dapr.SaveStateAsync(Store, "k", new Item("a", 1));
        await Dapr.SaveStateAsync(Store, "k", new Item("a", 2));

        var saved = await Dapr.TrySaveStateAsync(Store, "k", new Item("stale", 9), "1");

        Assert.False(saved);
        Assert.Equal(new Item("a", 2), await Dapr.GetStateAsync<Item>(Store, "k"));
    }

    [Fact]
    public async Task TheCurrentETagMakesTrySaveStateSucceed()
    {
        await Dapr.SaveStateAsync(Store, "k", new Item("a", 1));
        var (_, etag) = await Dapr.GetStateAndETagAsync<Item>(Store, "k");

        Assert.True(await Dapr.TrySaveStateAsync(Store, "k", new Item("b", 2), etag));
        Assert.Equal(new Item("b", 2), await Dapr.GetStateAsync<Item>(Store, "k"));
    }

    [Fact]
    public async Task ANonIntegerETagIsInvalidArgument()
    {
        await Dapr.SaveStateAsync(Store, "k", new Item("a", 1));

        var e = await Assert.ThrowsAsync<DaprException>(() => Dapr.TrySaveStateAsync(Store, "k", new Item("b", 2), "not-a-number"));

        Assert.Equal(StatusCode.InvalidArgument, CodeOf(e));
    }

    [Fact]
    public async Task AnETagWriteToAMissingKeySucceedsOnRedis()
    {
        Assert.True(await Dapr.TrySaveStateAsync(Store, "new", new Item("a", 1), "7"));
        Assert.Equal(("1"), (await Dapr.GetStateAndETagAsync<Item>(Store, "new")).etag);
    }

    [Fact]
    public async Task AFirstWriteCreateOfAKeyCreatedByFirstWriteFailsWithInternalNotAborted()
    {
        var firstWrite = new StateOptions { Concurrency = ConcurrencyMode.FirstWrite };
        await Dapr.SaveStateAsync(Store, "k", new Item("first", 1), firstWrite);

        var e = await Assert.ThrowsAsync<DaprException>(() => Dapr.SaveStateAsync(Store, "k", new Item("second", 1), firstWrite));

        Assert.Equal(StatusCode.Internal, CodeOf(e));
        Assert.Equal(new Item("first", 1), await Dapr.GetStateAsync<Item>(Store, "k"));
    }

    [Fact]
    public async Task AKeyCreatedByFirstWriteRefusesLaterWritesWithoutAnETag()
    {
        await Dapr.SaveStateAsync(Store, "k", new Item("first", 1), new StateOptions { Concurrency = ConcurrencyMode.FirstWrite });

        var e = await Assert.ThrowsAsync<DaprException>(() => Dapr.SaveStateAsync(Store, "k", new Item("blind", 1)));

        Assert.Equal(StatusCode.Internal, CodeOf(e));
        Assert.True(await Dapr.TrySaveStateAsync(Store, "k", new Item("with-etag", 2), "1"));
    }

    [Fact]
    public async Task AKeyContainingTheSeparatorIsInvalidArgument()
    {
        var e = await Assert.ThrowsAsync<DaprException>(() => Dapr.SaveStateAsync(Store, "a||b", new Item("a", 1)));

        Assert.Equal(StatusCode.InvalidArgument, CodeOf(e));
        Assert.Contains("can't contain '||'", e.InnerException!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnUnknownStoreIsInvalidArgumentNamingTheStore()
    {
        var e = await Assert.ThrowsAsync<DaprException>(() => Dapr.GetStateAsync<Item>("no-such-store", "k"));

        Assert.Equal(StatusCode.InvalidArgument, CodeOf(e));
        Assert.Contains("state store no-such-store is not found", e.InnerException!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AStaleETagOnDeleteMakesTryDeleteReturnFalse()
    {
        await Dapr.SaveStateAsync(Store, "k", new Item("a", 1));
        await Dapr.SaveStateAsync(Store, "k", new Item("a", 2));

        Assert.False(await Dapr.TryDeleteStateAsync(Store, "k", "1"));
        Assert.True(await Dapr.TryDeleteStateAsync(Store, "k", "2"));
        Assert.Null(await Dapr.GetStateAsync<Item>(Store, "k"));
    }

    [Fact]
    public async Task DeletingAMissingKeySucceedsWhateverTheETag()
    {
        Assert.True(await Dapr.TryDeleteStateAsync(Store, "missing", "5"));
    }

    [Fact]
    public async Task BulkGetReturnsEveryKeyWithMissingOnesEmpty()
    {
        await Dapr.SaveStateAsync(Store, "a", new Item("a", 1));

        var items = await Dapr.GetBulkStateAsync<Item>(Store, ["a", "b"], parallelism: 2);

        Assert.Equal(new Item("a", 1), items.Single(i => i.Key == "a").Value);
        Assert.Equal("1", items.Single(i => i.Key == "a").ETag);
        var missing = items.Single(i => i.Key == "b");
        Assert.Null(missing.Value);
        Assert.Equal("", missing.ETag);
    }

    [Fact]
    public async Task ATransactionAppliesAllItsOperations()
    {
        await Dapr.SaveStateAsync(Store, "gone", new Item("x", 1));

        await Dapr.ExecuteStateTransactionAsync(Store,
        [
            new StateTransactionRequest("a", Json(new Item("a", 1)), StateOperationType.Upsert),
            new StateTransactionRequest("b", Json(new Item("b", 2)), StateOperationType.Upsert),
            new StateTransactionRequest("gone", null, StateOperationType.Delete),
        ]);

        Assert.Equal(new Item("a", 1), await Dapr.GetStateAsync<Item>(Store, "a"));
        Assert.Equal(new Item("b", 2), await Dapr.GetStateAsync<Item>(Store, "b"));
        Assert.Null(await Dapr.GetStateAsync<Item>(Store, "gone"));
    }

    [Fact]
    public async Task AStaleETagInATransactionFailsWithInternal()
    {
        await Dapr.SaveStateAsync(Store, "a", new Item("a", 1));
        await Dapr.SaveStateAsync(Store, "a", new Item("a", 2));

        var e = await Assert.ThrowsAsync<DaprException>(() => Dapr.ExecuteStateTransactionAsync(Store,
            [new StateTransactionRequest("a", Json(new Item("stale", 0)), StateOperationType.Upsert, etag: "1")]));

        Assert.Equal(StatusCode.Internal, CodeOf(e));
        Assert.Contains("error while executing state transaction", e.InnerException!.Message, StringComparison.Ordinal);
        Assert.Equal(new Item("a", 2), await Dapr.GetStateAsync<Item>(Store, "a"));
    }

    [Fact]
    public async Task ARedisTransactionDoesNotRollBackTheOperationsThatPassed()
    {
        // Redis MULTI/EXEC has no rollback: the conflicting write fails, the others are applied.
        await Dapr.SaveStateAsync(Store, "a", new Item("a", 1));
        await Dapr.SaveStateAsync(Store, "a", new Item("a", 2));

        await Assert.ThrowsAsync<DaprException>(() => Dapr.ExecuteStateTransactionAsync(Store,
        [
            new StateTransactionRequest("a", Json(new Item("stale", 0)), StateOperationType.Upsert, etag: "1"),
            new StateTransactionRequest("b", Json(new Item("b", 1)), StateOperationType.Upsert),
        ]));

        Assert.Equal(new Item("a", 2), await Dapr.GetStateAsync<Item>(Store, "a"));
        Assert.Equal(new Item("b", 1), await Dapr.GetStateAsync<Item>(Store, "b"));
    }

    [Fact]
    public async Task ANonIntegerETagInATransactionFailsItWholeBeforeAnythingRuns()
    {
        await Dapr.SaveStateAsync(Store, "a", new Item("a", 1));

        var e = await Assert.ThrowsAsync<DaprException>(() => Dapr.ExecuteStateTransactionAsync(Store,
        [
            new StateTransactionRequest("b", Json(new Item("b", 1)), StateOperationType.Upsert),
            new StateTransactionRequest("a", Json(new Item("x", 0)), StateOperationType.Upsert, etag: "x"),
        ]));

        Assert.Equal(StatusCode.Internal, CodeOf(e));
        Assert.Null(await Dapr.GetStateAsync<Item>(Store, "b"));
    }

    private static byte[] Json(Item item) => System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(item, ServiceDefaults.ServiceDefaultsExtensions.JsonOptions);

    public sealed record Item(string Name, int Count);
}
