using DaprSaga.Bench.Driver;
using DaprSaga.Bench.Hosts;

// The same executable is the driver and, started again with --host, each of its two hosts.
if (args is ["--host", "sidecars"])
{
    await SidecarHost.RunAsync();
    return 0;
}
if (args is ["--host", "apps"])
{
    await AppHost.RunAsync();
    return 0;
}

if (BenchOptions.Parse(args) is not { } options)
{
    Console.Error.WriteLine(BenchOptions.Usage);
    return 2;
}
return await Bench.RunAsync(options);
