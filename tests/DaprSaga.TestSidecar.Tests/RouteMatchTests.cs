using System.Text.Json.Nodes;
using DaprSaga.TestSidecar.PubSub;

namespace DaprSaga.TestSidecar.Tests;

/// <summary>The CEL subset routing rules are written in.</summary>
public sealed class RouteMatchTests
{
    private static readonly JsonObject Event = JsonNode.Parse("""
        {"type":"paid.v1","source":"billing-app","data":{"flow":"Choreography","amount":20}}
        """)!.AsObject();

    [Theory]
    [InlineData("event.type == \"paid.v1\"", true)]
    [InlineData("event.type == 'paid.v1'", true)]
    [InlineData("event.type != \"paid.v1\"", false)]
    [InlineData("event.type == \"paid.v2\"", false)]
    [InlineData("event.data.flow == \"Choreography\" && event.source == \"billing-app\"", true)]
    [InlineData("event.data.flow == \"Orchestration\" || event.source == \"billing-app\"", true)]
    [InlineData("!(event.data.flow == \"Orchestration\")", true)]
    [InlineData("event.data.amount == 20", true)]
    [InlineData("event.missing == \"x\"", false)]
    [InlineData("true", true)]
    public void AnExpressionIsEvaluatedAgainstTheCloudEvent(string expression, bool expected) =>
        Assert.Equal(expected, RouteMatch.Parse(expression).Matches(Event));

    [Theory]
    [InlineData("type == \"x\"")]
    [InlineData("event.type == ")]
    [InlineData("event.type == \"x")]
    [InlineData("event.type.startsWith(\"x\")")]
    public void AnExpressionOutsideTheSupportedSubsetIsRejectedWhenTheSubscriptionLoads(string expression) =>
        Assert.Throws<FormatException>(() => RouteMatch.Parse(expression));
}
