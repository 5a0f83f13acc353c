using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace DaprSaga.ServiceDefaults.Messaging;

/// <summary>The CloudEvent envelope exactly as daprd POSTed it to the dead-letter subscription.</summary>
public sealed record CapturedCloudEvent(byte[] Envelope);

/// <summary>
/// Keeps a dead letter's envelope (its original topic, id and type) before the SDK's CloudEvents
/// middleware replaces the body with `data`; a startup filter is the one way to run ahead of it.
/// </summary>
internal sealed class DeadLetterEnvelopeCapture : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        var path = new PathString(DeadLetterApi.SubscriptionPath(app.ApplicationServices.GetRequiredService<ServiceIdentity>().AppId));
        app.Use(async (context, nextMiddleware) =>
        {
            if (!HttpMethods.IsPost(context.Request.Method) || !context.Request.Path.Equals(path, StringComparison.OrdinalIgnoreCase))
            {
                await nextMiddleware(context);
                return;
            }
            // This runs before the body cap of the pipeline, so it keeps the same cap itself.
            using var envelope = new MemoryStream();
            var chunk = new byte[8192];
            int read;
            while ((read = await context.Request.Body.ReadAsync(chunk, context.RequestAborted)) > 0)
            {
                envelope.Write(chunk, 0, read);
                if (envelope.Length > RequestBodyLimit.MaxBytes)
                {
                    await Results.Problem(statusCode: StatusCodes.Status413PayloadTooLarge,
                        title: $"A dead letter may be at most {RequestBodyLimit.MaxBytes} bytes").ExecuteAsync(context);
                    return;
                }
            }
            context.Features.Set(new CapturedCloudEvent(envelope.ToArray()));
            var received = context.Request.Body;
            // The CloudEvents middleware still reads and unwraps the same bytes after this.
            context.Request.Body = new MemoryStream(envelope.ToArray(), writable: false);
            try
            {
                await nextMiddleware(context);
            }
            finally
            {
                context.Request.Body = received;
            }
        });
        next(app);
    };
}
