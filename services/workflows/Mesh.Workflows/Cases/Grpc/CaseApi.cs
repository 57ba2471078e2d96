using System.Text.RegularExpressions;
using Dapr.Workflow;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Mesh.Contracts.Workflows.V1;
using Mesh.Resources;
using Mesh.Workflows.Cases.Operators;

namespace Mesh.Workflows.Cases.Grpc;

/// <summary>
/// mesh.workflows.v1.CaseService over gRPC and, by JSON transcoding of its google.api.http bindings, REST: the cases
/// of every flow this app runs, each flow found by the name in the request. Replay, dismiss and release-hold are
/// operator actions: they need an operator token and are audited (<see cref="OperatorGate"/>).
/// </summary>
public sealed partial class CaseApi(CaseFlows flows, DaprWorkflowClient workflows, SagaHistory histories, OperatorGate operators) : CaseService.CaseServiceBase
{
    private const int MaxBatch = 1000;
    private const int MaxComment = 1000;

    [GeneratedRegex(@"\A[a-z][a-z0-9_]{0,62}\z")]
    private static partial Regex ReasonPattern();

    [GeneratedRegex(@"\A[a-z][A-Za-z]{0,62}/[a-z0-9][a-z0-9-]{0,62}\z")]
    private static partial Regex DocumentPattern();

    /// <inheritdoc />
    public override async Task<Case> GetCase(GetCaseRequest request, ServerCallContext context)
    {
        var (flow, caseId) = flows.OfCase(request.Name, "name");
        return await CaseOfAsync(flow, caseId, request.Name, context.CancellationToken);
    }

    /// <inheritdoc />
    public override async Task<CaseTimeline> GetCaseTimeline(GetCaseTimelineRequest request, ServerCallContext context)
    {
        var caseName = CaseTimelines.CaseNameOf(request.Name, "name");
        var (flow, caseId) = flows.OfCase(caseName, "name");
        var ct = context.CancellationToken;
        // A case in its first run is not recorded yet; a recorded one lists its runs, the first and each replay.
        var recorded = await flow.Cases.GetAsync(caseId, ct);
        IReadOnlyList<string> runs = recorded is null ? [flow.InstanceIdOf(caseId)] : flow.Cases.RunsOf(recorded);
        var read = await Task.WhenAll(runs.Select(run => histories.ReadAsync(run, ct)));
        // A run without history lost it to the engine's retention policy; a case that is not recorded and has none, or
        // was concluded without a saga (dead-lettered), never ran.
        return runs.Count > 0 && (recorded is not null || read[0] is not null)
            ? CaseTimelines.Of(caseName, [.. runs.Zip(read)], flow.Compensations)
            : throw CaseErrors.NotFound(CaseErrors.CaseType, caseName, "does not exist: no saga was started for it");
    }

    /// <inheritdoc />
    public override async Task<BatchGetCasesResponse> BatchGetCases(BatchGetCasesRequest request, ServerCallContext context)
    {
        var flow = flows.OfParent(request.Parent, "parent");
        if (request.Names.Count is 0 or > MaxBatch)
        {
            throw CaseErrors.Invalid("names", $"must hold 1 to {MaxBatch} case names");
        }

        var ids = request.Names.Select((name, i) =>
        {
            var (of, caseId) = CaseNames.Parse(name, $"names[{i}]");
            return of == flow.Id ? caseId : throw CaseErrors.Invalid($"names[{i}]", $"is not a case of {request.Parent}");
        }).ToList();
        return new BatchGetCasesResponse { Cases = { await flow.Cases.GetManyAsync(ids, context.CancellationToken) } };
    }

    /// <inheritdoc />
    public override async Task<Case> LookupCase(LookupCaseRequest request, ServerCallContext context)
    {
        var flow = flows.OfParent(request.Parent, "parent");
        if (!DocumentPattern().IsMatch(request.Document))
        {
            throw CaseErrors.Invalid("document", "must be a resource name \"{collection}/{id}\", e.g. purchaseOrders/r1-1");
        }

        var ct = context.CancellationToken;
        var caseId = await flow.CaseOfDocumentAsync(request.Document, ct) is { } id && CaseNames.IsCaseId(id) ? id
            : throw CaseErrors.NotFound(CaseErrors.CaseType, request.Document, $"belongs to no case of {request.Parent}");
        return await CaseOfAsync(flow, caseId, CaseNames.Of(flow.Id, caseId), ct);
    }

    /// <inheritdoc />
    public override Task<Flow> GetFlow(GetFlowRequest request, ServerCallContext context)
    {
        var flow = flows.OfParent(request.Name, "name");
        return Task.FromResult(new Flow
        {
            Name = CaseNames.FlowName(flow.Id),
            StalledAfter = Duration.FromTimeSpan(flow.Metrics.StalledAfter),
            DeadLetterTopics = { flow.DeadLetterTopics },
        });
    }

    /// <inheritdoc />
    public override Task<ListStalledCasesResponse> ListStalledCases(ListStalledCasesRequest request, ServerCallContext context)
    {
        var flow = flows.OfParent(request.Parent, "parent");
        ValidatePageSize(request.PageSize);
        var (page, next) = StalledCases.Page(flow, Paging.Size(request.PageSize), request.PageToken);
        return Task.FromResult(new ListStalledCasesResponse { StalledCases = { page }, NextPageToken = next });
    }

    /// <inheritdoc />
    public override async Task<ListCasesResponse> ListCases(ListCasesRequest request, ServerCallContext context)
    {
        var flow = flows.OfParent(request.Parent, "parent");
        ValidatePageSize(request.PageSize);
        var (page, next) = await flow.Cases.ListConcludedAsync(Paging.Size(request.PageSize), request.PageToken, context.CancellationToken);
        return new ListCasesResponse { Cases = { page }, NextPageToken = next };
    }

