namespace DaprSaga.InventoryService.Products;

/// <summary>Configuration section "Holds".</summary>
public sealed class HoldOptions
{
    public const string Section = "Holds";

    /// <summary>How long after its reservation opened a hold may still be taken (Holds:TakeWithin); after that the reservation is rejected as timed out.</summary>
    public TimeSpan TakeWithin { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>No worker holds after <see cref="TakeWithin"/>; twice that allows for replicas' clocks to differ.</summary>
    public TimeSpan SettledLife => 2 * TakeWithin;
}
