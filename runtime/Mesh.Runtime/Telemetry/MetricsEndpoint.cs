namespace Mesh.Runtime.Telemetry;

/// <summary>The runtime's Prometheus endpoint: a port on 127.0.0.1 (0 for a free one); the default one gives way when taken.</summary>
/// <param name="Port">The port; daprd's metrics port, 9090, by default.</param>
/// <param name="IsDefault">True when nobody chose the port: if it is taken, a free one is used instead, and said.</param>
public sealed record MetricsEndpoint(int Port = MetricsEndpoint.DaprMetricsPort, bool IsDefault = true)
{
    /// <summary>daprd's default metrics port.</summary>
    public const int DaprMetricsPort = 9090;

    /// <summary>OTEL_* settings for the sidecars' span export that win over the environment's (e.g. a test's collector).</summary>
    public IReadOnlyDictionary<string, string?> Exporter { get; init; } = new Dictionary<string, string?>();
}
