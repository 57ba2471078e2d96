using Microsoft.Extensions.Logging;

namespace Mesh.Runtime.Hosting;

/// <summary>
/// Prints a sidecar's logs as the Dapr CLI prints daprd's: each line prefixed "== DAPR - &lt;appId&gt; == ",
/// at the run file's logLevel. ASP.NET Core and gRPC framework logs show from warnings up unless logLevel is debug.
/// </summary>
internal sealed class SidecarLog(string prefix, LogLevel minimum, TextWriter output) : ILoggerProvider
{
    private static readonly string[] FrameworkCategories = ["Microsoft.", "System.", "Grpc."];

    /// <summary>A logger factory whose lines start with "== DAPR - <paramref name="appId"/> == " (or "== DAPR == " without an app).</summary>
    public static ILoggerFactory CreateFactory(string? appId, string logLevel, TextWriter output) =>
        new LoggerFactory([new SidecarLog(appId is null ? "== DAPR == " : $"== DAPR - {appId} == ", Level(logLevel), output)]);

    /// <summary>The Microsoft log level of a Dapr log level (debug, info, warn, error, fatal).</summary>
    public static LogLevel Level(string logLevel) => logLevel switch
    {
        "debug" => LogLevel.Debug,
        "warn" => LogLevel.Warning,
        "error" => LogLevel.Error,
        "fatal" => LogLevel.Critical,
        _ => LogLevel.Information,
    };

    /// <inheritdoc />
    public ILogger CreateLogger(string categoryName)
    {
        var framework = FrameworkCategories.Any(c => categoryName.StartsWith(c, StringComparison.Ordinal));
        var level = framework && minimum > LogLevel.Debug ? (LogLevel)Math.Max((int)minimum, (int)LogLevel.Warning) : minimum;
        return new Logger(prefix, categoryName[(categoryName.LastIndexOf('.') + 1)..], level, output);
    }

    /// <inheritdoc />
    public void Dispose()
    {
    }

    private sealed class Logger(string prefix, string category, LogLevel minimum, TextWriter output) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None && logLevel >= minimum;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            var name = logLevel switch
            {
                LogLevel.Trace or LogLevel.Debug => "debug",
                LogLevel.Information => "info",
                LogLevel.Warning => "warn",
                LogLevel.Error => "error",
                _ => "fatal",
            };
            var text = formatter(state, exception);
            if (exception is not null)
            {
                text += Environment.NewLine + exception;
            }

            foreach (var line in text.Split('\n'))
            {
                output.WriteLine($"{prefix}{name} [{category}] {line.TrimEnd('\r')}");
            }
        }
    }
}
