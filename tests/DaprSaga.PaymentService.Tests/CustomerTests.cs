using DaprSaga.PaymentService.Customers;

namespace DaprSaga.PaymentService.Tests;

public sealed class CustomerTests
{
    private static readonly Customer Bob = Customer.Open("bob", "Bob", 50.00m);

    [Fact]
    public void ADebitTakesTheAmountAndRecordsItForTheOrder()
    {
        var after = Bob.Debit("o-1", 20.00m);

        Assert.Equal(30.00m, after.Credit);
        Assert.Equal(new LedgerEntry(20.00m, LedgerEntryKind.Debited), after.EntryFor("o-1"));
    }

    public static TheoryData<decimal, decimal, LedgerEntryKind> DebitsAtOrBeyondTheCredit => new()
    {
        { 50.00m, 0m, LedgerEntryKind.Debited }, // exactly the whole credit succeeds
        { 99.00m, 50.00m, LedgerEntryKind.Declined }, // beyond the credit is declined and leaves the credit
    };

    [Theory]
    [MemberData(nameof(DebitsAtOrBeyondTheCredit))]
    public void ADebitAtOrBeyondTheCreditIsDebitedOrDeclined(decimal amount, decimal creditAfter, LedgerEntryKind kind)
    {
        var after = Bob.Debit("o-1", amount);

        Assert.Equal(creditAfter, after.Credit);
        Assert.Equal(kind, after.EntryFor("o-1")!.Kind);
    }

    [Fact]
    public void ASecondDebitForTheSameOrderChangesNothing()
    {
        var once = Bob.Debit("o-1", 20.00m);

        Assert.Same(once, once.Debit("o-1", 20.00m));
    }

    [Fact]
    public void ADeclinedDebitStaysDeclinedWhenCreditArrivesLater()
    {
        var declined = Bob.Debit("o-1", 99.00m);
        var richer = declined with { Credit = 1000m };

        Assert.Same(richer, richer.Debit("o-1", 99.00m));
    }

    [Fact]
    public void ARefundGivesBackWhatTheOrderDebitedOnce()
    {
        var refunded = Bob.Debit("o-1", 20.00m).Refund("o-1");

        Assert.Equal(50.00m, refunded.Credit);
        Assert.Equal(LedgerEntryKind.Refunded, refunded.EntryFor("o-1")!.Kind);
        Assert.Same(refunded, refunded.Refund("o-1"));
    }

    [Fact]
    public void ARefundAfterARefundDoesNotDebitAgainEither()
    {
        var refunded = Bob.Debit("o-1", 20.00m).Refund("o-1");

        Assert.Same(refunded, refunded.Debit("o-1", 20.00m));
    }

    [Fact]
    public void ARefundWithoutADebitChangesNothing()
    {
        Assert.Same(Bob, Bob.Refund("o-1"));
        var declined = Bob.Debit("o-1", 99.00m);
        Assert.Same(declined, declined.Refund("o-1"));
    }

    [Fact]
    public void DebitsOfOtherOrdersAreIndependent()
    {
        var after = Bob.Debit("o-1", 20.00m).Debit("o-2", 20.00m).Debit("o-3", 20.00m);

        Assert.Equal(10.00m, after.Credit);
        Assert.Equal(LedgerEntryKind.Declined, after.EntryFor("o-3")!.Kind);
    }
}
