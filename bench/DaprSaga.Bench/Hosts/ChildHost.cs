using System.Collections.Concurrent;
using System.Diagnostics;
using System.Reflection;
using System.Text.Json.Nodes;

namespace DaprSaga.Bench.Hosts;

/// <summary>
/// The driver side of a host process (this same executable started with `--host ...`): sends one
/// command at a time and awaits its "R" answer; hands every other line to <see cref="OnLine"/>.
/// </summary>
public sealed class ChildHost : IAsyncDisposable
{
    private readonly Process _process;
    private readonly SemaphoreSlim _oneAtATime = new(1, 1);
    private readonly ConcurrentQueue<TaskCompletionSource<JsonObject>> _waiting = new();
    private readonly Task _reading;
    private readonly Task<JsonObject> _ready;
    private readonly StringWriter _stderr = new();

    private ChildHost(Process process, Action<string> onLine)
    {
        _process = process;
        OnLine = onLine;
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_stderr) _stderr.WriteLine(e.Data); };
        _process.BeginErrorReadLine();
        // Expected before reading starts: the host may say it is ready at once.
        _ready = ExpectAnswerAsync();
        _reading = Task.Run(ReadAsync);
    }

    public Action<string> OnLine { get; }

    public int ProcessId => _process.Id;

    /// <summary>Starts this executable again as a host of the given kind.</summary>
    public static ChildHost Start(string kind, Action<string>? onLine = null)
    {
        var self = Environment.ProcessPath!;
        var start = new ProcessStartInfo(self)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // Started through `dotnet bench.dll` rather than the apphost: pass the dll on.
        if (Path.GetFileNameWithoutExtension(self).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
            start.ArgumentList.Add(Assembly.GetEntryAssembly()!.Location);
        start.ArgumentList.Add("--host");
        start.ArgumentList.Add(kind);
        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start the {kind} host");
        return new ChildHost(process, onLine ?? (_ => { }));
    }

    /// <summary>The first answer a host writes by itself once it is up.</summary>
    public Task<JsonObject> ReadyAsync() => _ready;

    public async Task<JsonObject> SendAsync(string command, JsonObject? arguments = null)
    {
        await _oneAtATime.WaitAsync();
        try
        {
            var body = arguments ?? [];
            body["cmd"] = command;
            var answer = ExpectAnswerAsync();
            await _process.StandardInput.WriteLineAsync(body.ToJsonString());
            await _process.StandardInput.FlushAsync();
            return await answer;
        }
        finally
        {
            _oneAtATime.Release();
        }
    }

    private Task<JsonObject> ExpectAnswerAsync()
    {
        var answer = new TaskCompletionSource<JsonObject>(TaskCreationOptions.RunContinuationsAsynchronously);
        _waiting.Enqueue(answer);
        return answer.Task;
    }

    private async Task ReadAsync()
    {
        while (await _process.StandardOutput.ReadLineAsync() is { } line)
        {
            if (!line.StartsWith("R ", StringComparison.Ordinal))
            {
                OnLine(line);
                continue;
            }
            var body = JsonNode.Parse(line.AsSpan(2).ToString())!.AsObject();
            if (!_waiting.TryDequeue(out var answer)) continue;
            if (body["error"] is { } error) answer.SetException(new InvalidOperationException($"host {_process.Id}: {error}"));
            else answer.SetResult(body);
        }
        // The host is gone: fail whoever still waits, with what it said on stderr.
        string said;
        lock (_stderr) said = _stderr.ToString();
        while (_waiting.TryDequeue(out var answer))
            answer.TrySetException(new InvalidOperationException($"host {_process.Id} exited: {said}"));
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _process.StandardInput.WriteLineAsync("{\"cmd\":\"exit\"}");
            await _process.StandardInput.FlushAsync();
            if (!_process.WaitForExit(TimeSpan.FromSeconds(10))) _process.Kill(entireProcessTree: true);
        }
        catch (IOException)
        {
            // Already gone.
        }
        await _reading.WaitAsync(TimeSpan.FromSeconds(5)).ContinueWith(_ => { }, TaskScheduler.Default);
        _process.Dispose();
        _oneAtATime.Dispose();
    }
}
