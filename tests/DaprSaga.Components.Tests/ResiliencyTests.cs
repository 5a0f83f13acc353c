using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace DaprSaga.Components.Tests;

/// <summary>The resiliency spec (dapr pkg/apis/resiliency/v1alpha1, semantics in dapr pkg/resiliency).</summary>
public sealed class ResiliencyTests
{
    /// <summary>
    /// dapr pkg/runtime/subscription/subscription.go deadLetterPublishTimeout, from runtime 1.18 on;
    /// earlier runtimes published on the delivery's own context, with no deadline of their own.
    /// </summary>
    private static readonly TimeSpan DeadLetterPublishTimeout = TimeSpan.FromSeconds(30);

    private readonly DaprResource _resiliency = Assert.Single(ResourceSet.Default.Resources, r => r.Kind == DaprResource.Resiliency);

    private YamlMappingNode Policies => _resiliency.Spec.Mapping("policies");
    private YamlMappingNode Targets => _resiliency.Spec.Mapping("targets");

    [Fact]
    public void ResiliencyAppliesToAllFiveApps()
    {
        Assert.Equal(AppIds.All.Order(StringComparer.Ordinal), _resiliency.Scopes.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void ResiliencyTargetsNameRealAppsAndComponentsOfEveryVariant()
    {
        var componentsOfEverySet = ResourceSet.VariantFolders
            .Select(f => ResourceSet.With(f).Components.Select(c => c.Name).ToHashSet())
            .ToList();

        Assert.All(Targets.Mapping("apps").Entries(), t => Assert.Contains(t.Key, AppIds.All));
        Assert.All(Targets.Mapping("components").Entries(), t =>
            Assert.All(componentsOfEverySet, names => Assert.Contains(t.Key, names)));
    }

    [Fact]
    public void EveryParticipantTheOrchestratorCallsHasAnInvocationTimeoutAndRetry()
    {
        var apps = Targets.Mapping("apps");

        Assert.All(AppIds.All.Where(a => a != AppIds.OrderProcessService), app =>
        {
            var target = Assert.IsType<YamlMappingNode>(apps.Get(app));
            Assert.NotNull(target.Scalar("timeout"));
            Assert.NotNull(target.Scalar("retry"));
        });
    }

    [Fact]
    public void PubSubDeliveriesHaveATimeoutAndBoundedRetriesAndPublishesAreRetried()
    {
        var pubsub = Targets.Mapping("components").Mapping(ComponentNames.PubSub);
        var inbound = pubsub.Mapping("inbound");

        Assert.NotNull(inbound.Scalar("timeout"));
        // Bounded (maxRetries >= 0; -1 = forever), so a failing message reaches the dead-letter topic.
        Assert.InRange(MaxRetries(Retry(inbound.Scalar("retry"))), 1, 20);
        Assert.InRange(MaxRetries(Retry(pubsub.Mapping("outbound").Scalar("retry"))), 1, 20);
    }

    [Fact]
    public void EveryPolicyATargetNamesIsDefinedAndValid()
    {
        var timeouts = Policies.Mapping("timeouts");
        var retries = Policies.Mapping("retries");
        var directions = Targets.Mapping("components").Entries()
            .SelectMany(c => new[] { "inbound", "outbound" }.Select(((YamlMappingNode)c.Value).Get));
        var targets = Targets.Mapping("apps").Entries().Select(a => a.Value)
            .Concat(directions)
            .OfType<YamlMappingNode>()
            .ToList();

        Assert.NotEmpty(targets);
        Assert.All(targets, t =>
        {
            if (t.Scalar("timeout") is { } timeout)
            {
                Assert.True(DaprValues.Duration(timeouts.Scalar(timeout) ?? "") > TimeSpan.Zero, $"timeout policy '{timeout}'");
            }

            if (t.Scalar("retry") is { } retry)
            {
                Assert.IsType<YamlMappingNode>(retries.Get(retry));
            }

            if (t.Scalar("circuitBreaker") is { } breaker)
            {
                Assert.IsType<YamlMappingNode>(Policies.Mapping("circuitBreakers").Get(breaker));
            }
        });
        Assert.All(retries.Entries(), r =>
        {
            var policy = (YamlMappingNode)r.Value;
            Assert.Contains(policy.Scalar("policy"), new[] { "constant", "exponential" });
            Assert.All(new[] { "duration", "maxInterval" }.Select(policy.Scalar).OfType<string>(),
                d => Assert.True(DaprValues.Duration(d) > TimeSpan.Zero));
        });
    }

    [Fact]
    public void InvocationRetriesRepeatTransientAnswersButNotBusinessRefusals()
    {
        // Without matching.httpStatusCodes daprd retries every non-2xx answer of the target app,
        // a 409 refusal included (dapr pkg/resiliency/retry.go mustRetryStatusCode).
        Assert.All(Targets.Mapping("apps").Entries(), t =>
        {
            var retry = Retry(((YamlMappingNode)t.Value).Scalar("retry"));
            var codes = retry.Mapping("matching").Scalar("httpStatusCodes");
            Assert.False(string.IsNullOrEmpty(codes), $"{t.Key}: retry without matching.httpStatusCodes");
            var retried = DaprValues.StatusCodes(codes);
            Assert.All(new[] { 400, 404, 409, 422 }, c => Assert.False(retried(c), $"{t.Key}: {c} would be retried"));
            Assert.All(new[] { 500, 503 }, c => Assert.True(retried(c), $"{t.Key}: {c} would not be retried"));
        });
    }

    [Fact]
    public void RedisKeepsADeliveryPendingLongerThanTheWholeInboundRetryBudget()
    {
        // pubsub.redis reclaims and redelivers a message pending for processingTimeout
        // (components-contrib pubsub/redis/redis.go): shorter than daprd's retries plus the
        // dead-letter publish, it would deliver the same message again while it is still retried.
        var inbound = Targets.Mapping("components").Mapping(ComponentNames.PubSub).Mapping("inbound");
        var timeout = DaprValues.Duration(Policies.Mapping("timeouts").Scalar(inbound.Scalar("timeout") ?? "") ?? "");
        var budget = WorstCase(Retry(inbound.Scalar("retry")), timeout) + DeadLetterPublishTimeout;
        var redis = DaprResource.All().Where(r => r.Type == "pubsub.redis").ToList();

        Assert.NotEmpty(redis);
        Assert.All(redis, c => Assert.True(
            DaprValues.Duration(c.Metadata["processingTimeout"]) > budget,
            $"{c}: processingTimeout {c.Metadata["processingTimeout"]} is not above the inbound budget {budget}"));
    }

    private YamlMappingNode Retry(string? name) =>
        Assert.IsType<YamlMappingNode>(Policies.Mapping("retries").Get(name ?? ""));

    private static int MaxRetries(YamlMappingNode retry) =>
        int.Parse(retry.Scalar("maxRetries") ?? "-1", CultureInfo.InvariantCulture);

    /// <summary>
    /// Every attempt timing out, with the longest backoff between them: exponential starts at
    /// 500ms, grows x1.5, is capped at maxInterval (default 60s) and jittered up to +50%; constant
    /// waits duration (default 5s) (dapr/kit retry, cenkalti/backoff defaults).
    /// </summary>
    private static TimeSpan WorstCase(YamlMappingNode retry, TimeSpan timeout)
    {
        var retries = MaxRetries(retry);
        Assert.True(retries >= 0, "unbounded retries have no worst case");
        var waits = retry.Scalar("policy") == "exponential"
            ? Enumerable.Range(0, retries).Select(i =>
                1.5 * Math.Min(0.5 * Math.Pow(1.5, i), DaprValues.Duration(retry.Scalar("maxInterval") ?? "60s").TotalSeconds))
            : Enumerable.Repeat(DaprValues.Duration(retry.Scalar("duration") ?? "5s").TotalSeconds, retries);
        return ((retries + 1) * timeout) + TimeSpan.FromSeconds(waits.Sum());
    }
}
