using System.Net;
using System.Text.Json;
using Dapr.Client;

namespace DaprSaga.OrderService.Timeline;

/// <summary>What order-process-service said about an order's saga: its view, that it has none, or nothing in time.</summary>
public sealed record OrchestratorAnswer(OrchestratorLane Lane, OrderProcessView? Process = null)
{
    public static readonly OrchestratorAnswer Unavailable = new(OrchestratorLane.Unavailable);

    public static readonly OrchestratorAnswer NoProcess = new(OrchestratorLane.NoProcess);
}

/// <summary>
/// GET /order-processes/{id} through service invocation (the orchestrator owns that state); any
/// failure is an unavailable lane, never a failed timeline.
/// </summary>
public sealed partial class OrchestratorSteps(DaprClient dapr, ILogger<OrchestratorSteps> log)
{
    /// <summary>A timeline is read by a person waiting: past this it is drawn without the orchestrator's lane.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(3);

    private readonly HttpClient _process = dapr.CreateInvokableHttpClient(AppIds.OrderProcessService);

    public async Task<OrchestratorAnswer> GetAsync(string orderId, CancellationToken cancellationToken)
    {
        using var patience = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        patience.CancelAfter(Patience);
        try
        {
            using var response = await _process.GetAsync(
                new Uri($"/order-processes/{Uri.EscapeDataString(orderId)}", UriKind.Relative), patience.Token);
            if (response.StatusCode == HttpStatusCode.NotFound) return OrchestratorAnswer.NoProcess;
            if (!response.IsSuccessStatusCode)
            {
                LogUnavailable(orderId, $"answered {(int)response.StatusCode}");
                return OrchestratorAnswer.Unavailable;
            }
            var view = await response.Content.ReadFromJsonAsync<OrderProcessView>(ServiceDefaultsExtensions.JsonOptions, patience.Token);
            return view is null ? OrchestratorAnswer.Unavailable : new OrchestratorAnswer(OrchestratorLane.Drawn, view);
        }
        catch (Exception e) when (e is HttpRequestException or JsonException or NotSupportedException
            || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            LogUnavailable(orderId, e.Message);
            return OrchestratorAnswer.Unavailable;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Timeline of order {OrderId} drawn without the orchestrator's lane: order-process-service {Reason}")]
    private partial void LogUnavailable(string orderId, string reason);
}
