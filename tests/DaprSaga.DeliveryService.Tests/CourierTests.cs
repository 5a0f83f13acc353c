using DaprSaga.DeliveryService.Couriers;

namespace DaprSaga.DeliveryService.Tests;

public sealed class CourierTests
{
    private static readonly Courier East = Courier.Register("c-east-1", "East", "east", capacity: 1);

    /// <summary>Taking o-1 again changes nothing: the courier repeats <paramref name="answer"/> and has no active slot.</summary>
    private static void AssertALateTakeGetsNoSlot(Courier courier, AssignmentState answer)
    {
        var (next, actual) = courier.Take("o-1", "east");

        Assert.Null(next);
        Assert.Equal(answer, actual);
        Assert.Equal(0, courier.ActiveDeliveries);
    }

    /// <summary>A free courier takes an order of its own zone, whatever the zone's case, and declines one of another.</summary>
    [Theory]
    [InlineData("east", AssignmentState.Active, 1)] // a courier with a free slot in the zone takes the order
    [InlineData("East", AssignmentState.Active, 1)] // zones match ignoring case
    [InlineData("west", AssignmentState.Declined, 0)] // a courier of another zone declines
    public void AFreeCourierTakesAnOrderOfItsZoneAndDeclinesAnyOther(string zone, AssignmentState expected, int active)
    {
        var (next, answer) = East.Take("o-1", zone);

        Assert.Equal(expected, answer);
        Assert.Equal(active, next!.ActiveDeliveries);
        Assert.Equal(active == 0, next.HasFreeSlot);
    }

    [Fact]
    public void AFullCourierDeclinesAndRemembersIt()
    {
        var (full, _) = East.Take("o-1", "east");

        var (next, answer) = full!.Take("o-2", "east");

        Assert.Equal(AssignmentState.Declined, answer);
        Assert.Equal(AssignmentState.Declined, next!.AnswerFor("o-2"));
        Assert.Equal(1, next.ActiveDeliveries);
    }

    [Fact]
    public void ARepeatedTakeGetsTheSameAnswerAndChangesNothing()
    {
        var (taken, _) = East.Take("o-1", "east");

        var (next, answer) = taken!.Take("o-1", "east");

        Assert.Null(next);
        Assert.Equal(AssignmentState.Active, answer);
    }

    [Fact]
    public void ATakeAfterTheReleaseNeverTakesASecondSlot()
    {
        var released = East.Take("o-1", "east").Next!.Release("o-1")!;

        AssertALateTakeGetsNoSlot(released, AssignmentState.Released);
    }

    [Fact]
    public void ReleasingFreesTheSlotOnceAndOnlyAnActiveOne()
    {
        var released = East.Take("o-1", "east").Next!.Release("o-1")!;

        Assert.Equal(0, released.ActiveDeliveries);
        Assert.True(released.HasFreeSlot);
        Assert.Null(released.Release("o-1"));
        Assert.Null(East.Release("o-unknown"));
    }

    [Fact]
    public void WithdrawingAnActiveOrderFreesItsSlot()
    {
        var withdrawn = East.Take("o-1", "east").Next!.Withdraw("o-1")!;

        Assert.Equal(AssignmentState.Released, withdrawn.AnswerFor("o-1"));
        Assert.Equal(0, withdrawn.ActiveDeliveries);
    }

    [Fact]
    public void WithdrawingAnOrderNotYetAnsweredDeclinesItSoALateTakeGetsNoSlot()
    {
        var withdrawn = East.Withdraw("o-1")!;

        AssertALateTakeGetsNoSlot(withdrawn, AssignmentState.Declined);
    }

    [Fact]
    public void WithdrawingTwiceOrADeclinedOrderChangesNothing()
    {
        var declined = East.Take("o-1", "east").Next!.Take("o-2", "east").Next!;

        Assert.Null(declined.Withdraw("o-2"));
        Assert.Null(declined.Withdraw("o-1")!.Withdraw("o-1"));
    }

    [Fact]
    public void ACapacityBelowTheActiveCountKeepsTheAssignmentsButTakesNoMore()
    {
        var north = Courier.Register("c-n", "North", "north", 2);
        var busy = north.Take("o-1", "north").Next!.Take("o-2", "north").Next!;

        var shrunk = busy.Describe("North", "north", 1)!;

        Assert.Equal(2, shrunk.ActiveDeliveries);
        Assert.Equal(AssignmentState.Declined, shrunk.Take("o-3", "north").Answer);
    }

    [Fact]
    public void DescribingACourierAsItIsChangesNothing() => Assert.Null(East.Describe("East", "east", 1));

    [Fact]
    public void TheViewCountsActiveAssignmentsOnly()
    {
        var courier = Courier.Register("c-n", "North", "north", 5)
            .Take("o-1", "north").Next!.Take("o-2", "north").Next!.Release("o-1")!;

        Assert.Equal(new CourierView("c-n", "North", "north", 5, 1), CourierView.Of(courier));
    }
}
