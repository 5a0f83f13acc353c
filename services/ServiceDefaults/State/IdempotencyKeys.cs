using System.Security.Cryptography;
using System.Text.Json;
using Dapr.Client;

namespace DaprSaga.ServiceDefaults.State;

public sealed record IdempotencyKeyClaim(string ResourceId, DateTimeOffset ClaimedAt, string Fingerprint);

/// <summary>A key first used for another body is 422, as in the IETF draft and at Stripe.</summary>
public sealed record IdempotencyKeyUse(string ResourceId, bool Claimed, bool ReusedForAnotherRequest);

/// <summary>
/// Idempotency-Key claims over Dapr state: first write wins, so concurrent retries agree on one resource.
/// A claim expires with the retention window: after that the key is free for a new request.
/// </summary>
public static class IdempotencyKeys
{
    public static string KeyOf(string idempotencyKey) => $"idempotency-{idempotencyKey}";

    /// <summary>Of a request normalised by the caller (defaults filled in, order-free lists sorted).</summary>
    public static string Fingerprint<T>(T normalizedRequest) =>
        Convert.ToHexStringLower(SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(normalizedRequest, ServiceDefaultsExtensions.JsonOptions)));

    public static async Task<IdempotencyKeyUse> ClaimIdempotencyKeyAsync(
        this DaprClient dapr, string store, string idempotencyKey, string fingerprint, string newResourceId, DateTimeOffset now,
        TimeSpan retention, CancellationToken cancellationToken)
    {
        var claim = await dapr.UpdateAsync<IdempotencyKeyClaim>(
            store, KeyOf(idempotencyKey), c => c ?? new IdempotencyKeyClaim(newResourceId, now, fingerprint),
            _ => StateStoreExtensions.ExpiresAfter(retention), cancellationToken);
        var stored = claim.Value!;
        return new(stored.ResourceId, claim.Changed, stored.Fingerprint != fingerprint);
    }
}
