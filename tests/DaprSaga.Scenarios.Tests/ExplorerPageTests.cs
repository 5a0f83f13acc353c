using DaprSaga.Contracts;
using Microsoft.Playwright;

namespace DaprSaga.Scenarios.Tests;

/// <summary>
/// The saga explorer (order-service's /explorer/) in headless Chromium against the whole cluster,
/// order-service on a real loopback socket: orders of both flows appear with their status and
/// reason, counts add up, a newly placed order appears by itself, and an order's timeline is
/// drawn with one lane per service and its steps in order.
/// </summary>
public sealed class ExplorerPageTests
{
    /// <summary>Debian's chromium package; CI installs it (see .ci/run).</summary>
    public const string ChromiumPath = "/usr/bin/chromium";

    /// <summary>When set, the screenshot is also written there (docs/explorer.png is made this way).</summary>
    public const string ScreenshotVariable = "EXPLORER_SCREENSHOT";

    private static readonly string[] ChromiumArgs =
    [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ];

    private static readonly LocatorAssertionsToHaveAttributeOptions Patiently = new() { Timeout = 15_000 };

    [SkippableFact]
    public async Task TheExplorerShowsOrdersOfBothFlowsAndDrawsAnOrdersTimeline()
    {
        Skip.IfNot(File.Exists(ChromiumPath), $"no Chromium at {ChromiumPath} (apt-get install -y chromium)");
        await using var cluster = await SagaCluster.StartAsync(orderServiceOnRealSocket: true);
        // Each step gets its own instant, as with a real clock (see TimelineScenarioTests).
        cluster.Clock.AutoAdvanceAmount = TimeSpan.FromMilliseconds(1);
        var happyChoreography = await cluster.PlaceOrderAsync("alice", "north", autoConfirmPayment: true, ("widget", 2, 10.00m));
        var noCourier = await cluster.PlaceOrderAsync("alice", "west", autoConfirmPayment: true, ("gadget", 1, 25.00m));
        await cluster.QuiesceAsync();
        var happyOrchestration = await cluster.StartProcessAsync("alice", "south", autoConfirmPayment: true, ("widget", 3, 10.00m));
        await cluster.SettleProcessAsync(happyOrchestration);
        var noCredit = await cluster.StartProcessAsync("bob", "north", autoConfirmPayment: true, ("gizmo", 1, 99.00m));
        await cluster.SettleProcessAsync(noCredit);

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = ChromiumPath, Headless = true, Args = ChromiumArgs });
        var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = 1600, Height = 860 } });
        var pageErrors = new List<string>();
        page.PageError += (_, error) => pageErrors.Add(error);
        var explorer = new Uri(cluster.Order.Http.BaseAddress!, "/explorer/");
        Assert.Equal("http", explorer.Scheme);
        await page.GotoAsync(explorer.ToString());

        await ExpectRowAsync(page, happyChoreography, "Choreography", "Completed", "");
        await ExpectRowAsync(page, noCourier, "Choreography", "Cancelled", "NoCourierAvailable");
        await ExpectRowAsync(page, happyOrchestration, "Orchestration", "Completed", "");
        await ExpectRowAsync(page, noCredit, "Orchestration", "Cancelled", "InsufficientCredit");
        await Assertions.Expect(page.Locator("#counts li[data-status=Completed] .count")).ToHaveTextAsync("2");
        await Assertions.Expect(page.Locator("#counts li[data-status=Cancelled] .count")).ToHaveTextAsync("2");

        // Auto-refresh: an order placed while the page is open shows up without a reload.
        var later = await cluster.PlaceOrderAsync("alice", "north", autoConfirmPayment: false, ("widget", 1, 10.00m));
        await cluster.QuiesceAsync();
        await Assertions.Expect(page.Locator($"tr[data-order-id='{later}']")).ToHaveAttributeAsync("data-status", "AwaitingPayment", Patiently);

        await page.Locator($"tr[data-order-id='{noCourier}'] button").ClickAsync();
        var steps = page.Locator("#diagram g.step");
        await Assertions.Expect(steps).ToHaveCountAsync(9);
        Assert.Equal(
            [AppIds.OrderService, AppIds.InventoryService, AppIds.PaymentService, AppIds.DeliveryService],
            await page.Locator("#diagram text.lane-title").AllTextContentsAsync());
        var drawn = await steps.EvaluateAllAsync<string[]>("gs => gs.map(g => g.dataset.service + ' ' + g.dataset.action)");
        Assert.Equal(
        [
            "order-service order-placed",
            "inventory-service stock-reserved",
            "payment-service payment-requested",
            "payment-service payment-confirmed",
            "order-service order-confirmed",
            "delivery-service delivery-failed",
            "order-service order-cancelled",
        ], drawn[..7]);
        // Inventory and payment compensate side by side after order-cancelled.
        Assert.Equal(["inventory-service stock-released", "payment-service payment-refunded"], drawn[7..].Order(StringComparer.Ordinal));
        var compensations = await page.Locator("#diagram g.step.compensation").EvaluateAllAsync<string[]>("gs => gs.map(g => g.dataset.action)");
        Assert.Equal([Topics.OrderCancelled, Topics.PaymentRefunded, Topics.StockReleased], compensations.Order(StringComparer.Ordinal));
        Assert.Equal(drawn.Length, await page.Locator("#diagram text.step-label").CountAsync());
        await Assertions.Expect(page.Locator("#timeline-summary")).ToContainTextAsync("Choreography · Cancelled (NoCourierAvailable)");
        await Assertions.Expect(page.Locator($"tr[data-order-id='{noCourier}'] button")).ToHaveAttributeAsync("aria-pressed", "true");

        // The orchestrated saga gets the orchestrator's lane too, its commands arrows into order-service.
        await page.Locator($"tr[data-order-id='{happyOrchestration}'] button").ClickAsync();
        await Assertions.Expect(page.Locator("#diagram text.lane-title").First).ToHaveTextAsync(AppIds.OrderProcessService);
        await Assertions.Expect(page.Locator("#diagram g.step")).ToHaveCountAsync(8);
        await Assertions.Expect(page.Locator("#diagram line.arrow.command")).ToHaveCountAsync(3);

        await page.Locator($"tr[data-order-id='{noCourier}'] button").ClickAsync();
        await Assertions.Expect(steps).ToHaveCountAsync(9);
        var screenshot = Path.Combine(AppContext.BaseDirectory, "explorer.png");
        await page.ScreenshotAsync(new() { Path = screenshot, FullPage = true });
        if (Environment.GetEnvironmentVariable(ScreenshotVariable) is { Length: > 0 } copy) File.Copy(screenshot, copy, overwrite: true);
        Assert.Empty(pageErrors);
    }

    private static async Task ExpectRowAsync(IPage page, string orderId, string flow, string status, string reason)
    {
        var row = page.Locator($"tr[data-order-id='{orderId}']");
        await Assertions.Expect(row).ToHaveAttributeAsync("data-status", status, Patiently);
        await Assertions.Expect(row.Locator("td.flow")).ToHaveTextAsync(flow);
        await Assertions.Expect(row.Locator("td.reason")).ToHaveTextAsync(reason);
    }
}
