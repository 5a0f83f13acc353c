namespace DaprSaga.PaymentService.Payments;

/// <summary>Configuration section "Payment".</summary>
public sealed class PaymentOptions
{
    public const string Section = "Payment";

    /// <summary>How long a customer has to confirm a payment (Payment:ConfirmationTimeout).</summary>
    public TimeSpan ConfirmationTimeout { get; set; } = TimeSpan.FromMinutes(15);
}
