using System.Net.Sockets;
using System.Text;

namespace DaprSaga.RealDapr.Tests;

/// <summary>
/// Whether a Docker engine answers here; the real-Dapr tests skip with the reason when not.
/// Decided once per test run and fast: a missing socket file is known at once, and every
/// connect or read is bounded by <see cref="Patience"/>, so no test waits on a dead endpoint.
/// </summary>
public static class DockerEngine
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(2);

    private static readonly Lazy<string?> Missing = new(Probe);

    /// <summary>null when an engine is reachable, else why the tests are skipped.</summary>
    public static string? WhyUnavailable => Missing.Value;

    /// <summary>Skips the calling [SkippableFact] with the reason when no engine answers.</summary>
    public static void SkipIfUnavailable() => Skip.If(WhyUnavailable is not null, WhyUnavailable);

    private static string? Probe()
    {
        var host = Environment.GetEnvironmentVariable("DOCKER_HOST");
        if (host is { Length: > 0 })
        {
            if (host.StartsWith("tcp://", StringComparison.Ordinal))
            {
                var uri = new Uri(host);
                return Ping(() => TcpEndPoint(uri.Host, uri.Port), host);
            }
            if (host.StartsWith("unix://", StringComparison.Ordinal)) return ProbeSocket(host["unix://".Length..], host);
            return $"No Docker engine: DOCKER_HOST={host} is neither tcp:// nor unix://, which these tests cannot probe.";
        }

        // The places Testcontainers looks when DOCKER_HOST is unset: the default socket, then
        // Docker Desktop's and rootless Docker's per-user sockets.
        var candidates = new List<string> { "/var/run/docker.sock" };
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        if (home.Length > 0)
        {
            candidates.Add(Path.Combine(home, ".docker", "run", "docker.sock"));
            candidates.Add(Path.Combine(home, ".docker", "desktop", "docker.sock"));
        }
        if (Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR") is { Length: > 0 } runtimeDir)
            candidates.Add(Path.Combine(runtimeDir, "docker.sock"));

        var present = candidates.Where(File.Exists).ToList();
        if (present.Count == 0)
        {
            return $"No Docker engine: {candidates[0]} does not exist (nor {string.Join(", ", candidates.Skip(1))}); "
                + "set DOCKER_HOST to use another engine.";
        }
        string? why = null;
        foreach (var path in present)
        {
            why = ProbeSocket(path, path);
            if (why is null) return null;
        }
        return why;
    }

    private static string? ProbeSocket(string path, string shown) =>
        File.Exists(path)
            ? Ping(() => UnixEndPoint(path), shown)
            : $"No Docker engine: {path} does not exist (set DOCKER_HOST to use another engine).";

    private static (Socket, EndPoint) TcpEndPoint(string host, int port) =>
        (new Socket(SocketType.Stream, ProtocolType.Tcp), new DnsEndPoint(host, port));

    private static (Socket, EndPoint) UnixEndPoint(string path) =>
        (new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified), new UnixDomainSocketEndPoint(path));

    /// <summary>`GET /_ping` (Docker Engine API), which an engine answers `200 OK` without authentication.</summary>
    private static string? Ping(Func<(Socket Socket, EndPoint EndPoint)> open, string shown)
    {
        using var deadline = new CancellationTokenSource(Patience);
        try
        {
            var (socket, endPoint) = open();
            using (socket)
            {
                socket.ConnectAsync(endPoint, deadline.Token).AsTask().GetAwaiter().GetResult();
                var request = Encoding.ASCII.GetBytes("GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n");
                socket.SendAsync(request, SocketFlags.None, deadline.Token).AsTask().GetAwaiter().GetResult();
                var buffer = new byte[256];
                var read = socket.ReceiveAsync(buffer, SocketFlags.None, deadline.Token).AsTask().GetAwaiter().GetResult();
                var statusLine = Encoding.ASCII.GetString(buffer, 0, read).Split('\n')[0].Trim();
                return statusLine.Contains(" 200", StringComparison.Ordinal)
                    ? null
                    : $"No Docker engine answers at {shown}: GET /_ping answered '{statusLine}'.";
            }
        }
        catch (OperationCanceledException)
        {
            return $"No Docker engine answers at {shown}: no answer to GET /_ping within {Patience.TotalSeconds:0} s.";
        }
        catch (SocketException e)
        {
            return $"No Docker engine answers at {shown}: {e.Message} ({e.SocketErrorCode}).";
        }
    }
}
