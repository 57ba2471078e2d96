using System.Collections.Concurrent;
using System.Net;
using Google.Protobuf;

namespace Mesh.Testing.Otlp;

/// <summary>One span as an OTLP exporter sent it: its trace, ids, name and the service (resource) that emitted it.</summary>
/// <param name="TraceId">The trace id, lowercase hex.</param>
/// <param name="SpanId">The span id, lowercase hex.</param>
/// <param name="ParentSpanId">The parent's span id, or empty for a root.</param>
/// <param name="Name">The span's name.</param>
/// <param name="Service">The emitter's <c>service.name</c>.</param>
/// <param name="Attributes">The span's string attributes.</param>
public sealed record ReceivedSpan(string TraceId, string SpanId, string ParentSpanId, string Name, string Service, IReadOnlyDictionary<string, string> Attributes);

/// <summary>
/// A minimal OpenTelemetry collector for tests: OTLP/HTTP with protobuf bodies on 127.0.0.1 (<c>/v1/traces</c> kept,
/// <c>/v1/metrics</c> and <c>/v1/logs</c> accepted and dropped). An HttpListener rather than Kestrel, so the runtime's
/// ASP.NET Core instrumentation in the test process does not trace the exports themselves.
/// </summary>
public sealed class OtlpReceiver : IAsyncDisposable
{
    private readonly HttpListener listener;
    private readonly ConcurrentQueue<ReceivedSpan> spans = new();
    private readonly Task serving;

    private OtlpReceiver(HttpListener listener, int port)
    {
        this.listener = listener;
        Endpoint = $"http://127.0.0.1:{port}";
        serving = ServeAsync();
    }

    /// <summary>The OTEL_EXPORTER_OTLP_ENDPOINT to give exporters (with OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf).</summary>
    public string Endpoint { get; }

    /// <summary>Every span received so far.</summary>
    public IReadOnlyCollection<ReceivedSpan> Spans => spans;

    /// <summary>The environment that points an app's OpenTelemetry SDK here and exports every 200 ms.</summary>
    public Dictionary<string, string?> ExporterEnvironment() => new()
    {
        ["OTEL_EXPORTER_OTLP_ENDPOINT"] = Endpoint,
        ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
        ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
        ["OTEL_METRIC_EXPORT_INTERVAL"] = "60000",
    };

    /// <summary>Starts listening on a free loopback port.</summary>
    public static OtlpReceiver Start()
    {
        for (var attempt = 1; ; attempt++)
        {
            var port = Mesh.Runtime.LoopbackPorts.Free();
            var listener = new HttpListener();
            listener.Prefixes.Add($"http://127.0.0.1:{port}/");
            try
            {
                listener.Start();
                return new OtlpReceiver(listener, port);
            }
            catch (HttpListenerException) when (attempt < 5)
            {
                listener.Close();
            }
        }
    }

    private async Task ServeAsync()
    {
        while (listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
            {
                return;
            }

            try
            {
                if (context.Request.Url?.AbsolutePath == "/v1/traces")
                {
                    Take(ExportTraceServiceRequest.Parser.ParseFrom(context.Request.InputStream));
                }

                context.Response.ContentType = "application/x-protobuf";
                new ExportTraceServiceResponse().WriteTo(context.Response.OutputStream);
                context.Response.StatusCode = 200;
            }
            catch (InvalidProtocolBufferException)
            {
                context.Response.StatusCode = 400;
            }
            finally
            {
                context.Response.Close();
            }
        }
    }

    private void Take(ExportTraceServiceRequest request)
    {
        foreach (var resource in request.ResourceSpans)
        {
            var service = resource.Resource?.Attributes.FirstOrDefault(a => a.Key == "service.name")?.Value?.StringValue ?? "";
            foreach (var span in resource.ScopeSpans.SelectMany(s => s.Spans))
            {
                spans.Enqueue(new ReceivedSpan(
                    Convert.ToHexStringLower(span.TraceId.Span),
                    Convert.ToHexStringLower(span.SpanId.Span),
                    Convert.ToHexStringLower(span.ParentSpanId.Span),
                    span.Name,
                    service,
                    span.Attributes.Where(a => a.Value?.ValueCase == AnyValue.ValueOneofCase.StringValue).GroupBy(a => a.Key).ToDictionary(g => g.Key, g => g.First().Value.StringValue)));
            }
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        listener.Stop();
        listener.Close();
        await serving;
    }
}