    /// <inheritdoc />
    public override async Task<ListExceptionsResponse> ListExceptions(ListExceptionsRequest request, ServerCallContext context)
    {
        var flow = flows.OfParent(request.Parent, "parent");
        ValidatePageSize(request.PageSize);
        if (request.Reason.Length > 0 && !ReasonPattern().IsMatch(request.Reason))
        {
            throw CaseErrors.Invalid("reason", "must be a snake_case reason code, e.g. erp_unavailable");
        }

        var (page, next) = await flow.Cases.ListExceptionsAsync(
            request.Reason.Length > 0 ? request.Reason : null, request.QueuedBefore?.ToDateTimeOffset(), Paging.Size(request.PageSize), request.PageToken, context.CancellationToken);
        return new ListExceptionsResponse { Exceptions = { page }, NextPageToken = next };
    }

    /// <inheritdoc />
    public override Task<ReplayExceptionResponse> ReplayException(ReplayExceptionRequest request, ServerCallContext context) =>
        operators.PerformAsync(context, "replay", request.Name, request.RequestId, _ => ReplayAsync(request, context));

    /// <inheritdoc />
    public override Task<Case> DismissException(DismissExceptionRequest request, ServerCallContext context) =>
        operators.PerformAsync(context, "dismiss", request.Name, request.RequestId, _ => DismissAsync(request, context));

    /// <inheritdoc />
    public override Task<ReleaseHoldResponse> ReleaseHold(ReleaseHoldRequest request, ServerCallContext context) =>
        operators.PerformAsync(context, "release-hold", request.Name, request.RequestId, subject => ReleaseHoldAsync(request, subject, context));

    private async Task<ReplayExceptionResponse> ReplayAsync(ReplayExceptionRequest request, ServerCallContext context)
    {
        var (flow, caseId) = flows.OfCase(request.Name, "name");
        ValidateRequestId(request.RequestId);
        var ct = context.CancellationToken;
        if (await flow.Cases.AnswerAsync(request.RequestId, request.Name, ReplayExceptionResponse.Parser, ct) is { } earlier)
        {
            return earlier;
        }

        var exception = await flow.Cases.GetAsync(caseId, ct) ?? throw CaseErrors.NotFound(CaseErrors.CaseType, request.Name, "has no conclusion to replay");
        if (exception.State != CaseState.Exception)
        {
            throw CaseErrors.FailedPrecondition("NOT_ON_QUEUE", request.Name, $"is {exception.State}, not on the exception queue");
        }

        if (!exception.Replayable)
        {
            throw CaseErrors.FailedPrecondition("NOT_REPLAYABLE", request.Name, $"ended {exception.Reason} and cannot be replayed; dismiss it once dealt with");
        }

        // One replay per exception: its instance id comes from the exception's conclusion, so a second call finds it.
        var replayId = flow.Cases.ReplayIdOf(exception);
        var answer = new ReplayExceptionResponse { ReplayId = replayId, Started = await flow.ReplayAsync(exception, replayId, ct) };
        // The case lists the replay as its next run in the write that remembers the answer.
        await flow.Cases.RecordRunAsync(caseId, replayId, request.RequestId, answer, ct);
        return answer;
    }

    private async Task<Case> DismissAsync(DismissExceptionRequest request, ServerCallContext context)
    {
        var (flow, caseId) = flows.OfCase(request.Name, "name");
        ValidateRequestId(request.RequestId);
        return await flow.Cases.DismissAsync(caseId, request.RequestId, context.CancellationToken);
    }

    private async Task<ReleaseHoldResponse> ReleaseHoldAsync(ReleaseHoldRequest request, string subject, ServerCallContext context)
    {
        var (flow, caseId) = flows.OfCase(request.Name, "name");
        ValidateRequestId(request.RequestId);
        if (string.IsNullOrWhiteSpace(request.Comment) || request.Comment.Length > MaxComment)
        {
            throw CaseErrors.Invalid("comment", $"is required: 1 to {MaxComment} characters saying why the variances are accepted");
        }

        var ct = context.CancellationToken;
        if (await flow.Cases.AnswerAsync(request.RequestId, request.Name, ReleaseHoldResponse.Parser, ct) is { } earlier)
        {
            return earlier;
        }

        var answer = await flow.ReleaseHoldAsync(await CaseOfAsync(flow, caseId, request.Name, ct), request.SupplierInvoice, subject, request.Comment, ct);
        await flow.Cases.RememberAsync(request.RequestId, request.Name, answer, ct);
        return answer;
    }

    // The recorded case, or a RUNNING one while its saga has not recorded it; NOT_FOUND when no saga was started.
    private async Task<Case> CaseOfAsync(ICaseFlow flow, string caseId, string name, CancellationToken ct)
    {
        if (await flow.Cases.GetAsync(caseId, ct) is { } recorded)
        {
            return recorded;
        }

        var saga = await workflows.GetWorkflowStateAsync(flow.InstanceIdOf(caseId), getInputsAndOutputs: false, ct);
        return saga?.Exists == true
            ? new Case { Name = name, State = CaseState.Running }
            : throw CaseErrors.NotFound(CaseErrors.CaseType, name, "does not exist: no saga was started for it");
    }

    private static void ValidatePageSize(int pageSize)
    {
        if (pageSize < 0)
        {
            throw CaseErrors.Invalid("page_size", "must not be negative");
        }
    }

    private static void ValidateRequestId(string requestId)
    {
        if (requestId.Length > 0 && !CaseNames.IsCaseId(requestId))
        {
            throw CaseErrors.Invalid("request_id", $"must be {CaseNames.CaseIdRule}, e.g. a UUID");
        }
    }
}
