using Dapr.DurableTask.Protobuf;
using Grpc.Core;

namespace Mesh.Workflows.Cases;

/// <summary>
/// Reads a saga instance's workflow history from the sidecar, through the durabletask API's <c>GetInstanceHistory</c>
/// that the Dapr SDK's workflow client calls too. The client is called here directly because the SDK's
/// <c>GetInstanceHistoryAsync</c> keeps only each event's type and time, and a timeline needs the step names, the
/// task execution ids that link retries, and the timers' origins.
/// </summary>
public sealed class SagaHistory(TaskHubSidecarService.TaskHubSidecarServiceClient sidecar)
{
    /// <summary>The instance's history, oldest first; null when the engine has no such instance (never started, or purged).</summary>
    public async Task<IReadOnlyList<HistoryEvent>?> ReadAsync(string instanceId, CancellationToken ct)
    {
        try
        {
            var response = await sidecar.GetInstanceHistoryAsync(new GetInstanceHistoryRequest { InstanceId = instanceId }, cancellationToken: ct);
            return response.Events;
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
        {
            return null;
        }
    }
}
