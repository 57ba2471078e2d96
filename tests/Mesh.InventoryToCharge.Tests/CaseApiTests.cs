using System.Net;
using System.Net.Http.Json;
using Dapr.Workflow;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using Mesh.Contracts.Inventory.V1;
using Mesh.Contracts.Workflows.V1;
using Mesh.Scenarios;
using Mesh.Testing;
using Mesh.Workflows.Cases;
using Mesh.Workflows.InventoryToCharge;
using Microsoft.Extensions.DependencyInjection;
using Status = Google.Rpc.Status;

namespace Mesh.InventoryToCharge.Tests;

/// <summary>
/// mesh.workflows.v1.CaseService through the clinic's sidecar: over gRPC (proxied by dapr-app-id) and as REST/JSON
/// (HTTP invocation, JSON transcoding), on real Redis, with the workflows app hosted as its Program.cs wires it.
/// </summary>
public sealed class CaseApiTests(CaseApiTests.Fixture fixture) : IClassFixture<CaseApiTests.Fixture>
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(90);
    private static readonly JsonParser Json = new(JsonParser.Settings.Default.WithTypeRegistry(TypeRegistry.FromMessages(BadRequest.Descriptor, ResourceInfo.Descriptor, PreconditionFailure.Descriptor)));

    private CaseService.CaseServiceClient Cases => fixture.Flow.Clients.Cases;

    private HttpClient Rest => fixture.Flow.Clients.Workflows;

    [Fact]
    public async Task GetCase_GrpcAndRest_ReturnTheSameCompletedCaseWithItsPatient()
    {
        var name = InventoryToChargeScenario.CaseName(fixture.Completed.Context.EventId);

        var overGrpc = await Cases.GetCaseAsync(new GetCaseRequest { Name = name });
        var overRest = Json.Parse<Case>(await Rest.GetStringAsync($"v1/{name}"));

        Assert.Equal(overGrpc, overRest);
        Assert.Equal((CaseState.Completed, fixture.Completed.Item), (overGrpc.State, overGrpc.InventoryToCharge.Item));
        Assert.Equal(fixture.Completed.Patient.Mrn, overGrpc.InventoryToCharge.Patient.Mrn);
        Assert.NotEmpty(overGrpc.InventoryToCharge.ErpDocumentNumber);
        Assert.Contains(overGrpc.Steps, s => s.Step == "finance" && s.Duration.ToTimeSpan() > TimeSpan.Zero);
    }

    [Fact]
    public async Task GetCase_UnknownCase_IsNotFoundOverGrpcAndRest()
    {
        var name = InventoryToChargeScenario.CaseName($"{fixture.Catalog.RunId}-never-sent");

        var error = await Assert.ThrowsAsync<RpcException>(() => Cases.GetCaseAsync(new GetCaseRequest { Name = name }).ResponseAsync);
        var (status, body) = await RestErrorAsync(Rest.GetAsync($"v1/{name}"));

        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        Assert.Equal(name, error.GetRpcStatus()!.GetDetail<ResourceInfo>().ResourceName);
        Assert.Equal((HttpStatusCode.NotFound, (int)Code.NotFound), (status, body.Code));
        Assert.Equal(name, body.Details.Single().Unpack<ResourceInfo>().ResourceName);
    }

    [Theory]
    [InlineData("cases/x", "name")]
    [InlineData("flows/inventory-to-charge/cases/bad$id", "name")]
    [InlineData("flows/inventory-to-charge/cases/", "name")]
    public async Task GetCase_MalformedName_IsInvalidArgumentNamingTheField(string name, string field)
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => Cases.GetCaseAsync(new GetCaseRequest { Name = name }).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal(field, Assert.Single(error.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations).Field);
        Assert.StartsWith(field + " ", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetCase_RestWithAMalformedCaseId_Is400NamingTheField()
    {
        var (status, body) = await RestErrorAsync(Rest.GetAsync("v1/flows/inventory-to-charge/cases/bad%24id"));

        Assert.Equal((HttpStatusCode.BadRequest, (int)Code.InvalidArgument), (status, body.Code));
        Assert.Equal("name", body.Details.Single().Unpack<BadRequest>().FieldViolations.Single().Field);
    }

    [Fact]
    public async Task GetCase_UnknownFlow_IsNotFoundNamingTheFlow()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => Cases.GetCaseAsync(new GetCaseRequest { Name = "flows/order-to-cash/cases/e1" }).ResponseAsync);

        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        Assert.StartsWith("flows/order-to-cash does not exist", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BatchGetCases_GrpcAndRest_ReturnTheConcludedCasesInTheOrderAsked()
    {
        var names = new[] { fixture.Refused[1], fixture.Completed, fixture.Refused[0] }.Select(e => InventoryToChargeScenario.CaseName(e.Context.EventId))
            .Append(InventoryToChargeScenario.CaseName($"{fixture.Catalog.RunId}-never-sent")).ToList();
        var request = new BatchGetCasesRequest { Parent = InventoryToChargeScenario.Flow, Names = { names } };

        var overGrpc = await Cases.BatchGetCasesAsync(request);
        using var response = await Rest.PostAsync("v1/flows/inventory-to-charge/cases:batchGet", JsonBody(request));
        var overRest = Json.Parse<BatchGetCasesResponse>(await response.EnsureSuccessStatusCode().Content.ReadAsStringAsync());

        Assert.Equal(names.Take(3), overGrpc.Cases.Select(c => c.Name));
        Assert.Equal(overGrpc, overRest);
    }

    [Fact]
    public async Task BatchGetCases_BadInput_IsInvalidArgumentOrNotFoundNamingTheField()
    {
        var tooMany = new BatchGetCasesRequest { Parent = InventoryToChargeScenario.Flow, Names = { Enumerable.Range(0, 1001).Select(i => InventoryToChargeScenario.CaseName($"e{i}")) } };
        var otherFlow = new BatchGetCasesRequest { Parent = InventoryToChargeScenario.Flow, Names = { InventoryToChargeScenario.CaseName("e1"), "flows/procure-to-pay/cases/e2" } };
        var none = new BatchGetCasesRequest { Parent = InventoryToChargeScenario.Flow };
        var unknownFlow = new BatchGetCasesRequest { Parent = "flows/order-to-cash", Names = { "flows/order-to-cash/cases/e1" } };

        Assert.Equal("names", await InvalidFieldAsync(() => Cases.BatchGetCasesAsync(tooMany).ResponseAsync));
        Assert.Equal("names[1]", await InvalidFieldAsync(() => Cases.BatchGetCasesAsync(otherFlow).ResponseAsync));
        Assert.Equal("names", await InvalidFieldAsync(() => Cases.BatchGetCasesAsync(none).ResponseAsync));
        Assert.Equal(StatusCode.NotFound, (await Assert.ThrowsAsync<RpcException>(() => Cases.BatchGetCasesAsync(unknownFlow).ResponseAsync)).StatusCode);
        var (status, body) = await RestErrorAsync(Rest.PostAsync("v1/flows/inventory-to-charge/cases:batchGet", JsonBody(otherFlow)));
        Assert.Equal((HttpStatusCode.BadRequest, "names[1]"), (status, body.Details.Single().Unpack<BadRequest>().FieldViolations.Single().Field));
    }

    [Fact]
    public async Task ListExceptions_PagedOverGrpc_ListsEveryExceptionOnceInQueueOrder()
    {
        var (listed, pages) = await ListAllAsync(new ListExceptionsRequest { Parent = InventoryToChargeScenario.Flow, PageSize = 2 });

        // Replays that other tests started may move their cases to the end meanwhile; the fixture's cases stay put.
        var ours = listed.Where(c => fixture.ExceptionNames.Contains(c.Name)).ToList();
        Assert.True(pages > 1, $"{listed.Count} exceptions came in {pages} page(s)");
        Assert.Equal(fixture.ExceptionNames.Order(), ours.Select(c => c.Name).Order());
        Assert.Equal(ours.OrderBy(c => c.QueueTime).Select(c => c.Name), ours.Select(c => c.Name));
        Assert.All(listed, c => Assert.Equal(CaseState.Exception, c.State));
        Assert.Contains(ours, c => (c.Reason, c.Replayable) == ("dead_lettered", false));
    }

    [Fact]
    public async Task ListExceptions_PagedOverRest_MatchesGrpc()
    {
        var (overGrpc, _) = await ListAllAsync(new ListExceptionsRequest { Parent = InventoryToChargeScenario.Flow, PageSize = 1000 });
        var overRest = new List<Case>();
        var token = "";
        var pages = 0;
        do
        {
            var page = Json.Parse<ListExceptionsResponse>(await Rest.GetStringAsync($"v1/flows/inventory-to-charge/exceptions?pageSize=3&pageToken={Uri.EscapeDataString(token)}"));
            overRest.AddRange(page.Exceptions);
            token = page.NextPageToken;
            pages++;
        }
        while (token.Length > 0);

        Assert.True(pages > 1);
        Assert.Equal(overGrpc.Select(c => c.Name).Where(fixture.ExceptionNames.Contains), overRest.Select(c => c.Name).Where(fixture.ExceptionNames.Contains));
        Assert.Equal(fixture.ExceptionNames.Count, overRest.Count(c => fixture.ExceptionNames.Contains(c.Name)));
    }

    [Fact]
    public async Task ListExceptions_ByReason_ListsOnlyThatReason()
    {
        var (overGrpc, _) = await ListAllAsync(new ListExceptionsRequest { Parent = InventoryToChargeScenario.Flow, PageSize = 1, Reason = "unknown_location" });
        var overRest = Json.Parse<ListExceptionsResponse>(await Rest.GetStringAsync("v1/flows/inventory-to-charge/exceptions?reason=unknown_location"));

        Assert.All(overGrpc, c => Assert.Equal("unknown_location", c.Reason));
        Assert.Equal(fixture.UnknownLocations.Select(e => InventoryToChargeScenario.CaseName(e.Context.EventId)).Order(), overGrpc.Select(c => c.Name).Where(fixture.ExceptionNames.Contains).Order());
        Assert.Equal(overGrpc.Select(c => c.Name), overRest.Exceptions.Select(c => c.Name));
    }

    [Fact]
    public async Task ListExceptions_QueuedBefore_ListsOnlyCasesThatJoinedEarlier()
    {
        var (all, _) = await ListAllAsync(new ListExceptionsRequest { Parent = InventoryToChargeScenario.Flow, PageSize = 1000 });
        var bound = all[2].QueueTime;

        var (earlier, _) = await ListAllAsync(new ListExceptionsRequest { Parent = InventoryToChargeScenario.Flow, PageSize = 1, QueuedBefore = bound });

        Assert.Equal(all.Take(2).Select(c => c.Name), earlier.Select(c => c.Name));
    }

    [Fact]
    public async Task ListExceptions_BadInput_IsInvalidArgumentNamingTheField()
    {
        var first = await Cases.ListExceptionsAsync(new ListExceptionsRequest { Parent = InventoryToChargeScenario.Flow, PageSize = 1 });

        Assert.Equal("page_size", await InvalidFieldAsync(() => Cases.ListExceptionsAsync(new ListExceptionsRequest { Parent = InventoryToChargeScenario.Flow, PageSize = -1 }).ResponseAsync));
        Assert.Equal("reason", await InvalidFieldAsync(() => Cases.ListExceptionsAsync(new ListExceptionsRequest { Parent = InventoryToChargeScenario.Flow, Reason = "Unknown-Item" }).ResponseAsync));
        Assert.Equal("page_token", await InvalidFieldAsync(() => Cases.ListExceptionsAsync(new ListExceptionsRequest { Parent = InventoryToChargeScenario.Flow, PageToken = "not-a-token" }).ResponseAsync));
        Assert.Equal("page_token", await InvalidFieldAsync(() => Cases.ListExceptionsAsync(new ListExceptionsRequest { Parent = InventoryToChargeScenario.Flow, PageToken = first.NextPageToken, Reason = "unknown_item" }).ResponseAsync));
        Assert.Equal("parent", await InvalidFieldAsync(() => Cases.ListExceptionsAsync(new ListExceptionsRequest { Parent = "inventory-to-charge" }).ResponseAsync));
        var (status, body) = await RestErrorAsync(Rest.GetAsync("v1/flows/inventory-to-charge/exceptions?pageSize=-1"));
        Assert.Equal((HttpStatusCode.BadRequest, "page_size"), (status, body.Details.Single().Unpack<BadRequest>().FieldViolations.Single().Field));
    }

    [Fact]
    public async Task ReplayException_GrpcWithARequestId_AnswersARetryAsTheFirstCallEvenAfterTheReplayConcluded()
    {
        var parked = await ParkAsync(e => e.Item = $"items/{fixture.Catalog.RunId}-replayed-over-grpc");
        var request = new ReplayExceptionRequest { Name = parked.Name, RequestId = Guid.NewGuid().ToString() };

        var first = await Cases.ReplayExceptionAsync(request);
        // The item is still unknown: the replay parks the case again, as a new exception.
        var parkedAgain = await fixture.Flow.Scenario.WaitForCaseAsync(InventoryToChargeScenario.EventIdOf(parked), c => c.ConcludeTime != parked.ConcludeTime, Settle, CancellationToken.None);
        var retried = await Cases.ReplayExceptionAsync(request);
        var misused = await InvalidFieldAsync(() => Cases.ReplayExceptionAsync(new ReplayExceptionRequest { Name = fixture.ExceptionNames[0], RequestId = request.RequestId }).ResponseAsync);

        Assert.True(first.Started);
        Assert.Equal((CaseState.Exception, "unknown_item"), (parkedAgain.State, parkedAgain.Reason));
        Assert.Equal(first, retried);
        Assert.Equal("request_id", misused);
    }

    [Fact]
    public async Task ReplayException_OverRest_StartsTheReplay()
    {
        var parked = await ParkAsync(e => e.Item = $"items/{fixture.Catalog.RunId}-replayed-over-rest");

        using var response = await Rest.PostAsync($"v1/{parked.Name}:replay", JsonBody(new ReplayExceptionRequest()));
        var answer = Json.Parse<ReplayExceptionResponse>(await response.EnsureSuccessStatusCode().Content.ReadAsStringAsync());

        Assert.True(answer.Started);
        Assert.Equal($"{ConsumptionIntake.InstanceIdOf(InventoryToChargeScenario.EventIdOf(parked))}-replay-{parked.ConcludeTime.ToDateTimeOffset().UtcTicks}", answer.ReplayId);
    }

    [Fact]
    public async Task ReplayException_CaseThatCannotBeReplayed_IsFailedPreconditionSayingWhy()
    {
        var deadLettered = InventoryToChargeScenario.CaseName(fixture.DeadLettered.Context.EventId);
        var completed = InventoryToChargeScenario.CaseName(fixture.Completed.Context.EventId);

        var notReplayable = await Assert.ThrowsAsync<RpcException>(() => Cases.ReplayExceptionAsync(new ReplayExceptionRequest { Name = deadLettered }).ResponseAsync);
        var notQueued = await Assert.ThrowsAsync<RpcException>(() => Cases.ReplayExceptionAsync(new ReplayExceptionRequest { Name = completed }).ResponseAsync);
        var (status, body) = await RestErrorAsync(Rest.PostAsync($"v1/{deadLettered}:replay", JsonBody(new ReplayExceptionRequest())));
        var unknown = await Assert.ThrowsAsync<RpcException>(() => Cases.ReplayExceptionAsync(new ReplayExceptionRequest { Name = InventoryToChargeScenario.CaseName("never-sent") }).ResponseAsync);

        Assert.Equal(StatusCode.FailedPrecondition, notReplayable.StatusCode);
        Assert.Equal("NOT_REPLAYABLE", notReplayable.GetRpcStatus()!.GetDetail<PreconditionFailure>().Violations.Single().Type);
        Assert.Contains("dead_lettered", notReplayable.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.FailedPrecondition, notQueued.StatusCode);
        Assert.Equal("NOT_ON_QUEUE", notQueued.GetRpcStatus()!.GetDetail<PreconditionFailure>().Violations.Single().Type);
        Assert.Equal((HttpStatusCode.BadRequest, (int)Code.FailedPrecondition), (status, body.Code));
        Assert.Equal("NOT_REPLAYABLE", body.Details.Single().Unpack<PreconditionFailure>().Violations.Single().Type);
        Assert.Equal(StatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task ReplayException_SagaPurgedWithItsInput_IsFailedPreconditionSayingSo()
    {
        var parked = await ParkAsync(e => e.Item = $"items/{fixture.Catalog.RunId}-purged");
        var workflows = fixture.Flow.Workflows.GetRequiredService<DaprWorkflowClient>();
        var instance = ConsumptionIntake.InstanceIdOf(InventoryToChargeScenario.EventIdOf(parked));
        // The case is on the queue once the saga recorded it; the saga finishes a moment later, and only then can it be purged.
        using (var finishing = new CancellationTokenSource(Settle))
        {
            await workflows.WaitForWorkflowCompletionAsync(instance, cancellation: finishing.Token);
        }

        Assert.True(await workflows.PurgeInstanceAsync(instance));

        var error = await Assert.ThrowsAsync<RpcException>(() => Cases.ReplayExceptionAsync(new ReplayExceptionRequest { Name = parked.Name }).ResponseAsync);

        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.Equal("INPUT_PURGED", error.GetRpcStatus()!.GetDetail<PreconditionFailure>().Violations.Single().Type);
        Assert.Contains("purged", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DismissException_GrpcWithARequestId_DismissesOnceAndAnswersARetryTheSame()
    {
        var name = (await ParkAsync(e => e.Location = $"locations/{fixture.Catalog.RunId}-dismissed-over-grpc")).Name;
        var request = new DismissExceptionRequest { Name = name, RequestId = Guid.NewGuid().ToString() };

        var dismissed = await Cases.DismissExceptionAsync(request);
        var retried = await Cases.DismissExceptionAsync(request);
        var again = await Assert.ThrowsAsync<RpcException>(() => Cases.DismissExceptionAsync(new DismissExceptionRequest { Name = name }).ResponseAsync);
        var (queue, _) = await ListAllAsync(new ListExceptionsRequest { Parent = InventoryToChargeScenario.Flow, PageSize = 1000 });

        Assert.Equal((CaseState.Dismissed, "unknown_location"), (dismissed.State, dismissed.Reason));
        Assert.NotNull(dismissed.DismissTime);
        Assert.Equal(dismissed, retried);
        Assert.Equal(dismissed, await Cases.GetCaseAsync(new GetCaseRequest { Name = name }));
        Assert.Equal(StatusCode.FailedPrecondition, again.StatusCode);
        Assert.DoesNotContain(queue, c => c.Name == name);
    }

    [Fact]
    public async Task DismissException_OverRest_ReturnsTheDismissedCase()
    {
        var name = (await ParkAsync(e => e.Location = $"locations/{fixture.Catalog.RunId}-dismissed-over-rest")).Name;

        using var response = await Rest.PostAsync($"v1/{name}:dismiss", JsonBody(new DismissExceptionRequest()));
        var dismissed = Json.Parse<Case>(await response.EnsureSuccessStatusCode().Content.ReadAsStringAsync());
        var (status, body) = await RestErrorAsync(Rest.PostAsync($"v1/{name}:dismiss", JsonBody(new DismissExceptionRequest())));

        Assert.Equal((name, CaseState.Dismissed), (dismissed.Name, dismissed.State));
        Assert.Equal((HttpStatusCode.BadRequest, (int)Code.FailedPrecondition), (status, body.Code));
    }

    [Fact]
    public async Task Rest_CaseIdWithColonsAndDots_IsRoutedToTheCaseAndItsCustomMethods()
    {
        var parked = await ParkAsync(e =>
        {
            e.Context.EventId = $"{fixture.Catalog.RunId}:ehr.periop:{Guid.NewGuid():N}";
            e.Location = $"locations/{fixture.Catalog.RunId}-colons";
        });

        var read = Json.Parse<Case>(await Rest.GetStringAsync($"v1/{parked.Name}"));
        using var response = await Rest.PostAsync($"v1/{parked.Name}:dismiss", JsonBody(new DismissExceptionRequest()));

        Assert.Equal(parked, read);
        Assert.Equal(CaseState.Dismissed, Json.Parse<Case>(await response.EnsureSuccessStatusCode().Content.ReadAsStringAsync()).State);
    }

    [Fact]
    public async Task ReplayException_WithoutAnOperatorToken_IsUnauthenticatedAndNothingHappens()
    {
        using var anonymous = fixture.Flow.ClientsWith(operatorToken: null);
        var name = fixture.ExceptionNames[1];

        var error = await Assert.ThrowsAsync<RpcException>(() => anonymous.Cases.ReplayExceptionAsync(new ReplayExceptionRequest { Name = name }).ResponseAsync);

        Assert.Equal((StatusCode.Unauthenticated, "a bearer token is required (authorization: Bearer <token>)"), (error.StatusCode, error.Status.Detail));
        Assert.Equal(CaseState.Exception, (await Cases.GetCaseAsync(new GetCaseRequest { Name = name })).State);
    }

    [Fact]
    public async Task ReplayException_TokenWithoutTheOperateScope_IsPermissionDenied()
    {
        using var reader = fixture.Flow.ClientsWith(OperatorTokens.Mint("bo.reader", "operator", "phi.read"));

        var error = await Assert.ThrowsAsync<RpcException>(() => reader.Cases.ReplayExceptionAsync(new ReplayExceptionRequest { Name = fixture.ExceptionNames[1] }).ResponseAsync);

        Assert.Equal((StatusCode.PermissionDenied, "the bearer token lacks the scope workflows.operate"), (error.StatusCode, error.Status.Detail));
    }

    [Fact]
    public async Task DismissException_TokenForAnotherAudience_IsUnauthenticated()
    {
        using var partner = fixture.Flow.ClientsWith(OperatorTokens.MintFor("mesh-gateway", "ana.ops", OperatorTokens.OperateScope));

        var error = await Assert.ThrowsAsync<RpcException>(() => partner.Cases.DismissExceptionAsync(new DismissExceptionRequest { Name = fixture.ExceptionNames[1] }).ResponseAsync);

        Assert.Equal((StatusCode.Unauthenticated, "the bearer token is not meant for the workflows app (audience)"), (error.StatusCode, error.Status.Detail));
    }

    [Fact]
    public async Task ReplayException_OperatorToken_IsAcceptedAndAuditedWithItsSubject()
    {
        var parked = await ParkAsync(e => e.Item = $"items/{fixture.Catalog.RunId}-replayed-by-ana");
        using var ana = fixture.Flow.ClientsWith(OperatorTokens.Mint("ana.ops"));
        var requestId = Guid.NewGuid().ToString();

        var answer = await ana.Cases.ReplayExceptionAsync(new ReplayExceptionRequest { Name = parked.Name, RequestId = requestId });

        var audit = (await fixture.Flow.PublishedAsync("workflows.audit")).Select(e => e["data"]!);
        var entry = Assert.Single(audit, e => (string?)e["requestId"] == requestId);
        Assert.True(answer.Started);
        Assert.Equal(("ana.ops", "replay", parked.Name, "OK"), ((string?)entry["subject"], (string?)entry["action"], (string?)entry["case"], (string?)entry["outcome"]));
    }

    [Fact]
    public async Task EventSentAgainAfterItWasDeadLettered_StartsItsSaga_WhoseConclusionReplacesTheParkedCaseListingItsRun()
    {
        var consumed = FreshEvent("late-copy");
        // What the sidecar does when the app stays down past the delivery retries: the event goes to the dead-letter topic.
        var data = System.Text.Encoding.UTF8.GetBytes(JsonFormatter.Default.Format(consumed));
        await fixture.Flow.Clients.Dapr.PublishByteEventAsync(fixture.Flow.Clients.PubSub, ConsumptionIntake.DeadLetterTopic, data, "application/json");
        var parked = await fixture.Flow.Scenario.WaitForCaseAsync(consumed.Context.EventId, _ => true, Settle, CancellationToken.None);

        // The sender sends the event again: the parked case is taken up as a replay would take it.
        await SendAsync(consumed);
        var completed = await fixture.Flow.Scenario.WaitForCaseAsync(consumed.Context.EventId, c => c.State == CaseState.Completed, Settle, CancellationToken.None);

        var (queue, _) = await ListAllAsync(new ListExceptionsRequest { Parent = InventoryToChargeScenario.Flow, PageSize = 1000 });
        var timeline = await Cases.GetCaseTimelineAsync(new GetCaseTimelineRequest { Name = completed.Name + "/timeline" });
        Assert.Equal("dead_lettered", parked.Reason);
        Assert.NotEqual("", completed.InventoryToCharge.StockMovement);
        Assert.DoesNotContain(queue, c => c.Name == completed.Name);
        // No saga ran the dead-lettered case: the one the event started is its first run, and its timeline shows it.
        var instance = ConsumptionIntake.InstanceIdOf(consumed.Context.EventId);
        Assert.Empty(parked.RunInstanceIds);
        Assert.Equal([instance], completed.RunInstanceIds);
        Assert.Equal((instance, false), (timeline.Runs.Single().InstanceId, timeline.Runs.Single().Replay));
        Assert.Contains(timeline.Entries, e => (e.Run, e.Step) == (1, "TakeStock"));
    }

    [Fact]
    public async Task EventSentAgainAfterItsCompletedSagaWasPurged_StartsNoSaga()
    {
        var consumed = FreshEvent("purged-copy");
        await SendAsync(consumed);
        var completed = await fixture.Flow.Scenario.WaitForCaseAsync(consumed.Context.EventId, c => c.State == CaseState.Completed, Settle, CancellationToken.None);
        var workflows = fixture.Flow.Workflows.GetRequiredService<DaprWorkflowClient>();
        var instance = ConsumptionIntake.InstanceIdOf(consumed.Context.EventId);
        using (var finishing = new CancellationTokenSource(Settle))
        {
            await workflows.WaitForWorkflowCompletionAsync(instance, cancellation: finishing.Token);
        }

        // Retention purged the saga; its case stays, and the sender sends the event again.
        Assert.True(await workflows.PurgeInstanceAsync(instance));
        await SendAsync(consumed);
        await fixture.Flow.AcknowledgedAsync(ConsumptionIntake.Topic, Settle);

        var saga = await workflows.GetWorkflowStateAsync(instance, getInputsAndOutputs: false);
        var after = await Cases.GetCaseAsync(new GetCaseRequest { Name = completed.Name });
        Assert.False(saga?.Exists ?? false, "a saga started again for an event whose case had completed");
        Assert.Equal(completed, after);
    }

    // A well-formed event of the fixture's catalog under an event id of its own.
    private ItemConsumed FreshEvent(string label)
    {
        var consumed = InventoryToChargeScenario.Consumptions(fixture.Catalog, new ScenarioSpec(Events: 1, Locations: 1, DuplicateShare: 0, Seed: Random.Shared.Next())).Single();
        consumed.Context.EventId = $"{fixture.Catalog.RunId}-{label}-{Guid.NewGuid():N}";
        consumed.Context.OccurTime = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow);
        return consumed;
    }

    private Task SendAsync(ItemConsumed consumed) =>
        fixture.Flow.Scenario.SendAsync([consumed], new ScenarioSpec(Events: 1, Locations: 1, DuplicateShare: 0), 1, CancellationToken.None);

    // Sends one event changed by `spoil` so master data refuses it, and waits until its case is on the queue.
    private async Task<Case> ParkAsync(Action<ItemConsumed> spoil)
    {
        var spec = new ScenarioSpec(Events: 1, Locations: 1, DuplicateShare: 0, Seed: Random.Shared.Next());
        var consumed = InventoryToChargeScenario.Consumptions(fixture.Catalog, spec).Single();
        consumed.Context.EventId = $"{fixture.Catalog.RunId}-parked-{Guid.NewGuid():N}";
        spoil(consumed);
        await fixture.Flow.Scenario.SendAsync([consumed], spec, 1, CancellationToken.None);
        return await fixture.Flow.Scenario.WaitForCaseAsync(consumed.Context.EventId, c => c.State == CaseState.Exception, Settle, CancellationToken.None);
    }

    private async Task<(List<Case> Cases, int Pages)> ListAllAsync(ListExceptionsRequest request) =>
        await Mesh.Contracts.Pages.AllAsync<Case>(async token =>
        {
            var page = await Cases.ListExceptionsAsync(new ListExceptionsRequest(request) { PageToken = token });
            return (page.Exceptions, page.NextPageToken);
        });

    private static async Task<string> InvalidFieldAsync(Func<Task> call)
    {
        var error = await Assert.ThrowsAsync<RpcException>(call);
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        return Assert.Single(error.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations).Field;
    }

    private static async Task<(HttpStatusCode Status, Status Body)> RestErrorAsync(Task<HttpResponseMessage> call)
    {
        using var response = await call;
        return (response.StatusCode, Json.Parse<Status>(await response.Content.ReadAsStringAsync()));
    }

    private static StringContent JsonBody(IMessage request) => new(JsonFormatter.Default.Format(request), System.Text.Encoding.UTF8, "application/json");

    /// <summary>
    /// The flow with exceptions of every kind to list: refused items and locations (replayable), a dead-lettered
    /// event (not replayable), and a completed case. Tests that replay or dismiss park cases of their own.
    /// </summary>
    public sealed class Fixture : IAsyncLifetime
    {
        public InProcessFlow Flow { get; private set; } = null!;

        public SeededCatalog Catalog { get; private set; } = null!;

        public ItemConsumed Completed { get; private set; } = null!;

        public List<ItemConsumed> Refused { get; } = [];

        public List<ItemConsumed> UnknownLocations { get; } = [];

        public ItemConsumed DeadLettered { get; private set; } = null!;

        public List<string> ExceptionNames { get; private set; } = [];

        public async Task InitializeAsync()
        {
            Flow = await InProcessFlow.StartAsync();
            var spec = new ScenarioSpec(Events: 9, Locations: 1, DuplicateShare: 0);
            Catalog = await Flow.Scenario.SeedAsync(spec, CancellationToken.None);
            var events = InventoryToChargeScenario.Consumptions(Catalog, spec);
            Completed = events[0];
            for (var i = 1; i <= 5; i++)
            {
                events[i].Item = $"items/{Catalog.RunId}-unknown-{i}";
                Refused.Add(events[i]);
            }

            for (var i = 6; i <= 7; i++)
            {
                events[i].Location = $"locations/{Catalog.RunId}-unknown-{i}";
                UnknownLocations.Add(events[i]);
            }

            DeadLettered = events[8];
            DeadLettered.Patient = null;
            await Flow.Scenario.SendAsync(events, spec, 4, CancellationToken.None);
            var settled = await Flow.Scenario.AwaitSettledAsync([.. events.Select(e => e.Context.EventId)], Settle, null, CancellationToken.None);
            Assert.Equal(events.Count, settled.Count);
            ExceptionNames = [.. settled.Where(c => c.State == CaseState.Exception).Select(c => c.Name)];
            Assert.Equal(8, ExceptionNames.Count);
        }

        public async Task DisposeAsync() => await Flow.DisposeAsync();
    }
}
