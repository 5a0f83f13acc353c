using DaprSaga.InventoryService.Products;

namespace DaprSaga.InventoryService.Tests;

public sealed class ProductTests
{
    private static Product Widget(int onHand = 10) => Product.Create("widget", "Widget", 10.00m, onHand);

    private static void AssertStockAddsUp(Product p) => Assert.Equal(p.Received, p.OnHand + p.Reserved + p.Sold);

    [Fact]
    public void AHoldMovesStockFromOnHandToReserved()
    {
        var held = Widget().Hold("o-1", 3);

        Assert.Equal((7, 3, 0), (held.OnHand, held.Reserved, held.Sold));
        Assert.Equal(new OrderHold(3, HoldState.Held), held.Holds["o-1"]);
        Assert.Equal(HoldOutcome.Held, held.OutcomeFor("o-1"));
        AssertStockAddsUp(held);
    }

    [Fact]
    public void HoldingAgainForTheSameOrderChangesNothing()
    {
        var held = Widget().Hold("o-1", 3);

        Assert.Same(held, held.Hold("o-1", 3));
        Assert.Same(held, held.Hold("o-1", 5));
    }

    [Fact]
    public void AShortHoldTakesNothingAndReadsAsShort()
    {
        var product = Widget(onHand: 2);

        var after = product.Hold("o-1", 3);

        Assert.Same(product, after);
        Assert.Equal(HoldOutcome.Short, after.OutcomeFor("o-1"));
    }

    [Fact]
    public void HoldingExactlyWhatIsOnHandSucceeds()
    {
        var held = Widget(onHand: 3).Hold("o-1", 3);

        Assert.Equal((0, 3), (held.OnHand, held.Reserved));
    }

    [Fact]
    public void ReleasingGivesTheHoldBackOnce()
    {
        var released = Widget().Hold("o-1", 3).Release("o-1");

        Assert.Equal((10, 0, 0), (released.OnHand, released.Reserved, released.Sold));
        Assert.Equal(HoldState.Released, released.Holds["o-1"].State);
        Assert.Same(released, released.Release("o-1"));
        AssertStockAddsUp(released);
    }

    [Fact]
    public void AReleasedHoldCannotBeTakenAgainByALateDuplicate()
    {
        var released = Widget().Hold("o-1", 3).Release("o-1");

        var after = released.Hold("o-1", 3);

        Assert.Same(released, after);
        Assert.Equal(HoldOutcome.Settled, after.OutcomeFor("o-1"));
    }

    [Fact]
    public void ReleasingWithoutAHoldLeavesAMarkerThatBlocksALaterHold()
    {
        var product = Widget();

        var marked = product.Release("o-1");

        Assert.Equal((10, 0), (marked.OnHand, marked.Reserved));
        Assert.Equal(new OrderHold(0, HoldState.Released), marked.Holds["o-1"]);
        Assert.Same(marked, marked.Hold("o-1", 1));
    }

    [Fact]
    public void CommittingMovesTheHoldToSoldOnce()
    {
        var committed = Widget().Hold("o-1", 3).Commit("o-1");

        Assert.Equal((7, 0, 3), (committed.OnHand, committed.Reserved, committed.Sold));
        Assert.Equal(HoldOutcome.Settled, committed.OutcomeFor("o-1"));
        Assert.Same(committed, committed.Commit("o-1"));
        AssertStockAddsUp(committed);
    }

    [Fact]
    public void CommittingWithoutAHoldOrAfterAReleaseChangesNothing()
    {
        var product = Widget();
        var released = product.Hold("o-1", 3).Release("o-1");

        Assert.Same(product, product.Commit("o-1"));
        Assert.Same(released, released.Commit("o-1"));
    }

    [Fact]
    public void ACommittedHoldIsNotReleased()
    {
        var committed = Widget().Hold("o-1", 3).Commit("o-1");

        Assert.Same(committed, committed.Release("o-1"));
    }

    [Fact]
    public void HoldsOfDifferentOrdersAreIndependent()
    {
        var product = Widget().Hold("o-1", 3).Hold("o-2", 4).Release("o-1").Commit("o-2");

        Assert.Equal((6, 0, 4), (product.OnHand, product.Reserved, product.Sold));
        AssertStockAddsUp(product);
    }

    [Fact]
    public void PutCreatesAProductWhoseStockIsAllReceived()
    {
        var created = Product.Put(null, "thing", "Thing", 1.50m, 7);

        Assert.Equal(("thing", "Thing", 1.50m, 7, 0, 0, 7), (created.ProductId, created.Name, created.Price, created.OnHand, created.Reserved, created.Sold, created.Received));
    }

    [Fact]
    public void PutMovesReceivedByTheChangeInOnHandAndKeepsReservedAndSold()
    {
        var busy = Widget().Hold("o-1", 3).Hold("o-2", 2).Commit("o-2");

        var restocked = Product.Put(busy, "widget", "Widget v2", 11.00m, 20);
        var reduced = Product.Put(restocked, "widget", "Widget v2", 11.00m, 1);

        Assert.Equal((20, 3, 2, 25), (restocked.OnHand, restocked.Reserved, restocked.Sold, restocked.Received));
        Assert.Equal((1, 3, 2, 6), (reduced.OnHand, reduced.Reserved, reduced.Sold, reduced.Received));
        Assert.Equal(("Widget v2", 11.00m), (restocked.Name, restocked.Price));
        Assert.Equal(busy.Holds, restocked.Holds);
        AssertStockAddsUp(reduced);
    }

    [Fact]
    public void PutWithTheSameValuesChangesNothing()
    {
        var product = Widget();

        Assert.Same(product, Product.Put(product, "widget", "Widget", 10.00m, 10));
    }
}
