using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Mesh.Runtime.Telemetry;

/// <summary>
/// What the sidecars record about their own work, named and labelled as daprd's metrics are (dapr/dapr
/// pkg/diagnostics: <c>dapr_component_pubsub_ingress_count</c> with app_id, component, namespace, process_status,
/// status and topic; <c>dapr_component_pubsub_egress_count</c> with success; <c>dapr_component_state_count</c> with
/// operation; <c>dapr_runtime_service_invocation_*</c>; latencies in milliseconds on daprd's buckets), and the spans
/// daprd emits for publish, deliver, state and invoke. Instruments carry no unit, so the Prometheus names stay
/// daprd's; <see cref="RuntimeTelemetry"/> exports counters without the <c>_total</c> suffix daprd does not add.
/// </summary>
public static class SidecarTelemetry
{
    /// <summary>The name of the runtime's Meter and ActivitySource.</summary>
    public const string Name = "Mesh.Runtime";

    // daprd's default latency distribution (pkg/diagnostics/utils: defaultLatencyDistribution), in milliseconds.
    private static readonly double[] LatencyBuckets =
        [1, 2, 3, 4, 5, 6, 8, 10, 13, 16, 20, 25, 30, 40, 50, 65, 80, 100, 130, 160, 200, 250, 300, 400, 500, 650, 800, 1000, 2000, 5000, 10000, 20000, 50000, 100000];

    private static readonly Meter Meter = new(Name);
    private static readonly InstrumentAdvice<double> Latency = new() { HistogramBucketBoundaries = LatencyBuckets };
    private static readonly Counter<long> IngressCount = Meter.CreateCounter<long>("dapr_component_pubsub_ingress_count", null, "The number of incoming messages arriving from the pub/sub component");
    private static readonly Histogram<double> IngressLatency = Meter.CreateHistogram("dapr_component_pubsub_ingress_latencies", null, "The consuming app event processing latency", advice: Latency);
    private static readonly Counter<long> EgressCount = Meter.CreateCounter<long>("dapr_component_pubsub_egress_count", null, "The number of outgoing messages published to the pub/sub component");
    private static readonly Histogram<double> EgressLatency = Meter.CreateHistogram("dapr_component_pubsub_egress_latencies", null, "The latency of the response from the pub/sub component", advice: Latency);
    private static readonly Counter<long> StateCount = Meter.CreateCounter<long>("dapr_component_state_count", null, "The number of operations performed on the state component");
    private static readonly Histogram<double> StateLatency = Meter.CreateHistogram("dapr_component_state_latencies", null, "The latency of the state component", advice: Latency);
    private static readonly Counter<long> InvocationSent = Meter.CreateCounter<long>("dapr_runtime_service_invocation_req_sent_total", null, "The number of requests sent via service invocation");
    private static readonly Counter<long> InvocationReceived = Meter.CreateCounter<long>("dapr_runtime_service_invocation_res_recv_total", null, "The number of responses received via service invocation");
    private static readonly Histogram<double> InvocationLatency = Meter.CreateHistogram("dapr_runtime_service_invocation_res_recv_latency_ms", null, "The latency of service invocation responses", advice: Latency);

    /// <summary>The source of the runtime's spans.</summary>
    public static ActivitySource Source { get; } = new(Name);

    // daprd labels every metric with the namespace it runs in: NAMESPACE, empty outside Kubernetes.
    private static string Namespace { get; } = Environment.GetEnvironmentVariable("NAMESPACE") ?? "";

    /// <summary>A publish by <paramref name="appId"/> and how long the component took.</summary>
    public static void Published(string appId, string component, string topic, bool success, TimeSpan elapsed)
    {
        var tags = new TagList { { "app_id", appId }, { "component", component }, { "namespace", Namespace }, { "success", success ? "true" : "false" }, { "topic", topic } };
        EgressCount.Add(1, tags);
        EgressLatency.Record(elapsed.TotalMilliseconds, tags);
    }

    /// <summary>A delivery to <paramref name="appId"/>, with the app's answer (success, retry, drop) and its processing time.</summary>
    public static void Delivered(string appId, string component, string topic, string status, TimeSpan elapsed)
    {
        var tags = new TagList { { "app_id", appId }, { "component", component }, { "namespace", Namespace }, { "process_status", status }, { "status", status }, { "topic", topic } };
        IngressCount.Add(1, tags);
        IngressLatency.Record(elapsed.TotalMilliseconds, tags);
    }

    /// <summary>A state operation (get, set, delete, transaction) of <paramref name="appId"/> on a store.</summary>
    public static void StateOperation(string appId, string component, string operation, bool success, TimeSpan elapsed)
    {
        var tags = new TagList { { "app_id", appId }, { "component", component }, { "namespace", Namespace }, { "operation", operation }, { "success", success ? "true" : "false" } };
        StateCount.Add(1, tags);
        StateLatency.Record(elapsed.TotalMilliseconds, tags);
    }

    /// <summary>A service invocation from <paramref name="appId"/> to <paramref name="destination"/> and the status it got back.</summary>
    public static void Invoked(string appId, string destination, string type, string status, TimeSpan elapsed)
    {
        var sent = new TagList { { "app_id", appId }, { "destination_app_id", destination }, { "namespace", Namespace }, { "type", type } };
        InvocationSent.Add(1, sent);
        var received = new TagList { { "app_id", appId }, { "destination_app_id", destination }, { "namespace", Namespace }, { "status", status }, { "type", type } };
        InvocationReceived.Add(1, received);
        InvocationLatency.Record(elapsed.TotalMilliseconds, received);
    }

    /// <summary>
    /// Starts a span of the sidecar of <paramref name="appId"/>, a child of the current one, or of
    /// <paramref name="traceParent"/> (a W3C traceparent) when given; null when nothing listens.
    /// </summary>
    public static Activity? StartSpan(string name, ActivityKind kind, string appId, string? traceParent = null, string? traceState = null)
    {
        ActivityContext parent = default;
        if (traceParent is { Length: > 0 } && ActivityContext.TryParse(traceParent, traceState, isRemote: true, out var remote))
        {
            parent = remote;
        }

        var span = parent == default ? Source.StartActivity(name, kind) : Source.StartActivity(name, kind, parent);
        span?.SetTag("dapr.app_id", appId);
        return span;
    }
}
