using System.Collections.Concurrent;
using System.Diagnostics;

namespace ImageBus.Testing;

/// <summary>One ImageBus service run as its own process from its build output, as in production.
/// Its output is kept so that a failing test can show what the service said.</summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    readonly Process process;
    readonly ConcurrentQueue<string> output = new();

    ServiceProcess(string name, Process process)
    {
        Name = name;
        this.process = process;
    }

    public string Name { get; }
    public bool HasExited => process.HasExited;
    public int ExitCode => process.ExitCode;
    public string Output => string.Join(Environment.NewLine, output);

    /// <summary>CPU time the process has used so far (user and system), for benchmarks.</summary>
    public TimeSpan CpuTime
    {
        get
        {
            process.Refresh();
            return process.TotalProcessorTime;
        }
    }

    /// <summary>Starts <c>services/ImageBus.{name}</c>, built in the same configuration as the tests; <paramref name="instanceName"/>
    /// tells one of several instances apart in diagnostics.</summary>
    public static ServiceProcess Start(string name, IReadOnlyDictionary<string, string> environment, string? instanceName = null)
    {
        var directory = Path.Combine(RepositoryRoot.Path, "services", $"ImageBus.{name}", "bin", RepositoryRoot.Configuration, "net10.0");
        var assembly = Path.Combine(directory, $"ImageBus.{name}.dll");
        if (!File.Exists(assembly))
        {
            throw new FileNotFoundException($"{assembly} is not built: build ImageBus.sln in {RepositoryRoot.Configuration} first");
        }

        var start = new ProcessStartInfo("dotnet", [assembly])
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var service = new ServiceProcess(instanceName ?? name, process);
        process.OutputDataReceived += (_, e) => service.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => service.Keep(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return service;
    }

    /// <summary>Ends the process at once, as a crash or <c>kill -9</c> would.</summary>
    public void Kill()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }
    }

    /// <summary>Asks the process to stop (SIGTERM), as an orchestrator or <c>docker stop</c> would.</summary>
    public void Terminate()
    {
        using var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    /// <summary>Waits for the process to exit by itself and for its output to be read to the end.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancellation = new CancellationTokenSource(timeout);
        await process.WaitForExitAsync(cancellation.Token);
        return process.ExitCode;
    }

    public ValueTask DisposeAsync()
    {
        Kill();
        process.Dispose();
        return ValueTask.CompletedTask;
    }

    void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        output.Enqueue(line);
        // Long runs must not grow without bound: keep the most recent lines.
        while (output.Count > 4000 && output.TryDequeue(out _))
        {
        }
    }
}
