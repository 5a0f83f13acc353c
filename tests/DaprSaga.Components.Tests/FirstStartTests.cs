using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Sockets;

namespace DaprSaga.Components.Tests;

/// <summary>
/// The first start as the README runs it, without Dapr: from a copy of the repository with no
/// bin/ or obj/, the README's build step, then the five commands of dapr.yaml all at once (as
/// `dapr run -f .` starts them, dapr/cli cmd/run.go), each in its appDirPath, until every app
/// answers /healthz. The apps start without their sidecars; they only log that none answers.
/// </summary>
public sealed class FirstStartTests
{
    // Upper bounds only, generous because `dotnet test DaprSaga.sln` runs the other test
    // projects beside this one on the same cores.
    private static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(15);
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(5);

    [Fact]
    public void TheReadmeRunCommandBuildsOnceAndThenStartsTheRunFile()
    {
        var steps = ReadmeRunCommand();

        Assert.Equal("dapr run -f .", steps[^1]);
        var build = Assert.Single(steps, s => s.StartsWith("dotnet build", StringComparison.Ordinal));
        Assert.True(Array.IndexOf(steps, build) < steps.Length - 1, "the build must come before dapr run");
    }

    [Fact]
    public void EveryRunFileCommandStartsWithoutBuilding()
    {
        Assert.All(RunFile.Load().Apps, app =>
        {
            var command = app.Strings("command");
            Assert.Equal(["dotnet", "run"], command.Take(2));
            Assert.Contains("--no-build", command);
        });
    }

    [Fact]
    public async Task AllFiveAppsStartTogetherFromACleanTreeAfterTheReadmeBuild()
    {
        var copy = CleanCopy();
        var apps = new List<AppProcess>();
        try
        {
            var build = ReadmeRunCommand().Single(s => s.StartsWith("dotnet build", StringComparison.Ordinal))
                .Split(' ', StringSplitOptions.RemoveEmptyEntries);
            using (var builder = AppProcess.Start("build", copy, build))
            {
                Assert.True(builder.Process.WaitForExit(BuildTimeout), $"the build did not end within {BuildTimeout}\n{builder.Tail()}");
                Assert.True(builder.Process.ExitCode == 0, $"the build failed\n{builder.Tail()}");
            }

            var run = RunFile.Load();
            var environment = run.Common.Mapping("env").Entries()
                .ToDictionary(e => e.Key, e => (e.Value as YamlDotNet.RepresentationModel.YamlScalarNode)?.Value ?? "");
            foreach (var app in run.Apps)
            {
                var id = app.Scalar("appID") ?? "";
                var port = app.Scalar("appPort") ?? "";
                var command = app.Strings("command").ToList();
                // Each app on a free port instead of its own, so a system already running here
                // (or anything else on 5101-5105) cannot answer in its place.
                var at = command.IndexOf($"http://localhost:{port}");
                Assert.True(at > 0, $"{id}: the command does not listen on http://localhost:{port}");
                var freePort = FreePort();
                command[at] = $"http://localhost:{freePort}";
                apps.Add(AppProcess.Start(id, Path.Combine(copy, app.Scalar("appDirPath") ?? ""), command, environment, freePort));
            }

            await AllAnswerHealthz(apps);
        }
        finally
        {
            foreach (var app in apps)
            {
                app.Dispose();
            }

            DeleteQuietly(copy);
        }
    }

    /// <summary>The README's run command (the first line of the first bash block under "## Run it"), split on &amp;&amp;.</summary>
    private static string[] ReadmeRunCommand()
    {
        var lines = File.ReadAllLines(Path.Combine(Repo.Root, "README.md"));
        var section = Array.IndexOf(lines, "## Run it");
        Assert.True(section >= 0, "README.md has no \"## Run it\" section");
        var fence = Array.FindIndex(lines, section, l => l.StartsWith("```bash", StringComparison.Ordinal));
        Assert.True(fence > section, "\"## Run it\" has no bash block");
        return lines[fence + 1].Split("&&", StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
    }

    private static async Task AllAnswerHealthz(IReadOnlyList<AppProcess> apps)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = Stopwatch.StartNew();
        var waiting = apps.ToList();
        while (waiting.Count > 0)
        {
            foreach (var app in waiting.ToList())
            {
                Assert.False(app.Process.HasExited, $"{app.Name} exited with {(app.Process.HasExited ? app.Process.ExitCode : 0)}\n{app.Tail()}");
                if (await Answers(http, app))
                {
                    waiting.Remove(app);
                }
            }

            if (waiting.Count > 0)
            {
                Assert.True(deadline.Elapsed < StartTimeout,
                    $"not answering /healthz after {StartTimeout}: {string.Join(", ", waiting.Select(a => a.Name))}\n" +
                    string.Join("\n", waiting.Select(a => a.Tail())));
                await Task.Delay(TimeSpan.FromMilliseconds(500));
            }
        }
    }

