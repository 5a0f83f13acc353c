using DaprSaga.Contracts;

namespace DaprSaga.ServiceDefaults.Tests;

public sealed class InputRulesTests
{
    [Theory]
    [InlineData("order-1_A", true)]
    [InlineData("", false)]
    [InlineData("a||b", false)]
    [InlineData("a b", false)]
    [InlineData("é", false)]
    public void AnIdIsOneTo64SafeCharacters(string id, bool valid) => Assert.Equal(valid, InputRules.IsId(id));

    [Fact]
    public void AnIdOf65CharactersIsRefused() => Assert.False(InputRules.IsId(new string('a', 65)));

    [Theory]
    [InlineData(0, true)]
    [InlineData(1_000_000, true)]
    [InlineData(-0.01, false)]
    [InlineData(1.005, false)]
    [InlineData(1_000_000.01, false)]
    public void MoneyIsZeroToAMillionWithTwoDecimals(decimal value, bool valid) => Assert.Equal(valid, InputRules.IsMoney(value));

    [Fact]
    public void AValidNewOrderBecomesANewOrderWithItsDefaults()
    {
        var errors = NewOrderRules.Validate(new PlaceOrder("alice", [new OrderLineInput("widget", 2, 10m)], "north"), orchestrated: false, out var order);

        Assert.Empty(errors);
        Assert.Equal(new NewOrder("alice", order!.Items, "north", false, null), order);
        Assert.Equal(20m, order.Total);
    }

    [Fact]
    public void EveryBrokenFieldOfANewOrderIsNamedInTheErrors()
    {
        var request = new PlaceOrder("a||b", [new OrderLineInput("widget", 0, 1.001m), null, new OrderLineInput("widget", 1, 1m)], "", Engine: "steam");

        var errors = NewOrderRules.Validate(request, orchestrated: true, out var order);

        Assert.Null(order);
        Assert.Equal(
            ["customerId", "deliveryZone", "engine", "items[0].quantity", "items[0].unitPrice", "items[1]", "items[2].productId"],
            errors.Keys.Order(StringComparer.Ordinal));
        Assert.Equal([InputRules.IdMessage], errors["customerId"]);
    }

    [Fact]
    public void TheEngineAndTheSelfConfirmingPaymentBelongToTheOrchestratorsStart()
    {
        var request = new PlaceOrder("alice", [new OrderLineInput("widget", 1, 1m)], "north", Engine: "runner");

        Assert.Equal(["engine"], NewOrderRules.Validate(request, orchestrated: false, out _).Keys);
        Assert.Empty(NewOrderRules.Validate(request, orchestrated: true, out var order));
        Assert.Equal(SagaEngine.Runner, order!.Engine);
        // The orchestrator confirms the payment unless told to wait; the choreography waits unless told not to.
        Assert.True(order.AutoConfirmPayment);
        Assert.Empty(NewOrderRules.Validate(request with { Engine = null }, orchestrated: false, out var choreographed));
        Assert.False(choreographed!.AutoConfirmPayment);
    }

    [Fact]
    public void AMissingBodyIsNamed() => Assert.Equal(["body"], NewOrderRules.Validate(null, orchestrated: false, out _).Keys);
}
