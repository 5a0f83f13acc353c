namespace DaprSaga.DeliveryService.Couriers;

public sealed class DemoCouriers(CourierRoster roster) : IDemoData
{
    public static IReadOnlyList<Courier> All { get; } =
    [
        Courier.Register("c-north-1", "North courier 1", "north", 50),
        Courier.Register("c-north-2", "North courier 2", "north", 50),
        Courier.Register("c-south-1", "South courier 1", "south", 50),
        Courier.Register("c-east-1", "East courier 1", "east", 1),
    ];

    public async Task SeedAsync(CancellationToken cancellationToken)
    {
        foreach (var courier in All) await roster.ChangeAsync(courier.CourierId, existing => existing ?? courier, cancellationToken);
        await roster.PutOnZoneRostersAsync(cancellationToken);
    }
}
