using System.Security.Cryptography;
using System.Text.Json;
using Dapr.Client;

namespace DaprSaga.ServiceDefaults.State;

/// <summary>
/// What an Idempotency-Key was first used for: the resource it created and a fingerprint of the
/// request that created it. A claim without a fingerprint (stored before they existed) matches any request.
/// </summary>
public sealed record IdempotencyKeyClaim(string ResourceId, DateTimeOffset ClaimedAt, string? Fingerprint = null);

/// <summary>
/// The answer for a request carrying an Idempotency-Key: the resource to act on, whether this call
/// made the claim (a first request) or found one, and whether that claim was made for another
/// request (the key reused with a different body: 422 in the IETF draft and at Stripe).
/// </summary>
public sealed record IdempotencyKeyUse(string ResourceId, bool Claimed, bool ReusedForAnotherRequest);

/// <summary>Idempotency-Key claims over Dapr state: first write wins, so concurrent retries agree on one resource.</summary>
public static class IdempotencyKeys
{
    public static string KeyOf(string idempotencyKey) => $"idempotency-{idempotencyKey}";

    /// <summary>
    /// A fingerprint of the request, normalized by the caller (defaults filled in, order-free
    /// lists sorted) so that retries of one request compare equal: SHA-256 of its JSON.
    /// </summary>
    public static string Fingerprint<T>(T normalizedRequest) =>
        Convert.ToHexStringLower(SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(normalizedRequest, ServiceDefaultsExtensions.JsonOptions)));

    /// <summary>
    /// Claims <paramref name="idempotencyKey"/> for <paramref name="newResourceId"/>, or finds the
    /// claim an earlier request made (a retry, possibly racing this one).
    /// </summary>
    public static async Task<IdempotencyKeyUse> ClaimIdempotencyKeyAsync(
        this DaprClient dapr, string store, string idempotencyKey, string fingerprint, string newResourceId, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        var claim = await dapr.UpdateAsync<IdempotencyKeyClaim>(
            store, KeyOf(idempotencyKey), c => c ?? new IdempotencyKeyClaim(newResourceId, now, fingerprint), cancellationToken);
        var stored = claim.Value!;
        return new(stored.ResourceId, claim.Changed, stored.Fingerprint is { } f && f != fingerprint);
    }
}
