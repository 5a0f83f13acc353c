using DaprSaga.DeliveryService.Couriers;
using DaprSaga.DeliveryService.Deliveries;

namespace DaprSaga.DeliveryService.Tests;

public sealed class CourierChoiceTests
{
    private static readonly Delivery North = Delivery.Request(null, "o-1", SagaFlow.Choreography, "north")!;

    private static Courier Busy(Courier c, int orders)
    {
        for (var i = 0; i < orders; i++) c = c.Take($"other-{i}", c.Zone).Next ?? c;
        return c;
    }

    [Fact]
    public void TheLeastLoadedCourierOfTheZoneIsAskedFirst()
    {
        Courier[] couriers = [Busy(Courier.Register("c-north-1", "a", "north", 50), 2), Busy(Courier.Register("c-north-2", "b", "north", 50), 1)];

        Assert.Equal("c-north-2", CourierChoice.Next(North, couriers)?.CourierId);
    }

    [Fact]
    public void EquallyLoadedCouriersAreAskedInIdOrder()
    {
        Courier[] couriers = [Courier.Register("c-north-2", "b", "north", 50), Courier.Register("c-north-1", "a", "north", 50)];

        Assert.Equal("c-north-1", CourierChoice.Next(North, couriers)?.CourierId);
    }

    [Fact]
    public void CouriersOfOtherZonesFullOrDeclinedAreNotAsked()
    {
        Courier[] couriers =
        [
            Courier.Register("c-south-1", "s", "south", 50),
            Busy(Courier.Register("c-north-1", "a", "north", 1), 1),
            Courier.Register("c-north-2", "b", "north", 50),
            Courier.Register("c-north-3", "c", "north", 0),
        ];
        var declined = North.Ask("c-north-2", DateTimeOffset.UnixEpoch)!.Answered("c-north-2", AssignmentState.Declined, DateTimeOffset.UnixEpoch)!;

        Assert.Null(CourierChoice.Next(declined, couriers));
    }

    [Fact]
    public void ACourierThatAlreadyAnsweredTheOrderIsNotAskedAgain()
    {
        Courier[] couriers = [Courier.Register("c-north-1", "a", "north", 50).Withdraw("o-1")!];

        Assert.Null(CourierChoice.Next(North, couriers));
    }

    [Fact]
    public void ACourierAlreadyHoldingTheOrdersSlotIsAskedBeforeAnyOther()
    {
        var holder = Busy(Courier.Register("c-north-9", "z", "north", 50), 10).Take("o-1", "north").Next!;
        Courier[] couriers = [Courier.Register("c-north-1", "a", "north", 50), holder];

        Assert.Equal("c-north-9", CourierChoice.Next(North, couriers)?.CourierId);
    }

    private static readonly IReadOnlyList<string> Eight = [.. Enumerable.Range(0, 8).Select(k => $"c-{k}")];

    [Fact]
    public void TwoCouriersOrFewerAreAllCompared()
    {
        Assert.Equal(["c-1", "c-2"], CourierChoice.Sample("o-1", ["c-1", "c-2"]));
        Assert.Equal(["c-1"], CourierChoice.Sample("o-1", ["c-1"]));
        Assert.Empty(CourierChoice.Sample("o-1", []));
    }

    [Fact]
    public void AnOrderComparesTwoDifferentCouriersOfTheZoneAndTheSameTwoEveryTime()
    {
        var sample = CourierChoice.Sample("o-1", Eight);

        Assert.Equal(2, sample.Distinct().Count());
        Assert.All(sample, id => Assert.Contains(id, Eight));
        Assert.Equal(sample, CourierChoice.Sample("o-1", Eight));
    }

    [Fact]
    public void OrdersSpreadOverEveryCourierOfTheZone()
    {
        var compared = Enumerable.Range(0, 200).SelectMany(i => CourierChoice.Sample($"o-{i}", Eight)).CountBy(id => id).ToDictionary();

        Assert.Equal(Eight, compared.Keys.Order(StringComparer.Ordinal));
        // 400 comparisons over 8 couriers: about 50 each, none far off.
        Assert.All(compared.Values, n => Assert.InRange(n, 25, 75));
    }
}
