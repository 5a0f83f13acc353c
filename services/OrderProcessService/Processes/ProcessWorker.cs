using System.Threading.Channels;

namespace DaprSaga.OrderProcessService.Processes;

/// <summary>
/// Runs instances in the background, a bounded number at a time, so a request that starts or
/// resumes a saga returns at once. Nothing here is durable on purpose: the instance is already
/// persisted, and the recovery tick resumes whatever a crash dropped from this queue.
/// </summary>
public sealed partial class ProcessWorker(ProcessRunner runner, ILogger<ProcessWorker> log) : BackgroundService
{
    private const int Parallelism = 16;
    private readonly Channel<string> _queue = Channel.CreateUnbounded<string>();

    public void Enqueue(string orderId) => _queue.Writer.TryWrite(orderId);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Parallel.ForEachAsync(_queue.Reader.ReadAllAsync(stoppingToken),
            new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = stoppingToken },
            async (orderId, ct) =>
            {
                try
                {
                    await runner.RunAsync(orderId, ct);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // Left for the recovery tick; the instance and its lease are in the store.
                    LogFailed(e, orderId);
                }
            });

    [LoggerMessage(Level = LogLevel.Warning, Message = "Order process {OrderId} stopped on an error; the recovery tick resumes it")]
    private partial void LogFailed(Exception e, string orderId);
}
