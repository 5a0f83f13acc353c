using Dapr.Client;
using Microsoft.Extensions.Options;

namespace DaprSaga.InventoryService.Products;

/// <summary>
/// Products, one key each, every change one conditional write; ids are indexed before the product is written.
/// A write also forgets the holds settled <see cref="HoldOptions.SettledLife"/> ago, so a product's size follows its recent orders.
/// </summary>
public sealed class ProductCatalogue(DaprClient dapr, ServiceIdentity service, TimeProvider time, IOptions<HoldOptions> holds)
{
    private readonly ShardedIndex _ids = new(dapr, service.StateStore, "products", shards: 4);
    private readonly WriteTurns _turns = new();

    public static string KeyOf(string productId) => "product-" + productId;

    public Task<Product?> GetAsync(string productId, CancellationToken cancellationToken) =>
        dapr.GetStateAsync<Product?>(service.StateStore, KeyOf(productId), cancellationToken: cancellationToken);

    public async Task<IReadOnlyDictionary<string, Stored<Product>>> ReadManyAsync(IEnumerable<string> productIds, CancellationToken cancellationToken) =>
        (await dapr.ReadManyAsync<Product>(service.StateStore, productIds.Select(KeyOf), cancellationToken))
            .ToDictionary(p => p.Value.Value.ProductId, p => p.Value, StringComparer.Ordinal);

    public async Task<IReadOnlyDictionary<string, Product>> GetManyAsync(IEnumerable<string> productIds, CancellationToken cancellationToken) =>
        (await ReadManyAsync(productIds, cancellationToken)).ToDictionary(p => p.Key, p => p.Value.Value, StringComparer.Ordinal);

    public async Task<IReadOnlyList<Product>> ListAsync(CancellationToken cancellationToken)
    {
        var products = await GetManyAsync(await _ids.ListAsync(cancellationToken), cancellationToken);
        return products.Values.OrderBy(p => p.ProductId, StringComparer.Ordinal).ToList();
    }

    public async Task<Updated<Product>> PutAsync(string productId, string name, decimal price, int onHand, CancellationToken cancellationToken)
    {
        await _ids.AddAsync(productId, cancellationToken);
        return await dapr.UpdateAsync<Product>(service.StateStore, KeyOf(productId),
            existing => Product.Put(existing, productId, name, price, onHand), cancellationToken);
    }

    /// <summary>Creates the product only when absent, so a restart never resets stock.</summary>
    public async Task SeedAsync(Product product, CancellationToken cancellationToken)
    {
        await _ids.AddAsync(product.ProductId, cancellationToken);
        await dapr.UpdateAsync<Product>(service.StateStore, KeyOf(product.ProductId), existing => existing ?? product, cancellationToken);
    }

    /// <summary>Holds unless it is <paramref name="holdBy"/>, judged after the read (its settled hold may be gone by then); tries <paramref name="asRead"/> first.</summary>
    public Task<HoldOutcome> HoldAsync(
        string productId, string orderId, int quantity, DateTimeOffset holdBy, Stored<Product>? asRead, CancellationToken cancellationToken) =>
        _turns.TakeAsync(KeyOf(productId), waited => HoldInTurnAsync(productId, orderId, quantity, holdBy, waited ? null : asRead, cancellationToken), cancellationToken);

    private async Task<HoldOutcome> HoldInTurnAsync(
        string productId, string orderId, int quantity, DateTimeOffset holdBy, Stored<Product>? asRead, CancellationToken cancellationToken)
    {
        var late = false;
        Product Hold(Product product)
        {
            late = time.GetUtcNow() >= holdBy;
            return late ? product : product.Hold(orderId, quantity);
        }
        if (asRead is not null && Hold(asRead.Value) is var held && !ReferenceEquals(held, asRead.Value)
            && await dapr.TrySaveStateAsync(service.StateStore, KeyOf(productId), Kept(held), asRead.ETag, cancellationToken: cancellationToken))
            return held.OutcomeFor(orderId);
        var outcome = (await UpdateAsync(productId, Hold, cancellationToken))?.OutcomeFor(orderId) ?? HoldOutcome.Short;
        return outcome == HoldOutcome.Short && late ? HoldOutcome.Late : outcome;
    }

    public Task ReleaseAsync(string productId, string orderId, CancellationToken cancellationToken) =>
        ChangeAsync(productId, p => p.Release(orderId), cancellationToken);

    public Task CommitAsync(string productId, string orderId, CancellationToken cancellationToken) =>
        ChangeAsync(productId, p => p.Commit(orderId), cancellationToken);

    private Task<Product?> ChangeAsync(string productId, Func<Product, Product> change, CancellationToken cancellationToken) =>
        _turns.TakeAsync(KeyOf(productId), _ => UpdateAsync(productId, change, cancellationToken), cancellationToken);

    private async Task<Product?> UpdateAsync(string productId, Func<Product, Product> change, CancellationToken cancellationToken) =>
        (await dapr.UpdateAsync<Product>(service.StateStore, KeyOf(productId),
            p => p is null ? null : change(p) is var next && !ReferenceEquals(next, p) ? Kept(next) : p, cancellationToken)).Value;

    private Product Kept(Product product) => product.Kept(time.GetUtcNow(), holds.Value.SettledLife);
}
