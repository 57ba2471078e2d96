using System.Collections.Concurrent;
using Mesh.Contracts.Inventory.V1;
using Mesh.Contracts.Type.V1;
using Mesh.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Logs;

namespace Mesh.ServiceDefaults.Tests;

public class PhiSafeLoggingTests
{
    private static readonly string[] PhiValues = ["MRN-558812", "ENC-20260001", "Roe, Jane", "1958-07-14", "ORD-77821"];

    private static ItemConsumed Consumption() => new()
    {
        Context = new EventContext { EventId = "evt-123", Source = "ehr-prod" },
        Item = "items/suture-3-0",
        Location = "locations/or-2",
        CostCenter = "costCenters/7100",
        Quantity = new Quantity { Units = 2, Unit = "EA" },
        Patient = new PatientReference
        {
            Mrn = "MRN-558812", MrnSystem = "urn:oid:1.2.840.114350", EncounterId = "ENC-20260001",
            PatientName = "Roe, Jane", BirthDate = "1958-07-14",
        },
        RecordedBy = "rn.lopez",
        ClinicalOrderId = "ORD-77821",
    };

    [Fact]
    public async Task LogMessageArgument_WithPhi_NeverReachesAnyProvider()
    {
        var captured = new CapturingLoggerProvider();
        var exported = new List<LogRecord>();
        var builder = WebApplication.CreateSlimBuilder();
        // Outside Development an app needs its APP_API_TOKEN to start.
        builder.Configuration["APP_API_TOKEN"] = "test-app-token";
        builder.AddServiceDefaults();
        builder.Logging.AddOpenTelemetry(o => o.AddInMemoryExporter(exported));
        builder.Logging.AddProvider(captured);
        await using var app = builder.Build();
        var logger = app.Services.GetRequiredService<ILogger<PhiSafeLoggingTests>>();

        using (logger.BeginScope(Consumption()))
        {
            logger.LogWarning("Consumption {Event} could not be priced at {Location}", Consumption(), "locations/or-2");
        }

        var entry = Assert.Single(captured.Entries, e => e.Level == LogLevel.Warning);
        Assert.Contains("items/suture-3-0", entry.Text, StringComparison.Ordinal);
        Assert.Contains("could not be priced at locations/or-2", entry.Text, StringComparison.Ordinal);
        Assert.Contains("[REDACTED:PHI]", entry.Text, StringComparison.Ordinal);
        var record = Assert.Single(exported, r => r.LogLevel == LogLevel.Warning);
        var everything = string.Join("\n", [
            entry.Text, entry.State, .. entry.Scopes,
            record.FormattedMessage ?? "", .. record.Attributes!.Select(a => a.Value?.ToString() ?? ""),
        ]);
        foreach (var phi in PhiValues.Append("rn.lopez"))
        {
            Assert.DoesNotContain(phi, everything, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task ConsoleOutput_WithPhiArgument_ShowsOnlyRedactedValues()
    {
        var original = Console.Out;
        var console = new StringWriter();
        Console.SetOut(console);
        try
        {
            var builder = Host.CreateApplicationBuilder();
            // Outside Development an app needs its APP_API_TOKEN to start.
            builder.Configuration["APP_API_TOKEN"] = "test-app-token";
            builder.AddServiceDefaults();
            builder.Logging.ClearProviders();
            builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
            using (var host = builder.Build())
            {
                host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Mesh.Test")
                    .LogInformation("Received {Event}", Consumption());
            }

            // Disposing the host flushes the console logger's queue.
            var output = console.ToString();
            Assert.Contains("Received {", output, StringComparison.Ordinal);
            Assert.Contains("suture-3-0", output, StringComparison.Ordinal);
            Assert.All(PhiValues, phi => Assert.DoesNotContain(phi, output, StringComparison.Ordinal));
        }
        finally
        {
            Console.SetOut(original);
        }
    }

    [Fact]
    public async Task LogWithoutMessages_IsPassedThroughUnchanged()
    {
        var captured = new CapturingLoggerProvider();
        var builder = WebApplication.CreateSlimBuilder();
        // Outside Development an app needs its APP_API_TOKEN to start.
        builder.Configuration["APP_API_TOKEN"] = "test-app-token";
        builder.AddServiceDefaults();
        builder.Logging.AddProvider(captured);
        await using var app = builder.Build();

        app.Services.GetRequiredService<ILogger<PhiSafeLoggingTests>>()
            .LogInformation("Balance {Balance} at {Count:D4} {{literal}}", "locations/a/balances/b", 7);

        var entry = Assert.Single(captured.Entries, e => e.Level == LogLevel.Information && e.Text.StartsWith("Balance", StringComparison.Ordinal));
        Assert.Equal("Balance locations/a/balances/b at 0007 {literal}", entry.Text);
    }

    [Fact]
    public async Task DictionariesListsAndExceptions_WithPhi_NeverReachAProvider()
    {
        var captured = new CapturingLoggerProvider();
        var exported = new List<LogRecord>();
        var builder = WebApplication.CreateSlimBuilder();
        // Outside Development an app needs its APP_API_TOKEN to start.
        builder.Configuration["APP_API_TOKEN"] = "test-app-token";
        builder.AddServiceDefaults();
        builder.Logging.AddOpenTelemetry(o => o.AddInMemoryExporter(exported));
        builder.Logging.AddProvider(captured);
        await using var app = builder.Build();
        var logger = app.Services.GetRequiredService<ILogger<PhiSafeLoggingTests>>();
        var patient = Consumption().Patient;

        using (logger.BeginScope(new Dictionary<string, object> { ["Patient"] = patient, ["Flow"] = "inventory-to-charge" }))
        {
            logger.LogError(
                new InvalidOperationException($"pricing failed for {patient.Mrn}", new ArgumentException($"bad encounter {patient.EncounterId}")),
                "Batch {Batch} by encounter {ByEncounter} with wrapped {Wrapped}",
                new List<ItemConsumed> { Consumption() },
                new Dictionary<string, PatientReference> { ["first"] = patient },
                Google.Protobuf.WellKnownTypes.Any.Pack(patient));
        }

        var entry = Assert.Single(captured.Entries, e => e.Level == LogLevel.Error);
        var record = Assert.Single(exported, r => r.LogLevel == LogLevel.Error);
        var everything = string.Join("\n", [
            entry.Text, entry.State, entry.Exception, .. entry.Scopes,
            record.FormattedMessage ?? "", record.Exception?.ToString() ?? "", record.Exception?.Message ?? "",
            .. record.Attributes!.Select(a => a.Value?.ToString() ?? ""),
        ]);
        foreach (var phi in PhiValues)
        {
            Assert.DoesNotContain(phi, everything, StringComparison.Ordinal);
        }

        Assert.Contains("System.InvalidOperationException", entry.Exception, StringComparison.Ordinal);
        Assert.Contains("System.ArgumentException", entry.Exception, StringComparison.Ordinal);
        Assert.Contains("inventory-to-charge", string.Join(" ", entry.Scopes), StringComparison.Ordinal);
        Assert.Contains("items/suture-3-0", entry.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RequestScope_OfTheHosting_ReachesProvidersAsTheHostingsOwn()
    {
        var captured = new CapturingLoggerProvider();
        var builder = LoopbackApp.CreateBuilder(HttpProtocols.Http1);
        builder.Configuration.AddInMemoryCollection([new("APP_API_TOKEN", "test-app-token")]);
        builder.AddServiceDefaults();
        builder.Logging.AddProvider(captured);
        await using var app = builder.Build();
        app.MapGet("/probe", (ILogger<PhiSafeLoggingTests> logger) =>
        {
            logger.LogInformation("Probed");
            return "ok";
        }).AllowAnonymous();
        await app.StartAsync();
        using var http = new HttpClient { BaseAddress = LoopbackApp.AddressOf(app) };

        await http.GetStringAsync(new Uri("/probe", UriKind.Relative));

        // The redacting logger passes this scope through unread by its type: a rename in ASP.NET Core must show here.
        var entry = Assert.Single(captured.Entries, e => e.Text == "Probed");
        Assert.Contains(entry.Scopes, s => s.Contains("RequestPath=/probe", StringComparison.Ordinal));
        Assert.Contains("Microsoft.AspNetCore.Hosting.HostingApplicationDiagnostics+Log+HostingLogScope", entry.ScopeTypes);
    }

    private sealed record Entry(LogLevel Level, string Text, string State, IReadOnlyList<string> Scopes, IReadOnlyList<string> ScopeTypes, string Exception);

    private sealed class CapturingLoggerProvider : ILoggerProvider, ISupportExternalScope
    {
        private IExternalScopeProvider scopes = new LoggerExternalScopeProvider();

        public ConcurrentQueue<Entry> Entries { get; } = new();

        public ILogger CreateLogger(string categoryName) => new CapturingLogger(this);

        public void SetScopeProvider(IExternalScopeProvider scopeProvider) => scopes = scopeProvider;

        public void Dispose()
        {
        }

        // Renders a scope the way structured providers do: its key/value pairs, else its text.
        private static string ScopeText(object? scope) => scope is IEnumerable<KeyValuePair<string, object?>> pairs
            ? string.Join("; ", pairs.Select(p => $"{p.Key}={p.Value}"))
            : scope?.ToString() ?? "";

        private sealed class CapturingLogger(CapturingLoggerProvider provider) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => provider.scopes.Push(state);

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                var scopeTexts = new List<string>();
                var scopeTypes = new List<string>();
                provider.scopes.ForEachScope(
                    (scope, lists) =>
                    {
                        lists.Texts.Add(ScopeText(scope));
                        lists.Types.Add(scope?.GetType().FullName ?? "");
                    },
                    (Texts: scopeTexts, Types: scopeTypes));
                var stateText = state is IEnumerable<KeyValuePair<string, object?>> pairs
                    ? string.Join("; ", pairs.Select(p => $"{p.Key}={p.Value}"))
                    : state?.ToString() ?? "";
                provider.Entries.Enqueue(new Entry(logLevel, formatter(state, exception), stateText, scopeTexts, scopeTypes, exception?.ToString() ?? ""));
            }
        }
    }
}
