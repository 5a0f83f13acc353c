using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace DaprSaga.ServiceDefaults.Messaging;

public static class CronBindingEndpoints
{
    /// <summary>
    /// Maps the cron input binding <paramref name="name"/>: daprd POSTs to /{name} on each tick,
    /// with APP_API_TOKEN when one is configured. At start daprd probes OPTIONS /{name} and
    /// delivers only if the answer is 2xx or 405 (dapr `pkg/runtime/processor/binding/send.go`),
    /// so the probe is answered here, open: a 401 there would silently disable the binding.
    /// </summary>
    public static RouteHandlerBuilder MapCronBinding(this IEndpointRouteBuilder endpoints, string name, Delegate handler)
    {
        endpoints.MapMethods("/" + name, [HttpMethods.Options], () => TypedResults.Ok()).AllowAnonymous().ExcludeFromDescription();
        return endpoints.MapPost("/" + name, handler).RequireDaprAppToken().ExcludeFromDescription();
    }
}
