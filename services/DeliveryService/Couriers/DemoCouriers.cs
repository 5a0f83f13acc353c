namespace DaprSaga.DeliveryService.Couriers;

/// <summary>
/// Seeds the demo couriers (docs/architecture.md, Demo data) when absent (never overwriting a changed one) and puts every
/// courier on its zone's roster, retrying until the sidecar answers: the app may start before its
/// sidecar is ready.
/// </summary>
public sealed class DemoCouriers(CourierRoster roster, TimeProvider time, ILogger<DemoCouriers> log) : BackgroundService
{
    public static IReadOnlyList<Courier> All { get; } =
    [
        Courier.Register("c-north-1", "North courier 1", "north", 50),
        Courier.Register("c-north-2", "North courier 2", "north", 50),
        Courier.Register("c-south-1", "South courier 1", "south", 50),
        Courier.Register("c-east-1", "East courier 1", "east", 1),
    ];

    private readonly TaskCompletionSource _seeded = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes once every demo courier exists and every courier is on its zone's roster.</summary>
    public Task Seeded => _seeded.Task;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // Returning the existing courier means "no change": created only when absent.
                foreach (var courier in All) await roster.ChangeAsync(courier.CourierId, existing => existing ?? courier, stoppingToken);
                await roster.PutOnZoneRostersAsync(stoppingToken);
                _seeded.TrySetResult();
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                log.LogInformation(e, "Sidecar not ready, seeding couriers again in a second");
                await Task.Delay(TimeSpan.FromSeconds(1), time, stoppingToken);
            }
        }
    }
}
