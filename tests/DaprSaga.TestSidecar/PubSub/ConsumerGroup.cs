using System.Threading.Channels;

namespace DaprSaga.TestSidecar.PubSub;

public enum DeliveryOutcome { Success, Retry, Drop }

/// <summary>The sidecar side of a subscription: routes and POSTs one message to its app.</summary>
internal interface IMessageConsumer
{
    string AppId { get; }
    Subscription Subscription { get; }
    Task<DeliveryOutcome> DeliverAsync(CloudEvent cloudEvent, CancellationToken cancellationToken);
}

/// <summary>
/// A consumer group on one topic: a queue worked by up to <see cref="DeliveryPolicy.Concurrency"/>
/// concurrent deliveries (pubsub.redis `concurrency`, 10 by default, hence no ordering), with
/// retries as the resiliency policy gives them, then the dead-letter topic, else dropped.
/// Every replica of the app id joins the same group (daprd's consumerID defaults to the app id,
/// dapr `pkg/runtime/processor/pubsub/pubsub.go`), so each message goes to one of them: the
/// replicas take turns, and a message whose replica went away is taken by another (pubsub.redis
/// reclaims a pending message with XCLAIM under the same group).
/// </summary>
internal sealed class ConsumerGroup
{
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>();
    private readonly InMemoryPubSub _pubsub;
    private readonly Lock _gate = new();
    private readonly List<IMessageConsumer> _consumers = [];
    private long _turn;
    private TaskCompletionSource _attached = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private sealed record Pending(CloudEvent Event, bool HeldBack);

    public ConsumerGroup(InMemoryPubSub pubsub, string topic, string name)
    {
        (_pubsub, Topic, Name) = (pubsub, topic, name);
        _ = Task.Run(WorkAsync);
    }

    public string Topic { get; }

    public string Name { get; }

    private Testbed Testbed => _pubsub.Testbed;

    public void Attach(IMessageConsumer consumer)
    {
        lock (_gate)
        {
            if (!_consumers.Contains(consumer)) _consumers.Add(consumer);
            _attached.TrySetResult();
        }
    }

    public void Detach(IMessageConsumer consumer)
    {
        lock (_gate)
        {
            if (!_consumers.Remove(consumer) || _consumers.Count > 0) return;
            _attached = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    public void Enqueue(CloudEvent cloudEvent)
    {
        Write(new Pending(cloudEvent, HeldBack: false));
        // At-least-once: the broker may hand the same message over twice.
        if (Testbed.Faults.Roll(FaultKind.DuplicateDelivery)) Write(new Pending(cloudEvent, HeldBack: false));
    }

    private void Write(Pending pending)
    {
        Testbed.Track(+1);
        if (!_queue.Writer.TryWrite(pending)) Testbed.Track(-1);
    }

    private async Task WorkAsync()
    {
        var token = Testbed.Stopping;
        using var slots = new SemaphoreSlim(Testbed.Delivery.Concurrency);
        try
        {
            await foreach (var pending in _queue.Reader.ReadAllAsync(token))
            {
                if (!pending.HeldBack && Testbed.Faults.Roll(FaultKind.ReorderDelivery))
                {
                    // Held back behind whatever is queued now, so later messages overtake it.
                    _ = ReorderLaterAsync(pending with { HeldBack = true }, token);
                    continue;
                }
                await slots.WaitAsync(token);
                _ = DeliverAsync(pending.Event, token).ContinueWith(_ => slots.Release(), TaskScheduler.Default);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task ReorderLaterAsync(Pending pending, CancellationToken token)
    {
        try
        {
            await Task.Delay(Testbed.Faults.NextDelay(), token);
            if (!_queue.Writer.TryWrite(pending)) Testbed.Track(-1);
        }
        catch (OperationCanceledException)
        {
            Testbed.Track(-1);
        }
    }

    /// <summary>
    /// The replica that handles a delivery attempt: the one that had it while it is still there
    /// (daprd retries within itself), else the next one in turn, else the first to attach.
    /// </summary>
    private async Task<IMessageConsumer> ConsumerAsync(IMessageConsumer? previous, CancellationToken token)
    {
        while (true)
        {
            Task attached;
            lock (_gate)
            {
                if (previous is not null && _consumers.Contains(previous)) return previous;
                if (_consumers.Count > 0) return _consumers[(int)(_turn++ % _consumers.Count)];
                attached = _attached.Task;
            }
            await attached.WaitAsync(token);
        }
    }

    private async Task DeliverAsync(CloudEvent cloudEvent, CancellationToken token)
    {
        var policy = Testbed.Delivery;
        var retries = 0;
        var interval = policy.InitialInterval;
        IMessageConsumer? consumer = null;
        try
        {
            while (true)
            {
                consumer = await ConsumerAsync(consumer, token);
                if (Testbed.Faults.Roll(FaultKind.DelayDelivery)) await Task.Delay(Testbed.Faults.NextDelay(), token);

                var outcome = Testbed.Faults.Roll(FaultKind.FailBeforeDelivery)
                    ? DeliveryOutcome.Retry
                    : await consumer.DeliverAsync(cloudEvent, token);
                // The handler ran, but its answer never reached the broker: it comes again.
                if (outcome == DeliveryOutcome.Success && Testbed.Faults.Roll(FaultKind.LostAck)) outcome = DeliveryOutcome.Retry;

                if (outcome == DeliveryOutcome.Success) return;
                if (outcome == DeliveryOutcome.Retry && (policy.MaxRetries < 0 || retries < policy.MaxRetries))
                {
                    retries++;
                    Testbed.CountRedelivery();
                    await Task.Delay(interval, token);
                    interval = TimeSpan.FromTicks(Math.Min((long)(interval.Ticks * policy.Multiplier), policy.MaxInterval.Ticks));
                    continue;
                }
                // Dropped, or out of retries: to the dead-letter topic if there is one. Otherwise
                // (or if that publish is refused) pubsub.redis acks the failed message anyway
                // (components-contrib `pubsub/redis/redis.go` processMessage XAcks on handler
                // error unless the handler's context was cancelled): it is gone.
                DeadLetterOrDrop(consumer, cloudEvent);
                return;
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }
        finally
        {
            Testbed.Track(-1);
        }
    }

    private void DeadLetterOrDrop(IMessageConsumer consumer, CloudEvent cloudEvent)
    {
        var topic = consumer.Subscription.DeadLetterTopic;
        // The dead-letter publish goes through the subscriber's publishing scope (publisher.go).
        if (topic is not null && _pubsub.MayPublish(consumer.AppId, topic))
        {
            _pubsub.PublishRaw(topic, cloudEvent);
            Testbed.CountDeadLettered();
            return;
        }
        Testbed.CountDropped();
    }
}
