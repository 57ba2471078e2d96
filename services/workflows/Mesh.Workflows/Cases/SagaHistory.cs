using Dapr.DurableTask.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;

namespace Mesh.Workflows.Cases;

/// <summary>
/// Reads a saga instance's workflow history from the sidecar, through the durabletask API's <c>GetInstanceHistory</c>
/// that the Dapr SDK's workflow client calls too. It is called here directly because the SDK's
/// <c>GetInstanceHistoryAsync</c> keeps only each event's type and time, and a timeline needs the step names, the
/// task execution ids that link retries, and the timers' origins. Every call carries the sidecar's DAPR_API_TOKEN.
/// </summary>
public sealed class SagaHistory(string sidecar, string? apiToken) : IDisposable
{
    private readonly GrpcChannel channel = GrpcChannel.ForAddress(sidecar);

    /// <summary>The instance's history, oldest first; null when the engine has no such instance (never started, or purged).</summary>
    public async Task<IReadOnlyList<HistoryEvent>?> ReadAsync(string instanceId, CancellationToken ct)
    {
        var headers = string.IsNullOrEmpty(apiToken) ? null : new Metadata { { "dapr-api-token", apiToken } };
        try
        {
            var response = await new TaskHubSidecarService.TaskHubSidecarServiceClient(channel)
                .GetInstanceHistoryAsync(new GetInstanceHistoryRequest { InstanceId = instanceId }, headers, cancellationToken: ct);
            return response.Events;
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
        {
            return null;
        }
    }

    /// <inheritdoc />
    public void Dispose() => channel.Dispose();
}
