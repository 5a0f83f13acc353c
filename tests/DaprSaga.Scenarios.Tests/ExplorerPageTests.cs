using Microsoft.Playwright;

namespace DaprSaga.Scenarios.Tests;

/// <summary>
/// The saga explorer (order-service's /explorer/) in headless Chromium against the whole cluster,
/// order-service on a real loopback socket: orders of both flows appear with their status and
/// reason, counts add up, a newly placed order appears by itself, and an order's timeline is
/// drawn with one lane per service and its steps in order; an orchestrated order shows its engine
/// and the orchestrator's commands, and every lane fits the panel of a 1280-pixel-wide window.
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

    /// <summary>A common laptop width: the whole timeline must be in view there.</summary>
    private const int ViewportWidth = 1280;

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
        var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = ViewportWidth, Height = 860 } });
        var pageErrors = new List<string>();
        page.PageError += (_, error) => pageErrors.Add(error);
        var explorer = new Uri(cluster.Order.Http.BaseAddress!, "/explorer/");
        Assert.Equal("http", explorer.Scheme);
        await page.GotoAsync(explorer.ToString());

        await ExpectRowAsync(page, happyChoreography, "Choreography", "Completed", "");
        await ExpectRowAsync(page, noCourier, "Choreography", "Cancelled", "NoCourierAvailable");
        await ExpectRowAsync(page, happyOrchestration, "Orchestration", "Completed", "");
        await ExpectRowAsync(page, noCredit, "Orchestration", "Cancelled", "InsufficientCredit");
        await Assertions.Expect(page.Locator($"tr[data-order-id='{happyOrchestration}'] td.engine"))
            .ToHaveTextAsync(await ListedEngineAsync(cluster, happyOrchestration));
        await Assertions.Expect(page.Locator($"tr[data-order-id='{noCredit}'] td.engine")).ToHaveTextAsync(await ListedEngineAsync(cluster, noCredit));
        await Assertions.Expect(page.Locator($"tr[data-order-id='{happyChoreography}'] td.engine")).ToHaveTextAsync("");
        await Assertions.Expect(page.Locator("#counts li[data-status=Completed] .count")).ToHaveTextAsync("2");
        await Assertions.Expect(page.Locator("#counts li[data-status=Cancelled] .count")).ToHaveTextAsync("2");

        // Auto-refresh: an order placed while the page is open shows up without a reload.
        var later = await cluster.PlaceOrderAsync("alice", "north", autoConfirmPayment: false, ("widget", 1, 10.00m));
        await cluster.QuiesceAsync();
        await Assertions.Expect(page.Locator($"tr[data-order-id='{later}']")).ToHaveAttributeAsync("data-status", "AwaitingPayment", Patiently);

        await page.Locator($"tr[data-order-id='{noCourier}'] button").ClickAsync();
        var steps = page.Locator("#diagram g.step");
        await Assertions.Expect(steps).ToHaveCountAsync(8);
        Assert.Equal(
            [AppIds.OrderService, AppIds.InventoryService, AppIds.PaymentService, AppIds.DeliveryService],
            await page.Locator("#diagram text.lane-title").AllTextContentsAsync());
        var drawn = await steps.EvaluateAllAsync<string[]>("gs => gs.map(g => g.dataset.service + ' ' + g.dataset.action)");
        Assert.Equal(
        [
            "order-service order-placed",
            "inventory-service stock-reserved",
            // Pre-authorised: confirmed without a request to the customer.
            "payment-service payment-confirmed",
            "order-service order-confirmed",
            "delivery-service delivery-failed",
            "order-service order-cancelled",
        ], drawn[..6]);
        // Inventory and payment compensate side by side after order-cancelled.
        Assert.Equal(["inventory-service stock-released", "payment-service payment-refunded"], drawn[6..].Order(StringComparer.Ordinal));
        var compensations = await page.Locator("#diagram g.step.compensation").EvaluateAllAsync<string[]>("gs => gs.map(g => g.dataset.action)");
        Assert.Equal([Topics.OrderCancelled, Topics.PaymentRefunded, Topics.StockReleased], compensations.Order(StringComparer.Ordinal));
        Assert.Equal(drawn.Length, await page.Locator("#diagram text.step-label").CountAsync());
        await Assertions.Expect(page.Locator("#timeline-summary")).ToContainTextAsync("Choreography · Cancelled (NoCourierAvailable)");
        await Assertions.Expect(page.Locator($"tr[data-order-id='{noCourier}'] button")).ToHaveAttributeAsync("aria-pressed", "true");
        await AssertEveryLaneFitsAsync(page, lanes: 4);

        // The orchestrated saga gets the orchestrator's lane too, each command an arrow to its participant.
        await page.Locator($"tr[data-order-id='{happyOrchestration}'] button").ClickAsync();
        await Assertions.Expect(page.Locator("#diagram text.lane-title").First).ToHaveTextAsync(AppIds.OrderProcessService);
        await Assertions.Expect(page.Locator("#diagram g.step")).ToHaveCountAsync(13);
        await Assertions.Expect(page.Locator("#diagram line.arrow.command")).ToHaveCountAsync(6);
        await Assertions.Expect(page.Locator("#timeline-summary"))
            .ToContainTextAsync($"Orchestration · {await TimelineEngineAsync(cluster, happyOrchestration)} engine · Completed");
        await AssertEveryLaneFitsAsync(page, lanes: 5);

        // A refused saga: the refused command, then the compensations the orchestrator ran, in reverse.
        await page.Locator($"tr[data-order-id='{noCredit}'] button").ClickAsync();
        await Assertions.Expect(page.Locator("#timeline-summary")).ToContainTextAsync("Cancelled (InsufficientCredit)");
        var commands = page.Locator($"#diagram g.step[data-service='{AppIds.OrderProcessService}']");
        await Assertions.Expect(commands).ToHaveCountAsync(5);
        Assert.Equal(
        [
            "CreateOrder Done order-service", "ReserveStock Done inventory-service", "CreatePayment Refused payment-service",
            "ReleaseStock Done inventory-service", "CancelOrder Done order-service",
        ], await commands.EvaluateAllAsync<string[]>("gs => gs.map(g => `${g.dataset.action} ${g.dataset.outcome} ${g.dataset.participant}`)"));
        await Assertions.Expect(page.Locator($"#diagram g.step.compensation[data-service='{AppIds.OrderProcessService}']")).ToHaveCountAsync(2);
        await Assertions.Expect(page.Locator("#timeline-summary")).ToContainTextAsync($"{await TimelineEngineAsync(cluster, noCredit)} engine");
        await Assertions.Expect(page.Locator("#orchestrator-unavailable")).ToBeHiddenAsync();
        await AssertEveryLaneFitsAsync(page, lanes: 5);
        var screenshot = Path.Combine(AppContext.BaseDirectory, "explorer.png");
        await page.ScreenshotAsync(new() { Path = screenshot, FullPage = true });
        if (Environment.GetEnvironmentVariable(ScreenshotVariable) is { Length: > 0 } copy) File.Copy(screenshot, copy, overwrite: true);

        await page.Locator($"tr[data-order-id='{noCourier}'] button").ClickAsync();
        await Assertions.Expect(steps).ToHaveCountAsync(8);
        Assert.Empty(pageErrors);
    }

    private static async Task ExpectRowAsync(IPage page, string orderId, string flow, string status, string reason)
    {
        var row = page.Locator($"tr[data-order-id='{orderId}']");
        await Assertions.Expect(row).ToHaveAttributeAsync("data-status", status, Patiently);
        await Assertions.Expect(row.Locator("td.flow")).ToHaveTextAsync(flow);
        await Assertions.Expect(row.Locator("td.reason")).ToHaveTextAsync(reason);
    }

    /// <summary>What the list shows as an orchestrated order's engine: the order's own, or "unknown" when its orchestrator did not name one.</summary>
    private static async Task<string> ListedEngineAsync(SagaCluster cluster, string orderId) =>
        (string?)(await cluster.OrderAsync(orderId))["engine"] ?? "unknown";

    /// <summary>The timeline's engine: the order's own, else the orchestrator's (either engine passes).</summary>
    private static async Task<string> TimelineEngineAsync(SagaCluster cluster, string orderId) =>
        (string?)(await cluster.OrderAsync(orderId))["engine"] ?? (string)(await cluster.ProcessAsync(orderId))["engine"]!;

    /// <summary>Every lane band lies inside the timeline panel and its scroll box, and nothing is left to scroll to.</summary>
    private static async Task AssertEveryLaneFitsAsync(IPage page, int lanes)
    {
        var panel = (await page.Locator("#timeline").BoundingBoxAsync())!;
        var scroll = (await page.Locator("#timeline .diagram-scroll").BoundingBoxAsync())!;
        var bands = page.Locator("#diagram rect.lane-band");
        await Assertions.Expect(bands).ToHaveCountAsync(lanes);
        for (var i = 0; i < lanes; i++)
        {
            var band = (await bands.Nth(i).BoundingBoxAsync())!;
            var service = await bands.Nth(i).GetAttributeAsync("data-service");
            Assert.True(band.X >= panel.X && band.X + band.Width <= panel.X + panel.Width,
                $"lane {service} [{band.X}, {band.X + band.Width}] is not inside the panel [{panel.X}, {panel.X + panel.Width}]");
            Assert.True(band.X >= scroll.X && band.X + band.Width <= scroll.X + scroll.Width,
                $"lane {service} [{band.X}, {band.X + band.Width}] is clipped by the diagram's box [{scroll.X}, {scroll.X + scroll.Width}]");
        }
        Assert.True(await page.Locator("#timeline .diagram-scroll").EvaluateAsync<bool>("e => e.scrollWidth <= e.clientWidth"),
            "the timeline scrolls sideways");
    }
}
