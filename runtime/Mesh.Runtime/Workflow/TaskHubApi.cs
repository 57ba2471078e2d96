using Dapr.DurableTask.Protobuf;
using Google.Protobuf.Reflection;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Mesh.Runtime.Sidecar.Grpc;

namespace Mesh.Runtime.Workflow;

/// <summary>
/// <c>TaskHubSidecarService</c>, the workflow protocol the stock Dapr.Workflow SDK speaks (Dapr's copy of
/// the durabletask protocol), served by the sidecar over <see cref="WorkflowEngine"/>.
/// </summary>
public sealed class TaskHubApi(WorkflowEngine engine, WorkflowQueries queries)
{
    /// <summary>Hello: the SDK's keepalive.</summary>
    public Task<Empty> Hello(Empty request, ServerCallContext context) => Task.FromResult(new Empty());

    /// <summary>StartInstance.</summary>
    public async Task<CreateInstanceResponse> StartInstance(CreateInstanceRequest request, ServerCallContext context)
    {
        if (string.IsNullOrEmpty(request.Name))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "name is required: the workflow to run"));
        }

        CheckPayload(request.Input, "input");
        return new() { InstanceId = await engine.StartAsync(request) };
    }

    /// <summary>GetInstance: exists=false for an unknown id, as the SDK expects.</summary>
    public async Task<GetInstanceResponse> GetInstance(GetInstanceRequest request, ServerCallContext context) =>
        Response(await queries.GetAsync(request.InstanceId, request.GetInputsAndOutputs));

    /// <summary>WaitForInstanceStart: returns once the instance left Pending (or at once when unknown).</summary>
    public async Task<GetInstanceResponse> WaitForInstanceStart(GetInstanceRequest request, ServerCallContext context) =>
        Response(await queries.WaitAsync(request.InstanceId, s => s != OrchestrationStatus.Pending, request.GetInputsAndOutputs, context.CancellationToken));

    /// <summary>WaitForInstanceCompletion: returns once the instance finished (or at once when unknown).</summary>
    public async Task<GetInstanceResponse> WaitForInstanceCompletion(GetInstanceRequest request, ServerCallContext context) =>
        Response(await queries.WaitAsync(
            request.InstanceId,
            s => s is OrchestrationStatus.Completed or OrchestrationStatus.Failed or OrchestrationStatus.Terminated or OrchestrationStatus.Canceled,
            request.GetInputsAndOutputs,
            context.CancellationToken));

    /// <summary>RaiseEvent.</summary>
    public async Task<RaiseEventResponse> RaiseEvent(RaiseEventRequest request, ServerCallContext context)
    {
        CheckPayload(request.Input, "input");
        await engine.RaiseAsync(request.InstanceId, request.Name, request.Input);
        return new RaiseEventResponse();
    }

    /// <summary>TerminateInstance.</summary>
    public async Task<TerminateResponse> TerminateInstance(TerminateRequest request, ServerCallContext context)
    {
        await engine.TerminateAsync(request.InstanceId, request.Output, request.Recursive);
        return new TerminateResponse();
    }

    /// <summary>SuspendInstance.</summary>
    public async Task<SuspendResponse> SuspendInstance(SuspendRequest request, ServerCallContext context)
    {
        await engine.SuspendAsync(request.InstanceId, request.Reason);
        return new SuspendResponse();
    }

    /// <summary>ResumeInstance.</summary>
    public async Task<ResumeResponse> ResumeInstance(ResumeRequest request, ServerCallContext context)
    {
        await engine.ResumeAsync(request.InstanceId, request.Reason);
        return new ResumeResponse();
    }

    /// <summary>PurgeInstances by instance id; purging by filter is not supported.</summary>
    public async Task<PurgeInstancesResponse> PurgeInstances(PurgeInstancesRequest request, ServerCallContext context) =>
        request.RequestCase == PurgeInstancesRequest.RequestOneofCase.InstanceId
            ? new PurgeInstancesResponse { DeletedInstanceCount = await engine.PurgeAsync(request.InstanceId, request.Recursive), IsComplete = true }
            : throw new RpcException(new Status(StatusCode.Unimplemented, "PurgeInstances by filter is not implemented by the Mesh embedded runtime; purge by instance id"));

    /// <summary>ListInstanceIDs.</summary>
    public async Task<ListInstanceIDsResponse> ListInstanceIDs(ListInstanceIDsRequest request, ServerCallContext context)
    {
        var (ids, next) = await queries.ListAsync(request.ContinuationToken ?? "", (int)Math.Min(request.PageSize, int.MaxValue));
        var response = new ListInstanceIDsResponse { InstanceIds = { ids } };
        if (next.Length > 0)
        {
            response.ContinuationToken = next;
        }

        return response;
    }

    /// <summary>GetInstanceHistory.</summary>
    public async Task<GetInstanceHistoryResponse> GetInstanceHistory(GetInstanceHistoryRequest request, ServerCallContext context) =>
        new() { Events = { await queries.HistoryAsync(request.InstanceId) } };

    /// <summary>GetWorkItems: the worker's stream of turns and activities.</summary>
    public Task GetWorkItems(GetWorkItemsRequest request, IServerStreamWriter<WorkItem> writer, ServerCallContext context) =>
        engine.StreamAsync(writer, context.CancellationToken);

    /// <summary>CompleteOrchestratorTask (and CompleteWorkflowTask, its newer name).</summary>
    public async Task<CompleteTaskResponse> CompleteOrchestratorTask(WorkflowResponse request, ServerCallContext context)
    {
        await engine.CompleteTurnAsync(request);
        return new CompleteTaskResponse();
    }

    /// <summary>CompleteActivityTask.</summary>
    public async Task<CompleteTaskResponse> CompleteActivityTask(ActivityResponse request, ServerCallContext context)
    {
        await engine.CompleteActivityAsync(request);
        return new CompleteTaskResponse();
    }

    // Dapr's default body limit, checked here so that an oversized payload is refused before anything is accepted.
    private static void CheckPayload(string? value, string field)
    {
        if (value is not null && System.Text.Encoding.UTF8.GetByteCount(value) > WorkflowEngine.MaxPayloadBytes)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"{field} is {System.Text.Encoding.UTF8.GetByteCount(value)} bytes; the limit is {WorkflowEngine.MaxPayloadBytes} bytes"));
        }
    }

    private static GetInstanceResponse Response(WorkflowState? state) =>
        state is null ? new GetInstanceResponse { Exists = false } : new GetInstanceResponse { Exists = true, WorkflowState = state };
}

/// <summary>Binds <c>TaskHubSidecarService</c> (package-less, so paths are <c>/TaskHubSidecarService/{Method}</c>) onto <see cref="TaskHubApi"/>.</summary>
public sealed class TaskHubServiceMethodProvider : DescriptorMethodProvider<TaskHubApi>
{
    /// <summary>The gRPC service name.</summary>
    public const string ServiceName = "TaskHubSidecarService";

    /// <inheritdoc />
    protected override ServiceDescriptor Service => OrchestratorServiceReflection.Descriptor.FindTypeByName<ServiceDescriptor>(ServiceName);

    /// <inheritdoc />
    protected override IReadOnlyDictionary<string, string> Aliases { get; } = new Dictionary<string, string>
    {
        ["CompleteWorkflowTask"] = nameof(TaskHubApi.CompleteOrchestratorTask),
    };
}