    private static async Task<bool> Answers(HttpClient http, AppProcess app)
    {
        try
        {
            using var response = await http.GetAsync(new Uri($"http://localhost:{app.Port}/healthz"));
            return response.StatusCode == HttpStatusCode.OK;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return false;
        }
    }

    /// <summary>
    /// The repository's files as git sees them (tracked, plus new files not ignored) in a temporary
    /// folder, so no bin/ or obj/ of this checkout comes along; without git, every file outside
    /// bin/, obj/ and the ignored folders.
    /// </summary>
    private static string CleanCopy()
    {
        var copy = Path.Combine(Path.GetTempPath(), "daprsaga-first-start-" + Guid.NewGuid().ToString("N")[..8]);
        foreach (var relative in TreeFiles())
        {
            var source = Path.Combine(Repo.Root, relative);
            if (!File.Exists(source))
            {
                continue;
            }

            var target = Path.Combine(copy, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(source, target);
        }

        Assert.True(File.Exists(Path.Combine(copy, "DaprSaga.sln")), "the copy has no DaprSaga.sln");
        Assert.Empty(Directory.EnumerateDirectories(copy, "obj", SearchOption.AllDirectories));
        return copy;
    }

    private static IEnumerable<string> TreeFiles()
    {
        try
        {
            using var git = Process.Start(new ProcessStartInfo("git", ["-C", Repo.Root, "ls-files", "-z", "--cached", "--others", "--exclude-standard"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            })!;
            var listing = git.StandardOutput.ReadToEnd();
            git.WaitForExit();
            if (git.ExitCode == 0)
            {
                return listing.Split('\0', StringSplitOptions.RemoveEmptyEntries);
            }
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // No git on PATH: walk the folder instead.
        }

        string[] skipped = ["bin", "obj", ".git", ".dapr", ".vs", ".idea", "TestResults", "BenchmarkResults", "node_modules"];
        return Directory.EnumerateFiles(Repo.Root, "*", SearchOption.AllDirectories)
            .Select(Repo.Relative)
            .Where(r => !r.Split('/').Any(part => skipped.Contains(part, StringComparer.Ordinal)));
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static void DeleteQuietly(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A file still held by an exiting process; the temp folder is cleaned up eventually.
        }
    }

    /// <summary>A started command with the tail of its output, killed with its children on dispose.</summary>
    private sealed class AppProcess : IDisposable
    {
        private const int TailLines = 40;
        private readonly ConcurrentQueue<string> _output = new();

        private AppProcess(string name, Process process, int port)
        {
            Name = name;
            Process = process;
            Port = port;
        }

        public string Name { get; }
        public Process Process { get; }
        public int Port { get; }

        public static AppProcess Start(
            string name, string folder, IReadOnlyList<string> command, IReadOnlyDictionary<string, string>? environment = null, int port = 0)
        {
            var start = new ProcessStartInfo(command[0], command.Skip(1))
            {
                WorkingDirectory = folder,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            // `dotnet test` runs this test inside an MSBuild-launched host: its MSBuild variables
            // would point the child's build at the outer one.
            foreach (var key in start.Environment.Keys.Where(IsInheritedBuildVariable).ToList())
            {
                start.Environment.Remove(key);
            }

            // No MSBuild worker nodes left running after the build, holding this test's output pipes.
            start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
            start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
            start.Environment["DOTNET_NOLOGO"] = "1";
            foreach (var (key, value) in environment ?? new Dictionary<string, string>())
            {
                start.Environment[key] = value;
            }

            var process = new Process { StartInfo = start };
            var started = new AppProcess(name, process, port);
            process.OutputDataReceived += (_, e) => started.Keep(e.Data);
            process.ErrorDataReceived += (_, e) => started.Keep(e.Data);
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return started;
        }

        public string Tail() => $"--- {Name} ---\n{string.Join("\n", _output)}";

        public void Dispose()
        {
            try
            {
                if (!Process.HasExited)
                {
                    Process.Kill(entireProcessTree: true);
                    Process.WaitForExit(TimeSpan.FromSeconds(10));
                }
            }
            catch (InvalidOperationException)
            {
                // It ended between the check and the kill.
            }

            Process.Dispose();
        }

        private static bool IsInheritedBuildVariable(string key) =>
            key.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase) ||
            key.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase);

        private void Keep(string? line)
        {
            if (line is null)
            {
                return;
            }

            _output.Enqueue(line);
            while (_output.Count > TailLines)
            {
                _output.TryDequeue(out _);
            }
        }
    }
}
