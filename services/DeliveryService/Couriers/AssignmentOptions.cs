namespace DaprSaga.DeliveryService.Couriers;

/// <summary>Configuration section "Assignments".</summary>
public sealed class AssignmentOptions
{
    public const string Section = "Assignments";

    /// <summary>How long after a delivery asked a courier the courier may still take the order (Assignments:TakeWithin); after that it declines.</summary>
    public TimeSpan TakeWithin { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>No worker takes after <see cref="TakeWithin"/>; twice that allows for replicas' clocks to differ.</summary>
    public TimeSpan SettledLife => 2 * TakeWithin;
}
